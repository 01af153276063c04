// The cluster as a model for the checker: the real API semantics (REST over a store whose log is
// the state), the real controllers' pure observe/reconcile, the scheduler's pure decision and the
// simulated kubelet's pure pod sync. A state is every object the API holds (with its revision),
// each controller's in-flight action list, and which environment steps and faults have happened.
//
// Steps (each one transition):
//   <controller> reconciles <key>   observe the API's current state, decide; the actions become
//                                   the controller's in-flight list (a reconcile deciding nothing
//                                   is left out: it changes no state);
//   <controller>: <action>          the next in-flight action goes to the API; a refusal drops the
//                                   rest (the runner retries the key later);
//   scheduler binds <pod> to <node> the scheduler's decision and the binding, at once;
//   kubelet: <pod> ...              the pod's sync (start it Running and Ready, or finish a deletion);
//   env: <change>                   the desired state changes (a rollout, a deletion), once;
//   fault: <controller> crashes     its in-flight list is lost (budgeted);
//   fault: <controller>: <action> fails   the next write is refused (budgeted).
// Controllers observe the API's state as of their reconcile; later steps of other actors interleave
// with their in-flight writes, which is where stale decisions show up.
//
// Canonical form: objects by key with resourceVersions renumbered in order (and the same
// renumbering applied to resourceVersions in in-flight actions; one no longer live can never match
// again and becomes "stale"), the in-flight lists, the flags. The uid counter is left out: states
// equal but for which uids future objects will get behave alike.
//
// Speed: rows are interned (a key, a value, a revision: one shared object with small integer ids),
// so a state is an array of them and its canonical form a short string of integers. Every step's
// work is memoized by what it read (memo.ts), in a trie whose edges are the answers a run got:
//  - a write through the REST layer, by its store calls (which row, which head) and uid draws;
//  - a reconcile, by its view calls (which rows came back) and the fields of those rows it read
//    (tracking.ts), pods field by field and other objects whole (they are cloned anyway);
//  - a property (and the scheduler's decision), by the resources it lists, while it never looks
//    at a revision (the values are handed to it without, behind a tripwire).
// Revisions are answered by order type (memo.ts). Reads of content alone give the same answers for
// every state of that content, so walks jump over them by content id. The first run of each is the
// real code; `verifyMemo` runs the real code beside every step and property and compares.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R, type ResourceRef } from '../model/api.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { Registry } from '../model/registry.js';
import { StatusError } from '../model/status.js';
import { compareKeys } from '../store/keys.js';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from '../store/log.js';
import type { ListOptions, ListResult, ObjectStore, Watch, WatchHandlers } from '../store/types.js';
import { freeze } from '../store/fanout.js';
import { createRest } from '../apiserver/server.js';
import { LocalClient } from '../apiserver/local-client.js';
import type { Action, ClusterView, Controller, Decision, Located } from '../controllers/runtime.js';
import { SnapshotView } from '../controllers/snapshot.js';
import { storedResources } from '../controllers/manager.js';
import { deploymentController } from '../controllers/deployment.js';
import { replicaSetController } from '../controllers/replicaset.js';
import { statefulSetController, isRunningAndReady } from '../controllers/statefulset.js';
import { garbageCollector } from '../controllers/gc.js';
import { ClusterSnapshot } from '../scheduler/snapshot.js';
import { podInfoOf } from '../scheduler/podinfo.js';
import { schedulePod } from '../scheduler/schedule.js';
import type { Model, Step } from './checker.js';
import { MapState, type ClusterState, type GoalProperty, type StateProperty, type StepProperty } from './invariants/state.js';
import { rollingUpdate, rolloutsComplete, statefulSetIdentity, statefulSetOrdering } from './invariants/workloads.js';
import { nodeCapacity } from './invariants/capacity.js';
import { finalizers } from './invariants/finalizers.js';
import { foregroundDeletion, noOrphans } from './invariants/gc.js';
import { eagerDeployment, nonBlockingGc, unorderedStatefulSet, type MutantName } from './mutants/index.js';
import { Tracker, type At } from './tracking.js';
import { codesToString, insert, Interner, pushInt, RevCoder, tripwire, type Answer, type Read, type TrieNode } from './memo.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

// ---- a store whose log is a state, forked for every step ----------------------------------------

/** The latest row of every key; commits are recorded so a step's writes become the next state. */
class StateLog implements RevisionLog {
  /** Every row committed through this log, in order (what a recorded write did). */
  readonly committed: LogRow[] = [];
  constructor(readonly rows: Map<string, LogRow>, private rev: number) {}
  head(): number {
    return this.rev;
  }
  compacted(): number {
    return 0;
  }
  commit(rows: LogRow[]): void {
    for (const r of rows) {
      if (r.deleted) this.rows.delete(r.key);
      else this.rows.set(r.key, r);
      this.rev = r.revision;
      this.committed.push(r);
    }
  }
  private live(prefix: string, after: string | undefined): LogRow[] {
    return [...this.rows.values()].filter((r) => r.key.startsWith(prefix) && (after === undefined || compareKeys(r.key, after) > 0)).sort((a, b) => compareKeys(a.key, b.key));
  }
  range(prefix: string, after: string | undefined, _revision: number, limit: number): LogRow[] {
    const l = this.live(prefix, after);
    return limit > 0 ? l.slice(0, limit) : l;
  }
  count(prefix: string, after: string | undefined): number {
    return this.live(prefix, after).length;
  }
  since(): LogEntry[] {
    return [];
  }
  compact(): void {}
  close(): void {}
}

/** What a recorded run is told before each store call (a write also when it is over). */
type StoreTap = (kind: 'row' | 'write' | 'prefix' | 'head' | 'compacted', key?: string) => (() => void) | undefined;

/** One REST instance over whichever state's store is current; while a run is recorded, every call is told to the tap first. */
class SwitchStore implements ObjectStore {
  target!: LogStore;
  tap?: StoreTap;
  revision(): Promise<number> {
    this.tap?.('head');
    return this.target.revision();
  }
  compactedRevision(): Promise<number> {
    this.tap?.('compacted');
    return this.target.compactedRevision();
  }
  create(key: string, obj: KubeObject): Promise<KubeObject> {
    return this.writing(key, () => this.target.create(key, obj));
  }
  get(key: string): Promise<KubeObject | undefined> {
    this.tap?.('row', key);
    return this.target.get(key);
  }
  list(prefix: string, opts?: ListOptions): Promise<ListResult> {
    this.tap?.('prefix', prefix);
    return this.target.list(prefix, opts);
  }
  count(prefix: string): Promise<number> {
    this.tap?.('prefix', prefix);
    return this.target.count(prefix);
  }
  update(key: string, obj: KubeObject, expectedRevision?: number): Promise<KubeObject> {
    return this.writing(key, () => this.target.update(key, obj, expectedRevision));
  }
  delete(key: string, expectedRevision?: number): Promise<KubeObject> {
    return this.writing(key, () => this.target.delete(key, expectedRevision));
  }
  watch(prefix: string, from: number, handlers: WatchHandlers): Watch {
    if (this.tap) throw new Error('cluster model: a recorded run may not watch');
    return this.target.watch(prefix, from, handlers);
  }
  compact(revision: number): Promise<void> {
    if (this.tap) throw new Error('cluster model: a recorded run may not compact');
    return this.target.compact(revision);
  }
  close(): Promise<void> {
    return this.target.close();
  }
  private async writing(key: string, write: () => Promise<KubeObject>): Promise<KubeObject> {
    const done = this.tap?.('write', key);
    try {
      return await write();
    } finally {
      done?.();
    }
  }
}

// ---- states ----------------------------------------------------------------------------------

/** A live row, interned: one object per key, value, revision and previous revision. */
export interface Row extends LogRow {
  /** The key's id. */
  readonly kid: number;
  /** The value's id. */
  readonly cid: number;
  /** The id of the (key, value) pair: the row's content, whatever its revision. */
  readonly rc: number;
}

interface InFlight {
  key: string;
  actions: Action[];
}

export interface ClusterModelState {
  /** The live rows in the order a Map by key keeps them: a write keeps a key's place, a new key goes last. */
  rows: readonly Row[];
  head: number;
  uid: number;
  inflight: Record<string, InFlight | undefined>;
  done: string[];
  faults: number;
  /** Violations found in the decision that led here (judged on the step, not part of the state). */
  decisionViolations?: string[];
}

export interface Scope {
  name: string;
  nodes: number;
  /** What a user created before the checker starts; controllers then settle it. */
  setup: { resource: ResourceRef; object: KubeObject }[];
  /** The one change of desired state the checker may make at any point. */
  change?: { label: string; apply(c: LocalClient): Promise<unknown> };
  controllers: string[];
  /** Faults allowed along any path. */
  faultBudget: number;
  invariants: StateProperty[];
  stepProperties: StepProperty[];
  goal: GoalProperty;
}

const ns = 'default';
const podSpec = { containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] };

