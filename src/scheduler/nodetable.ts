// The numbers the filter and score pass reads of every examined node, as typed arrays indexed by the
// node's place in the name-sorted node list. A decision examines hundreds of nodes; reading each
// NodeInfo and the objects it points to (taints, pod map, resources) is a cache miss apiece in a
// large heap, while these arrays are contiguous. The table proves that a node passes, or that it
// fails for one reason only, no room for another pod (a busy cluster's common failure), and scores
// nodes where the plugin says it can: any other node goes through the real filters, so statuses
// and messages are the plugins' own.
import type { Resources } from './resources.js';
import type { NodeInfo } from './snapshot.js';

/** Node flags: what makes a filter need the NodeInfo itself. */
export const NODE_UNSCHEDULABLE = 1;
export const NODE_TAINTED = 2;
export const NODE_PORTS_IN_USE = 4;

/** What the table knows of a node under a check: it passes every filter; every filter but for the pod count (NodeResourcesFit's "Too many pods" alone); or not enough to say. */
export const TABLE_PASSES = 0;
export const TABLE_NO_POD_ROOM = 1;
export const TABLE_UNKNOWN = 2;
export type TableVerdict = typeof TABLE_PASSES | typeof TABLE_NO_POD_ROOM | typeof TABLE_UNKNOWN;

/** What a filter plugin's preFilter says the table can settle: the node passes when none of these flags is set (and the request fits, if given). */
export interface TableCheck {
  flags: number;
  /** NodeResourcesFit's common case: the pod count and cpu, memory and ephemeral storage fit (the pod requests no scalar resource). */
  fits?: Resources;
}

export class NodeTable {
  /** False once the node list changed: rows no longer write here, the snapshot builds a new table. */
  live = true;
  readonly podCount: Int32Array;
  readonly allowedPods: Float64Array;
  readonly allocCPU: Float64Array;
  readonly allocMemory: Float64Array;
  readonly allocEphemeral: Float64Array;
  readonly reqCPU: Float64Array;
  readonly reqMemory: Float64Array;
  readonly reqEphemeral: Float64Array;
  readonly nonZeroCPU: Float64Array;
  readonly nonZeroMemory: Float64Array;
  readonly flags: Uint8Array;

  /** Label columns by key, built when first asked (labelColumn). */
  private readonly columns = new Map<string, LabelColumn>();

  /** nodes: row i's node (what label columns are read from). */
  constructor(readonly size: number, readonly nodes: readonly NodeInfo[] = []) {
    this.podCount = new Int32Array(size);
    this.allowedPods = new Float64Array(size);
    this.allocCPU = new Float64Array(size);
    this.allocMemory = new Float64Array(size);
    this.allocEphemeral = new Float64Array(size);
    this.reqCPU = new Float64Array(size);
    this.reqMemory = new Float64Array(size);
    this.reqEphemeral = new Float64Array(size);
    this.nonZeroCPU = new Float64Array(size);
    this.nonZeroMemory = new Float64Array(size);
    this.flags = new Uint8Array(size);
  }

  /** Copies one node's row (on build, and written through on every change while the table is live). */
  write(i: number, n: NodeInfo): void {
    const a = n.allocatable;
    const u = n.requested;
    this.podCount[i] = n.pods.size;
    this.allowedPods[i] = n.allowedPods;
    this.allocCPU[i] = a.milliCPU;
    this.allocMemory[i] = a.memory;
    this.allocEphemeral[i] = a.ephemeralStorage;
    this.reqCPU[i] = u.milliCPU;
    this.reqMemory[i] = u.memory;
    this.reqEphemeral[i] = u.ephemeralStorage;
    this.nonZeroCPU[i] = n.nonZero.milliCPU;
    this.nonZeroMemory[i] = n.nonZero.memory;
    this.flags[i] = (n.unschedulable ? NODE_UNSCHEDULABLE : 0) | (n.taints.length ? NODE_TAINTED : 0) | (n.usedPorts.size ? NODE_PORTS_IN_USE : 0);
  }

  /** The nodes' values of one label (topology spreading reads a key of every examined node). */
  labelColumn(key: string): LabelColumn {
    let c = this.columns.get(key);
    if (!c) {
      c = new LabelColumn(this.size);
      for (let i = 0; i < this.nodes.length; i++) {
        const v = this.nodes[i]!.labels[key];
        c.ids[i] = v === undefined ? -1 : c.idOf(v);
      }
      this.columns.set(key, c);
    }
    return c;
  }

  /** A node's labels changed: the columns are read again when next asked. */
  labelsChanged(): void {
    this.columns.clear();
  }

  /**
   * TABLE_PASSES only when every filter of the check surely passes on node i; TABLE_NO_POD_ROOM
   * only when every one does but NodeResourcesFit, and that for the pod count alone (the request
   * fits otherwise). The resource test is insufficientResources' common case, the same arithmetic
   * on the same values.
   */
  verdict(i: number, flags: number, req: Resources | undefined): TableVerdict {
    if ((this.flags[i]! & flags) !== 0) return TABLE_UNKNOWN;
    if (req === undefined) return TABLE_PASSES;
    if (
      req.milliCPU <= this.allocCPU[i]! - this.reqCPU[i]! &&
      req.memory <= this.allocMemory[i]! - this.reqMemory[i]! &&
      req.ephemeralStorage <= this.allocEphemeral[i]! - this.reqEphemeral[i]!
    ) {
      return this.podCount[i]! + 1 <= this.allowedPods[i]! ? TABLE_PASSES : TABLE_NO_POD_ROOM;
    }
    return TABLE_UNKNOWN;
  }
}

/** One label over the table's rows: each row's value as an id into values (-1: the node has no such label). */
export class LabelColumn {
  readonly ids: Int32Array;
  readonly values: string[] = [];
  private readonly byValue = new Map<string, number>();

  constructor(size: number) {
    this.ids = new Int32Array(size);
  }

  /** The id of a value, given one if it has none yet. */
  idOf(v: string): number {
    let id = this.byValue.get(v);
    if (id === undefined) {
      this.byValue.set(v, (id = this.values.length));
      this.values.push(v);
    }
    return id;
  }

  /** The id of a value, -1 when no row holds it (and it was never given one). */
  lookup(v: string): number {
    return this.byValue.get(v) ?? -1;
  }
}

/** The checks of several filters as one, or undefined when one of them cannot be settled by the table. */
export function combineChecks(checks: readonly (TableCheck | undefined)[]): TableCheck | undefined {
  let flags = 0;
  let fits: Resources | undefined;
  for (const c of checks) {
    if (!c) return undefined;
    flags |= c.flags;
    if (c.fits) {
      if (fits) return undefined;
      fits = c.fits;
    }
  }
  return fits ? { flags, fits } : { flags };
}
