// Control groups on the host, laid out as runc's cgroupfs driver lays them out: a cgroup path
// ("/berth/<id>", "/berth/kubepods/burstable/pod<uid>") names one directory in every mounted
// hierarchy (each cgroup v1 controller's mount, the name=systemd one, the cgroup2 mount), an
// absolute path from the hierarchy's root and a relative one from the cgroup of the process that
// asks (runc: its own; on a pure cgroup v2 host, the parent of its own). The version is read from
// the mounts, at run time.
//
// The engine uses this to find a container's counters (stats, OOM kills) and to remove what runc
// left; the kubelet to create, size and remove its pod and QoS cgroups. The path arithmetic and
// the mapping of resources to cgroup files are pure (exported for tests); the rest reads and
// writes /sys/fs/cgroup.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';

// ---- paths (pure) ---------------------------------------------------------------------------------

/** Go's path.Clean: no "." or ".." elements, no trailing or doubled slashes ("" is "."). */
export function goClean(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** runc's utils.CleanPath: a relative path cannot climb out with "..", an absolute one is cleaned. */
export function cleanCgroupPath(p: string): string {
  if (p === '') return '';
  let c = goClean(p);
  if (!c.startsWith('/')) {
    c = goClean(`/${c}`).slice(1);
    if (c === '') c = '.';
  }
  return c;
}

/**
 * The cgroups path of a container as dockerd's cgroupfs driver makes it, filepath.Join(parent,
 * id), cleaned as runc cleans it: what runc creates, and what the engine reads and removes.
 */
export function containerCgroupsPath(parent: string, id: string): string {
  return cleanCgroupPath(goClean(parent === '' ? id : `${parent}/${id}`));
}

// ---- resources (pure) ---------------------------------------------------------------------------

/** What the kubelet sets on its own cgroups (cm.ResourceConfig, the part Berth uses). */
export interface CgroupResources {
  cpuShares?: number;
  /** cfs quota in µs per period; -1 is no limit */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** bytes */
  memory?: number;
  /** -1 (or 0) is no limit */
  pidsLimit?: number;
}

/** One write: controller, file, value. */
export type CgroupWrite = [controller: string, file: string, value: string];

/** The cgroup v1 files for resources, in the order runc's fs driver writes them. */
export function v1Writes(r: CgroupResources): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (r.cpuShares !== undefined) out.push(['cpu', 'cpu.shares', String(r.cpuShares)]);
  if (r.cpuPeriod !== undefined && r.cpuPeriod !== 0) out.push(['cpu', 'cpu.cfs_period_us', String(r.cpuPeriod)]);
  if (r.cpuQuota !== undefined && r.cpuQuota !== 0) out.push(['cpu', 'cpu.cfs_quota_us', String(r.cpuQuota)]);
  if (r.memory !== undefined && r.memory !== 0) out.push(['memory', 'memory.limit_in_bytes', String(r.memory)]);
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) out.push(['pids', 'pids.max', r.pidsLimit > 0 ? String(r.pidsLimit) : 'max']);
  return out;
}

/** runc's ConvertCPUSharesToCgroupV2Value: shares [2, 262144] onto weight [1, 10000]. */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/** The cgroup v2 files for the same resources (runc's fs2 conversion). */
export function v2Writes(r: CgroupResources): CgroupWrite[] {
  const out: CgroupWrite[] = [];
  if (r.cpuShares !== undefined && r.cpuShares !== 0) out.push(['cpu', 'cpu.weight', String(cpuSharesToWeight(r.cpuShares))]);
  if ((r.cpuQuota !== undefined && r.cpuQuota !== 0) || (r.cpuPeriod !== undefined && r.cpuPeriod !== 0)) {
    const quota = r.cpuQuota !== undefined && r.cpuQuota > 0 ? String(r.cpuQuota) : 'max';
    out.push(['cpu', 'cpu.max', `${quota} ${r.cpuPeriod || 100000}`]);
  }
  if (r.memory !== undefined && r.memory !== 0) out.push(['memory', 'memory.max', r.memory > 0 ? String(r.memory) : 'max']);
  if (r.pidsLimit !== undefined && r.pidsLimit !== 0) out.push(['pids', 'pids.max', r.pidsLimit > 0 ? String(r.pidsLimit) : 'max']);
  return out;
}

// ---- the host's hierarchies ---------------------------------------------------------------------

export interface Hierarchy {
  /** where it is mounted */
  mountPoint: string;
  /** the cgroup the mount shows at its top (mountinfo's root field), "/" on a host */
  root: string;
  version: 1 | 2;
  /** v1: its controllers, and "name=..." for a named hierarchy; v2: [] */
  controllers: string[];
}

