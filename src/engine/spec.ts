// Pure translation from a container's configuration to what runc needs: the merged create-time
// config (daemon/commit.go merge), the process (entrypoint + cmd, env, user), and the OCI runtime
// spec (oci/defaults.go plus the container's mounts, namespaces and cgroup resources).
import type { ContainerConfig } from './images.js';
import { invalidParameter } from './errors.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const DEFAULT_CAPS = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

const ALL_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
  'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
  'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
  'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
  'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
];

/** daemon/commit.go merge: what the container inherits from its image at create time. */
export function mergeConfig(user: ContainerConfig, image: ContainerConfig | undefined): ContainerConfig {
  const c: ContainerConfig = { ...user };
  if (!image) return c;
  if (!c.User) c.User = image.User ?? '';
  if (image.ExposedPorts) c.ExposedPorts = { ...image.ExposedPorts, ...(c.ExposedPorts ?? {}) };
  if (!c.Env || c.Env.length === 0) c.Env = image.Env ? [...image.Env] : c.Env ?? null;
  else if (image.Env) {
    // the user's variables first, then the image's that they do not override (dockerd's merge)
    const keys = new Set(c.Env.map((e) => e.split('=')[0]));
    c.Env = [...c.Env, ...image.Env.filter((e) => !keys.has(e.split('=')[0]))];
  }
  if (image.Labels) c.Labels = { ...image.Labels, ...(c.Labels ?? {}) };
  if (!c.Entrypoint || c.Entrypoint.length === 0) {
    if (!c.Cmd || c.Cmd.length === 0) {
      c.Cmd = image.Cmd ?? null;
      if (image.ArgsEscaped !== undefined) c.ArgsEscaped = image.ArgsEscaped;
    }
    if (c.Entrypoint === null || c.Entrypoint === undefined) c.Entrypoint = image.Entrypoint ?? null;
  }
  if (c.Entrypoint && c.Entrypoint.length === 1 && c.Entrypoint[0] === '') c.Entrypoint = null;
  if (!c.WorkingDir) c.WorkingDir = image.WorkingDir ?? '';
  if (image.Volumes) c.Volumes = { ...image.Volumes, ...(c.Volumes ?? {}) };
  if (!c.StopSignal && image.StopSignal) c.StopSignal = image.StopSignal;
  if ((!c.OnBuild || c.OnBuild.length === 0) && image.OnBuild) c.OnBuild = image.OnBuild;
  if (!c.Healthcheck && image.Healthcheck) c.Healthcheck = image.Healthcheck;
  if (!c.Shell && image.Shell) c.Shell = image.Shell;
  return c;
}

/** getEntrypointAndArgs: the process the container runs. */
export function entrypointAndArgs(c: ContainerConfig): { path: string; args: string[] } {
  const ep = c.Entrypoint ?? [];
  const cmd = c.Cmd ?? [];
  if (ep.length === 0 && cmd.length === 0) throw invalidParameter('No command specified');
  if (ep.length === 0) return { path: cmd[0]!, args: cmd.slice(1) };
  return { path: ep[0]!, args: [...ep.slice(1), ...cmd] };
}

/** The process environment: dockerd's defaults (PATH, HOSTNAME, TERM) overridden by the config. */
export function processEnv(configEnv: string[] | null | undefined, hostname: string, tty: boolean): string[] {
  const base = [DEFAULT_PATH, `HOSTNAME=${hostname}`];
  if (tty) base.push('TERM=xterm');
  const out = [...base];
  for (const e of configEnv ?? []) {
    const k = e.split('=')[0];
    const i = out.findIndex((x) => x.split('=')[0] === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

// ---- users ------------------------------------------------------------------------------------

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 4 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }));
}

