// The controller contract (DESIGN.md, "the one rule"): a controller observes a snapshot of the
// cluster for one key and returns actions; it does no I/O, reads no clock, draws no random numbers.
// The runner below feeds it informer caches and real time and carries out its actions; the
// simulator and the model checker feed the same functions their own snapshots and clocks.
import type { ApiClient, DeleteOptions, PatchType, ResourceRef } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { StatusError } from '../model/status.js';
import { Informer, type InformerEvent } from '../client/informer.js';
import { WorkQueue, realTimers, type QueueTimers } from '../client/workqueue.js';
import { EventRecorder } from '../client/events.js';
import { ObjectIndexes, type Located } from './indexes.js';
import type { PodGroups } from './pod-groups.js';

export type Action = (
  | { kind: 'create'; resource: ResourceRef; namespace?: string; object: KubeObject; bestEffort?: boolean }
  | { kind: 'update'; resource: ResourceRef; namespace?: string; object: KubeObject; subresource?: 'status' | 'finalize' | 'approval' }
  | { kind: 'patch'; resource: ResourceRef; namespace?: string; name: string; patchType: PatchType; patch: unknown; subresource?: 'status' }
  | { kind: 'delete'; resource: ResourceRef; namespace?: string; name: string; options?: DeleteOptions }
) & {
  /**
   * What to do if this action fails (a pure function of the error): upstream controllers report a
   * failed write in the same sync (a FailedCreate event, a ReplicaFailure condition). These run
   * best-effort, then the failure stands and the key is retried.
   */
  onError?: (err: unknown) => Action[];
  /**
   * Consecutive actions with the same batch number may be carried out in any order or at once
   * (upstream's slow-start batches of pod creates); a failure in a batch stops what follows it.
   */
  batch?: number;
};

export interface Decision {
  actions: Action[];
  /** Look at this key again after this long, even if nothing changes (deadlines, back-off). */
  requeueAfterMs?: number;
  /** Work outside the API, after the actions: carried out by the runner's executors (below). */
  effects?: Effect[];
}

/**
 * Work a reconcile decides on but cannot do itself, because it needs what a pure function may not
 * hold: a key, randomness (the CSR signer's signing with the cluster CA). The request is plain
 * data; the runner hands it to the executor registered under that name, which answers with the
 * API actions that follow (the certificate written to the CSR's status), and carries those out.
 */
export interface Effect {
  executor: string;
  request: unknown;
}

export type EffectExecutor = (request: unknown) => Promise<Action[]>;

export { groupResourceKey, type Located } from './indexes.js';

/** What a controller may read: the cached objects of the resources it watches. */
export interface ClusterView {
  get(r: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
  list(r: ResourceRef, namespace?: string): KubeObject[];
  /** The cached object with this uid, in any watched resource. */
  byUid(uid: string): Located | undefined;
  /** Cached objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): Located[];
  /** Cached objects of this resource whose controller ownerReference names this uid (upstream's controller index). */
  controlledBy(uid: string, r: ResourceRef): KubeObject[];
  /** Cached objects of this resource in this namespace with no controller ownerReference (adoption candidates). */
  uncontrolled(r: ResourceRef, namespace: string): KubeObject[];
  /** Cached pods bound to this node (spec.nodeName), as upstream's node-name pod index. */
  podsOnNode(nodeName: string): KubeObject[];
  /**
   * The pods this uid controls grouped by labels, with their counts, where the cache keeps them
   * (indexes.ts); a view without them leaves it out and readers walk controlledBy's pods instead.
   */
  podGroups?(controllerUid: string): PodGroups;
  /** The newest resourceVersion the cache of this resource reflects ("0" before its first list). */
  resourceVersion(r: ResourceRef): string;
}

export interface WatchSpec {
  resource: ResourceRef;
  /** The keys a change to this object should reconcile. */
  keys(obj: KubeObject, view: ClusterView): string[];
  /**
   * For updates: whether this change can matter to the controller (controller-runtime's event
   * predicates). Adds and deletes always count. Absent: every update counts.
   */
  changed?(obj: KubeObject, old: KubeObject): boolean;
}

export interface Controller<Obs> {
  name: string;
  watches: WatchSpec[];
  /**
   * How many keys the runner may reconcile at once (upstream's --concurrent-*-syncs); one key is
   * never reconciled twice at the same time. Concurrent writes share the store's commits.
   */
  workers?: number;
  /** Reads what reconcile needs for one key from the view (pure). */
  observe(key: string, view: ClusterView): Obs;
  /** Decides what to do (pure). */
  reconcile(observed: Obs, now: Instant): Decision;
}

export const refKey = (r: ResourceRef) => `${r.group}/${r.version}/${r.resource}`;

/** One informer per resource, shared by every controller of a process, with uid and owner indexes. */
export class SharedInformers extends ObjectIndexes implements ClusterView {
  private readonly informers = new Map<string, Informer>();
  constructor(private readonly client: ApiClient) {
    super();
  }

