// Properties (and the scheduler's placement), memoized by the resources they list (memo.ts). A
// property is a function of the cluster state's lists; it runs over the values without revisions
// behind a tripwire, each listing recorded and answered by the content id of the resource's rows,
// so every read is of content and a walk's leaf is kept by the states' content ids. One that looks
// at a revision is kept as such and always run over the real objects instead.
import { deepEqual, type Instant, type KubeObject } from '../model/object.js';
import type { ClusterModelState, MemoStats } from './cluster-model.js';
import type { ClusterState, StepProperty } from './invariants/state.js';
import type { RowTable } from './rows.js';
import type { WriteRequest } from './write-memo.js';
import { placements } from './scheduling.js';
import { codesToString, insert, Interner, pushInt, tripwire, type Read, type TrieNode } from './memo.js';
import { GroupedMap } from './tuples.js';

interface Binding {
  ns: string;
  name: string;
  node: string;
  label: string;
  /** Its write request, made when first needed (cluster-model.ts: the write memo keeps its root on it). */
  req: WriteRequest | undefined;
}

/** A content id's values by resource behind the revision tripwire, with content ids (properties' reads). */
interface Lists {
  objects: Map<string, KubeObject[]>;
  /** The value ids of each resource's objects, in the same order. */
  cids: Map<string, number[]>;
  ids: Map<string, number>;
  names: number;
}

/** A property's read: the objects of one resource, or which resources there are (undefined), of the state before (0) or after (1) a step. */
interface ListQuery {
  id: string;
  side: number;
  resource: string | undefined;
}

const TRIPPED = Symbol('tripped');

/** A step's pair of content ids as one number (exact below 2^52). */
const PAIR = 2 ** 26;

/** A property's memo: its trie, and the leaf a walk reaches by content id (a step's: by the pair of them). */
export interface PropertyRoot {
  name: string;
  node: TrieNode<ListQuery, never, unknown>;
  /** Into leafList, by the content ids of the state (and -1) or of a step's two states (grouped by the first). */
  leaves: GroupedMap;
  leafList: { value: unknown }[];
  /** A per-object step property's verdicts by the pair of value ids (the one after +1, 0: gone). */
  objects?: Map<number, string[] | typeof TRIPPED>;
}

/** A state's objects as a per-object step property meets them: in byUid order, with their value ids and resources. */
interface UidIndex {
  order: { uid: string; cid: number; resource: string }[];
  cids: Map<string, number>;
}

export class PropertyMemo {
  constructor(
    private readonly table: RowTable,
    private readonly now: Instant,
    /** Run every property over the real objects too, and throw where the memo differs. */
    private readonly verifyMemo: boolean,
    private readonly stats: MemoStats,
  ) {}

  /** Each value's object behind the revision tripwire (memo.ts), made once. */
  private readonly watched: KubeObject[] = [];
  private tripped = false;
  private readonly buckets = new Interner<string>();
  private readonly propRoots = new Map<string, PropertyRoot>();
  private readonly listQueries: Map<string | undefined, ListQuery>[] = [];

  /** The state's objects by resource, tripwired, each resource with the content id of its rows. */
  private readonly listsOf = new Map<number, Lists>();

  private lists(s: ClusterModelState): Lists {
    const k = this.table.stateCsid(s);
    let d = this.listsOf.get(k);
    if (!d) {
      const objects = new Map<string, KubeObject[]>();
      const cids = new Map<string, number[]>();
      const codes = new Map<string, number[]>();
      for (const r of s.rows) {
        const resource = this.table.resource(r.kid)?.resource;
        if (resource === undefined) continue;
        let l = objects.get(resource);
        if (!l) {
          objects.set(resource, (l = []));
          cids.set(resource, []);
          codes.set(resource, []);
        }
        l.push(this.watch(r.cid));
        cids.get(resource)!.push(r.cid);
        pushInt(codes.get(resource)!, r.rc);
      }
      const ids = new Map<string, number>();
      for (const [resource, c] of codes) ids.set(resource, this.buckets.id(codesToString(c)));
      this.listsOf.set(k, (d = { objects, cids, ids, names: this.buckets.id(`\u0001${[...objects.keys()].join('\u0001')}`) }));
    }
    return d;
  }

  private listQuery(side: number, resource: string | undefined): ListQuery {
    // By side, then resource (no id string to build per listing).
    const bySide = (this.listQueries[side] ??= new Map());
    let q = bySide.get(resource);
    if (!q) bySide.set(resource, (q = { id: `${side}\u0001${resource ?? ''}`, side, resource }));
    return q;
  }

  /** What a listing gets: the content id of the resource's rows (-1: none), or of the list of resources. */
  private listAnswer(q: ListQuery, s: ClusterModelState): number {
    const l = this.lists(s);
    return q.resource === undefined ? l.names : (l.ids.get(q.resource) ?? -1);
  }

