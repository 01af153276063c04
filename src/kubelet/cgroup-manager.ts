// Carrying out pod-cgroups.ts's decisions: the kubelet's cgroup hierarchy on the host's cgroupfs
// (through engine/cgroups.ts, cgroup v1 or v2), or in memory for tests. The kubelet without one
// (simulated nodes) runs with cgroups-per-qos off: no pod cgroups, no CgroupParent.
import { cgroupExists, cgroupPids, childCgroups, createCgroup, removeCgroup, removeEmptyCgroup, setCgroupResources } from '../engine/cgroups.js';
import { cgroupLayout, MIN_SHARES, podUIDOf, type CgroupLayout, type ResourceConfig } from './pod-cgroups.js';

export interface PodCgroupManager {
  readonly layout: CgroupLayout;
  /** Node allocatable and the QoS tiers: created, or set again when they exist (as the kubelet starts). */
  start(nodeAllocatable: ResourceConfig): Promise<void>;
  exists(name: string): boolean;
  create(name: string, resources: ResourceConfig): Promise<void>;
  update(name: string, resources: ResourceConfig): Promise<void>;
  /** Kills whatever still runs inside, then removes the cgroup and all below it. */
  destroy(name: string): Promise<void>;
  /** ReduceCPULimits: the minimum shares, for an orphan waiting on its volumes. */
  reduceCPU(name: string): Promise<void>;
  /** The pod cgroups under the tiers (GetAllPodsFromCgroups): uid → cgroup name. */
  podCgroups(): Map<string, string>;
  /** Removes the whole hierarchy (its pods must be gone), and the cgroup root when that leaves it empty. */
  removeAll(): Promise<void>;
}

/** The tiers, the one whose pods sit directly in node allocatable last (GetAllPodsFromCgroups' order). */
const tiers = (l: CgroupLayout) => [l.bestEffort, l.burstable, l.nodeAllocatable];

/** On the host (cgroupfs driver). */
export class CgroupfsManager implements PodCgroupManager {
  readonly layout: CgroupLayout;

  constructor(readonly cgroupRoot: string) {
    this.layout = cgroupLayout(cgroupRoot);
  }

  async start(nodeAllocatable: ResourceConfig): Promise<void> {
    const l = this.layout;
    for (const [name, r] of [
      [l.nodeAllocatable, nodeAllocatable],
      [l.burstable, {}],
      [l.bestEffort, { cpuShares: MIN_SHARES }],
    ] as const) {
      if (cgroupExists(name)) setCgroupResources(name, r);
      else createCgroup(name, r);
    }
  }

  exists(name: string): boolean {
    return cgroupExists(name);
  }

  async create(name: string, resources: ResourceConfig): Promise<void> {
    createCgroup(name, resources);
  }

  async update(name: string, resources: ResourceConfig): Promise<void> {
    setCgroupResources(name, resources);
  }

  async destroy(name: string): Promise<void> {
    // tryKillingCgroupProcesses: a few rounds, as processes may fork meanwhile
    for (let i = 0; i < 5; i++) {
      const pids = cgroupPids(name);
      if (pids.length === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const left = await removeCgroup(name);
    if (left.length) throw new Error(`failed to delete cgroup paths for ${name}: ${left.join(', ')} still in use`);
  }

  async reduceCPU(name: string): Promise<void> {
    setCgroupResources(name, { cpuShares: MIN_SHARES });
  }

  podCgroups(): Map<string, string> {
    const out = new Map<string, string>();
    for (const tier of tiers(this.layout)) {
      for (const child of childCgroups(tier)) {
        const uid = podUIDOf(child);
        if (uid) out.set(uid, `${tier}/${child}`);
      }
    }
    return out;
  }

  async removeAll(): Promise<void> {
    const left = await removeCgroup(this.layout.nodeAllocatable);
    if (left.length) throw new Error(`failed to delete cgroup paths: ${left.join(', ')} still in use`);
    if (this.cgroupRoot !== '/' && this.cgroupRoot !== '') removeEmptyCgroup(this.cgroupRoot);
  }
}

/** In memory: what exists with what settings, and what was done, for tests. */
export class MemoryCgroupManager implements PodCgroupManager {
  readonly layout: CgroupLayout;
  readonly cgroups = new Map<string, ResourceConfig>();
  readonly log: string[] = [];

  constructor(cgroupRoot = '/') {
    this.layout = cgroupLayout(cgroupRoot);
  }

  async start(nodeAllocatable: ResourceConfig): Promise<void> {
    this.cgroups.set(this.layout.nodeAllocatable, nodeAllocatable);
    this.cgroups.set(this.layout.burstable, { ...this.cgroups.get(this.layout.burstable) });
    this.cgroups.set(this.layout.bestEffort, { cpuShares: MIN_SHARES });
  }

  exists(name: string): boolean {
    return this.cgroups.has(name);
  }

  async create(name: string, resources: ResourceConfig): Promise<void> {
    this.log.push(`create ${name}`);
    this.cgroups.set(name, { ...resources });
  }

  async update(name: string, resources: ResourceConfig): Promise<void> {
    this.cgroups.set(name, { ...this.cgroups.get(name), ...resources });
  }

  async destroy(name: string): Promise<void> {
    this.log.push(`destroy ${name}`);
    for (const k of [...this.cgroups.keys()]) if (k === name || k.startsWith(`${name}/`)) this.cgroups.delete(k);
  }

  async reduceCPU(name: string): Promise<void> {
    this.log.push(`reduce ${name}`);
    await this.update(name, { cpuShares: MIN_SHARES });
  }

  podCgroups(): Map<string, string> {
    const out = new Map<string, string>();
    for (const tier of tiers(this.layout)) {
      for (const name of this.cgroups.keys()) {
        if (!name.startsWith(`${tier}/`) || name.slice(tier.length + 1).includes('/')) continue;
        const uid = podUIDOf(name.slice(tier.length + 1));
        if (uid) out.set(uid, name);
      }
    }
    return out;
  }

  async removeAll(): Promise<void> {
    for (const k of [...this.cgroups.keys()]) if (k === this.layout.nodeAllocatable || k.startsWith(`${this.layout.nodeAllocatable}/`)) this.cgroups.delete(k);
  }
}
