// PodTopologySpread: hard constraints (DoNotSchedule) as a filter on skew, soft ones (ScheduleAnyway)
// and the system defaults (hostname maxSkew 3, zone maxSkew 5, for pods that Services or controllers
// select) as a score favouring the less crowded domains.
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { addRequirements, isEmpty, labelSelectorAsSelector, matches, newRequirement, SelectorError, selectorToString, type Selector } from '../../model/labels.js';
import { anyNode, doNotScheduleTaint, findUntoleratedTaint } from '../../model/scheduling.js';
import { idiv, MAX_NODE_SCORE, unresolvable, unschedulable, type Cycle, type FeasibleRows, type FilterPlugin, type NodeScorer, type ScorePlugin } from '../framework.js';
import type { PodInfo } from '../podinfo.js';
import type { NodeTable } from '../nodetable.js';
import type { NodeInfo, Snapshot } from '../snapshot.js';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_LABEL = `${ERR_SPREAD} (missing required label)`;

export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: Selector;
  selectorKey: string;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

/** The system default constraints (PodTopologySpreadArgs defaultingType System). */
const SYSTEM_DEFAULTS: TopologySpreadConstraint[] = [
  { topologyKey: LABEL_HOSTNAME, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 3 },
  { topologyKey: LABEL_ZONE, whenUnsatisfiable: 'ScheduleAnyway', maxSkew: 5 },
];

/** Selector strings, kept while the selector object lives (the runner reuses one per controller). */
const keys = new WeakMap<Selector, string>();
function keyOf(s: Selector): string {
  let k = keys.get(s);
  if (k === undefined) keys.set(s, (k = s.nothing ? '<nothing>' : selectorToString(s)));
  return k;
}

function toConstraint(c: TopologySpreadConstraint, selector: Selector): Constraint {
  return {
    maxSkew: c.maxSkew,
    topologyKey: c.topologyKey,
    selector,
    selectorKey: keyOf(selector),
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
  };
}

/** The pod's constraints of one kind, selectors merged with matchLabelKeys; the system defaults when it has none. */
function constraintsOf(pod: PodInfo, action: 'DoNotSchedule' | 'ScheduleAnyway', defaultSelector: Selector | undefined): Constraint[] {
  const own = pod.spec.topologySpreadConstraints ?? [];
  if (own.length === 0) {
    if (!defaultSelector || isEmpty(defaultSelector) || defaultSelector.nothing) return [];
    return SYSTEM_DEFAULTS.filter((c) => c.whenUnsatisfiable === action).map((c) => toConstraint(c, defaultSelector));
  }
  const out: Constraint[] = [];
  for (const c of own) {
    if (c.whenUnsatisfiable !== action) continue;
    let selector: Selector;
    try {
      selector = labelSelectorAsSelector(c.labelSelector);
      const extra = (c.matchLabelKeys ?? []).filter((k) => k in pod.labels).map((k) => newRequirement(k, 'in', [pod.labels[k]!]));
      if (extra.length && !selector.nothing) selector = addRequirements(selector, ...extra);
    } catch (e) {
      if (!(e instanceof SelectorError)) throw e;
      selector = labelSelectorAsSelector(null);
    }
    out.push(toConstraint(c, selector));
  }
  return out;
}

const hasAllKeys = (n: NodeInfo, cs: Constraint[]) => cs.every((c) => n.labels[c.topologyKey] !== undefined);

/** matchNodeInclusionPolicies: nodeAffinityPolicy Honor (default) and nodeTaintsPolicy Honor leave out nodes the pod could not use. */
function included(c: Constraint, pod: PodInfo, n: NodeInfo): boolean {
  if (c.honorNodeAffinity && !pod.nodeMatcher(n)) return false;
  if (c.honorNodeTaints && findUntoleratedTaint(n.taints, pod.spec.tolerations, doNotScheduleTaint)) return false;
  return true;
}

const NONE: ReadonlyMap<string, number> = new Map();

/** countPodsMatchSelector per node: non-terminating pods of the namespace the selector matches (an empty selector counts none). */
function counts(snap: Snapshot, c: Constraint, ns: string): ReadonlyMap<string, number> {
  if (c.selector.nothing || isEmpty(c.selector)) return NONE;
  return snap.matchingByNode(ns, c.selector, c.selectorKey, false);
}

