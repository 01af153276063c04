// The scheduler's runner (kube-scheduler's scheduleOne loop): informers feed the cache and the
// queue; each popped pod gets a decision from the pure schedulePod, is assumed onto its node in
// the cache at once (so the next decision sees it), and is bound through pods/binding without
// waiting, many binds in flight. A pod that fits nowhere gets PodScheduled=False/Unschedulable and
// a FailedScheduling event, and waits for a cluster change or its back-off.
import type { Node, PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { R, type ApiClient, type PatchType } from '../model/api.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import type { Selector } from '../model/labels.js';
import { StatusError } from '../model/status.js';
import { Informer, type InformerEvent } from '../client/informer.js';
import { EventRecorder } from '../client/events.js';
import { controllerRef, defaultSelector, defaultSelectorKey } from './defaultselector.js';
import { podInfoOf, type PodInfo } from './podinfo.js';
import { SchedulingQueue, type QueueOptions } from './queue.js';
import { schedulePod, type ScheduleResult } from './schedule.js';
import { podVolumeClaims, fullyBound } from './plugins/volumes.js';
import { SELECTED_NODE } from '../model/storage.js';
import { ClusterSnapshot } from './snapshot.js';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface SchedulerOptions extends QueueOptions {
  schedulerName?: string;
  now?: () => Instant;
  /** Where the tie-break among equally good nodes comes from (upstream's is random). */
  random?: () => number;
  percentageOfNodesToScore?: number;
  /** How many bindings may be in flight at once. */
  maxInFlight?: number;
  onError?: (what: string, err: unknown) => void;
}

const SMP: PatchType = 'application/strategic-merge-patch+json';
const FLUSH_MS = 30_000;
/** VolumeBinding's bindTimeoutSeconds: how long PreBind waits for a claim to be provisioned and bound. */
const BIND_TIMEOUT_MS = 600_000;

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export class Scheduler {
  readonly cache = new ClusterSnapshot();
  readonly queue: SchedulingQueue;
  private readonly informers: Informer[] = [];
  private readonly pods: Informer;
  private readonly services = new Map<string, Map<string, KubeObject>>();
  private readonly owners: Record<string, Informer> = {};
  private readonly selectorMemo = new Map<string, Selector | undefined>();
  /** Unscheduled pods nominated to a node by preemption, by node. */
  private readonly nominatedPods = new Map<string, Map<string, PodInfo>>();
  /** PreBind's waits for claims to be bound, by namespace/name. */
  private readonly claimWaits = new Map<string, Set<(pvc: PersistentVolumeClaim | undefined) => void>>();
  /** Pods assumed onto a node whose binding has not been seen yet. */
  private readonly assumed = new Set<string>();
  private readonly lastEvent = new Map<string, { message: string; at: number }>();
  private readonly name: string;
  private readonly now: () => Instant;
  private readonly recorder: EventRecorder;
  private running = false;
  private wake?: () => void;
  private inFlight = 0;
  private slotFree?: () => void;
  private startIndex = 0;
  private timers: NodeJS.Timeout[] = [];
  private backoffTimer?: NodeJS.Timeout;
  private backoffAt = 0;
  /** Decisions made, for benchmarks and tests. */
  readonly stats = { scheduled: 0, unschedulable: 0, bindErrors: 0 };

  constructor(private readonly client: ApiClient, private readonly opts: SchedulerOptions = {}) {
    this.name = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
    this.now = opts.now ?? Date.now;
    this.recorder = new EventRecorder(client, this.now);
    this.queue = new SchedulingQueue(this.now, opts);
    this.queue.onReady = () => this.wake?.();
    this.queue.onBackoff = () => this.armBackoffTimer();
    // Finished pods hold no resources: the scheduler never sees them (as upstream's pod informer).
    this.pods = this.informer(R.pods, { fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed' });
    this.pods.on((ev) => this.onPod(ev));
    this.informer(R.nodes).on((ev) => this.onNode(ev));
    this.informer(R.persistentvolumeclaims).on((ev) => {
      const key = `${ev.object.metadata.namespace}/${ev.object.metadata.name}`;
      if (ev.type === 'delete') this.cache.removePVC(ev.object.metadata.namespace!, ev.object.metadata.name!);
      else {
        this.cache.setPVC(ev.object as PersistentVolumeClaim);
        this.queue.moveAllUnschedulable();
      }
      for (const w of this.claimWaits.get(key) ?? []) w(ev.type === 'delete' ? undefined : (ev.object as PersistentVolumeClaim));
    });
    this.informer(R.persistentvolumes).on((ev) => {
      if (ev.type === 'delete') this.cache.removePV(ev.object.metadata.name!);
      else {
        this.cache.setPV(ev.object as PersistentVolume);
        this.queue.moveAllUnschedulable();
      }
    });
    // Budgets only steer preemption (which victims, which node): no reason to try pods again.
    this.informer(R.poddisruptionbudgets).on((ev) => {
      if (ev.type === 'delete') this.cache.removeDisruptionBudget(ev.object.metadata.namespace!, ev.object.metadata.name!);
      else this.cache.setDisruptionBudget(ev.object as unknown as PodDisruptionBudget);
    });
    this.informer(R.storageclasses).on((ev) => {
      if (ev.type === 'delete') this.cache.removeStorageClass(ev.object.metadata.name!);
      else {
        this.cache.setStorageClass(ev.object as unknown as StorageClass);
        this.queue.moveAllUnschedulable();
      }
    });
    this.informer(R.namespaces).on((ev) => {
      if (ev.type === 'delete') this.cache.removeNamespace(ev.object.metadata.name!);
      else this.cache.setNamespace(ev.object.metadata.name!, ev.object.metadata.labels);
    });
    this.informer(R.services).on((ev) => {
      const ns = ev.object.metadata.namespace!;
      let m = this.services.get(ns);
      if (!m) this.services.set(ns, (m = new Map()));
      if (ev.type === 'delete') m.delete(ev.object.metadata.name!);
      else m.set(ev.object.metadata.name!, ev.object);
      this.selectorMemo.clear();
    });
    this.owners.ReplicaSet = this.informer(R.replicasets);
    this.owners.StatefulSet = this.informer(R.statefulsets);
    for (const inf of Object.values(this.owners)) {
      inf.on((ev) => {
        if (ev.type !== 'update' || !deepEqual((ev.old?.spec as { selector?: unknown } | undefined)?.selector, (ev.object.spec as { selector?: unknown } | undefined)?.selector)) this.selectorMemo.clear();
      });
    }
  }

  private informer(r: typeof R.pods, opts: ConstructorParameters<typeof Informer>[2] = {}): Informer {
    const i = new Informer(this.client, r, opts);
    this.informers.push(i);
    return i;
  }

  async start(): Promise<void> {
    await Promise.all(this.informers.map((i) => i.start()));
    this.running = true;
    this.timers.push(setInterval(() => this.queue.flushUnschedulable(), FLUSH_MS));
    for (const t of this.timers) t.unref();
    void this.loop();
  }

  stop(): void {
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    for (const i of this.informers) i.stop();
    this.wake?.();
    this.slotFree?.();
  }

  private responsible(pod: KubeObject): boolean {
    const spec = pod.spec as { schedulerName?: string } | undefined;
    return (spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === this.name;
  }

  private onPod(ev: InformerEvent): void {
    const pod = ev.object as Pod & KubeObject;
    const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (ev.type === 'delete') {
      this.queue.delete(key);
      this.dropNominated(key);
      this.assumed.delete(key);
      this.lastEvent.delete(key);
      if (this.cache.removePod(key)) this.queue.moveAllUnschedulable();
      return;
    }
    if (pod.spec?.nodeName) {
      this.queue.delete(key);
      this.dropNominated(key);
      this.assumed.delete(key);
      this.lastEvent.delete(key);
      const prev = this.cache.pod(key);
      if (prev && prev.nodeName === pod.spec.nodeName && prev.terminating === !!pod.metadata.deletionTimestamp && deepEqual(prev.labels, pod.metadata.labels ?? {})) {
        prev.pod = pod;
        return;
      }
      this.cache.addPod(podInfoOf(pod));
      if (prev) this.queue.moveAllUnschedulable();
      return;
    }
    // Unscheduled.
    if (this.assumed.has(key)) return;
    if (!this.responsible(pod) || pod.metadata.deletionTimestamp || (pod.spec?.schedulingGates ?? []).length > 0) {
      this.queue.delete(key);
      this.dropNominated(key);
      return;
    }
    const info = podInfoOf(pod);
    this.setNominated(info);
    const old = ev.old as Pod | undefined;
    // A status-only change (our own condition) is no reason to try again.
    if (old && this.queue.has(key) && deepEqual(old.spec, pod.spec) && deepEqual(old.metadata?.labels, pod.metadata.labels)) {
      this.queue.update(info);
      return;
    }
    this.queue.add(info);
  }

  private setNominated(info: PodInfo): void {
    this.dropNominated(info.key);
    const node = info.pod.status?.nominatedNodeName;
    if (!node) return;
    let m = this.nominatedPods.get(node);
    if (!m) this.nominatedPods.set(node, (m = new Map()));
    m.set(info.key, info);
  }

  private dropNominated(key: string): void {
    for (const [node, m] of this.nominatedPods) {
      if (m.delete(key) && m.size === 0) this.nominatedPods.delete(node);
    }
  }

  private onNode(ev: InformerEvent): void {
    if (ev.type === 'delete') {
      this.cache.removeNode(ev.object.metadata.name!);
      return;
    }
    this.cache.setNode(ev.object as Node);
    // A new node, or a change to what the scheduler looks at (not a heartbeat), may let pods fit.
    const o = ev.old;
    const n = ev.object;
    if (
      !o ||
      !deepEqual(o.spec, n.spec) ||
      !deepEqual(o.metadata.labels, n.metadata.labels) ||
      !deepEqual((o.status as { allocatable?: unknown } | undefined)?.allocatable, (n.status as { allocatable?: unknown } | undefined)?.allocatable)
    ) {
      this.queue.moveAllUnschedulable();
    }
  }

  /** The pod's default spreading selector (defaultselector.ts), remembered per controller and labels. */
  defaultSelector(p: PodInfo): Selector | undefined {
    const key = defaultSelectorKey(p);
    if (this.selectorMemo.has(key)) return this.selectorMemo.get(key);
    const owner = controllerRef(p);
    const sel = defaultSelector(p, this.services.get(p.namespace)?.values() ?? [], owner && this.owners[owner.kind]?.get(p.namespace, owner.name));
    if (this.selectorMemo.size > 10_000) this.selectorMemo.clear();
    this.selectorMemo.set(key, sel);
    return sel;
  }

  private async loop(): Promise<void> {
    let n = 0;
    while (this.running) {
      const p = this.queue.pop();
      if (!p) {
        this.armBackoffTimer();
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
        continue;
      }
      try {
        this.scheduleOne(p);
      } catch (e) {
        this.opts.onError?.('schedule', e);
        this.queue.retry(p.key);
      }
      // Let informers and bindings make progress between decisions.
      if (++n % 32 === 0) await new Promise<void>((r) => setImmediate(r));
      while (this.running && this.inFlight >= (this.opts.maxInFlight ?? 256)) await new Promise<void>((r) => (this.slotFree = r));
    }
  }

  private armBackoffTimer(): void {
    const at = this.queue.nextBackoffAt();
    if (at === undefined || !this.running) return;
    if (this.backoffTimer && this.backoffAt <= at) return;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.backoffAt = at;
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      this.queue.flushBackoff();
      this.armBackoffTimer();
      this.wake?.();
    }, Math.max(0, at - this.now()) + 1);
    this.backoffTimer.unref();
  }

  /** One decision and what follows from it. */
  scheduleOne(p: PodInfo): ScheduleResult {
    const sel = this.defaultSelector(p);
    const result = schedulePod(p, this.cache, {
      startIndex: this.startIndex,
      tieBreak: (this.opts.random ?? Math.random)(),
      ...(this.opts.percentageOfNodesToScore !== undefined ? { percentageOfNodesToScore: this.opts.percentageOfNodesToScore } : {}),
      ...(sel ? { defaultSelector: sel } : {}),
      ...(this.nominatedPods.size ? { nominated: (node: string) => [...(this.nominatedPods.get(node)?.values() ?? [])] } : {}),
    });
    this.startIndex = result.nextStartIndex;
    if (result.kind === 'scheduled') this.assume(p, result.node);
    else this.failed(p, result);
    return result;
  }

  private assume(p: PodInfo, node: string): void {
    this.stats.scheduled++;
    const assumed: PodInfo = { ...p, nodeName: node };
    this.cache.addPod(assumed);
    this.assumed.add(p.key);
    this.inFlight++;
    const binding = {
      apiVersion: 'v1',
      kind: 'Binding',
      metadata: { name: p.name, namespace: p.namespace, uid: p.uid },
      target: { apiVersion: 'v1', kind: 'Node', name: node },
    };
    this.bindVolumes(p, node).then(
      () => this.client.create(R.pods, p.namespace, binding, { subresource: 'binding' }).then(
        () => {
          this.queue.done(p.key);
          this.event(p.pod, 'Normal', 'Scheduled', `Successfully assigned ${p.namespace}/${p.name} to ${node}`);
        },
        (e: unknown) => {
          this.stats.bindErrors++;
          this.forget(p, assumed);
          // Gone, or bound meanwhile: nothing to retry. Otherwise back off and try again.
          if (StatusError.is(e, 'NotFound') || (StatusError.is(e, 'Conflict') && /already assigned|being deleted/.test((e as Error).message))) this.queue.delete(p.key);
          else {
            this.opts.onError?.(`bind ${p.key}`, e);
            this.queue.retry(p.key);
          }
          this.wake?.();
        },
      ),
      (e: unknown) => {
        // PreBind failed: the pod goes back with the reason, as upstream's scheduling failure handler.
        this.forget(p, assumed);
        this.event(p.pod, 'Warning', 'FailedScheduling', `running PreBind plugin "VolumeBinding": ${(e as Error).message}`);
        this.queue.retry(p.key);
        this.wake?.();
      },
    ).finally(() => {
      this.inFlight--;
      const f = this.slotFree;
      this.slotFree = undefined;
      f?.();
    });
  }

  private forget(p: PodInfo, assumed: PodInfo): void {
    this.assumed.delete(p.key);
    if (this.cache.pod(p.key) === assumed) this.cache.removePod(p.key);
  }

  /**
   * VolumeBinding's PreBind: each claim of the pod still to be provisioned gets the chosen node
   * (the selected-node annotation the provisioner reads), and the pod is bound only once every such
   * claim is bound, as upstream's scheduler waits (bindTimeoutSeconds).
   */
  private async bindVolumes(p: PodInfo, node: string): Promise<void> {
    const claims = podVolumeClaims(p, this.cache);
    if ('code' in claims || claims.delayed.length === 0) return;
    await Promise.all(claims.delayed.map(async (pvc) => {
      const ns = pvc.metadata!.namespace!;
      const name = pvc.metadata!.name!;
      if (pvc.metadata?.annotations?.[SELECTED_NODE] !== node) {
        await this.client.patch(R.persistentvolumeclaims, ns, name, 'application/merge-patch+json', { metadata: { annotations: { [SELECTED_NODE]: node } } })
          .catch((e: unknown) => { throw new Error(`binding volumes: ${(e as Error).message}`); });
      }
      await this.claimBound(`${ns}/${name}`);
    }));
  }

  /** Resolves once the claim is bound (in this scheduler's cache); fails if it goes or the wait times out. */
  private claimBound(key: string): Promise<void> {
    const [ns, name] = key.split('/') as [string, string];
    const now = this.cache.pvc(ns, name);
    if (now && fullyBound(now)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let waits = this.claimWaits.get(key);
      if (!waits) this.claimWaits.set(key, (waits = new Set()));
      const done = (err?: Error) => {
        clearTimeout(timer);
        waits.delete(w);
        if (waits.size === 0) this.claimWaits.delete(key);
        if (err) reject(err);
        else resolve();
      };
      const w = (pvc: PersistentVolumeClaim | undefined) => {
        if (!pvc) done(new Error(`binding volumes: persistentvolumeclaim "${name}" was deleted`));
        else if (fullyBound(pvc)) done();
      };
      const timer = setTimeout(() => done(new Error('binding volumes: timed out waiting for the condition')), BIND_TIMEOUT_MS);
      timer.unref();
      waits.add(w);
    });
  }

  private failed(p: PodInfo, result: Extract<ScheduleResult, { kind: 'unschedulable' }>): void {
    this.stats.unschedulable++;
    this.queue.unschedulable(p.key);
    const now = this.now();
    const cond: Condition = { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: result.message };
    const old = (p.pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled') as Condition | undefined;
    const nominate = result.preemption?.node;
    const status: Record<string, unknown> = {};
    if (!old || old.status !== cond.status || old.reason !== cond.reason || old.message !== cond.message) {
      const lastTransitionTime = old && old.status === cond.status ? (old as { lastTransitionTime?: string }).lastTransitionTime ?? rfc3339(now) : rfc3339(now);
      status.conditions = [{ ...cond, lastProbeTime: null, lastTransitionTime }];
    }
    if (nominate && p.pod.status?.nominatedNodeName !== nominate) status.nominatedNodeName = nominate;
    if (Object.keys(status).length) {
      this.client.patch(R.pods, p.namespace, p.name, SMP, { status }, { subresource: 'status' }).catch((e: unknown) => {
        if (!StatusError.is(e, 'NotFound')) this.opts.onError?.(`status ${p.key}`, e);
      });
    }
    const last = this.lastEvent.get(p.key);
    // Repeats of one message are one event upstream (a series); here they are not re-recorded within a minute.
    if (!last || last.message !== result.message || now - last.at > 60_000) {
      this.lastEvent.set(p.key, { message: result.message, at: now });
      this.event(p.pod, 'Warning', 'FailedScheduling', result.message);
    }
    if (result.preemption) this.preempt(p, result.preemption.node, result.preemption.victims);
  }

  private preempt(preemptor: PodInfo, node: string, victims: PodInfo[]): void {
    for (const v of victims) {
      const cond = {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'PreemptionByScheduler',
        message: `${this.name}: preempting to accommodate a higher priority pod`,
        lastTransitionTime: rfc3339(this.now()),
      };
      void this.client
        .patch(R.pods, v.namespace, v.name, SMP, { status: { conditions: [cond] } }, { subresource: 'status' })
        .then(() => this.client.delete(R.pods, v.namespace, v.name, { preconditions: { uid: v.uid } }))
        .then(() => this.event(v.pod, 'Normal', 'Preempted', `Preempted by pod ${preemptor.uid} on node ${node}`))
        .catch((e: unknown) => {
          if (!StatusError.is(e, 'NotFound') && !StatusError.is(e, 'Conflict')) this.opts.onError?.(`preempt ${v.key}`, e);
        });
    }
  }

  private event(about: Pod, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const now = this.now();
    const m = about.metadata ?? {};
    const ns = m.namespace || 'default';
    const time = rfc3339(now);
    const ev: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${(BigInt(Math.floor(now)) * 1_000_000n + BigInt(eventSeq++ % 1_000_000)).toString(16)}`, namespace: ns },
      involvedObject: { apiVersion: 'v1', kind: 'Pod', name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion },
      reason,
      message,
      type,
      source: { component: this.name },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      reportingComponent: this.name,
      reportingInstance: this.name,
    };
    void this.recorder.record(ev);
  }
}

let eventSeq = 0;

/** Starts a scheduler on the API and resolves once its caches are filled. */
export async function startScheduler(client: ApiClient, opts: SchedulerOptions = {}): Promise<Scheduler> {
  const s = new Scheduler(client, opts);
  await s.start();
  return s;
}
