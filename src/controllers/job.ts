// The Job controller (upstream pkg/controller/job): run pods until `completions` succeed,
// `parallelism` at a time; replace failed pods after an exponential back-off (10 s doubling, at
// most 10 minutes, as upstream's DefaultJobPodFailureBackOff/MaxJobPodFailureBackOff); fail the
// Job past backoffLimit or activeDeadlineSeconds; Indexed jobs give each pod a completion index.
// Pods carry the batch.kubernetes.io/job-tracking finalizer until their outcome is counted:
// their UIDs go to status.uncountedTerminatedPods first, then the finalizer comes off, then the
// counters move, so no outcome is lost or counted twice. Terminal conditions come in two steps,
// as upstream since 1.31: SuccessCriteriaMet/FailureTarget first, Complete/Failed once no pod of
// the Job is still terminating.
import type { JobCondition, JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Container, PodSpec, PodStatus } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepClone, rfc3339 } from '../model/object.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { eventAction, keyOf, splitKey } from './runtime.js';
import { labelSelectorAsSelector } from '../model/labels.js';
import { claimObjects } from './claim.js';
import {
  comparePodsForDeletion, controlledBy, controllerOf, generateName, isPodActive, isPodReady, isPodTerminatingNotFinished, podCondition, podFromTemplate,
} from './pods.js';

export type Job = KubeObject & { spec: JobSpec; status?: JobStatus };
export type PodObject = KubeObject & { spec?: PodSpec; status?: PodStatus };

export const trackingFinalizer = 'batch.kubernetes.io/job-tracking';
export const completionIndexAnnotation = 'batch.kubernetes.io/job-completion-index';
export const completionIndexLabel = 'batch.kubernetes.io/job-completion-index';
/** How many times the pod's index had failed before it (backoffLimitPerIndex). */
export const indexFailureCountAnnotation = 'batch.kubernetes.io/job-index-failure-count';
const completionIndexEnv = 'JOB_COMPLETION_INDEX';
const component = 'job-controller';

export const DEFAULT_POD_FAILURE_BACKOFF_MS = 10_000;
export const MAX_POD_FAILURE_BACKOFF_MS = 10 * 60_000;
/** MaxUncountedPods and MaxPodCreateDeletePerSync. */
const MAX_UNCOUNTED = 500;
const MAX_CREATE_DELETE = 500;

export const reasons = {
  backoffLimitExceeded: 'BackoffLimitExceeded',
  deadlineExceeded: 'DeadlineExceeded',
  completionsReached: 'CompletionsReached',
  successPolicy: 'SuccessPolicy',
  podFailurePolicy: 'PodFailurePolicy',
  failedIndexes: 'FailedIndexes',
  maxFailedIndexesExceeded: 'MaxFailedIndexesExceeded',
} as const;
export const messages = {
  backoffLimitExceeded: 'Job has reached the specified backoff limit',
  deadlineExceeded: 'Job was active longer than specified deadline',
  completionsReached: 'Reached expected number of succeeded pods',
  failedIndexes: 'Job has failed indexes',
  maxFailedIndexesExceeded: 'Job has exceeded the specified maximal number of failed indexes',
} as const;

export type JobObservation =
  | { kind: 'job'; job?: Job; pods: PodObject[] }
  /** A pod still holding the tracking finalizer whose Job is gone or finished. */
  | { kind: 'orphan'; pod?: PodObject; job?: Job };

// ---- small helpers ----

const hasFinalizer = (p: KubeObject) => (p.metadata.finalizers ?? []).includes(trackingFinalizer);
const isIndexed = (job: Job) => job.spec.completionMode === 'Indexed';
const isSuspended = (job: Job) => job.spec.suspend === true;
const time = (s: string | undefined) => (s ? Date.parse(s) : undefined);

export function finishedCondition(job: Job): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}
export const isJobFinished = (job: Job) => !!finishedCondition(job);

/** The pod's completion index, or -1 when it has none (getCompletionIndex). */
export function completionIndex(p: KubeObject): number {
  const v = p.metadata.annotations?.[completionIndexAnnotation];
  if (v === undefined || !/^[0-9]+$/.test(v)) return -1;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : -1;
}

/** onlyReplaceFailedPods: a pod being deleted is waited for until it has failed (podReplacementPolicy Failed, or a pod failure policy). */
function onlyReplaceFailed(job: Job): boolean {
  return job.spec.podReplacementPolicy === 'Failed' || !!job.spec.podFailurePolicy;
}

