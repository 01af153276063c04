// Pod sync as a pure decision (DESIGN.md, "the one rule"): from a pod, what the runtime shows of
// its sandboxes and containers, the prober's results, the back-off book and an injected `now`,
// decide what to do to the runtime and what the pod's status is. The kubelet loop (kubelet.ts)
// observes, calls this, carries out the actions and writes the status; the simulator and tests
// call it with their own observations.
//
// Upstream: pkg/kubelet/kuberuntime/kuberuntime_manager.go computePodActions, doBackOff;
// pkg/kubelet/kubelet_pods.go generateAPIPodStatus, convertToAPIContainerStatuses, getPhase;
// pkg/kubelet/status/generate.go (the pod conditions); util/flowcontrol/backoff.go.
import type { Container as PodContainer, ContainerState, ContainerStatus, Pod, PodCondition, PodStatus } from 'kubernetes-types/core/v1.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { podQOSClass } from '../model/defaults/qos.js';

export type PodObj = KubeObject & Pod;

export interface ObservedSandbox {
  id: string;
  attempt: number;
  ready: boolean;
  /** The pod's address, once its network is up ('' for hostNetwork pods). */
  ip?: string;
  createdAt: Instant;
}

export type ObservedState = 'created' | 'running' | 'exited' | 'unknown';

/** Which list of the pod's spec a container comes from (ephemeral: `kubectl debug`'s, added to a running pod). */
export type ContainerKind = 'init' | 'app' | 'ephemeral';

/** A runtime container's kind, from its kind label (anything else: an app container). */
export function containerKind(label: string | undefined): ContainerKind {
  return label === 'init' || label === 'ephemeral' ? label : 'app';
}

/** The container spec of a kind and name in the pod. */
export function specOf(pod: PodObj, kind: ContainerKind, name: string): PodContainer | undefined {
  const list = kind === 'init' ? pod.spec?.initContainers : kind === 'app' ? pod.spec?.containers : pod.spec?.ephemeralContainers;
  return (list as PodContainer[] | undefined)?.find((c) => c.name === name);
}

export interface ObservedContainer {
  id: string;
  name: string;
  /** Whether it runs an init container of the spec, an app container or an ephemeral one. */
  kind: ContainerKind;
  attempt: number;
  sandboxId: string;
  state: ObservedState;
  createdAt: Instant;
  startedAt?: Instant;
  finishedAt?: Instant;
  exitCode: number;
  reason: string;
  message: string;
  /** The image as the runtime names it, and the ID (or digest) it runs. */
  image: string;
  imageRef: string;
  /** The container spec's hash when it was created (a changed spec restarts it). */
  hash: string;
}

export type ProbeResult = 'Success' | 'Failure';

/** The prober's latest results for one running container (absent: no result yet). */
export interface ProbeState {
  liveness?: ProbeResult;
  readiness?: ProbeResult;
  startup?: ProbeResult;
}

/** One entry of the back-off book (flowcontrol.Backoff's backoffEntry). */
export interface BackoffEntry {
  delayMs: number;
  lastUpdate: Instant;
}

/** Why the last attempt to start a container failed (the kubelet's reasonCache). */
export interface StartFailure {
  reason: string;
  message: string;
  at: Instant;
  /** The image, for ErrImagePull (its back-off is the image's). */
  image?: string;
}

export interface PodObservation {
  pod: PodObj;
  /** This pod's sandboxes and containers, as the runtime lists them. */
  sandboxes: ObservedSandbox[];
  containers: ObservedContainer[];
  /** By container ID. */
  probes: Record<string, ProbeState>;
  backoff: Record<string, BackoffEntry>;
  /** By container name. */
  failures: Record<string, StartFailure>;
  hostIP: string;
  /** The runtime's name, the scheme of containerIDs (containerd://, berth://). */
  runtimeName: string;
  /** The spec hash of each container (by name), as container-config.ts computes it. */
  hashes: Record<string, string>;
}

