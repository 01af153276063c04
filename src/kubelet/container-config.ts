// The PodSpec → runtime configuration mapping (seed 004 §6.3, I: S_K → P(S_D)), pure: the
// sandbox config of a pod; a container's process (command/args over the image's entrypoint/cmd,
// as containerd's CRI merges them), environment ($(VAR) expansion, valueFrom, envFrom), user,
// resources (kuberuntime_container_linux.go's cgroup mapping, QoS OOM scores), mounts; and what
// each volume's files are (configMap, secret, downwardAPI, projected) for the kubelet to write.
import type { ConfigMap, Container as PodContainer, EnvVar, ObjectFieldSelector, Pod, ResourceFieldSelector, Secret, ServiceAccountTokenProjection, Volume } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../model/object.js';
import { fnv32a } from '../model/hash.js';
import { milliValue, parseQuantity, quantityValue, type Quantity } from '../model/quantity.js';
import { podQOSClass } from '../model/defaults/qos.js';
import {
  ANNOTATION_CONTAINER_HASH,
  ANNOTATION_RESTART_COUNT,
  ANNOTATION_TERMINATION_GRACE,
  ANNOTATION_TERMINATION_MESSAGE_PATH,
  ANNOTATION_TERMINATION_MESSAGE_POLICY,
  LABEL_CONTAINER_KIND,
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  type ContainerConfig,
  type ImageInfo,
  type Mount,
  type PodSandboxConfig,
} from './runtime.js';

type PodObj = KubeObject & Pod;

/** A configuration the kubelet cannot build: the container waits with this reason. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly reason = 'CreateContainerConfigError',
  ) {
    super(message);
  }
}

export interface ConfigLookups {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** The pod's token for a projected serviceAccountToken source, fetched beforehand (tokens.ts). */
  serviceAccountToken?(pod: PodObj, source: ServiceAccountTokenProjection): string | undefined;
}

export interface NodeFacts {
  hostIP: string;
  nodeName: string;
  /** allocatable cpu (cores) and memory (bytes): what a missing limit means to resourceFieldRef */
  allocatable: { cpu: Quantity; memory: Quantity; 'ephemeral-storage'?: Quantity };
  /** for Burstable pods' OOM score */
  memoryCapacityBytes: number;
}

// ---- hashing ----------------------------------------------------------------------------------

/** The container spec's hash (kubelet's HashContainer): a changed container is restarted. */
export function containerHash(c: PodContainer): string {
  // a pod's container objects do not change once read (informer caches hand out the same object)
  let h = hashes.get(c);
  if (h === undefined) hashes.set(c, (h = fnv32a(JSON.stringify(c)).toString(16)));
  return h;
}
const hashes = new WeakMap<PodContainer, string>();

// ---- the sandbox ------------------------------------------------------------------------------

export function podLabels(pod: PodObj): Record<string, string> {
  return { ...(pod.metadata.labels ?? {}), [LABEL_POD_NAME]: pod.metadata.name!, [LABEL_POD_NAMESPACE]: pod.metadata.namespace!, [LABEL_POD_UID]: pod.metadata.uid! };
}

/** The pod's hostname: spec.hostname, else its name, cut to 63 characters (truncatePodHostnameIfNeeded). */
export function podHostname(pod: PodObj): string {
  let h = pod.spec?.hostname || pod.metadata.name!;
  if (h.length > 63) h = h.slice(0, 63).replace(/[-.]+$/, '');
  return h;
}

