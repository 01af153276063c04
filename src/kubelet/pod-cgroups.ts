// The kubelet's cgroup hierarchy (cgroups-per-qos with the cgroupfs driver), as pure decisions:
// which cgroup a pod gets and with what limits, what the QoS tiers and the node-allocatable cgroup
// are set to, and which pod cgroups are orphans to remove. cgroup-manager.ts carries them out.
//
//   <root>/kubepods                      node allocatable: every pod's cgroup is below it
//   <root>/kubepods/pod<uid>             a Guaranteed pod
//   <root>/kubepods/burstable/pod<uid>   a Burstable pod (the tier's cpu.shares: its pods' requests)
//   <root>/kubepods/besteffort/pod<uid>  a BestEffort pod (the tier's cpu.shares: 2)
//   .../pod<uid>/<container id>          the pod's sandbox and containers (the runtime's, CgroupParent)
//
// Upstream: pkg/kubelet/cm/helpers_linux.go (ResourceConfigForPod, MilliCPUToShares/Quota),
// pod_container_manager_linux.go (GetPodContainerName, GetAllPodsFromCgroups), qos_container_manager_linux.go
// (the tiers and setCPUCgroupConfig), node_container_manager_linux.go (the node allocatable cgroup),
// kubelet_pods.go (cleanupOrphanedPodCgroups), kubelet.go (the pod cgroup step of SyncPod);
// k8s.io/component-helpers/resource (PodRequests, PodLimits).
import type { Container as PodContainer, Pod } from 'kubernetes-types/core/v1.js';
import { addQuantity, compareQuantity, isZero, milliValue, quantityValue, type Quantity } from '../model/quantity.js';
import { podQOSClass, type QOSClass } from '../model/defaults/qos.js';
import { toQuantity } from '../model/defaults/pod.js';
import type { KubeObject } from '../model/object.js';
import { milliCPUToQuota, milliCPUToShares } from './container-config.js';
import { isSidecar, type ObservedContainer, type ObservedSandbox, type SyncAction } from './sync.js';

type PodObj = KubeObject & Pod;

/** What the kubelet sets on a cgroup (cm.ResourceConfig, the part Berth enforces). */
export interface ResourceConfig {
  cpuShares?: number;
  /** cfs quota (µs per period); -1 when CPU limits are not enforced */
  cpuQuota?: number;
  cpuPeriod?: number;
  /** bytes */
  memory?: number;
  pidsLimit?: number;
}

/** cm.QuotaPeriod: 100 ms, the default cfs period. */
export const QUOTA_PERIOD = 100000;
/** cm.MinShares: what BestEffort gets. */
export const MIN_SHARES = 2;
/** defaultNodeAllocatableCgroupName. */
export const NODE_ALLOCATABLE_CGROUP = 'kubepods';
/** podCgroupNamePrefix. */
export const POD_CGROUP_PREFIX = 'pod';

// ---- names ------------------------------------------------------------------------------------

/** The cgroupfs names of the hierarchy under a cgroup root (--cgroup-root). */
export interface CgroupLayout {
  /** the node allocatable cgroup, also the Guaranteed tier */
  nodeAllocatable: string;
  burstable: string;
  bestEffort: string;
}

const under = (parent: string, name: string) => (parent === '/' ? `/${name}` : `${parent}/${name}`);

/** The hierarchy for a cgroup root ("/" gives upstream's /kubepods). */
export function cgroupLayout(cgroupRoot: string): CgroupLayout {
  const root = cgroupRoot === '' ? '/' : cgroupRoot.replace(/\/+$/, '') || '/';
  const nodeAllocatable = under(root, NODE_ALLOCATABLE_CGROUP);
  return { nodeAllocatable, burstable: under(nodeAllocatable, 'burstable'), bestEffort: under(nodeAllocatable, 'besteffort') };
}

/** The QoS tier a class's pods live in (Guaranteed ones directly under node allocatable). */
export function qosParent(layout: CgroupLayout, qos: QOSClass): string {
  return qos === 'Guaranteed' ? layout.nodeAllocatable : qos === 'Burstable' ? layout.burstable : layout.bestEffort;
}

/** GetPodContainerName: the pod's cgroup, in the cgroupfs form the runtime takes as CgroupParent. */
export function podCgroupName(layout: CgroupLayout, pod: PodObj): string {
  return under(qosParent(layout, podQOSClass(pod.spec as never)), `${POD_CGROUP_PREFIX}${pod.metadata.uid}`);
}

/** The pod uid of a child cgroup of a QoS tier named pod<uid> (GetAllPodsFromCgroups' reading). */
export function podUIDOf(childName: string): string | undefined {
  if (!childName.startsWith(POD_CGROUP_PREFIX)) return undefined;
  const parts = childName.split(POD_CGROUP_PREFIX);
  return parts.length === 2 && parts[1] ? parts[1] : undefined;
}