export type SyncAction =
  | { kind: 'createSandbox'; attempt: number }
  | { kind: 'startContainer'; name: string; container: ContainerKind; attempt: number; sandboxId: string }
  | { kind: 'killContainer'; id: string; name: string; gracePeriodSeconds: number; message: string }
  | { kind: 'removeContainer'; id: string }
  | { kind: 'stopSandbox'; id: string }
  | { kind: 'removeSandbox'; id: string }
  /** The pod is finished being deleted: remove it from the API (grace 0, uid precondition). */
  | { kind: 'deletePod'; uid: string };

export interface SyncDecision {
  actions: SyncAction[];
  status: PodStatus;
  /** The back-off book after this decision. */
  backoff: Record<string, BackoffEntry>;
  /** Sync again after this long even if nothing changes (a back-off ending). */
  requeueAfterMs?: number;
}

/** CrashLoopBackOff: 10 s doubling to 5 minutes; forgotten after twice that without a restart. */
export const BACKOFF_INITIAL_MS = 10_000;
export const BACKOFF_MAX_MS = 300_000;
/** terminationGracePeriodSeconds' default. */
const DEFAULT_GRACE_SECONDS = 30;

/** Go's time.Duration.String() for whole seconds: 10s, 1m20s, 5m0s. */
export function goDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60}s`;
  return `${Math.floor(m / 60)}h${m % 60}m${s % 60}s`;
}

/** flowcontrol.Backoff.IsInBackOffSince: a restart waits `delay` after the event (an exit). */
export function inBackoff(book: Record<string, BackoffEntry>, key: string, eventTime: Instant, now: Instant): BackoffEntry | undefined {
  const e = book[key];
  if (!e) return undefined;
  if (now - e.lastUpdate > 2 * BACKOFF_MAX_MS) return undefined;
  return now - eventTime < e.delayMs ? e : undefined;
}

/** flowcontrol.Backoff.Next: the first restart arms 10 s; each later one doubles it, up to 5 min. */
export function nextBackoff(book: Record<string, BackoffEntry>, key: string, eventTime: Instant): BackoffEntry {
  const e = book[key];
  if (!e || eventTime - e.lastUpdate > 2 * BACKOFF_MAX_MS) return { delayMs: BACKOFF_INITIAL_MS, lastUpdate: eventTime };
  return { delayMs: Math.min(e.delayMs * 2, BACKOFF_MAX_MS), lastUpdate: eventTime };
}

const byNewest = <T extends { createdAt: Instant; attempt: number }>(a: T, b: T) => b.createdAt - a.createdAt || b.attempt - a.attempt;

function restartPolicy(pod: PodObj): 'Always' | 'OnFailure' | 'Never' {
  const p = pod.spec?.restartPolicy;
  return p === 'OnFailure' || p === 'Never' ? p : 'Always';
}

/** A restartable init container (restartPolicy Always): a sidecar, KEP-753. */
export const isSidecar = (c: PodContainer) => c.restartPolicy === 'Always';

/** kubecontainer.ShouldContainerBeRestarted for a container that ran and exited. */
function shouldRestart(policy: 'Always' | 'OnFailure' | 'Never', exitCode: number): boolean {
  return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
}

function graceSeconds(pod: PodObj): number {
  return pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
}

const backoffKey = (pod: PodObj, name: string, hash: string) => `${pod.metadata.name}_${pod.metadata.namespace}_${pod.metadata.uid}_${name}_${hash}`;
const pullKey = (pod: PodObj, image: string) => `pull_${pod.metadata.uid}_${image}`;

interface Waiting {
  reason: string;
  message: string;
}

/** The decision for one pod. */
export function syncPod(o: PodObservation, now: Instant): SyncDecision {
  const pod = o.pod;
  const spec = pod.spec ?? { containers: [] };
  const policy = restartPolicy(pod);
  const actions: SyncAction[] = [];
  const book = { ...o.backoff };
  const waiting = new Map<string, Waiting>();
  let requeue = Infinity;
  const later = (ms: number) => (requeue = Math.min(requeue, Math.max(1, ms)));

  const sandboxes = [...o.sandboxes].sort(byNewest);
  const current = sandboxes[0];
  const hostNetwork = !!spec.hostNetwork;
  const sandboxUp = !!current && current.ready && (hostNetwork || !!current.ip);
  const containers = [...o.containers].sort(byNewest);
  const latest = (name: string, kind: ContainerKind, sandboxId?: string) =>
    containers.find((c) => c.name === name && c.kind === kind && (sandboxId === undefined || c.sandboxId === sandboxId));
  const running = containers.filter((c) => c.state === 'running');
  const oldPhase = pod.status?.phase;
  const deleting = !!pod.metadata.deletionTimestamp;
  let terminal = oldPhase === 'Succeeded' || oldPhase === 'Failed';

  const killAll = (message: string, grace: number) => {
    for (const c of running) actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: grace, message });
    for (const s of sandboxes) if (s.ready) actions.push({ kind: 'stopSandbox', id: s.id });
  };

  // Older instances of each container go, but for the newest exited one (lastState, logs --previous).
  const seen = new Map<string, { keptExited: boolean }>();
  for (const c of containers) {
    const k = `${c.kind}/${c.name}`;
    const g = seen.get(k);
    if (!g) {
      seen.set(k, { keptExited: false });
      continue;
    }
    if (c.state === 'running') continue;
    if (c.state === 'exited' && !g.keptExited) g.keptExited = true;
    else actions.push({ kind: 'removeContainer', id: c.id });
  }
  for (const s of sandboxes.slice(1)) {
    if (!s.ready && !containers.some((c) => c.sandboxId === s.id && c.state === 'running')) actions.push({ kind: 'removeSandbox', id: s.id });
  }

  // init containers have run in this sandbox once its app containers exist (the init ones may be gone)
  let initDone = (spec.initContainers ?? []).length === 0 || (!!current && containers.some((c) => c.kind === 'app' && c.sandboxId === current.id));
  let failedInit = false;

  if (deleting) {
    if (running.length || sandboxes.some((s) => s.ready)) killAll('Stopping container', graceSeconds(pod));
    else actions.push({ kind: 'deletePod', uid: pod.metadata.uid! });
  } else if (terminal) {
    // a finished pod keeps its containers (for logs) but frees its sandbox
    if (running.length || sandboxes.some((s) => s.ready)) killAll('Stopping container', graceSeconds(pod));
  } else if (!sandboxUp) {
    const ran = containers.length > 0;
    if (policy === 'Never' && current && ran) {
      // a Never pod whose sandbox died does not start again: its containers' ends decide its phase
      for (const c of running) actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: graceSeconds(pod), message: 'Pod sandbox changed, it will be killed' });
    } else {
      for (const c of running) actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: graceSeconds(pod), message: 'Pod sandbox changed, it will be killed and re-created' });
      if (current?.ready) actions.push({ kind: 'stopSandbox', id: current.id });
      actions.push({ kind: 'createSandbox', attempt: current ? current.attempt + 1 : 0 });
      initDone = (spec.initContainers ?? []).length === 0;
    }
  } else {
    const sb = current!;
    // containers left over from an earlier sandbox go
    for (const c of running) if (c.sandboxId !== sb.id) actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: graceSeconds(pod), message: 'Pod sandbox changed, it will be killed and re-created' });
    const start = (name: string, kind: ContainerKind) => {
      const prev = latest(name, kind);
      actions.push({ kind: 'startContainer', name, container: kind, attempt: prev ? prev.attempt + 1 : 0, sandboxId: sb.id });
    };
    /** A container that failed to start last time waits out its back-off (ImagePullBackOff for pulls). */
    const failureHolds = (name: string): boolean => {
      const f = o.failures[name];
      if (!f) return false;
      if (f.reason === 'ErrImagePull' || f.reason === 'ImagePullBackOff') {
        const key = pullKey(pod, f.image ?? '');
        const e = inBackoff(book, key, f.at, now);
        if (e) {
          waiting.set(name, { reason: 'ImagePullBackOff', message: `Back-off pulling image "${f.image ?? ''}"` });
          later(f.at + e.delayMs - now);
          return true;
        }
        book[key] = nextBackoff(book, key, f.at);
      }
      waiting.set(name, { reason: f.reason, message: f.message });
      return false;
    };
    /** Restart an exited container unless its back-off holds; true when it was (re)started. */
    const restartExited = (c: ObservedContainer, kind: 'init' | 'app'): boolean => {
      const key = backoffKey(pod, c.name, o.hashes[c.name] ?? c.hash);
      const at = c.finishedAt ?? now;
      const e = inBackoff(book, key, at, now);
      if (e) {
        waiting.set(c.name, {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(e.delayMs)} restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
        });
        later(at + e.delayMs - now);
        return false;
      }
      book[key] = nextBackoff(book, key, at);
      if (failureHolds(c.name)) return false;
      start(c.name, kind);
      return true;
    };

    /** A running container that failed its startup or liveness probe is killed; true if it was. */
    const killFailed = (c: ObservedContainer, what: string): boolean => {
      const p = o.probes[c.id];
      if (p?.startup !== 'Failure' && p?.liveness !== 'Failure') return false;
      actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: graceSeconds(pod), message: `${what} ${c.name} failed ${p.startup === 'Failure' ? 'startup' : 'liveness'} probe${what === 'Container' ? ', will be restarted' : ''}` });
      return true;
    };
    /** A sidecar (restartable init container) has started: running, and past its startup probe. */
    const sidecarStarted = (ic: PodContainer, c: ObservedContainer | undefined) => c?.state === 'running' && (!ic.startupProbe || o.probes[c.id]?.startup === 'Success');
    /** Keeps a sidecar running: started, restarted after an exit (with back-off, whatever the pod's policy). */
    const tendSidecar = (ic: PodContainer, c: ObservedContainer | undefined) => {
      if (!c) {
        if (!failureHolds(ic.name)) start(ic.name, 'init');
      } else if (c.state === 'running') killFailed(c, 'Container');
      else if (c.state === 'exited') restartExited(c, 'init');
      else {
        actions.push({ kind: 'removeContainer', id: c.id });
        if (!failureHolds(ic.name)) start(ic.name, 'init');
      }
    };

    // init containers, one at a time, in order: each regular one to success, each sidecar until it has started
    if (!initDone) {
      initDone = true;
      for (const ic of spec.initContainers ?? []) {
        const c = latest(ic.name, 'init', sb.id);
        if (isSidecar(ic)) {
          if (c?.state === 'running' && !killFailed(c, 'Container') && sidecarStarted(ic, c)) continue;
          initDone = false;
          // not running: started (again); running but not yet started: its startup probe is awaited
          if (c?.state !== 'running') tendSidecar(ic, c);
          break;
        }
        if (c?.state === 'exited' && c.exitCode === 0) continue;
        initDone = false;
        if (!c) {
          if (!failureHolds(ic.name)) start(ic.name, 'init');
        } else if (c.state === 'running') {
          killFailed(c, 'Init container');
        } else if (c.state === 'exited') {
          if (policy === 'Never') {
            failedInit = true;
            killAll('Init container failed', graceSeconds(pod));
          } else restartExited(c, 'init');
        } else {
          // created but never started, or unknown: a new attempt
          actions.push({ kind: 'removeContainer', id: c.id });
          if (!failureHolds(ic.name)) start(ic.name, 'init');
        }
        break;
      }
    } else {
      // initialized: the sidecars run on beside the app containers
      for (const ic of spec.initContainers ?? []) if (isSidecar(ic)) tendSidecar(ic, latest(ic.name, 'init', sb.id));
    }

    if (initDone) {
      for (const ac of spec.containers) {
        const c = latest(ac.name, 'app', sb.id);
        const earlier = c ?? latest(ac.name, 'app');
        if (!c) {
          // never run in this sandbox: an OnFailure pod does not rerun what succeeded
          if (earlier?.state === 'exited' && ((policy === 'OnFailure' && earlier.exitCode === 0) || policy === 'Never')) continue;
          if (earlier?.state === 'exited' && earlier.sandboxId !== sb.id) {
            restartExited(earlier, 'app');
            continue;
          }
          if (!failureHolds(ac.name)) start(ac.name, 'app');
          continue;
        }
        if (c.state === 'running') {
          const p = o.probes[c.id] ?? {};
          const hash = o.hashes[ac.name];
          let why: string | undefined;
          if (p.startup === 'Failure') why = `Container ${ac.name} failed startup probe, will be restarted`;
          else if (p.liveness === 'Failure') why = `Container ${ac.name} failed liveness probe, will be restarted`;
          else if (hash && c.hash && hash !== c.hash) why = `Container ${ac.name} definition changed, will be restarted`;
          if (why) actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: graceSeconds(pod), message: why });
          continue;
        }
        if (c.state === 'exited') {
          if (shouldRestart(policy, c.exitCode)) restartExited(c, 'app');
          continue;
        }
        actions.push({ kind: 'removeContainer', id: c.id });
        if (!failureHolds(ac.name)) start(ac.name, 'app');
      }
      // ephemeral containers: each started once the pod runs, and never again (whatever its end)
      for (const ec of spec.ephemeralContainers ?? []) {
        if (latest(ec.name, 'ephemeral') || failureHolds(ec.name)) continue;
        start(ec.name, 'ephemeral');
      }
    }
  }

  const status = podStatus(o, now, { waiting, sandboxUp, failedInit, deleting });
  terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (terminal && !deleting && oldPhase !== status.phase) {
    // finishing now: stop what still runs (its sandbox, sidecars) and start nothing
    const keepActs = actions.filter((a) => a.kind === 'removeContainer' || a.kind === 'removeSandbox' || a.kind === 'killContainer' || a.kind === 'stopSandbox');
    actions.length = 0;
    actions.push(...keepActs);
    for (const c of running) {
      if (!actions.some((a) => a.kind === 'killContainer' && a.id === c.id)) actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: graceSeconds(pod), message: 'Stopping container' });
    }
    if (current?.ready && !actions.some((a) => a.kind === 'stopSandbox' && a.id === current.id)) actions.push({ kind: 'stopSandbox', id: current.id });
  }
  return { actions, status, backoff: book, ...(Number.isFinite(requeue) ? { requeueAfterMs: requeue } : {}) };
}

/** What the runtime should do for a pod that no longer exists in the API: remove all of it. */
export function cleanupOrphan(sandboxes: ObservedSandbox[], containers: ObservedContainer[]): SyncAction[] {
  const actions: SyncAction[] = [];
  for (const c of containers) if (c.state === 'running') actions.push({ kind: 'killContainer', id: c.id, name: c.name, gracePeriodSeconds: 0, message: 'Pod no longer exists' });
  for (const s of sandboxes) if (s.ready) actions.push({ kind: 'stopSandbox', id: s.id });
  for (const c of containers) actions.push({ kind: 'removeContainer', id: c.id });
  for (const s of sandboxes) actions.push({ kind: 'removeSandbox', id: s.id });
  return actions;
}

// ---- status ---------------------------------------------------------------------------------

interface StatusContext {
  waiting: Map<string, Waiting>;
  sandboxUp: boolean;
  failedInit: boolean;
  deleting: boolean;
}

function terminated(o: PodObservation, c: ObservedContainer): ContainerState {
  const at = (t: Instant | undefined) => rfc3339(t ?? c.createdAt);
  return {
    terminated: {
      exitCode: c.exitCode,
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      startedAt: at(c.startedAt),
      finishedAt: at(c.finishedAt),
      containerID: `${o.runtimeName}://${c.id}`,
    },
  };
}