/** isPodFailed: failed, or (unless only failed pods are replaced) deleted before it succeeded. */
function isPodFailed(p: PodObject, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (onlyReplaceFailed(job)) return false;
  return !!p.metadata.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

/**
 * matchPodFailurePolicy: the first rule a failed pod matches, with its action and, for FailJob,
 * the message upstream gives; undefined: no rule matches (the failure counts). Exit codes are
 * looked up in the app containers first, then the init containers, among those that failed.
 */
export function matchPodFailurePolicy(job: Job, p: PodObject): { action: string; message: string } | undefined {
  const rules = job.spec.podFailurePolicy?.rules ?? [];
  if (p.status?.phase !== 'Failed') return undefined;
  const failedIn = (list: PodStatus['containerStatuses'], req: NonNullable<(typeof rules)[number]['onExitCodes']>) =>
    (list ?? []).find((c) => {
      const code = c.state?.terminated?.exitCode;
      if (code === undefined || code === 0 || (req.containerName && req.containerName !== c.name)) return false;
      return req.operator === 'In' ? req.values.includes(code) : req.operator === 'NotIn' ? !req.values.includes(code) : false;
    });
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.onExitCodes) {
      const c = failedIn(p.status?.containerStatuses, r.onExitCodes) ?? failedIn(p.status?.initContainerStatuses, r.onExitCodes);
      if (c) return { action: r.action, message: `Container ${c.name} for pod ${p.metadata.namespace}/${p.metadata.name} failed with exit code ${c.state!.terminated!.exitCode} matching ${r.action} rule at index ${i}` };
    }
    for (const pattern of r.onPodConditions ?? []) {
      const cond = (p.status?.conditions ?? []).find((c) => c.type === pattern.type && c.status === (pattern.status ?? 'True'));
      if (cond) return { action: r.action, message: `Pod ${p.metadata.namespace}/${p.metadata.name} has condition ${cond.type} matching ${r.action} rule at index ${i}` };
    }
  }
  return undefined;
}

/** getFinishedTime: when the pod ended, for the back-off (containers, then Ready=False, then deletion, then creation). */
export function finishedTime(p: PodObject): number {
  let latest: number | undefined;
  let allTerminated = (p.status?.containerStatuses ?? []).length > 0;
  for (const c of p.status?.containerStatuses ?? []) {
    const t = time(c.state?.terminated?.finishedAt);
    if (t === undefined) {
      allTerminated = false;
      break;
    }
    latest = latest === undefined ? t : Math.max(latest, t);
  }
  if (allTerminated && latest !== undefined) return latest;
  const ready = podCondition(p, 'Ready');
  if (ready?.status === 'False' && ready.lastTransitionTime) return Date.parse(ready.lastTransitionTime);
  if (p.metadata.deletionTimestamp) return Date.parse(p.metadata.deletionTimestamp) - (p.metadata.deletionGracePeriodSeconds ?? 0) * 1000;
  return time(p.metadata.creationTimestamp) ?? 0;
}

/** How long to wait before replacing failed pods: 10 s doubling per failure since the last success, capped. */
export function backoffRemaining(failuresAfterLastSuccess: number, lastFailure: number | undefined, now: Instant): number {
  if (failuresAfterLastSuccess === 0 || lastFailure === undefined) return 0;
  let backoff = DEFAULT_POD_FAILURE_BACKOFF_MS;
  for (let i = 1; i < failuresAfterLastSuccess; i++) {
    backoff *= 2;
    if (backoff >= MAX_POD_FAILURE_BACKOFF_MS) {
      backoff = MAX_POD_FAILURE_BACKOFF_MS;
      break;
    }
  }
  const elapsed = now - lastFailure;
  return backoff < elapsed ? 0 : backoff - elapsed;
}

/**
 * The back-off record, rebuilt from the pods the Job still has: failures that finished after the
 * newest success, and when the last of them finished. (Upstream keeps this in memory; finished
 * pods stay until the Job goes, so the pods carry the same facts.)
 */
export function backoffRecord(pods: PodObject[], job: Job): { failures: number; lastFailure?: number } {
  const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').map(finishedTime);
  const lastSuccess = succeeded.length ? Math.max(...succeeded) : -Infinity;
  let failures = 0;
  let lastFailure: number | undefined;
  for (const p of pods) {
    if (!isPodFailed(p, job)) continue;
    const t = finishedTime(p);
    if (t > lastSuccess) {
      failures++;
      lastFailure = lastFailure === undefined ? t : Math.max(lastFailure, t);
    }
  }
  return lastFailure === undefined ? { failures } : { failures, lastFailure };
}

