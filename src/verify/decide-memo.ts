// Controllers' observe+reconcile, memoized by what they read (memo.ts, tracking.ts). A reconcile
// runs once over a view that records every call (answered by which rows came back, each by its
// ordinal: the order in which the run met it first), with every object it hands out tracked: pods
// a field or two at a time, other objects whole as they are handed out (they are cloned anyway;
// one frozen copy per object, shared by every run, with a getter reporting its revision).
// Revisions (a row's, the view's version) are answered by order type; everything else is content,
// so a walk jumps over a run of content-only reads by the state's content id. The leaf keeps the
// decision with its actions' revisions as places among the revisions the run met, and gives each
// walk its own values back; the leaf a walk reached is kept by what the walk's answers depend on.
import type { ResourceRef } from '../model/api.js';
import { deepEqual, type Instant, type KubeObject } from '../model/object.js';
import type { Action, ClusterView, Controller, Decision, Located } from '../controllers/runtime.js';
import { SnapshotView } from '../controllers/snapshot.js';
import type { ActionTable } from './actions.js';
import type { ClusterModelState, MemoStats } from './cluster-model.js';
import { statefulSetOrdering } from './invariants/workloads.js';
import { sortRevisions, type Row, type RowTable } from './rows.js';
import { Tracker, WholeCopies, type At } from './tracking.js';
import { codesToString, insert, Interner, lowerBound, pushInt, RevCoder, type Answer, type Read, type TrieNode } from './memo.js';
import { GroupedMap, IntColumn, IntList, TupleBuffer, TupleTable } from './tuples.js';

/** A reconcile's trie, and its number (decisions are kept by it). */
interface DecideRoot {
  node: TrieNode<ViewQuery, never, DecideLeaf>;
  id: number;
}

/** No keys met (shared by the jumps over reads that meet none). */
const NO_KEYS: readonly number[] = Object.freeze([]);

type ViewMethod = 'get' | 'list' | 'byUid' | 'dependentsOf' | 'controlledBy' | 'uncontrolled' | 'podsOnNode' | 'resourceVersion';

/**
 * The reads of a reconcile: view calls, answered by which rows came back (their keys: what is in
 * them is read field by field); a field of a row's object (its value, or that it is absent; the
 * revision by order type); an `in` test; a whole subtree (its keys were listed: a clone, a spread;
 * the answer is its content, without the revision, which is read on its own when it is read).
 */
type ViewQuery = (
  | { id: string; t: 'view'; m: ViewMethod; args: unknown[]; byContent: Map<number, number | number[]> }
  | { id: string; t: 'field'; ord: number; path: readonly string[]; p: string; rv: boolean; byCid: Map<number, Answer> }
  | { id: string; t: 'has'; ord: number; path: readonly string[]; p: string; byCid: Map<number, Answer> }
  | { id: string; t: 'whole'; ord: number; path: readonly string[]; byCid: Map<number, Answer> }
) & {
  /** Its answer depends on the state's content alone, not on any revision. */
  content: boolean;
};

/** A reconcile's decision as stored: each action with its revisions as places among the revisions the run met. */
interface DecideLeaf {
  actions: { action: Action; at: number[]; nums: number[] }[];
  violations: string[];
  label: string;
  /** Its number (DecideMemo.made keys decisions by it). */
  id: number;
  /** The decision, when its actions name no revision. */
  plain?: Decided;
}

/** A reconcile's outcome: the actions that go in flight (best-effort creates left out), what it violated, its step's label. */
export interface Decided {
  actions: Action[];
  violations: string[];
  label: string;
}