function containerStatuses(o: PodObservation, specs: PodContainer[], kind: ContainerKind, ctx: StatusContext): ContainerStatus[] {
  const hasInit = (o.pod.spec?.initContainers ?? []).length > 0;
  const st = o.pod.status;
  const old = kind === 'init' ? st?.initContainerStatuses : kind === 'app' ? st?.containerStatuses : st?.ephemeralContainerStatuses;
  const instances = o.containers.filter((c) => c.kind === kind).sort(byNewest);
  return specs.map((spec) => {
    const mine = instances.filter((c) => c.name === spec.name);
    const cur = mine[0];
    const prev = mine.find((c) => c !== cur && c.state === 'exited');
    const oldStatus = old?.find((s) => s.name === spec.name);
    const s: ContainerStatus = {
      name: spec.name,
      image: cur?.image || spec.image || '',
      imageID: cur?.imageRef ?? '',
      ...(cur ? { containerID: `${o.runtimeName}://${cur.id}` } : {}),
      ready: false,
      restartCount: cur?.attempt ?? oldStatus?.restartCount ?? 0,
      started: false,
      state: { waiting: { reason: hasInit ? 'PodInitializing' : 'ContainerCreating' } },
      lastState: prev ? terminated(o, prev) : (oldStatus?.lastState ?? {}),
    };
    // nothing of it in the runtime (removed, or a restarted node): an ended container's status is kept as it was
    if (!cur && oldStatus?.state?.terminated) return { ...oldStatus, ready: oldStatus.ready ?? false };
    if (cur?.state === 'running') {
      const p = o.probes[cur.id] ?? {};
      const started = spec.startupProbe ? p.startup === 'Success' : true;
      s.state = { running: { startedAt: rfc3339(cur.startedAt ?? cur.createdAt) } };
      s.started = started;
      // a regular init container is never ready while it runs (prober manager's UpdatePodStatus)
      s.ready = (kind === 'app' || isSidecar(spec)) && started && (spec.readinessProbe ? p.readiness === 'Success' : true);
    } else if (cur?.state === 'exited') {
      s.state = terminated(o, cur);
      // ...and ready once it has succeeded
      s.ready = kind === 'init' && !isSidecar(spec) && cur.exitCode === 0;
    } else if (cur) {
      s.state = { waiting: { reason: 'ContainerCreating' } };
    }
    const w = ctx.waiting.get(spec.name);
    if (w && !(cur?.state === 'running')) {
      if (s.state?.terminated) s.lastState = s.state;
      s.state = { waiting: { reason: w.reason, ...(w.message ? { message: w.message } : {}) } };
    }
    return s;
  });
}

