// InterPodAffinity: required affinity and anti-affinity by topology key, the symmetric rule that a
// pod may not land where an existing pod's required anti-affinity forbids it, and the preferred
// terms (both the incoming pod's and, symmetrically, the existing pods') as a score.
import type { Labels } from '../../model/labels.js';
import { MAX_NODE_SCORE, unresolvable, unschedulable, type Cycle, type FilterPlugin, type NodeScorer, type ScorePlugin } from '../framework.js';
import { termMatches, type AffinityTerm, type PodInfo } from '../podinfo.js';
import type { NodeInfo, Snapshot } from '../snapshot.js';

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** HardPodAffinityWeight's default: what an existing pod's required affinity adds to a matching node's score. */
const HARD_POD_AFFINITY_WEIGHT = 1;

/** topologyKey -> value -> count */
type TopologyCounts = Map<string, Map<string, number>>;

function bump(m: TopologyCounts, key: string, value: string, by: number): void {
  let vs = m.get(key);
  if (!vs) m.set(key, (vs = new Map()));
  vs.set(value, (vs.get(value) ?? 0) + by);
}

const countAt = (m: TopologyCounts, key: string, value: string) => m.get(key)?.get(value) ?? 0;

const nsLabelsOf = (snap: Snapshot, p: PodInfo): Labels | undefined => snap.namespaceLabels(p.namespace);

/** A term that can be counted from the snapshot's per-node selector index: one namespace, no namespace selector. */
function indexable(t: AffinityTerm): string | undefined {
  if (t.namespaces.size !== 1 || !t.namespaceSelector.nothing || t.selector.nothing) return undefined;
  return t.namespaces.values().next().value;
}

/**
 * Adds, per topology value, how many scheduled pods match the term (weighted). Uses the selector
 * index when the term names a single namespace; otherwise visits every scheduled pod.
 */
function addTermCounts(snap: Snapshot, t: AffinityTerm, weight: number, out: TopologyCounts): void {
  const ns = indexable(t);
  if (ns !== undefined) {
    for (const [name, n] of snap.matchingByNode(ns, t.selector, t.selectorKey, true)) {
      const v = snap.node(name)?.labels[t.topologyKey];
      if (v !== undefined) bump(out, t.topologyKey, v, n * weight);
    }
    return;
  }
  for (const node of snap.nodes) {
    const v = node.labels[t.topologyKey];
    if (v === undefined) continue;
    let n = 0;
    for (const p of node.pods.values()) if (termMatches(t, p, nsLabelsOf(snap, p))) n++;
    if (n) bump(out, t.topologyKey, v, n * weight);
  }
}

export const interPodAffinity: FilterPlugin & ScorePlugin = {
  name: 'InterPodAffinity',
  weight: 2,
  preFilter({ pod, snap }: Cycle) {
    const ownNs = snap.namespaceLabels(pod.namespace);
    // Existing pods whose required anti-affinity the incoming pod matches, by their node's topology.
    const existing: TopologyCounts = new Map();
    for (const { term, nodes } of snap.requiredAntiAffinityTerms()) {
      if (!termMatches(term, pod, ownNs)) continue;
      for (const [name, n] of nodes) {
        const v = snap.node(name)?.labels[term.topologyKey];
        if (v !== undefined) bump(existing, term.topologyKey, v, n);
      }
    }
    const req = pod.requiredAffinity;
    const anti = pod.requiredAntiAffinity;
    if (existing.size === 0 && req.length === 0 && anti.length === 0) return undefined;

    // Scheduled pods matching all the incoming pod's affinity terms, and each anti-affinity term.
    const affinity: TopologyCounts = new Map();
    const antiCounts: TopologyCounts = new Map();
    if (req.length === 1) addTermCounts(snap, req[0]!, 1, affinity);
    else if (req.length > 1) {
      for (const node of snap.nodes) {
        for (const p of node.pods.values()) {
          const nsl = nsLabelsOf(snap, p);
          if (!req.every((t) => termMatches(t, p, nsl))) continue;
          for (const t of req) {
            const v = node.labels[t.topologyKey];
            if (v !== undefined) bump(affinity, t.topologyKey, v, 1);
          }
        }
      }
    }
    for (const t of anti) addTermCounts(snap, t, 1, antiCounts);
    const selfMatch = req.length > 0 && req.every((t) => termMatches(t, pod, ownNs));
    let anyAffinity = false;
    for (const vs of affinity.values()) for (const n of vs.values()) if (n !== 0) anyAffinity = true;

    return {
      filter: (n: NodeInfo) => {
        if (req.length) {
          let podsExist = true;
          for (const t of req) {
            const v = n.labels[t.topologyKey];
            if (v === undefined) return unresolvable(ERR_AFFINITY);
            if (countAt(affinity, t.topologyKey, v) <= 0) podsExist = false;
          }
          // The first pod of a group that has affinity to itself may go anywhere its terms allow.
          if (!podsExist && !(!anyAffinity && selfMatch)) return unresolvable(ERR_AFFINITY);
        }
        for (const t of anti) {
          const v = n.labels[t.topologyKey];
          if (v !== undefined && countAt(antiCounts, t.topologyKey, v) > 0) return unschedulable(ERR_ANTI_AFFINITY);
        }
        for (const [key, vs] of existing) {
          const v = n.labels[key];
          if (v !== undefined && (vs.get(v) ?? 0) > 0) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
        }
        return undefined;
      },
    };
  },

  preScore({ pod, snap }: Cycle): NodeScorer | undefined {
    const scores: TopologyCounts = new Map();
    let touched = false;
    const add = (key: string, v: string, w: number) => {
      touched = true;
      bump(scores, key, v, w);
    };
    // The incoming pod's preferences over every scheduled pod.
    for (const t of pod.preferredAffinity) {
      addTermCounts(snap, t, t.weight, scores);
      touched = true;
    }
    for (const t of pod.preferredAntiAffinity) {
      addTermCounts(snap, t, -t.weight, scores);
      touched = true;
    }
    // Existing pods' terms that name the incoming pod, symmetrically.
    const ownNs = snap.namespaceLabels(pod.namespace);
    for (const ep of snap.podsWithScoringTerms()) {
      const node = snap.node(ep.nodeName);
      if (!node) continue;
      for (const t of ep.requiredAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, pod, ownNs)) add(t.topologyKey, v, HARD_POD_AFFINITY_WEIGHT);
      }
      for (const t of ep.preferredAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, pod, ownNs)) add(t.topologyKey, v, t.weight);
      }
      for (const t of ep.preferredAntiAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined && termMatches(t, pod, ownNs)) add(t.topologyKey, v, -t.weight);
      }
    }
    if (!touched) return undefined;
    return {
      score: (n) => {
        let s = 0;
        for (const [key, vs] of scores) {
          const v = n.labels[key];
          if (v !== undefined) s += vs.get(v) ?? 0;
        }
        return s;
      },
      normalize: (raw) => {
        let min = Infinity;
        let max = -Infinity;
        for (const s of raw) {
          if (s > max) max = s;
          if (s < min) min = s;
        }
        const diff = max - min;
        for (let i = 0; i < raw.length; i++) raw[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * ((raw[i]! - min) / diff)) : 0;
      },
    };
  },
};
