// The pods of simulated nodes, synced by the kubelet's own decision (kubelet/sync.ts syncPod) over
// each node's in-memory runtime (runtime.ts): the same sandbox, init-container, restart back-off,
// termination and status logic as a real node, with simulated time in place of processes. This is
// the runner side, as kubelet/kubelet.ts is for real nodes: it observes the runtime, asks syncPod,
// carries the runtime actions out at once (each simulated call taking its configured time) and
// returns the API writes (status, the final delete) as a controller Decision. Deterministic: no
// clock but the `now` it is given, no randomness.
import type { Container as PodContainer, Pod } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import type { Action, Decision } from '../controllers/runtime.js';
import { containerHash, podLabels, sandboxConfig } from '../kubelet/container-config.js';
import { ANNOTATION_CONTAINER_HASH, ANNOTATION_RESTART_COUNT, LABEL_CONTAINER_KIND, LABEL_CONTAINER_NAME, RuntimeError, type ContainerConfig } from '../kubelet/runtime.js';
import { isSidecar, specOf, statusChanged, syncPod, type BackoffEntry, type ContainerKind, type ObservedContainer, type PodObj, type ProbeState, type SyncAction } from '../kubelet/sync.js';
import { SimRuntime, type SimProgram } from './runtime.js';
import { readinessFails, runTimeMs, simExitCode, type SimNodeSpec, type SimTiming } from './kubelet.js';

export interface SimPodObservation {
  /** namespace/name */
  key: string;
  pod?: KubeObject;
  /** The node the pod is bound to, when it is one of ours. */
  node?: SimNodeSpec;
  /** The node is stopped or cut off: it tends nothing. */
  stopped: boolean;
  /** Every pod bound to the node, given when the node's runtime is yet to be set up (adoption). */
  nodePods?: KubeObject[];
}

interface Worker {
  uid: string;
  node: string;
  backoff: Record<string, BackoffEntry>;
  /** A simulated runtime call (network set-up, a stop) is under way until then. */
  busyUntil: Instant;
}

const RUNTIME_NAME = 'berth-sim';
const ROUNDS = 8;
/** What a simulated node probes when a container has no readiness probe of its own (the ready delay). */
const SIM_READINESS = { exec: { command: ['sim-ready'] } };

/** What a container of this pod runs on a simulated node. */
export function simProgram(pod: PodObj, kind: ContainerKind, c: PodContainer, t: SimTiming): SimProgram {
  if (kind === 'init') return isSidecar(c) ? { exitCode: 0 } : { runMs: 0, exitCode: 0 };
  const run = runTimeMs(pod, t);
  return { ...(run !== undefined ? { runMs: run } : {}), exitCode: simExitCode(pod.metadata.annotations) };
}

/**
 * The simulated prober's results: a running container turns ready `readyDelayMs` after it
 * started, unless the pod says `sim.berth.dev/ready: "false"`; startup probes pass at once. With
 * the instant of the next change, if one is coming.
 */
export function simProbes(pod: PodObj, containers: ObservedContainer[], t: SimTiming, now: Instant): { probes: Record<string, ProbeState>; next?: Instant } {
  const probes: Record<string, ProbeState> = {};
  const failing = readinessFails(pod);
  let next = Infinity;
  for (const c of containers) {
    if (c.state !== 'running') continue;
    const readyAt = (c.startedAt ?? c.createdAt) + t.readyDelayMs;
    const readiness = failing ? 'Failure' : now >= readyAt ? 'Success' : undefined;
    if (!failing && now < readyAt) next = Math.min(next, readyAt);
    probes[c.id] = { startup: 'Success', ...(readiness ? { readiness } : {}) };
  }
  return { probes, ...(Number.isFinite(next) ? { next } : {}) };
}

/** The pod as the simulated node probes it: every app container has a readiness probe (the ready delay). */
function probed(pod: PodObj): PodObj {
  const spec = pod.spec;
  if (!spec) return pod;
  let view = probedSpecs.get(spec);
  if (view === undefined) {
    const containers = spec.containers ?? [];
    view = containers.every((c) => c.readinessProbe) ? spec : { ...spec, containers: containers.map((c) => (c.readinessProbe ? c : { ...c, readinessProbe: SIM_READINESS })) };
    probedSpecs.set(spec, view);
  }
  return view === spec ? pod : { ...pod, spec: view };
}

/** By spec object: a pod's versions share their spec (the store shares unchanged parts), so it is worked out once a pod. */
const probedSpecs = new WeakMap<NonNullable<Pod['spec']>, NonNullable<Pod['spec']>>();