/** A view whose every call goes through `through` (which runs it, and records it and its answer). */
class RecordingView implements ClusterView {
  constructor(private readonly inner: SnapshotView, private readonly through: (call: { m: ViewMethod; args: unknown[]; run: () => unknown }) => unknown) {}
  private call<T>(m: ViewMethod, args: unknown[]): T {
    return this.through({ m, args, run: () => (this.inner[m] as (...a: unknown[]) => unknown).apply(this.inner, args) }) as T;
  }
  get(r: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.call('get', [r, namespace, name]);
  }
  list(r: ResourceRef, namespace?: string): KubeObject[] {
    return this.call('list', [r, namespace]);
  }
  byUid(uid: string): Located | undefined {
    return this.call('byUid', [uid]);
  }
  dependentsOf(uid: string): Located[] {
    return this.call('dependentsOf', [uid]);
  }
  controlledBy(uid: string, r: ResourceRef): KubeObject[] {
    return this.call('controlledBy', [uid, r]);
  }
  uncontrolled(r: ResourceRef, namespace: string): KubeObject[] {
    return this.call('uncontrolled', [r, namespace]);
  }
  podsOnNode(nodeName: string): KubeObject[] {
    return this.call('podsOnNode', [nodeName]);
  }
  resourceVersion(r: ResourceRef): string {
    return this.call('resourceVersion', [r]);
  }
}

export class DecideMemo {
  constructor(
    private readonly table: RowTable,
    private readonly actions: ActionTable,
    private readonly now: Instant,
    /** The controllers unmutated, by name: the statefulset's ordering is judged on its real observation. */
    private readonly real: ReadonlyMap<string, Controller<unknown>>,
    private readonly stats: MemoStats,
  ) {}

  private readonly decideRoots = new Map<Controller<unknown>, Map<string, DecideRoot>>();
  private readonly viewQueries = new Map<string, ViewQuery>();
  private rootCount = 0;
  private leafCount = 0;

  private decideRoot(c: Controller<unknown>, key: string): DecideRoot {
    let m = this.decideRoots.get(c);
    if (!m) this.decideRoots.set(c, (m = new Map()));
    let n = m.get(key);
    if (!n) m.set(key, (n = { node: {}, id: this.rootCount++ }));
    return n;
  }

  /** Object arguments (resource refs) by their JSON, taken once per object. */
  private readonly argIds = new WeakMap<object, string>();

  private viewQuery(m: ViewMethod, args: unknown[]): ViewQuery {
    let id: string = m;
    for (const a of args) {
      if (typeof a === 'object' && a !== null) {
        let j = this.argIds.get(a);
        if (j === undefined) this.argIds.set(a, (j = JSON.stringify(a)));
        id += `\u0001o${j}`;
      } else id += typeof a === 'string' ? `\u0001s${a}` : `\u0001${String(a)}`;
    }
    let q = this.viewQueries.get(id);
    if (!q) this.viewQueries.set(id, (q = { id, t: 'view', m, args, byContent: new Map(), content: m !== 'resourceVersion' }));
    return q;
  }

  private fieldQuery(t: 'field' | 'has' | 'whole', ord: number, at: At<Row>, p = ''): ViewQuery {
    // (at's memo outlives a run when its object is a shared whole copy: the ordinal is part of the key.)
    const mk = `${t}${p}\u0001${ord}`;
    const known = at.memo.get(mk) as ViewQuery | undefined;
    if (known) return known;
    const id = `${t}\u0001${ord}\u0001${at.key}\u0001${p}`;
    let q = this.viewQueries.get(id);
    if (!q) {
      const path = [...at.path];
      const rv = path.length === 1 && path[0] === 'metadata' && p === 'resourceVersion';
      const byCid = new Map<number, Answer>();
      q = t === 'whole' ? { id, t, ord, path, byCid, content: true } : t === 'has' ? { id, t, ord, path, p, byCid, content: true } : { id, t, ord, path, p, rv, byCid, content: !rv };
      this.viewQueries.set(id, q);
    }
    at.memo.set(mk, q);
    return q;
  }

  /** Which rows a view call (but resourceVersion) returned: one key id (-1: none) or a list of them. */
  private static viewKids(m: ViewMethod, x: unknown, kidOf: (o: KubeObject) => number): number | number[] {
    switch (m) {
      case 'get':
        return x ? kidOf(x as KubeObject) : -1;
      case 'byUid':
        return x ? kidOf((x as Located).object) : -1;
      case 'dependentsOf':
        return (x as Located[]).map((l) => kidOf(l.object));
      default:
        return (x as KubeObject[]).map(kidOf);
    }
  }

