// The scheduling decision (upstream's schedulePod and DefaultPreemption's PostFilter) as a pure
// function: a pod and a snapshot in, a node or the reason there is none out. It reads nothing but
// its arguments and changes nothing; the runner (scheduler.ts) feeds it the cache and acts on the
// answer, the simulator and the model checker can feed it theirs.
//
// Evaluation starts at `startIndex` in the name-sorted node list and wraps around; the runner
// advances it by the nodes each decision examined, as upstream advances nextStartNodeIndex. Among
// the nodes with the best score upstream picks one at random: the runner draws the number
// (`tieBreak`) and the decision picks by it, so the same inputs give the same node.
import { isEmpty, labelSelectorAsSelector, matches, type Selector } from '../model/labels.js';
import { isStatus, type Cycle, type FilterPlugin, type NodeFilter, type ScorePlugin, type Status } from './framework.js';
import { balancedAllocation, NO_POD_ROOM, nodeResourcesFit } from './plugins/fit.js';
import { interPodAffinity } from './plugins/interpodaffinity.js';
import { nodeAffinity, nodeName, nodePorts, nodeUnschedulable, taintToleration } from './plugins/node.js';
import { podTopologySpread } from './plugins/topologyspread.js';
import { volumeBinding, volumeRestrictions } from './plugins/volumes.js';
import { combineChecks, TABLE_NO_POD_ROOM, TABLE_PASSES, type NodeTable, type TableCheck } from './nodetable.js';
import { podStartTime, type PodInfo } from './podinfo.js';
import { domainTotals, termSignature, type NodeInfo, type Snapshot, type TermUse } from './snapshot.js';

/** The default profile's filters, in upstream's order. */
export const FILTERS: FilterPlugin[] = [
  nodeUnschedulable,
  nodeName,
  taintToleration,
  nodeAffinity,
  nodePorts,
  nodeResourcesFit,
  volumeRestrictions,
  volumeBinding,
  podTopologySpread,
  interPodAffinity,
];

/** The default profile's scores with their weights (ImageLocality is left out: no node reports images). */
export const SCORES: ScorePlugin[] = [taintToleration, nodeAffinity, nodeResourcesFit, podTopologySpread, interPodAffinity, balancedAllocation];

export const ERR_NO_NODES = 'no nodes available to schedule pods';
const ERR_NO_VICTIMS = 'No preemption victims found for incoming pod';
const ERR_PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';

export interface ScheduleOptions {
  /** Where in the node list to start looking (upstream's nextStartNodeIndex). */
  startIndex?: number;
  /** percentageOfNodesToScore; 0 or absent: adaptive, 50% − 1% per 125 nodes, at least 5%. */
  percentageOfNodesToScore?: number;
  /** The selector of the pod's Services and controller, for the system default spreading. */
  defaultSelector?: Selector;
  /** Pods nominated to nodes by earlier preemptions, whose room other pods must leave free. */
  nominated?: (node: string) => readonly PodInfo[];
  /**
   * A number in [0, 1) that picks among the nodes with the best score, each as likely (upstream's
   * selectHost samples them at random); absent: the first of them in evaluation order.
   */
  tieBreak?: number;
  /** Also name every node with the best score (`tied`), for a caller that explores each (the model checker). */
  listTies?: boolean;
}

export type ScheduleResult =
  | {
      kind: 'scheduled';
      node: string;
      nextStartIndex: number;
      evaluatedNodes: number;
      feasibleNodes: number;
      score?: number;
      /** With listTies: every node with the best score, in evaluation order (node is one of them). */
      tied?: string[];
    }
  | {
      kind: 'unschedulable';
      /** The PodScheduled condition's and the FailedScheduling event's message. */
      message: string;
      nextStartIndex: number;
      /** Preemption found room: delete these pods and nominate the node. */
      preemption?: { node: string; victims: PodInfo[] };
    };

