// Which surplus pods a ReplicaSet deletes first: upstream's getPodsToDelete and
// controller.ActivePodsWithRanks (pkg/controller/controller_utils.go), with the PodDeletionCost and
// LogarithmicScaleDown features on, as they are by default. The pod that sorts first goes first.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Instant, KubeObject } from '../model/object.js';
import { isPodActive, isPodReady, podCondition } from './pods.js';

type PodLike = KubeObject & Pick<Pod, 'spec' | 'status'>;

const phaseOrdinal: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

const time = (s: string | undefined): number => (s ? Date.parse(s) : 0);

/** GetDeletionCostFromPodAnnotations: an int32, or 0 when absent or malformed. */
export function deletionCost(pod: KubeObject): number {
  const v = pod.metadata.annotations?.[DELETION_COST];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return 0;
  const n = Number(v);
  return n >= -2147483648 && n <= 2147483647 ? n : 0;
}

/** The Ready condition's transition time of a ready pod, 0 (Go's zero time) otherwise. */
function readyTime(pod: PodLike): number {
  return isPodReady(pod) ? time(podCondition(pod, 'Ready')?.lastTransitionTime) : 0;
}

/** afterOrZero: the zero time sorts first, then the later time. */
function afterOrZero(t1: number, t2: number): boolean {
  if (t1 === 0 || t2 === 0) return t1 === 0;
  return t1 > t2;
}

/** logarithmicRankDiff: compare floor(log2(age in ns)); ages that are not positive rank -1. */
function logRank(t: number, now: Instant): number {
  const ns = (now - t) * 1e6;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/** maxContainerRestarts: the most restarts of a regular container, then of a sidecar (restartable init container). */
function maxRestarts(pod: PodLike): [number, number] {
  let regular = 0;
  for (const c of pod.status?.containerStatuses ?? []) regular = Math.max(regular, c.restartCount ?? 0);
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter((c) => (c as { restartPolicy?: string }).restartPolicy === 'Always').map((c) => c.name));
  let sidecar = 0;
  for (const c of pod.status?.initContainerStatuses ?? []) if (sidecars.has(c.name)) sidecar = Math.max(sidecar, c.restartCount ?? 0);
  return [regular, sidecar];
}

/** What the ranking reads of a pod, read once per pod rather than at every comparison of a sort. */
interface Ranked<P extends PodLike = PodLike> {
  p: P;
  /** Active related pods on the pod's node. */
  rank: number;
  node: string;
  phase: number;
  ready: boolean;
  cost: number;
  /** readyTime: 0 unless ready. */
  readySince: number;
  restarts: [number, number];
  created: number;
}

function ranked<P extends PodLike>(p: P, rank: number): Ranked<P> {
  return {
    p, rank,
    node: p.spec?.nodeName ?? '',
    phase: phaseOrdinal[p.status?.phase ?? ''] ?? 0,
    ready: isPodReady(p),
    cost: deletionCost(p),
    readySince: readyTime(p),
    restarts: maxRestarts(p),
    created: time(p.metadata.creationTimestamp),
  };
}

/**
 * ActivePodsWithRanks.Less as a comparator. `rank` is the number of active related pods on the
 * pod's node (pods doubled up on a node go first). Ties upstream leaves to the sort algorithm are
 * broken by uid, then name, so the choice is deterministic.
 */
export function compareRankedPods(a: PodLike, rankA: number, b: PodLike, rankB: number, now: Instant): number {
  return compareRanked(ranked(a, rankA), ranked(b, rankB), now);
}

function compareRanked(a: Ranked, b: Ranked, now: Instant): number {
  const na = a.node;
  const nb = b.node;
  // 1. Unassigned before assigned.
  if (na !== nb && (na === '' || nb === '')) return na === '' ? -1 : 1;
  // 2. Pending before Unknown before Running.
  if (a.phase !== b.phase) return a.phase - b.phase;
  // 3. Not ready before ready.
  const ra = a.ready;
  const rb = b.ready;
  if (ra !== rb) return ra ? 1 : -1;
  // 4. Lower deletion cost first.
  if (a.cost !== b.cost) return a.cost - b.cost;
  // 5. Doubled up before not.
  if (a.rank !== b.rank) return b.rank - a.rank;
  // 6. Ready for less time first, by logarithmic buckets of age.
  if (ra && rb) {
    const ta = a.readySince;
    const tb = b.readySince;
    if (ta !== tb) {
      if (ta === 0 || tb === 0) return afterOrZero(ta, tb) ? -1 : 1;
      const d = logRank(ta, now) - logRank(tb, now);
      if (d !== 0) return d;
      return tieBreak(a.p, b.p);
    }
  }
  // 7. More container restarts first (regular containers, then sidecars).
  const [xa, sa] = a.restarts;
  const [xb, sb] = b.restarts;
  if (xa !== xb) return xb - xa;
  if (sa !== sb) return sb - sa;
  // 8. Newer first; no creation time first of all.
  const ka = a.created;
  const kb = b.created;
  if (ka !== kb) {
    if (ka === 0 || kb === 0) return afterOrZero(ka, kb) ? -1 : 1;
    const d = logRank(ka, now) - logRank(kb, now);
    if (d !== 0) return d;
  }
  return tieBreak(a.p, b.p);
}

function tieBreak(a: KubeObject, b: KubeObject): number {
  const ua = a.metadata.uid ?? '';
  const ub = b.metadata.uid ?? '';
  if (ua !== ub) return ua < ub ? -1 : 1;
  const xa = a.metadata.name ?? '';
  const xb = b.metadata.name ?? '';
  return xa < xb ? -1 : xa > xb ? 1 : 0;
}

/**
 * getPodsToDelete: the `count` pods to delete from `pods`, ranked against `related` (the active
 * pods of every ReplicaSet with the same controller, for the per-node doubling-up rank).
 */
export function podsToDelete<P extends PodLike>(pods: P[], related: PodLike[], count: number, now: Instant): P[] {
  if (count >= pods.length) return pods.slice(0, count);
  const onNode = new Map<string, number>();
  for (const p of related) {
    if (!isPodActive(p)) continue;
    const n = p.spec?.nodeName ?? '';
    onNode.set(n, (onNode.get(n) ?? 0) + 1);
  }
  const order = pods.map((p) => ranked(p, onNode.get(p.spec?.nodeName ?? '') ?? 0));
  order.sort((x, y) => compareRanked(x, y, now));
  return order.slice(0, count).map((x) => x.p);
}