  /**
   * A view call's answer: the rows it returned, each by its ordinal (the order in which the run met
   * it first; ords holds the keys met so far and takes the new ones). Not by key: two states whose
   * rows differ only in keys nothing reads (the names of generated pods) answer alike; a key that
   * is read is read as a field.
   */
  private static viewAnswer(kids: number | number[], ords: number[]): Answer {
    if (typeof kids === 'number') return kids < 0 ? -1 : DecideMemo.ordOf(kids, ords);
    const codes: number[] = [];
    for (const kid of kids) pushInt(codes, DecideMemo.ordOf(kid, ords));
    return codesToString(codes);
  }

  private static ordOf(kid: number, ords: number[]): number {
    let i = ords.indexOf(kid);
    if (i < 0) {
      i = ords.length;
      ords.push(kid);
    }
    return i;
  }

  /** A field read's answer: primitives by value, objects and arrays by kind, absence (own false) apart from an inherited value. */
  private static fieldAnswer(value: unknown, own: boolean): Answer {
    if (!own) return value === undefined ? 'U' : 'I';
    switch (typeof value) {
      case 'string':
        return `s${value}`;
      case 'number':
        return Object.is(value, -0) ? 'z' : value;
      case 'boolean':
        return value ? 'T' : 'F';
      case 'object':
        return value === null ? 'N' : Array.isArray(value) ? 'A' : 'O';
      default:
        return `x${typeof value}`;
    }
  }

  /** The value at path in a row's object, without its revision. */
  private static at(o: unknown, path: readonly string[]): unknown {
    for (let i = 0; i < path.length; i++) {
      if (typeof o !== 'object' || o === null) return undefined;
      o = (o as Record<string, unknown>)[path[i]!];
    }
    return o;
  }

  private readonly subtrees = new Interner<string>();
  private readonly subtreeIds = new Map<string, number>();

  /** A whole subtree's answer: the id of its content (a row's stored value has no resourceVersion). */
  private wholeAnswer(cid: number, path: readonly string[]): number {
    const k = `${cid}\u0001${path.join('\u0000')}`;
    let id = this.subtreeIds.get(k);
    if (id === undefined) this.subtreeIds.set(k, (id = this.subtrees.id(JSON.stringify(DecideMemo.at(this.table.content(cid), path)) ?? 'undefined')));
    return id;
  }

  /** A view over the values (without revisions) of a content id's rows, and which key each is: content alone. */
  private readonly walkViews = new Map<number, { view: SnapshotView; kidOf: Map<KubeObject, number> }>();

  private walkView(s: ClusterModelState): { view: SnapshotView; kidOf: Map<KubeObject, number> } {
    const k = this.table.stateCsid(s);
    let w = this.walkViews.get(k);
    if (!w) {
      const located: Located[] = [];
      const kidOf = new Map<KubeObject, number>();
      for (const r of s.rows) {
        const resource = this.table.resource(r.kid);
        if (!resource) continue;
        const object = this.table.content(r.cid);
        if (kidOf.has(object)) throw new Error('cluster model: two rows of one state hold the same value');
        kidOf.set(object, r.kid);
        located.push({ resource, object });
      }
      // The version it reports is never used as such: a walk answers resourceVersion() with the head.
      this.walkViews.set(k, (w = { view: new SnapshotView(located, '1'), kidOf }));
    }
    return w;
  }

