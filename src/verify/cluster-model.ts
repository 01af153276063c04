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
//   scheduler binds <pod> to <node> the scheduler's decision and the binding, at once; one step
//                                   per equally best node (upstream picks one at random);
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
// The scopes (what is set up, the one change, the controllers, the properties) are in scopes.ts.
//
// Speed: every step's work is memoized by what it read, in a trie whose edges are the answers a
// run got (memo.ts); the first run of each is the real code, recorded.
//  - rows.ts: rows are interned (a key, a value, a revision: one shared object with small integer
//    ids), so a state is an array of them, its content one integer (its content id) and its
//    canonical form a short tuple of integers (interned: tuples.ts); actions.ts likewise keys in-flight actions by
//    their template (their JSON without the revisions they name);
//  - write-memo.ts: a write through the REST layer (state-api.ts), by its store calls (which row,
//    which head) and uid draws;
//  - decide-memo.ts: a reconcile, by its view calls (which rows came back, each by the order the
//    run met it in, not by key) and the fields of those rows it read (tracking.ts), pods field by
//    field and other objects whole (they are cloned anyway); a walk's leaf is kept by what its
//    answers depend on (content, and the revisions' order), for every state alike in those;
//  - property-memo.ts: a property (and the scheduler's decision), by the resources it lists, while
//    it never looks at a revision (the values are handed to it without, behind a tripwire); a
//    step property judged object by object (its perObject form) by each object's value ids
//    before and after;
//  - here: the keys controllers reconcile and the kubelets' work, by content id alone.
// States explored with the same rows at the same head share one rows array (rows.ts), and with it
// what was worked out for them: reconciles' outcomes. A state's canonical rows part goes by its
// rows' rid when it shares them with a state explored, else by its content id and the order of
// its revisions; the form is the pair of that part and the rest, interned. (Writes replayed
// are not kept with it: they hold the next states' rows, most of them duplicates, which a large
// scope cannot afford to keep: 4 replicas, bounded at 1M states, ran slower with them.)
// Revisions are answered by order type (equal to one met before, or between two), never by value:
// the memo assumes, as the canonical form does, that the API and the controllers only compare,
// copy and increment revisions (memo.ts). Reads of content alone give the same answers for every
// state of that content, so walks jump over them by content id. `verifyMemo` runs the real code
// (nextSlow) beside every step and property and throws at the first difference; a test runs it
// over the smaller scopes and the mutants.
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R, type ResourceRef } from '../model/api.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { Registry } from '../model/registry.js';
import type { Action, Controller, Decision, Located } from '../controllers/runtime.js';
import { SnapshotView } from '../controllers/snapshot.js';
import { storedResources } from '../controllers/manager.js';
import { deploymentController } from '../controllers/deployment.js';
import { replicaSetController } from '../controllers/replicaset.js';
import { statefulSetController } from '../controllers/statefulset.js';
import { garbageCollector } from '../controllers/gc.js';
import type { Model, Step } from './checker.js';
import type { ClusterState } from './invariants/state.js';
import { statefulSetOrdering } from './invariants/workloads.js';
import { eagerDeployment, nonBlockingGc, unorderedStatefulSet, type MutantName } from './mutants/index.js';
import { Interner, lowerBound } from './memo.js';
import { GroupedMap, IntColumn, IntList, TupleBuffer, TupleTable } from './tuples.js';
import { ActionTable, describe, type ActionInfo, type ActionLabels } from './actions.js';
import { RowTable, sortRevisions, type Row, type RowsState } from './rows.js';
import { ns, type Scope } from './scopes.js';
import { StateApi, type StateLog } from './state-api.js';
import { WriteMemo, type WriteRequest, type WriteResult } from './write-memo.js';
import { DecideMemo } from './decide-memo.js';
import { placements } from './scheduling.js';
import { PropertyMemo } from './property-memo.js';

export { foregroundScope, rolloutScope, SCOPES, statefulSetScope, type Scope } from './scopes.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
/** No violations (shared: judged on every step). */
const NONE: string[] = Object.freeze([]) as unknown as string[];

// ---- states ----------------------------------------------------------------------------------