// ---- a pod's resources ----------------------------------------------------------------------------

type ResourceList = Map<string, Quantity>;

/** spec.resources (pod-level resources, newer than the kubernetes-types this builds against). */
const podLevel = (pod: PodObj) => (pod.spec as { resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> } } | undefined)?.resources;

const QOS_RESOURCES = ['cpu', 'memory'];

function listOf(raw: Record<string, unknown> | undefined): ResourceList {
  const out: ResourceList = new Map();
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (!QOS_RESOURCES.includes(k)) continue;
    const q = toQuantity(v);
    if (q) out.set(k, q);
  }
  return out;
}

function addInto(into: ResourceList, list: ResourceList): void {
  for (const [k, q] of list) {
    const had = into.get(k);
    into.set(k, had ? addQuantity(had, q) : q);
  }
}

function maxInto(into: ResourceList, list: ResourceList): void {
  for (const [k, q] of list) {
    const had = into.get(k);
    if (!had || compareQuantity(q, had) > 0) into.set(k, q);
  }
}

/**
 * aggregateContainerResources: the app containers and the sidecars add up; each regular init
 * container counts with the sidecars started before it, and the largest of those is a floor.
 * `each` sees every container's contribution as upstream's ContainerFn does.
 */
function aggregate(pod: PodObj, which: 'requests' | 'limits', each?: (r: ResourceList) => void): ResourceList {
  const pick = (c: PodContainer) => listOf(c.resources?.[which] as Record<string, unknown> | undefined);
  const result: ResourceList = new Map();
  for (const c of pod.spec?.containers ?? []) {
    const r = pick(c);
    each?.(r);
    addInto(result, r);
  }
  const sidecars: ResourceList = new Map();
  const initFloor: ResourceList = new Map();
  for (const ic of pod.spec?.initContainers ?? []) {
    let r = pick(ic);
    if (isSidecar(ic)) {
      addInto(result, r);
      addInto(sidecars, r);
      r = new Map(sidecars);
    } else {
      const withSidecars: ResourceList = new Map(r);
      addInto(withSidecars, sidecars);
      r = withSidecars;
    }
    each?.(r);
    maxInto(initFloor, r);
  }
  maxInto(result, initFloor);
  return result;
}

/** IsPodLevelResourcesSet: spec.resources names cpu or memory. */
export function podLevelResourcesSet(pod: PodObj): boolean {
  const r = podLevel(pod);
  return listOf(r?.requests).size > 0 || listOf(r?.limits).size > 0;
}

/** resource.PodRequests: the containers' aggregate, pod-level requests over it, plus the overhead. */
export function podRequests(pod: PodObj): ResourceList {
  const reqs = aggregate(pod, 'requests');
  for (const [k, q] of listOf(podLevel(pod)?.requests)) reqs.set(k, q);
  addInto(reqs, listOf(pod.spec?.overhead as Record<string, unknown> | undefined));
  return reqs;
}

/** resource.PodLimits, and whether every container declared a CPU and a memory limit (ResourceConfigForPod's ContainerFn). */
export function podLimits(pod: PodObj): { limits: ResourceList; cpuDeclared: boolean; memoryDeclared: boolean } {
  let cpuDeclared = true;
  let memoryDeclared = true;
  const limits = aggregate(pod, 'limits', (r) => {
    const cpu = r.get('cpu');
    const mem = r.get('memory');
    if (!cpu || isZero(cpu)) cpuDeclared = false;
    if (!mem || isZero(mem)) memoryDeclared = false;
  });
  if (podLevelResourcesSet(pod)) {
    const podLimits = listOf(podLevel(pod)?.limits);
    for (const [k, q] of podLimits) limits.set(k, q);
    const cpu = podLimits.get('cpu');
    const mem = podLimits.get('memory');
    if (cpu && !isZero(cpu)) cpuDeclared = true;
    if (mem && !isZero(mem)) memoryDeclared = true;
  }
  for (const [k, q] of listOf(pod.spec?.overhead as Record<string, unknown> | undefined)) {
    const had = limits.get(k);
    if (had && !isZero(had)) limits.set(k, addQuantity(had, q));
  }
  return { limits, cpuDeclared, memoryDeclared };
}

const milli = (q: Quantity | undefined) => (q ? Number(milliValue(q)) : 0);
const value = (q: Quantity | undefined) => (q ? Number(quantityValue(q)) : 0);

/**
 * ResourceConfigForPod: cpu.shares from the pod's CPU requests, a cfs quota from its CPU limits
 * when every container has one (always for Guaranteed), a memory limit when every container has
 * one; a BestEffort pod gets the minimum shares and nothing else.
 */