  /** The answer a read gets from s (the coder's sequence is the order of the reads). */
  private decideAnswer(q: ViewQuery, s: ClusterModelState, coder: RevCoder, ords: number[]): Answer {
    if (q.t === 'view') {
      const k = this.table.stateCsid(s);
      if (q.m === 'resourceVersion') {
        // Whether the view holds anything of the resource is content; the version is the head.
        let none = q.byContent.get(k) as number | undefined;
        if (none === undefined) q.byContent.set(k, (none = this.walkView(s).view.resourceVersion(q.args[0] as ResourceRef) === '0' ? 1 : 0));
        return none ? -1 : coder.code(s.head);
      }
      let kids = q.byContent.get(k);
      if (kids === undefined) {
        const w = this.walkView(s);
        const x = (w.view[q.m] as (...args: unknown[]) => unknown).apply(w.view, q.args);
        q.byContent.set(k, (kids = DecideMemo.viewKids(q.m, x, (o) => w.kidOf.get(o)!)));
      }
      return DecideMemo.viewAnswer(kids, ords);
    }
    const kid = ords[q.ord];
    if (kid === undefined) throw new Error(`cluster model: a read of ${q.id} before its object was met`);
    let row: Row | undefined;
    for (let i = 0; i < s.rows.length; i++) if (s.rows[i]!.kid === kid) row = s.rows[i];
    if (!row) return -2;
    if (q.t === 'field' && q.rv) return coder.code(row.revision);
    // The rest is the row's value alone: answered once per value.
    const known = q.byCid.get(row.cid);
    if (known !== undefined) return known;
    const a = this.contentAnswer(q, row.cid);
    q.byCid.set(row.cid, a);
    return a;
  }

  /** The answer a field, `in` or whole read gets from a row holding value cid (not a revision read). */
  private contentAnswer(q: ViewQuery & { t: 'field' | 'has' | 'whole' }, cid: number): Answer {
    switch (q.t) {
      case 'field': {
        const v = DecideMemo.at(this.table.content(cid), q.path);
        if (typeof v !== 'object' || v === null) return -2;
        const own = Object.prototype.hasOwnProperty.call(v, q.p);
        return DecideMemo.fieldAnswer((v as Record<string, unknown>)[q.p], own);
      }
      case 'has': {
        if (q.path.length === 1 && q.path[0] === 'metadata' && q.p === 'resourceVersion') return 1;
        const v = DecideMemo.at(this.table.content(cid), q.path);
        return typeof v === 'object' && v !== null && q.p in v ? 1 : 0;
      }
      case 'whole':
        return this.wholeAnswer(cid, q.path);
    }
  }

  /** The coder of walks (a walk runs to its end before the next starts). */
  private readonly decideCoder = new RevCoder();

  /** Below an object read whole, its revision is still reported, so the path to it stays tracked. */
  private static always(at: At<Row>, p: string): boolean {
    return at.path.length === 1 && at.path[0] === 'metadata' && p === 'resourceVersion';
  }

  private static keep(at: At<Row>, p: string): boolean {
    return at.path.length === 0 && p === 'metadata';
  }

  /** Objects read whole, copied once for every run (tracking.ts). */
  private readonly copies = new WholeCopies<Row>({ always: DecideMemo.always, keep: DecideMemo.keep });

  /** The keys a walk met, by ordinal (a walk runs to its end before the next starts). */
  private readonly walkOrds: number[] = [];

  private walkDecide(root: TrieNode<ViewQuery, never, DecideLeaf>, s: ClusterModelState): Decided | undefined {
    const coder = this.decideCoder.reset();
    const ords = this.walkOrds;
    ords.length = 0;
    let node = root;
    for (;;) {
      if (node.leaf) {
        this.lastLeaf = node.leaf.value;
        return this.made(node.leaf.value, coder.vals);
      }
      const q = node.q;
      if (!q) return undefined;
      if (q.content) {
        // Reads of content alone go the same way for every state of this content (from the same
        // node, the keys met before are the same): taken once, then jumped, with the keys they meet.
        const k = this.table.stateCsid(s);
        let to = node.jump?.get(k);
        if (!to) {
          const before = ords.length;
          let n: TrieNode<ViewQuery, never, DecideLeaf> | undefined = node;
          while (n.q?.content) {
            n = n.kids!.get(this.decideAnswer(n.q, s, coder, ords));
            if (!n) return undefined;
          }
          if (!n.q && !n.leaf) return undefined;
          (node.jump ??= new Map()).set(k, (to = { to: n, adds: ords.length > before ? ords.slice(before) : NO_KEYS }));
        } else for (let i = 0; i < to.adds.length; i++) ords.push(to.adds[i]!);
        node = to.to;
        continue;
      }
      const next = node.kids!.get(this.decideAnswer(q, s, coder, ords));
      if (!next) return undefined;
      node = next;
    }
  }