interface InFlight {
  key: string;
  actions: Action[];
  // Worked out once per list (ClusterModel.flight interns them), each when first needed: a
  // WeakMap lookup by action or list on every step was a good part of the step's work.
  /** Each action's template and revisions (ActionTable.info). */
  infos: readonly ActionInfo[] | undefined;
  /** The write request of the first action. */
  req: WriteRequest | undefined;
  /** What is left once the first action went through (undefined: nothing; null: not yet worked out). */
  rest: InFlight | undefined | null;
  /** The labels of the first action's steps, and the controller they name. */
  labels: ActionLabels | undefined;
  labelsOf: string | undefined;
  /** Its key's id in the canonical form (-1: not yet asked). */
  keyId: number;
  /** Its number among the model's interned lists (-1: not interned, as the real code's are). */
  id: number;
}

function inFlight(key: string, actions: Action[], id = -1): InFlight {
  return { key, actions, infos: undefined, req: undefined, rest: null, labels: undefined, labelsOf: undefined, keyId: -1, id };
}

export interface ClusterModelState {
  /** The live rows in the order a Map by key keeps them: a write keeps a key's place, a new key goes last. */
  rows: readonly Row[];
  head: number;
  uid: number;
  /** Each controller's in-flight list, by the controller's place among the scope's controllers sorted by name. */
  inflight: readonly (InFlight | undefined)[];
  done: string[];
  faults: number;
  /** Violations found in the decision that led here (judged on the step, not part of the state). */
  decisionViolations?: string[];
  /** The rows' rid (RowTable.rid) and content id, once asked (-1 before): states that share rows copy them. */
  rid: number;
  csid: number;
  /** Its canonical form's rows part (ClusterModel.hash), once known (-1 before): steps that keep the rows copy it. */
  prefix: number;
}

/** How often each memo ran the real code (a miss, with the time it took) or answered from what it stored. */
export interface MemoStats {
  decideHits: number;
  decideRuns: number;
  writeRuns: number;
  propertyRuns: number;
  decideMs: number;
  writeMs: number;
  propertyMs: number;
}

/** A write the memo cannot answer yet: run it for real over s (WriteMemo.record). */
interface Miss {
  s: ClusterModelState;
  req: WriteRequest;
}

interface KubeletWork {
  kid: number;
  deleting: boolean;
  label: string;
  /** Its write request (made once: the write memo keeps its root on it). */
  req: WriteRequest;
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
  private readonly registry = new Registry();
  private readonly resources: ResourceRef[];
  private readonly refs = new Map<string, ResourceRef>();
  private readonly controllers: Controller<unknown>[] = [];
  private readonly real = new Map<string, Controller<unknown>>();
  /** The real controllers, in the order of the scope's (what settling the setup runs). */
  private readonly realList: Controller<unknown>[] = [];
  private readonly nodeNames: string[] = [];
  private readonly controllerNames: string[];
  /** Each controller's place in a state's in-flight lists. */
  private readonly slots = new Map<string, number>();
  /** The slot of each of the scope's controllers, in the scope's order (the order of both lists collect walks): no Map lookup per state. */
  private readonly scopeSlots: number[];
  private readonly now: Instant = T0;
  private settling = false;
  private readonly verifyMemo: boolean;
  readonly stats: MemoStats = { decideHits: 0, decideRuns: 0, writeRuns: 0, propertyRuns: 0, decideMs: 0, writeMs: 0, propertyMs: 0 };
  // The states' rows and actions interned, the real API over a state, and the memos of the steps.
  private readonly table: RowTable;
  private readonly actions = new ActionTable();
  private readonly api: StateApi;
  private readonly writes: WriteMemo;
  private readonly decisions: DecideMemo;
  private readonly properties: PropertyMemo;

