// The cluster model's rows, interned (cluster-model.ts): one shared object per key, value, revision
// and previous revision, with small integer ids, so a state is an array of them and what depends
// on its content alone can be keyed by one integer (its content id).
import type { ResourceRef } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import type { LogRow } from '../store/log.js';
import { freeze } from '../store/fanout.js';
import type { Located } from '../controllers/runtime.js';
import { MapState, type ClusterState } from './invariants/state.js';
import { Interner } from './memo.js';
import { IntColumn, PairMap, TupleBuffer, TupleTable } from './tuples.js';
import type { StateLog } from './state-api.js';

/** A live row, interned: one object per key, value, revision and previous revision. */
export interface Row extends LogRow {
  /** The key's id. */
  readonly kid: number;
  /** The value's id. */
  readonly cid: number;
  /** The id of the (key, value) pair: the row's content, whatever its revision. */
  readonly rc: number;
  /** The row's own id (one per key, value, revision and previous revision). */
  readonly id: number;
}

/**
 * The rows' revisions in ascending order, into the first rows.length places of `into` (a buffer
 * reused from call to call: emptied by its length, its store would go). Insertion sort: a dozen
 * revisions, mostly in order already, and no array made (as sort makes).
 */
export function sortRevisions(rows: readonly Row[], into: number[]): void {
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]!.revision;
    let j = i;
    while (j > 0 && into[j - 1]! > v) {
      into[j] = into[j - 1]!;
      j--;
    }
    into[j] = v;
  }
}

/**
 * A state as far as its rows go: the rows, their rid (RowTable.rid) and content id (-1 until
 * asked). They ride on the state, which is made anyway, not on its rows array: most next states'
 * arrays are duplicates thrown away at once, and a property added to an array costs it a new shape.
 */
export interface RowsState {
  readonly rows: readonly Row[];
  rid: number;
  csid: number;
}

export class RowTable {
  private readonly keyIds = new Interner<string>();
  /** Each key's resource (undefined: not an API resource the model shows), by key id. */
  private readonly keyRes: (ResourceRef | undefined)[] = [];
  /** Each key's place in key order, by key id (recomputed when keys are added). */
  private keyRank: number[] = [];
  private keyRanked = 0;
  private readonly valueIds = new Interner<string>();
  /**
   * Content ids by (key, value), rows by (content, revision, previous revision), in tables of
   * int32s: a Map keyed by kid * 2^26 + cid (or revision * 2^26 + previous) hashed a heap number
   * made per lookup, and a write step interns the row it writes.
   */
  private readonly rcIds = new PairMap();
  private readonly rowIds = new TupleTable();
  private readonly rowKey = [0, 0, 0];
  /** Rows by id. */
  private readonly rowList: Row[] = [];
  private readonly csids = new TupleTable();
  private readonly scratch = new TupleBuffer();
  /** Rows arrays by their rows' ids in order, interned: a rid names a state's rows (what is derived from them alone goes by it). */
  private readonly rids = new TupleTable();
  /** The shared array of each rid (RowTable.shared), at the head it was first shared at; other heads apart. */
  private readonly sharedRows: (readonly Row[] | undefined)[] = [];
  private readonly sharedHead = new IntColumn(-1);
  private readonly sharedSid = new IntColumn(-1);
  private readonly sharedElse = new Map<number, { head: number; rows: readonly Row[]; sid: number }[]>();

  /** refs: the resources the model shows, by their keys' prefix (`/group/resource/`). */
  constructor(private readonly refs: ReadonlyMap<string, ResourceRef>, private readonly now: Instant) {}

  kidOf(key: string): number {
    const n = this.keyIds.size;
    const kid = this.keyIds.id(key);
    if (kid === n) {
      const i = key.indexOf('/', key.indexOf('/', 1) + 1);
      this.keyRes[kid] = this.refs.get(key.slice(0, i + 1));
    }
    return kid;
  }

  key(kid: number): string {
    return this.keyIds.values[kid]!;
  }

  /** The key's resource (undefined: not an API resource the model shows). */
  resource(kid: number): ResourceRef | undefined {
    return this.keyRes[kid];
  }

  cidOf(value: string): number {
    return this.valueIds.id(value);
  }

  readonly intern = (kid: number, cid: number, revision: number, prevRevision: number): Row => {
    let rc = this.rcIds.get(kid, cid);
    if (rc < 0) this.rcIds.set(kid, cid, (rc = this.rcIds.size));
    if (revision >= 0x4000000) throw new Error('cluster model: revisions beyond 2^26 are not interned');
    const k = this.rowKey;
    k[0] = rc;
    k[1] = revision;
    k[2] = prevRevision;
    // Ids are given in order: a new one is the next row's.
    const id = this.rowIds.id(k, 3);
    if (id < this.rowList.length) return this.rowList[id]!;
    const r: Row = { revision, key: this.keyIds.values[kid]!, deleted: false, prevRevision, value: this.valueIds.values[cid]!, kid, cid, rc, id };
    this.rowList.push(r);
    return r;
  };

  internLogRow(r: LogRow): Row {
    if ('rc' in r) return r as Row;
    if (r.deleted) throw new Error('cluster model: a deleted row is not live');
    return this.intern(this.kidOf(r.key), this.valueIds.id(r.value), r.revision, r.prevRevision);
  }

