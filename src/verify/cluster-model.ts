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
import { createHash } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R, type ResourceRef } from '../model/api.js';
import { rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { Registry } from '../model/registry.js';
import { StatusError } from '../model/status.js';
import { compareKeys } from '../store/keys.js';
import { LogStore, type LogEntry, type LogRow, type RevisionLog } from '../store/log.js';
import type { ListOptions, ListResult, ObjectStore, Watch, WatchHandlers } from '../store/types.js';
import { freeze } from '../store/fanout.js';
import { createRest } from '../apiserver/server.js';
import { LocalClient } from '../apiserver/local-client.js';
import type { Action, Controller, Decision, Located } from '../controllers/runtime.js';
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

const T0 = Date.parse('2026-01-01T00:00:00Z');

// ---- a store whose log is a state, forked for every step ----------------------------------------

/** The latest row of every key; commits are recorded so a step's writes become the next state. */
class StateLog implements RevisionLog {
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

/** One REST instance over whichever state's store is current. */
class SwitchStore implements ObjectStore {
  target!: LogStore;
  revision(): Promise<number> { return this.target.revision(); }
  compactedRevision(): Promise<number> { return this.target.compactedRevision(); }
  create(key: string, obj: KubeObject): Promise<KubeObject> { return this.target.create(key, obj); }
  get(key: string): Promise<KubeObject | undefined> { return this.target.get(key); }
  list(prefix: string, opts?: ListOptions): Promise<ListResult> { return this.target.list(prefix, opts); }
  count(prefix: string): Promise<number> { return this.target.count(prefix); }
  update(key: string, obj: KubeObject, expectedRevision?: number): Promise<KubeObject> { return this.target.update(key, obj, expectedRevision); }
  delete(key: string, expectedRevision?: number): Promise<KubeObject> { return this.target.delete(key, expectedRevision); }
  watch(prefix: string, from: number, handlers: WatchHandlers): Watch { return this.target.watch(prefix, from, handlers); }
  compact(revision: number): Promise<void> { return this.target.compact(revision); }
  close(): Promise<void> { return this.target.close(); }
}

// ---- states ----------------------------------------------------------------------------------

interface InFlight {
  key: string;
  actions: Action[];
}

export interface ClusterModelState {
  rows: Map<string, LogRow>;
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

// ---- the model -------------------------------------------------------------------------------

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

  constructor(readonly scope: Scope, mutant?: MutantName) {
    this.name = `${scope.name}${mutant ? ` with mutant ${mutant}` : ''}`;
    const { rest } = createRest(this.store, {
      clock: { now: () => this.now },
      ids: { uid: () => `uid-${String(++this.uid).padStart(4, '0')}`, nameSuffix: () => (++this.uid).toString(36).padStart(5, 'x') },
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
    for (let i = 0; i < scope.nodes; i++) this.nodeNames.push(`node-${i}`);
    this.invariants = scope.invariants.map((p) => ({ name: p.name, check: (s: ClusterModelState) => p.check(this.clusterState(s)) }));
    this.steps = [
      ...scope.stepProperties.map((p) => ({ name: p.name, check: (a: ClusterModelState, b: ClusterModelState) => p.check(this.clusterState(a), this.clusterState(b)) })),
      { name: statefulSetOrdering.name, check: (_a: ClusterModelState, b: ClusterModelState) => b.decisionViolations ?? [] },
    ];
    this.goal = { name: scope.goal.name, unmet: (s) => scope.goal.unmet(this.clusterState(s)) };
  }

  // ---- the API over a state --------------------------------------------------------------------

  /** Rows are shared by every state that holds them, so each is parsed once. */
  private readonly parsedRows = new WeakMap<LogRow, KubeObject>();

  private rowObject(row: LogRow): KubeObject {
    let o = this.parsedRows.get(row);
    if (!o) {
      o = JSON.parse(row.value) as KubeObject;
      o.metadata.resourceVersion = String(row.revision);
      this.parsedRows.set(row, freeze(o));
    }
    return o;
  }

  private load(s: ClusterModelState): StateLog {
    const log = new StateLog(new Map(s.rows), s.head);
    this.store.target = new LogStore(log, { parsed: (row) => this.rowObject(row) });
    this.uid = s.uid;
    return log;
  }

  private after(s: ClusterModelState, log: StateLog, change: Partial<ClusterModelState>): ClusterModelState {
    return { rows: log.rows, head: log.head(), uid: this.uid, inflight: s.inflight, done: s.done, faults: s.faults, ...change };
  }

  private objects(s: ClusterModelState): Located[] {
    const out: Located[] = [];
    for (const row of s.rows.values()) {
      const i = row.key.indexOf('/', row.key.indexOf('/', 1) + 1);
      const resource = this.refs.get(row.key.slice(0, i + 1));
      if (!resource) continue;
      out.push({ resource, object: this.rowObject(row) });
    }
    return out;
  }

  private readonly stateCache = new WeakMap<ClusterModelState, { objects: Located[]; cluster: ClusterState }>();

  private parsed(s: ClusterModelState): { objects: Located[]; cluster: ClusterState } {
    let p = this.stateCache.get(s);
    if (!p) {
      const objects = this.objects(s);
      p = { objects, cluster: new MapState(this.now, objects) };
      this.stateCache.set(s, p);
    }
    return p;
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
    const empty: ClusterModelState = { rows: new Map(), head: 0, uid: 0, inflight: {}, done: [], faults: 0 };
    const log = this.load(empty);
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    for (const name of this.nodeNames) await this.client.create(R.nodes, undefined, nodeObject(name, this.now));
    for (const x of this.scope.setup) await this.client.create(x.resource, x.object.metadata.namespace, x.object);
    let s = this.after(empty, log, {});
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

  async next(s: ClusterModelState): Promise<Step<ClusterModelState>[]> {
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
        out.push({ label: `${c.name}: ${describe(a)}${ok ? '' : ' (refused)'}`, next: this.after(s, log, { inflight: { ...s.inflight, [c.name]: ok && rest.length ? { key: f.key, actions: rest } : undefined } }) });
        if (s.faults < this.scope.faultBudget) {
          out.push({ label: `fault: ${c.name} crashes`, env: true, fault: true, next: { ...s, inflight: { ...s.inflight, [c.name]: undefined }, faults: s.faults + 1 } });
          out.push({ label: `fault: ${c.name}: ${describe(a)} fails`, env: true, fault: true, next: { ...s, inflight: { ...s.inflight, [c.name]: undefined }, faults: s.faults + 1 } });
        }
        continue;
      }
      for (const key of this.keys(c, objects)) {
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
        await this.client.create(R.pods, p.metadata.namespace, { apiVersion: 'v1', kind: 'Binding', metadata: { name: p.metadata.name, namespace: p.metadata.namespace }, target: { apiVersion: 'v1', kind: 'Node', name: r.node } } as KubeObject, { subresource: 'binding' });
        out.push({ label: `scheduler binds ${p.metadata.name} to ${r.node}`, next: this.after(s, log, {}) });
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
        if (p.metadata.deletionTimestamp) await this.client.delete(R.pods, p.metadata.namespace, p.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: p.metadata.uid! } });
        else await this.client.update(R.pods, p.metadata.namespace, { ...p, status: runningStatus(p, this.now) } as KubeObject, { subresource: 'status' });
        out.push({ label: `kubelet: ${p.metadata.deletionTimestamp ? `${p.metadata.name} stopped, removed` : `${p.metadata.name} Running and Ready on ${node}`}`, next: this.after(s, log, {}) });
      } catch {
        // Refused (the pod changed meanwhile): the kubelet looks again later.
      }
    }
    const change = this.scope.change;
    if (change && !s.done.includes(change.label)) {
      const log = this.load(s);
      await change.apply(this.client);
      out.push({ label: change.label, env: true, next: this.after(s, log, { done: [...s.done, change.label] }) });
    }
    return out;
  }

  private keys(c: Controller<unknown>, objects: Located[]): string[] {
    const primary: Record<string, string> = { deployment: 'deployments', replicaset: 'replicasets', statefulset: 'statefulsets' };
    if (c.name === 'garbage-collector') return objects.map((o) => o.object.metadata.uid!).sort();
    return objects.filter((o) => o.resource.resource === primary[c.name]).map((o) => `${o.object.metadata.namespace}/${o.object.metadata.name}`).sort();
  }

  hash(s: ClusterModelState): string {
    const rows = [...s.rows.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rank = new Map([...rows].sort((a, b) => a.revision - b.revision).map((r, i) => [String(r.revision), String(i + 1)]));
    const parts = rows.map((r) => `${r.key}@${rank.get(String(r.revision))}=${this.rowDigest(r)}`);
    for (const c of Object.keys(s.inflight).sort()) {
      const f = s.inflight[c];
      if (!f) continue;
      const acts = f.actions.map((a) => {
        const { digest, revisions } = this.actionDigest(a);
        return `${digest}[${revisions.map((rv) => rank.get(rv) ?? 'stale').join(',')}]`;
      });
      parts.push(`${c} ${f.key}: ${acts.join(' ')}`);
    }
    parts.push(`done=${s.done.join(',')};faults=${s.faults}`);
    return parts.join('\n');
  }

  /**
   * A row's value by its digest, taken once per row: the canonical form stays short, so states
   * are compared and kept by a few hundred bytes rather than every object's JSON.
   */
  private readonly digests = new WeakMap<LogRow, string>();

  /** An action as the digest of its JSON with the resourceVersions it names taken out (they are renumbered per state). */
  private readonly actionDigests = new WeakMap<Action, { digest: string; revisions: string[] }>();

  private actionDigest(a: Action): { digest: string; revisions: string[] } {
    let d = this.actionDigests.get(a);
    if (!d) {
      const { onError: _, ...plain } = a;
      const revisions: string[] = [];
      const json = JSON.stringify(plain).replace(/"resourceVersion":"(\d+)"/g, (_m, rv: string) => {
        revisions.push(rv);
        return '"resourceVersion":?';
      });
      this.actionDigests.set(a, (d = { digest: createHash('sha256').update(json).digest('base64'), revisions }));
    }
    return d;
  }

  private rowDigest(r: LogRow): string {
    let d = this.digests.get(r);
    if (d === undefined) this.digests.set(r, (d = createHash('sha256').update(r.value).digest('base64')));
    return d;
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