/** The container config a simulated runtime needs: identity, labels and the spec hash (no process, env or mounts). */
function simContainerConfig(pod: PodObj, c: PodContainer, kind: ContainerKind, attempt: number): ContainerConfig {
  return {
    metadata: { name: c.name, attempt },
    image: c.image ?? '',
    command: [],
    args: [],
    workingDir: '',
    envs: [],
    mounts: [],
    labels: { ...podLabels(pod), [LABEL_CONTAINER_NAME]: c.name, [LABEL_CONTAINER_KIND]: kind },
    annotations: { [ANNOTATION_CONTAINER_HASH]: containerHash(c), [ANNOTATION_RESTART_COUNT]: String(attempt) },
    stdin: false,
    stdinOnce: false,
    tty: false,
    linux: { resources: {}, securityContext: {} },
  };
}

const strip = (id: string | undefined) => id?.replace(/^[a-z-]+:\/\//, '');

/** The pods of a set of simulated nodes; one runtime per node, one worker per pod. */
export class SimPodWorkers {
  private readonly runtimes = new Map<string, SimRuntime>();
  private readonly workers = new Map<string, Worker>();

  constructor(private readonly clock: () => Instant) {}

  /** Whether the node's runtime is set up (else the next sync on it adopts its pods). */
  hasRuntime(node: string): boolean {
    return this.runtimes.has(node);
  }

  runtime(node: string): SimRuntime | undefined {
    return this.runtimes.get(node);
  }

  /** The kubelet process lost its memory (a crash): back-off books and calls under way are forgotten; the runtimes keep running. */
  forgetWorkers(): void {
    this.workers.clear();
  }

  private runtimeFor(spec: SimNodeSpec, nodePods: KubeObject[] | undefined): SimRuntime {
    let rt = this.runtimes.get(spec.name);
    if (rt) return rt;
    rt = new SimRuntime({ podCIDR: spec.podCIDR, clock: this.clock });
    this.runtimes.set(spec.name, rt);
    for (const p of nodePods ?? []) this.adopt(rt, p as PodObj, spec);
    return rt;
  }

  /**
   * Takes over a pod that ran before this process (a restarted `berth sim nodes`): its sandbox
   * with its address and its containers as its status shows them, so it carries on unchanged.
   */
  private adopt(rt: SimRuntime, pod: PodObj, spec: SimNodeSpec): void {
    const st = pod.status;
    const uid = pod.metadata.uid!;
    if (!st?.startTime || st.phase === 'Succeeded' || st.phase === 'Failed' || pod.metadata.deletionTimestamp || rt.has(uid)) return;
    if (!st.podIP && !pod.spec?.hostNetwork) return;
    const started = Date.parse(st.startTime);
    const sb = rt.runSandbox(sandboxConfig(pod, 0), started, 0, pod.spec?.hostNetwork ? undefined : st.podIP);
    const lists = [
      ['init', pod.spec?.initContainers ?? [], st.initContainerStatuses ?? []],
      ['app', pod.spec?.containers ?? [], st.containerStatuses ?? []],
    ] as const;
    for (const [kind, specs, statuses] of lists) {
      for (const s of statuses) {
        const c = specs.find((x) => x.name === s.name);
        if (!c) continue;
        const program = simProgram(pod, kind, c, spec.timing);
        const instance = (attempt: number, id: string | undefined, startedAt: string | undefined, end?: { finishedAt?: string; exitCode: number }) => {
          if (!id || !startedAt) return;
          const t0 = Date.parse(startedAt);
          const p = end ? { runMs: Math.max(0, Date.parse(end.finishedAt ?? startedAt) - t0), exitCode: end.exitCode } : program;
          rt.start(rt.create(sb, simContainerConfig(pod, c, kind, attempt), p, t0, id), t0);
        };
        const n = s.restartCount ?? 0;
        const last = s.lastState?.terminated;
        if (last) instance(s.state?.running || s.state?.terminated ? Math.max(0, n - 1) : n, strip(last.containerID), last.startedAt, last);
        if (s.state?.running) instance(n, strip(s.containerID), s.state.running.startedAt);
        else if (s.state?.terminated) instance(n, strip(s.state.terminated.containerID), s.state.terminated.startedAt, s.state.terminated);
      }
    }
  }

  /** Removes everything of a pod that is gone from the API. */
  private cleanUp(w: Worker, now: Instant): void {
    const rt = this.runtimes.get(w.node);
    if (!rt) return;
    for (const s of rt.observe(w.uid, now).sandboxes) rt.stopSandbox(s.id, now);
    for (const s of rt.observe(w.uid, now).sandboxes) rt.removeSandbox(s.id);
  }

  /** One sync of a pod: the runtime brought along, and the API writes that follow. */
  sync(o: SimPodObservation, now: Instant): Decision {
    const pod = o.pod as PodObj | undefined;
    let w = this.workers.get(o.key);
    if (w && (!pod || pod.metadata.uid !== w.uid)) {
      // deleted (or replaced by a pod of the same name): what it left in the runtime goes
      this.cleanUp(w, now);
      this.workers.delete(o.key);
      w = undefined;
    }
    const spec = o.node;
    if (!pod || !spec || o.stopped) return { actions: [] };
    const rt = this.runtimeFor(spec, o.nodePods);
    const uid = pod.metadata.uid!;
    if (!w) this.workers.set(o.key, (w = { uid, node: spec.name, backoff: {}, busyUntil: 0 }));
    if (w.busyUntil > now) return { actions: [], requeueAfterMs: w.busyUntil - now };

    const t = spec.timing;
    const view = probed(pod);
    const hashes: Record<string, string> = {};
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) hashes[c.name] = containerHash(c);
    let status: Pod['status'] | undefined;
    let requeue = Infinity;
    const api: Action[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { sandboxes, containers } = rt.observe(uid, now);
      const { probes, next } = simProbes(pod, containers, t, now);
      if (next !== undefined) requeue = Math.min(requeue, next - now);
      const d = syncPod({ pod: view, sandboxes, containers, probes, backoff: w.backoff, failures: {}, hostIP: spec.internalIP, runtimeName: RUNTIME_NAME, hashes }, now);
      w.backoff = d.backoff;
      status = d.status;
      if (d.requeueAfterMs !== undefined) requeue = Math.min(requeue, d.requeueAfterMs);
      const more = this.execute(rt, pod, spec, w, d.actions, now, api);
      if (!more) break;
    }
    const changes = rt.nextChange(uid, now);
    if (changes !== undefined) requeue = Math.min(requeue, changes - now);
    if (w.busyUntil > now) requeue = Math.min(requeue, w.busyUntil - now);
    if (status && statusChanged(pod, status)) api.unshift(this.statusUpdate(pod, status));
    return { actions: api, ...(Number.isFinite(requeue) ? { requeueAfterMs: Math.max(1, requeue) } : {}) };
  }

  /**
   * The status write: the whole status (with the fields others own, such as nominatedNodeName, as
   * they were) as an update of the pod it was decided from, as the real kubelet here writes it; a
   * pod changed meanwhile fails it with a conflict and is synced again.
   */
  private statusUpdate(pod: PodObj, status: NonNullable<Pod['status']>): Action {
    return { kind: 'update', resource: R.pods, namespace: pod.metadata.namespace!, object: { ...pod, status: { ...pod.status, ...status } } as KubeObject, subresource: 'status' };
  }

  /** Carries the runtime actions out at `now`; true when the pod should be looked at again at once. */
  private execute(rt: SimRuntime, pod: PodObj, spec: SimNodeSpec, w: Worker, actions: SyncAction[], now: Instant, api: Action[]): boolean {
    const t = spec.timing;
    let again = false;
    let stopping = false;
    for (const a of actions) {
      switch (a.kind) {
        case 'killContainer': {
          const ms = Math.min(t.deleteDelayMs, a.gracePeriodSeconds * 1000);
          rt.stop(a.id, now, ms);
          if (ms > 0) {
            stopping = true;
            w.busyUntil = Math.max(w.busyUntil, now + ms);
          } else again = true;
          break;
        }
        case 'stopSandbox':
          // after the kills it follows have ended (a stop of the sandbox would cut them short)
          if (!stopping) {
            rt.stopSandbox(a.id, now);
            again = true;
          }
          break;
        case 'removeContainer':
          rt.remove(a.id);
          again = true;
          break;
        case 'removeSandbox':
          rt.removeSandbox(a.id);
          again = true;
          break;
        case 'createSandbox':
          try {
            rt.runSandbox(sandboxConfig(pod, a.attempt), now, t.startDelayMs);
          } catch (e) {
            if (!(e instanceof RuntimeError)) throw e;
            w.busyUntil = now + 1000; // the range is full: try again in a while
            return false;
          }
          if (t.startDelayMs > 0) w.busyUntil = Math.max(w.busyUntil, now + t.startDelayMs);
          else again = true;
          break;
        case 'startContainer': {
          const c = specOf(pod, a.container, a.name);
          if (!c) break;
          rt.start(rt.create(a.sandboxId, simContainerConfig(pod, c, a.container, a.attempt), simProgram(pod, a.container, c, t), now), now);
          again = true;
          break;
        }
        case 'deletePod':
          api.push({ kind: 'delete', resource: R.pods, namespace: pod.metadata.namespace!, name: pod.metadata.name!, options: { gracePeriodSeconds: 0, preconditions: { uid: a.uid } } });
          break;
      }
    }
    return again && w.busyUntil <= now;
  }
}
