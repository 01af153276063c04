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
import { rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { Registry } from '../model/registry.js';
import { errors, StatusError } from '../model/status.js';
import { MemoryStore } from '../store/memory.js';
import type { StoreEvent } from '../store/types.js';
import { createRest } from '../apiserver/server.js';
import { LocalClient } from '../apiserver/local-client.js';
import { applyAction, groupResourceKey, keyOf, splitKey, type Action, type Controller, type Decision } from '../controllers/runtime.js';
import { managerControllers, storedResources } from '../controllers/manager.js';
import { ClusterSnapshot } from '../scheduler/snapshot.js';
import { podInfoOf } from '../scheduler/podinfo.js';
import { schedulePod } from '../scheduler/schedule.js';
import { DEFAULT_SCHEDULER_NAME } from '../scheduler/scheduler.js';
import { SimCache, type CacheEvent } from './cache.js';
import { Prng } from './prng.js';
import { defaultTiming, NODE_LEASE_NAMESPACE, reconcileSimNode, type SimNodeSpec, type SimTiming } from './kubelet.js';
import { SimPodWorkers } from './pods.js';
import { nodeIPOf, podCIDROf } from './nodes.js';

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
  /** Virtual time each actor's move takes, ms (default 1). */
  stepMs?: number;
  /** Check state and step properties every this many moves (default 1; goals at the end). */
  checkEvery?: number;
  /** Write Kubernetes Events (default true; large runs may leave them out). */
  events?: boolean;
  maxSteps?: number;
  /** End the run at the first idle moment after the last workload change and fault at which every goal holds. */
  stopWhenConverged?: boolean;
}

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

interface Activity {
  name: string;
  run(): Promise<void> | void;
}

class Proc {
  cache = new SimCache();
  cursors = new Map<string, number>();
  readonly handlers = new Map<string, Handler[]>();
  down = false;
  epoch = 0;
  constructor(readonly name: string, readonly watched: ResourceRef[]) {}

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

const fmt = (t: number) => `${((t - SIM_EPOCH) / 1000).toFixed(3).padStart(9)}s`;

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

/** A controller under the runner's rules: a deduplicating FIFO of keys, one key at a time, actions in order. */
class Worker {
  readonly queue = new Set<string>();
  pending: Action[] = [];
  key?: string;
  requeueAfter?: number;
  failed = false;
  readonly failures = new Map<string, number>();
  /** Read-your-writes: resource → revision the cache must reach before the next reconcile. */
  wait = new Map<string, number>();
  waitDeadline = 0;
  constructor(readonly c: Controller<unknown>, readonly proc: Proc, readonly now: (key: string) => Instant) {}
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
  /** The API's state, as it is (the properties' view). */
  readonly truth = new SimCache();
  revision = 0;
  private readonly logs = new Map<string, EventLog>();
  private readonly refs = new Map<string, ResourceRef>();
  private readonly procs = new Map<string, Proc>();
  private readonly workers: Worker[] = [];
  private readonly timers: { at: number; seq: number; fire: () => Promise<void> | void }[] = [];
  private timerSeq = 0;
  private uid = 0;
  private readonly hash = createHash('sha256');
  private readonly stopped = new Set<string>();
  private readonly partitioned = new Set<string>();
  /** The simulated nodes' runtimes and pod workers, on the virtual clock. */
  private readonly simPods = new SimPodWorkers(() => this.t);
  readonly specs = new Map<string, SimNodeSpec>();
  private readonly sched: { snap: ClusterSnapshot; queue: Set<string>; unschedulable: Set<string>; startIndex: number; failures: Map<string, number> };
  private readonly violations: string[] = [];
  private convergedAt?: number;
  private lastGoalsMet = false;
  private prevState?: TruthSnapshot;