const MIN_FEASIBLE_NODES = 100;
const MIN_FEASIBLE_PERCENTAGE = 5;

/** numFeasibleNodesToFind: how many feasible nodes are enough to pick from. */
export function feasibleNodesToFind(numNodes: number, percentage = 0): number {
  if (numNodes < MIN_FEASIBLE_NODES) return numNodes;
  let pct = percentage;
  if (pct <= 0) pct = Math.max(MIN_FEASIBLE_PERCENTAGE, 50 - Math.trunc(numNodes / 125));
  if (pct >= 100) return numNodes;
  return Math.max(MIN_FEASIBLE_NODES, Math.trunc((numNodes * pct) / 100));
}

interface Prepared {
  filters: NodeFilter[];
  nodeNames?: ReadonlySet<string>;
  plugins: string[];
  failure?: Status;
  /** When a node table proves that every filter passes; absent when some filter needs each NodeInfo. */
  check?: TableCheck;
}

function prepare(c: Cycle): Prepared {
  const filters: NodeFilter[] = [];
  const checks: (TableCheck | undefined)[] = [];
  const plugins: string[] = [];
  let nodeNames: ReadonlySet<string> | undefined;
  if (c.pod.parseError) return { filters, plugins, failure: { code: 'UnschedulableAndUnresolvable', reasons: [`parsing pod: ${c.pod.parseError}`] } };
  for (const p of FILTERS) {
    const r = p.preFilter(c);
    if (!r) continue;
    if (isStatus(r)) return { filters, plugins, failure: r };
    if (r.filter) {
      filters.push(r.filter);
      checks.push(r.check);
    }
    if (r.nodeNames) {
      nodeNames = nodeNames ? new Set([...nodeNames].filter((n) => r.nodeNames!.has(n))) : r.nodeNames;
      plugins.push(p.name);
    }
  }
  const check = combineChecks(checks);
  const prep: Prepared = nodeNames ? { filters, nodeNames, plugins } : { filters, plugins };
  if (check) prep.check = check;
  return prep;
}

/**
 * The snapshot's node table when this decision may use it: the snapshot offers one, every filter
 * says when the table proves it passes, and each node is judged as it is (no node subset, no
 * nominated pods' room to add).
 */
function tableFor(snap: Snapshot, prep: Prepared, opts: ScheduleOptions): NodeTable | undefined {
  if (!prep.check || prep.nodeNames || opts.nominated || !snap.nodeTable) return undefined;
  const t = snap.nodeTable();
  return t.size === snap.nodes.length ? t : undefined;
}

function runFilters(filters: NodeFilter[], n: NodeInfo): Status | undefined {
  for (const f of filters) {
    const s = f(n);
    if (s) return s;
  }
  return undefined;
}

/** The node as the pod must see it: with the room of higher- or equal-priority nominated pods taken. */
function withNominated(pod: PodInfo, n: NodeInfo, opts: ScheduleOptions): NodeInfo {
  const listed = opts.nominated?.(n.name);
  if (!listed || listed.length === 0) return n;
  const noms = listed.filter((p) => p.key !== pod.key && p.priority >= pod.priority);
  if (noms.length === 0) return n;
  const c = n.clone();
  for (const p of noms) c.addPod({ ...p, nodeName: n.name });
  return c;
}

/** FitError.Error(): "0/N nodes are available: <histogram>." plus the PostFilter message. */
export function fitErrorMessage(numAllNodes: number, statuses: Iterable<Status>, preFilterMsg?: string, postFilterMsg?: string): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (preFilterMsg) msg += ` ${preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}`;
  return msg;
}

let feasibleBuf = new Int32Array(1024);

/** A buffer of at least n places for a decision's feasible nodes (read only until the decision copies them out). */
function feasibleScratch(n: number): Int32Array {
  if (feasibleBuf.length < n) feasibleBuf = new Int32Array(Math.max(n, feasibleBuf.length * 2));
  return feasibleBuf;
}