export function rolloutScope(replicas = 3, nodes = 2): Scope {
  return {
    name: `rollout (${nodes} nodes, ${replicas} replicas, one rollout)`,
    nodes,
    setup: [{
      resource: R.deployments,
      object: {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns },
        spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: podSpec } },
      },
    }],
    change: {
      label: 'env: roll out app:2',
      apply: (c) => c.patch(R.deployments, ns, 'web', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ ...podSpec.containers[0], image: 'app:2' }] } } } }),
    },
    controllers: ['deployment', 'replicaset'],
    faultBudget: 1,
    invariants: [rollingUpdate, nodeCapacity],
    stepProperties: [finalizers],
    goal: rolloutsComplete,
  };
}

const statefulSetReady: GoalProperty = {
  kind: 'goal',
  name: 'statefulset-ready',
  cite: 'seed 003 §3 (the set reaches its replicas, in order)',
  unmet: (s) => s.list('statefulsets').flatMap((set) => {
    const want = (set.spec as { replicas?: number }).replicas ?? 1;
    const ready = s.list('pods').filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === set.metadata.uid) && isRunningAndReady(p as never)).length;
    return ready === want ? [] : [`statefulset ${set.metadata.name}: ${ready} of ${want} Running and Ready`];
  }),
};

export function statefulSetScope(replicas = 3, nodes = 2): Scope {
  return {
    name: `statefulset (${nodes} nodes, ${replicas} replicas, OrderedReady)`,
    nodes,
    setup: [],
    change: {
      label: 'env: create statefulset db',
      apply: (c) => c.create(R.statefulsets, ns, {
        apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: ns },
        spec: { replicas, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: podSpec } },
      }),
    },
    controllers: ['statefulset'],
    faultBudget: 1,
    invariants: [statefulSetIdentity, nodeCapacity],
    stepProperties: [finalizers],
    goal: statefulSetReady,
  };
}

const ownerGone: GoalProperty = {
  kind: 'goal',
  name: 'foreground-complete',
  cite: 'seed 003 §A5 (a foreground deletion ends with the owner and its dependents gone)',
  unmet: (s) => [...s.list('replicasets').map((o) => `replicaset ${o.metadata.name} still there`), ...noOrphans.unmet(s)],
};

export function foregroundScope(replicas = 2, nodes = 2): Scope {
  return {
    name: `foreground deletion (${nodes} nodes, a ReplicaSet of ${replicas})`,
    nodes,
    setup: [{
      resource: R.replicasets,
      object: {
        apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: ns },
        spec: { replicas, selector: { matchLabels: { app: 'rs' } }, template: { metadata: { labels: { app: 'rs' } }, spec: podSpec } },
      },
    }],
    change: { label: 'env: delete replicaset rs (Foreground)', apply: (c) => c.delete(R.replicasets, ns, 'rs', { propagationPolicy: 'Foreground' }) },
    controllers: ['garbage-collector', 'replicaset'],
    faultBudget: 1,
    invariants: [nodeCapacity],
    stepProperties: [foregroundDeletion, finalizers],
    goal: ownerGone,
  };
}

export const SCOPES: Record<string, (replicas?: number, nodes?: number) => Scope> = {
  rollout: rolloutScope,
  statefulset: statefulSetScope,
  foreground: foregroundScope,
};

// ---- memoized steps: what they read, and what they give back ---------------------------------

/** A write step's request, before anything is read: it names the root of its trie. */
type WriteRequest =
  | { t: 'act'; action: Action }
  | { t: 'bind'; ns: string; name: string; node: string }
  | { t: 'kubelet'; kid: number; deleting: boolean }
  | { t: 'env' };

/**
 * The reads of a write: the request's own revisions, each store call (a write reads the row it
 * replaces and the head its revision follows), and each draw from the uid counter.
 */
type WriteQuery =
  | { id: string; t: 'req'; i: number }
  | { id: string; t: 'row' | 'write'; kid: number }
  | { id: string; t: 'prefix'; prefix: string }
  | { id: string; t: 'head' | 'uid' | 'compacted' };

/** What one store write did: the value it wrote, a deletion, or nothing (refused). */
type WriteEffect = { deleted: boolean; cid: number } | null;

interface WriteResult {
  ok: boolean;
  rows: readonly Row[];
  head: number;
  uid: number;
}

/** The state as a write's reads see it. */
interface WriteReader {
  row(kid: number): Row | undefined;
  under(prefix: string): Row[];
  head(): number;
  uid(): number;
  req: number[];
}

/** A walk's copy of the rows, changed by the writes it replays (a Map's order: a write keeps a key's place). */
class WalkRows implements WriteReader {
  private own = false;
  constructor(public rows: readonly Row[], private rev: number, public uids: number, readonly req: number[]) {}
  row(kid: number): Row | undefined {
    for (const r of this.rows) if (r.kid === kid) return r;
    return undefined;
  }
  under(prefix: string): Row[] {
    return this.rows.filter((r) => r.key.startsWith(prefix)).sort((a, b) => compareKeys(a.key, b.key));
  }
  head(): number {
    return this.rev;
  }
  uid(): number {
    return this.uids;
  }
  write(kid: number, e: { deleted: boolean; cid: number }, intern: (kid: number, cid: number, rev: number, prev: number) => Row): void {
    const rows = this.own ? (this.rows as Row[]) : [...this.rows];
    this.own = true;
    const i = rows.findIndex((r) => r.kid === kid);
    const prev = i >= 0 ? rows[i]!.revision : 0;
    this.rev++;
    if (e.deleted) {
      if (i >= 0) rows.splice(i, 1);
    } else {
      const r = intern(kid, e.cid, this.rev, prev);
      if (i >= 0) rows[i] = r;
      else rows.push(r);
    }
    this.rows = rows;
  }
}

type ViewMethod = 'get' | 'list' | 'byUid' | 'dependentsOf' | 'controlledBy' | 'uncontrolled' | 'podsOnNode' | 'resourceVersion';

/**
 * The reads of a reconcile: view calls, answered by which rows came back (their keys: what is in
 * them is read field by field); a field of a row's object (its value, or that it is absent; the
 * revision by order type); an `in` test; a whole subtree (its keys were listed: a clone, a spread;
 * the answer is its content, without the revision, which is read on its own when it is read).
 */
type ViewQuery = (
  | { id: string; t: 'view'; m: ViewMethod; args: unknown[]; byContent: Map<number, Answer> }
  | { id: string; t: 'field'; kid: number; path: readonly string[]; p: string; rv: boolean }
  | { id: string; t: 'has'; kid: number; path: readonly string[]; p: string }
  | { id: string; t: 'whole'; kid: number; path: readonly string[] }
) & {
  /** Its answer depends on the state's content alone, not on any revision. */
  content: boolean;
};

/** A reconcile's decision as stored: each action with its revisions as places among the revisions the run met. */
interface DecideLeaf {
  actions: { action: Action; at: number[]; nums: number[] }[];
  violations: string[];
  label: string;
  /** The decision for each set of revision values met, made once. */
  made: Map<string, Decided>;
  /** The decision, when its actions name no revision. */
  plain?: Decided;
}

interface Decided {
  actions: Action[];
  violations: string[];
  label: string;
}

/** An action's canonical parts: its JSON with the resourceVersions it names taken out, and those. */
interface ActionInfo {
  tpl: number;
  rvs: string[];
  /** The revisions as numbers (NaN for one no revision could print as: it never matches). */
  nums: number[];
}

interface Binding {
  ns: string;
  name: string;
  node: string;
  label: string;
}

interface KubeletWork {
  kid: number;
  deleting: boolean;
  label: string;
}

/**
 * What a state's rows give every step, worked out once. It hangs on the rows array, which the steps
 * that write nothing (a reconcile, a fault) share with the state they leave.
 */
interface Derived {
  /** The content id: the (key, value) ids of the rows in order, interned. */
  csid?: number;
  parsed?: { objects: Located[]; cluster: ClusterState };
  /** The canonical form's rows part, and the revisions in order (for ranking). */
  canonical?: { prefix: string; revs: number[] };
}

/** A content id's values by resource behind the revision tripwire, with content ids (properties' reads). */
interface Lists {
  objects: Map<string, KubeObject[]>;
  ids: Map<string, number>;
  names: number;
}

/** A property's read: the objects of one resource, or which resources there are (undefined), of the state before (0) or after (1) a step. */
interface ListQuery {
  id: string;
  side: number;
  resource: string | undefined;
}

const DERIVED = Symbol('derived');

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

const TRIPPED = Symbol('tripped');

/** 1 + v's place in the ascending revs, or 0 when v is none of them. */
function rankIn(revs: readonly number[], v: number): number {
  let lo = 0;
  let hi = revs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (revs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo < revs.length && revs[lo] === v ? lo + 1 : 0;
}

const small = (code: number): number => {
  if (code >= 4096) throw new Error('cluster model: too many revisions in one step to memoize');
  return code;
};

const sameEffect = (a: WriteEffect | undefined, b: WriteEffect | undefined): boolean =>
  a === b || (!!a && !!b && a.deleted === b.deleted && a.cid === b.cid);

/** The action with its resourceVersions replaced, in the order JSON meets them; unchanged parts are shared. */
function replaceRevisions(v: unknown, next: () => string): unknown {
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const y = replaceRevisions(v[i], next);
      if (y !== v[i]) (out ??= [...v])[i] = y;
    }
    return out ?? v;
  }
  if (typeof v === 'object' && v !== null && typeof (v as { toJSON?: unknown }).toJSON !== 'function') {
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      const y = k === 'resourceVersion' && typeof x === 'string' && /^\d+$/.test(x) ? next() : replaceRevisions(x, next);
      if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
    }
    return out ?? v;
  }
  return v;
}