  /** By the ResourceRef object first: observe() asks for R.pods and the like thousands of times a second. */
  private readonly byRef = new WeakMap<ResourceRef, Informer>();

  informer(r: ResourceRef): Informer {
    let i = this.byRef.get(r);
    if (i) return i;
    i = this.informers.get(refKey(r));
    if (!i) {
      const inf = new Informer(this.client, r);
      inf.on(this.indexer(r));
      this.informers.set(refKey(r), inf);
      i = inf;
    }
    this.byRef.set(r, i);
    return i;
  }

  /** Keeps the indexes current with one resource's informer events. */
  private indexer(resource: ResourceRef): (ev: InformerEvent) => void {
    return (ev) => {
      if (ev.old) this.unindexObject(resource, ev.old);
      if (ev.type === 'delete') this.unindexObject(resource, ev.object);
      else this.indexObject(resource, ev.object);
    };
  }

  resourceVersion(r: ResourceRef): string {
    return this.informer(r).resourceVersion;
  }

  get(r: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.informer(r).get(namespace, name);
  }

  list(r: ResourceRef, namespace?: string): KubeObject[] {
    return this.informer(r).list(namespace);
  }

  async start(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.start()));
  }

  stop(): void {
    for (const i of this.informers.values()) i.stop();
  }
}

/** Upstream's default for most controllers' concurrent syncs. */
const DEFAULT_WORKERS = 5;

export interface RunnerOptions {
  /** Workers per controller that does not say (default 5). */
  workers?: number;
  now?: () => Instant;
  timers?: QueueTimers;
  /** How long to wait for the caches to show a controller's own writes before reconciling again. */
  readYourWritesMs?: number;
  onError?: (controller: string, key: string, err: unknown) => void;
  /** The executors of the controllers' effects, by name. */
  executors?: Record<string, EffectExecutor>;
}

/**
 * Carries out one action against the API as the runner does: a delete of an object already gone
 * succeeds. Returns what the API wrote (nothing for a delete). A create may go to a subresource
 * (pods/binding), which the simulator's kubelets and scheduler use.
 */
export async function applyAction(client: ApiClient, a: Action, createSubresource?: string): Promise<KubeObject | undefined> {
  switch (a.kind) {
    case 'create':
      return client.create(a.resource, a.namespace, a.object, createSubresource ? { subresource: createSubresource } : {});
    case 'update':
      return client.update(a.resource, a.namespace, a.object, a.subresource ? { subresource: a.subresource } : {});
    case 'patch':
      return client.patch(a.resource, a.namespace, a.name, a.patchType, a.patch, a.subresource ? { subresource: a.subresource } : {});
    case 'delete':
      try {
        await client.delete(a.resource, a.namespace, a.name, a.options);
      } catch (e) {
        if (!StatusError.is(e, 'NotFound')) throw e;
      }
      return undefined;
  }
}