/** Decides where the pod goes, or why it goes nowhere. Pure: reads the pod and the snapshot only. */
export function schedulePod(pod: PodInfo, snap: Snapshot, opts: ScheduleOptions = {}): ScheduleResult {
  const all = snap.nodes;
  const start = opts.startIndex ?? 0;
  if (all.length === 0) return { kind: 'unschedulable', message: ERR_NO_NODES, nextStartIndex: 0 };
  const cycle: Cycle = opts.defaultSelector ? { pod, snap, defaultSelector: opts.defaultSelector } : { pod, snap };
  const prep = prepare(cycle);
  const statuses = new Map<string, Status>();
  if (prep.failure) {
    for (const n of all) statuses.set(n.name, prep.failure);
    return fail(pod, snap, opts, statuses, start, prep.failure.reasons.join(', '));
  }
  let candidates: readonly NodeInfo[] = all;
  if (prep.nodeNames) {
    candidates = all.filter((n) => prep.nodeNames!.has(n.name));
    const absent: Status = { code: 'UnschedulableAndUnresolvable', reasons: [`node(s) didn't satisfy plugin(s) [${prep.plugins.sort().join(' ')}]`] };
    for (const n of all) if (!prep.nodeNames.has(n.name)) statuses.set(n.name, absent);
  }
  const want = feasibleNodesToFind(candidates.length, opts.percentageOfNodesToScore);
  let processed = 0;
  const len = candidates.length;
  const table = tableFor(snap, prep, opts);
  const check = prep.check!;
  // The feasible nodes' places, gathered in a buffer kept between decisions (a list grown node by
  // node was most of what a decision allocated), then copied out at their number; and the places
  // the table shows have no room for another pod (their status is known without reading their
  // NodeInfo; a decision that finds a node only counts them).
  const found = feasibleScratch(Math.min(want, len));
  let nf = 0;
  const full: number[] = [];
  for (let i = 0; i < len && nf < want; i++) {
    const at = (start + i) % len;
    processed++;
    if (table) {
      const v = table.verdict(at, check.flags, check.fits);
      if (v === TABLE_PASSES) {
        found[nf++] = at;
        continue;
      }
      if (v === TABLE_NO_POD_ROOM) {
        full.push(at);
        continue;
      }
    }
    const n = candidates[at]!;
    const s = runFilters(prep.filters, withNominated(pod, n, opts));
    if (s) statuses.set(n.name, s);
    else found[nf++] = at;
  }
  const nextStartIndex = len ? (start + processed) % all.length : start;
  if (nf === 0) {
    for (let k = 0; k < full.length; k++) statuses.set(candidates[full[k]!]!.name, NO_POD_ROOM);
    return fail(pod, snap, opts, statuses, nextStartIndex);
  }
  if (nf === 1) {
    const node = candidates[found[0]!]!.name;
    return { kind: 'scheduled', node, nextStartIndex, evaluatedNodes: 1 + statuses.size + full.length, feasibleNodes: 1, ...(opts.listTies ? { tied: [node] } : {}) };
  }
  const rows = found.slice(0, nf);
  const feasible = new Array<NodeInfo>(nf);
  for (let i = 0; i < nf; i++) feasible[i] = candidates[rows[i]!]!;
  const m = nf;
  const totals = new Array<number>(m).fill(0);
  const raw = new Array<number>(m);
  const feasibleRows = table ? { table, rows } : undefined;
  for (const plugin of SCORES) {
    const scorer = plugin.preScore(cycle, feasible, feasibleRows);
    if (!scorer) continue;
    if (table && scorer.scoreRow) for (let i = 0; i < m; i++) raw[i] = scorer.scoreRow(table, rows[i]!, feasible[i]!);
    else for (let i = 0; i < m; i++) raw[i] = scorer.score(feasible[i]!);
    scorer.normalize?.(raw, feasible);
    for (let i = 0; i < m; i++) totals[i]! += raw[i]! * plugin.weight;
  }
  const best = pickBest(totals, opts.tieBreak);
  return {
    kind: 'scheduled',
    node: feasible[best]!.name,
    nextStartIndex,
    evaluatedNodes: feasible.length + statuses.size + full.length,
    feasibleNodes: feasible.length,
    score: totals[best]!,
    ...(opts.listTies ? { tied: feasible.filter((_, i) => totals[i] === totals[best]).map((n) => n.name) } : {}),
  };
}