// ---- the model -------------------------------------------------------------------------------

export interface ClusterModelOptions {
  /**
   * Run the real code beside every memoized step and property and throw on any difference: an
   * exhaustive check of the memoization over a whole scope (as slow as no memoization).
   */
  verifyMemo?: boolean;
}

export class ClusterModel implements Model<ClusterModelState> {
  readonly name: string;
  readonly invariants: Model<ClusterModelState>['invariants'];
  readonly steps: NonNullable<Model<ClusterModelState>['steps']>;
  readonly goal: NonNullable<Model<ClusterModelState>['goal']>;
  private readonly store = new SwitchStore();
  private readonly client: LocalClient;
  private readonly registry = new Registry();
  private readonly resources: ResourceRef[];
  private readonly refs = new Map<string, ResourceRef>();
  private readonly controllers: Controller<unknown>[] = [];
  private readonly real = new Map<string, Controller<unknown>>();
  private readonly nodeNames: string[] = [];
  private uid = 0;
  private readonly now: Instant = T0;
  private settling = false;
  private readonly verifyMemo: boolean;
  /** How often each memo ran the real code (a miss, with the time it took) or answered from what it stored. */
  readonly stats = { decideHits: 0, decideRuns: 0, writeRuns: 0, propertyRuns: 0, decideMs: 0, writeMs: 0, propertyMs: 0 };

  constructor(readonly scope: Scope, mutant?: MutantName, opts: ClusterModelOptions = {}) {
    this.name = `${scope.name}${mutant ? ` with mutant ${mutant}` : ''}`;
    this.verifyMemo = !!opts.verifyMemo;
    const { rest } = createRest(this.store, {
      clock: { now: () => this.now },
      ids: {
        uid: () => {
          this.drawUid('uid');
          return `uid-${String(++this.uid).padStart(4, '0')}`;
        },
        nameSuffix: () => {
          this.drawUid('suffix');
          return (++this.uid).toString(36).padStart(5, 'x');
        },
      },
    });
    this.client = new LocalClient(rest);
    this.resources = storedResources(this.registry).map((r) => r.resource).filter((r) => r.resource !== 'events');
    for (const r of this.resources) this.refs.set(`/${r.group || 'core'}/${r.resource}/`, r);
    const all: Record<string, () => Controller<unknown>> = {
      deployment: () => deploymentController() as Controller<unknown>,
      replicaset: () => replicaSetController() as Controller<unknown>,
      statefulset: () => statefulSetController() as Controller<unknown>,
      'garbage-collector': () => garbageCollector(this.registry, this.resources) as Controller<unknown>,
    };
    for (const name of scope.controllers) {
      const real = all[name]!();
      this.real.set(name, real);
      let c = real;
      if (mutant === 'eager-deployment' && name === 'deployment') c = eagerDeployment(real as never) as Controller<unknown>;
      if (mutant === 'unordered-statefulset' && name === 'statefulset') c = unorderedStatefulSet(real as never) as Controller<unknown>;
      if (mutant === 'nonblocking-gc' && name === 'garbage-collector') c = nonBlockingGc(real as never) as Controller<unknown>;
      this.controllers.push(c);
    }
    this.controllerNames = [...scope.controllers].sort();
    for (let i = 0; i < scope.nodes; i++) this.nodeNames.push(`node-${i}`);
    this.invariants = scope.invariants.map((p) => ({ name: p.name, check: (s: ClusterModelState) => this.ofState(`invariant ${p.name}`, (c) => p.check(c), s) }));
    this.steps = [
      ...scope.stepProperties.map((p) => ({ name: p.name, check: (a: ClusterModelState, b: ClusterModelState) => this.ofStep(p.name, (x, y) => p.check(x, y), a, b) })),
      { name: statefulSetOrdering.name, check: (_a: ClusterModelState, b: ClusterModelState) => b.decisionViolations ?? [] },
    ];
    this.goal = { name: scope.goal.name, unmet: (s) => this.ofState(`goal ${scope.goal.name}`, (c) => scope.goal.unmet(c), s) };
  }

  // ---- interning -------------------------------------------------------------------------------

  private readonly keyIds = new Interner<string>();
  /** Each key's resource (undefined: not an API resource the model shows), by key id. */
  private readonly keyRes: (ResourceRef | undefined)[] = [];
  /** Each key's place in key order, by key id (recomputed when keys are added). */
  private keyRank: number[] = [];
  private readonly valueIds = new Interner<string>();
  private readonly rcIds = new Map<number, number>();
  private readonly rowIds = new Map<number, Map<number, Row>>();
  private readonly csids = new Interner<string>();
  private readonly templates = new Interner<string>();
  private readonly controllerNames: string[];

  private kidOf(key: string): number {
    const n = this.keyIds.size;
    const kid = this.keyIds.id(key);
    if (kid === n) {
      const i = key.indexOf('/', key.indexOf('/', 1) + 1);
      this.keyRes[kid] = this.refs.get(key.slice(0, i + 1));
    }
    return kid;
  }

  private readonly internRow = (kid: number, cid: number, revision: number, prevRevision: number): Row => {
    const ck = kid * 0x4000000 + cid;
    let rc = this.rcIds.get(ck);
    if (rc === undefined) this.rcIds.set(ck, (rc = this.rcIds.size));
    if (revision >= 0x4000000) throw new Error('cluster model: revisions beyond 2^26 are not interned');
    let byRev = this.rowIds.get(rc);
    if (!byRev) this.rowIds.set(rc, (byRev = new Map()));
    const k = revision * 0x4000000 + prevRevision;
    let r = byRev.get(k);
    if (!r) {
      r = { revision, key: this.keyIds.values[kid]!, deleted: false, prevRevision, value: this.valueIds.values[cid]!, kid, cid, rc };
      byRev.set(k, r);
    }
    return r;
  };

  private internLogRow(r: LogRow): Row {
    if ('rc' in r) return r as Row;
    if (r.deleted) throw new Error('cluster model: a deleted row is not live');
    return this.internRow(this.kidOf(r.key), this.valueIds.id(r.value), r.revision, r.prevRevision);
  }

  private rowsOf(log: StateLog): Row[] {
    return [...log.rows.values()].map((r) => this.internLogRow(r));
  }

  // ---- the API over a state --------------------------------------------------------------------

  /** Rows are shared by every state that holds them, so each is parsed once. */
  private readonly parsedRows = new WeakMap<LogRow, KubeObject>();

  private rowObject(row: Row): KubeObject {
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

  private content(cid: number): KubeObject {
    return (this.contents[cid] ??= freeze(JSON.parse(this.valueIds.values[cid]!) as KubeObject));
  }

  private load(s: ClusterModelState): StateLog {
    const log = new StateLog(new Map(s.rows.map((r) => [r.key, r])), s.head);
    this.store.target = new LogStore(log, { parsed: (row) => this.rowObject(this.internLogRow(row)) });
    this.uid = s.uid;
    return log;
  }

  private afterLog(s: ClusterModelState, log: StateLog, change: Partial<ClusterModelState>): ClusterModelState {
    return { rows: this.rowsOf(log), head: log.head(), uid: this.uid, inflight: s.inflight, done: s.done, faults: s.faults, ...change };
  }

  private afterWrite(s: ClusterModelState, w: WriteResult, change: Partial<ClusterModelState>): ClusterModelState {
    return { rows: w.rows, head: w.head, uid: w.uid, inflight: s.inflight, done: s.done, faults: s.faults, ...change };
  }

  private objects(s: ClusterModelState): Located[] {
    const out: Located[] = [];
    for (const row of s.rows) {
      const resource = this.keyRes[row.kid];
      if (!resource) continue;
      out.push({ resource, object: this.rowObject(row) });
    }
    return out;
  }

  private derived(s: ClusterModelState): Derived {
    const rows = s.rows as readonly Row[] & { [DERIVED]?: Derived };
    return (rows[DERIVED] ??= {});
  }

  private csid(s: ClusterModelState): number {
    const d = this.derived(s);
    if (d.csid === undefined) {
      const codes: number[] = [];
      for (const r of s.rows) pushInt(codes, r.rc);
      d.csid = this.csids.id(codesToString(codes));
    }
    return d.csid;
  }

  private parsed(s: ClusterModelState): { objects: Located[]; cluster: ClusterState } {
    const d = this.derived(s);
    if (!d.parsed) {
      const objects = this.objects(s);
      d.parsed = { objects, cluster: new MapState(this.now, objects) };
    }
    return d.parsed;
  }

  clusterState(s: ClusterModelState): ClusterState {
    return this.parsed(s).cluster;
  }

  private async apply(a: Action): Promise<void> {
    switch (a.kind) {
      case 'create':
        await this.client.create(a.resource, a.namespace, a.object);
        return;
      case 'update':
        await this.client.update(a.resource, a.namespace, a.object, a.subresource ? { subresource: a.subresource } : {});
        return;
      case 'patch':
        await this.client.patch(a.resource, a.namespace, a.name, a.patchType, a.patch, a.subresource ? { subresource: a.subresource } : {});
        return;
      case 'delete':
        try {
          await this.client.delete(a.resource, a.namespace, a.name, a.options);
        } catch (e) {
          if (!StatusError.is(e, 'NotFound')) throw e;
        }
    }
  }

  // ---- Model -----------------------------------------------------------------------------------

  async init(): Promise<ClusterModelState[]> {
    const empty: ClusterModelState = { rows: [], head: 0, uid: 0, inflight: {}, done: [], faults: 0 };
    const log = this.load(empty);
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const name of this.nodeNames) await this.client.create(R.nodes, undefined, nodeObject(name, this.now));
    for (const x of this.scope.setup) await this.client.create(x.resource, x.object.metadata.namespace, x.object);
    let s = this.afterLog(empty, log, {});
    // Settle the setup with the real controllers (taking enabled steps in turn), so the exploration
    // starts from a cluster that has reached its desired state.
    this.settling = true;
    try {
      for (let i = 0; i < 1000; i++) {
        const steps = (await this.next(s)).filter((x) => !x.env);
        if (!steps.length) break;
        s = steps[i % steps.length]!.next;
      }
    } finally {
      this.settling = false;
    }
    return [{ ...s, decisionViolations: [] }];
  }