export function resourceConfigForPod(pod: PodObj, opts: { enforceCPULimits?: boolean; cpuPeriod?: number } = {}): ResourceConfig {
  const period = opts.cpuPeriod ?? QUOTA_PERIOD;
  const reqs = podRequests(pod);
  const { limits, cpuDeclared, memoryDeclared } = podLimits(pod);
  const cpuShares = milliCPUToShares(milli(reqs.get('cpu')));
  const cpuQuota = opts.enforceCPULimits === false ? -1 : milliCPUToQuota(milli(limits.get('cpu')), period);
  const memory = value(limits.get('memory'));
  switch (podQOSClass(pod.spec as never)) {
    case 'Guaranteed':
      return { cpuShares, cpuQuota, cpuPeriod: period, memory };
    case 'Burstable':
      return { cpuShares, ...(cpuDeclared ? { cpuQuota, cpuPeriod: period } : {}), ...(memoryDeclared ? { memory } : {}) };
    default:
      return { cpuShares: MIN_SHARES };
  }
}

// ---- the tiers and the node ---------------------------------------------------------------------

/** setCPUCgroupConfig: burstable's shares from the CPU requests of the active Burstable pods; best effort's are 2. */
export function qosTierConfigs(activePods: PodObj[]): { burstable: ResourceConfig; bestEffort: ResourceConfig } {
  let burstableMilli = 0;
  for (const pod of activePods) {
    if (podQOSClass(pod.spec as never) !== 'Burstable') continue;
    burstableMilli += milli(podRequests(pod).get('cpu'));
  }
  return { burstable: { cpuShares: milliCPUToShares(burstableMilli) }, bestEffort: { cpuShares: MIN_SHARES } };
}

/** getCgroupConfig of node allocatable (enforced for "pods"): shares for its CPUs, its memory, its PIDs. */
export function nodeAllocatableConfig(allocatable: { cpuMilli: number; memoryBytes: number; pids?: number }): ResourceConfig {
  return {
    cpuShares: milliCPUToShares(allocatable.cpuMilli),
    ...(allocatable.memoryBytes > 0 ? { memory: allocatable.memoryBytes } : {}),
    ...(allocatable.pids && allocatable.pids > 0 ? { pidsLimit: allocatable.pids } : {}),
  };
}

/** filterOutInactivePods: the pods whose requests count for the tiers (not finished). */
export function activePods(pods: PodObj[]): PodObj[] {
  return pods.filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
}

// ---- a pod's sync ---------------------------------------------------------------------------------

/**
 * The pod cgroup step of SyncPod: nothing for a pod being terminated; a pod whose cgroup is
 * missing while its containers run (started before the hierarchy existed) is killed, to come back
 * up inside it, except that a RestartPolicy=Never pod killed so gets no cgroup (it will not run
 * again); otherwise a missing cgroup is created.
 */
export function podCgroupStep(pod: PodObj, exists: boolean, containers: ObservedContainer[]): { kill: boolean; create: boolean } {
  const terminating = !!pod.metadata.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
  if (terminating || exists) return { kill: false, create: false };
  const firstSync = !containers.some((c) => c.state === 'running');
  const kill = !firstSync;
  return { kill, create: !(kill && pod.spec?.restartPolicy === 'Never') };
}

/** killPod: every running container with the pod's grace period, then its sandboxes. */
export function killPodActions(pod: PodObj, sandboxes: ObservedSandbox[], containers: ObservedContainer[]): SyncAction[] {
  const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  const out: SyncAction[] = [];
  for (const c of containers) if (c.state === 'running') out.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: grace, message: `Stopping container ${c.name}` });
  for (const s of sandboxes) if (s.ready) out.push({ kind: 'stopSandbox', id: s.id });
  return out;
}

// ---- orphans ------------------------------------------------------------------------------------

/**
 * HandlePodCleanups' possiblyRunningPods: the pods the node should still be running (known and
 * not finished) and any whose containers or sandbox the runtime still runs.
 */
export function possiblyRunningPods(pods: PodObj[], runtimeActive: Iterable<string>): Set<string> {
  const out = new Set<string>(runtimeActive);
  for (const p of activePods(pods)) if (p.metadata.uid) out.add(p.metadata.uid);
  return out;
}

/**
 * cleanupOrphanedPodCgroups: a pod cgroup whose pod is not possibly running is destroyed, unless
 * its volumes are still mounted (memory-backed ones would charge their pages to the parent): then
 * its CPU is reduced to the minimum until they are gone.
 */
export function orphanedPodCgroups(found: Map<string, string>, possiblyRunning: Set<string>, volumesExist: (uid: string) => boolean): { destroy: string[]; reduceCPU: string[] } {
  const destroy: string[] = [];
  const reduceCPU: string[] = [];
  for (const [uid, name] of found) {
    if (possiblyRunning.has(uid)) continue;
    if (volumesExist(uid)) reduceCPU.push(name);
    else destroy.push(name);
  }
  return { destroy, reduceCPU };
}
