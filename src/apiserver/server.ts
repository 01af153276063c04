// Assembles an API server: store, registry, admission, REST semantics, HTTP(S) transport, the
// objects every cluster starts with, and history compaction.
import { randomInt, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../model/object.js';
import { Registry } from '../model/registry.js';
import { StatusError } from '../model/status.js';
import type { ObjectStore } from '../store/types.js';
import { BuiltinAdmission, type ServiceAccountAdmissionOptions } from './admission.js';
import { parseCidr, ServiceAllocator } from './allocator.js';
import { ApiHandler } from './handler.js';
import { createApiServer, type TlsConfig } from './http.js';
import { PodStreams, type KubeletClientConfig } from './proxy.js';
import { Rest, type Clock, type Ids } from './rest.js';
import type { WatchTiming } from './watch.js';
import { ServiceAccountSigner } from './satoken.js';
import { authenticateToken } from './tokenrequest.js';

export const DEFAULT_SERVICE_CIDR = '10.96.0.0/12';
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

export const systemClock: Clock = { now: () => Date.now() };

export const randomIds: Ids = {
  uid: () => randomUUID(),
  nameSuffix: () => Array.from({ length: 5 }, () => NAME_CHARS[randomInt(NAME_CHARS.length)]).join(''),
};

export interface ApiServerOptions {
  store: ObjectStore;
  /** Address and port to listen on (port 0 picks a free one). */
  host?: string;
  port: number;
  tls?: TlsConfig;
  /** PEM private key that signs service-account tokens (the PKI's sa.key); absent: one made in memory. */
  serviceAccountKey?: string;
  /** How to reach kubelets for pods/log, exec, attach and portforward. */
  kubeletClient?: KubeletClientConfig;
  /** The address other machines and pods use to reach this server (the kubernetes Endpoints). */
  advertiseAddress?: string;
  serviceCidr?: string;
  clock?: Clock;
  ids?: Ids;
  watchTiming?: WatchTiming;
  /** How often history is compacted, and how much of it (in ms of age) is kept. */
  compaction?: { everyMs: number; keepMs: number };
}

export interface RunningApiServer {
  rest: Rest;
  handler: ApiHandler;
  http: Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export interface RestOptions {
  clock?: Clock;
  ids?: Ids;
  serviceCidr?: string;
  serviceAccountKey?: string;
  /** Refuse pods whose ServiceAccount does not exist, as upstream (admission.ts); off for in-process use. */
  requireServiceAccounts?: boolean;
}

/** The REST semantics alone, for in-process use (the simulator, tests). */
export function createRest(store: ObjectStore, opts: RestOptions = {}): { rest: Rest; allocator: ServiceAllocator } {
  const allocator = new ServiceAllocator(store, parseCidr(opts.serviceCidr ?? DEFAULT_SERVICE_CIDR));
  const ids = opts.ids ?? randomIds;
  const serviceAccounts: ServiceAccountAdmissionOptions = { nameSuffix: () => ids.nameSuffix() };
  // upstream looks for the default account 10 times, 100-200 ms apart, before refusing the pod
  if (opts.requireServiceAccounts) serviceAccounts.require = { attempts: 10, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
  const rest = new Rest({
    store,
    registry: new Registry(),
    clock: opts.clock ?? systemClock,
    ids,
    admission: new BuiltinAdmission(store, allocator, serviceAccounts),
    signer: ServiceAccountSigner.fromPem(opts.serviceAccountKey),
  });
  return { rest, allocator };
}

export async function startApiServer(opts: ApiServerOptions): Promise<RunningApiServer> {
  const { rest, allocator } = createRest(opts.store, { ...opts, requireServiceAccounts: true });
  const host = opts.host ?? '0.0.0.0';
  const advertise = opts.advertiseAddress ?? '127.0.0.1';
  const handler = new ApiHandler(rest, {
    serverAddress: `${advertise}:${opts.port}`,
    ...(opts.watchTiming ? { watchTiming: opts.watchTiming } : {}),
  });
  const podStreams = new PodStreams(rest, opts.kubeletClient);
  const authenticateBearer = (token: string) => authenticateToken(rest, token);
  const http = createApiServer(
    handler,
    opts.tls
      ? { tls: opts.tls, podStreams, authenticateBearer }
      : { insecureUser: { username: 'system:admin', groups: ['system:masters', 'system:authenticated'] }, podStreams, authenticateBearer },
  );
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, host, () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  await bootstrap(rest, allocator.firstIP(), advertise, port);
  const stopCompaction = startCompaction(opts.store, opts.compaction ?? { everyMs: 60_000, keepMs: 5 * 60_000 });
  const scheme = opts.tls ? 'https' : 'http';
  return {
    rest,
    handler,
    http,
    port,
    url: `${scheme}://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    close: async () => {
      stopCompaction();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** What every cluster starts with: the four system namespaces and the `kubernetes` Service. */
export async function bootstrap(rest: Rest, serviceIP: string, advertise: string, port: number): Promise<void> {
  const ensure = async (resource: string, ns: string | undefined, obj: KubeObject, group = '') => {
    const t = rest.resource(group, 'v1', resource);
    try {
      await rest.get(t, ns, obj.metadata.name!);
      return;
    } catch (e) {
      if (!StatusError.is(e, 'NotFound')) throw e;
    }
    try {
      await rest.create(t, ns, { value: obj, duplicates: [] }, { dryRun: false, fieldValidation: 'Strict' });
    } catch (e) {
      if (!StatusError.is(e, 'AlreadyExists')) throw e;
    }
  };
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    await ensure('namespaces', undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await ensure('services', 'default', {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: { type: 'ClusterIP', clusterIP: serviceIP, ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }], sessionAffinity: 'None' },
  });
  // the default StorageClass, served by the local-path provisioner (controllers/localpath.ts)
  await ensure('storageclasses', undefined, {
    apiVersion: 'storage.k8s.io/v1',
    kind: 'StorageClass',
    metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
    provisioner: 'berth.dev/local-path',
    reclaimPolicy: 'Delete',
    volumeBindingMode: 'WaitForFirstConsumer',
  } as KubeObject, 'storage.k8s.io');
  // The endpoints of the kubernetes Service follow the server's address, so they are rewritten on every start.
  const subsets = [{ addresses: [{ ip: advertise }], ports: [{ name: 'https', port, protocol: 'TCP' }] }];
  const ep = rest.resource('', 'v1', 'endpoints');
  const epObj = { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }, subsets };
  await rest.update(ep, 'default', 'kubernetes', { value: epObj, duplicates: [] }, { dryRun: false, fieldValidation: 'Strict' });
  const slices = rest.resource('discovery.k8s.io', 'v1', 'endpointslices');
  const slice = {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [advertise], conditions: { ready: true } }],
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  };
  await rest.update(slices, 'default', 'kubernetes', { value: slice, duplicates: [] }, { dryRun: false, fieldValidation: 'Strict' });
}

/** Compacts history older than keepMs, as kube-apiserver asks etcd to every few minutes. */
function startCompaction(store: ObjectStore, { everyMs, keepMs }: { everyMs: number; keepMs: number }): () => void {
  const marks: { at: number; revision: number }[] = [];
  const timer = setInterval(() => {
    void (async () => {
      const now = Date.now();
      marks.push({ at: now, revision: await store.revision() });
      let target: number | undefined;
      while (marks.length && marks[0]!.at <= now - keepMs) target = marks.shift()!.revision;
      if (target) await store.compact(target);
    })().catch(() => undefined);
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