  /** The decision of a leaf with the walk's revisions in its actions. */
  private made(leaf: DecideLeaf, vals: readonly number[]): Decided {
    if (leaf.plain) return leaf.plain;
    // Keyed by the leaf and the revision values its actions name, in order (the leaf fixes how
    // many each has), interned: no key string built per step. Made only when new.
    const t = this.madeKey.reset();
    t.push(leaf.id);
    for (let ai = 0; ai < leaf.actions.length; ai++) {
      const at = leaf.actions[ai]!.at;
      for (let i = 0; i < at.length; i++) t.push(vals[at[i]!]!);
    }
    const id = this.madeIds.id(t.t, t.n);
    return id < this.madeList.length ? this.madeList[id]! : this.make(leaf, vals);
  }

  private readonly madeKey = new TupleBuffer();
  private readonly madeIds = new TupleTable();
  /** Decisions by their made key's id. */
  private readonly madeList: Decided[] = [];

  // (Apart from made, as the other misses below are from their hits: a closure over `this` or an
  // argument makes every call of the function that holds it allocate a context, until optimized.)
  private make(leaf: DecideLeaf, vals: readonly number[]): Decided {
    const actions = leaf.actions.map((x) => this.actions.withRevisions(x.action, x.nums, x.at.map((i) => vals[i]!)));
    const d = { actions, violations: leaf.violations, label: leaf.label };
    this.madeList.push(d);
    return d;
  }

  /** What c decides reconciling key in s: from the memo, or run for real and recorded. */
  decide(c: Controller<unknown>, key: string, s: ClusterModelState): Decided {
    const root = this.decideRoot(c, key);
    // A reconcile reads the rows and the head alone, which a shared rows array fixes (RowTable.shared):
    // kept by the array's number and the root's (a Map on every array explored was most of what
    // the decisions kept).
    const sid = this.table.sid(s, s.head);
    const known = this.decided.get(sid, root.id);
    if (known >= 0) {
      this.stats.decideHits++;
      return this.decidedList[known]!;
    }
    // The same walk for every rows array of this content whose revisions are in the same order
    // (and the head above them, or not): its leaf, with the revisions it met taken from s.
    const order = this.orderKey(s, sid);
    const w = this.byOrder.get(order, root.id);
    let d: Decided;
    if (w >= 0) {
      this.stats.decideHits++;
      const walked = this.walked;
      const vals = this.vals;
      const n = walked.get(w + 1);
      for (let i = 0; i < n; i++) {
        const j = walked.get(w + 2 + i);
        vals[i] = j < 0 ? s.head : s.rows[j]!.revision;
      }
      d = this.made(this.leaves[walked.get(w)]!, vals);
    } else {
      d = this.decideWalked(c, key, s, root.node);
      this.byOrder.set(order, root.id, this.walked.length);
      const met = this.metRows(c, s);
      this.walked.push(this.lastLeaf!.id);
      this.walked.push(met.length);
      for (let i = 0; i < met.length; i++) this.walked.push(met[i]!);
    }
    this.decided.set(sid, root.id, this.decidedList.length);
    this.decidedList.push(d);
    return d;
  }

  /** Decisions by shared rows array (its sid) and root, into decidedList (grouped by sid: a state's keys ask in a row). */
  private readonly decided = new GroupedMap();
  private readonly decidedList: Decided[] = [];
  /** The revisions a walk met, taken from a state (a buffer: made reads only the places its leaf names). */
  private readonly vals: number[] = [];

  /** The rows whose revisions the last walk met (-1: the head), in the order it met them. */
  private metRows(c: Controller<unknown>, s: ClusterModelState): number[] {
    return this.decideCoder.met().map((v) => {
      const j = s.rows.findIndex((r) => r.revision === v);
      if (j < 0 && v !== s.head) throw new Error(`cluster model: ${c.name} met a revision that is neither a row's nor the head`);
      return j;
    });
  }

