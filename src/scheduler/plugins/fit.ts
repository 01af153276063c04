// NodeResourcesFit (filter and the LeastAllocated score) and NodeResourcesBalancedAllocation.
import { idiv, MAX_NODE_SCORE, unresolvable, unschedulable, type FilterPlugin, type ScorePlugin, type Status } from '../framework.js';
import type { PodInfo } from '../podinfo.js';
import { isZero, type Resources } from '../resources.js';
import type { NodeInfo } from '../snapshot.js';

interface Insufficient {
  reason: string;
  /** Not even an empty node of this size could take the pod: preemption cannot help. */
  unresolvable: boolean;
}

const NONE_LACKING: readonly Insufficient[] = Object.freeze([]);
const TOO_MANY_PODS = 'Too many pods';

/** The filter's status for a node whose only lack is room for one more pod (shared: statuses are only read). */
export const NO_POD_ROOM: Status = Object.freeze({ code: 'Unschedulable', reasons: Object.freeze([TOO_MANY_PODS]) as string[] }) as Status;

/** fitsRequest: every resource the node lacks for the pod, in upstream's order (pods, cpu, memory, ephemeral-storage, others). */
export function insufficientResources(req: Resources, n: NodeInfo): readonly Insufficient[] {
  const a = n.allocatable;
  const u = n.requested;
  // The common case, every node of a large cluster for every pod: it fits, and nothing is allocated.
  if (
    n.pods.size + 1 <= n.allowedPods &&
    req.milliCPU <= a.milliCPU - u.milliCPU &&
    req.memory <= a.memory - u.memory &&
    req.ephemeralStorage <= a.ephemeralStorage - u.ephemeralStorage &&
    !req.scalar
  ) return NONE_LACKING;
  const out: Insufficient[] = [];
  if (n.pods.size + 1 > n.allowedPods) out.push({ reason: TOO_MANY_PODS, unresolvable: false });
  if (isZero(req)) return out;
  if (req.milliCPU > 0 && req.milliCPU > a.milliCPU - u.milliCPU) out.push({ reason: 'Insufficient cpu', unresolvable: req.milliCPU > a.milliCPU });
  if (req.memory > 0 && req.memory > a.memory - u.memory) out.push({ reason: 'Insufficient memory', unresolvable: req.memory > a.memory });
  if (req.ephemeralStorage > 0 && req.ephemeralStorage > a.ephemeralStorage - u.ephemeralStorage) {
    out.push({ reason: 'Insufficient ephemeral-storage', unresolvable: req.ephemeralStorage > a.ephemeralStorage });
  }
  for (const [name, q] of Object.entries(req.scalar ?? {}).sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (q === 0) continue;
    const alloc = a.scalar?.[name] ?? 0;
    if (q > alloc - (u.scalar?.[name] ?? 0)) out.push({ reason: `Insufficient ${name}`, unresolvable: q > alloc });
  }
  return out;
}

export function fitStatus(pod: PodInfo, n: NodeInfo): Status | undefined {
  const lacking = insufficientResources(pod.requests, n);
  if (lacking.length === 0) return undefined;
  const reasons = lacking.map((i) => i.reason);
  return lacking.some((i) => i.unresolvable) ? unresolvable(...reasons) : unschedulable(...reasons);
}

/** leastRequestedScore: the share of the resource left free, 0..100. */
function leastRequested(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return idiv((capacity - requested) * MAX_NODE_SCORE, capacity);
}

export const nodeResourcesFit: FilterPlugin & ScorePlugin = {
  name: 'NodeResourcesFit',
  weight: 1,
  preFilter({ pod }) {
    const filter = (n: NodeInfo) => fitStatus(pod, n);
    // The table holds the common case's numbers; scalar resources need the NodeInfo.
    return pod.requests.scalar ? { filter } : { filter, check: { flags: 0, fits: pod.requests } };
  },
  /** LeastAllocated over cpu and memory (weight 1 each), counting containers without requests as 100m / 200Mi. */
  preScore({ pod }) {
    const cpu = pod.nonZero.milliCPU;
    const mem = pod.nonZero.memory;
    return {
      score: (n) => leastAllocated(n.allocatable.milliCPU, n.nonZero.milliCPU + cpu, n.allocatable.memory, n.nonZero.memory + mem),
      scoreRow: (t, i) => leastAllocated(t.allocCPU[i]!, t.nonZeroCPU[i]! + cpu, t.allocMemory[i]!, t.nonZeroMemory[i]! + mem),
    };
  },
};

/** The mean of leastRequested over the resources the node has. */
function leastAllocated(allocCPU: number, cpu: number, allocMemory: number, memory: number): number {
  let sum = 0;
  let weights = 0;
  if (allocCPU) {
    sum += leastRequested(cpu, allocCPU);
    weights++;
  }
  if (allocMemory) {
    sum += leastRequested(memory, allocMemory);
    weights++;
  }
  return weights ? idiv(sum, weights) : 0;
}

/**
 * balancedResourceScorer: (1 − std) × 100 over the cpu and memory fractions after placing the pod,
 * each fraction capped at 1. With two resources std = |cpu − mem| / 2, which is seed 001 §7.3's
 * `100 − |cpu% − mem%|` at half the slope, as upstream scales it.
 */
export function balancedScore(fractions: number[]): number {
  if (fractions.length === 2) return balancedOfTwo(fractions[0]!, fractions[1]!);
  let std = 0;
  if (fractions.length > 2) {
    const mean = fractions.reduce((a, b) => a + b, 0) / fractions.length;
    std = Math.sqrt(fractions.reduce((a, f) => a + (f - mean) * (f - mean), 0) / fractions.length);
  }
  return Math.trunc((1 - std) * MAX_NODE_SCORE);
}

export const balancedAllocation: ScorePlugin = {
  name: 'NodeResourcesBalancedAllocation',
  weight: 1,
  preScore({ pod }) {
    const cpu = pod.requests.milliCPU;
    const mem = pod.requests.memory;
    return {
      score: (n) => balanced(n.allocatable.milliCPU, n.requested.milliCPU + cpu, n.allocatable.memory, n.requested.memory + mem),
      scoreRow: (t, i) => balanced(t.allocCPU[i]!, t.reqCPU[i]! + cpu, t.allocMemory[i]!, t.reqMemory[i]! + mem),
    };
  },
};

const balancedOfTwo = (a: number, b: number) => Math.trunc((1 - Math.abs((a - b) / 2)) * MAX_NODE_SCORE);

/** balancedScore over the cpu and memory the node has, without building the fractions' array. */
function balanced(allocCPU: number, cpu: number, allocMemory: number, memory: number): number {
  if (!allocCPU || !allocMemory) return MAX_NODE_SCORE; // one fraction or none: std 0
  return balancedOfTwo(Math.min(1, cpu / allocCPU), Math.min(1, memory / allocMemory));
}