/** The place of the best total; among equal ones, the one tieBreak falls on (the first without it). */
function pickBest(totals: readonly number[], tieBreak: number | undefined): number {
  let best = 0;
  let ties = 1;
  for (let i = 1; i < totals.length; i++) {
    if (totals[i]! > totals[best]!) {
      best = i;
      ties = 1;
    } else if (totals[i] === totals[best]) ties++;
  }
  if (ties === 1 || !(tieBreak! >= 0)) return best; // absent (or NaN): the first
  let k = Math.min(ties - 1, Math.floor(tieBreak! * ties));
  for (let i = best; i < totals.length; i++) if (totals[i] === totals[best] && k-- === 0) return i;
  return best;
}

function fail(pod: PodInfo, snap: Snapshot, opts: ScheduleOptions, statuses: Map<string, Status>, nextStartIndex: number, preFilterMsg?: string): ScheduleResult {
  const n = snap.nodes.length;
  const post = preempt(pod, snap, opts, statuses);
  if (post.candidate) {
    return { kind: 'unschedulable', message: fitErrorMessage(n, statuses.values(), preFilterMsg), nextStartIndex, preemption: post.candidate };
  }
  return { kind: 'unschedulable', message: fitErrorMessage(n, statuses.values(), preFilterMsg, post.message), nextStartIndex };
}

// ---- preemption ------------------------------------------------------------------------------

interface Candidate {
  node: string;
  victims: PodInfo[];
  /** How many of the victims' evictions would break a disruption budget. */
  violating: number;
}

/**
 * DefaultPreemption's PostFilter: on the nodes where removing lower-priority pods might help,
 * find the fewest such pods whose removal lets this pod fit, and pick the node where that hurts
 * least. Every such node is evaluated (upstream samples a subset from a random offset).
 */
function preempt(pod: PodInfo, snap: Snapshot, opts: ScheduleOptions, statuses: Map<string, Status>): { candidate?: Candidate; message?: string } {
  const n = snap.nodes.length;
  if ((pod.spec.preemptionPolicy ?? 'PreemptLowerPriority') === 'Never') return { message: 'preemption: not eligible due to preemptionPolicy=Never.' };
  const nominatedTo = (pod.pod.status?.nominatedNodeName as string | undefined) ?? '';
  if (nominatedTo) {
    const node = snap.node(nominatedTo);
    if (node && [...node.pods.values()].some((p) => p.terminating && p.priority < pod.priority)) {
      return { message: 'preemption: not eligible due to a terminating pod on the nominated node.' };
    }
  }
  const results = new Map<string, Status>();
  const candidates: Candidate[] = [];
  for (const node of snap.nodes) {
    const s = statuses.get(node.name);
    if (!s || s.code === 'UnschedulableAndUnresolvable') continue;
    const r = selectVictims(pod, snap, node, opts);
    if ('victims' in r) candidates.push({ node: node.name, victims: r.victims, violating: r.violating });
    else results.set(node.name, r);
  }
  if (candidates.length > 0) return { candidate: pickCandidate(candidates) };
  const absent: Status = { code: 'UnschedulableAndUnresolvable', reasons: [ERR_PREEMPTION_NOT_HELPFUL] };
  const all = snap.nodes.map((node) => results.get(node.name) ?? absent);
  return { message: `preemption: ${fitErrorMessage(n, all)}` };
}