  /** The leaf the last walk reached. */
  private lastLeaf: DecideLeaf | undefined;
  /** By the order key of the rows (orderKey) and root: where in `walked` the walk's record starts. */
  private readonly byOrder = new GroupedMap();
  /**
   * Each walk kept: the id of the leaf it reached, how many revisions it met, then the rows whose
   * revisions it met (-1: the head), in the order it met them. (An object and an array per walk
   * were a good part of what the scavenges promoted.)
   */
  private readonly walked = new IntList();
  /** The leaves by id. */
  private readonly leaves: DecideLeaf[] = [];
  private readonly orderKeys = new TupleTable();
  private readonly scratch = new TupleBuffer();
  private readonly revs: number[] = [];

  /**
   * What a walk's answers depend on: the content id (the rows' keys and values in order), each
   * row's revision by its rank, and whether the head is above every revision. A walk answers
   * content by content and revisions by order type alone, so rows arrays alike in these take the
   * same walk.
   */
  private orderKey(s: ClusterModelState, sid: number): number {
    let order = this.orderOfSid.get(sid);
    if (order < 0) {
      const rows = s.rows;
      const revs = this.revs;
      sortRevisions(rows, revs);
      const t = this.scratch.reset();
      t.push(this.table.stateCsid(s));
      for (let i = 0; i < rows.length; i++) t.push(lowerBound(revs, rows[i]!.revision, rows.length));
      t.push(rows.length && s.head === revs[rows.length - 1] ? 0 : 1);
      this.orderOfSid.set(sid, (order = this.orderKeys.id(t.t, t.n)));
    }
    return order;
  }

  /** Each shared rows array's order key, by its sid (-1: not yet worked out). */
  private readonly orderOfSid = new IntColumn(-1);

  private decideWalked(c: Controller<unknown>, key: string, s: ClusterModelState, root: TrieNode<ViewQuery, never, DecideLeaf>): Decided {
    const hit = this.walkDecide(root, s);
    if (hit) this.stats.decideHits++;
    else this.stats.decideRuns++;
    if (hit) return hit;
    const t0 = performance.now();
    const d = this.recordDecide(c, key, s, root);
    this.stats.decideMs += performance.now() - t0;
    return d;
  }