  /** The memo of the property (or the scheduler) called name: made once, and then handed in with every call. */
  root(name: string): PropertyRoot {
    let r = this.propRoots.get(name);
    if (!r) this.propRoots.set(name, (r = { name, node: {}, leaves: new GroupedMap(), leafList: [] }));
    return r;
  }

  /** The leaf kept for a's content id (and b's, for a step). */
  private leaf(root: PropertyRoot, a: ClusterModelState, b: ClusterModelState | undefined): { value: unknown } | undefined {
    const i = root.leaves.get(this.table.stateCsid(a), b ? this.table.stateCsid(b) : -1);
    return i < 0 ? undefined : root.leafList[i];
  }

  private setLeaf(root: PropertyRoot, a: ClusterModelState, b: ClusterModelState | undefined, leaf: { value: unknown }): void {
    const k0 = this.table.stateCsid(a);
    const k1 = b ? this.table.stateCsid(b) : -1;
    const i = root.leaves.get(k0, k1);
    if (i >= 0) root.leafList[i] = leaf;
    else {
      root.leaves.set(k0, k1, root.leafList.length);
      root.leafList.push(leaf);
    }
  }

  /** The verdict kept for these states' contents, when there is one that holds without a run (the hit path: nothing made). */
  private kept(root: PropertyRoot, a: ClusterModelState, b?: ClusterModelState): unknown {
    if (this.verifyMemo) return undefined;
    const v = this.leaf(root, a, b)?.value;
    return v === TRIPPED ? undefined : v;
  }

  /**
   * f over the states (the one a property judges, or both ends of a step), memoized by the
   * resources it lists, each answered by the content id of its objects in order. It runs over the
   * values without revisions behind the tripwire: one that looks at a revision is kept as such and
   * always run over the real objects (`real`) instead.
   */
  private byLists<T>(root: PropertyRoot, states: ClusterModelState[], f: (cs: ClusterState[]) => T, real: () => T): T {
    // Every read here is of content: the leaf a walk reaches is kept by the states' content ids.
    const known = this.leaf(root, states[0]!, states[1]);
    if (known) return known.value === TRIPPED ? real() : (known.value as T);
    let node = root.node;
    for (;;) {
      if (node.leaf) {
        this.setLeaf(root, states[0]!, states[1], node.leaf);
        return node.leaf.value === TRIPPED ? real() : (node.leaf.value as T);
      }
      const q = node.q;
      if (!q) break;
      const next = node.kids!.get(this.listAnswer(q, states[q.side]!));
      if (!next) break;
      node = next;
    }
    this.stats.propertyRuns++;
    const reads: Read<ListQuery, never>[] = [];
    const asked = new Set<ListQuery>();
    const read = (q: ListQuery, s: ClusterModelState) => {
      if (asked.has(q)) return;
      asked.add(q);
      reads.push({ q, a: this.listAnswer(q, s) });
    };
    const views: ClusterState[] = states.map((s, side) => ({
      now: this.now,
      list: (resource: string) => {
        read(this.listQuery(side, resource), s);
        return this.lists(s).objects.get(resource) ?? [];
      },
      resources: () => {
        read(this.listQuery(side, undefined), s);
        return [...this.lists(s).objects.keys()];
      },
    }));
    const r = this.untripped(() => f(views));
    insert(root.node, reads, r, () => true);
    return r === TRIPPED ? real() : r;
  }

  /** f's result, or TRIPPED when it looked at a revision (an error it threw then is its reading of the missing value). */
  private untripped<T>(f: () => T): T | typeof TRIPPED {
    const t0 = performance.now();
    this.tripped = false;
    try {
      const r = f();
      return this.tripped ? TRIPPED : r;
    } catch (e) {
      if (this.tripped) return TRIPPED;
      throw e;
    } finally {
      this.stats.propertyMs += performance.now() - t0;
    }
  }

  /** A state property's verdict on s (an invariant, the goal); root: this.root of its name. */
  ofState(root: PropertyRoot, check: (c: ClusterState) => string[], s: ClusterModelState): string[] {
    const kept = this.kept(root, s);
    return kept !== undefined ? (kept as string[]) : this.stateMissed(root, check, s);
  }

  // The misses apart from the hits: a closure over `this` or an argument makes every call of the
  // function that holds it allocate a context (until the code is optimized).
  private stateMissed(root: PropertyRoot, check: (c: ClusterState) => string[], s: ClusterModelState): string[] {
    const r = this.byLists(root, [s], ([c]) => check(c!), () => check(this.clusterState(s)));
    if (this.verifyMemo && !deepEqual(r, check(this.clusterState(s)))) throw new Error(`cluster model: the memo of ${root.name} differs from its run`);
    return r;
  }