const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The cgroup hierarchies in a mountinfo text, one per hierarchy: a mount of its top if any, the shortest mount point (as the kubelet picks). */
export function parseHierarchies(mountinfo: string, knownControllers: string[]): Hierarchy[] {
  const byKey = new Map<string, Hierarchy>();
  for (const line of mountinfo.split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-');
    const fstype = f[dash + 1];
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const h: Hierarchy =
      fstype === 'cgroup2'
        ? { mountPoint: unescape(f[4]!), root: unescape(f[3]!), version: 2, controllers: [] }
        : {
            mountPoint: unescape(f[4]!),
            root: unescape(f[3]!),
            version: 1,
            controllers: (f[dash + 3] ?? '').split(',').filter((o) => knownControllers.includes(o) || o.startsWith('name=')),
          };
    if (h.version === 1 && h.controllers.length === 0) continue;
    const key = h.version === 2 ? '' : [...h.controllers].sort().join(',');
    const had = byKey.get(key);
    const topFirst = (x: Hierarchy) => (x.root === '/' ? 0 : 1);
    if (!had || topFirst(h) < topFirst(had) || (topFirst(h) === topFirst(had) && h.mountPoint.length < had.mountPoint.length)) byKey.set(key, h);
  }
  return [...byKey.values()];
}

/** A process's cgroups (/proc/PID/cgroup): v1 by each controller and name, v2 under "". */
export function parseProcCgroup(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') out.set('', m[2]!);
    else for (const c of m[1]!.split(',')) out.set(c, m[2]!);
  }
  return out;
}

/**
 * The directory of a cgroup path in one hierarchy. Relative paths are relative to `own` (the
 * asking process's cgroup in that hierarchy), or on a pure cgroup v2 host to its parent, as runc's
 * fs and fs2 drivers read them.
 */
export function cgroupDirIn(h: Hierarchy, path: string, own: string | undefined, unified: boolean): string {
  let abs = path;
  if (!path.startsWith('/')) {
    const base = own ?? '/';
    abs = posix.join(unified ? posix.dirname(base) : base, path);
  }
  // a mount whose root is a cgroup below the hierarchy's top shows that cgroup at its top
  if (h.root !== '/' && (abs === h.root || abs.startsWith(`${h.root}/`))) abs = abs.slice(h.root.length) || '/';
  return posix.join(h.mountPoint, abs);
}

const readText = (p: string): string => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return '';
  }
};

let cached: { hierarchies: Hierarchy[]; unified: boolean; own: Map<string, string> } | undefined;

function host() {
  if (!cached) {
    const known = readText('/proc/cgroups')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t')[0]!);
    const hierarchies = parseHierarchies(readText('/proc/self/mountinfo'), known);
    // unified mode: the cgroup2 mount is the only hierarchy with controllers (hybrid hosts mount it beside v1)
    const unified = !hierarchies.some((h) => h.version === 1 && h.controllers.some((c) => !c.startsWith('name=')));
    cached = { hierarchies, unified, own: parseProcCgroup(readText('/proc/self/cgroup')) };
  }
  return cached;
}

/** 2 when the host runs cgroup v2 alone (unified), else 1 (v1, or hybrid with v2 mounted beside). */
export function cgroupVersion(): 1 | 2 {
  return host().unified ? 2 : 1;
}

/** The hierarchies this host has mounted. */
export function hierarchies(): Hierarchy[] {
  return host().hierarchies;
}

function ownIn(h: Hierarchy): string | undefined {
  const own = host().own;
  return h.version === 2 ? own.get('') : own.get(h.controllers[0]!);
}

/** The directory of a cgroup path in every hierarchy. */
export function cgroupDirs(path: string): { h: Hierarchy; dir: string }[] {
  const { hierarchies: hs, unified } = host();
  return hs.map((h) => ({ h, dir: cgroupDirIn(h, path, ownIn(h), unified) }));
}

/** The directory of a cgroup path in the hierarchy that has a controller (v2: the unified one). */
export function controllerDir(controller: string, path: string): string | undefined {
  const { hierarchies: hs, unified } = host();
  const h = unified ? hs.find((x) => x.version === 2) : hs.find((x) => x.version === 1 && x.controllers.includes(controller));
  return h ? cgroupDirIn(h, path, ownIn(h), unified) : undefined;
}

