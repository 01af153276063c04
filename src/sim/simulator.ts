// The deterministic simulator: the real API semantics in process (REST over the memory store),
// the real controllers (the Controller objects the controller manager runs), the real scheduling
// decision and simulated kubelets, all as actors under a virtual clock. One seeded generator
// picks every interleaving: which actor moves next, which watch event is delivered next (events of
// one resource reach a process in order; different resources' streams interleave freely), and
// every fault. Nothing reads the wall clock or Math.random, and only one thing happens at a time,
// so a seed replays byte for byte.
//
// Processes: "controller-manager" (every controller, one shared cache), "scheduler" and
// "kubelets" (every simulated node's kubelet; a node fails or is cut off alone). Each holds its
// own cache, fed by its own watch streams.
//
// Faults: a process crashes (caches, queues and in-flight work lost) and restarts with a relist;
// a watch breaks (the process relists that resource); writes fail before reaching the API
// (Conflict or ServerTimeout) or after it (the response is lost); a node fails (its kubelet stops)
// or is partitioned (its kubelet neither hears nor reaches the API) for a while; clocks of
// processes and nodes are skewed.
import { createHash } from 'node:crypto';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R, type ResourceRef } from '../model/api.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import type { Selector } from '../model/labels.js';
import { Registry } from '../model/registry.js';
import { errors, StatusError } from '../model/status.js';
import { MemoryStore } from '../store/memory.js';
import type { StoreEvent } from '../store/types.js';
import { createRest } from '../apiserver/server.js';
import { LocalClient } from '../apiserver/local-client.js';
import { applyAction, groupResourceKey, keyOf, splitKey, type Action, type Controller, type Decision } from '../controllers/runtime.js';
import type { IndexScope } from '../controllers/indexes.js';
import { managerControllers, storedResources } from '../controllers/manager.js';
import { LOCAL_PATH_PROVISIONER } from '../controllers/localpath.js';
import { ClusterSnapshot } from '../scheduler/snapshot.js';
import { podInfoOf, type PodInfo } from '../scheduler/podinfo.js';
import { controllerRef, defaultSelector, defaultSelectorKey } from '../scheduler/defaultselector.js';
import { schedulePod } from '../scheduler/schedule.js';
import { DEFAULT_SCHEDULER_NAME } from '../scheduler/scheduler.js';
import { DelayedKeys } from './delayed.js';
import { SimCache, type CacheEvent } from './cache.js';
import { Prng } from './prng.js';
import { defaultTiming, NODE_LEASE_NAMESPACE, reconcileSimNode, type SimNodeSpec, type SimTiming } from './kubelet.js';
import { SimPodWorkers } from './pods.js';
import { podUpdateNeedsSync, type PodObj } from '../kubelet/sync.js';
import { nodeIPOf, podCIDROf } from './nodes.js';
import { TimeQueue } from '../model/heap.js';

export const SIM_EPOCH = Date.parse('2026-01-01T00:00:00Z');

export type WorkItem = { at: number } & (
  | { apply: KubeObject }
  | { patch: { apiVersion: string; kind: string; namespace?: string; name: string; patch: unknown; subresource?: 'status' } }
  | { delete: { apiVersion: string; kind: string; namespace?: string; name: string; propagationPolicy?: 'Orphan' | 'Background' | 'Foreground' } }
);

export interface Faults {
  /** Per write: it fails before reaching the API (Conflict or ServerTimeout, half each). */
  writeFailureRate?: number;
  /** Per write: it is carried out but the response is lost (ServerTimeout). */
  lostResponseRate?: number;
  /** Per watch event: the watch breaks and the process relists the resource instead. */
  watchDropRate?: number;
  crashes?: { process: string; at: number; restartAfter: number }[];
  nodeFailures?: { node: string; at: number; until?: number }[];
  partitions?: { node: string; at: number; until?: number }[];
  /** Clock offset, ms, of a process (controller-manager, scheduler) or a node. */
  clockSkew?: Record<string, number>;
}

export interface ScenarioCluster {
  nodes: number;
  namePrefix?: string;
  cpu?: string;
  memory?: string;
  pods?: number;
  timing?: Partial<SimTiming>;
}

export interface Scenario {
  name: string;
  cluster: ScenarioCluster;
  /** Controller names to run (default: all of the controller manager's). */
  controllers?: string[];
  workload: WorkItem[];
  faults: Faults;
  /** Property names from the invariant library. */
  properties: string[];
  /** Virtual time to run, ms. */
  until: number;
  /** Virtual time added after every move, ms, on top of what the work costs (default 0; before costs existed, 1). */
  stepMs?: number;
  /** What the actors' work costs in virtual time (defaults: defaultCosts). */
  costs?: Partial<SimCosts>;
  /** Check state and step properties every this many moves (default 1; goals at the end). */
  checkEvery?: number;
  /** Write Kubernetes Events (default true; large runs may leave them out). */
  events?: boolean;
  maxSteps?: number;
  /** End the run at the first idle moment after the last workload change and fault at which every goal holds. */
  stopWhenConverged?: boolean;
}

/**
 * What work costs in virtual time, ms, so that virtual time is what a cluster would take and a
 * controller's queue fills while it is busy (one reconcile then covers many events, as upstream).
 * The defaults follow Berth's real server on a 2-core machine: bench/cluster.ts runs ~1,100 pods/s
 * end to end at about five writes a pod (create, binding, status, the ReplicaSet's status, events),
 * so ~0.2 ms of server time a write; a scheduling cycle takes ~0.7 µs per node it examines (a
 * profile of the simulator on 10,000 nodes; bench/scheduler.ts makes 7,000-17,000 decisions/s on
 * 1,000); the ReplicaSet controller's sync takes ~2 µs per pod it reads.
 */
export interface SimCosts {
  /** The API server's time per write. There is one server: every process's writes queue for it. */
  apiWriteMs: number;
  /** A request's round trip on top of the server's time (the writer waits for the answer). */
  requestMs: number;
  /** One reconcile of a controller key (observe and decide), plus perObjectMs per object observed. */
  reconcileMs: number;
  /** Per object a reconcile's observation holds (a ReplicaSet's sync reads all of its pods). */
  perObjectMs: number;
  /** One scheduling cycle, plus perNodeMs per node it examines; the binding then goes to the server without holding the scheduler up. */
  scheduleMs: number;
  /** Per node a scheduling cycle filters and scores (upstream samples ~5% of a large cluster's nodes). */
  perNodeMs: number;
  /** One pod sync or heartbeat decision of a simulated kubelet (every node works in parallel). */
  kubeletSyncMs: number;
  /** Each cost is drawn from the seed, uniform in mean × [1 - jitter, 1 + jitter]. */
  jitter: number;
}

export const defaultCosts: SimCosts = {
  apiWriteMs: 0.2,
  requestMs: 0.5,
  reconcileMs: 0.2,
  perObjectMs: 0.002,
  scheduleMs: 0.05,
  perNodeMs: 0.0007,
  kubeletSyncMs: 0.1,
  jitter: 0.5,
};

/**
 * Keys a controller reconciles at once: the real runner's 5 (upstream's --concurrent-*-syncs).
 * With several workers the garbage collector's act on each other's stale caches, and a second
 * Foreground delete of a terminating pod reaches the API, which (as upstream's) leaves it alone.
 */
const CONTROLLER_WORKERS = 5;

export interface TraceSink {
  line(s: string): void;
}