  /**
   * A step property's verdict on the step from a to b; root: this.root of its name. One judged
   * object by object (perObject, with check its objectwise form) goes by the objects' value ids.
   */
  ofStep(root: PropertyRoot, check: (a: ClusterState, b: ClusterState) => string[], a: ClusterModelState, b: ClusterModelState, perObject?: StepProperty['perObject']): string[] {
    const kept = this.kept(root, a, b);
    return kept !== undefined ? (kept as string[]) : this.stepMissed(root, check, a, b, perObject);
  }

  private stepMissed(root: PropertyRoot, check: (a: ClusterState, b: ClusterState) => string[], a: ClusterModelState, b: ClusterModelState, perObject?: StepProperty['perObject']): string[] {
    const byObject = perObject && this.objectwise(root, perObject, a, b);
    if (byObject && byObject !== TRIPPED) this.setLeaf(root, a, b, { value: byObject });
    const r = byObject && byObject !== TRIPPED ? byObject : this.byLists(root, [a, b], ([x, y]) => check(x!, y!), () => check(this.clusterState(a), this.clusterState(b)));
    if (this.verifyMemo && !deepEqual(r, check(this.clusterState(a), this.clusterState(b)))) throw new Error(`cluster model: the memo of ${root.name} differs from its run`);
    return r;
  }

  /** Each content id's objects in byUid order (ClusterState lists them by resource in the order met, then by row). */
  private readonly uidIndexes = new Map<number, UidIndex>();

  private uidIndex(s: ClusterModelState): UidIndex {
    const k = this.table.stateCsid(s);
    let x = this.uidIndexes.get(k);
    if (!x) {
      // As byUid builds its map: a later object of a uid takes an earlier one's place.
      const at = new Map<string, { uid: string; cid: number; resource: string }>();
      for (const [resource, cids] of this.lists(s).cids) {
        for (const cid of cids) {
          const uid = this.table.content(cid).metadata.uid;
          if (!uid) continue;
          const e = at.get(uid);
          if (e) {
            e.cid = cid;
            e.resource = resource;
          } else at.set(uid, { uid, cid, resource });
        }
      }
      const order = [...at.values()];
      x = { order, cids: new Map(order.map((e) => [e.uid, e.cid])) };
      this.uidIndexes.set(k, x);
    }
    return x;
  }

  /**
   * A per-object step property over the step from a to b, each object's verdict kept by its value
   * id and that of its uid's object after (over the values behind the tripwire): TRIPPED when one
   * looked at a revision (then the whole property is run as any other).
   */
  private objectwise(root: PropertyRoot, perObject: NonNullable<StepProperty['perObject']>, a: ClusterModelState, b: ClusterModelState): string[] | typeof TRIPPED {
    const verdicts = (root.objects ??= new Map());
    const after = this.uidIndex(b).cids;
    let out: string[] | undefined;
    const order = this.uidIndex(a).order;
    for (let i = 0; i < order.length; i++) {
      const { uid, cid, resource } = order[i]!;
      const n = after.get(uid);
      const k = cid * PAIR + (n === undefined ? 0 : n + 1);
      let v = verdicts.get(k);
      if (v === undefined) verdicts.set(k, (v = this.objectVerdict(perObject, resource, cid, n)));
      if (v === TRIPPED) return TRIPPED;
      if (v.length) (out ??= []).push(...v);
    }
    return out ?? [];
  }

  /** One object's verdict, over its values behind the tripwire (TRIPPED when it looked at a revision). */
  private objectVerdict(perObject: NonNullable<StepProperty['perObject']>, resource: string, cid: number, n: number | undefined): string[] | typeof TRIPPED {
    this.stats.propertyRuns++;
    const v = this.untripped(() => perObject(resource, this.watch(cid), n === undefined ? undefined : this.watch(n)));
    return v === TRIPPED ? v : [...v];
  }

  private readonly trip = (): void => {
    this.tripped = true;
  };

  private watch(cid: number): KubeObject {
    return (this.watched[cid] ??= tripwire(this.table.content(cid), this.trip));
  }

  private readonly scheduler = this.root('scheduler');

  /** Each unbound pod the scheduler places, decided over the bound ones (memoized as a property is). */
  bindings(s: ClusterModelState): Binding[] {
    const kept = this.kept(this.scheduler, s);
    return kept !== undefined ? (kept as Binding[]) : this.scheduled(s);
  }

  private scheduled(s: ClusterModelState): Binding[] {
    return this.byLists(this.scheduler, [s], ([c]) => scheduleAll(c!), () => scheduleAll(this.clusterState(s)));
  }

  private clusterState(s: ClusterModelState): ClusterState {
    return this.table.parsed(s.rows).cluster;
  }
}

/** The scheduler's bindings from s, each with its step's label. */
function scheduleAll(s: ClusterState): Binding[] {
  return placements(s).map((b) => ({ ...b, label: `scheduler binds ${b.name} to ${b.node}`, req: undefined }));
}