export function sandboxConfig(pod: PodObj, attempt: number): PodSandboxConfig {
  const spec = pod.spec ?? { containers: [] };
  const dns = spec.dnsPolicy === 'None' || spec.dnsConfig ? spec.dnsConfig : undefined;
  return {
    metadata: { name: pod.metadata.name!, namespace: pod.metadata.namespace!, uid: pod.metadata.uid!, attempt },
    hostname: podHostname(pod),
    ...(dns ? { dnsConfig: { servers: dns.nameservers ?? [], searches: dns.searches ?? [], options: (dns.options ?? []).map((o) => (o.value !== undefined ? `${o.name}:${o.value}` : o.name ?? '')) } } : {}),
    portMappings: spec.containers.flatMap((c) =>
      (c.ports ?? []).map((p) => ({ protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP', containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp: p.hostIP ?? '' })),
    ),
    labels: podLabels(pod),
    annotations: { ...(pod.metadata.annotations ?? {}) },
    hostNetwork: !!spec.hostNetwork,
    hostIPC: !!spec.hostIPC,
    hostPID: !!spec.hostPID,
    ...(spec.securityContext?.sysctls?.length ? { sysctls: Object.fromEntries(spec.securityContext.sysctls.map((s) => [s.name, s.value])) } : {}),
  };
}

/** The kubelet-managed /etc/hosts (managedHostsFileContent). */
export function etcHosts(pod: PodObj, podIPs: string[]): string {
  const lines = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'fe00::0\tip6-mcastprefix',
    'fe00::1\tip6-allnodes',
    'fe00::2\tip6-allrouters',
  ];
  const host = podHostname(pod);
  const sub = pod.spec?.subdomain;
  for (const ip of podIPs) lines.push(sub ? `${ip}\t${host}.${sub}.${pod.metadata.namespace}.svc.cluster.local\t${host}` : `${ip}\t${host}`);
  const aliases = pod.spec?.hostAliases ?? [];
  if (aliases.length) {
    lines.push('', '# Entries added by HostAliases.');
    for (const a of aliases) lines.push(`${a.ip}\t${(a.hostnames ?? []).join('\t')}`);
  }
  return lines.join('\n') + '\n';
}

// ---- the process --------------------------------------------------------------------------------

/**
 * $(VAR) expansion (third_party/forked/golang/expansion): $$ is a literal $, an undefined
 * $(VAR) stays as written, and anything else after $ is kept as is.
 */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const v = lookup(name);
      out += v === undefined ? `$(${name})` : v;
      i = close;
    } else {
      out += '$' + next;
      i++;
    }
  }
  return out;
}

/** The argv: the PodSpec's command/args over the image's entrypoint/cmd (containerd's getProcessArgs). */
export function processArgs(c: PodContainer, image: ImageInfo['config'], env: Map<string, string>): string[] {
  const lookup = (n: string) => env.get(n);
  let command = (c.command ?? []).map((s) => expand(s, lookup));
  let args = (c.args ?? []).map((s) => expand(s, lookup));
  if (command.length === 0) {
    if (args.length === 0) args = [...image.cmd];
    if (!(image.entrypoint.length === 1 && image.entrypoint[0] === '')) command = [...image.entrypoint];
  }
  const argv = [...command, ...args];
  if (argv.length === 0) throw new ConfigError('failed to generate container spec: no command specified', 'CreateContainerError');
  return argv;
}

const decode = (b64: string) => Buffer.from(b64, 'base64');