// ---- completed indexes as ordered intervals ("1,3-5,7") ----

type Interval = [number, number];

/** parseIndexesFromString: intervals within [0, completions), in order. */
export function parseIndexes(s: string | undefined, completions: number): Interval[] {
  const out: Interval[] = [];
  if (!s) return out;
  for (const part of s.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part);
    if (!m) continue;
    const first = Number(m[1]);
    const last = Math.min(m[2] !== undefined ? Number(m[2]) : first, completions - 1);
    if (first >= completions || last < first) continue;
    out.push([first, last]);
  }
  return out;
}

export function withIndexes(intervals: Interval[], indexes: number[]): Interval[] {
  const all = new Set<number>();
  for (const [a, b] of intervals) for (let i = a; i <= b; i++) all.add(i);
  for (const i of indexes) all.add(i);
  const sorted = [...all].sort((a, b) => a - b);
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && last[1] + 1 === i) last[1] = i;
    else out.push([i, i]);
  }
  return out;
}

export const formatIndexes = (iv: Interval[]) => iv.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',');
const totalIndexes = (iv: Interval[]) => iv.reduce((n, [a, b]) => n + b - a + 1, 0);
const hasIndex = (iv: Interval[], i: number) => iv.some(([a, b]) => i >= a && i <= b);

// ---- the controller ----

export function jobController(): Controller<JobObservation> {
  const podKeys = (p: KubeObject, view: ClusterView): string[] => {
    const ref = controllerOf(p);
    const ns = p.metadata.namespace;
    if (!ns) return [];
    const job = ref?.kind === 'Job' ? (view.get(R.jobs, ns, ref.name) as Job | undefined) : undefined;
    if (job && job.metadata.uid === ref!.uid) {
      if (isJobFinished(job) && hasFinalizer(p)) return [`orphan:${ns}/${p.metadata.name}`];
      return [`${ns}/${job.metadata.name}`];
    }
    return hasFinalizer(p) ? [`orphan:${ns}/${p.metadata.name}`] : [];
  };
  return {
    name: 'job',
    watches: [
      { resource: R.jobs, keys: (o) => [keyOf(o)] },
      { resource: R.pods, keys: podKeys },
    ],
    observe(key, view) {
      if (key.startsWith('orphan:')) {
        const { namespace, name } = splitKey(key.slice('orphan:'.length));
        const pod = view.get(R.pods, namespace, name) as PodObject | undefined;
        const ref = pod && controllerOf(pod);
        const job = ref?.kind === 'Job' ? (view.get(R.jobs, namespace, ref.name) as Job | undefined) : undefined;
        return { kind: 'orphan', ...(pod ? { pod } : {}), ...(job && job.metadata.uid === ref!.uid ? { job } : {}) };
      }
      const { namespace, name } = splitKey(key);
      const job = view.get(R.jobs, namespace, name) as Job | undefined;
      if (!job) return { kind: 'job', pods: [] };
      // Owned pods, and orphans the Job's selector might adopt.
      return { kind: 'job', job, pods: [...controlledBy(view, job, R.pods), ...view.uncontrolled(R.pods, namespace ?? '')] as PodObject[] };
    },
    reconcile: (obs, now) => {
      if (obs.kind === 'orphan') return reconcileOrphanPod(obs);
      if (!obs.job) return { actions: [] };
      let selector;
      try {
        selector = labelSelectorAsSelector(obs.job.spec.selector);
      } catch {
        return { actions: [] };
      }
      const claim = claimObjects(obs.job, R.pods, selector, obs.pods);
      const decision = reconcileJob(obs.job, claim.claimed as PodObject[], now);
      return { ...decision, actions: [...claim.actions, ...decision.actions] };
    },
  };
}

const removeFinalizerPatch = (p: KubeObject): Action => ({
  kind: 'patch', resource: R.pods, namespace: p.metadata.namespace!, name: p.metadata.name!, patchType: 'application/strategic-merge-patch+json',
  patch: { metadata: { '$deleteFromPrimitiveList/finalizers': [trackingFinalizer] } },
});

