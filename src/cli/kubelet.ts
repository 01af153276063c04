// `berth kubelet --kubeconfig F --data-dir D [--node-name N]`: this machine as a node of a
// cluster, its pods run by berth's container engine in the same process (engine data under
// D/engine, the kubelet's pod directories under D/kubelet). `berth server --kubelet` starts the
// same thing beside the API server. Its HTTPS server (logs, exec, attach, port-forward) serves a
// certificate signed by the cluster CA: made locally when the CA's key is in D/pki (berth server
// --kubelet, berth up), otherwise asked for through a CertificateSigningRequest (serverTLSBootstrap).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import type { ApiClient } from '../model/api.js';
import { Engine } from '../engine/engine.js';
import { serveEngineAPI } from '../engineapi/server.js';
import { HttpClient, loadKubeconfig } from '../client/http.js';
import { RemoteClient } from '../client/remote.js';
import { EngineRuntime } from '../kubelet/engine-runtime.js';
import { Kubelet } from '../kubelet/kubelet.js';
import { CgroupfsManager } from '../kubelet/cgroup-manager.js';
import { KUBELET_PORT, startKubeletServer, type RunningKubeletServer } from '../kubelet/server.js';
import { R } from '../model/api.js';
import { StatusError } from '../model/status.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { kubeletServingCert } from '../apiserver/pki.js';
import { ServingCertificateManager } from '../kubelet/certificate.js';
import { CommandError, flagHelp, parseFlags, type FlagSpec } from './flags.js';
import { runUntilSignal } from './server.js';

/** The kubelet's default --cgroup-root: its pods under /berth/kubepods, beside the engine's other containers (/berth/<id>). */
export const DEFAULT_CGROUP_ROOT = '/berth';

/** The kubelet's cgroup flags, shared with berth server and berth up. */
export const cgroupFlags = {
  'cgroup-root': { type: 'string', default: DEFAULT_CGROUP_ROOT, help: 'the cgroup under which the kubelet makes its hierarchy: ROOT/kubepods, ROOT/kubepods/burstable, ROOT/kubepods/besteffort, a cgroup per pod (upstream\'s default is /; berth\'s keeps clear of a real kubelet\'s /kubepods)' },
  'cgroups-per-qos': { type: 'boolean', default: true, help: 'put each pod in its own cgroup under its QoS tier (false: containers go where the engine puts them)' },
} satisfies FlagSpec;

const kubeletFlags = {
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig of the cluster to join (default $KUBECONFIG, then ~/.kube/config)' },
  'data-dir': { type: 'string', default: '/var/lib/berth', help: 'directory for the engine (DIR/engine) and the pods (DIR/kubelet)' },
  'node-name': { type: 'string', default: '', help: 'the Node to register (default: the hostname, lower-cased)' },
  'node-ip': { type: 'string', default: '', help: 'the node\'s InternalIP (default: the first non-loopback IPv4 address)' },
  'kubelet-port': { type: 'number', default: 10250, help: 'HTTPS port of the kubelet\'s logs, exec, attach and port-forward server' },
  ...cgroupFlags,
} satisfies FlagSpec;

export const kubeletUsage = `Usage: berth kubelet --kubeconfig FILE --data-dir DIR [--node-name NAME]\n\nRuns this machine's pods with berth's container engine (needs root, runc and CNI plugins).\n\n${flagHelp(kubeletFlags)}\n`;

export interface RunningKubelet {
  kubelet: Kubelet;
  engine: Engine;
  /** Stops heartbeating; containers keep running. */
  close(): void;
  /** Stops heartbeating, then stops and removes every pod's containers and the pods' cgroups (a pod comes back fresh when the node does). */
  removePods(graceSeconds?: number): Promise<void>;
}

/** Opens the engine under DIR/engine and starts a kubelet on it. */
export async function startKubelet(
  client: ApiClient,
  dataDir: string,
  opts: {
    nodeName?: string; nodeIP?: string; clusterDNS?: string[]; port?: number; engineSocket?: string; cgroupRoot?: string; cgroupsPerQOS?: boolean;
    /** The CA that signs the API server's client certificate, when DIR/pki has none (the kubeconfig's). */
    clientCA?: string;
  } = {},
): Promise<RunningKubelet> {
  if (process.getuid?.() !== 0) throw new CommandError('the kubelet must run as root (runc, overlayfs mounts and network namespaces need it)');
  const engine = await Engine.open({ dataDir: join(dataDir, 'engine') });
  // The node's engine behind the Docker API too: images built, loaded or pulled there are the ones pods run.
  let engineApi: Awaited<ReturnType<typeof serveEngineAPI>> | undefined;
  if (opts.engineSocket) {
    mkdirSync(dirname(opts.engineSocket), { recursive: true });
    engineApi = await serveEngineAPI(engine, opts.engineSocket);
  }
  const runtime = new EngineRuntime(engine);
  const kubelet = new Kubelet(client, {
    nodeName: opts.nodeName || hostname().toLowerCase(),
    dataDir: join(dataDir, 'kubelet'),
    runtime,
    port: opts.port ?? KUBELET_PORT,
    ...(opts.nodeIP ? { nodeIP: opts.nodeIP } : {}),
    ...(opts.clusterDNS ? { clusterDNS: opts.clusterDNS } : {}),
    ...(opts.cgroupsPerQOS === false ? {} : { cgroups: new CgroupfsManager(opts.cgroupRoot || DEFAULT_CGROUP_ROOT) }),
    log: (m) => process.stderr.write(`berth: ${m}\n`),
  });
  let server: Streaming | undefined;
  try {
    server = await startStreaming(client, runtime, kubelet, dataDir, opts.port ?? KUBELET_PORT, opts.clientCA);
    await kubelet.start();
  } catch (e) {
    void server?.close();
    void engineApi?.close();
    kubelet.stop();
    engine.close();
    throw e;
  }
  return {
    kubelet,
    engine,
    close: () => {
      void server?.close();
      void engineApi?.close();
      kubelet.stop();
      engine.close();
    },
    removePods: async (graceSeconds = 10) => {
      kubelet.stop();
      const sandboxes = await runtime.listPodSandbox();
      // containers first, gracefully and all at once; then the sandboxes with their network
      await Promise.all((await runtime.listContainers()).map((c) => runtime.stopContainer(c.id, graceSeconds).catch(() => undefined)));
      for (const sb of sandboxes) await runtime.removePodSandbox(sb.id).catch(() => undefined);
      // the pods start afresh next time: their volumes (tmpfs for secrets, tokens) go with them
      await kubelet.removePodDirs();
      await kubelet.removeCgroups();
    },
  };
}