/** Would the pod fit on this node with these of its pods gone? Prepared afresh, as cluster-wide counts change too. */
function fitsWithout(pod: PodInfo, snap: Snapshot, node: NodeInfo, gone: ReadonlySet<string>, opts: ScheduleOptions): Status | undefined {
  const view = new WithoutPods(snap, node, gone);
  const c: Cycle = opts.defaultSelector ? { pod, snap: view, defaultSelector: opts.defaultSelector } : { pod, snap: view };
  const prep = prepare(c);
  if (prep.failure) return prep.failure;
  if (prep.nodeNames && !prep.nodeNames.has(node.name)) return { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) didn\'t satisfy plugin(s)'] };
  return runFilters(prep.filters, withNominated(pod, view.node(node.name)!, opts));
}

function selectVictims(pod: PodInfo, snap: Snapshot, node: NodeInfo, opts: ScheduleOptions): { victims: PodInfo[]; violating: number } | Status {
  const lower = [...node.pods.values()].filter((p) => p.priority < pod.priority);
  if (lower.length === 0) return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_NO_VICTIMS] };
  const gone = new Set(lower.map((p) => p.key));
  const s = fitsWithout(pod, snap, node, gone, opts);
  if (s) return s;
  // Reprieve as many as possible, the most important first: those whose eviction would break a
  // disruption budget before the others.
  const order = [...lower].sort((a, b) => b.priority - a.priority || (podStartTime(a) < podStartTime(b) ? -1 : podStartTime(a) > podStartTime(b) ? 1 : 0));
  const breaking = budgetBreakers(order, snap);
  const victims: PodInfo[] = [];
  let violating = 0;
  for (const pass of [true, false]) {
    for (const p of order) {
      if (breaking.has(p) !== pass) continue;
      gone.delete(p.key);
      if (fitsWithout(pod, snap, node, gone, opts)) {
        gone.add(p.key);
        victims.push(p);
        if (pass) violating++;
      }
    }
  }
  // most important first, as they were taken (the two passes interleave them)
  victims.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  return { victims, violating };
}

/**
 * filterPodsWithPDBViolation: taking the pods in order, each one a budget selects uses one of the
 * disruptions it allows (unless the API already counts it as disrupted); a pod that takes a budget
 * below zero would break it. A budget without a selector, or with an empty one, selects nothing here.
 */
function budgetBreakers(pods: readonly PodInfo[], snap: Snapshot): Set<PodInfo> {
  const out = new Set<PodInfo>();
  const budgets = [...(snap.disruptionBudgets?.() ?? [])].map((b) => {
    let sel: Selector | undefined;
    try {
      sel = labelSelectorAsSelector(b.spec?.selector);
    } catch {
      sel = undefined;
    }
    return { b, sel: sel && !isEmpty(sel) ? sel : undefined, allowed: b.status?.disruptionsAllowed ?? 0 };
  });
  if (budgets.length === 0) return out;
  for (const p of pods) {
    if (Object.keys(p.labels).length === 0) continue;
    for (const x of budgets) {
      if (!x.sel || x.b.metadata?.namespace !== p.namespace || !matches(x.sel, p.labels)) continue;
      if (x.b.status?.disruptedPods?.[p.name] !== undefined) continue;
      if (--x.allowed < 0) out.add(p);
    }
  }
  return out;
}

/** pickOneNodeForPreemption: fewest broken disruption budgets, lowest top victim priority, lowest priority sum, fewest victims, latest start. */
function pickCandidate(cands: Candidate[]): Candidate {
  const top = (c: Candidate) => Math.max(...c.victims.map((v) => v.priority));
  const sum = (c: Candidate) => c.victims.reduce((s, v) => s + v.priority + 2147483648, 0);
  const earliestOfTop = (c: Candidate) => {
    const t = top(c);
    return c.victims.filter((v) => v.priority === t).map(podStartTime).sort()[0] ?? '';
  };
  let best = cands;
  const keepMin = (f: (c: Candidate) => number) => {
    const m = Math.min(...best.map(f));
    best = best.filter((c) => f(c) === m);
  };
  keepMin((c) => c.violating);
  keepMin(top);
  keepMin(sum);
  keepMin((c) => c.victims.length);
  if (best.length > 1) {
    const latest = best.map(earliestOfTop).sort().at(-1);
    best = best.filter((c) => earliestOfTop(c) === latest);
  }
  return best[0]!;
}