  constructor(readonly scenario: Scenario, readonly seed: number, private readonly sink: TraceSink, private readonly props: SimProperties) {
    this.rng = new Prng(seed);
    const { rest } = createRest(this.store, {
      clock: { now: () => this.t },
      ids: { uid: () => `uid-${String(++this.uid).padStart(6, '0')}`, nameSuffix: () => (++this.uid).toString(36).padStart(5, 'x') },
    });
    this.client = new LocalClient(rest);
    for (const { resource } of storedResources(this.registry)) this.refs.set(`/${resource.group || 'core'}/${resource.resource}/`, resource);
    this.store.watch('/', 0, { event: (ev) => this.onStore(ev), error: () => undefined });
    this.sched = { snap: new ClusterSnapshot(), queue: new Set(), unschedulable: new Set(), startIndex: 0, failures: new Map() };
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
    this.hash.update(line + '\n');
    this.sink.line(line);
  }

  // ---- processes --------------------------------------------------------------------------------

  private proc(name: string, watched: ResourceRef[]): Proc {
    const p = new Proc(name, watched);
    this.procs.set(name, p);
    return p;
  }

  /** Fills a process's caches from the API (start, restart), reporting what it finds as adds. */
  private relistAll(p: Proc): void {
    for (const r of p.watched) this.relist(p, r);
  }

  private relist(p: Proc, r: ResourceRef): void {
    const k = groupResourceKey(r);
    const evs = p.cache.replace(r, this.truth.list(r), this.revision);
    const log = this.logs.get(k);
    p.cursors.set(k, log ? log.base + log.events.length : 0);
    for (const ev of evs) p.emit(ev);
  }

  private skew(who: string): number {
    return this.scenario.faults.clockSkew?.[who] ?? 0;
  }

  private addWorker(p: Proc, c: Controller<unknown>, now: (key: string) => Instant): Worker {
    const w = new Worker(c, p, now);
    for (const spec of c.watches) {
      p.on(spec.resource, (ev) => {
        if (ev.type === 'update' && ev.old && spec.changed && !spec.changed(ev.object, ev.old)) return;
        for (const k of spec.keys(ev.object, p.cache)) w.queue.add(k);
        if (ev.old) for (const k of spec.keys(ev.old, p.cache)) w.queue.add(k);
      });
    }
    this.workers.push(w);
    return w;
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

    const sched = this.proc('scheduler', [R.nodes, R.pods]);
    sched.on(R.pods, (ev) => this.schedOnPod(ev));
    sched.on(R.nodes, (ev) => {
      if (ev.type === 'delete') this.sched.snap.removeNode(ev.object.metadata.name!);
      else this.sched.snap.setNode(ev.object as never);
      for (const k of this.sched.unschedulable) this.sched.queue.add(k);
      this.sched.unschedulable.clear();
    });

    const kubelets = this.proc('kubelets', [R.namespaces, R.nodes, R.leases, R.pods]);
    const nodeNow = (node: string | undefined) => this.t + (node ? this.skew(node) : 0);
    this.addWorker(kubelets, this.kubeletNodes(), (key) => nodeNow(key));
    this.addWorker(kubelets, this.kubeletPods(), (key) => {
      const { namespace, name } = splitKey(key);
      return nodeNow((kubelets.cache.get(R.pods, namespace, name)?.spec as { nodeName?: string } | undefined)?.nodeName);
    });
    for (const p of this.procs.values()) this.relistAll(p);
  }