/** A pod field for fieldRef (podFieldSelectorRuntimeValue). */
export function podFieldValue(pod: PodObj, sel: ObjectFieldSelector, node: NodeFacts, podIPs: string[]): string {
  const path = sel.fieldPath;
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
  if (m) return (m[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations)?.[m[2]!] ?? '';
  switch (path) {
    case 'metadata.name':
      return pod.metadata.name ?? '';
    case 'metadata.namespace':
      return pod.metadata.namespace ?? '';
    case 'metadata.uid':
      return pod.metadata.uid ?? '';
    case 'metadata.labels':
      return formatMap(pod.metadata.labels);
    case 'metadata.annotations':
      return formatMap(pod.metadata.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? node.nodeName;
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return node.hostIP;
    case 'status.hostIPs':
      return node.hostIP;
    case 'status.podIP':
      return podIPs[0] ?? '';
    case 'status.podIPs':
      return podIPs.join(',');
  }
  throw new ConfigError(`unsupported fieldPath: ${path}`);
}

/** fieldpath.FormatMap: sorted key="value" lines, values quoted as Go's %q. */
function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${JSON.stringify(m![k])}`)
    .join('\n');
}

/** resourceFieldRef (ExtractContainerResourceValue): ceil(value / divisor); a missing limit is the node's allocatable. */
export function resourceFieldValue(pod: PodObj, sel: ResourceFieldSelector, containerName: string, node: NodeFacts): string {
  const c = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((x) => x.name === (sel.containerName || containerName));
  if (!c) throw new ConfigError(`failed to find container "${sel.containerName || containerName}" in pod ${pod.metadata.namespace}/${pod.metadata.name}`);
  const divisor = parseQuantity(String(sel.divisor ?? '1'));
  const [kind, res] = sel.resource.split('.', 2) as ['limits' | 'requests', string];
  const list = (kind === 'limits' ? c.resources?.limits : c.resources?.requests) ?? {};
  let q = list[res] !== undefined ? parseQuantity(String(list[res])) : undefined;
  if (!q && kind === 'limits') q = node.allocatable[res as 'cpu' | 'memory'];
  const ceilDiv = (a: bigint, b: bigint) => (b === 0n ? 0n : (a + b - 1n) / b);
  if (res === 'cpu') {
    const d = milliValue(divisor);
    return String(q ? ceilDiv(milliValue(q), d) : 0n);
  }
  if (res === 'memory' || res === 'ephemeral-storage' || res.startsWith('hugepages-')) return String(q ? ceilDiv(quantityValue(q), quantityValue(divisor)) : 0n);
  throw new ConfigError(`unsupported container resource : ${sel.resource}`);
}

/** The container's environment in order: envFrom, then env (makeEnvironmentVariables). */
export function environment(pod: PodObj, c: PodContainer, look: ConfigLookups, node: NodeFacts, podIPs: string[], serviceEnv: { key: string; value: string }[] = []): { key: string; value: string }[] {
  const ns = pod.metadata.namespace!;
  const env = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      const cm = look.configMap(ns, from.configMapRef.name ?? '');
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(prefix + k, v);
    } else if (from.secretRef) {
      const s = look.secret(ns, from.secretRef.name ?? '');
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(s.data ?? {})) env.set(prefix + k, decode(v).toString());
    }
  }
  // Service variables can be referenced by $(VAR) and are added last, unless the container defines them
  const services = new Map(serviceEnv.map((e) => [e.key, e.value]));
  const lookup = (n: string) => env.get(n) ?? services.get(n);
  for (const e of c.env ?? []) env.set(e.name, envValue(pod, c, e, look, node, podIPs, lookup));
  for (const [k, v] of services) if (!env.has(k)) env.set(k, v);
  return [...env].map(([key, value]) => ({ key, value }));
}

function envValue(pod: PodObj, c: PodContainer, e: EnvVar, look: ConfigLookups, node: NodeFacts, podIPs: string[], lookup: (n: string) => string | undefined): string {
  const ns = pod.metadata.namespace!;
  const from = e.valueFrom;
  if (!from) return expand(e.value ?? '', lookup);
  if (from.fieldRef) return podFieldValue(pod, from.fieldRef, node, podIPs);
  if (from.resourceFieldRef) return resourceFieldValue(pod, from.resourceFieldRef, c.name, node);
  if (from.configMapKeyRef) {
    const r = from.configMapKeyRef;
    const cm = look.configMap(ns, r.name ?? '');
    if (!cm) {
      if (r.optional) return '';
      throw new ConfigError(`configmap "${r.name}" not found`);
    }
    const v = cm.data?.[r.key] ?? (cm.binaryData?.[r.key] !== undefined ? decode(cm.binaryData[r.key]!).toString() : undefined);
    if (v === undefined) {
      if (r.optional) return '';
      throw new ConfigError(`couldn't find key ${r.key} in ConfigMap ${ns}/${r.name}`);
    }
    return v;
  }
  if (from.secretKeyRef) {
    const r = from.secretKeyRef;
    const s = look.secret(ns, r.name ?? '');
    if (!s) {
      if (r.optional) return '';
      throw new ConfigError(`secret "${r.name}" not found`);
    }
    const v = s.data?.[r.key];
    if (v === undefined) {
      if (r.optional) return '';
      throw new ConfigError(`couldn't find key ${r.key} in Secret ${ns}/${r.name}`);
    }
    return decode(v).toString();
  }
  return '';
}

// ---- resources and security --------------------------------------------------------------------

const MIN_SHARES = 2;
const MAX_SHARES = 262144;
const QUOTA_PERIOD = 100000;
const MIN_QUOTA_PERIOD = 1000;

/** cm.MilliCPUToShares. */
export function milliCPUToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, Math.floor((milli * 1024) / 1000)));
}

/** cm.MilliCPUToQuota. */
export function milliCPUToQuota(milli: number, period = QUOTA_PERIOD): number {
  if (milli === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD, Math.floor((milli * period) / 1000));
}

const q = (v: unknown) => (v === undefined ? undefined : parseQuantity(String(v)));

/** qos.GetContainerOOMScoreAdjust. */
export function oomScoreAdj(pod: PodObj, c: PodContainer, memoryCapacity: number): number {
  const cls = podQOSClass(pod.spec as never);
  if (cls === 'Guaranteed') return -997;
  if (cls === 'BestEffort') return 1000;
  const req = q(c.resources?.requests?.memory);
  const mem = req ? Number(quantityValue(req)) : 0;
  const adj = memoryCapacity > 0 ? 1000 - Math.floor((1000 * mem) / memoryCapacity) : 999;
  if (adj < 2) return 2;
  if (adj >= 1000) return 999;
  return adj;
}