type Streaming = Pick<RunningKubeletServer, 'close'>;

/**
 * The kubelet's HTTPS server for logs, exec, attach and port-forward. With the cluster CA's key
 * under DIR/pki (the API server shares the data directory) its certificate is signed here; without
 * it the certificate comes through the certificates API (ServingCertificateManager, keys under
 * DIR/kubelet/pki), the server starting once the first one is issued and taking each rotated one,
 * and API server client certificates are checked against clientCA (the kubeconfig's CA).
 */
async function startStreaming(client: ApiClient, runtime: EngineRuntime, kubelet: Kubelet, dataDir: string, port: number, clientCA: string | undefined): Promise<Streaming | undefined> {
  const pkiDir = join(dataDir, 'pki');
  const log = (m: string) => {
    process.stderr.write(`berth: kubelet: ${m}\n`);
  };
  const serving = kubeletServingCert(pkiDir, kubelet.nodeName, [kubelet.nodeIP]);
  if (serving) return listen(client, runtime, port, { ...serving, clientCA: readFileSync(join(pkiDir, 'ca.crt'), 'utf8') }, log);
  if (!clientCA) {
    log(`no cluster CA key under ${pkiDir} and no certificate-authority in the kubeconfig to check the API server with: logs, exec, attach and port-forward are not served`);
    return undefined;
  }
  let server: RunningKubeletServer | undefined;
  let starting: Promise<void> | undefined;
  let closed = false;
  let latest: { cert: string; key: string } | undefined;
  const manager = new ServingCertificateManager({
    client,
    identity: { nodeName: kubelet.nodeName, dnsNames: [kubelet.nodeName], ipAddresses: [kubelet.nodeIP] },
    dir: join(dataDir, 'kubelet', 'pki'),
    log,
    onCertificate: (pair) => {
      latest = pair;
      if (server) {
        server.server.setSecureContext({ ...pair, ca: clientCA });
        return;
      }
      starting ??= listen(client, runtime, port, { ...pair, clientCA }, log).then(
        (s) => {
          if (closed) return void s.close();
          server = s;
          // a rotation while the server was starting
          if (latest !== pair) s.server.setSecureContext({ ...latest, ca: clientCA });
        },
        (e: unknown) => log(`the logs/exec server did not start: ${e instanceof Error ? e.message : String(e)}`),
      );
    },
  });
  manager.start();
  return {
    close: async () => {
      closed = true;
      manager.stop();
      await starting;
      await server?.close();
    },
  };
}

async function listen(client: ApiClient, runtime: EngineRuntime, port: number, tls: { cert: string; key: string; clientCA: string }, log: (m: string) => void): Promise<RunningKubeletServer> {
  try {
    return await startKubeletServer({
      runtime,
      tls,
      port,
      getPod: async (ns, name) => {
        try {
          return (await client.get(R.pods, ns, name)) as Pod;
        } catch (e) {
          if (StatusError.is(e, 'NotFound')) return undefined;
          throw e;
        }
      },
      log,
    });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new CommandError(`the kubelet's port ${port} is in use; choose another with --kubelet-port`);
    throw e;
  }
}

export async function kubeletCommand(args: string[]): Promise<number> {
  const f = parseFlags(args, kubeletFlags);
  const kubeconfig = f.kubeconfig || process.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config');
  if (!existsSync(kubeconfig)) throw new CommandError(`kubeconfig ${kubeconfig} not found; pass --kubeconfig`);
  const endpoint = loadKubeconfig(kubeconfig);
  const client = new RemoteClient(new HttpClient(endpoint));
  const k = await startKubelet(client, f['data-dir'], {
    nodeName: f['node-name'], nodeIP: f['node-ip'], port: f['kubelet-port'], cgroupRoot: f['cgroup-root'], cgroupsPerQOS: f['cgroups-per-qos'],
    ...(endpoint.ca ? { clientCA: endpoint.ca } : {}),
  });
  process.stdout.write(`berth: kubelet running as node ${k.kubelet.nodeName} (engine data in ${k.engine.dataDir})\n`);
  await runUntilSignal(async () => k.close());
  return 0;
}
