// The scheduling framework's shapes: a filter plugin prepares per pod (PreFilter) and then judges
// each node; a score plugin prepares over the feasible nodes (PreScore), scores each one and may
// normalize the scores to 0..100 before they are weighted and summed, as upstream's framework runs
// its plugins. Everything here is synchronous and reads only the snapshot.
import type { Selector } from '../model/labels.js';
import type { PodInfo } from './podinfo.js';
import type { NodeTable, TableCheck } from './nodetable.js';
import type { NodeInfo, Snapshot } from './snapshot.js';

export const MAX_NODE_SCORE = 100;

/** A failed filter: Unschedulable may be fixed by preemption, UnschedulableAndUnresolvable not. */
export interface Status {
  code: 'Unschedulable' | 'UnschedulableAndUnresolvable';
  reasons: string[];
}

export const unschedulable = (...reasons: string[]): Status => ({ code: 'Unschedulable', reasons });
export const unresolvable = (...reasons: string[]): Status => ({ code: 'UnschedulableAndUnresolvable', reasons });

/** What every plugin sees of one scheduling cycle. */
export interface Cycle {
  pod: PodInfo;
  snap: Snapshot;
  /**
   * The selector of the pod's Services and controller (helper.DefaultSelector), for the system
   * default topology spreading; empty when nothing selects the pod.
   */
  defaultSelector?: Selector;
}

export type NodeFilter = (node: NodeInfo) => Status | undefined;

export interface PreFilterResult {
  filter?: NodeFilter;
  /** Only these nodes can fit (PreFilterResult.NodeNames). */
  nodeNames?: ReadonlySet<string>;
  /** When the snapshot's node table proves the filter passes; absent, every node goes through the filter. */
  check?: TableCheck;
}

export interface FilterPlugin {
  name: string;
  /** undefined: the plugin has nothing to check for this pod (Skip); a Status: no node can fit. */
  preFilter(c: Cycle): PreFilterResult | Status | undefined;
}

export interface NodeScorer {
  score(node: NodeInfo): number;
  /** The same score from the node's table row (i of t), reading the NodeInfo only when the row does not say. */
  scoreRow?(t: NodeTable, i: number, node: NodeInfo): number;
  /** Rescales the raw scores (same order as the nodes) to 0..MAX_NODE_SCORE. */
  normalize?(scores: number[], nodes: readonly NodeInfo[]): void;
}

/** The feasible nodes' rows in the snapshot's table (rows[k] is feasible[k]'s), when the decision uses the table. */
export interface FeasibleRows {
  table: NodeTable;
  rows: Int32Array;
}

export interface ScorePlugin {
  name: string;
  weight: number;
  /** undefined: the plugin does not score this pod (Skip). */
  preScore(c: Cycle, feasible: readonly NodeInfo[], rows?: FeasibleRows): NodeScorer | undefined;
}

export const isStatus = (v: PreFilterResult | Status | undefined): v is Status => !!v && 'code' in v;

/** Go's integer division (truncation toward zero) on int64 values held in doubles. */
export const idiv = (a: number, b: number) => Math.trunc(a / b);

/** helper.DefaultNormalizeScore: scale to 0..100 by the maximum, optionally reversed. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = idiv(MAX_NODE_SCORE * scores[i]!, max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