export function resources(pod: PodObj, c: PodContainer, node: NodeFacts): ContainerConfig['linux']['resources'] {
  const cpuReq = q(c.resources?.requests?.cpu);
  const cpuLim = q(c.resources?.limits?.cpu);
  const memLim = q(c.resources?.limits?.memory);
  const reqMilli = cpuReq ? Number(milliValue(cpuReq)) : 0;
  const limMilli = cpuLim ? Number(milliValue(cpuLim)) : 0;
  return {
    cpuShares: milliCPUToShares(reqMilli === 0 && limMilli !== 0 ? limMilli : reqMilli),
    ...(limMilli ? { cpuQuota: milliCPUToQuota(limMilli), cpuPeriod: QUOTA_PERIOD } : {}),
    ...(memLim ? { memoryLimitInBytes: Number(quantityValue(memLim)) } : {}),
    oomScoreAdj: oomScoreAdj(pod, c, node.memoryCapacityBytes),
  };
}

export function securityContext(pod: PodObj, c: PodContainer): ContainerConfig['linux']['securityContext'] {
  const ps = pod.spec?.securityContext ?? {};
  const cs = c.securityContext ?? {};
  const runAsUser = cs.runAsUser ?? ps.runAsUser;
  const runAsGroup = cs.runAsGroup ?? ps.runAsGroup;
  const groups = [...(ps.supplementalGroups ?? []), ...(ps.fsGroup !== undefined ? [ps.fsGroup] : [])];
  const strip = (caps: string[] | undefined) => (caps ?? []).map((x) => (x.startsWith('CAP_') ? x : `CAP_${x}`));
  return {
    ...(runAsUser !== undefined ? { runAsUser } : {}),
    ...(runAsGroup !== undefined ? { runAsGroup } : {}),
    ...(groups.length ? { supplementalGroups: groups } : {}),
    privileged: !!cs.privileged,
    readonlyRootfs: !!cs.readOnlyRootFilesystem,
    capabilities: { addCapabilities: strip(cs.capabilities?.add), dropCapabilities: strip(cs.capabilities?.drop) },
    noNewPrivs: cs.allowPrivilegeEscalation === false,
  };
}

// ---- mounts -------------------------------------------------------------------------------------

/** Where each of the pod's volumes is on the host (the kubelet made them). */
export type VolumePaths = Record<string, string>;

export function mounts(pod: PodObj, c: PodContainer, volumes: VolumePaths, etcHostsPath: string | undefined): Mount[] {
  const out: Mount[] = [];
  for (const vm of c.volumeMounts ?? []) {
    const base = volumes[vm.name];
    if (base === undefined) throw new ConfigError(`cannot find volume "${vm.name}" to mount into container "${c.name}"`);
    const sub = vm.subPath ? vm.subPath : vm.subPathExpr ? expand(vm.subPathExpr, () => undefined) : '';
    if (sub.split('/').includes('..') || sub.startsWith('/')) throw new ConfigError(`failed to prepare subPath for volumeMount "${vm.name}" of container "${c.name}"`);
    const prop = vm.mountPropagation === 'Bidirectional' ? 'rshared' : vm.mountPropagation === 'HostToContainer' ? 'rslave' : 'private';
    out.push({ containerPath: vm.mountPath, hostPath: sub ? `${base}/${sub}` : base, readonly: !!vm.readOnly, propagation: prop });
  }
  // the kubelet's /etc/hosts, unless the container mounts its own
  if (etcHostsPath && !out.some((m) => m.containerPath === '/etc/hosts')) out.push({ containerPath: '/etc/hosts', hostPath: etcHostsPath, readonly: false });
  return out;
}

// ---- the whole container ------------------------------------------------------------------------

export interface ContainerInputs {
  pod: PodObj;
  container: PodContainer;
  kind: 'init' | 'app' | 'ephemeral';
  /** An ephemeral container's target: the runtime ID of the container whose PID namespace it joins. */
  targetId?: string;
  attempt: number;
  image: ImageInfo;
  lookups: ConfigLookups;
  node: NodeFacts;
  podIPs: string[];
  volumes: VolumePaths;
  etcHostsPath?: string;
  /** The Service environment variables (envvars.ts). */
  serviceEnv?: { key: string; value: string }[];
}