/** A resource's events, in revision order, with a base index so delivered prefixes can be dropped. */
interface EventLog {
  resource: ResourceRef;
  base: number;
  events: { ev: CacheEvent; revision: number }[];
}

type Handler = (ev: CacheEvent) => void;

/**
 * Something that moves on its own: a watch stream delivering to a process, a controller's worker,
 * the scheduler. It is busy until freeAt (its last move's cost); at any instant the seeded
 * generator picks among the actors that are free and can move.
 */
interface Actor {
  readonly name: string;
  freeAt: number;
  /** In the set of actors that may move now (woken); checked again with canRun when picked. */
  inReady: boolean;
  canRun(): boolean;
  run(): Promise<void> | void;
}

/**
 * What a process's watch of a resource leaves out: a field selector's (upstream's kubelet watches
 * the pods bound to its node), or updates it does not read (it holds its own copy).
 */
interface WatchScope {
  /** The objects it watches; absent: all. */
  selects?: (o: KubeObject) => boolean;
  /** false: it hears of an object coming and going, not of its updates. */
  updates?: boolean;
}

class Proc {
  cache: SimCache;
  cursors = new Map<string, number>();
  /** Narrower watches, by group/resource. */
  readonly scopes = new Map<string, WatchScope>();
  readonly handlers = new Map<string, Handler[]>();
  down = false;
  epoch = 0;
  /** Workers waiting to see their own writes in this process's cache. */
  readonly blocked = new Set<Lane>();
  /** indexes: what its cache keeps (a restart starts it over with the same). */
  constructor(readonly name: string, readonly watched: ResourceRef[], readonly indexes: IndexScope = 'all') {
    this.cache = new SimCache(indexes);
  }

  on(r: ResourceRef, h: Handler): void {
    const k = groupResourceKey(r);
    let l = this.handlers.get(k);
    if (!l) this.handlers.set(k, (l = []));
    l.push(h);
  }

  emit(ev: CacheEvent): void {
    for (const h of this.handlers.get(groupResourceKey(ev.resource)) ?? []) h(ev);
  }
}

/** A trace line's time: the last one kept (the lines of a step, and of steps at one instant, share it). */
let fmtAt = NaN;
let fmtText = '';
const fmt = (t: number) => {
  if (t !== fmtAt) {
    fmtAt = t;
    fmtText = `${((t - SIM_EPOCH) / 1000).toFixed(3).padStart(9)}s`;
  }
  return fmtText;
};