  constructor(readonly scope: Scope, mutant?: MutantName, opts: ClusterModelOptions = {}) {
    this.name = `${scope.name}${mutant ? ` with mutant ${mutant}` : ''}`;
    this.verifyMemo = !!opts.verifyMemo;
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
      this.realList.push(real);
      let c = real;
      if (mutant === 'eager-deployment' && name === 'deployment') c = eagerDeployment(real as never) as Controller<unknown>;
      if (mutant === 'unordered-statefulset' && name === 'statefulset') c = unorderedStatefulSet(real as never) as Controller<unknown>;
      if (mutant === 'nonblocking-gc' && name === 'garbage-collector') c = nonBlockingGc(real as never) as Controller<unknown>;
      this.controllers.push(c);
    }
    this.controllerNames = [...scope.controllers].sort();
    this.controllerNames.forEach((name, i) => this.slots.set(name, i));
    this.scopeSlots = scope.controllers.map((name) => this.slots.get(name)!);
    for (let i = 0; i < scope.nodes; i++) this.nodeNames.push(`node-${i}`);
    this.table = new RowTable(this.refs, this.now);
    this.api = new StateApi(this.table, this.now);
    this.writes = new WriteMemo(this.table, this.actions, this.api, scope.change, this.stats);
    this.decisions = new DecideMemo(this.table, this.actions, this.now, this.real, this.stats);
    this.properties = new PropertyMemo(this.table, this.now, this.verifyMemo, this.stats);
    this.invariants = scope.invariants.map((p) => {
      const root = this.properties.root(`invariant ${p.name}`);
      const check = (c: ClusterState) => p.check(c);
      return { name: p.name, check: (s: ClusterModelState) => this.properties.ofState(root, check, s) };
    });
    this.steps = [
      ...scope.stepProperties.map((p) => {
        const root = this.properties.root(`step ${p.name}`);
        const check = (x: ClusterState, y: ClusterState) => p.check(x, y);
        const perObject = p.perObject && ((resource: string, x: KubeObject, y: KubeObject | undefined) => p.perObject!(resource, x, y));
        return { name: p.name, check: (a: ClusterModelState, b: ClusterModelState) => this.properties.ofStep(root, check, a, b, perObject) };
      }),
      { name: statefulSetOrdering.name, check: (_a: ClusterModelState, b: ClusterModelState) => b.decisionViolations ?? NONE },
    ];
    const goal = this.properties.root(`goal ${scope.goal.name}`);
    const unmet = (c: ClusterState) => scope.goal.unmet(c);
    this.goal = { name: scope.goal.name, unmet: (s) => this.properties.ofState(goal, unmet, s) };
  }

  private afterLog(s: ClusterModelState, log: StateLog, inflight = s.inflight, done = s.done): ClusterModelState {
    return state(this.table.rowsOf(log), log.head(), this.api.uid, inflight, done, s.faults, undefined, -1, -1, -1);
  }

  private afterWrite(s: ClusterModelState, w: Written, inflight = s.inflight, done = s.done): ClusterModelState {
    return state(w.rows, w.head, w.uid, inflight, done, s.faults, undefined, w.rows === s.rows ? s.rid : -1, w.csid, w.prefix);
  }

  /**
   * The canonical rows part (and content id) of write steps' next states, by the shared rows array
   * they start from (its sid) and the request: about half the write steps repeat one taken from
   * another state with the same rows, head and uid (it differs in what else is in flight), and the
   * rows after are the same, so their part is worked out once (contentPrefix), not per step. Each
   * a run in writeOutcomes: the uid before, then the rows part and content id after.
   */
  private readonly writeSteps = new GroupedMap();
  private readonly writeOutcomes = new IntList();
  private requestCount = 0;
  /** The outcome of the last write step asked for (one object, reused: read before the next). */
  private readonly written: Written = { ok: false, rows: [], head: 0, uid: 0, prefix: -1, csid: -1 };
  /** The rows after a write being worked out (one object, reused). */
  private readonly after: { rows: readonly Row[]; rid: number; csid: number } = { rows: [], rid: -1, csid: -1 };

  /** The outcome of req's write from s (whose rows are shared), or undefined where the write memo has not seen it yet. */
  private write(s: ClusterModelState, req: WriteRequest): Written | undefined {
    const w = this.writes.walk(s, req);
    if (!w) return undefined;
    const out = this.written;
    out.ok = w.ok;
    out.rows = w.rows;
    out.head = w.head;
    out.uid = w.uid;
    const sid = this.table.sid(s, s.head);
    if (req.id < 0) req.id = this.requestCount++;
    const o = this.writeOutcomes;
    const at = this.writeSteps.get(sid, req.id);
    if (at >= 0 && o.get(at) === s.uid) {
      out.prefix = o.get(at + 1);
      out.csid = o.get(at + 2);
      return out;
    }
    const after = this.after;
    after.rows = w.rows;
    after.rid = -1;
    after.csid = -1;
    out.prefix = this.contentPrefix(after);
    out.csid = after.csid;
    if (at < 0) {
      this.writeSteps.set(sid, req.id, o.length);
      o.push(s.uid);
      o.push(out.prefix);
      o.push(out.csid);
    }
    return out;
  }

  /** s after controller i's in-flight list is lost (a crash, a failed write): a fault. */
  private lost(s: ClusterModelState, i: number): ClusterModelState {
    return state(s.rows, s.head, s.uid, withFlight(s.inflight, i, undefined), s.done, s.faults + 1, s.decisionViolations, s.rid, s.csid, s.prefix);
  }

  clusterState(s: ClusterModelState): ClusterState {
    return this.table.parsed(s.rows).cluster;
  }

  // ---- Model -----------------------------------------------------------------------------------

  async init(): Promise<ClusterModelState[]> {
    const empty = state([], 0, 0, this.controllerNames.map(() => undefined), [], 0, undefined, -1, -1, -1);
    const log = this.api.load(empty);
    await this.api.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const name of this.nodeNames) await this.api.client.create(R.nodes, undefined, nodeObject(name, this.now));
    for (const x of this.scope.setup) await this.api.client.create(x.resource, x.object.metadata.namespace, x.object);
    let s = this.afterLog(empty, log);
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
    return [state(s.rows, s.head, s.uid, s.inflight, s.done, s.faults, [], s.rid, s.csid, s.prefix)];
  }

  next(s: ClusterModelState): Step<ClusterModelState>[] | Promise<Step<ClusterModelState>[]> {
    if (this.verifyMemo) return this.verifiedNext(s);
    const steps = this.collect(s);
    return Array.isArray(steps) ? steps : this.filled(s, steps);
  }

  /** Records what the memo misses, one computation at a time (they share the store), then walks again. */
  private async filled(s: ClusterModelState, miss: Miss): Promise<Step<ClusterModelState>[]> {
    for (;;) {
      const t0 = performance.now();
      await this.writes.record(miss.s, miss.req);
      this.stats.writeMs += performance.now() - t0;
      const steps = this.collect(s);
      if (Array.isArray(steps)) return steps;
      miss = steps;
    }
  }

  /**
   * Every step from s out of the memo, or the first write the memo cannot answer yet (as data, not
   * a closure: one here would make every call allocate a context until the code is optimized).
   */
  private collect(s: ClusterModelState): Step<ClusterModelState>[] | Miss {
    const rows = this.table.shared(s, s.head);
    if (rows !== s.rows) s = state(rows, s.head, s.uid, s.inflight, s.done, s.faults, s.decisionViolations, s.rid, s.csid, s.prefix);
    const out: Step<ClusterModelState>[] = [];
    // Indexed loops: a for-of allocates its iterator's results until the code is optimized.
    const controllers = this.settling ? this.realList : this.controllers;
    for (let ci = 0; ci < controllers.length; ci++) {
      const c = controllers[ci]!;
      const i = this.scopeSlots[ci]!;
      const f = s.inflight[i];
      if (f) {
        const req = (f.req ??= { t: 'act', action: f.actions[0]!, root: undefined, revs: undefined, id: -1 });
        const w = this.write(s, req);
        if (!w) return { s, req };
        const labels = this.labels(c.name, f);
        out.push({ label: w.ok ? labels.ok : labels.refused, next: this.afterWrite(s, w, withFlight(s.inflight, i, w.ok ? this.rest(f) : undefined)) });
        if (s.faults < this.scope.faultBudget) {
          const lost = this.lost(s, i);
          out.push({ label: labels.crash, env: true, fault: true, next: lost });
          out.push({ label: labels.fail, env: true, fault: true, next: lost });
        }
        continue;
      }
      const keys = this.keys(c, s);
      for (let ki = 0; ki < keys.length; ki++) {
        const key = keys[ki]!;
        const d = this.decisions.decide(c, key, s);
        if (!d.actions.length) continue;
        out.push({ label: d.label, next: state(s.rows, s.head, s.uid, withFlight(s.inflight, i, this.flight(key, d.actions)), s.done, s.faults, d.violations, s.rid, s.csid, s.prefix) });
      }
    }
    const bindings = this.properties.bindings(s);
    for (let bi = 0; bi < bindings.length; bi++) {
      const b = bindings[bi]!;
      const req = (b.req ??= { t: 'bind', ns: b.ns, name: b.name, node: b.node, root: undefined, revs: undefined, id: -1 });
      const w = this.write(s, req);
      if (!w) return { s, req };
      if (w.ok) out.push({ label: b.label, next: this.afterWrite(s, w) });
    }
    const work = this.kubeletWork(s);
    for (let wi = 0; wi < work.length; wi++) {
      const k = work[wi]!;
      const req = k.req;
      const w = this.write(s, req);
      if (!w) return { s, req };
      if (w.ok) out.push({ label: k.label, next: this.afterWrite(s, w) });
    }
    const change = this.scope.change;
    if (change && !s.done.includes(change.label)) {
      const req = this.envRequest;
      const w = this.write(s, req);
      if (!w) return { s, req };
      if (!w.ok) throw new Error(`cluster model: ${change.label} was refused`);
      out.push({ label: change.label, env: true, next: this.afterWrite(s, w, s.inflight, [...s.done, change.label]) });
    }
    return out;
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
    const k = this.table.stateCsid(s);
    let keys = m.get(k);
    if (!keys) {
      const objects: Located[] = [];
      for (const r of s.rows) {
        const resource = this.table.resource(r.kid);
        if (resource) objects.push({ resource, object: this.table.content(r.cid) });
      }
      m.set(k, (keys = this.keysSlow(c, objects)));
    }
    return keys;
  }

  private readonly kubeletMemo = new Map<number, KubeletWork[]>();

  /** The pods a kubelet has work for: bound here and not yet Ready, or being deleted (content alone decides). */
  private kubeletWork(s: ClusterModelState): KubeletWork[] {
    const k = this.table.stateCsid(s);
    let work = this.kubeletMemo.get(k);
    if (!work) {
      work = [];
      for (const r of s.rows) {
        if (this.table.resource(r.kid)?.resource !== 'pods') continue;
        const p = this.table.content(r.cid) as KubeObject & Pod;
        const node = p.spec?.nodeName;
        if (!node || !this.nodeNames.includes(node)) continue;
        const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
        if (!p.metadata.deletionTimestamp && (ready || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')) continue;
        const deleting = !!p.metadata.deletionTimestamp;
        const req: WriteRequest = { t: 'kubelet', kid: r.kid, deleting, root: undefined, revs: undefined, id: -1 };
        work.push({ kid: r.kid, deleting, label: `kubelet: ${deleting ? `${p.metadata.name} stopped, removed` : `${p.metadata.name} Running and Ready on ${node}`}`, req });
      }
      this.kubeletMemo.set(k, work);
    }
    return work;
  }

  /** An in-flight list, one object per list of actions (the actions' list, once made, is shared). */
  private readonly flights = new WeakMap<readonly Action[], Map<string, InFlight>>();
  private flightCount = 0;

  /**
   * One array per combination of in-flight lists, for the states the checker keeps: each step
   * that changes a list makes its own, and a kept state's was a good part of what the scavenges
   * copied (the combinations are few).
   */
  private readonly flightSets = new TupleTable();
  private readonly flightSetList: (readonly (InFlight | undefined)[])[] = [];
  private readonly flightScratch = new TupleBuffer();

  private sharedFlights(inflight: readonly (InFlight | undefined)[]): readonly (InFlight | undefined)[] {
    const t = this.flightScratch.reset();
    for (let i = 0; i < inflight.length; i++) {
      const f = inflight[i];
      if (f && f.id < 0) return inflight;
      t.push(f ? f.id + 1 : 0);
    }
    const id = this.flightSets.id(t.t, t.n);
    if (id === this.flightSetList.length) this.flightSetList.push(inflight);
    return this.flightSetList[id]!;
  }

  private flight(key: string, actions: Action[]): InFlight {
    let m = this.flights.get(actions);
    if (!m) this.flights.set(actions, (m = new Map()));
    let f = m.get(key);
    if (!f) m.set(key, (f = inFlight(key, actions, this.flightCount++)));
    return f;
  }

  /** What is left in flight once f's first action went through (undefined: nothing). */
  private rest(f: InFlight): InFlight | undefined {
    if (f.rest === null) f.rest = f.actions.length > 1 ? this.flight(f.key, f.actions.slice(1)) : undefined;
    return f.rest;
  }

  /** The labels of the steps of f's first action, held by controller c. */
  private labels(c: string, f: InFlight): ActionLabels {
    if (f.labelsOf !== c) {
      f.labels = this.actions.labels(c, f.actions[0]!);
      f.labelsOf = c;
    }
    return f.labels!;
  }

  private infos(f: InFlight): readonly ActionInfo[] {
    return (f.infos ??= f.actions.map((a) => this.actions.info(a)));
  }

  /** The scope's change as a write request (made once: the write memo keeps its root on it). */
  private readonly envRequest: WriteRequest = { t: 'env', root: undefined, revs: undefined, id: -1 };

  // ---- canonical form --------------------------------------------------------------------------

  private readonly keyStrings = new Interner<string>();
  /** The canonical forms' rows parts, interned. */
  private readonly prefixes = new TupleTable();
  /**
   * The canonical forms, interned: a state's hash is its form's id. A form is its rows part and
   * the rest (in-flight lists, flags, faults), each interned apart, then the pair: the rests are
   * few and their table stays in the caches; the pairs are grouped by rows part (GroupedMap): a
   * state's steps that keep its rows (reconciles, faults) look in one run, already in the caches,
   * not at random places of a table as large as the states.
   */
  private readonly rests = new TupleTable();
  private readonly forms = new GroupedMap();
  /** The tuple being built (one buffer, reused), and the rows being ordered. */
  private readonly scratch = new TupleBuffer();
  private readonly order: Row[] = [];
  private readonly doneIds = new Interner<string>();

  /**
   * Rows in key order, each as its content id and the rank of its revision (the part a rows array
   * fixes, worked out once for it, and interned: the form holds its id); each in-flight list as
   * its controller, key, and actions (template id and the ranks of the revisions they name, 0 for
   * one no live row has); the done flags and the fault count. Counts first, so it parses one way.
   */
  hash(s: ClusterModelState): number {
    // The rows part: by rid where the state has one (it shares its rows with the state explored,
    // whose steps all ask), else by content and the revisions' order (a next state after a write).
    let prefix = s.prefix;
    if (prefix < 0) {
      const rid = s.rid;
      prefix = rid >= 0 ? this.prefixOfRid.get(rid) : -1;
      if (prefix < 0) {
        prefix = this.contentPrefix(s);
        if (rid >= 0) this.prefixOfRid.set(rid, prefix);
      }
      s.prefix = prefix;
    }
    const rows = s.rows;
    const t = this.scratch.reset();
    let flights = 0;
    for (let ci = 0; ci < s.inflight.length; ci++) if (s.inflight[ci]) flights++;
    t.push(flights);
    for (let ci = 0; ci < s.inflight.length; ci++) {
      const f = s.inflight[ci];
      if (!f) continue;
      t.push(ci);
      if (f.keyId < 0) f.keyId = this.keyStrings.id(f.key);
      t.push(f.keyId);
      t.push(f.actions.length);
      const infos = this.infos(f);
      for (let ai = 0; ai < infos.length; ai++) {
        const { tpl, nums } = infos[ai]!;
        t.push(tpl);
        t.push(nums.length);
        for (let k = 0; k < nums.length; k++) t.push(rankOf(rows, nums[k]!));
      }
    }
    t.push(s.done.length);
    for (let k = 0; k < s.done.length; k++) t.push(this.doneIds.id(s.done[k]!));
    t.push(s.faults);
    const rest = this.rests.id(t.t, t.n);
    let form = this.forms.get(prefix, rest);
    if (form < 0) {
      this.forms.set(prefix, rest, (form = this.forms.size));
      // A new state is kept by the checker: it keeps the one array of its rows (RowTable.shared),
      // most often one met before, not the copy its step made (the same rows, one by one).
      s.rows = this.table.shared(s, s.head);
      s.inflight = this.sharedFlights(s.inflight);
    }
    return form;
  }

  /** The canonical form's rows part (its interned id), by rid. */
  private readonly prefixOfRid = new IntColumn(-1);
  /** The revisions being ordered (a buffer kept between calls). */
  private readonly revs: number[] = [];

  /** The canonical form's rows part by content id and the ranks of the rows' revisions, in the rows' order (interned). */
  private readonly prefixOfContent = new GroupedMap();
  private readonly rankVectors = new TupleTable();

  /**
   * The canonical form's rows part of s, by what fixes it: the content (keys and values in the
   * rows' order) and the order of the revisions. Both are looked up in small tables; the part is
   * worked out (canonicalRows) once per pair.
   */
  private contentPrefix(s: RowsState): number {
    const rows = s.rows;
    const n = rows.length;
    const revs = this.revs;
    sortRevisions(rows, revs);
    const t = this.rankScratch.reset();
    for (let i = 0; i < n; i++) t.push(lowerBound(revs, rows[i]!.revision, n));
    const rv = this.rankVectors.id(t.t, t.n);
    const csid = this.table.stateCsid(s);
    let p = this.prefixOfContent.get(csid, rv);
    if (p < 0) this.prefixOfContent.set(csid, rv, (p = this.canonicalRows(rows)));
    return p;
  }

  private readonly rankScratch = new TupleBuffer();

  /** The canonical form's rows part, interned. */
  private canonicalRows(rows: readonly Row[]): number {
    const n = rows.length;
    // Insertion sorts: a dozen rows, mostly in order already.
    // Both buffers kept between calls (only their first n places are this call's: emptied by
    // length, an array's store is freed, and the next call would allocate one again).
    const revs = this.revs;
    const order = this.order;
    for (let i = 0; i < n; i++) {
      const r = rows[i]!;
      const v = r.revision;
      let j = i - 1;
      while (j >= 0 && revs[j]! > v) {
        revs[j + 1] = revs[j]!;
        j--;
      }
      revs[j + 1] = v;
      const k = this.table.rankOfKey(r.kid);
      j = i - 1;
      while (j >= 0 && this.table.rankOfKey(order[j]!.kid) > k) {
        order[j + 1] = order[j]!;
        j--;
      }
      order[j + 1] = r;
    }
    const t = this.scratch.reset();
    t.push(n);
    for (let i = 0; i < n; i++) {
      t.push(order[i]!.rc);
      t.push(rankIn(revs, n, order[i]!.revision));
    }
    return this.prefixes.id(t.t, t.n);
  }

  describe(s: ClusterModelState): string {
    const { cluster } = this.table.parsed(s.rows);
    const pods = cluster.list('pods').map((p) => {
      const st = p.status as Pod['status'];
      const ready = st?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      const img = (p.spec as Pod['spec'])?.containers?.[0]?.image;
      return `${p.metadata.name}[${img}${p.metadata.deletionTimestamp ? ',deleting' : ready ? ',ready' : (p.spec as Pod['spec'])?.nodeName ? ',bound' : ''}]`;
    });
    const sets = [...cluster.list('replicasets'), ...cluster.list('statefulsets'), ...cluster.list('deployments')].map((o) => `${o.kind}/${o.metadata.name}=${(o.spec as { replicas?: number })?.replicas}${o.metadata.deletionTimestamp ? '(deleting)' : ''}`);
    return `${sets.join(' ')} | pods: ${pods.join(' ') || 'none'}`;
  }

  // ---- the real code's steps, and the memo checked against them ---------------------------------

  /** The steps as the real code takes them, every write through the REST layer (what the memo must give back). */
  private async nextSlow(s: ClusterModelState): Promise<Step<ClusterModelState>[]> {
    const out: Step<ClusterModelState>[] = [];
    const { objects } = this.table.parsed(s.rows);
    const view = new SnapshotView(objects, String(s.head));
    const keep = (a: Action) => !(a.kind === 'create' && a.bestEffort);
    for (const c of this.settling ? this.real.values() : this.controllers) {
      const i = this.slots.get(c.name)!;
      const f = s.inflight[i];
      if (f) {
        const a = f.actions[0]!;
        const rest = f.actions.slice(1);
        const log = this.api.load(s);
        let ok = true;
        try {
          await this.api.apply(a);
        } catch {
          ok = false;
        }
        out.push({ label: `${c.name}: ${describe(a)}${ok ? '' : ' (refused)'}`, next: this.afterLog(s, log, withFlight(s.inflight, i, ok && rest.length ? inFlight(f.key, rest) : undefined)) });
        if (s.faults < this.scope.faultBudget) {
          out.push({ label: `fault: ${c.name} crashes`, env: true, fault: true, next: this.lost(s, i) });
          out.push({ label: `fault: ${c.name}: ${describe(a)} fails`, env: true, fault: true, next: this.lost(s, i) });
        }
        continue;
      }
      for (const key of this.keysSlow(c, objects)) {
        const obs = c.observe(key, view);
        const d: Decision = c.reconcile(obs, this.now);
        const actions = d.actions.filter(keep);
        if (!actions.length) continue;
        const decisionViolations = c.name === 'statefulset' ? statefulSetOrdering.check(this.real.get(c.name)!.observe(key, view), { actions }) : [];
        out.push({ label: `${c.name} reconciles ${key} (${actions.length} action${actions.length === 1 ? '' : 's'})`, next: state(s.rows, s.head, s.uid, withFlight(s.inflight, i, inFlight(key, actions)), s.done, s.faults, decisionViolations, s.rid, s.csid, s.prefix) });
      }
    }
    // The scheduler: each unbound pod onto each of its best nodes (scheduling.ts).
    for (const b of placements(this.table.parsed(s.rows).cluster)) {
      const log = this.api.load(s);
      try {
        await this.api.bind(b.ns, b.name, b.node);
        out.push({ label: `scheduler binds ${b.name} to ${b.node}`, next: this.afterLog(s, log) });
      } catch {
        // A pod that cannot be bound now is retried later; no step.
      }
    }
    const pods = objects.filter((o) => o.resource.resource === 'pods').map((o) => o.object as KubeObject & Pod);
    // Kubelets (verify/ may not import sim/'s, a layer beside it): a bound pod starts Running and
    // Ready in one status write; a pod being deleted is removed once its containers stop.
    for (const p of pods) {
      const node = p.spec?.nodeName;
      if (!node || !this.nodeNames.includes(node)) continue;
      const ready = p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
      if (!p.metadata.deletionTimestamp && (ready || p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')) continue;
      const log = this.api.load(s);
      try {
        await this.api.kubelet(p);
        out.push({ label: `kubelet: ${p.metadata.deletionTimestamp ? `${p.metadata.name} stopped, removed` : `${p.metadata.name} Running and Ready on ${node}`}`, next: this.afterLog(s, log) });
      } catch {
        // Refused (the pod changed meanwhile): the kubelet looks again later.
      }
    }
    const change = this.scope.change;
    if (change && !s.done.includes(change.label)) {
      const log = this.api.load(s);
      await change.apply(this.api.client);
      out.push({ label: change.label, env: true, next: this.afterLog(s, log, s.inflight, [...s.done, change.label]) });
    }
    return out;
  }

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
      for (const [ci, c] of this.controllerNames.entries()) {
        const fa = a.inflight[ci];
        const fb = b.inflight[ci];
        const json = (f: InFlight | undefined) => f && JSON.stringify({ key: f.key, actions: f.actions.map(({ onError: _, ...plain }) => plain) });
        if (json(fa) !== json(fb)) throw new Error(`cluster model: ${where(i)} (${x.label}): in-flight actions of ${c} differ`);
      }
    });
    return steps;
  }
}