export function containerConfig(i: ContainerInputs): ContainerConfig {
  const { pod, container: c } = i;
  const envs = environment(pod, c, i.lookups, i.node, i.podIPs, i.serviceEnv);
  const env = new Map(envs.map((e) => [e.key, e.value]));
  const argv = processArgs(c, i.image.config, env);
  return {
    metadata: { name: c.name, attempt: i.attempt },
    image: c.image ?? '',
    command: argv,
    args: [],
    workingDir: c.workingDir ?? '',
    envs,
    mounts: mounts(pod, c, i.volumes, i.etcHostsPath),
    labels: { [LABEL_POD_NAME]: pod.metadata.name!, [LABEL_POD_NAMESPACE]: pod.metadata.namespace!, [LABEL_POD_UID]: pod.metadata.uid!, [LABEL_CONTAINER_NAME]: c.name, [LABEL_CONTAINER_KIND]: i.kind },
    annotations: {
      [ANNOTATION_CONTAINER_HASH]: containerHash(c),
      [ANNOTATION_RESTART_COUNT]: String(i.attempt),
      [ANNOTATION_TERMINATION_MESSAGE_PATH]: c.terminationMessagePath ?? '/dev/termination-log',
      [ANNOTATION_TERMINATION_MESSAGE_POLICY]: c.terminationMessagePolicy ?? 'File',
      [ANNOTATION_TERMINATION_GRACE]: String(pod.spec?.terminationGracePeriodSeconds ?? 30),
    },
    stdin: !!c.stdin,
    stdinOnce: !!c.stdinOnce,
    tty: !!c.tty,
    linux: {
      resources: resources(pod, c, i.node),
      securityContext: {
        ...securityContext(pod, c),
        ...(c.securityContext?.runAsUser === undefined && pod.spec?.securityContext?.runAsUser === undefined && i.image.config.user ? { runAsUsername: i.image.config.user.split(':')[0]! } : {}),
        ...(i.targetId ? { namespaceOptions: { pid: 'TARGET' as const, targetId: i.targetId } } : {}),
      },
    },
    ...(i.image.config.stopSignal ? { stopSignal: i.image.config.stopSignal } : {}),
  };
}

// ---- volume contents ----------------------------------------------------------------------------

/** One file of a volume: a path inside it, its bytes and mode. */
export interface VolumeFile {
  path: string;
  data: Buffer;
  mode: number;
}

export type VolumePlan =
  | { kind: 'emptyDir'; medium: 'Memory' | ''; sizeLimitBytes?: number }
  | { kind: 'hostPath'; path: string; type: string }
  /** A set of files, written atomically (configMap, secret, downwardAPI, projected). */
  | { kind: 'files'; plugin: 'configmap' | 'secret' | 'downward-api' | 'projected'; files: VolumeFile[]; tmpfs: boolean };

const DEFAULT_MODE = 0o644;

function keyFiles(items: { key: string; path: string; mode?: number }[] | undefined, data: Record<string, Buffer>, mode: number, what: string, optional: boolean): VolumeFile[] {
  if (!items || items.length === 0) return Object.entries(data).map(([k, v]) => ({ path: k, data: v, mode }));
  const out: VolumeFile[] = [];
  for (const it of items) {
    const v = data[it.key];
    if (v === undefined) {
      if (optional) continue;
      throw new ConfigError(`configmap references non-existent config key: ${it.key}`.replace('configmap', what));
    }
    out.push({ path: it.path, data: v, mode: it.mode ?? mode });
  }
  return out;
}

function configMapData(cm: ConfigMap): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(cm.data ?? {})) out[k] = Buffer.from(v);
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = decode(v);
  return out;
}

function secretData(s: Secret): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = decode(v);
  return out;
}

function downwardFiles(pod: PodObj, items: { path: string; fieldRef?: ObjectFieldSelector; resourceFieldRef?: ResourceFieldSelector; mode?: number }[], mode: number, node: NodeFacts, podIPs: string[]): VolumeFile[] {
  return items.map((it) => {
    let v = '';
    if (it.fieldRef) v = podFieldValue(pod, it.fieldRef, node, podIPs);
    else if (it.resourceFieldRef) v = resourceFieldValue(pod, it.resourceFieldRef, it.resourceFieldRef.containerName ?? '', node);
    return { path: it.path, data: Buffer.from(v), mode: it.mode ?? mode };
  });
}