function describeAction(a: Action): string {
  switch (a.kind) {
    case 'create':
      return `create ${a.resource.resource} ${a.namespace ? `${a.namespace}/` : ''}${a.object.metadata.name ?? `${a.object.metadata.generateName}*`}`;
    case 'update':
      return `update ${a.resource.resource}${a.subresource ? `/${a.subresource}` : ''} ${keyOf(a.object)}`;
    case 'patch':
      return `patch ${a.resource.resource}${a.subresource ? `/${a.subresource}` : ''} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
    case 'delete':
      return `delete ${a.resource.resource} ${a.namespace ? `${a.namespace}/` : ''}${a.name}`;
  }
}

/**
 * One of a controller's workers: it takes a key, reconciles it, and carries the actions out in
 * order. A controller has CONTROLLER_WORKERS of them sharing one queue; the kubelets have one per
 * node, each with its own queue (nodes work in parallel, each node's status manager in turn).
 */
class Lane implements Actor {
  key?: string;
  pending: Action[] = [];
  /** How many of the pending actions the server has already carried out (written at the next move). */
  issued = 0;
  requeueAfter?: number;
  failed = false;
  /** Read-your-writes: resource → revision the cache must reach before the next reconcile. */
  wait = new Map<string, number>();
  waitDeadline = 0;
  /** The deadline a wake-up timer is set for (one per deadline). */
  wakeAt = 0;
  freeAt = -Infinity;
  inReady = false;
  constructor(readonly w: Worker, readonly node: string | undefined, readonly queue: Set<string>, readonly run: () => Promise<void> | void) {}

  get name(): string {
    return this.w.c.name;
  }

  /** The first queued key no other worker holds (upstream's queue hands a key to one worker at a time). */
  nextKey(): string | undefined {
    for (const k of this.queue) if (!this.w.processing.has(k)) return k;
    return undefined;
  }

  canRun(): boolean {
    if (this.w.proc.down) return false;
    if (this.pending.length) return true;
    return this.nextKey() !== undefined && !this.w.sim.waiting(this);
  }
}

/** A controller under the runner's rules: a deduplicating FIFO of keys, one key at a time per worker, actions in order. */
class Worker {
  /** The queue the pool's lanes share (per-node lanes have their own). */
  readonly queue = new Set<string>();
  readonly processing = new Set<string>();
  readonly pool: Lane[] = [];
  readonly byNode = new Map<string, Lane>();
  readonly failures = new Map<string, number>();
  /** Keys asked for again later (requeueAfter, back-off). */
  readonly delayed = new DelayedKeys();
  /** Who its trace lines name: process/controller. */
  readonly who: string;
  constructor(
    readonly sim: Simulation,
    readonly c: Controller<unknown>,
    readonly proc: Proc,
    readonly now: (key: string) => Instant,
    /** For the kubelets: the node whose lane a key goes to (from the object that caused it, else the cache). */
    readonly nodeOf?: (key: string, cause?: KubeObject) => string | undefined,
  ) {
    this.who = `${proc.name}/${c.name}`;
  }

  lanes(): Lane[] {
    return this.nodeOf ? [...this.byNode.values()] : this.pool;
  }
}

export interface SimResult {
  scenario: string;
  seed: number;
  steps: number;
  /** Virtual time at the end, ms since the scenario began. */
  elapsedMs: number;
  violations: string[];
  unmetGoals: string[];
  /** When the goals last became true and stayed (ms since the start), if they did. */
  convergedAtMs?: number;
  traceHash: string;
  writes: number;
  pods: number;
  nodes: number;
}

export class Simulation {
  t = SIM_EPOCH;
  steps = 0;
  writes = 0;
  readonly rng: Prng;
  readonly store = new MemoryStore();
  readonly client: LocalClient;
  readonly registry = new Registry();
  /** The API's state, as it is (the properties' view: listed, never observed, so unindexed). */
  readonly truth = new SimCache('none');
  revision = 0;
  private readonly logs = new Map<string, EventLog>();
  private readonly refs = new Map<string, ResourceRef>();
  private readonly procs = new Map<string, Proc>();
  private readonly workers: Worker[] = [];
  private readonly timers = new TimeQueue<() => Promise<void> | void>();
  /** Actors that may move now (picked at random), and busy ones in a heap on (freeAt, seq). */
  private readonly ready: Actor[] = [];
  private readonly busy = new TimeQueue<Actor>();
  /** The watch streams by group/resource: one delivering actor per process that watches it. */
  private readonly streams = new Map<string, Actor[]>();
  private schedActor?: Actor;
  readonly costs: SimCosts;
  /** When the API server will have carried out every write sent so far. */
  private apiFree = 0;
  /** The revision and time the goals were last judged at (judging reads every object). */
  private goalRevision = -1;
  private goalJudgedAt = -Infinity;
  private uid = 0;
  private readonly hash = createHash('sha256');
  private readonly stopped = new Set<string>();
  private readonly partitioned = new Set<string>();
  /** The simulated nodes' runtimes and pod workers, on the virtual clock. */
  private readonly simPods = new SimPodWorkers(() => this.t);
  readonly specs = new Map<string, SimNodeSpec>();
  /** The scheduler's books; `binding`: pods assumed onto a node whose binding is still on its way (not scheduled again meanwhile). */
  private readonly sched: {
    snap: ClusterSnapshot; queue: Set<string>; unschedulable: Set<string>; binding: Set<string>; startIndex: number; failures: Map<string, number>;
    /** Default spreading selectors by defaultSelectorKey, until a Service or a controller's selector changes. */
    selectors: Map<string, Selector | undefined>;
  };
  private readonly violations: string[] = [];
  private convergedAt?: number;
  private lastGoalsMet = false;
  private prevState?: TruthSnapshot;

  constructor(readonly scenario: Scenario, readonly seed: number, private readonly sink: TraceSink, private readonly props: SimProperties) {
    this.rng = new Prng(seed);
    this.costs = { ...defaultCosts, ...scenario.costs };
    const { rest } = createRest(this.store, {
      clock: { now: () => this.t },
      ids: { uid: () => `uid-${String(++this.uid).padStart(6, '0')}`, nameSuffix: () => (++this.uid).toString(36).padStart(5, 'x') },
    });
    this.client = new LocalClient(rest, undefined, { sharedResults: true });
    for (const { resource } of storedResources(this.registry)) this.refs.set(`/${resource.group || 'core'}/${resource.resource}/`, resource);
    this.store.watch('/', 0, { event: (ev) => this.onStore(ev), error: () => undefined });
    this.sched = { snap: new ClusterSnapshot(), queue: new Set(), unschedulable: new Set(), binding: new Set(), startIndex: 0, failures: new Map(), selectors: new Map() };
    const c = scenario.cluster;
    const timing = { ...defaultTiming, ...c.timing };
    for (let i = 0; i < c.nodes; i++) {
      const name = `${c.namePrefix ?? 'sim-node-'}${i}`;
      this.specs.set(name, {
        name, cpu: c.cpu ?? '4', memory: c.memory ?? '16Gi', pods: c.pods ?? 110, ephemeralStorage: '100Gi', labels: {}, taints: [],
        podCIDR: podCIDROf(i), internalIP: nodeIPOf(i), timing,
      });
    }
  }

  // ---- the API's event stream -------------------------------------------------------------------

  private resourceOfKey(key: string): ResourceRef | undefined {
    const i = key.indexOf('/', key.indexOf('/', 1) + 1);
    return this.refs.get(key.slice(0, i + 1));
  }

  private onStore(ev: StoreEvent): void {
    const resource = this.resourceOfKey(ev.key);
    if (!resource) return;
    this.revision = ev.revision;
    const ce: CacheEvent = ev.type === 'ADDED' ? { type: 'add', resource, object: ev.object }
      : ev.type === 'MODIFIED' ? { type: 'update', resource, object: ev.object, ...(ev.prevObject ? { old: ev.prevObject } : {}) }
      : { type: 'delete', resource, object: ev.object };
    this.truth.apply(ce, ev.revision);
    const k = groupResourceKey(resource);
    let log = this.logs.get(k);
    if (!log) this.logs.set(k, (log = { resource, base: 0, events: [] }));
    log.events.push({ ev: ce, revision: ev.revision });
    // A process that watches less passes over what it does not watch (no delivery: upstream's
    // server never sends it); one behind does so once it catches up (deliver).
    for (const p of this.scoped.get(k) ?? []) if (p.cursors.get(k) === log.base + log.events.length - 1) this.passOver(p, k, log);
    for (const a of this.streams.get(k) ?? []) this.wake(a);
  }

  /** The processes whose watch of a resource is narrower (Proc.scopes), by group/resource. */
  private readonly scoped = new Map<string, Proc[]>();

  /** How an event reads to a process's watch; undefined: it does not see it. */
  private seen(p: Proc, k: string, ev: CacheEvent): CacheEvent | undefined {
    const scope = p.scopes.get(k);
    if (!scope) return ev;
    const sel = scope.selects;
    if (ev.type !== 'update') return !sel || sel(ev.object) ? ev : undefined;
    const now = !sel || sel(ev.object);
    const before = !sel || sel(ev.old ?? ev.object);
    // an object entering or leaving a field selector's match is an add or a delete to the watch
    if (now && !before) return { type: 'add', resource: ev.resource, object: ev.object };
    if (!now && before) return { type: 'delete', resource: ev.resource, object: ev.object };
    return now && scope.updates !== false ? ev : undefined;
  }

  /** Moves a process's cursor past the events it does not see (its cache's version with it). */
  private passOver(p: Proc, k: string, log: EventLog): void {
    const end = log.base + log.events.length;
    let cur = p.cursors.get(k) ?? 0;
    const from = cur;
    while (cur < end) {
      const { ev, revision } = log.events[cur - log.base]!;
      if (this.seen(p, k, ev)) break;
      p.cache.advance(log.resource, revision);
      cur++;
    }
    if (cur === from) return;
    p.cursors.set(k, cur);
    // a worker waiting to see its own write, which this process does not watch, need wait no more
    this.wakeBlocked(p);
  }

  private wakeBlocked(p: Proc): void {
    if (!p.blocked.size) return;
    for (const l of p.blocked) this.wake(l);
    p.blocked.clear();
  }

  /** Drops events every process has received. */
  private trimLogs(): void {
    for (const [k, log] of this.logs) {
      let min = log.base + log.events.length;
      for (const p of this.procs.values()) {
        const c = p.cursors.get(k);
        if (c !== undefined) min = Math.min(min, c);
      }
      const drop = min - log.base;
      if (drop > 1024) {
        log.events.splice(0, drop);
        log.base = min;
      }
    }
  }

  // ---- trace ------------------------------------------------------------------------------------

  private say(who: string, what: string): void {
    const line = `${fmt(this.t)} ${who}: ${what}`;
    // Hashed in chunks: a call into the hash per line cost more than the hashing.
    this.unhashed += line + '\n';
    if (this.unhashed.length > 1 << 16) this.flushHash();
    this.sink.line(line);
  }

  /** The trace not yet hashed. */
  private unhashed = '';

  private flushHash(): void {
    this.hash.update(this.unhashed);
    this.unhashed = '';
  }

  // ---- processes --------------------------------------------------------------------------------

  private proc(name: string, watched: ResourceRef[], indexes?: IndexScope): Proc {
    const p = new Proc(name, watched, indexes);
    this.procs.set(name, p);
    for (const r of watched) {
      const k = groupResourceKey(r);
      const stream: Actor = {
        name: `deliver ${k} to ${name}`,
        freeAt: -Infinity,
        inReady: false,
        canRun: () => {
          const log = this.logs.get(k);
          return !p.down && !!log && (p.cursors.get(k) ?? 0) < log.base + log.events.length;
        },
        run: () => this.deliver(p, r),
      };
      let l = this.streams.get(k);
      if (!l) this.streams.set(k, (l = []));
      l.push(stream);
    }
    return p;
  }

  /** Narrows a process's watch of a resource (before it first lists). */
  private scope(p: Proc, r: ResourceRef, scope: WatchScope): void {
    const k = groupResourceKey(r);
    p.scopes.set(k, scope);
    let l = this.scoped.get(k);
    if (!l) this.scoped.set(k, (l = []));
    l.push(p);
  }

  /** Fills a process's caches from the API (start, restart), reporting what it finds as adds. */
  private relistAll(p: Proc): void {
    for (const r of p.watched) this.relist(p, r);
  }

  private relist(p: Proc, r: ResourceRef): void {
    const k = groupResourceKey(r);
    const sel = p.scopes.get(k)?.selects;
    const listed = this.truth.list(r);
    const evs = p.cache.replace(r, sel ? listed.filter(sel) : listed, this.revision);
    const log = this.logs.get(k);
    p.cursors.set(k, log ? log.base + log.events.length : 0);
    for (const ev of evs) p.emit(ev);
  }

  private skew(who: string): number {
    return this.scenario.faults.clockSkew?.[who] ?? 0;
  }

  private addWorker(p: Proc, c: Controller<unknown>, now: (key: string) => Instant, nodeOf?: (key: string, cause?: KubeObject) => string | undefined): Worker {
    const w = new Worker(this, c, p, now, nodeOf);
    if (!nodeOf) for (let i = 0; i < CONTROLLER_WORKERS; i++) w.pool.push(this.lane(w, undefined, w.queue));
    for (const spec of c.watches) {
      p.on(spec.resource, (ev) => {
        if (ev.type === 'update' && ev.old && spec.changed && !spec.changed(ev.object, ev.old)) return;
        for (const k of spec.keys(ev.object, p.cache)) this.enqueue(w, k, ev.object);
        if (ev.old) for (const k of spec.keys(ev.old, p.cache)) this.enqueue(w, k, ev.old);
      });
    }
    this.workers.push(w);
    return w;
  }

  private lane(w: Worker, node: string | undefined, queue: Set<string>): Lane {
    const l: Lane = new Lane(w, node, queue, () => this.stepLane(l));
    return l;
  }

  /** Queues a key for a controller (a kubelet key on its node's lane) and wakes who can take it. */
  private enqueue(w: Worker, key: string, cause?: KubeObject, node?: string): void {
    if (!w.nodeOf) {
      w.queue.add(key);
      for (const l of w.pool) this.wake(l);
      return;
    }
    const n = node ?? w.nodeOf(key, cause) ?? '';
    let l = w.byNode.get(n);
    if (!l) w.byNode.set(n, (l = this.lane(w, n || undefined, new Set())));
    l.queue.add(key);
    this.wake(l);
  }

  private setUp(): void {
    const wanted = this.scenario.controllers;
    const controllers = managerControllers(this.registry).filter((c) => !wanted || wanted.includes(c.name));
    const watchedBy = (cs: Controller<unknown>[]) => {
      const m = new Map<string, ResourceRef>();
      for (const c of cs) for (const w of c.watches) m.set(groupResourceKey(w.resource), w.resource);
      return [...m.values()];
    };
    const kcm = this.proc('controller-manager', watchedBy(controllers));
    for (const c of controllers) this.addWorker(kcm, c, () => this.t + this.skew('controller-manager'));

    // The scheduler watches what the real one's informers do and reads them by key (Services by
    // namespace); the kubelets read pods by node; nothing else.
    const sched = this.proc('scheduler', [R.nodes, R.pods, R.namespaces, R.persistentvolumeclaims, R.persistentvolumes, R.storageclasses, R.poddisruptionbudgets, R.services, R.replicasets, R.statefulsets], 'nodes');
    const actor: Actor = {
      name: 'scheduler', freeAt: -Infinity, inReady: false,
      canRun: () => !sched.down && this.sched.queue.size > 0,
      run: () => this.schedule(actor),
    };
    this.schedActor = actor;
    sched.on(R.pods, (ev) => this.schedOnPod(ev));
    sched.on(R.nodes, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removeNode(ev.object.metadata.name!);
      else this.sched.snap.setNode(ev.object as never);
      this.retryUnschedulable();
    });
    sched.on(R.namespaces, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removeNamespace(ev.object.metadata.name!);
      else this.sched.snap.setNamespace(ev.object.metadata.name!, ev.object.metadata.labels);
    });
    sched.on(R.persistentvolumeclaims, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removePVC(ev.object.metadata.namespace!, ev.object.metadata.name!);
      else {
        this.sched.snap.setPVC(ev.object as never);
        this.retryUnschedulable();
      }
    });
    // VolumeBinding reads volumes and classes. (Its PreBind is left out here: a pod whose claim is
    // still to be provisioned is bound at once, and the local-path provisioner takes its node.)
    sched.on(R.persistentvolumes, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removePV(ev.object.metadata.name!);
      else {
        this.sched.snap.setPV(ev.object as never);
        this.retryUnschedulable();
      }
    });
    sched.on(R.storageclasses, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removeStorageClass(ev.object.metadata.name!);
      else {
        this.sched.snap.setStorageClass(ev.object as never);
        this.retryUnschedulable();
      }
    });
    sched.on(R.poddisruptionbudgets, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removeDisruptionBudget(ev.object.metadata.namespace!, ev.object.metadata.name!);
      else this.sched.snap.setDisruptionBudget(ev.object as never);
    });
    sched.on(R.services, () => this.sched.selectors.clear());
    const selectorOf = (o: KubeObject | undefined) => (o?.spec as { selector?: unknown } | undefined)?.selector;
    for (const r of [R.replicasets, R.statefulsets]) {
      sched.on(r, (ev) => {
        if (ev.type !== 'update' || !deepEqual(selectorOf(ev.old), selectorOf(ev.object))) this.sched.selectors.clear();
      });
    }

    const kubelets = this.proc('kubelets', [R.namespaces, R.nodes, R.leases, R.pods], 'nodes');
    // Upstream's kubelet watches the pods bound to its node (a field selector on spec.nodeName),
    // and no Leases: it renews its own from the copy it holds. Here the kubelets see a Lease come
    // and go (the renewal decision reads its existence; a renewal is a patch, which no stale copy
    // can fail), not its renewals, each of which was a delivery to every node's process.
    this.scope(kubelets, R.pods, { selects: (o) => this.specs.has((o.spec as { nodeName?: string } | undefined)?.nodeName ?? '') });
    this.scope(kubelets, R.leases, { updates: false });
    const nodeNow = (node: string | undefined) => this.t + (node ? this.skew(node) : 0);
    const podNode = (key: string) => {
      const { namespace, name } = splitKey(key);
      return (kubelets.cache.get(R.pods, namespace, name)?.spec as { nodeName?: string } | undefined)?.nodeName;
    };
    this.addWorker(kubelets, this.kubeletNodes(), (key) => nodeNow(key), (key) => key);
    // A pod's key goes to its node's lane: from the pod or node whose event queued it, else the cache.
    const causeNode = (key: string, cause?: KubeObject) =>
      !cause ? podNode(key)
      : !cause.metadata.namespace ? cause.metadata.name // a Node
      : (cause.spec as { nodeName?: string } | undefined)?.nodeName ?? podNode(key);
    this.addWorker(kubelets, this.kubeletPods(), (key) => nodeNow(podNode(key)), causeNode);
    for (const p of this.procs.values()) this.relistAll(p);
  }

  private kubeletNodes(): Controller<unknown> {
    const ours = (n: string | undefined) => (n && this.specs.has(n) ? [n] : []);
    return {
      name: 'kubelet-node',
      watches: [
        { resource: R.namespaces, keys: (o) => (o.metadata.name === NODE_LEASE_NAMESPACE ? [...this.specs.keys()] : []) },
        // Its Node and Lease come and go with these events (registration, a deletion); their
        // updates start nothing: upstream's kubelet posts status and renews its lease on timers
        // (every 10 s), which the requeue here is, not on its own writes coming back.
        { resource: R.nodes, keys: (o) => ours(o.metadata.name), changed: () => false },
        { resource: R.leases, keys: (o) => (o.metadata.namespace === NODE_LEASE_NAMESPACE ? ours(o.metadata.name) : []), changed: () => false },
      ],
      observe: (key, view) => {
        const node = view.get(R.nodes, undefined, key);
        const lease = view.get(R.leases, NODE_LEASE_NAMESPACE, key);
        const spec = this.specs.get(key);
        return { ...(spec ? { spec } : {}), stopped: this.stopped.has(key) || this.partitioned.has(key), ...(node ? { node } : {}), ...(lease ? { lease } : {}) };
      },
      reconcile: (o, now) => reconcileSimNode(o as never, now),
    };
  }

  private kubeletPods(): Controller<unknown> {
    const bound = (o: KubeObject) => (o.spec as { nodeName?: string } | undefined)?.nodeName;
    return {
      name: 'kubelet-pods',
      watches: [
        // (a status change alone starts no sync, as upstream: the kubelet's own writes come back so)
        { resource: R.pods, keys: (o) => (this.specs.has(bound(o) ?? '') ? [keyOf(o)] : []), changed: (o, old) => podUpdateNeedsSync(o as PodObj, old as PodObj) },
        // A node's arrival adopts the pods bound to it; its status moving syncs none (upstream's
        // pod workers do not watch the Node). A node back from a fault has its pods queued then.
        { resource: R.nodes, keys: (o, view) => (this.specs.has(o.metadata.name!) ? view.podsOnNode(o.metadata.name!).map(keyOf) : []), changed: () => false },
      ],
      observe: (key, view) => {
        const { namespace, name } = splitKey(key);
        const pod = view.get(R.pods, namespace, name);
        const node = pod && bound(pod);
        const spec = node ? this.specs.get(node) : undefined;
        return {
          key,
          ...(pod ? { pod } : {}),
          ...(spec ? { node: spec } : {}),
          stopped: !!node && (this.stopped.has(node) || this.partitioned.has(node)),
          ...(spec && !this.simPods.hasRuntime(spec.name) ? { nodePods: view.podsOnNode(spec.name) } : {}),
        };
      },
      reconcile: (o, now) => this.simPods.sync(o as never, now),
    };
  }

  // ---- the scheduler ----------------------------------------------------------------------------

  private schedOnPod(ev: CacheEvent): void {
    const pod = ev.object as KubeObject & Pod;
    const key = keyOf(pod);
    const s = this.sched;
    const finished = pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
    if (ev.type === 'delete' || finished) {
      s.queue.delete(key);
      s.unschedulable.delete(key);
      if (s.snap.removePod(key)) this.retryUnschedulable();
      return;
    }
    if (pod.spec?.nodeName) {
      s.queue.delete(key);
      s.unschedulable.delete(key);
      // A status write keeps the stored spec and labels (the store shares unchanged parts): what
      // the scheduler worked out of them stands, only the pod object is the new one.
      const prev = s.snap.pod(key);
      const same = prev && prev.pod.spec === pod.spec && prev.pod.metadata?.labels === pod.metadata.labels && prev.terminating === !!pod.metadata.deletionTimestamp && prev.uid === pod.metadata.uid;
      s.snap.addPod(same ? { ...prev, pod } : podInfoOf(pod));
      return;
    }
    if ((pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) !== DEFAULT_SCHEDULER_NAME || pod.metadata.deletionTimestamp) return;
    if (!s.unschedulable.has(key) && !s.binding.has(key)) this.schedQueue(key);
  }

  /** The pod's default spreading selector, from the scheduler's own cache (as the real one's informers). */
  private defaultSelector(pod: PodInfo, cache: SimCache): Selector | undefined {
    const memo = this.sched.selectors;
    const key = defaultSelectorKey(pod);
    if (memo.has(key)) return memo.get(key);
    const owner = controllerRef(pod);
    const controller = owner?.kind === 'ReplicaSet' ? R.replicasets : owner?.kind === 'StatefulSet' ? R.statefulsets : undefined;
    const sel = defaultSelector(pod, cache.list(R.services, pod.namespace), controller && cache.get(controller, pod.namespace, owner!.name));
    if (memo.size > 10_000) memo.clear();
    memo.set(key, sel);
    return sel;
  }

  private schedQueue(key: string): void {
    this.sched.queue.add(key);
    if (this.schedActor) this.wake(this.schedActor);
  }

  private retryUnschedulable(): void {
    for (const k of this.sched.unschedulable) this.schedQueue(k);
    this.sched.unschedulable.clear();
  }

  /**
   * One scheduling cycle. The scheduler is busy for the cycle's cost; the status patch or the
   * binding it decides on goes to the server and lands when the server has done it, while the
   * scheduler goes on with the next pod (upstream binds asynchronously).
   */
  private schedule(actor: Actor): void {
    const s = this.sched;
    const p = this.procs.get('scheduler')!;
    const key = s.queue.values().next().value as string;
    s.queue.delete(key);
    const { namespace, name } = splitKey(key);
    const pod = p.cache.get(R.pods, namespace, name) as (KubeObject & Pod) | undefined;
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp || s.binding.has(key)) return;
    const info = podInfoOf(pod);
    const sel = this.defaultSelector(info, p.cache);
    const r = schedulePod(info, s.snap, { startIndex: s.startIndex, tieBreak: this.rng.float(), ...(sel ? { defaultSelector: sel } : {}) });
    s.startIndex = r.nextStartIndex;
    const examined = r.kind === 'scheduled' ? r.evaluatedNodes : s.snap.nodes.length;
    actor.freeAt = this.t + this.cost(this.costs.scheduleMs + this.costs.perNodeMs * examined);
    if (r.kind === 'unschedulable') {
      s.unschedulable.add(key);
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      this.say('scheduler', `${key} unschedulable: ${r.message}`);
      if (cond?.status === 'False' && cond.message === r.message) return;
      const t = this.t;
      this.sendLater(actor.freeAt, () => this.write('scheduler', undefined, {
        kind: 'patch', resource: R.pods, namespace: namespace!, name, patchType: 'application/strategic-merge-patch+json', subresource: 'status',
        patch: { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: r.message, lastProbeTime: null, lastTransitionTime: rfc3339(t) }] } },
      }));
      return;
    }
    // Assumed onto the node at once, so the next decision sees it (upstream's assume).
    s.snap.addPod(podInfoOf({ ...pod, spec: { ...pod.spec!, nodeName: r.node } } as never));
    const epoch = p.epoch;
    s.binding.add(key);
    this.sendLater(actor.freeAt, async () => {
      const ok = await this.write('scheduler', undefined, {
        kind: 'create', resource: R.pods, namespace: namespace!,
        object: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: r.node } } as KubeObject,
      }, 'binding');
      if (p.epoch !== epoch) return; // the scheduler crashed meanwhile: its books are new
      s.binding.delete(key);
      if (!ok) {
        s.snap.removePod(key);
        const n = (s.failures.get(key) ?? 0) + 1;
        s.failures.set(key, n);
        this.at(this.t + backoff(n), () => {
          if (p.epoch === epoch) this.schedQueue(key);
        });
      } else s.failures.delete(key);
    });
  }

  // ---- virtual time -----------------------------------------------------------------------------

  /** A cost drawn around its mean (the seed's jitter). */
  private cost(mean: number): number {
    const j = this.costs.jitter;
    return mean > 0 && j > 0 ? mean * (1 - j + 2 * j * this.rng.float()) : mean;
  }

  /** Sends `n` writes to the API server at `from`; returns when the server has carried out the last. */
  private serve(from: number, n = 1): number {
    this.apiFree = Math.max(from, this.apiFree) + this.cost(n * this.costs.apiWriteMs);
    return this.apiFree;
  }

  /** A write sent at `from` that the sender does not wait for: it lands when the server has done it. */
  private sendLater(from: number, write: () => Promise<unknown>): void {
    this.at(this.serve(from), async () => {
      await write();
    });
  }

  // ---- writes -----------------------------------------------------------------------------------

  /** Carries out one action for an actor, with the scenario's write faults; false if it failed. */
  private async write(who: string, node: string | undefined, a: Action, subresource?: string): Promise<boolean> {
    const f = this.scenario.faults;
    const what = describeAction(a) + (subresource ? `/${subresource}` : '');
    if (node && this.partitioned.has(node)) {
      this.say(who, `${what} -> unreachable (partitioned)`);
      return false;
    }
    const best = a.kind === 'create' && a.bestEffort;
    if (!best && this.rng.chance(f.writeFailureRate ?? 0)) {
      const err = this.rng.chance(0.5) ? errors.conflict({ group: a.resource.group, name: a.resource.resource }, 'injected', 'the object has been modified; please apply your changes to the latest version and try again') : errors.timeout('injected: the server was unable to return a response in the time allotted');
      this.say(who, `${what} -> injected ${err.reason}`);
      if (a.onError) for (const f2 of a.onError(err)) await this.write(who, node, { ...f2, onError: undefined });
      return false;
    }
    try {
      await applyAction(this.client, a, subresource);
    } catch (e) {
      const reason = e instanceof StatusError ? `${e.reason}: ${e.message}` : String(e);
      this.say(who, `${what} -> ${reason}`);
      if (!best && a.onError) for (const f2 of a.onError(e)) await this.write(who, node, { ...f2, onError: undefined });
      return false;
    }
    this.writes++;
    if (!best && this.rng.chance(f.lostResponseRate ?? 0)) {
      this.say(who, `${what} -> done, response lost`);
      return false;
    }
    if (!best || this.verbose) this.say(who, what);
    return true;
  }

  verbose = false;

  // ---- timers -----------------------------------------------------------------------------------

  private at(when: number, fire: () => Promise<void> | void): void {
    this.timers.push(when, fire);
  }

  // ---- actors -----------------------------------------------------------------------------------

  /** Read-your-writes: whether the lane's process has yet to see the lane's last writes (then it waits to be woken). */
  waiting(l: Lane): boolean {
    if (!l.wait.size) return false;
    if (this.t >= l.waitDeadline) {
      l.wait.clear();
      return false;
    }
    const p = l.w.proc;
    for (const [k, rev] of l.wait) {
      const log = this.logs.get(k);
      const cur = p.cursors.get(k) ?? 0;
      const next = log && cur < log.base + log.events.length ? log.events[cur - log.base]! : undefined;
      if (next && next.revision <= rev) {
        // woken by the next delivery to this process, or at the deadline
        p.blocked.add(l);
        if (l.wakeAt !== l.waitDeadline) {
          l.wakeAt = l.waitDeadline;
          this.at(l.waitDeadline, () => this.wake(l));
        }
        return true;
      }
      l.wait.delete(k);
    }
    return false;
  }

  /**
   * A worker's move: reconcile the next key (busy for the reconcile's cost), send the next batch
   * of its actions to the server (busy until the server has done them and answered), or land the
   * writes the server has done, in order (a failure stops the rest, as in the runner).
   */
  private stepLane(l: Lane): Promise<void> | void {
    const w = l.w;
    const who = w.who;
    if (l.pending.length) {
      if (!l.issued) {
        this.issue(l);
        return;
      }
      return this.land(l);
    }
    // A reconcile writes nothing yet: no promise made for it.
    const key = l.nextKey();
    if (key === undefined) return;
    l.queue.delete(key);
    w.processing.add(key);
    const obs = w.c.observe(key, w.proc.cache);
    const d = w.c.reconcile(obs, w.now(key));
    for (const p of this.props.decision) {
      if (p.controller !== w.c.name) continue;
      for (const v of p.check(obs, d)) this.violation(p.name, `${who} ${key}: ${v}`);
    }
    const events = this.scenario.events ?? true;
    l.pending = d.actions.filter((a) => events || !(a.kind === 'create' && a.bestEffort));
    l.key = key;
    l.requeueAfter = d.requeueAfterMs;
    l.failed = false;
    l.waitDeadline = this.t + 5000;
    const c = this.costs;
    l.freeAt = this.t + this.cost((w.nodeOf ? c.kubeletSyncMs : c.reconcileMs) + c.perObjectMs * observedObjects(obs));
    if (l.pending.length) this.say(who, `reconcile ${key}: ${l.pending.length} action${l.pending.length === 1 ? '' : 's'}`);
    else this.finish(l);
  }

  /** The writes the server has done, in order: a failure stops the rest. */
  private async land(l: Lane): Promise<void> {
    const n = l.issued;
    l.issued = 0;
    for (let i = 0; i < n; i++) {
      const a = l.pending.shift()!;
      const ok = await this.write(l.w.who, l.node, a);
      if (!ok && !(a.kind === 'create' && a.bestEffort)) {
        l.pending = [];
        l.failed = true;
        break;
      } else if (ok) l.wait.set(groupResourceKey(a.resource), this.revision);
    }
    if (l.pending.length) this.issue(l);
    else this.finish(l);
  }

  /** Sends the lane's next action, or its next batch (upstream's slow start sends a batch at once), to the server. */
  private issue(l: Lane): void {
    let n = 1;
    const b = l.pending[0]!.batch;
    if (b !== undefined) while (n < l.pending.length && l.pending[n]!.batch === b) n++;
    l.issued = n;
    l.freeAt = this.serve(this.t, n) + this.cost(this.costs.requestMs);
  }

  private finish(l: Lane): void {
    const w = l.w;
    const key = l.key!;
    l.key = undefined;
    w.processing.delete(key);
    // The key may have been queued again meanwhile: another worker may take it now.
    if (!w.nodeOf && w.queue.has(key)) for (const o of w.pool) this.wake(o);
    const p = w.proc;
    const epoch = p.epoch;
    const requeue = (after: number) => {
      const at = this.t + after;
      if (!w.delayed.schedule(key, at)) return;
      this.at(at, () => {
        // void when the process crashed meanwhile, or the key was asked for earlier since
        if (p.epoch === epoch && w.delayed.fire(key, at)) this.enqueue(w, key, undefined, l.node);
      });
    };
    if (l.failed) {
      const n = (w.failures.get(key) ?? 0) + 1;
      w.failures.set(key, n);
      requeue(backoff(n));
      return;
    }
    w.failures.delete(key);
    if (l.requeueAfter !== undefined) requeue(l.requeueAfter);
  }

  // ---- choosing who moves -----------------------------------------------------------------------

  /** An actor that may have something to do now joins the ready set (a busy one is woken when free). */
  private wake(a: Actor): void {
    if (a.inReady || a.freeAt > this.t) return;
    a.inReady = true;
    this.ready.push(a);
  }

  /** A random ready actor that can move (those that cannot leave the set until woken again). */
  private pick(): Actor | undefined {
    const r = this.ready;
    while (r.length) {
      const i = this.rng.int(r.length);
      const a = r[i]!;
      r[i] = r[r.length - 1]!;
      r.pop();
      a.inReady = false;
      if (a.freeAt <= this.t && a.canRun()) return a;
    }
    return undefined;
  }

  /** After a move: a busy actor waits in the heap; a free one stays ready while it has work. */
  private settle(a: Actor): void {
    if (a.freeAt > this.t) this.busy.push(a.freeAt, a);
    else if (a.canRun()) this.wake(a);
  }

  private deliver(p: Proc, r: ResourceRef): void {
    const k = groupResourceKey(r);
    if (this.rng.chance(this.scenario.faults.watchDropRate ?? 0)) {
      this.say(p.name, `watch of ${r.resource} broken: relist`);
      this.relist(p, r);
      return;
    }
    const log = this.logs.get(k)!;
    // (a narrower watch's cursor rests on an event it sees: onStore and the pass below move it on)
    const cur = p.cursors.get(k) ?? 0;
    const { ev: sent, revision } = log.events[cur - log.base]!;
    p.cursors.set(k, cur + 1);
    const ev = p.scopes.size ? this.seen(p, k, sent) : sent;
    if (ev) {
      p.cache.apply(ev, revision);
      p.emit(ev);
    } else p.cache.advance(r, revision);
    if (p.scopes.size) this.passOver(p, k, log);
    this.wakeBlocked(p);
    if (this.verbose && ev) this.say(p.name, `<- ${ev.type} ${r.resource} ${keyOf(ev.object)} rv ${revision}`);
  }

  // ---- faults and workload ----------------------------------------------------------------------

  private crash(name: string, restartAfter: number): void {
    const p = this.procs.get(name);
    if (!p) throw new Error(`no process "${name}" (controller-manager, scheduler, kubelets)`);
    this.say(name, `crashes (caches and queues lost); restarts in ${restartAfter} ms`);
    p.down = true;
    p.epoch++;
    p.cache = new SimCache(p.indexes);
    p.cursors.clear();
    p.blocked.clear();
    for (const w of this.workers) {
      if (w.proc !== p) continue;
      w.queue.clear();
      w.processing.clear();
      w.failures.clear();
      w.delayed.clear();
      for (const l of w.lanes()) {
        l.queue.clear();
        l.pending = [];
        l.issued = 0;
        l.key = undefined;
        l.wait.clear();
      }
    }
    // the kubelets forget their back-off books and calls under way; the nodes' containers run on
    if (name === 'kubelets') this.simPods.forgetWorkers();
    if (name === 'scheduler') {
      this.sched.snap = new ClusterSnapshot();
      this.sched.queue.clear();
      this.sched.unschedulable.clear();
      this.sched.binding.clear();
      this.sched.selectors.clear();
    }
    this.at(this.t + restartAfter, () => {
      p.down = false;
      this.say(name, 'restarts and relists');
      this.relistAll(p);
    });
  }

  private scheduleFaults(): void {
    const f = this.scenario.faults;
    for (const c of f.crashes ?? []) this.at(SIM_EPOCH + c.at, () => this.crash(c.process, c.restartAfter));
    for (const [list, set, what] of [[f.nodeFailures, this.stopped, 'fails'], [f.partitions, this.partitioned, 'is partitioned']] as const) {
      for (const x of list ?? []) {
        if (!this.specs.has(x.node)) throw new Error(`fault names node "${x.node}", which the cluster does not have`);
        this.at(SIM_EPOCH + x.at, () => {
          set.add(x.node);
          this.say(x.node, what);
        });
        if (x.until !== undefined) {
          this.at(SIM_EPOCH + x.until, () => {
            set.delete(x.node);
            this.say(x.node, 'is back');
            // The kubelet looks at its node and pods again.
            const [nodes, pods] = this.workers.filter((w2) => w2.c.name.startsWith('kubelet'));
            if (nodes) this.enqueue(nodes, x.node, undefined, x.node);
            for (const pod of this.procs.get('kubelets')!.cache.podsOnNode(x.node)) if (pods) this.enqueue(pods, keyOf(pod), undefined, x.node);
          });
        }
      }
    }
  }

  private resourceOfKind(apiVersion: string, kind: string): ResourceRef {
    const i = apiVersion.indexOf('/');
    const [group, version] = i < 0 ? ['', apiVersion] : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
    const t = this.registry.byKind(group, version, kind);
    if (!t) throw new Error(`unknown kind ${apiVersion} ${kind}`);
    return { group: t.group, version: t.version, resource: t.plural };
  }

  private scheduleWorkload(): void {
    for (const item of this.scenario.workload) {
      this.at(SIM_EPOCH + item.at, async () => {
        this.serve(this.t);
        if ('apply' in item) {
          const o = item.apply;
          const r = this.resourceOfKind(o.apiVersion!, o.kind!);
          await this.write('user', undefined, { kind: 'create', resource: r, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), object: o });
        } else if ('patch' in item) {
          const p = item.patch;
          const r = this.resourceOfKind(p.apiVersion, p.kind);
          await this.write('user', undefined, { kind: 'patch', resource: r, ...(p.namespace ? { namespace: p.namespace } : {}), name: p.name, patchType: 'application/merge-patch+json', patch: p.patch, ...(p.subresource ? { subresource: p.subresource } : {}) });
        } else {
          const d = item.delete;
          const r = this.resourceOfKind(d.apiVersion, d.kind);
          await this.write('user', undefined, { kind: 'delete', resource: r, ...(d.namespace ? { namespace: d.namespace } : {}), name: d.name, ...(d.propagationPolicy ? { options: { propagationPolicy: d.propagationPolicy } } : {}) });
        }
      });
    }
  }

  /**
   * The store's history is compacted every 5 s of virtual time to where it stood 5 s before (as
   * kube-apiserver has etcd do, more often): nothing in the simulation reads old revisions, and
   * the history of a large run would otherwise hold every version of every object (GBs).
   */
  private compactHistory(mark: number): void {
    this.at(this.t + 5_000, async () => {
      if (mark) await this.store.compact(mark);
      if (this.timers.size) this.compactHistory(this.revision);
    });
  }

  // ---- properties -------------------------------------------------------------------------------

  private violation(name: string, msg: string): void {
    const line = `VIOLATION ${name}: ${msg}`;
    this.violations.push(`${fmt(this.t).trim()} ${line}`);
    this.say('check', line);
  }

  private checkState(): void {
    const now = snapshotOf(this.truth, this.t, this.refs);
    for (const p of this.props.state) for (const v of p.check(now)) this.violation(p.name, v);
    if (this.prevState) for (const p of this.props.step) for (const v of p.check(this.prevState, now)) this.violation(p.name, v);
    this.prevState = now;
  }

  private goalsHeld = false;

  /**
   * Whether every goal holds. Judging reads every object, so it is judged again only once the API
   * has changed, or a second of virtual time has passed (a goal may read time: minReadySeconds);
   * and, so that it costs the same per virtual second at any size, at most once per 1 ms of
   * virtual time per thousand objects (a 300,000-pod cluster: every 0.3 s).
   */
  private goalsMet(): boolean {
    const since = this.t - this.goalJudgedAt;
    if (this.revision === this.goalRevision && since < 1000) return this.goalsHeld;
    let objects = 0;
    for (const r of this.refs.values()) objects += this.truth.count(r);
    if (since < Math.min(1000, objects / 1000)) return this.goalsHeld;
    this.goalRevision = this.revision;
    this.goalJudgedAt = this.t;
    this.goalsHeld = this.goalsUnmet().length === 0;
    return this.goalsHeld;
  }

  private goalsUnmet(): string[] {
    // Judged at once, so the API's state is read in place, only the resources the goals ask for.
    const s = new TruthView(this.truth, this.t, this.refs);
    return this.props.goal.flatMap((g) => g.unmet(s).map((m) => `${g.name}: ${m}`));
  }

  // ---- the run ----------------------------------------------------------------------------------

  async run(): Promise<SimResult> {
    const sc = this.scenario;
    this.say('sim', `scenario ${sc.name}, seed ${this.seed}, ${sc.cluster.nodes} nodes`);
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
    // The default StorageClass a cluster starts with (apiserver bootstrap), for claims without a class.
    await this.client.create(R.storageclasses, undefined, {
      apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass',
      metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
      provisioner: LOCAL_PATH_PROVISIONER, reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer',
    });
    this.setUp();
    this.scheduleFaults();
    this.scheduleWorkload();
    this.compactHistory(0);
    const end = SIM_EPOCH + sc.until;
    const stepMs = sc.stepMs ?? 0;
    const checkEvery = sc.checkEvery ?? 1;
    const maxSteps = sc.maxSteps ?? 10_000_000;
    const lastWork = SIM_EPOCH + Math.max(0, ...sc.workload.map((w) => w.at), ...(sc.faults.nodeFailures ?? []).map((f) => f.until ?? f.at), ...(sc.faults.partitions ?? []).map((f) => f.until ?? f.at), ...(sc.faults.crashes ?? []).map((c) => c.at + c.restartAfter));
    const checking = this.props.state.length + this.props.step.length > 0;
    while (this.steps < maxSteps) {
      // Awaited only when a promise (most moves are synchronous: awaiting their undefined would make one).
      while (this.timers.peekAt() <= this.t) {
        const done = this.timers.pop()!();
        if (done) await done;
      }
      while (this.busy.peekAt() <= this.t) this.wake(this.busy.pop()!);
      const a = this.pick();
      if (!a) {
        // Quiet (no one can move and no one is busy): where the goals are judged.
        if (!this.busy.size && this.t >= lastWork && this.props.goal.length) {
          const met = this.goalsMet();
          if (met && !this.lastGoalsMet) this.convergedAt = this.t;
          this.lastGoalsMet = met;
          if (met && sc.stopWhenConverged) break;
        }
        // On to the next instant something happens: a timer, or a busy actor becoming free.
        const next = Math.min(this.timers.peekAt(), this.busy.peekAt());
        if (next === Infinity || next > end) break;
        this.t = Math.max(this.t, next);
        continue;
      }
      const done = a.run();
      if (done) await done;
      this.settle(a);
      this.steps++;
      if (checking && this.steps % checkEvery === 0) this.checkState();
      if (this.steps % 4096 === 0) this.trimLogs();
      if (this.lastGoalsMet && this.props.goal.length && this.steps % 64 === 0 && !this.goalsMet()) this.lastGoalsMet = false;
      this.t += stepMs;
      if (this.t > end) break;
    }
    if (checking) this.checkState();
    const unmet = this.goalsUnmet();
    if (unmet.length) this.lastGoalsMet = false;
    const result: SimResult = {
      scenario: sc.name,
      seed: this.seed,
      steps: this.steps,
      elapsedMs: this.t - SIM_EPOCH,
      violations: this.violations,
      unmetGoals: unmet,
      ...(this.lastGoalsMet && this.convergedAt !== undefined ? { convergedAtMs: this.convergedAt - SIM_EPOCH } : {}),
      traceHash: '',
      writes: this.writes,
      pods: this.truth.count(R.pods),
      nodes: this.truth.count(R.nodes),
    };
    const verdict = this.violations.length ? `FAIL: ${this.violations.length} violation(s)` : unmet.length ? `FAIL: not converged (${unmet.join('; ')})` : 'PASS';
    this.say('sim', `end after ${this.steps} steps, ${this.writes} writes, ${result.nodes} nodes, ${result.pods} pods; ${verdict}${result.convergedAtMs !== undefined ? `; converged at ${(result.convergedAtMs / 1000).toFixed(3)}s` : ''}`);
    this.flushHash();
    result.traceHash = this.hash.digest('hex');
    await this.store.close();
    return result;
  }
}

/**
 * How many objects an observation holds, for its reconcile's cost: the lengths of its lists, and
 * of lists in its maps (a Deployment's pods by ReplicaSet), one level down.
 */
function observedObjects(obs: unknown): number {
  if (typeof obs !== 'object' || obs === null) return 0;
  let n = 0;
  for (const v of Object.values(obs)) {
    if (Array.isArray(v)) n += v.length;
    else if (typeof v === 'object' && v !== null && !('metadata' in v)) for (const x of Object.values(v)) if (Array.isArray(x)) n += x.length;
  }
  return n;
}

/** The workqueue's per-item exponential back-off: 5 ms doubling, at most 1000 s. */
const backoff = (n: number) => Math.min(5 * 2 ** (n - 1), 1_000_000);

// ---- properties over the simulator's view ---------------------------------------------------------
// The simulator takes properties by shape (verify/'s invariant library fits them; sim may not import it).

export interface SimState {
  readonly now: Instant;
  list(resource: string): readonly KubeObject[];
  resources(): string[];
}

export interface SimProperties {
  state: { name: string; check(s: SimState): string[] }[];
  step: { name: string; check(before: SimState, after: SimState): string[] }[];
  decision: { name: string; controller: string; check(observed: unknown, decision: Decision): string[] }[];
  goal: { name: string; unmet(s: SimState): string[] }[];
}

/** A frozen copy of the API's state by resource plural (objects are shared and never mutated). */
class TruthSnapshot implements SimState {
  constructor(readonly now: Instant, private readonly byPlural: Map<string, KubeObject[]>) {}
  list(resource: string): readonly KubeObject[] {
    return this.byPlural.get(resource) ?? [];
  }
  resources(): string[] {
    return [...this.byPlural.keys()];
  }
}

/**
 * The API's state as it is, each resource listed when first asked for: what a snapshot would
 * hold, for a judgment made before anything changes (a large cluster's goals read few resources).
 */
class TruthView implements SimState {
  private readonly lists = new Map<string, readonly KubeObject[]>();
  constructor(private readonly truth: SimCache, readonly now: Instant, private readonly refs: Map<string, ResourceRef>) {}

  list(resource: string): readonly KubeObject[] {
    let l = this.lists.get(resource);
    if (!l) {
      // As in snapshotOf: the last resource of that name with objects.
      let found: ResourceRef | undefined;
      for (const r of this.refs.values()) if (r.resource === resource && r.resource !== 'events' && this.truth.count(r)) found = r;
      this.lists.set(resource, (l = found ? this.truth.list(found) : []));
    }
    return l;
  }

  resources(): string[] {
    const out = new Set<string>();
    for (const r of this.refs.values()) if (r.resource !== 'events' && this.truth.count(r)) out.add(r.resource);
    return [...out];
  }
}

function snapshotOf(truth: SimCache, now: Instant, refs: Map<string, ResourceRef>): TruthSnapshot {
  const m = new Map<string, KubeObject[]>();
  for (const r of refs.values()) {
    if (r.resource === 'events') continue;
    const l = truth.list(r);
    if (l.length) m.set(r.resource, l);
  }
  return new TruthSnapshot(now, m);
}