  rowsOf(log: StateLog): readonly Row[] {
    return [...log.rows.values()].map((r) => this.internLogRow(r));
  }

  /**
   * The one array of these rows (in this order) at this head: a state's steps that depend on its
   * rows and head alone are then worked out once for all the states that hold them (by its sid).
   * Asked for the states being explored only (cluster-model.ts): the many next states that turn out
   * to be known already are not kept alive by it.
   */
  shared(s: RowsState, head: number): readonly Row[] {
    // By rid (the rows' ids in order), then head: one head per rid is the rule.
    const rid = this.rid(s);
    const first = this.sharedRows[rid];
    if (!first) {
      // Filled in rid order but for rids met only as next states (a hole, rarely): kept packed.
      while (this.sharedRows.length < rid) this.sharedRows.push(undefined);
      this.sharedRows[rid] = s.rows;
      this.sharedHead.set(rid, head);
      this.sharedSid.set(rid, this.sharedCount++);
      return s.rows;
    }
    if (this.sharedHead.get(rid) === head) return first;
    let others = this.sharedElse.get(rid);
    if (!others) this.sharedElse.set(rid, (others = []));
    for (let b = 0; b < others.length; b++) if (others[b]!.head === head) return others[b]!.rows;
    others.push({ head, rows: s.rows, sid: this.sharedCount++ });
    return s.rows;
  }

  /** Shared arrays are numbered 0, 1, … (their sid) as they are first shared. */
  private sharedCount = 0;

  /**
   * The sid of a state's rows and head, which `shared` has seen (what is worked out for a shared
   * array goes by it: a property on the array cost each one a property store and an object).
   */
  sid(s: RowsState, head: number): number {
    const rid = this.rid(s);
    if (this.sharedHead.get(rid) === head) return this.sharedSid.get(rid);
    const others = this.sharedElse.get(rid);
    if (others) for (let b = 0; b < others.length; b++) if (others[b]!.head === head) return others[b]!.sid;
    throw new Error('cluster model: rows asked for their sid were never shared');
  }

  /** The rid of a state's rows: their ids in order, interned (worked out once per state). */
  rid(s: RowsState): number {
    if (s.rid >= 0) return s.rid;
    const rows = s.rows;
    const t = this.scratch.reset();
    for (let i = 0; i < rows.length; i++) t.push(rows[i]!.id);
    return (s.rid = this.rids.id(t.t, t.n));
  }

  /**
   * A state's content id (RowTable.csid), once per state. (Not by rid: a next state's rid is a
   * lookup in a table as large as the states, the content ids' table is small and stays in the
   * caches; only states explored need their rid.)
   */
  stateCsid(s: RowsState): number {
    if (s.csid < 0) s.csid = this.csid(s.rows);
    return s.csid;
  }

  /** Rows are shared by every state that holds them, so each is parsed once. */
  private readonly parsedRows = new WeakMap<LogRow, KubeObject>();

  rowObject(row: Row): KubeObject {
    let o = this.parsedRows.get(row);
    if (!o) {
      // The value's parse with the revision stamped on, as the store reads a row back (nested
      // parts are frozen and shared with every row of the same value).
      const c = this.content(row.cid);
      o = freeze({ ...c, metadata: { ...c.metadata, resourceVersion: String(row.revision) } });
      this.parsedRows.set(row, o);
    }
    return o;
  }

  /** A value as an object without its revision: what depends on content alone reads this. */
  private readonly contents: KubeObject[] = [];

  content(cid: number): KubeObject {
    return (this.contents[cid] ??= freeze(JSON.parse(this.valueIds.values[cid]!) as KubeObject));
  }

  private objects(rows: readonly Row[]): Located[] {
    const out: Located[] = [];
    for (const row of rows) {
      const resource = this.keyRes[row.kid];
      if (!resource) continue;
      out.push({ resource, object: this.rowObject(row) });
    }
    return out;
  }

  /** The content id of rows: the (key, value) ids in order, interned. */
  private csid(rows: readonly Row[]): number {
    const t = this.scratch.reset();
    for (let i = 0; i < rows.length; i++) t.push(rows[i]!.rc);
    return this.csids.id(t.t, t.n);
  }

  /** The rows' objects (with revisions) and the cluster state the properties judge. */
  parsed(rows: readonly Row[]): { objects: Located[]; cluster: ClusterState } {
    let p = this.parsedArrays.get(rows);
    if (!p) {
      const objects = this.objects(rows);
      this.parsedArrays.set(rows, (p = { objects, cluster: new MapState(this.now, objects) }));
    }
    return p;
  }

  /** By rows array (asked for rarely: a property that reads revisions, a counterexample's states). */
  private readonly parsedArrays = new WeakMap<readonly Row[], { objects: Located[]; cluster: ClusterState }>();

  rankOfKey(kid: number): number {
    // (The ranking apart: a closure over `this` here would make every call allocate a context.)
    if (this.keyRanked !== this.keyIds.size) this.rankKeys();
    return this.keyRank[kid]!;
  }

  private rankKeys(): void {
    const order = this.keyIds.values.map((k, i) => ({ k, i })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
    this.keyRank = new Array<number>(order.length);
    order.forEach((x, r) => (this.keyRank[x.i] = r));
    this.keyRanked = this.keyIds.size;
  }
}