/** Runs controllers against a live API: informers in, actions out, failures retried with back-off. */
export class ControllerRunner {
  private readonly queues = new Map<string, WorkQueue>();
  private readonly controllers: [Controller<unknown>, WorkQueue][] = [];
  private running = false;
  private readonly now: () => Instant;
  private readonly recorder: EventRecorder;

  constructor(
    private readonly client: ApiClient,
    readonly informers: SharedInformers,
    private readonly opts: RunnerOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.recorder = new EventRecorder(client, this.now);
  }

  add<Obs>(c: Controller<Obs>): void {
    const q = new WorkQueue(this.opts.timers ?? realTimers);
    this.queues.set(c.name, q);
    for (const w of c.watches) {
      this.informers.informer(w.resource).on((ev: InformerEvent) => {
        if (ev.type === 'update' && ev.old && w.changed && !w.changed(ev.object, ev.old)) return;
        for (const k of w.keys(ev.object, this.informers)) q.add(k);
        if (ev.old) for (const k of w.keys(ev.old, this.informers)) q.add(k);
      });
    }
    this.controllers.push([c as Controller<unknown>, q]);
  }

  /** Per controller: reconciles, actions, failures, time spent deciding and carrying out, queue length. */
  readonly stats = new Map<string, { reconciles: number; actions: number; errors: number; computeMs: number; executeMs: number; queued: number }>();

  statsSnapshot(): Record<string, { reconciles: number; actions: number; errors: number; computeMs: number; executeMs: number; queued: number }> {
    const out: ReturnType<ControllerRunner['statsSnapshot']> = {};
    for (const [name, q] of this.queues) out[name] = { ...(this.stats.get(name) ?? { reconciles: 0, actions: 0, errors: 0, computeMs: 0, executeMs: 0 }), queued: q.length };
    return out;
  }

  /** Syncs every cache, then starts one worker per controller. */
  async start(): Promise<void> {
    await this.informers.start();
    this.running = true;
    for (const [c, q] of this.controllers) {
      for (let w = 0; w < (c.workers ?? this.opts.workers ?? DEFAULT_WORKERS); w++) void this.work(c, q);
    }
  }

  stop(): void {
    this.running = false;
    for (const q of this.queues.values()) q.shutDown();
    this.informers.stop();
  }

  private async work(c: Controller<unknown>, q: WorkQueue): Promise<void> {
    for (;;) {
      const key = await q.get();
      if (key === undefined) return;
      const st = this.stats.get(c.name) ?? { reconciles: 0, actions: 0, errors: 0, computeMs: 0, executeMs: 0, queued: 0 };
      this.stats.set(c.name, st);
      try {
        const t0 = performance.now();
        const decision = c.reconcile(c.observe(key, this.informers), this.now());
        const t1 = performance.now();
        await this.execute(decision.actions);
        for (const e of decision.effects ?? []) await this.execute(await this.effect(e));
        st.reconciles++;
        st.actions += decision.actions.length;
        st.computeMs += t1 - t0;
        st.executeMs += performance.now() - t1;
        q.forget(key);
        if (decision.requeueAfterMs !== undefined) q.addAfter(key, decision.requeueAfterMs);
      } catch (e) {
        st.errors++;
        this.opts.onError?.(c.name, key, e);
        q.addRateLimited(key);
      } finally {
        q.done(key);
      }
    }
  }