/** The orphan worker: a pod whose Job is gone (or finished) gives up its tracking finalizer. */
export function reconcileOrphanPod(obs: Extract<JobObservation, { kind: 'orphan' }>): Decision {
  const pod = obs.pod;
  if (!pod || !hasFinalizer(pod)) return { actions: [] };
  if (obs.job && !isJobFinished(obs.job)) return { actions: [] };
  return { actions: [removeFinalizerPatch(pod)] };
}

function newCondition(type: string, reason: string, message: string, now: Instant, status = 'True'): JobCondition {
  const t = rfc3339(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/** ensureJobConditionStatus: add or update a condition; a False one is only ever an update. */
function ensureCondition(list: JobCondition[], type: string, status: string, reason: string, message: string, now: Instant): { list: JobCondition[]; changed: boolean } {
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i]!;
    if (c.status !== status || c.reason !== reason || c.message !== message) {
      const next = [...list];
      next[i] = newCondition(type, reason, message, now, status);
      return { list: next, changed: true };
    }
    return { list, changed: false };
  }
  if (status !== 'False') return { list: [...list, newCondition(type, reason, message, now, status)], changed: true };
  return { list, changed: false };
}

/** activePodsForRemoval: for Indexed jobs, pods without a valid index and duplicates first; then the least advanced. */
function activePodsForRemoval(job: Job, pods: PodObject[], atLeast: number): PodObject[] {
  let rm: PodObject[] = [];
  let left: PodObject[] = pods;
  if (isIndexed(job)) {
    const completions = job.spec.completions ?? 0;
    rm = [];
    left = [];
    const byIndex = new Map<number, PodObject[]>();
    for (const p of pods) {
      const ix = completionIndex(p);
      if (ix < 0 || ix >= completions) rm.push(p);
      else byIndex.set(ix, [...(byIndex.get(ix) ?? []), p]);
    }
    for (const ix of [...byIndex.keys()].sort((a, b) => a - b)) {
      const same = byIndex.get(ix)!.sort(comparePodsForDeletion);
      rm.push(...same.slice(0, -1));
      left.push(same[same.length - 1]!);
    }
  }
  if (rm.length < atLeast) rm.push(...[...left].sort(comparePodsForDeletion).slice(0, atLeast - rm.length));
  return rm;
}

/** addCompletionIndexEnvVariables: JOB_COMPLETION_INDEX from the annotation, in every container that lacks it. */
function withIndexEnv(containers: Container[] | undefined): Container[] | undefined {
  return containers?.map((c) => (c.env ?? []).some((e) => e.name === completionIndexEnv) ? c : {
    ...c,
    env: [...(c.env ?? []), { name: completionIndexEnv, valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${completionIndexAnnotation}']` } } }],
  });
}

/** matchSuccessPolicy (Indexed jobs): the message of the first rule the succeeded indexes satisfy. */
function matchSuccessPolicy(job: Job, succeeded: Interval[]): string | undefined {
  const rules = job.spec.successPolicy?.rules ?? [];
  if (!rules.length || !succeeded.length) return undefined;
  const completions = job.spec.completions ?? 0;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      if (!required.length) continue;
      let contained = 0;
      for (const [a, b] of required) for (let x = a; x <= b; x++) if (hasIndex(succeeded, x)) contained++;
      if (rule.succeededCount !== undefined ? contained >= rule.succeededCount : contained === totalIndexes(required)) return `Matched rules at index ${i}`;
    } else if (rule.succeededCount !== undefined && totalIndexes(succeeded) >= rule.succeededCount) {
      return `Matched rules at index ${i}`;
    }
  }
  return undefined;
}