  /**
   * Runs observe and reconcile for real over a view that records every call (answered by which rows
   * it returned), with every returned object tracked field by field (tracking.ts).
   */
  private recordDecide(c: Controller<unknown>, key: string, s: ClusterModelState, root: TrieNode<ViewQuery, never, DecideLeaf>): Decided {
    const coder = new RevCoder();
    const reads: Read<ViewQuery, never>[] = [];
    // The keys the run met, by ordinal (as a walk numbers them).
    const ords: number[] = [];
    const ordOf = (row: Row) => {
      const i = ords.indexOf(row.kid);
      if (i < 0) throw new Error(`cluster model: ${c.name} read an object no view call handed it`);
      return i;
    };
    // A read made again in the same run gets the same answer: recorded once.
    const asked = new Set<ViewQuery>();
    const fresh = (q: ViewQuery) => !asked.has(q) && !!asked.add(q);
    const tracker: Tracker<Row> = new Tracker<Row>({
      field: (at, p, value, own) => {
        const q = this.fieldQuery('field', ordOf(at.root), at, p);
        if (fresh(q)) reads.push({ q, a: q.t === 'field' && q.rv ? coder.code(at.root.revision) : DecideMemo.fieldAnswer(value, own) });
      },
      has: (at, p, result) => {
        const q = this.fieldQuery('has', ordOf(at.root), at, p);
        const rv = at.path.length === 1 && at.path[0] === 'metadata' && p === 'resourceVersion';
        if (fresh(q)) reads.push({ q, a: rv || result ? 1 : 0 });
      },
      whole: (at) => {
        const q = this.fieldQuery('whole', ordOf(at.root), at);
        if (fresh(q)) reads.push({ q, a: this.wholeAnswer(at.root.cid, at.path) });
      },
      always: DecideMemo.always,
      keep: DecideMemo.keep,
    }, this.copies);
    this.copies.current = tracker;
    // The content's view answers (as a walk's would); the rows it names go to the run as their
    // real objects (with revisions) behind proxies, made as they are first handed out (one per
    // object, and per Located, for the run).
    const w = this.walkView(s);
    const rowAt = new Map<number, Row>();
    for (const r of s.rows) rowAt.set(r.kid, r);
    const proxies = new Map<object, unknown>();
    const proxy = (o: KubeObject, lazy = false): KubeObject => {
      let p = proxies.get(o) as KubeObject | undefined;
      if (!p) {
        const row = rowAt.get(w.kidOf.get(o)!)!;
        const real = this.table.rowObject(row);
        // Pods are read a field or two at a time (is it active, ready); other objects are cloned,
        // so they are read whole as they are handed out, but for those found by uid (an owner, a
        // dependent), which a garbage collector often passes over unread: read whole when first touched.
        const pod = this.table.resource(row.kid)!.resource === 'pods';
        proxies.set(o, (p = (pod || lazy ? tracker.track(row, real, !pod) : tracker.trackWhole(row, real)) as KubeObject));
      }
      return p;
    };
    const located = (l: Located): Located => {
      let p = proxies.get(l) as Located | undefined;
      if (!p) proxies.set(l, (p = { resource: l.resource, object: proxy(l.object, true) }));
      return p;
    };
    const view = new RecordingView(w.view, (call) => {
      const x = call.run();
      if (tracker.live) {
        const q = this.viewQuery(call.m, call.args);
        if (fresh(q)) reads.push({ q, a: call.m === 'resourceVersion' ? (x === '0' ? -1 : coder.code(s.head)) : DecideMemo.viewAnswer(DecideMemo.viewKids(call.m, x, (o) => w.kidOf.get(o)!), ords) });
      }
      switch (call.m) {
        case 'resourceVersion':
          // The view's version is the state's head (the content's view stands in "1" for it).
          return x === '0' ? '0' : String(s.head);
        case 'get':
          return x && proxy(x as KubeObject);
        case 'byUid':
          return x && located(x as Located);
        case 'dependentsOf':
          return (x as Located[]).map(located);
        default:
          return (x as KubeObject[]).map((o) => proxy(o));
      }
    });
    let actions: Action[];
    let violations: string[];
    let printed: string[];
    try {
      const d: Decision = c.reconcile(c.observe(key, view), this.now);
      actions = d.actions.filter((a) => !(a.kind === 'create' && a.bestEffort));
      violations = c.name === 'statefulset' ? statefulSetOrdering.check(this.real.get(c.name)!.observe(key, view), { actions }) : [];
      // The actions are the run's output: what they hold of the observed objects is read here,
      // as they are printed, and counts as read by the run.
      printed = actions.map((a) => JSON.stringify(a));
    } finally {
      tracker.live = false;
      this.copies.current = undefined;
    }
    // Kept without the proxies: the real objects they stand for.
    actions = actions.map((a) => tracker.unwrap(a) as Action);
    violations = [...violations];
    const label = `${c.name} reconciles ${key} (${actions.length} action${actions.length === 1 ? '' : 's'})`;
    const leaf: DecideLeaf = {
      actions: actions.map((action, i) => {
        // The proxies print as the objects they stand for: the text is the action's own.
        const { nums } = this.actions.info(action, printed[i]);
        const at = nums.map((n) => coder.indexOf(n));
        if (at.some((i) => i < 0)) throw new Error(`cluster model: ${c.name} wrote a resourceVersion it never read`);
        return { action, at, nums };
      }),
      violations,
      label,
      id: this.leafCount++,
    };
    if (leaf.actions.every((x) => x.at.length === 0)) leaf.plain = { actions, violations, label };
    this.leaves.push(leaf);
    insert(root, reads, leaf, () => true);
    const again = this.walkDecide(root, s);
    if (!again || again.label !== label || again.actions.length !== actions.length || again.actions.some((a, i) => a !== actions[i]) || !deepEqual(again.violations, violations)) {
      throw new Error(`cluster model: the memo of ${c.name} reconciling ${key} does not give back the run it recorded`);
    }
    return again;
  }
}