  next(s: ClusterModelState): Step<ClusterModelState>[] | Promise<Step<ClusterModelState>[]> {
    if (this.verifyMemo) return this.verifiedNext(s);
    const steps = this.collect(s);
    return Array.isArray(steps) ? steps : this.filled(s, steps);
  }

  /** Records what the memo misses, one computation at a time (they share the store), then walks again. */
  private async filled(s: ClusterModelState, miss: () => Promise<void>): Promise<Step<ClusterModelState>[]> {
    for (;;) {
      const t0 = performance.now();
      await miss();
      this.stats.writeMs += performance.now() - t0;
      const steps = this.collect(s);
      if (Array.isArray(steps)) return steps;
      miss = steps;
    }
  }

  /** Every step from s out of the memo, or the first write the memo cannot answer yet. */
  private collect(s: ClusterModelState): Step<ClusterModelState>[] | (() => Promise<void>) {
    const out: Step<ClusterModelState>[] = [];
    for (const c of this.settling ? this.real.values() : this.controllers) {
      const f = s.inflight[c.name];
      if (f) {
        const a = f.actions[0]!;
        const req: WriteRequest = { t: 'act', action: a };
        const w = this.walkWrite(s, req);
        if (!w) return () => this.recordWrite(s, req);
        const rest = f.actions.slice(1);
        const labels = this.actionLabels(c.name, a);
        out.push({ label: w.ok ? labels.ok : labels.refused, next: this.afterWrite(s, w, { inflight: { ...s.inflight, [c.name]: w.ok && rest.length ? { key: f.key, actions: rest } : undefined } }) });
        if (s.faults < this.scope.faultBudget) {
          out.push({ label: labels.crash, env: true, fault: true, next: { ...s, inflight: { ...s.inflight, [c.name]: undefined }, faults: s.faults + 1 } });
          out.push({ label: labels.fail, env: true, fault: true, next: { ...s, inflight: { ...s.inflight, [c.name]: undefined }, faults: s.faults + 1 } });
        }
        continue;
      }
      for (const key of this.keys(c, s)) {
        const d = this.decide(c, key, s);
        if (!d.actions.length) continue;
        out.push({ label: d.label, next: { ...s, inflight: { ...s.inflight, [c.name]: { key, actions: d.actions } }, decisionViolations: d.violations } });
      }
    }
    for (const b of this.bindings(s)) {
      const req: WriteRequest = { t: 'bind', ns: b.ns, name: b.name, node: b.node };
      const w = this.walkWrite(s, req);
      if (!w) return () => this.recordWrite(s, req);
      if (w.ok) out.push({ label: b.label, next: this.afterWrite(s, w, {}) });
    }
    for (const k of this.kubeletWork(s)) {
      const req: WriteRequest = { t: 'kubelet', kid: k.kid, deleting: k.deleting };
      const w = this.walkWrite(s, req);
      if (!w) return () => this.recordWrite(s, req);
      if (w.ok) out.push({ label: k.label, next: this.afterWrite(s, w, {}) });
    }
    const change = this.scope.change;
    if (change && !s.done.includes(change.label)) {
      const req: WriteRequest = { t: 'env' };
      const w = this.walkWrite(s, req);
      if (!w) return () => this.recordWrite(s, req);
      if (!w.ok) throw new Error(`cluster model: ${change.label} was refused`);
      out.push({ label: change.label, env: true, next: this.afterWrite(s, w, { done: [...s.done, change.label] }) });
    }
    return out;
  }

