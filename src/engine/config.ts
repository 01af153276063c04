// The container configuration the Docker API carries (container.Config, HostConfig,
// NetworkingConfig) and dockerd's create-time checks on it (daemon/container.go,
// daemon/daemon_unix.go verifyPlatformContainerResources), pure.
import type { ContainerConfig } from './images.js';
import type { MountSpec } from './mounts.js';
import { conflict, invalidParameter } from './errors.js';
import { validateRestartPolicy, type RestartPolicy } from './restart.js';
import { parseSignal } from './signals.js';

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface HostConfig {
  Binds?: string[] | null;
  ContainerIDFile?: string;
  LogConfig?: { Type?: string; Config?: Record<string, string> };
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[] | null> | null;
  RestartPolicy?: RestartPolicy;
  AutoRemove?: boolean;
  VolumeDriver?: string;
  VolumesFrom?: string[] | null;
  Mounts?: MountSpec[] | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  CgroupnsMode?: string;
  Dns?: string[] | null;
  DnsOptions?: string[] | null;
  DnsSearch?: string[] | null;
  ExtraHosts?: string[] | null;
  GroupAdd?: string[] | null;
  IpcMode?: string;
  Cgroup?: string;
  Links?: string[] | null;
  OomScoreAdj?: number;
  PidMode?: string;
  Privileged?: boolean;
  PublishAllPorts?: boolean;
  ReadonlyRootfs?: boolean;
  SecurityOpt?: string[] | null;
  StorageOpt?: Record<string, string> | null;
  Tmpfs?: Record<string, string> | null;
  UTSMode?: string;
  UsernsMode?: string;
  ShmSize?: number;
  Sysctls?: Record<string, string> | null;
  Runtime?: string;
  ConsoleSize?: [number, number];
  Isolation?: string;
  CpuShares?: number;
  Memory?: number;
  NanoCpus?: number;
  CgroupParent?: string;
  BlkioWeight?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  CpuRealtimePeriod?: number;
  CpuRealtimeRuntime?: number;
  CpusetCpus?: string;
  CpusetMems?: string;
  Devices?: unknown[] | null;
  DeviceCgroupRules?: string[] | null;
  DeviceRequests?: unknown[] | null;
  KernelMemory?: number;
  MemoryReservation?: number;
  MemorySwap?: number;
  MemorySwappiness?: number | null;
  OomKillDisable?: boolean | null;
  PidsLimit?: number | null;
  Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  Init?: boolean | null;
  MaskedPaths?: string[] | null;
  ReadonlyPaths?: string[] | null;
}

export interface EndpointSettings {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  NetworkID?: string;
}