/** What one volume of the pod is; throws ConfigError with the mount failure upstream reports. */
export function volumePlan(pod: PodObj, v: Volume, look: ConfigLookups, node: NodeFacts, podIPs: string[]): VolumePlan {
  const ns = pod.metadata.namespace!;
  if (v.emptyDir) {
    const size = v.emptyDir.sizeLimit !== undefined ? Number(quantityValue(parseQuantity(String(v.emptyDir.sizeLimit)))) : undefined;
    return { kind: 'emptyDir', medium: v.emptyDir.medium === 'Memory' ? 'Memory' : '', ...(size ? { sizeLimitBytes: size } : {}) };
  }
  if (v.hostPath) return { kind: 'hostPath', path: v.hostPath.path, type: v.hostPath.type ?? '' };
  if (v.configMap) {
    const name = v.configMap.name ?? '';
    const cm = look.configMap(ns, name);
    if (!cm) {
      if (v.configMap.optional) return { kind: 'files', plugin: 'configmap', files: [], tmpfs: false };
      throw new ConfigError(`configmap "${name}" not found`, 'FailedMount');
    }
    return { kind: 'files', plugin: 'configmap', files: keyFiles(v.configMap.items, configMapData(cm), v.configMap.defaultMode ?? DEFAULT_MODE, 'configmap', !!v.configMap.optional), tmpfs: false };
  }
  if (v.secret) {
    const name = v.secret.secretName ?? '';
    const s = look.secret(ns, name);
    if (!s) {
      if (v.secret.optional) return { kind: 'files', plugin: 'secret', files: [], tmpfs: true };
      throw new ConfigError(`secret "${name}" not found`, 'FailedMount');
    }
    return { kind: 'files', plugin: 'secret', files: keyFiles(v.secret.items, secretData(s), v.secret.defaultMode ?? DEFAULT_MODE, 'secret', !!v.secret.optional), tmpfs: true };
  }
  if (v.downwardAPI) return { kind: 'files', plugin: 'downward-api', files: downwardFiles(pod, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode ?? DEFAULT_MODE, node, podIPs), tmpfs: false };
  if (v.projected) {
    const mode = v.projected.defaultMode ?? DEFAULT_MODE;
    const files: VolumeFile[] = [];
    for (const src of v.projected.sources ?? []) {
      if (src.configMap) {
        const cm = look.configMap(ns, src.configMap.name ?? '');
        if (!cm) {
          if (src.configMap.optional) continue;
          throw new ConfigError(`configmap "${src.configMap.name}" not found`, 'FailedMount');
        }
        files.push(...keyFiles(src.configMap.items, configMapData(cm), mode, 'configmap', !!src.configMap.optional));
      } else if (src.secret) {
        const s = look.secret(ns, src.secret.name ?? '');
        if (!s) {
          if (src.secret.optional) continue;
          throw new ConfigError(`secret "${src.secret.name}" not found`, 'FailedMount');
        }
        files.push(...keyFiles(src.secret.items, secretData(s), mode, 'secret', !!src.secret.optional));
      } else if (src.downwardAPI) {
        files.push(...downwardFiles(pod, src.downwardAPI.items ?? [], mode, node, podIPs));
      } else if (src.serviceAccountToken) {
        const token = look.serviceAccountToken?.(pod, src.serviceAccountToken);
        if (token === undefined) throw new ConfigError(`failed to fetch token: no token for service account "${pod.spec?.serviceAccountName ?? ''}"`, 'FailedMount');
        // upstream writes it 0600 under an fsGroup and then hands the volume to the group (0640);
        // this kubelet changes no volume's ownership, so the token keeps the volume's mode
        files.push({ path: src.serviceAccountToken.path, data: Buffer.from(token), mode });
      }
    }
    return { kind: 'files', plugin: 'projected', files, tmpfs: true };
  }
  if (v.persistentVolumeClaim) throw new ConfigError(`persistentVolumeClaim volumes are not supported by this kubelet yet (volume "${v.name}")`, 'FailedMount');
  throw new ConfigError(`volume "${v.name}" has a type this kubelet does not support`, 'FailedMount');
}

/** The directory name upstream gives each volume plugin under pods/<uid>/volumes/. */
export function pluginDir(v: Volume): string {
  if (v.emptyDir) return 'kubernetes.io~empty-dir';
  if (v.configMap) return 'kubernetes.io~configmap';
  if (v.secret) return 'kubernetes.io~secret';
  if (v.downwardAPI) return 'kubernetes.io~downward-api';
  if (v.projected) return 'kubernetes.io~projected';
  return 'kubernetes.io~other';
}