/** syncJob, pure: the Job and its pods in, the writes that move it toward completion out. */
export function reconcileJob(job: Job | undefined, pods: PodObject[], now: Instant): Decision {
  if (!job || isJobFinished(job)) return { actions: [] };
  const ns = job.metadata.namespace!;
  const actions: Action[] = [];
  let seq = 0;
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => actions.push(eventAction(job, type, reason, message, now, component, seq++));
  const mode = job.spec.completionMode;
  if (mode && mode !== 'NonIndexed' && mode !== 'Indexed') {
    event('Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
    return { actions };
  }
  const old = job.status ?? {};
  const status: JobStatus = deepClone(old);
  const uncounted = { succeeded: [...(old.uncountedTerminatedPods?.succeeded ?? [])], failed: [...(old.uncountedTerminatedPods?.failed ?? [])] };
  const inSucceeded = new Set(uncounted.succeeded);
  const inFailed = new Set(uncounted.failed);
  const completions = job.spec.completions;
  const parallelism = job.spec.parallelism ?? 1;
  const indexed = isIndexed(job);
  const validIndex = (p: KubeObject) => !indexed || (completionIndex(p) >= 0 && completionIndex(p) < (completions ?? 0));

  const activePods = pods.filter(isPodActive);
  let active = activePods.length;
  let ready = activePods.filter(isPodReady).length;
  let terminating = pods.filter(isPodTerminatingNotFinished).length;
  const newSucceeded = pods.filter((p) => hasFinalizer(p) && !inSucceeded.has(p.metadata.uid!) && validIndex(p) && p.status?.phase === 'Succeeded');
  const failedNow = pods.filter((p) => hasFinalizer(p) && !inFailed.has(p.metadata.uid!) && validIndex(p) && isPodFailed(p, job));
  // The pod failure policy: Ignore keeps a failure out of the count, FailJob fails the Job at once.
  const ignored = new Set<string>();
  let failJob: string | undefined;
  for (const p of failedNow) {
    const m = matchPodFailurePolicy(job, p);
    if (m?.action === 'Ignore') ignored.add(p.metadata.uid!);
    else if (m?.action === 'FailJob') failJob ??= m.message;
  }
  const newFailed = failedNow.filter((p) => !ignored.has(p.metadata.uid!));
  // backoffLimitPerIndex (Indexed): each index's failures, counted on its pods; an index past its
  // limit (or one a FailIndex rule names) fails for good and is not run again.
  const perIndex = indexed ? job.spec.backoffLimitPerIndex : undefined;
  const indexFailures = new Map<number, { count: number; last: number }>();
  let failedIndexes: Interval[] = [];
  if (perIndex !== undefined && perIndex !== null) {
    const failIndex: number[] = [];
    for (const p of pods) {
      const ix = completionIndex(p);
      if (!validIndex(p) || !isPodFailed(p, job)) continue;
      const m = matchPodFailurePolicy(job, p);
      if (m?.action === 'Ignore') continue;
      if (m?.action === 'FailIndex') failIndex.push(ix);
      const before = Number(p.metadata.annotations?.[indexFailureCountAnnotation] ?? '0') || 0;
      const e = indexFailures.get(ix) ?? { count: 0, last: -Infinity };
      indexFailures.set(ix, { count: Math.max(e.count + 1, before + 1), last: Math.max(e.last, finishedTime(p)) });
    }
    const over = [...indexFailures].filter(([, f]) => f.count > perIndex).map(([ix]) => ix);
    failedIndexes = withIndexes(parseIndexes(old.failedIndexes, completions ?? 0), [...over, ...failIndex]);
    status.failedIndexes = formatIndexes(failedIndexes);
  }
  let succeeded = (old.succeeded ?? 0) + newSucceeded.length + uncounted.succeeded.length;
  const failed = (old.failed ?? 0) + newFailed.length + uncounted.failed.length;

  if (!status.startTime && !isSuspended(job)) status.startTime = rfc3339(now);
  const startTime = time(status.startTime);

  let requeueAfterMs: number | undefined;
  const requeue = (ms: number) => {
    const d = Math.max(1, Math.ceil(ms));
    requeueAfterMs = requeueAfterMs === undefined ? d : Math.min(requeueAfterMs, d);
  };

  const conditions = status.conditions ?? [];
  let finished: JobCondition | undefined = conditions.find((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True');
  if (!finished) {
    const target = conditions.find((c) => c.type === 'FailureTarget' && c.status === 'True');
    if (target) finished = newCondition('Failed', target.reason ?? '', target.message ?? '', now);
  }
  if (!finished) {
    const restarts = job.spec.template?.spec?.restartPolicy === 'OnFailure'
      ? pods.filter((p) => p.status?.phase === 'Running' || p.status?.phase === 'Pending')
        .reduce((n, p) => n + [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])].reduce((m, c) => m + (c.restartCount ?? 0), 0), 0)
      : -1;
    const backoffLimit = job.spec.backoffLimit ?? 6;
    const pastOnFailure = restarts >= 0 && (backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit);
    const deadline = job.spec.activeDeadlineSeconds;
    const maxFailed = job.spec.maxFailedIndexes;
    if (failJob !== undefined) {
      finished = newCondition('FailureTarget', reasons.podFailurePolicy, failJob, now);
    } else if (maxFailed !== undefined && maxFailed !== null && totalIndexes(failedIndexes) > maxFailed) {
      finished = newCondition('FailureTarget', reasons.maxFailedIndexesExceeded, messages.maxFailedIndexesExceeded, now);
    } else if (failed > backoffLimit || pastOnFailure) {
      finished = newCondition('FailureTarget', reasons.backoffLimitExceeded, messages.backoffLimitExceeded, now);
    } else if (deadline !== undefined && startTime !== undefined && !isSuspended(job) && now - startTime >= deadline * 1000) {
      finished = newCondition('FailureTarget', reasons.deadlineExceeded, messages.deadlineExceeded, now);
    } else if (deadline !== undefined && !isSuspended(job) && startTime !== undefined) {
      requeue(deadline * 1000 - (now - startTime));
    }
  }

  let prevSucceededIndexes: Interval[] = [];
  let succeededIndexes: Interval[] = [];
  if (indexed) {
    prevSucceededIndexes = parseIndexes(old.completedIndexes, completions ?? 0);
    const fresh = pods.filter((p) => p.status?.phase === 'Succeeded' && validIndex(p) && hasFinalizer(p)).map(completionIndex);
    succeededIndexes = withIndexes(prevSucceededIndexes, fresh);
    succeeded = totalIndexes(succeededIndexes);
    if (!finished) {
      const msg = matchSuccessPolicy(job, succeededIndexes);
      if (msg) finished = newCondition('SuccessCriteriaMet', reasons.successPolicy, msg, now);
    }
  }

  const taken = new Set(pods.map((p) => p.metadata.name!));
  let counter = (old.succeeded ?? 0) + (old.failed ?? 0) + pods.length;
  const deletePod = (p: PodObject, dropFinalizer: boolean) => {
    if (dropFinalizer && hasFinalizer(p)) actions.push(removeFinalizerPatch(p));
    actions.push({ kind: 'delete', resource: R.pods, namespace: ns, name: p.metadata.name!, options: { preconditions: { uid: p.metadata.uid! } } });
    event('Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
  };
  const removeActive = (list: PodObject[], dropFinalizer: boolean) => {
    for (const p of list) {
      deletePod(p, dropFinalizer);
      active--;
      terminating++;
      if (isPodReady(p)) ready--;
    }
  };

  let suspendChanged = false;
  if (finished) {
    // The Job is ending: stop what still runs, keeping finalizers so the outcomes are counted.
    removeActive(activePods, false);
  } else {
    let manageCalled = false;
    if (!job.metadata.deletionTimestamp) {
      manageCalled = true;
      if (isSuspended(job)) {
        removeActive(activePodsForRemoval(job, activePods, active), true);
      } else {
        let wantActive: number;
        if (completions === undefined || completions === null) wantActive = succeeded > 0 ? active : parallelism;
        else wantActive = Math.max(0, Math.min(completions - succeeded, parallelism));
        const rmAtLeast = Math.max(0, active - wantActive);
        const toDelete = activePodsForRemoval(job, activePods, rmAtLeast).slice(0, MAX_CREATE_DELETE);
        if (toDelete.length) {
          removeActive(toDelete, true);
        } else {
          const waiting = onlyReplaceFailed(job) ? terminating : 0;
          let diff = wantActive - waiting - active;
          if (diff > 0) {
            // with a limit per index, each index waits out its own back-off (below), not the Job's
            const record = perIndex !== undefined && perIndex !== null ? { failures: 0 } : backoffRecord(pods, job);
            const remaining = backoffRemaining(record.failures, record.lastFailure, now);
            if (remaining > 0) requeue(remaining);
            else {
              diff = Math.min(diff, MAX_CREATE_DELETE);
              let indexes: number[] = [];
              if (indexed) {
                const busy = new Set(activePods.map(completionIndex));
                for (let i = 0; i < (completions ?? 0) && indexes.length < diff; i++) {
                  if (hasIndex(succeededIndexes, i) || hasIndex(failedIndexes, i) || busy.has(i)) continue;
                  const f = indexFailures.get(i);
                  const wait = f ? backoffRemaining(f.count, f.last, now) : 0;
                  if (wait > 0) requeue(wait);
                  else indexes.push(i);
                }
                diff = indexes.length;
              }
              const template = deepClone(job.spec.template);
              if (indexed && template.spec) {
                template.spec.containers = withIndexEnv(template.spec.containers) ?? [];
                const init = withIndexEnv(template.spec.initContainers);
                if (init) template.spec.initContainers = init;
              }
              template.metadata = { ...(template.metadata ?? {}), finalizers: [...new Set([...(template.metadata?.finalizers ?? []), trackingFinalizer])] };
              for (let i = 0; i < diff; i++) {
                const ix = indexed ? indexes[i]! : -1;
                const prefix = ix >= 0 ? `${job.metadata.name}-${ix}-` : `${job.metadata.name}-`;
                const seed = ix >= 0 ? `${job.metadata.uid}/${ix}` : job.metadata.uid!;
                const gen = generateName(prefix, seed, counter, (n) => taken.has(n));
                counter = gen.next;
                taken.add(gen.name);
                const pod = podFromTemplate(template, job, gen.name) as PodObject;
                if (ix >= 0) {
                  const fails = indexFailures.get(ix)?.count;
                  pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [completionIndexAnnotation]: String(ix), ...(perIndex !== undefined && perIndex !== null ? { [indexFailureCountAnnotation]: String(fails ?? 0) } : {}) };
                  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [completionIndexLabel]: String(ix) };
                  pod.spec = { ...(pod.spec ?? { containers: [] }), hostname: `${job.metadata.name}-${ix}` };
                }
                actions.push({ kind: 'create', resource: R.pods, namespace: ns, object: pod });
                event('Normal', 'SuccessfulCreate', `Created pod: ${gen.name}`);
                active++;
              }
            }
          }
        }
      }
    }
    const complete = completions === undefined || completions === null ? succeeded > 0 && active === 0 : succeeded >= completions && active === 0;
    const settledWithFailures = failedIndexes.length > 0 && active === 0 && succeeded + totalIndexes(failedIndexes) >= (completions ?? 0);
    if (settledWithFailures) {
      finished = newCondition('FailureTarget', reasons.failedIndexes, messages.failedIndexes, now);
    } else if (complete) {
      finished = newCondition('SuccessCriteriaMet', reasons.completionsReached, messages.completionsReached, now);
    } else if (manageCalled) {
      if (isSuspended(job)) {
        const r = ensureCondition(conditions, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
        if (r.changed) {
          status.conditions = r.list;
          suspendChanged = true;
          event('Normal', 'Suspended', 'Job suspended');
        }
      } else {
        const r = ensureCondition(conditions, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        if (r.changed) {
          status.conditions = r.list;
          suspendChanged = true;
          event('Normal', 'Resumed', 'Job resumed');
          // activeDeadlineSeconds counts from the resumption.
          status.startTime = rfc3339(now);
        }
      }
    }
  }

  let needsFlush = suspendChanged || active !== (old.active ?? 0) || ready !== old.ready || terminating !== old.terminating;
  status.active = active;
  status.ready = ready;
  status.terminating = terminating;

  // trackJobStatusAndRemoveFinalizers
  const withFinalizer = new Set(pods.filter(hasFinalizer).map((p) => p.metadata.uid!));
  const clean = (st: JobStatus, keep: Set<string>): boolean => {
    const u = st.uncountedTerminatedPods!;
    let changed = false;
    const s = (u.succeeded ?? []).filter((id) => keep.has(id));
    if (s.length !== (u.succeeded ?? []).length) {
      st.succeeded = (st.succeeded ?? 0) + (u.succeeded ?? []).length - s.length;
      changed = true;
    }
    const f = (u.failed ?? []).filter((id) => keep.has(id));
    if (f.length !== (u.failed ?? []).length) {
      st.failed = (st.failed ?? 0) + (u.failed ?? []).length - f.length;
      changed = true;
    }
    st.uncountedTerminatedPods = { ...(s.length ? { succeeded: s } : {}), ...(f.length ? { failed: f } : {}) };
    return changed;
  };
  status.uncountedTerminatedPods = { ...(uncounted.succeeded.length ? { succeeded: uncounted.succeeded } : {}), ...(uncounted.failed.length ? { failed: uncounted.failed } : {}) };
  if (!old.uncountedTerminatedPods) needsFlush = true;
  if (clean(status, withFinalizer)) needsFlush = true;

  const sorted = indexed ? [...pods].sort((a, b) => completionIndex(a) - completionIndex(b)) : pods;
  const toRelease: PodObject[] = [];
  const newSucceededIndexes: number[] = [];
  let reachedMax = false;
  const isSuccessCriteria = finished?.type === 'SuccessCriteriaMet';
  for (const p of sorted) {
    if (!hasFinalizer(p)) continue;
    const consideredFailed = isPodFailed(p, job);
    const canRemove = !!job.metadata.deletionTimestamp || !!finished || p.status?.phase === 'Succeeded' || consideredFailed;
    if (!canRemove) continue;
    toRelease.push(p);
    const uid = p.metadata.uid!;
    const u = status.uncountedTerminatedPods!;
    if (p.status?.phase === 'Succeeded' && !inFailed.has(uid)) {
      if (indexed) {
        const ix = completionIndex(p);
        if (ix >= 0 && ix < (completions ?? 0) && !hasIndex(prevSucceededIndexes, ix)) {
          newSucceededIndexes.push(ix);
          needsFlush = true;
        }
      } else if (!inSucceeded.has(uid)) {
        u.succeeded = [...(u.succeeded ?? []), uid];
        inSucceeded.add(uid);
        needsFlush = true;
      }
    } else if (consideredFailed || (finished && !isSuccessCriteria)) {
      if (!inFailed.has(uid) && validIndex(p) && !ignored.has(uid)) {
        u.failed = [...(u.failed ?? []), uid];
        inFailed.add(uid);
        needsFlush = true;
      }
    }
    if (newSucceededIndexes.length + (u.succeeded ?? []).length + (u.failed ?? []).length >= MAX_UNCOUNTED) {
      reachedMax = true;
      break;
    }
  }
  if (indexed) {
    succeededIndexes = withIndexes(succeededIndexes, newSucceededIndexes);
    const text = formatIndexes(succeededIndexes);
    if (text !== (old.completedIndexes ?? '')) needsFlush = true;
    status.succeeded = totalIndexes(succeededIndexes);
    status.completedIndexes = text;
  }
  // The interim condition goes in before any finalizer comes off; the terminal one follows later.
  if (finished?.type === 'FailureTarget') {
    status.conditions = [...(status.conditions ?? []), finished];
    needsFlush = true;
    finished = newCondition('Failed', finished.reason ?? '', finished.message ?? '', now);
  }
  if (finished?.type === 'SuccessCriteriaMet') {
    if (!(status.conditions ?? []).some((c) => c.type === 'SuccessCriteriaMet' && c.status === 'True')) {
      status.conditions = [...(status.conditions ?? []), finished];
      needsFlush = true;
    }
    finished = newCondition('Complete', finished.reason ?? '', finished.message ?? '', now);
  }

  const statusUpdate = (st: JobStatus): Action => {
    const next = deepClone(job);
    next.status = st;
    return { kind: 'update', resource: R.jobs, namespace: ns, object: next, subresource: 'status' };
  };
  const statusPatch = (st: JobStatus): Action => ({
    kind: 'patch', resource: R.jobs, namespace: ns, name: job.metadata.name!, patchType: 'application/merge-patch+json', subresource: 'status',
    patch: { status: { ...st, uncountedTerminatedPods: { succeeded: st.uncountedTerminatedPods?.succeeded ?? null, failed: st.uncountedTerminatedPods?.failed ?? null } } },
  });

  let wroteFirst = false;
  if (needsFlush && toRelease.length) {
    // First record which pods are about to be counted, then release them.
    actions.push(statusUpdate(deepClone(status)));
    wroteFirst = true;
    needsFlush = false;
  }
  for (const p of toRelease) actions.push(removeFinalizerPatch(p));
  const released = new Set(withFinalizer);
  for (const p of toRelease) released.delete(p.metadata.uid!);
  if (clean(status, released)) needsFlush = true;

  let jobFinished = false;
  const u = status.uncountedTerminatedPods!;
  if (!reachedMax && finished && (u.succeeded ?? []).length + (u.failed ?? []).length === 0 && terminating === 0) {
    const r = ensureCondition(status.conditions ?? [], finished.type, finished.status, finished.reason ?? '', finished.message ?? '', now);
    status.conditions = r.list;
    if (finished.type === 'Complete') status.completionTime = finished.lastTransitionTime!;
    jobFinished = true;
    needsFlush = true;
  }
  if (needsFlush) actions.push(wroteFirst ? statusPatch(status) : statusUpdate(status));
  if (jobFinished) {
    if (finished!.type === 'Complete') {
      if (completions !== undefined && completions !== null && (status.succeeded ?? 0) > completions) {
        event('Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      event('Normal', 'Completed', 'Job completed');
    } else {
      event('Warning', finished!.reason ?? '', finished!.message ?? '');
    }
  }
  return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
}