export const podTopologySpread: FilterPlugin & ScorePlugin = {
  name: 'PodTopologySpread',
  weight: 2,
  preFilter({ pod, snap, defaultSelector }: Cycle) {
    const cs = constraintsOf(pod, 'DoNotSchedule', defaultSelector);
    if (cs.length === 0) return undefined;
    // Matching pods per domain of each constraint, over the nodes the constraint includes.
    const perNode = cs.map((c) => counts(snap, c, pod.namespace));
    const perDomain = cs.map(() => new Map<string, number>());
    for (const n of snap.nodes) {
      if (!hasAllKeys(n, cs)) continue;
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        if (!included(c, pod, n)) continue;
        const v = n.labels[c.topologyKey]!;
        perDomain[i]!.set(v, (perDomain[i]!.get(v) ?? 0) + (perNode[i]!.get(n.name) ?? 0));
      }
    }
    const minMatch = perDomain.map((m, i) => {
      // Fewer eligible domains than minDomains: the global minimum counts as 0.
      if (m.size < cs[i]!.minDomains) return 0;
      let min = Infinity;
      for (const v of m.values()) if (v < min) min = v;
      return min;
    });
    const self = cs.map((c) => (matches(c.selector, pod.labels) ? 1 : 0));
    return {
      filter: (n: NodeInfo) => {
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!;
          const v = n.labels[c.topologyKey];
          if (v === undefined) return unresolvable(ERR_SPREAD_LABEL);
          const skew = (perDomain[i]!.get(v) ?? 0) + self[i]! - minMatch[i]!;
          if (skew > c.maxSkew) return unschedulable(ERR_SPREAD);
        }
        return undefined;
      },
    };
  },

  preScore({ pod, snap, defaultSelector }: Cycle, feasible: readonly NodeInfo[], rows?: FeasibleRows): NodeScorer | undefined {
    if (feasible.length === 0) return undefined;
    const cs = constraintsOf(pod, 'ScheduleAnyway', defaultSelector);
    if (cs.length === 0) return undefined;
    // Only the pod's own constraints require every topology label; the system defaults let a
    // node without a zone still be spread over by hostname.
    const requireAll = (pod.spec.topologySpreadConstraints ?? []).length > 0;
    if (rows && snap.matchingByRow) return scorerByRow(pod, snap, cs, requireAll, feasible, rows);
    const ignored = new Set<string>();
    const domainCounts = cs.map(() => new Map<string, number>());
    const topoSize = cs.map(() => 0);
    for (const n of feasible) {
      if (requireAll && !hasAllKeys(n, cs)) {
        ignored.add(n.name);
        continue;
      }
      for (let i = 0; i < cs.length; i++) {
        const c = cs[i]!;
        if (c.topologyKey === LABEL_HOSTNAME) continue;
        const v = n.labels[c.topologyKey] ?? '';
        if (!domainCounts[i]!.has(v)) {
          domainCounts[i]!.set(v, 0);
          topoSize[i]!++;
        }
      }
    }
    const weights = cs.map((c, i) => Math.log((c.topologyKey === LABEL_HOSTNAME ? feasible.length - ignored.size : topoSize[i]!) + 2));
    const perNode = cs.map((c) => counts(snap, c, pod.namespace));
    // Domain totals over every node the constraint includes (only nodes with matching pods add anything).
    cs.forEach((c, i) => {
      if (c.topologyKey === LABEL_HOSTNAME) return;
      const m = domainCounts[i]!;
      if (!requireAll && !c.honorNodeTaints && (!c.honorNodeAffinity || pod.nodeMatcher === anyNode)) {
        // Every existing node counts: the snapshot keeps these totals as pods come and go.
        if (c.selector.nothing || isEmpty(c.selector)) return;
        for (const [v, cnt] of snap.matchingByDomain(pod.namespace, c.selector, c.selectorKey, c.topologyKey)) {
          if (m.has(v)) m.set(v, m.get(v)! + cnt);
        }
        return;
      }
      for (const [name, cnt] of perNode[i]!) {
        const n = snap.node(name);
        if (!n || (requireAll && !hasAllKeys(n, cs)) || !included(c, pod, n)) continue;
        const v = n.labels[c.topologyKey] ?? '';
        if (m.has(v)) m.set(v, m.get(v)! + cnt);
      }
    });
    return {
      score: (n) => {
        if (ignored.has(n.name)) return -1;
        let s = 0;
        for (let i = 0; i < cs.length; i++) {
          const c = cs[i]!;
          const v = n.labels[c.topologyKey];
          if (v === undefined) continue;
          const cnt = c.topologyKey === LABEL_HOSTNAME ? perNode[i]!.get(n.name) ?? 0 : domainCounts[i]!.get(v) ?? 0;
          s += cnt * weights[i]! + (c.maxSkew - 1);
        }
        return Math.round(s);
      },
      normalize,
    };
  },
};

