// A tiny world for property tests of controllers: the real API semantics (in-process REST on a
// memory store) with a virtual clock and deterministic uids, a history of states (what the shared
// cache may lag behind), the controllers' pure reconciles run one at a time, their actions carried
// out one at a time, and a kubelet that only ever makes pods ready.
import { openStore } from '../../src/store/index.js';
import { createRest } from '../../src/apiserver/server.js';
import { LocalClient } from '../../src/apiserver/local-client.js';
import { R, type ResourceRef } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { rfc3339 } from '../../src/model/object.js';
import { applyAction, type Action, type Controller, type Located } from '../../src/controllers/runtime.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';
import { isPodActive, isPodReady } from '../../src/controllers/pods.js';
import type { ObjectStore } from '../../src/store/types.js';

export const NS = 'default';
const WATCHED: ResourceRef[] = [R.deployments, R.replicasets, R.pods];

export interface State {
  deployments: KubeObject[];
  replicaSets: KubeObject[];
  pods: KubeObject[];
}

export class World {
  t = Date.parse('2026-01-01T00:00:00Z');
  readonly history: State[] = [];
  /** How far each informer's cache has read into history (resources are watched separately). */
  cache: Record<'deployments' | 'replicasets' | 'pods', number> = { deployments: 0, replicasets: 0, pods: 0 };
  /** What happened, for counterexamples. */
  readonly log: string[] = [];
  private uid = 0;
  readonly client: LocalClient;
  private readonly store: ObjectStore;

  constructor() {
    this.store = openStore({ kind: 'memory' });
    const { rest } = createRest(this.store, {
      clock: { now: () => this.t },
      ids: { uid: () => `uid-${String(++this.uid).padStart(6, '0')}`, nameSuffix: () => `s${String(this.uid).padStart(4, '0')}` },
    });
    this.client = new LocalClient(rest);
  }

  async init(): Promise<void> {
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await this.record();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  get latest(): State {
    return this.history[this.history.length - 1]!;
  }

  /** Reads the true state after a change and appends it to history. */
  async record(): Promise<State> {
    const [deployments, replicaSets, pods] = await Promise.all(WATCHED.map((r) => this.client.list(r, NS).then((l) => l.items)));
    const s = { deployments: deployments!, replicaSets: replicaSets!, pods: pods! };
    this.history.push(s);
    return s;
  }

  /** What the shared caches show: each resource as of some state no newer than the latest. */
  view(): SnapshotView {
    const objects: Located[] = [
      ...this.history[this.cache.deployments]!.deployments.map((object) => ({ resource: R.deployments, object })),
      ...this.history[this.cache.replicasets]!.replicaSets.map((object) => ({ resource: R.replicasets, object })),
      ...this.history[this.cache.pods]!.pods.map((object) => ({ resource: R.pods, object })),
    ];
    return new SnapshotView(objects);
  }

  /** Every cache catches up. */
  catchUp(): void {
    const last = this.history.length - 1;
    this.cache = { deployments: last, replicasets: last, pods: last };
  }

  /** One informer reads some way further. */
  advance(resource: 'deployments' | 'replicasets' | 'pods', n: number): void {
    this.cache[resource] += n % (this.history.length - this.cache[resource]);
  }

  /** Carries out one action as the runner would; false if the API refused it. Events are not modelled. */
  async apply(a: Action): Promise<boolean> {
    try {
      await applyAction(this.client, a);
      return true;
    } catch {
      return false;
    }
  }

  /** The kubelet's part: a pod not yet ready becomes Running and Ready now. */
  async makeReady(pod: KubeObject): Promise<boolean> {
    const now = rfc3339(this.t);
    const status = {
      ...(pod.status as object),
      phase: 'Running',
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: now },
        { type: 'Ready', status: 'True', lastTransitionTime: now },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: now },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
      ],
      startTime: now,
    };
    try {
      await this.client.update(R.pods, NS, { ...pod, status }, { subresource: 'status' });
      this.log.push(`kubelet: ${pod.metadata.name} ready`);
      return true;
    } catch {
      return false;
    }
  }

  notReady(): KubeObject[] {
    return this.latest.pods.filter((p) => isPodActive(p as never) && !isPodReady(p as never));
  }
}

/** A controller whose reconcile is in flight: the actions it still has to carry out. */
export class Runner<O> {
  pending: Action[] = [];
  constructor(readonly c: Controller<O>, private readonly world: World) {}

  get busy(): boolean {
    return this.pending.length > 0;
  }

  /** Observes the cache for one key and reconciles; the actions are carried out by step(). */
  start(key: string): void {
    if (this.busy) return;
    const d = this.c.reconcile(this.c.observe(key, this.world.view()), this.world.t);
    this.pending = d.actions.filter((a) => !(a.kind === 'create' && a.bestEffort));
    const c = this.world.cache;
    if (this.pending.length) this.world.log.push(`${this.c.name}: reconcile ${key} seeing d@${c.deployments} rs@${c.replicasets} pods@${c.pods} of ${this.world.history.length - 1}`);
  }

  /**
   * Carries out the next action. A refused action drops the rest (the runner retries the key
   * later); a done one is waited for in the cache (read-your-writes).
   */
  async step(): Promise<'idle' | 'done' | 'failed'> {
    const a = this.pending.shift();
    if (!a) return 'idle';
    const what = `${this.c.name}: ${describe(a)}`;
    if (!(await this.world.apply(a))) {
      this.world.log.push(`${what} (refused)`);
      this.pending = [];
      return 'failed';
    }
    this.world.log.push(what);
    await this.world.record();
    // Read-your-writes: the runner waits until the written resource's cache shows the write.
    this.world.cache[a.resource.resource as 'pods'] = this.world.history.length - 1;
    return 'done';
  }

}

/** One action in a line. */
export function describe(a: Action): string {
  const spec = (o: KubeObject) => (o.spec as { replicas?: number } | undefined)?.replicas;
  switch (a.kind) {
    case 'create':
      return `create ${a.resource.resource}/${a.object.metadata.name}${spec(a.object) !== undefined ? ` replicas=${spec(a.object)}` : ''}`;
    case 'update':
      return a.subresource ? `update ${a.resource.resource}/${a.object.metadata.name}/${a.subresource}` : `update ${a.resource.resource}/${a.object.metadata.name} replicas=${spec(a.object)}`;
    case 'patch':
      return `patch ${a.resource.resource}/${a.name}`;
    case 'delete':
      return `delete ${a.resource.resource}/${a.name}`;
  }
}