/** getPhase (kubelet_pods.go): regular init containers, sidecars (restartable init containers), app containers. */
export function podPhase(pod: PodObj, init: ContainerStatus[], app: ContainerStatus[], deletingDone: boolean): PodStatus['phase'] {
  const policy = restartPolicy(pod);
  const specs = pod.spec?.initContainers ?? [];
  let pendingInit = 0;
  let failedInit = 0;
  let pendingSidecars = 0;
  for (const s of init) {
    if (specs.find((c) => c.name === s.name && isSidecar(c))) {
      // a sidecar holds the pod Pending until it has started; its ends do not count
      if (s.state?.running) {
        if (!s.started) pendingSidecars++;
      } else if (s.state?.waiting && !s.lastState?.terminated) pendingSidecars++;
      continue;
    }
    if (s.state?.running) pendingInit++;
    else if (s.state?.terminated) {
      if (s.state.terminated.exitCode !== 0) failedInit++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated && s.lastState.terminated.exitCode !== 0) failedInit++;
      else pendingInit++;
    } else pendingInit++;
  }
  // a sidecar restarting after the app containers have run does not take the pod back to Pending
  const regularStarted = app.some((s) => s.state?.running || s.state?.terminated || s.lastState?.terminated);
  if (pendingSidecars > 0 && !regularStarted) pendingInit++;
  let waiting = 0;
  let runningN = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const s of app) {
    if (s.state?.running) runningN++;
    else if (s.state?.terminated) {
      stopped++;
      if (s.state.terminated.exitCode === 0) succeeded++;
    } else if (s.state?.waiting) {
      if (s.lastState?.terminated) stopped++;
      else waiting++;
    }
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || (failedInit > 0 && policy !== 'Never')) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (runningN > 0) return 'Running';
  if (stopped > 0) {
    if (deletingDone) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function condition(pod: PodObj, type: string, ok: boolean, now: Instant, reason?: string, message?: string): PodCondition {
  const old = pod.status?.conditions?.find((c) => c.type === type);
  const status = ok ? 'True' : 'False';
  return {
    type,
    status,
    // (no lastProbeTime: upstream's is a null the API server here does not keep, and a field that
    // does not survive the round trip would make every status look changed once more)
    lastTransitionTime: old && old.status === status && old.lastTransitionTime ? old.lastTransitionTime : rfc3339(now),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

function podStatus(o: PodObservation, now: Instant, ctx: StatusContext): PodStatus {
  const pod = o.pod;
  const old = pod.status ?? {};
  const init = containerStatuses(o, pod.spec?.initContainers ?? [], 'init', ctx);
  const app = containerStatuses(o, pod.spec?.containers ?? [], 'app', ctx);
  const ephemeral = containerStatuses(o, (pod.spec?.ephemeralContainers ?? []) as PodContainer[], 'ephemeral', ctx);
  const deletingDone = ctx.deleting && !o.containers.some((c) => c.state === 'running') && !o.sandboxes.some((s) => s.ready);
  let phase = podPhase(pod, init, app, deletingDone);
  if (ctx.failedInit) phase = 'Failed';
  // the kubelet never moves a pod out of a terminal phase
  if (old.phase === 'Succeeded' || old.phase === 'Failed') phase = old.phase;
  const done = phase === 'Succeeded' || phase === 'Failed';
  const completed = phase === 'Succeeded' ? 'PodCompleted' : undefined;

  const incompleteInit = (pod.spec?.initContainers ?? [])
    .filter((c) => !init.find((s) => s.name === c.name && (isSidecar(c) ? s.started === true : s.state?.terminated?.exitCode === 0)))
    .map((c) => c.name);
  const wasInitialized = old.conditions?.some((c) => c.type === 'Initialized' && c.status === 'True') === true;
  const initialized = incompleteInit.length === 0 || wasInitialized;
  const sidecars = new Set((pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name));
  const unready = [...init.filter((s) => sidecars.has(s.name)), ...app].filter((s) => !s.ready).map((s) => s.name);
  const containersReady = unready.length === 0 && !done;
  const notReadyMsg = unready.length ? `containers with unready status: [${unready.join(' ')}]` : undefined;
  const readinessGates = (pod.spec?.readinessGates ?? []).map((g) => g.conditionType);
  const gatesFailing = readinessGates.filter((t) => old.conditions?.find((c) => c.type === t)?.status !== 'True');
  const ready = containersReady && gatesFailing.length === 0;
  const readyReason = completed ?? (containersReady ? (gatesFailing.length ? 'ReadinessGatesNotReady' : undefined) : 'ContainersNotReady');
  const readyMsg = completed ? undefined : containersReady ? (gatesFailing.length ? `corresponding condition of pod readiness gate "${gatesFailing[0]}" does not exist.` : undefined) : notReadyMsg;

  const conditions: PodCondition[] = [
    condition(pod, 'PodReadyToStartContainers', ctx.sandboxUp, now),
    condition(pod, 'Initialized', initialized, now, completed ?? (initialized ? undefined : 'ContainersNotInitialized'), initialized ? undefined : `containers with incomplete status: [${incompleteInit.join(' ')}]`),
    condition(pod, 'Ready', ready, now, readyReason, readyMsg),
    condition(pod, 'ContainersReady', containersReady, now, completed ?? (containersReady ? undefined : 'ContainersNotReady'), completed ? undefined : containersReady ? undefined : notReadyMsg),
  ];
  // conditions others own (PodScheduled, DisruptionTarget, readiness gates) are kept as they are
  const ours = new Set(conditions.map((c) => c.type));
  const others = (old.conditions ?? []).filter((c) => !ours.has(c.type));
  if (!others.some((c) => c.type === 'PodScheduled')) others.push(condition(pod, 'PodScheduled', true, now));

  const sandbox = [...o.sandboxes].sort(byNewest)[0];
  const ip = pod.spec?.hostNetwork ? o.hostIP : sandbox?.ready && sandbox.ip ? sandbox.ip : old.podIP;
  const status: PodStatus = {
    phase,
    conditions: [...conditions, ...others],
    hostIP: o.hostIP,
    hostIPs: [{ ip: o.hostIP }],
    ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
    startTime: old.startTime ?? rfc3339(now),
    ...(init.length ? { initContainerStatuses: init } : {}),
    containerStatuses: app,
    ...(ephemeral.length ? { ephemeralContainerStatuses: ephemeral } : {}),
    qosClass: old.qosClass ?? podQOSClass(pod.spec as never),
  };
  return keepUnchanged(status, old);
}

/**
 * The status with every part equal to the old status's part at the same place (a field, a list's
 * item) being the old part itself. The same JSON either way; but where the old status is the
 * stored pod's own, the writer and the store see by identity what did not change (nothing to
 * prune, copy or freeze again), and so does statusChanged.
 */
function keepUnchanged(status: PodStatus, old: PodStatus): PodStatus {
  const mine = status as Record<string, unknown>;
  const was = old as Record<string, unknown>;
  for (const k in mine) {
    const v = mine[k];
    const o = was[k];
    if (v === o || o === undefined) continue;
    if (Array.isArray(v) && Array.isArray(o)) {
      let same = v.length === o.length;
      for (let i = 0; i < v.length; i++) {
        if (i < o.length && v[i] !== o[i] && deepEqual(v[i], o[i])) v[i] = o[i];
        if (v[i] !== o[i]) same = false;
      }
      if (same) mine[k] = o;
    } else if (typeof v === 'object' && deepEqual(v, o)) mine[k] = o;
  }
  return status;
}

/** Whether a newly computed status differs from the one the API has (the status manager writes only then). */
export function statusChanged(pod: PodObj, status: PodStatus): boolean {
  // Fields other writers own stay as they are: the status written is the old one with these
  // fields over it, which differs from it where one of these does (deepEqual holds an undefined
  // field absent, as JSON does).
  const old = (pod.status ?? {}) as Record<string, unknown>;
  const mine = status as Record<string, unknown>;
  for (const k in mine) if (!deepEqual(old[k], mine[k])) return true;
  return false;
}


/**
 * Whether a pod update from the API calls for a sync (upstream's pod config, checkAndUpdatePod):
 * a change of spec, labels, annotations or deletion is an update; a change of status alone is a
 * "reconcile", which syncs the pod only when its readiness needs reconciling
 * (NeedToReconcilePodReadiness: here, a readiness gate's condition changed). The kubelet's own
 * status writes come back as such updates: they start no sync of their own.
 */
export function podUpdateNeedsSync(pod: PodObj, old: PodObj): boolean {
  if (pod.spec !== old.spec && !deepEqual(pod.spec, old.spec)) return true;
  const m = pod.metadata;
  const o = old.metadata;
  if (m.labels !== o.labels && !deepEqual(m.labels ?? {}, o.labels ?? {})) return true;
  if (m.annotations !== o.annotations && !deepEqual(m.annotations ?? {}, o.annotations ?? {})) return true;
  if (m.deletionTimestamp !== o.deletionTimestamp || m.deletionGracePeriodSeconds !== o.deletionGracePeriodSeconds) return true;
  for (const g of pod.spec?.readinessGates ?? []) {
    const cond = (p: PodObj) => p.status?.conditions?.find((c) => c.type === g.conditionType)?.status;
    if (cond(pod) !== cond(old)) return true;
  }
  return false;
}