  private kubeletNodes(): Controller<unknown> {
    const ours = (n: string | undefined) => (n && this.specs.has(n) ? [n] : []);
    return {
      name: 'kubelet-node',
      watches: [
        { resource: R.namespaces, keys: (o) => (o.metadata.name === NODE_LEASE_NAMESPACE ? [...this.specs.keys()] : []) },
        { resource: R.nodes, keys: (o) => ours(o.metadata.name) },
        { resource: R.leases, keys: (o) => (o.metadata.namespace === NODE_LEASE_NAMESPACE ? ours(o.metadata.name) : []) },
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
        { resource: R.pods, keys: (o) => (this.specs.has(bound(o) ?? '') ? [keyOf(o)] : []) },
        { resource: R.nodes, keys: (o, view) => (this.specs.has(o.metadata.name!) ? view.podsOnNode(o.metadata.name!).map(keyOf) : []) },
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
      if (s.snap.removePod(key)) {
        for (const k of s.unschedulable) s.queue.add(k);
        s.unschedulable.clear();
      }
      return;
    }
    if (pod.spec?.nodeName) {
      s.queue.delete(key);
      s.unschedulable.delete(key);
      s.snap.addPod(podInfoOf(pod));
      return;
    }
    if ((pod.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) !== DEFAULT_SCHEDULER_NAME || pod.metadata.deletionTimestamp) return;
    if (!s.unschedulable.has(key)) s.queue.add(key);
  }

  private async schedule(): Promise<void> {
    const s = this.sched;
    const p = this.procs.get('scheduler')!;
    const key = s.queue.values().next().value as string;
    s.queue.delete(key);
    const { namespace, name } = splitKey(key);
    const pod = p.cache.get(R.pods, namespace, name) as (KubeObject & Pod) | undefined;
    if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp) return;
    const r = schedulePod(podInfoOf(pod), s.snap, { startIndex: s.startIndex });
    s.startIndex = r.nextStartIndex;
    if (r.kind === 'unschedulable') {
      s.unschedulable.add(key);
      const cond = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
      this.say('scheduler', `${key} unschedulable: ${r.message}`);
      if (cond?.status === 'False' && cond.message === r.message) return;
      await this.write('scheduler', undefined, {
        kind: 'patch', resource: R.pods, namespace: namespace!, name, patchType: 'application/strategic-merge-patch+json', subresource: 'status',
        patch: { status: { conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: r.message, lastProbeTime: null, lastTransitionTime: rfc3339(this.t) }] } },
      });
      return;
    }
    // Assumed onto the node at once, so the next decision sees it (upstream's assume).
    s.snap.addPod(podInfoOf({ ...pod, spec: { ...pod.spec!, nodeName: r.node } } as never));
    const ok = await this.write('scheduler', undefined, {
      kind: 'create', resource: R.pods, namespace: namespace!,
      object: { apiVersion: 'v1', kind: 'Binding', metadata: { name, namespace, uid: pod.metadata.uid }, target: { apiVersion: 'v1', kind: 'Node', name: r.node } } as KubeObject,
    }, 'binding');
    if (!ok) {
      s.snap.removePod(key);
      const n = (s.failures.get(key) ?? 0) + 1;
      s.failures.set(key, n);
      const epoch = p.epoch;
      this.at(this.t + backoff(n), () => {
        if (p.epoch === epoch) s.queue.add(key);
      });
    } else s.failures.delete(key);
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
    const item = { at: when, seq: this.timerSeq++, fire };
    // A binary heap on (at, seq).
    const h = this.timers;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (before(h[p]!, h[i]!)) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private popTimer(): (typeof this.timers)[number] | undefined {
    const h = this.timers;
    if (!h.length) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l]!, h[m]!)) m = l;
        if (r < h.length && before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  // ---- actors -----------------------------------------------------------------------------------

  private nodeOfKey(w: Worker, key: string): string | undefined {
    if (w.c.name === 'kubelet-node') return key;
    if (w.c.name === 'kubelet-pods') {
      const { namespace, name } = splitKey(key);
      return (w.proc.cache.get(R.pods, namespace, name)?.spec as { nodeName?: string } | undefined)?.nodeName;
    }
    return undefined;
  }

  private waiting(w: Worker): boolean {
    if (!w.wait.size) return false;
    if (this.t >= w.waitDeadline) {
      w.wait.clear();
      return false;
    }
    for (const [k, rev] of w.wait) {
      const log = this.logs.get(k);
      const cur = w.proc.cursors.get(k) ?? 0;
      const next = log && cur < log.base + log.events.length ? log.events[cur - log.base]! : undefined;
      if (next && next.revision <= rev) return true;
      w.wait.delete(k);
    }
    return false;
  }

  private async stepWorker(w: Worker): Promise<void> {
    const who = `${w.proc.name}/${w.c.name}`;
    if (w.pending.length) {
      const a = w.pending.shift()!;
      const node = this.nodeOfKey(w, w.key!);
      const ok = await this.write(who, node, a);
      if (!ok && !(a.kind === 'create' && a.bestEffort)) {
        w.pending = [];
        w.failed = true;
      } else if (ok) w.wait.set(groupResourceKey(a.resource), this.revision);
      if (!w.pending.length) this.finish(w);
      return;
    }
    const key = w.queue.values().next().value as string;
    w.queue.delete(key);
    const obs = w.c.observe(key, w.proc.cache);
    const d = w.c.reconcile(obs, w.now(key));
    for (const p of this.props.decision) {
      if (p.controller !== w.c.name) continue;
      for (const v of p.check(obs, d)) this.violation(p.name, `${who} ${key}: ${v}`);
    }
    const events = this.scenario.events ?? true;
    w.pending = d.actions.filter((a) => events || !(a.kind === 'create' && a.bestEffort));
    w.key = key;
    w.requeueAfter = d.requeueAfterMs;
    w.failed = false;
    w.waitDeadline = this.t + 5000;
    if (w.pending.length) this.say(who, `reconcile ${key}: ${w.pending.length} action${w.pending.length === 1 ? '' : 's'}`);
    else this.finish(w);
  }

  private finish(w: Worker): void {
    const key = w.key!;
    const p = w.proc;
    const epoch = p.epoch;
    const requeue = (after: number) => this.at(this.t + after, () => {
      if (p.epoch === epoch) w.queue.add(key);
    });
    if (w.failed) {
      const n = (w.failures.get(key) ?? 0) + 1;
      w.failures.set(key, n);
      requeue(backoff(n));
      return;
    }
    w.failures.delete(key);
    if (w.requeueAfter !== undefined) requeue(w.requeueAfter);
  }

  private activities(): Activity[] {
    const acts: Activity[] = [];
    for (const p of this.procs.values()) {
      if (p.down) continue;
      for (const r of p.watched) {
        const k = groupResourceKey(r);
        const log = this.logs.get(k);
        const cur = p.cursors.get(k) ?? 0;
        if (log && cur < log.base + log.events.length) acts.push({ name: `deliver ${k} to ${p.name}`, run: () => this.deliver(p, r) });
      }
    }
    for (const w of this.workers) {
      if (w.proc.down) continue;
      if (w.pending.length || (w.queue.size && !this.waiting(w))) acts.push({ name: w.c.name, run: () => this.stepWorker(w) });
    }
    const sp = this.procs.get('scheduler');
    if (sp && !sp.down && this.sched.queue.size) acts.push({ name: 'scheduler', run: () => this.schedule() });
    return acts;
  }

  private deliver(p: Proc, r: ResourceRef): void {
    const k = groupResourceKey(r);
    if (this.rng.chance(this.scenario.faults.watchDropRate ?? 0)) {
      this.say(p.name, `watch of ${r.resource} broken: relist`);
      this.relist(p, r);
      return;
    }
    const log = this.logs.get(k)!;
    const cur = p.cursors.get(k) ?? 0;
    const { ev, revision } = log.events[cur - log.base]!;
    p.cursors.set(k, cur + 1);
    p.cache.apply(ev, revision);
    p.emit(ev);
    if (this.verbose) this.say(p.name, `<- ${ev.type} ${r.resource} ${keyOf(ev.object)} rv ${revision}`);
  }

  // ---- faults and workload ----------------------------------------------------------------------

  private crash(name: string, restartAfter: number): void {
    const p = this.procs.get(name);
    if (!p) throw new Error(`no process "${name}" (controller-manager, scheduler, kubelets)`);
    this.say(name, `crashes (caches and queues lost); restarts in ${restartAfter} ms`);
    p.down = true;
    p.epoch++;
    p.cache = new SimCache();
    p.cursors.clear();
    for (const w of this.workers) {
      if (w.proc !== p) continue;
      w.queue.clear();
      w.pending = [];
      w.wait.clear();
      w.failures.clear();
    }
    // the kubelets forget their back-off books and calls under way; the nodes' containers run on
    if (name === 'kubelets') this.simPods.forgetWorkers();
    if (name === 'scheduler') {
      this.sched.snap = new ClusterSnapshot();
      this.sched.queue.clear();
      this.sched.unschedulable.clear();
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
            const w = this.workers.filter((w2) => w2.c.name.startsWith('kubelet'));
            w[0]?.queue.add(x.node);
            for (const pod of this.procs.get('kubelets')!.cache.podsOnNode(x.node)) w[1]?.queue.add(keyOf(pod));
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

  private goalsUnmet(): string[] {
    const s = snapshotOf(this.truth, this.t, this.refs);
    return this.props.goal.flatMap((g) => g.unmet(s).map((m) => `${g.name}: ${m}`));
  }

  // ---- the run ----------------------------------------------------------------------------------

  async run(): Promise<SimResult> {
    const sc = this.scenario;
    this.say('sim', `scenario ${sc.name}, seed ${this.seed}, ${sc.cluster.nodes} nodes`);
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    await this.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NODE_LEASE_NAMESPACE } });
    this.setUp();
    this.scheduleFaults();
    this.scheduleWorkload();
    const end = SIM_EPOCH + sc.until;
    const stepMs = sc.stepMs ?? 1;
    const checkEvery = sc.checkEvery ?? 1;
    const maxSteps = sc.maxSteps ?? 10_000_000;
    const lastWork = SIM_EPOCH + Math.max(0, ...sc.workload.map((w) => w.at), ...(sc.faults.nodeFailures ?? []).map((f) => f.until ?? f.at), ...(sc.faults.partitions ?? []).map((f) => f.until ?? f.at), ...(sc.faults.crashes ?? []).map((c) => c.at + c.restartAfter));
    const checking = this.props.state.length + this.props.step.length > 0;
    while (this.steps < maxSteps) {
      while (this.timers.length && this.timers[0]!.at <= this.t) await this.popTimer()!.fire();
      const acts = this.activities();
      if (!acts.length) {
        // Idle: where the goals are judged (the system has nothing left to do right now).
        if (this.t >= lastWork && this.props.goal.length) {
          const met = this.goalsUnmet().length === 0;
          if (met && !this.lastGoalsMet) this.convergedAt = this.t;
          this.lastGoalsMet = met;
          if (met && sc.stopWhenConverged) break;
        }
        const next = this.timers[0];
        if (!next || next.at > end) break;
        this.t = next.at;
        continue;
      }
      const a = acts[this.rng.int(acts.length)]!;
      await a.run();
      this.steps++;
      if (checking && this.steps % checkEvery === 0) this.checkState();
      if (this.steps % 4096 === 0) this.trimLogs();
      if (this.lastGoalsMet && this.props.goal.length && this.steps % 64 === 0 && this.goalsUnmet().length) this.lastGoalsMet = false;
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
    result.traceHash = this.hash.digest('hex');
    await this.store.close();
    return result;
  }
}

function before(a: { at: number; seq: number }, b: { at: number; seq: number }): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
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

function snapshotOf(truth: SimCache, now: Instant, refs: Map<string, ResourceRef>): TruthSnapshot {
  const m = new Map<string, KubeObject[]>();
  for (const r of refs.values()) {
    if (r.resource === 'events') continue;
    const l = truth.list(r);
    if (l.length) m.set(r.resource, l);
  }
  return new TruthSnapshot(now, m);
}