/** The snapshot as it would be with some pods of one node removed (preemption's what-if). */
class WithoutPods implements Snapshot {
  private readonly replaced: NodeInfo;
  readonly nodes: readonly NodeInfo[];

  private readonly removed = new Map<string, PodInfo>();

  constructor(private readonly base: Snapshot, node: NodeInfo, private readonly gone: ReadonlySet<string>) {
    this.replaced = node.clone();
    for (const k of gone) {
      const p = this.replaced.pods.get(k);
      if (!p) continue;
      this.replaced.removePod(p);
      this.removed.set(k, p);
    }
    this.nodes = base.nodes.map((n) => (n.name === node.name ? this.replaced : n));
  }

  node(name: string): NodeInfo | undefined {
    return name === this.replaced.name ? this.replaced : this.base.node(name);
  }

  *podsWithScoringTerms(): Iterable<PodInfo> {
    for (const p of this.base.podsWithScoringTerms()) if (!this.gone.has(p.key)) yield p;
  }

  *requiredAntiAffinityTerms(): Iterable<TermUse> {
    const here = new Map<string, number>();
    for (const p of this.gone) {
      const info = this.removed.get(p);
      for (const t of info?.requiredAntiAffinity ?? []) here.set(termSignature(t), (here.get(termSignature(t)) ?? 0) + 1);
    }
    for (const use of this.base.requiredAntiAffinityTerms()) {
      const less = here.get(termSignature(use.term));
      if (!less) {
        yield use;
        continue;
      }
      const nodes = new Map(use.nodes);
      const n = (nodes.get(this.replaced.name) ?? 0) - less;
      if (n > 0) nodes.set(this.replaced.name, n);
      else nodes.delete(this.replaced.name);
      if (nodes.size) yield { term: use.term, nodes };
    }
  }

  namespaceLabels(ns: string) {
    return this.base.namespaceLabels(ns);
  }

  pvc(ns: string, name: string) {
    return this.base.pvc(ns, name);
  }

  pv(name: string) {
    return this.base.pv(name);
  }

  persistentVolumes() {
    return this.base.persistentVolumes();
  }

  storageClass(name: string) {
    return this.base.storageClass(name);
  }

  claimUsers(ns: string, claim: string): ReadonlyMap<string, number> | undefined {
    const users = this.base.claimUsers(ns, claim);
    if (!users) return users;
    const m = new Map(users);
    const here = [...this.replaced.pods.values()].filter((p) => p.namespace === ns && p.claims.includes(claim)).length;
    if (here) m.set(this.replaced.name, here);
    else m.delete(this.replaced.name);
    return m;
  }

  matchingByDomain(ns: string, selector: Selector, selectorKey: string, topologyKey: string): ReadonlyMap<string, number> {
    return domainTotals(this, this.matchingByNode(ns, selector, selectorKey, false), topologyKey);
  }

  matchingByNode(ns: string, selector: Selector, selectorKey: string, includeTerminating: boolean): ReadonlyMap<string, number> {
    const m = new Map(this.base.matchingByNode(ns, selector, selectorKey, includeTerminating));
    let c = 0;
    for (const p of this.replaced.pods.values()) {
      if (p.namespace === ns && (includeTerminating || !p.terminating) && matchesSel(selector, p)) c++;
    }
    if (c) m.set(this.replaced.name, c);
    else m.delete(this.replaced.name);
    return m;
  }
}

const matchesSel = (s: Selector, p: PodInfo) => matches(s, p.labels);