  /** Carries out actions in order; the first failure stops the rest (the key is retried). */
  async execute(actions: Action[]): Promise<void> {
    const newest = new Map<string, { resource: ResourceRef; rv: number }>();
    const deletes: (Action & { kind: 'delete' })[] = [];
    const one = async (a: Action): Promise<void> => {
      // Events and other best-effort writes never hold up the reconcile that made them: they are
      // issued in order but not awaited, and their failures are dropped.
      if (a.kind === 'create' && a.bestEffort) {
        // core/v1 Events go through client-go's correlation (spam filter, aggregation, counts)
        if (a.resource.group === '' && a.resource.resource === 'events') void this.recorder.record(a.object);
        else this.apply(a).catch(() => undefined);
        return;
      }
      let written: KubeObject | undefined;
      try {
        written = await this.apply(a);
      } catch (e) {
        if (a.onError) await this.execute(a.onError(e).map((f) => ({ ...f, onError: undefined }))).catch(() => undefined);
        throw e;
      }
      if (written) {
        const k = refKey(a.resource);
        const rv = Number(written.metadata.resourceVersion);
        const prev = newest.get(k);
        if (!prev || prev.rv < rv) newest.set(k, { resource: a.resource, rv });
      }
      // A delete shows no version to wait for; wait until the cache stops showing the object as live,
      // or the next reconcile would delete (or count) it again (upstream's deletion expectations).
      if (a.kind === 'delete') deletes.push(a);
    };
    try {
      for (let i = 0; i < actions.length; ) {
        const a = actions[i]!;
        let end = i + 1;
        if (a.batch !== undefined) while (end < actions.length && actions[end]!.batch === a.batch) end++;
        if (end === i + 1) await one(a);
        else {
          const settled = await Promise.allSettled(actions.slice(i, end).map(one));
          const failure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failure) throw failure.reason;
        }
        i = end;
      }
    } finally {
      // The next reconcile, not the next action, must see these writes (even after a failure): wait once, at the end.
      await Promise.all([
        ...[...newest.values()].map(({ resource, rv }) => this.awaitCache(resource, rv)),
        ...deletes.map((d) => this.awaitDeleted(d)),
      ]);
    }
  }

  private effect(e: Effect): Promise<Action[]> {
    const run = this.opts.executors?.[e.executor];
    if (!run) return Promise.reject(new Error(`no executor ${JSON.stringify(e.executor)} for this controller's effects`));
    return run(e.request);
  }

  private apply(a: Action): Promise<KubeObject | undefined> {
    return applyAction(this.client, a);
  }

  private awaitDeleted(a: Action & { kind: 'delete' }): Promise<void> {
    const informer = this.informers.informer(a.resource);
    const uid = a.options?.preconditions?.uid;
    const gone = () => {
      const o = informer.get(a.namespace, a.name);
      return !o || !!o.metadata.deletionTimestamp || (!!uid && o.metadata.uid !== uid);
    };
    return informer.waitUntil(() => gone() || !this.running, this.opts.readYourWritesMs ?? 5000);
  }

  /** Read-your-writes: wait until the cache holds this write (or something newer), so the next reconcile sees it. */
  private awaitCache(r: ResourceRef, rv: number): Promise<void> {
    const informer = this.informers.informer(r);
    return informer.waitUntil(() => Number(informer.resourceVersion) >= rv || !this.running, this.opts.readYourWritesMs ?? 5000);
  }
}

/** The key of an object in a controller's queue: namespace/name, or name when cluster-scoped. */
export function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!;
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

export const ownKey: WatchSpec['keys'] = (o) => [keyOf(o)];

/**
 * A Kubernetes Event about an object, as a create action (what `kubectl describe` shows). Named as
 * upstream's recorder names them, `<object>.<hex nanoseconds>`, so the name follows from the
 * injected time; `seq` separates events emitted for one object in the same reconcile.
 */
export function eventAction(
  about: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  now: Instant,
  component: string,
  seq = 0,
): Action {
  const m = about.metadata;
  const ns = m.namespace || 'default';
  const nanos = (BigInt(Math.floor(now)) * 1_000_000n + BigInt(seq)).toString(16);
  const time = new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  return {
    kind: 'create',
    bestEffort: true,
    resource: { group: '', version: 'v1', resource: 'events' },
    namespace: ns,
    object: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${nanos}`, namespace: ns },
      involvedObject: {
        apiVersion: about.apiVersion, kind: about.kind, name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion,
      },
      reason,
      message,
      type,
      source: { component },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      reportingComponent: component,
      reportingInstance: component,
    },
  };
}