/** Raw scores to 0..MAX_NODE_SCORE, fewer matching pods scoring higher; an ignored node (-1) scores 0. */
function normalize(raw: number[]): void {
  let min = Infinity;
  let max = 0;
  for (const s of raw) {
    if (s === -1) continue;
    if (s < min) min = s;
    if (s > max) max = s;
  }
  for (let i = 0; i < raw.length; i++) {
    const s = raw[i]!;
    if (s === -1) raw[i] = 0;
    else if (max === 0) raw[i] = MAX_NODE_SCORE;
    else raw[i] = idiv(MAX_NODE_SCORE * (max + min - s), max);
  }
}

/**
 * preScore's scorer over the node table: the same scores, with label values read from the table's
 * columns and hostname counts by row (a large cluster's examined nodes are each a cache miss or two
 * through their labels object and a Map by name). Domains are label value ids; -1 marks a domain
 * no feasible node is in (upstream leaves those out of its map).
 */
function scorerByRow(pod: PodInfo, snap: Snapshot, cs: Constraint[], requireAll: boolean, feasible: readonly NodeInfo[], { table, rows }: FeasibleRows): NodeScorer {
  const cols = cs.map((c) => table.labelColumn(c.topologyKey));
  const host = cs.map((c) => c.topologyKey === LABEL_HOSTNAME);
  // A node without the label is in the '' domain while domains are gathered (not when it is scored).
  const empty = cols.map((col) => col.idOf(''));
  const domainCounts = cs.map((_, i) => (host[i] ? new Float64Array(0) : new Float64Array(cols[i]!.values.length).fill(-1)));
  const topoSize = cs.map(() => 0);
  const ignored = new Set<string>();
  for (let k = 0; k < feasible.length; k++) {
    const r = rows[k]!;
    if (requireAll && !cols.every((col) => col.ids[r]! >= 0)) {
      ignored.add(feasible[k]!.name);
      continue;
    }
    for (let i = 0; i < cs.length; i++) {
      if (host[i]) continue;
      const id = cols[i]!.ids[r]!;
      const d = domainCounts[i]!;
      const at = id < 0 ? empty[i]! : id;
      if (d[at] === -1) {
        d[at] = 0;
        topoSize[i]!++;
      }
    }
  }
  const weights = cs.map((c, i) => Math.log((host[i] ? feasible.length - ignored.size : topoSize[i]!) + 2));
  const byRow = cs.map((c, i) => (host[i] && !c.selector.nothing && !isEmpty(c.selector) ? snap.matchingByRow!(pod.namespace, c.selector, c.selectorKey, table) : undefined));
  cs.forEach((c, i) => {
    if (host[i]) return;
    const d = domainCounts[i]!;
    const add = (v: string, cnt: number) => {
      const id = cols[i]!.lookup(v);
      if (id >= 0 && id < d.length && d[id]! >= 0) d[id]! += cnt;
    };
    if (!requireAll && !c.honorNodeTaints && (!c.honorNodeAffinity || pod.nodeMatcher === anyNode)) {
      if (c.selector.nothing || isEmpty(c.selector)) return;
      for (const [v, cnt] of snap.matchingByDomain(pod.namespace, c.selector, c.selectorKey, c.topologyKey)) add(v, cnt);
      return;
    }
    for (const [name, cnt] of counts(snap, c, pod.namespace)) {
      const n = snap.node(name);
      if (!n || (requireAll && !hasAllKeys(n, cs)) || !included(c, pod, n)) continue;
      add(n.labels[c.topologyKey] ?? '', cnt);
    }
  });
  const scoreRow = (_t: NodeTable, r: number, n: NodeInfo) => {
    if (ignored.size !== 0 && ignored.has(n.name)) return -1;
    let s = 0;
    for (let i = 0; i < cs.length; i++) {
      const id = cols[i]!.ids[r]!;
      if (id < 0) continue;
      const cnt = host[i] ? byRow[i]?.[r] ?? 0 : domainCounts[i]![id]!;
      s += cnt * weights[i]! + (cs[i]!.maxSkew - 1);
    }
    return Math.round(s);
  };
  return { score: (n) => scoreRow(table, n.row, n), scoreRow, normalize };
}