/** A cgroup file of a controller, trimmed; undefined when it cannot be read. */
export function readCgroupFile(controller: string, path: string, file: string): string | undefined {
  const dir = controllerDir(controller, path);
  if (!dir) return undefined;
  try {
    return readFileSync(join(dir, file), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The controllers a cgroup must have for its resources to hold (what the kubelet checks). */
const RESOURCE_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids'];

/** The cgroup exists where its resources live (every resource controller's hierarchy; v2: the unified one). */
export function cgroupExists(path: string): boolean {
  const { hierarchies: hs, unified } = host();
  if (unified) return existsSync(controllerDir('cpu', path) ?? '/nonexistent');
  const dirs = hs.filter((h) => h.version === 1 && h.controllers.some((c) => RESOURCE_CONTROLLERS.includes(c))).map((h) => cgroupDirIn(h, path, ownIn(h), false));
  return dirs.length > 0 && dirs.every((d) => existsSync(d));
}

/** Enables the controllers a cgroup v2 child needs, from the top down to `dir`'s parent. */
function enableV2Controllers(mountPoint: string, dir: string): void {
  const rel = dir.slice(mountPoint.length).split('/').filter(Boolean);
  let cur = mountPoint;
  for (const part of rel) {
    const available = readText(join(cur, 'cgroup.controllers')).split(/\s+/).filter(Boolean);
    const enabled = readText(join(cur, 'cgroup.subtree_control')).split(/\s+/).filter(Boolean);
    const want = ['cpu', 'cpuset', 'memory', 'pids', 'io', 'hugetlb'].filter((c) => available.includes(c) && !enabled.includes(c));
    if (want.length) writeFileSync(join(cur, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
    cur = join(cur, part);
    if (!existsSync(cur)) mkdirSync(cur);
  }
}

/** mkdir -p in a v1 hierarchy; a new cpuset level gets its parent's CPUs and memory nodes (runc's ensureParent). */
function makeV1(h: Hierarchy, dir: string): void {
  const rel = dir.slice(h.mountPoint.length).split('/').filter(Boolean);
  let cur = h.mountPoint;
  for (const part of rel) {
    const parent = cur;
    cur = join(cur, part);
    if (!existsSync(cur)) mkdirSync(cur);
    if (h.controllers.includes('cpuset')) {
      for (const f of ['cpuset.cpus', 'cpuset.mems']) {
        if (readText(join(cur, f)).trim() === '') writeFileSync(join(cur, f), readText(join(parent, f)).trim());
      }
    }
  }
}

/** Creates a cgroup (and its missing parents) in every hierarchy, then sets its resources. */
export function createCgroup(path: string, resources: CgroupResources = {}): void {
  const unified = host().unified;
  for (const { h, dir } of cgroupDirs(path)) {
    if (h.version === 2 && unified) enableV2Controllers(h.mountPoint, dir);
    else if (h.version === 2) mkdirSync(dir, { recursive: true });
    else makeV1(h, dir);
  }
  setCgroupResources(path, resources);
}

/** Writes resources into an existing cgroup; the kernel's refusal comes back as the error. */
export function setCgroupResources(path: string, resources: CgroupResources): void {
  const writes = host().unified ? v2Writes(resources) : v1Writes(resources);
  for (const [controller, file, value] of writes) {
    const dir = controllerDir(controller, path);
    if (!dir || !existsSync(join(dir, file))) continue; // that controller is not on this host
    try {
      writeFileSync(join(dir, file), value);
    } catch (e) {
      throw new Error(`failed to write "${value}" to "${join(dir, file)}": ${(e as NodeJS.ErrnoException).code === 'EINVAL' ? 'invalid argument' : (e as Error).message}`);
    }
  }
}

/** The names of a cgroup's child cgroups, in any hierarchy. */
export function childCgroups(path: string): string[] {
  const out = new Set<string>();
  for (const { dir } of cgroupDirs(path)) {
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.add(e.name);
    } catch {
      // not in this hierarchy
    }
  }
  return [...out].sort();
}

/** Every process in a cgroup and the cgroups below it, in any hierarchy. */
export function cgroupPids(path: string): number[] {
  const out = new Set<number>();
  const walk = (dir: string) => {
    for (const p of readText(join(dir, 'cgroup.procs')).split('\n')) if (p) out.add(Number(p));
    try {
      for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
    } catch {
      // gone meanwhile
    }
  };
  for (const { dir } of cgroupDirs(path)) if (existsSync(dir)) walk(dir);
  return [...out];
}

/** Every directory at and below `dir`, deepest first. */
function subtree(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    try {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      return;
    }
    out.push(d);
  };
  walk(dir);
  return out;
}

/**
 * Removes a cgroup and every cgroup below it, in every hierarchy (rmdir, deepest first; the kernel
 * refuses while a process is inside, and for a moment after the last one exits, so it retries a
 * little). Returns the directories it could not remove.
 */
export async function removeCgroup(path: string, retries = 10): Promise<string[]> {
  let left: string[] = [];
  for (let attempt = 0; attempt <= retries; attempt++) {
    left = [];
    for (const { dir } of cgroupDirs(path)) {
      for (const d of subtree(dir)) {
        try {
          rmdirSync(d);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') left.push(d);
        }
      }
    }
    if (left.length === 0 || attempt === retries) break;
    await new Promise((r) => setTimeout(r, 20 * (attempt + 1)));
  }
  return left;
}

/** Removes one cgroup in every hierarchy if it is empty (no child cgroups, no processes); true when it is gone. */
export function removeEmptyCgroup(path: string): boolean {
  let gone = true;
  for (const { dir } of cgroupDirs(path)) {
    try {
      rmdirSync(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') gone = false;
    }
  }
  return gone;
}