export function parseGroup(text: string): GroupEntry[] {
  return text
    .split('\n')
    .map((l) => l.split(':'))
    .filter((f) => f.length >= 3 && !f[0]!.startsWith('#'))
    .map((f) => ({ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }));
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

const isNum = (s: string) => /^[0-9]+$/.test(s);

/** user.GetExecUser: `name|uid[:group|gid]` against the container's passwd and group files. */
export function resolveUser(spec: string, passwd: PasswdEntry[], groups: GroupEntry[]): ResolvedUser {
  const [u = '', g] = spec.split(':', 2) as [string, string | undefined];
  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  if (u === '') {
    const root = passwd.find((p) => p.uid === 0);
    name = root?.name;
    home = root?.home ?? '/';
  } else {
    const byName = passwd.find((p) => p.name === u);
    const byUid = isNum(u) ? passwd.find((p) => p.uid === Number(u)) : undefined;
    const hit = byName ?? byUid;
    if (hit) {
      uid = hit.uid;
      gid = hit.gid;
      home = hit.home;
      name = hit.name;
    } else if (isNum(u)) {
      uid = Number(u);
    } else {
      throw invalidParameter(`unable to find user ${u}: no matching entries in passwd file`);
    }
  }
  if (g !== undefined && g !== '') {
    const grp = groups.find((x) => x.name === g) ?? (isNum(g) ? { gid: Number(g) } : undefined);
    if (!grp) throw invalidParameter(`unable to find group ${g}: no matching entries in group file`);
    gid = grp.gid;
  }
  // the primary group is a supplementary group too, as it is under dockerd
  const additionalGids = [gid, ...(name ? groups.filter((x) => x.members.includes(name!) && x.gid !== gid).map((x) => x.gid) : [])];
  return { uid, gid, additionalGids, home };
}

// ---- the OCI runtime spec ------------------------------------------------------------------------

export interface OciMount {
  destination: string;
  type: string;
  source: string;
  options?: string[];
}

export interface Resources {
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  cpuShares?: number;
  cpuQuota?: number;
  cpuPeriod?: number;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: number;
  blkioWeight?: number;
}

export type NamespaceMode = { kind: 'new' } | { kind: 'host' } | { kind: 'path'; path: string };

export interface SpecInput {
  root: string;
  readonlyRootfs: boolean;
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  tty: boolean;
  hostname: string;
  mounts: OciMount[];
  /** the root filesystem as a mount at "/" (overlayfs) that runc makes before the others */
  rootOverlay?: OciMount;
  network: NamespaceMode;
  ipc: NamespaceMode;
  pid: NamespaceMode;
  uts: NamespaceMode;
  cgroupsPath: string;
  resources: Resources;
  capAdd: string[];
  capDrop: string[];
  privileged: boolean;
  shmSize: number;
  sysctls: Record<string, string>;
  oomScoreAdj?: number;
  noNewPrivileges?: boolean;
}

const normCap = (c: string) => (c.toUpperCase().startsWith('CAP_') ? c.toUpperCase() : `CAP_${c.toUpperCase()}`);

/** caps.TweakCapabilities: the default set with --cap-add/--cap-drop ("ALL" allowed) applied. */
export function capabilities(add: string[], drop: string[], privileged: boolean): string[] {
  if (privileged) return [...ALL_CAPS];
  const addN = add.map(normCap);
  const dropN = drop.map(normCap);
  for (const c of [...addN, ...dropN]) {
    if (c !== 'CAP_ALL' && !ALL_CAPS.includes(c)) throw invalidParameter(`unknown capability: "${c}"`);
  }
  let caps = addN.includes('CAP_ALL') ? [...ALL_CAPS] : [...DEFAULT_CAPS];
  if (dropN.includes('CAP_ALL')) caps = [];
  caps = caps.filter((c) => !dropN.includes(c));
  for (const c of addN) if (c !== 'CAP_ALL' && !caps.includes(c)) caps.push(c);
  return caps;
}

function ns(type: string, mode: NamespaceMode): { type: string; path?: string } | undefined {
  if (mode.kind === 'host') return undefined;
  if (mode.kind === 'path') return { type, path: mode.path };
  return { type };
}

const DEFAULT_MOUNTS = (shmSize: number): OciMount[] => [
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
  { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
  { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${Math.floor(shmSize / 1024)}k`] },
];

const MASKED = ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'];
const READONLY = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

const DEVICE_RULES = [
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  // /dev/pts/*: the container's own ptys (runc adds it too; dockerd's spec relies on that)
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
];

/** Sorts mounts so a parent is mounted before anything inside it (volumes.sortMounts). */
export function sortMounts(ms: OciMount[]): OciMount[] {
  const depth = (m: OciMount) => m.destination.replace(/\/+$/, '').split('/').length;
  return [...ms].sort((a, b) => depth(a) - depth(b));
}

export function runtimeSpec(i: SpecInput): Record<string, unknown> {
  const caps = capabilities(i.capAdd, i.capDrop, i.privileged);
  const userDest = new Set(i.mounts.map((m) => m.destination));
  const mounts = [
    ...(i.rootOverlay ? [i.rootOverlay] : []),
    ...DEFAULT_MOUNTS(i.shmSize).filter((m) => !userDest.has(m.destination) && !(i.ipc.kind === 'host' && m.destination === '/dev/shm')),
    ...sortMounts(i.mounts),
  ];
  if (i.privileged) {
    for (const m of mounts) if (m.type === 'sysfs' || m.type === 'cgroup') m.options = (m.options ?? []).filter((o) => o !== 'ro');
  }
  const namespaces = [
    { type: 'mount' },
    ns('network', i.network),
    ns('uts', i.uts),
    ns('pid', i.pid),
    ns('ipc', i.ipc),
  ].filter((x): x is { type: string; path?: string } => x !== undefined);
  const r = i.resources;
  const resources: Record<string, unknown> = { devices: i.privileged ? [{ allow: true, access: 'rwm' }] : DEVICE_RULES };
  const memory: Record<string, number> = {};
  if (r.memory) memory['limit'] = r.memory;
  if (r.memorySwap) memory['swap'] = r.memorySwap;
  if (r.memoryReservation) memory['reservation'] = r.memoryReservation;
  if (Object.keys(memory).length) resources['memory'] = memory;
  const cpu: Record<string, number | string> = {};
  if (r.cpuShares) cpu['shares'] = r.cpuShares;
  if (r.cpuQuota) cpu['quota'] = r.cpuQuota;
  if (r.cpuPeriod) cpu['period'] = r.cpuPeriod;
  if (r.cpusetCpus) cpu['cpus'] = r.cpusetCpus;
  if (r.cpusetMems) cpu['mems'] = r.cpusetMems;
  if (Object.keys(cpu).length) resources['cpu'] = cpu;
  if (r.pidsLimit && r.pidsLimit > 0) resources['pids'] = { limit: r.pidsLimit };
  if (r.blkioWeight) resources['blockIO'] = { weight: r.blkioWeight };
  const process: Record<string, unknown> = {
    terminal: i.tty,
    user: { uid: i.user.uid, gid: i.user.gid, ...(i.user.additionalGids.length ? { additionalGids: i.user.additionalGids } : {}) },
    args: i.args,
    env: i.env,
    cwd: i.cwd,
    capabilities: { bounding: caps, effective: caps, permitted: caps },
    noNewPrivileges: i.noNewPrivileges ?? false,
  };
  if (i.oomScoreAdj !== undefined) process['oomScoreAdj'] = i.oomScoreAdj;
  const linux: Record<string, unknown> = {
    resources,
    cgroupsPath: i.cgroupsPath,
    namespaces,
    sysctl: i.sysctls,
  };
  if (!i.privileged) {
    linux['maskedPaths'] = MASKED;
    linux['readonlyPaths'] = READONLY;
  }
  const spec: Record<string, unknown> = {
    ociVersion: '1.0.2-dev',
    process,
    root: { path: i.root, readonly: i.readonlyRootfs },
    mounts,
    linux,
  };
  if (i.uts.kind !== 'host') spec['hostname'] = i.hostname;
  return spec;
}

/** The process spec `runc exec --process` takes for docker exec. */
export function execProcessSpec(p: { args: string[]; env: string[]; cwd: string; user: ResolvedUser; tty: boolean; caps: string[]; noNewPrivileges?: boolean }): Record<string, unknown> {
  return {
    terminal: p.tty,
    user: { uid: p.user.uid, gid: p.user.gid, ...(p.user.additionalGids.length ? { additionalGids: p.user.additionalGids } : {}) },
    args: p.args,
    env: p.env,
    cwd: p.cwd,
    capabilities: { bounding: p.caps, effective: p.caps, permitted: p.caps },
    noNewPrivileges: p.noNewPrivileges ?? false,
  };
}