  /** The steps as the real code takes them, every write through the REST layer (what the memo must give back). */
  private async nextSlow(s: ClusterModelState): Promise<Step<ClusterModelState>[]> {
    const out: Step<ClusterModelState>[] = [];
    const { objects } = this.parsed(s);
    const view = new SnapshotView(objects, String(s.head));
    const keep = (a: Action) => !(a.kind === 'create' && a.bestEffort);
    for (const c of this.settling ? this.real.values() : this.controllers) {
      const f = s.inflight[c.name];
      if (f) {
        const a = f.actions[0]!;
        const rest = f.actions.slice(1);
        const log = this.load(s);
        let ok = true;
        try {
          await this.apply(a);
        } catch {
          ok = false;
        }
        out.push({ label: `${c.name}: ${describe(a)}${ok ? '' : ' (refused)'}`, next: this.afterLog(s, log, { inflight: { ...s.inflight, [c.name]: ok && rest.length ? { key: f.key, actions: rest } : undefined } }) });
        if (s.faults < this.scope.faultBudget) {
          out.push({ label: `fault: ${c.name} crashes`, env: true, fault: true, next: { ...s, inflight: { ...s.inflight, [c.name]: undefined }, faults: s.faults + 1 } });
          out.push({ label: `fault: ${c.name}: ${describe(a)} fails`, env: true, fault: true, next: { ...s, inflight: { ...s.inflight, [c.name]: undefined }, faults: s.faults + 1 } });
        }
        continue;
      }
      for (const key of this.keysSlow(c, objects)) {
        const obs = c.observe(key, view);
        const d: Decision = c.reconcile(obs, this.now);
        const actions = d.actions.filter(keep);
        if (!actions.length) continue;
        const decisionViolations = c.name === 'statefulset' ? statefulSetOrdering.check(this.real.get(c.name)!.observe(key, view), { actions }) : [];
        out.push({ label: `${c.name} reconciles ${key} (${actions.length} action${actions.length === 1 ? '' : 's'})`, next: { ...s, inflight: { ...s.inflight, [c.name]: { key, actions } }, decisionViolations } });
      }
    }
    // The scheduler: each unbound pod, decided over the bound ones.
    const snap = new ClusterSnapshot();
    for (const { resource, object } of objects) if (resource.resource === 'nodes') snap.setNode(object as never);
    const pods = objects.filter((o) => o.resource.resource === 'pods').map((o) => o.object as KubeObject & Pod);
    for (const p of pods) if (p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') snap.addPod(podInfoOf(p));
    for (const p of pods) {
      if (p.spec?.nodeName || p.metadata.deletionTimestamp) continue;
      const r = schedulePod(podInfoOf(p), snap);
      if (r.kind !== 'scheduled') continue;
      const log = this.load(s);
      try {
        await this.client.create(R.pods, p.metadata.namespace, bindingOf(p.metadata.namespace!, p.metadata.name!, r.node), { subresource: 'binding' });
        out.push({ label: `scheduler binds ${p.metadata.name} to ${r.node}`, next: this.afterLog(s, log, {}) });
      } catch {
        // A pod that cannot be bound now is retried later; no step.
      }
    }
    // Kubelets (verify/ may not import sim/'s, a layer beside it): a bound pod starts Running and
    // Ready in one status write; a pod being deleted is removed once its containers stop.
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (!node || !this.nodeNames.includes(node)) continue;
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!p.metadata.deletionTimestamp && (ready || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')) continue;
      const log = this.load(s);
      try {
        await this.kubelet(p);
        out.push({ label: `kubelet: ${p.metadata.deletionTimestamp ? `${p.metadata.name} stopped, removed` : `${p.metadata.name} Running and Ready on ${node}`}`, next: this.afterLog(s, log, {}) });
      } catch {
        // Refused (the pod changed meanwhile): the kubelet looks again later.
      }
    }
    const change = this.scope.change;
    if (change && !s.done.includes(change.label)) {
      const log = this.load(s);
      await change.apply(this.client);
      out.push({ label: change.label, env: true, next: this.afterLog(s, log, { done: [...s.done, change.label] }) });
    }
    return out;
  }

  private async kubelet(p: KubeObject & Pod): Promise<void> {
    if (p.metadata.deletionTimestamp) await this.client.delete(R.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid! } });
    else await this.client.update(R.pods, p.metadata.namespace, { ...p, status: runningStatus(p, this.now) } as KubeObject, { subresource: 'status' });
  }

  private static readonly primary: Record<string, string> = { deployment: 'deployments', replicaset: 'replicasets', statefulset: 'statefulsets' };

  private keysSlow(c: Controller<unknown>, objects: Located[]): string[] {
    if (c.name === 'garbage-collector') return objects.map((o) => o.object.metadata.uid!).sort();
    return objects.filter((o) => o.resource.resource === ClusterModel.primary[c.name]).map((o) => `${o.object.metadata.namespace}/${o.object.metadata.name}`).sort();
  }

  /** The keys a controller reconciles: names and uids are content, so the keys go by content id. */
  private readonly keyMemo = new Map<string, Map<number, string[]>>();

  private keys(c: Controller<unknown>, s: ClusterModelState): string[] {
    let m = this.keyMemo.get(c.name);
    if (!m) this.keyMemo.set(c.name, (m = new Map()));
    const k = this.csid(s);
    let keys = m.get(k);
    if (!keys) {
      const objects: Located[] = [];
      for (const r of s.rows) {
        const resource = this.keyRes[r.kid];
        if (resource) objects.push({ resource, object: this.content(r.cid) });
      }
      m.set(k, (keys = this.keysSlow(c, objects)));
    }
    return keys;
  }

  // ---- writes, memoized by their store calls ---------------------------------------------------

  private readonly writeRoots = new Map<number | string, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>();
  private readonly writeQueries = new Map<string, WriteQuery>();
  /** The write being recorded: its reads so far, its revision coder, its store. */
  private recording?: { reads: Read<WriteQuery, WriteEffect>[]; coder: RevCoder; log: StateLog; req: number[] };

  private readonly actRoots = new Map<number, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>();
  private readonly kubeletRoots = new Map<number, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>();

  /** The trie of a request: by the action's template, the pod and what its kubelet does, the binding, or the change. */
  private writeRoot(req: WriteRequest): TrieNode<WriteQuery, WriteEffect, { ok: boolean }> {
    const [m, k]: [Map<number | string, TrieNode<WriteQuery, WriteEffect, { ok: boolean }>>, number | string] =
      req.t === 'act' ? [this.actRoots, this.actionInfo(req.action).tpl]
      : req.t === 'kubelet' ? [this.kubeletRoots, 2 * req.kid + (req.deleting ? 1 : 0)]
      : [this.writeRoots, req.t === 'bind' ? `b${req.ns}/${req.name}>${req.node}` : 'e'];
    let n = m.get(k);
    if (!n) m.set(k, (n = {}));
    return n;
  }

  private writeQuery(t: WriteQuery['t'], arg: string | number = ''): WriteQuery {
    const id = `${t}|${arg}`;
    let q = this.writeQueries.get(id);
    if (!q) {
      if (t === 'row' || t === 'write') q = { id, t, kid: this.kidOf(arg as string) };
      else if (t === 'prefix') q = { id, t, prefix: arg as string };
      else if (t === 'req') q = { id, t, i: arg as number };
      else q = { id, t };
      this.writeQueries.set(id, q);
    }
    return q;
  }

  private requestRevisions(req: WriteRequest): number[] {
    if (req.t !== 'act') return [];
    const { nums } = this.actionInfo(req.action);
    if (nums.some((n) => Number.isNaN(n))) throw new Error('cluster model: an action names a resourceVersion that is no revision');
    return nums;
  }

  private rowAnswer(r: Row | undefined, coder: RevCoder): number {
    return r ? r.rc * 4096 + small(coder.code(r.revision)) + 1 : 0;
  }

  /** The answer a read gets from a state; revisions by order type (the coder's sequence is the read order). */
  private answerWrite(q: WriteQuery, rd: WriteReader, coder: RevCoder): Answer {
    switch (q.t) {
      case 'req':
        return coder.code(rd.req[q.i]!);
      case 'row':
        return this.rowAnswer(rd.row(q.kid), coder);
      case 'write': {
        const r = this.rowAnswer(rd.row(q.kid), coder);
        return r * 4096 + small(coder.code(rd.head()));
      }
      case 'prefix': {
        const rows = rd.under(q.prefix).map((r) => `${r.rc}.${coder.code(r.revision)}`).join(',');
        return `${rows};${coder.code(rd.head())}`;
      }
      case 'head':
        return coder.code(rd.head());
      case 'uid':
        return rd.uid();
      case 'compacted':
        return 0;
    }
  }

  /** The write replayed from its trie over s, or undefined where the trie has not seen these answers. */
  /** The coders of walks (a walk runs to its end before the next starts). */
  private readonly writeCoder = new RevCoder();
  private readonly decideCoder = new RevCoder();

  private walkWrite(s: ClusterModelState, req: WriteRequest): WriteResult | undefined {
    let node = this.writeRoot(req);
    const coder = this.writeCoder.reset();
    const rd = new WalkRows(s.rows, s.head, s.uid, this.requestRevisions(req));
    for (;;) {
      if (node.leaf) return { ok: node.leaf.value.ok, rows: rd.rows, head: rd.head(), uid: rd.uid() };
      const q = node.q;
      if (!q) return undefined;
      const next = node.kids!.get(this.answerWrite(q, rd, coder));
      if (!next) return undefined;
      if (q.t === 'uid') rd.uids++;
      else if (q.t === 'write' && next.effect) rd.write(q.kid, next.effect, this.internRow);
      node = next;
    }
  }

  private drawUid(kind: 'uid' | 'suffix'): void {
    const rec = this.recording;
    if (rec) rec.reads.push({ q: this.writeQuery('uid', kind), a: this.uid });
  }

  /** Told of each store call of the write being recorded: notes the read, and for a write what it committed. */
  private readonly tap: StoreTap = (kind, key) => {
    const rec = this.recording;
    if (!rec) return undefined;
    const log = rec.log;
    const rd: WriteReader = {
      row: (kid) => {
        const r = log.rows.get(this.keyIds.values[kid]!);
        return r && this.internLogRow(r);
      },
      under: (prefix) => [...log.rows.values()].filter((r) => r.key.startsWith(prefix)).sort((a, b) => compareKeys(a.key, b.key)).map((r) => this.internLogRow(r)),
      head: () => log.head(),
      uid: () => this.uid,
      req: rec.req,
    };
    const q = this.writeQuery(kind, key);
    const read: Read<WriteQuery, WriteEffect> = { q, a: this.answerWrite(q, rd, rec.coder) };
    rec.reads.push(read);
    if (q.t !== 'write') return undefined;
    const before = log.committed.length;
    const head = log.head();
    const prev = rd.row(q.kid)?.revision ?? 0;
    return () => {
      const rows = log.committed.slice(before);
      const r = rows[0];
      if (rows.length > 1 || (r && (r.key !== key || r.revision !== head + 1 || r.prevRevision !== prev))) {
        throw new Error(`cluster model: a store write to ${key} did not commit one row after head ${head}`);
      }
      read.effect = r ? { deleted: r.deleted, cid: r.deleted ? -1 : this.valueIds.id(r.value) } : null;
    };
  };

  /** Runs a write for real with its reads recorded, stores it, and checks that the trie now gives it back. */
  private async recordWrite(s: ClusterModelState, req: WriteRequest): Promise<void> {
    this.stats.writeRuns++;
    const log = this.load(s);
    const rec = { reads: [] as Read<WriteQuery, WriteEffect>[], coder: new RevCoder(), log, req: this.requestRevisions(req) };
    rec.req.forEach((v, i) => rec.reads.push({ q: this.writeQuery('req', i), a: rec.coder.code(v) }));
    this.recording = rec;
    this.store.tap = this.tap;
    let ok = true;
    let error: unknown;
    try {
      switch (req.t) {
        case 'act':
          await this.apply(req.action);
          break;
        case 'bind':
          await this.client.create(R.pods, req.ns, bindingOf(req.ns, req.name, req.node), { subresource: 'binding' });
          break;
        case 'kubelet': {
          const row = s.rows.find((r) => r.kid === req.kid)!;
          // The request is made of the pod as it is: reading it is the write's first read.
          this.tap('row', row.key);
          await this.kubelet(this.rowObject(row) as KubeObject & Pod);
          break;
        }
        case 'env':
          await this.scope.change!.apply(this.client);
      }
    } catch (e) {
      ok = false;
      error = e;
    } finally {
      this.recording = undefined;
      this.store.tap = undefined;
    }
    if (this.uid !== s.uid + rec.reads.filter((r) => r.q.t === 'uid').length) throw new Error('cluster model: the uid counter moved without a recorded draw');
    const run: WriteResult = { ok, rows: this.rowsOf(log), head: log.head(), uid: this.uid };
    insert(this.writeRoot(req), rec.reads, { ok }, sameEffect);
    const w = this.walkWrite(s, req);
    if (!w || w.ok !== run.ok || w.head !== run.head || w.uid !== run.uid || w.rows.length !== run.rows.length || w.rows.some((r, i) => r !== run.rows[i])) {
      throw new Error(`cluster model: the memo of a write (${req.t}) does not give back the run it recorded`);
    }
    if (!ok && req.t === 'env') throw error;
  }

  // ---- reconciles, memoized by their view calls and the revisions they look at ----------------

  private readonly decideRoots = new Map<Controller<unknown>, Map<string, TrieNode<ViewQuery, never, DecideLeaf>>>();
  private readonly viewQueries = new Map<string, ViewQuery>();

  private decideRoot(c: Controller<unknown>, key: string): TrieNode<ViewQuery, never, DecideLeaf> {
    let m = this.decideRoots.get(c);
    if (!m) this.decideRoots.set(c, (m = new Map()));
    let n = m.get(key);
    if (!n) m.set(key, (n = {}));
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

  private fieldQuery(t: 'field' | 'has' | 'whole', kid: number, at: At<Row>, p = ''): ViewQuery {
    const mk = `${t}${p}`;
    const known = at.memo.get(mk) as ViewQuery | undefined;
    if (known) return known;
    const id = `${t}\u0001${kid}\u0001${at.key}\u0001${p}`;
    let q = this.viewQueries.get(id);
    if (!q) {
      const path = [...at.path];
      const rv = path.length === 1 && path[0] === 'metadata' && p === 'resourceVersion';
      q = t === 'whole' ? { id, t, kid, path, content: true } : t === 'has' ? { id, t, kid, path, p, content: true } : { id, t, kid, path, p, rv, content: !rv };
      this.viewQueries.set(id, q);
    }
    at.memo.set(mk, q);
    return q;
  }

  /** A view call's answer (but resourceVersion's): which rows came back, by key id (what is in them is read as fields). */
  private viewAnswer(m: ViewMethod, x: unknown, kidOf: (o: KubeObject) => number): Answer {
    switch (m) {
      case 'get':
        return x ? kidOf(x as KubeObject) : -1;
      case 'byUid':
        return x ? kidOf((x as Located).object) : -1;
      case 'dependentsOf': {
        const codes: number[] = [];
        for (const l of x as Located[]) pushInt(codes, kidOf(l.object));
        return codesToString(codes);
      }
      default: {
        const codes: number[] = [];
        for (const o of x as KubeObject[]) pushInt(codes, kidOf(o));
        return codesToString(codes);
      }
    }
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
    for (const k of path) {
      if (typeof o !== 'object' || o === null) return undefined;
      o = (o as Record<string, unknown>)[k];
    }
    return o;
  }

  private readonly subtrees = new Interner<string>();
  private readonly subtreeIds = new Map<string, number>();

  /** A whole subtree's answer: the id of its content (a row's stored value has no resourceVersion). */
  private wholeAnswer(cid: number, path: readonly string[]): number {
    const k = `${cid}\u0001${path.join('\u0000')}`;
    let id = this.subtreeIds.get(k);
    if (id === undefined) this.subtreeIds.set(k, (id = this.subtrees.id(JSON.stringify(ClusterModel.at(this.content(cid), path)) ?? 'undefined')));
    return id;
  }

  /** A view over the values (without revisions) of a content id's rows, and which key each is: content alone. */
  private readonly walkViews = new Map<number, { view: SnapshotView; kidOf: Map<KubeObject, number> }>();

  private walkView(s: ClusterModelState): { view: SnapshotView; kidOf: Map<KubeObject, number> } {
    const k = this.csid(s);
    let w = this.walkViews.get(k);
    if (!w) {
      const located: Located[] = [];
      const kidOf = new Map<KubeObject, number>();
      for (const r of s.rows) {
        const resource = this.keyRes[r.kid];
        if (!resource) continue;
        const object = this.content(r.cid);
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
  private decideAnswer(q: ViewQuery, s: ClusterModelState, coder: RevCoder): Answer {
    if (q.t === 'view') {
      const k = this.csid(s);
      if (q.m === 'resourceVersion') {
        // Whether the view holds anything of the resource is content; the version is the head.
        let none = q.byContent.get(k);
        if (none === undefined) q.byContent.set(k, (none = this.walkView(s).view.resourceVersion(q.args[0] as ResourceRef) === '0' ? 1 : 0));
        return none ? -1 : coder.code(s.head);
      }
      let a = q.byContent.get(k);
      if (a === undefined) {
        const w = this.walkView(s);
        const x = (w.view[q.m] as (...args: unknown[]) => unknown).apply(w.view, q.args);
        q.byContent.set(k, (a = this.viewAnswer(q.m, x, (o) => w.kidOf.get(o)!)));
      }
      return a;
    }
    let row: Row | undefined;
    for (const r of s.rows) if (r.kid === q.kid) row = r;
    if (!row) return -2;
    switch (q.t) {
      case 'field': {
        if (q.rv) return coder.code(row.revision);
        const v = ClusterModel.at(this.content(row.cid), q.path);
        if (typeof v !== 'object' || v === null) return -2;
        const own = Object.prototype.hasOwnProperty.call(v, q.p);
        return ClusterModel.fieldAnswer((v as Record<string, unknown>)[q.p], own);
      }
      case 'has': {
        if (q.path.length === 1 && q.path[0] === 'metadata' && q.p === 'resourceVersion') return 1;
        const v = ClusterModel.at(this.content(row.cid), q.path);
        return typeof v === 'object' && v !== null && q.p in v ? 1 : 0;
      }
      case 'whole':
        return this.wholeAnswer(row.cid, q.path);
    }
  }

  private walkDecide(root: TrieNode<ViewQuery, never, DecideLeaf>, s: ClusterModelState): Decided | undefined {
    const coder = this.decideCoder.reset();
    let node = root;
    for (;;) {
      if (node.leaf) return this.made(node.leaf.value, coder);
      const q = node.q;
      if (!q) return undefined;
      if (q.content) {
        // Reads of content alone go the same way for every state of this content: taken once, then jumped.
        const k = this.csid(s);
        let to = node.jump?.get(k);
        if (!to) {
          let n: TrieNode<ViewQuery, never, DecideLeaf> | undefined = node;
          while (n.q?.content) {
            n = n.kids!.get(this.decideAnswer(n.q, s, coder));
            if (!n) return undefined;
          }
          if (!n.q && !n.leaf) return undefined;
          (node.jump ??= new Map()).set(k, (to = n));
        }
        node = to;
        continue;
      }
      const next = node.kids!.get(this.decideAnswer(q, s, coder));
      if (!next) return undefined;
      node = next;
    }
  }

  /** The decision of a leaf with the walk's revisions in its actions. */
  private made(leaf: DecideLeaf, coder: RevCoder): Decided {
    if (leaf.plain) return leaf.plain;
    const vals = leaf.actions.map((x) => x.at.map((i) => coder.vals[i]!));
    const k = vals.map((v) => v.join(',')).join(';');
    let d = leaf.made.get(k);
    if (!d) {
      const actions = leaf.actions.map((x, j) => this.withRevisions(x.action, x.nums, vals[j]!));
      leaf.made.set(k, (d = { actions, violations: leaf.violations, label: leaf.label }));
    }
    return d;
  }

  private withRevisions(a: Action, from: number[], to: number[]): Action {
    if (from.every((v, i) => v === to[i])) return a;
    let i = 0;
    const b = replaceRevisions(a, () => String(to[i++])) as Action;
    const info = this.actionInfo(a);
    if (i !== to.length) throw new Error('cluster model: an action\'s revisions moved');
    this.actionInfos.set(b, { tpl: info.tpl, rvs: to.map(String), nums: to });
    return b;
  }

  private decide(c: Controller<unknown>, key: string, s: ClusterModelState): Decided {
    const root = this.decideRoot(c, key);
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
    // A read made again in the same run gets the same answer: recorded once.
    const asked = new Set<ViewQuery>();
    const fresh = (q: ViewQuery) => !asked.has(q) && !!asked.add(q);
    const tracker: Tracker<Row> = new Tracker<Row>({
      field: (at, p, value, own) => {
        const q = this.fieldQuery('field', at.root.kid, at, p);
        if (fresh(q)) reads.push({ q, a: q.t === 'field' && q.rv ? coder.code(at.root.revision) : ClusterModel.fieldAnswer(value, own) });
      },
      has: (at, p, result) => {
        const q = this.fieldQuery('has', at.root.kid, at, p);
        const rv = at.path.length === 1 && at.path[0] === 'metadata' && p === 'resourceVersion';
        if (fresh(q)) reads.push({ q, a: rv || result ? 1 : 0 });
      },
      whole: (at) => {
        const q = this.fieldQuery('whole', at.root.kid, at);
        if (fresh(q)) reads.push({ q, a: this.wholeAnswer(at.root.cid, at.path) });
      },
      always: (at, p) => at.path.length === 1 && at.path[0] === 'metadata' && p === 'resourceVersion',
      keep: (at, p) => at.path.length === 0 && p === 'metadata',
    });
    // The content's view answers (as a walk's would); the rows it names go to the run as their
    // real objects (with revisions) behind proxies, made as they are first handed out (one per
    // object, and per Located, for the run).
    const w = this.walkView(s);
    const rowAt = new Map<number, Row>();
    for (const r of s.rows) rowAt.set(r.kid, r);
    const proxies = new Map<object, unknown>();
    const proxy = (o: KubeObject): KubeObject => {
      let p = proxies.get(o) as KubeObject | undefined;
      if (!p) {
        const row = rowAt.get(w.kidOf.get(o)!)!;
        // Pods are read a field or two at a time (is it active, ready); other objects are cloned.
        proxies.set(o, (p = tracker.track(row, this.rowObject(row), this.keyRes[row.kid]!.resource !== 'pods') as KubeObject));
      }
      return p;
    };
    const located = (l: Located): Located => {
      let p = proxies.get(l) as Located | undefined;
      if (!p) proxies.set(l, (p = { resource: l.resource, object: proxy(l.object) }));
      return p;
    };
    const view = new RecordingView(w.view, (call) => {
      const x = call.run();
      if (tracker.live) {
        const q = this.viewQuery(call.m, call.args);
        if (fresh(q)) reads.push({ q, a: call.m === 'resourceVersion' ? (x === '0' ? -1 : coder.code(s.head)) : this.viewAnswer(call.m, x, (o) => w.kidOf.get(o)!) });
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
          return (x as KubeObject[]).map(proxy);
      }
    });
    let actions: Action[];
    let violations: string[];
    try {
      const d: Decision = c.reconcile(c.observe(key, view), this.now);
      actions = d.actions.filter((a) => !(a.kind === 'create' && a.bestEffort));
      violations = c.name === 'statefulset' ? statefulSetOrdering.check(this.real.get(c.name)!.observe(key, view), { actions }) : [];
      // The actions are the run's output: what they hold of the observed objects is read here,
      // as they are printed, and counts as read by the run.
      for (const a of actions) JSON.stringify(a);
    } finally {
      tracker.live = false;
    }
    // Kept without the proxies: the real objects they stand for.
    actions = actions.map((a) => tracker.unwrap(a) as Action);
    violations = [...violations];
    const label = `${c.name} reconciles ${key} (${actions.length} action${actions.length === 1 ? '' : 's'})`;
    const leaf: DecideLeaf = {
      actions: actions.map((action) => {
        const { nums } = this.actionInfo(action);
        const at = nums.map((n) => coder.indexOf(n));
        if (at.some((i) => i < 0)) throw new Error(`cluster model: ${c.name} wrote a resourceVersion it never read`);
        return { action, at, nums };
      }),
      violations,
      label,
      made: new Map(),
    };
    if (leaf.actions.every((x) => x.at.length === 0)) leaf.plain = { actions, violations, label };
    insert(root, reads, leaf, () => true);
    const again = this.walkDecide(root, s);
    if (!again || again.label !== label || again.actions.length !== actions.length || again.actions.some((a, i) => a !== actions[i]) || !deepEqual(again.violations, violations)) {
      throw new Error(`cluster model: the memo of ${c.name} reconciling ${key} does not give back the run it recorded`);
    }
    return again;
  }

  // ---- the scheduler and the kubelets --------------------------------------------------------

  /** Each unbound pod the scheduler places, decided over the bound ones (memoized as a property is). */
  private bindings(s: ClusterModelState): Binding[] {
    return this.byLists('scheduler', [s], ([c]) => scheduleAll(c!), () => scheduleAll(this.clusterState(s)));
  }

  private readonly kubeletMemo = new Map<number, KubeletWork[]>();

  /** The pods a kubelet has work for: bound here and not yet Ready, or being deleted (content alone decides). */
  private kubeletWork(s: ClusterModelState): KubeletWork[] {
    const k = this.csid(s);
    let work = this.kubeletMemo.get(k);
    if (!work) {
      work = [];
      for (const r of s.rows) {
        if (this.keyRes[r.kid]?.resource !== 'pods') continue;
        const p = this.content(r.cid) as KubeObject & Pod;
        const node = p.spec?.nodeName;
        if (!node || !this.nodeNames.includes(node)) continue;
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (!p.metadata.deletionTimestamp && (ready || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')) continue;
        const deleting = !!p.metadata.deletionTimestamp;
        work.push({ kid: r.kid, deleting, label: `kubelet: ${deleting ? `${p.metadata.name} stopped, removed` : `${p.metadata.name} Running and Ready on ${node}`}` });
      }
      this.kubeletMemo.set(k, work);
    }
    return work;
  }

  // ---- properties, memoized by the resources they list, while they read no revision ----------

  /** Each value's object behind the revision tripwire (memo.ts), made once. */
  private readonly watched: KubeObject[] = [];
  private tripped = false;
  private readonly buckets = new Interner<string>();
  private readonly propRoots = new Map<string, TrieNode<ListQuery, never, unknown>>();
  /** A step property's leaves by the content ids of the states before and after. */
  private readonly stepJumps = new Map<TrieNode<ListQuery, never, unknown>, Map<number, Map<number, TrieNode<ListQuery, never, unknown>>>>();
  private readonly listQueries = new Map<string, ListQuery>();

  /** The state's objects by resource, tripwired, each resource with the content id of its rows. */
  private readonly listsOf = new Map<number, Lists>();

  private lists(s: ClusterModelState): Lists {
    const k = this.csid(s);
    let d = this.listsOf.get(k);
    if (!d) {
      const objects = new Map<string, KubeObject[]>();
      const codes = new Map<string, number[]>();
      for (const r of s.rows) {
        const resource = this.keyRes[r.kid]?.resource;
        if (resource === undefined) continue;
        let l = objects.get(resource);
        if (!l) {
          objects.set(resource, (l = []));
          codes.set(resource, []);
        }
        l.push((this.watched[r.cid] ??= tripwire(this.content(r.cid), () => (this.tripped = true))));
        pushInt(codes.get(resource)!, r.rc);
      }
      const ids = new Map<string, number>();
      for (const [resource, c] of codes) ids.set(resource, this.buckets.id(codesToString(c)));
      this.listsOf.set(k, (d = { objects, ids, names: this.buckets.id(`\u0001${[...objects.keys()].join('\u0001')}`) }));
    }
    return d;
  }

  private listQuery(side: number, resource: string | undefined): ListQuery {
    const id = `${side}\u0001${resource ?? ''}`;
    let q = this.listQueries.get(id);
    if (!q) this.listQueries.set(id, (q = { id, side, resource }));
    return q;
  }

  /** What a listing gets: the content id of the resource's rows (-1: none), or of the list of resources. */
  private listAnswer(q: ListQuery, s: ClusterModelState): number {
    const l = this.lists(s);
    return q.resource === undefined ? l.names : (l.ids.get(q.resource) ?? -1);
  }

  /**
   * f over the states (the one a property judges, or both ends of a step), memoized by the
   * resources it lists, each answered by the content id of its objects in order. It runs over the
   * values without revisions behind the tripwire: one that looks at a revision is kept as such and
   * always run over the real objects (`real`) instead.
   */
  private byLists<T>(name: string, states: ClusterModelState[], f: (cs: ClusterState[]) => T, real: () => T): T {
    let root = this.propRoots.get(name);
    if (!root) this.propRoots.set(name, (root = {}));
    // Every read here is of content: the leaf a walk reaches is kept by the states' content ids.
    const k0 = this.csid(states[0]!);
    let jumps = root.jump;
    if (states.length > 1) {
      const j = (this.stepJumps.get(root) ?? this.stepJumps.set(root, new Map()).get(root)!);
      jumps = j.get(k0) ?? j.set(k0, new Map()).get(k0)!;
    }
    const k = states.length > 1 ? this.csid(states[1]!) : k0;
    const known = jumps?.get(k);
    if (known?.leaf) return known.leaf.value === TRIPPED ? real() : (known.leaf.value as T);
    let node = root;
    for (;;) {
      if (node.leaf) {
        if (states.length > 1) jumps!.set(k, node);
        else (root.jump ??= new Map()).set(k, node);
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
    insert(root, reads, r, () => true);
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

  private ofState(name: string, check: (c: ClusterState) => string[], s: ClusterModelState): string[] {
    const r = this.byLists(name, [s], ([c]) => check(c!), () => check(this.clusterState(s)));
    if (this.verifyMemo && !deepEqual(r, check(this.clusterState(s)))) throw new Error(`cluster model: the memo of ${name} differs from its run`);
    return r;
  }

  private ofStep(name: string, check: (a: ClusterState, b: ClusterState) => string[], a: ClusterModelState, b: ClusterModelState): string[] {
    const r = this.byLists(`step ${name}`, [a, b], ([x, y]) => check(x!, y!), () => check(this.clusterState(a), this.clusterState(b)));
    if (this.verifyMemo && !deepEqual(r, check(this.clusterState(a), this.clusterState(b)))) throw new Error(`cluster model: the memo of ${name} differs from its run`);
    return r;
  }

  // ---- canonical form --------------------------------------------------------------------------

  private keyRanked = 0;

  private rankOfKey(kid: number): number {
    if (this.keyRanked !== this.keyIds.size) {
      const order = this.keyIds.values.map((k, i) => ({ k, i })).sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0));
      this.keyRank = new Array<number>(order.length);
      order.forEach((x, r) => (this.keyRank[x.i] = r));
      this.keyRanked = this.keyIds.size;
    }
    return this.keyRank[kid]!;
  }

  private readonly actionInfos = new WeakMap<Action, ActionInfo>();

  private actionInfo(a: Action): ActionInfo {
    let d = this.actionInfos.get(a);
    if (!d) {
      const { onError: _, ...plain } = a;
      const rvs: string[] = [];
      const json = JSON.stringify(plain).replace(/"resourceVersion":"(\d+)"/g, (_m, rv: string) => {
        rvs.push(rv);
        return '"resourceVersion":?';
      });
      d = { tpl: this.templates.id(json), rvs, nums: rvs.map((rv) => (String(Number(rv)) === rv ? Number(rv) : NaN)) };
      this.actionInfos.set(a, d);
    }
    return d;
  }

  private readonly labels = new Map<string, Map<number, { ok: string; refused: string; crash: string; fail: string }>>();

  /** The labels of an in-flight action's steps (they name no revision: one set per template). */
  private actionLabels(controller: string, a: Action): { ok: string; refused: string; crash: string; fail: string } {
    const tpl = this.actionInfo(a).tpl;
    let m = this.labels.get(controller);
    if (!m) this.labels.set(controller, (m = new Map()));
    let l = m.get(tpl);
    if (!l) {
      const what = describe(a);
      m.set(tpl, (l = { ok: `${controller}: ${what}`, refused: `${controller}: ${what} (refused)`, crash: `fault: ${controller} crashes`, fail: `fault: ${controller}: ${what} fails` }));
    }
    return l;
  }

  private readonly keyStrings = new Interner<string>();
  private readonly doneIds = new Interner<string>();

  /**
   * Rows in key order, each as its content id and the rank of its revision (the part a rows array
   * fixes, worked out once for it); each in-flight list as
   * its controller, key, and actions (template id and the ranks of the revisions they name, 0 for
   * one no live row has); the done flags and the fault count. Counts first, so it parses one way.
   */
  hash(s: ClusterModelState): string {
    const d = this.derived(s);
    let c = d.canonical;
    if (!c) {
      const rows = s.rows;
      const n = rows.length;
      const revs = new Array<number>(n);
      for (let i = 0; i < n; i++) revs[i] = rows[i]!.revision;
      revs.sort((a, b) => a - b);
      const order = rows.slice();
      for (let i = 1; i < n; i++) {
        const r = order[i]!;
        const k = this.rankOfKey(r.kid);
        let j = i - 1;
        while (j >= 0 && this.rankOfKey(order[j]!.kid) > k) {
          order[j + 1] = order[j]!;
          j--;
        }
        order[j + 1] = r;
      }
      const codes: number[] = [];
      pushInt(codes, n);
      for (const r of order) {
        pushInt(codes, r.rc);
        pushInt(codes, rankIn(revs, r.revision));
      }
      d.canonical = c = { prefix: codesToString(codes), revs };
    }
    const revs = c.revs;
    const codes: number[] = [];
    let flights = 0;
    for (const name of this.controllerNames) if (s.inflight[name]) flights++;
    pushInt(codes, flights);
    for (let ci = 0; ci < this.controllerNames.length; ci++) {
      const f = s.inflight[this.controllerNames[ci]!];
      if (!f) continue;
      pushInt(codes, ci);
      pushInt(codes, this.keyStrings.id(f.key));
      pushInt(codes, f.actions.length);
      for (const a of f.actions) {
        const { tpl, nums } = this.actionInfo(a);
        pushInt(codes, tpl);
        pushInt(codes, nums.length);
        for (const v of nums) pushInt(codes, rankIn(revs, v));
      }
    }
    pushInt(codes, s.done.length);
    for (const x of s.done) pushInt(codes, this.doneIds.id(x));
    pushInt(codes, s.faults);
    return c.prefix + codesToString(codes);
  }

  describe(s: ClusterModelState): string {
    const { cluster } = this.parsed(s);
    const pods = cluster.list('pods').map((p) => {
      const st = p.status as Pod['status'];
      const ready = st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const img = (p.spec as Pod['spec'])?.containers?.[0]?.image;
      return `${p.metadata.name}[${img}${p.metadata.deletionTimestamp ? ',deleting' : ready ? ',ready' : (p.spec as Pod['spec'])?.nodeName ? ',bound' : ''}]`;
    });
    const sets = [...cluster.list('replicasets'), ...cluster.list('statefulsets'), ...cluster.list('deployments')].map((o) => `${o.kind}/${o.metadata.name}=${(o.spec as { replicas?: number })?.replicas}${o.metadata.deletionTimestamp ? '(deleting)' : ''}`);
    return `${sets.join(' ')} | pods: ${pods.join(' ') || 'none'}`;
  }

  // ---- verifying the memo ----------------------------------------------------------------------

  /** The memo's steps beside the real code's, which must agree in every label, flag and successor. */
  private async verifiedNext(s: ClusterModelState): Promise<Step<ClusterModelState>[]> {
    const fast = this.collect(s);
    const steps = Array.isArray(fast) ? fast : await this.filled(s, fast);
    const slow = await this.nextSlow(s);
    const where = (i: number) => `step ${i} of ${this.describe(s)}`;
    if (steps.length !== slow.length) throw new Error(`cluster model: the memo gives ${steps.length} steps where the real code takes ${slow.length}: ${steps.map((x) => x.label).join(' / ')} vs ${slow.map((x) => x.label).join(' / ')}`);
    steps.forEach((x, i) => {
      const y = slow[i]!;
      if (x.label !== y.label || !!x.env !== !!y.env || !!x.fault !== !!y.fault) throw new Error(`cluster model: ${where(i)}: ${x.label} vs ${y.label}`);
      const a = x.next;
      const b = y.next;
      if (a.head !== b.head || a.uid !== b.uid || a.faults !== b.faults || !deepEqual(a.done, b.done) || !deepEqual(a.decisionViolations, b.decisionViolations)) throw new Error(`cluster model: ${where(i)} (${x.label}): counters or flags differ`);
      if (a.rows.length !== b.rows.length || a.rows.some((r, j) => r !== b.rows[j])) throw new Error(`cluster model: ${where(i)} (${x.label}): rows differ`);
      for (const c of this.controllerNames) {
        const fa = a.inflight[c];
        const fb = b.inflight[c];
        const json = (f: InFlight | undefined) => f && JSON.stringify({ key: f.key, actions: f.actions.map(({ onError: _, ...plain }) => plain) });
        if (json(fa) !== json(fb)) throw new Error(`cluster model: ${where(i)} (${x.label}): in-flight actions of ${c} differ`);
      }
    });
    return steps;
  }
}

/** Every unbound pod the scheduler would place, each decided over the pods already bound. */
function scheduleAll(s: ClusterState): Binding[] {
  const snap = new ClusterSnapshot();
  for (const object of s.list('nodes')) snap.setNode(object as never);
  const pods = s.list('pods') as (KubeObject & Pod)[];
  for (const p of pods) if (p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') snap.addPod(podInfoOf(p));
  const out: Binding[] = [];
  for (const p of pods) {
    if (p.spec?.nodeName || p.metadata.deletionTimestamp) continue;
    const r = schedulePod(podInfoOf(p), snap);
    if (r.kind === 'scheduled') out.push({ ns: p.metadata.namespace!, name: p.metadata.name!, node: r.node, label: `scheduler binds ${p.metadata.name} to ${r.node}` });
  }
  return out;
}

function bindingOf(namespace: string, name: string, node: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace }, target: { apiVersion: 'v1', kind: 'Node', name: node } } as KubeObject;
}

function describe(a: Action): string {
  const spec = (o: KubeObject) => (o.spec as { replicas?: number } | undefined)?.replicas;
  switch (a.kind) {
    case 'create':
      return `create ${a.resource.resource}/${a.object.metadata.name ?? a.object.metadata.generateName}${spec(a.object) !== undefined ? ` replicas=${spec(a.object)}` : ''}`;
    case 'update':
      return a.subresource ? `update ${a.resource.resource}/${a.object.metadata.name}/${a.subresource}` : `update ${a.resource.resource}/${a.object.metadata.name}${spec(a.object) !== undefined ? ` replicas=${spec(a.object)}` : ''}`;
    case 'patch': {
      const r = (a.patch as { spec?: { replicas?: number } } | undefined)?.spec?.replicas;
      return `patch ${a.resource.resource}/${a.name}${a.subresource ? `/${a.subresource}` : ''}${r !== undefined ? ` replicas=${r}` : ''}`;
    }
    case 'delete':
      return `delete ${a.resource.resource}/${a.name}`;
  }
}


function nodeObject(name: string, now: Instant): KubeObject {
  const capacity = { cpu: '1', memory: '1Gi', pods: '110' };
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(now) }] },
  };
}

function runningStatus(p: KubeObject & Pod, now: Instant): Pod['status'] {
  const t = rfc3339(now);
  return {
    ...p.status,
    phase: 'Running',
    startTime: t,
    conditions: [
      { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      { type: 'Initialized', status: 'True', lastTransitionTime: t },
      { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
      { type: 'Ready', status: 'True', lastTransitionTime: t },
    ],
    containerStatuses: (p.spec?.containers ?? []).map((c) => ({ name: c.name, image: c.image!, imageID: '', ready: true, restartCount: 0, started: true, state: { running: { startedAt: t } } })),
  };
}