/** A write step's outcome, with the canonical rows part and content id of the rows after. */
interface Written extends WriteResult {
  prefix: number;
  csid: number;
}

/** Every state made one way, so they share one shape. */
function state(rows: readonly Row[], head: number, uid: number, inflight: readonly (InFlight | undefined)[], done: string[], faults: number, decisionViolations: string[] | undefined, rid: number, csid: number, prefix: number): ClusterModelState {
  return { rows, head, uid, inflight, done, faults, decisionViolations, rid, csid, prefix };
}

/** The in-flight lists with controller i's replaced. */
function withFlight(inflight: readonly (InFlight | undefined)[], i: number, f: InFlight | undefined): readonly (InFlight | undefined)[] {
  if (inflight[i] === f) return inflight;
  const out = inflight.slice();
  out[i] = f;
  return out;
}

function nodeObject(name: string, now: Instant): KubeObject {
  const capacity = { cpu: '1', memory: '1Gi', pods: '110' };
  return {
    apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
    status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: rfc3339(now), lastTransitionTime: rfc3339(now) }] },
  };
}

/**
 * 1 + v's place among the rows' revisions in ascending order, or 0 when no row has it (as the
 * canonical rows part ranks them; a store gives every row a revision of its own).
 */
function rankOf(rows: readonly Row[], v: number): number {
  let below = 0;
  let found = false;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!.revision;
    if (r < v) below++;
    else if (r === v) found = true;
  }
  return found ? below + 1 : 0;
}

/** 1 + v's place in the ascending revs[0 .. n - 1], or 0 when v is none of them. */
function rankIn(revs: readonly number[], n: number, v: number): number {
  const lo = lowerBound(revs, v, n);
  return lo < n && revs[lo] === v ? lo + 1 : 0;
}