export interface CreateRequest {
  name?: string;
  config: ContainerConfig;
  hostConfig?: HostConfig;
  networkingConfig?: { EndpointsConfig?: Record<string, EndpointSettings | null> } | null;
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** The CPUs and memory nodes the host's cpuset offers (cpuset.cpus, cpuset.mems). */
export interface CpusetAvailable {
  cpus: string;
  mems: string;
}

/** parsers.ParseUintListMaximum: "0-2,4" → {0,1,2,4}. */
export function parseUintList(val: string, maximum = 0): Set<number> {
  const out = new Set<number>();
  if (val === '') return out;
  const bad = new Error(`invalid format: ${val}`);
  const int = (x: string) => {
    if (!/^[+-]?\d+$/.test(x)) throw bad;
    return Number(x);
  };
  for (const r of val.split(',')) {
    const i = r.indexOf('-');
    const [lo, hi] = i < 0 ? [int(r), int(r)] : [int(r.slice(0, i)), int(r.slice(i + 1))];
    if (hi < lo) throw bad;
    if (maximum !== 0 && hi > maximum) throw new Error(`value of out range, maximum is ${maximum}`);
    for (let n = lo; n <= hi; n++) out.add(n);
  }
  return out;
}

/** sysinfo.isCpusetListAvailable, with verifyPlatformContainerResources' messages. */
function checkCpuset(provided: string | undefined, available: string, what: 'cpus' | 'mems'): void {
  if (!provided) return;
  let ok: boolean;
  try {
    const have = parseUintList(available);
    const max = Math.max(8192, ...have);
    ok = [...parseUintList(provided, max)].every((n) => have.has(n));
  } catch (e) {
    throw invalidParameter(`Invalid value ${provided} for cpuset ${what}: ${(e as Error).message}`);
  }
  if (!ok) {
    throw invalidParameter(what === 'cpus' ? `Requested CPUs are not available - requested ${provided}, available: ${available}` : `Requested memory nodes are not available - requested ${provided}, available: ${available}`);
  }
}

/** The checks dockerd runs on a new container's configuration, with its messages. */
export function validateCreate(c: ContainerConfig, h: HostConfig, numCPU: number, cpuset?: CpusetAvailable): string[] {
  const warnings: string[] = [];
  if (c.StopSignal) parseSignal(c.StopSignal);
  for (const e of c.Env ?? []) {
    if (e === '' || e.startsWith('=')) throw invalidParameter(`invalid environment variable: ${e}`);
  }
  if (c.WorkingDir && !c.WorkingDir.startsWith('/')) {
    throw invalidParameter(`the working directory '${c.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  if (h.AutoRemove && h.RestartPolicy && h.RestartPolicy.Name !== '' && h.RestartPolicy.Name !== 'no') {
    throw invalidParameter("can't create 'AutoRemove' container with restart policy");
  }
  for (const [port, bindings] of Object.entries(h.PortBindings ?? {})) {
    const portStr = port.split('/')[0]!;
    if (!validPortSpec(portStr)) throw invalidParameter(`invalid port specification: "${portStr}"`);
    for (const b of bindings ?? []) {
      const hp = (b.HostPort ?? '').split('/')[0]!;
      if (hp !== '' && !validPortSpec(hp)) throw invalidParameter(`invalid port specification: "${b.HostPort}"`);
    }
  }
  validateRestartPolicy(h.RestartPolicy);
  const mem = h.Memory ?? 0;
  if (mem !== 0 && mem < MIN_MEMORY) throw invalidParameter('Minimum memory limit allowed is 6MB');
  const swap = h.MemorySwap ?? 0;
  if (mem > 0 && swap > 0 && swap < mem) throw invalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  if (mem === 0 && swap > 0) throw invalidParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  const sw = h.MemorySwappiness;
  if (sw !== undefined && sw !== null && sw !== -1 && (sw < 0 || sw > 100)) {
    throw invalidParameter(`Invalid value: ${sw}, valid memory swappiness range is 0-100`);
  }
  const res = h.MemoryReservation ?? 0;
  if (res !== 0 && res < MIN_MEMORY) throw invalidParameter('Minimum memory reservation allowed is 6MB');
  if (mem > 0 && res > 0 && mem < res) throw invalidParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
  const nano = h.NanoCpus ?? 0;
  if (nano > 0 && (h.CpuPeriod ?? 0) > 0) throw invalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && (h.CpuQuota ?? 0) > 0) throw invalidParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || nano > numCPU * 1e9) {
    throw invalidParameter(`Range of CPUs is from 0.01 to ${numCPU}.00, as there are only ${numCPU} CPUs available`);
  }
  if (cpuset) {
    checkCpuset(h.CpusetCpus, cpuset.cpus, 'cpus');
    checkCpuset(h.CpusetMems, cpuset.mems, 'mems');
  }
  const period = h.CpuPeriod ?? 0;
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw invalidParameter('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  const quota = h.CpuQuota ?? 0;
  if (quota > 0 && quota < 1000) throw invalidParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((h.CpuShares ?? 0) < 0) throw invalidParameter('shares: invalid argument');
  const bw = h.BlkioWeight ?? 0;
  if (bw > 0 && (bw < 10 || bw > 1000)) throw invalidParameter('Range of blkio weight is from 10 to 1000');
  if ((h.ShmSize ?? 0) < 0) throw invalidParameter('SHM size can not be less than 0');
  const oom = h.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) throw invalidParameter(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  if (h.Runtime && h.Runtime !== 'runc') throw invalidParameter(`Unknown runtime specified ${h.Runtime}`);
  for (const eh of h.ExtraHosts ?? []) {
    const i = eh.indexOf(':');
    if (i <= 0 || eh.slice(i + 1) === '') throw invalidParameter(`invalid IP address in add-host: "${eh.slice(i + 1)}"`);
  }
  const log = h.LogConfig?.Type;
  if (log && log !== 'json-file' && log !== 'local' && log !== 'none') {
    throw invalidParameter(`logger: no log driver named '${log}' is registered`);
  }
  return warnings;
}

/**
 * docker update's merge (Container.UpdateContainer): the resources and restart policy an update
 * names replace the container's, the rest stays; CPU limits set one way (--cpus, or period and
 * quota) cannot be changed the other way, and a memory limit above the swap limit needs the swap
 * limit too. Returns the new HostConfig, or throws dockerd's conflict.
 */
export function updateHostConfig(current: HostConfig, u: HostConfig): HostConfig {
  const h: HostConfig = { ...current };
  const refuse = (m: string) => {
    throw conflict(m);
  };
  if ((u.NanoCpus ?? 0) > 0 && (h.CpuPeriod ?? 0) > 0) refuse('Conflicting options: Nano CPUs cannot be updated as CPU Period has already been set');
  if ((u.NanoCpus ?? 0) > 0 && (h.CpuQuota ?? 0) > 0) refuse('Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((u.CpuPeriod ?? 0) > 0 && (h.NanoCpus ?? 0) > 0) refuse('Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set');
  if ((u.CpuQuota ?? 0) > 0 && (h.NanoCpus ?? 0) > 0) refuse('Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set');
  for (const k of ['BlkioWeight', 'CpuShares', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'MemoryReservation', 'KernelMemory', 'CpuRealtimePeriod', 'CpuRealtimeRuntime'] as const) {
    if (u[k]) h[k] = u[k];
  }
  if (u.CpusetCpus) h.CpusetCpus = u.CpusetCpus;
  if (u.CpusetMems) h.CpusetMems = u.CpusetMems;
  if (u.Memory) {
    if (u.Memory > (h.MemorySwap ?? 0) && !u.MemorySwap) refuse('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    h.Memory = u.Memory;
  }
  if (u.MemorySwap) h.MemorySwap = u.MemorySwap;
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) h.PidsLimit = u.PidsLimit;
  if (u.RestartPolicy?.Name) {
    if (h.AutoRemove && u.RestartPolicy.Name !== 'no') refuse('Restart policy cannot be updated because AutoRemove is enabled for the container');
    h.RestartPolicy = { Name: u.RestartPolicy.Name, MaximumRetryCount: u.RestartPolicy.MaximumRetryCount ?? 0 };
  }
  return h;
}

/** The OCI resources an update changes on a running container (toContainerdResources): only what it names. */
export function updateResources(u: HostConfig): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  if (u.BlkioWeight) r['blockIO'] = { weight: u.BlkioWeight };
  const cpu: Record<string, unknown> = {};
  if (u.CpusetCpus) cpu['cpus'] = u.CpusetCpus;
  if (u.CpusetMems) cpu['mems'] = u.CpusetMems;
  if (u.CpuShares) cpu['shares'] = u.CpuShares;
  let period = 0;
  let quota = 0;
  if (u.NanoCpus) {
    period = 100000;
    quota = Math.floor((u.NanoCpus * period) / 1e9);
  }
  if (quota === 0 && u.CpuQuota) quota = u.CpuQuota;
  if (period === 0 && u.CpuPeriod) period = u.CpuPeriod;
  if (period) cpu['period'] = period;
  if (quota) cpu['quota'] = quota;
  if (Object.keys(cpu).length) r['cpu'] = cpu;
  const memory: Record<string, number> = {};
  if (u.Memory) memory['limit'] = u.Memory;
  if (u.MemoryReservation) memory['reservation'] = u.MemoryReservation;
  if ((u.MemorySwap ?? 0) > 0) memory['swap'] = u.MemorySwap!;
  if (Object.keys(memory).length) r['memory'] = memory;
  // the API's 0 and negative values unset the limit, which runc takes as -1
  if (u.PidsLimit !== undefined && u.PidsLimit !== null) r['pids'] = { limit: u.PidsLimit <= 0 ? -1 : u.PidsLimit };
  return r;
}

function validPortSpec(p: string): boolean {
  const m = /^(\d+)(?:-(\d+))?$/.exec(p);
  if (!m) return false;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  return a >= 0 && a <= 65535 && b >= a && b <= 65535;
}

/** Docker's container name rule. */
export const NAME_RE = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function validateName(name: string): string {
  if (!NAME_RE.test(name)) throw invalidParameter(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return name.startsWith('/') ? name : `/${name}`;
}

const ADJECTIVES = ['brisk', 'calm', 'clever', 'eager', 'fond', 'gentle', 'happy', 'jolly', 'keen', 'lucid', 'merry', 'nimble', 'proud', 'quiet', 'rapid', 'serene', 'steady', 'sunny', 'tidy', 'vivid', 'witty', 'zealous', 'bold', 'crisp', 'deft', 'frank', 'grand', 'hardy', 'loyal', 'plucky'];
const NAMES = ['babbage', 'curie', 'dijkstra', 'euler', 'faraday', 'gauss', 'hopper', 'hypatia', 'kepler', 'lamport', 'liskov', 'lovelace', 'maxwell', 'noether', 'pascal', 'ritchie', 'shannon', 'thompson', 'turing', 'wirth', 'knuth', 'milner', 'hoare', 'backus', 'perlman', 'hamilton', 'kahn', 'cerf', 'torvalds', 'goldberg'];

/** A random `adjective_name` container name, as dockerd generates one. */
export function generateName(random: () => number, taken: (n: string) => boolean): string {
  for (let i = 0; i < 10; i++) {
    const n = `${ADJECTIVES[Math.floor(random() * ADJECTIVES.length)]}_${NAMES[Math.floor(random() * NAMES.length)]}${i > 0 ? Math.floor(random() * 10) : ''}`;
    if (!taken(`/${n}`)) return n;
  }
  return `${ADJECTIVES[0]}_${Math.floor(random() * 1e9)}`;
}
