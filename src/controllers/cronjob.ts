// The CronJob controller (upstream pkg/controller/cronjob, the v2 controller): at each time the
// schedule names, a Job `<cronjob>-<scheduled time in minutes since the epoch>` from the job
// template, subject to startingDeadlineSeconds, concurrencyPolicy and suspend; finished Jobs beyond
// the history limits are deleted, oldest first; status.active lists the running Jobs. The key is
// looked at again just after the next scheduled time (requeueAfter), so the schedule fires
// without any timer inside.
//
// One difference of mechanism: a new Job's uid is only known once it exists, so the Job is created
// with status.lastScheduleTime recorded in the same round, and enters status.active in the next
// round, when the Job is seen (upstream appends the reference the create call returns).
import type { CronJobSpec, CronJobStatus, JobSpec } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepClone, rfc3339 } from '../model/object.js';
import { goQuote } from '../model/field.js';
import { loadLocationError } from '../model/validation/batch.js';
import { nextAfter, parseSchedule, rfc1123z, rfc3339In, type Schedule } from '../model/cron.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { eventAction, keyOf, splitKey } from './runtime.js';
import { controlledBy, controllerOf, controllerRef } from './pods.js';
import { finishedCondition, type Job } from './job.js';

export type CronJob = KubeObject & { spec: CronJobSpec; status?: CronJobStatus };

export const scheduledTimestampAnnotation = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
const component = 'cronjob-controller';
/** nextScheduleDelta: requeue a little after the scheduled time, against clock skew. */
const NEXT_SCHEDULE_DELTA_MS = 100;

export interface CronJobObservation {
  cronJob?: CronJob;
  /** Jobs the CronJob controls. */
  jobs: Job[];
}

/** getJobName: the scheduled time in minutes since the epoch makes the name, so a slot is run at most once. */
export const jobName = (cj: KubeObject, scheduled: Instant) => `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;

type Missed = 'none' | 'few' | 'many';

/**
 * mostRecentScheduleTime: the last time the schedule fired at or before `now` since the last
 * scheduled time (or creation), with how many were missed.
 */
export function mostRecentScheduleTime(
  cj: CronJob, now: Instant, schedule: Schedule, includeStartingDeadline: boolean,
): { earliest: Instant; mostRecent?: Instant; missed: Missed; error?: string } {
  let earliest = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || 0;
  const deadline = cj.spec.startingDeadlineSeconds;
  if (includeStartingDeadline && deadline !== undefined && deadline !== null) {
    const schedulingDeadline = now - deadline * 1000;
    if (schedulingDeadline > earliest) earliest = schedulingDeadline;
  }
  const t1 = nextAfter(schedule, earliest);
  const t2 = t1 === undefined ? undefined : nextAfter(schedule, t1);
  if (t1 === undefined || now < t1) return { earliest, missed: 'none' };
  if (t2 === undefined || now < t2) return { earliest, mostRecent: t1, missed: 'none' };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) return { earliest, missed: 'none', error: 'time difference between two schedules is less than 1 second' };
  const elapsed = Math.trunc((now - t1) / 1000);
  const missedCount = Math.trunc(elapsed / between) + 1;
  let mostRecent: Instant | undefined;
  const potentialEarliest = t1 + (missedCount - 2) * between * 1000;
  for (let t = nextAfter(schedule, potentialEarliest); t !== undefined && t <= now; t = nextAfter(schedule, t)) mostRecent = t;
  const missed: Missed = missedCount > 100 ? 'many' : 'few';
  return mostRecent === undefined ? { earliest, missed } : { earliest, mostRecent, missed };
}

/** nextScheduleTimeDuration: how long until just after the next scheduled time. */
export function untilNextSchedule(cj: CronJob, now: Instant, schedule: Schedule): number | undefined {
  const r = mostRecentScheduleTime(cj, now, schedule, false);
  const from = r.error ? now : r.mostRecent ?? (r.missed === 'none' ? r.earliest : now);
  const next = nextAfter(schedule, from);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - now;
}

export function observeCronJob(key: string, view: ClusterView): CronJobObservation {
  const { namespace, name } = splitKey(key);
  const cronJob = view.get(R.cronjobs, namespace, name) as CronJob | undefined;
  return cronJob ? { cronJob, jobs: controlledBy(view, cronJob, R.jobs) as Job[] } : { jobs: [] };
}

export function cronJobController(): Controller<CronJobObservation> {
  return {
    name: 'cronjob',
    watches: [
      { resource: R.cronjobs, keys: (o) => [keyOf(o)] },
      { resource: R.jobs, keys: (o) => {
        const ref = controllerOf(o);
        return ref?.kind === 'CronJob' && o.metadata.namespace ? [`${o.metadata.namespace}/${ref.name}`] : [];
      } },
    ],
    observe: observeCronJob,
    reconcile: reconcileCronJob,
  };
}

const jobStatus = (j: Job) => finishedCondition(j)?.type;
const isSucceeded = (j: Job) => jobStatus(j) === 'Complete';

function jobRef(j: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1', kind: 'Job', name: j.metadata.name!, namespace: j.metadata.namespace!,
    resourceVersion: j.metadata.resourceVersion!, uid: j.metadata.uid!,
  };
}

/** byJobStartTime: started before not started, earlier first, then by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (!sa && sb) return 1;
  if (sa && !sb) return -1;
  if (sa === sb) return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  return Date.parse(sa!) - Date.parse(sb!);
}

/** getJobFromTemplate2. */
function jobFromTemplate(cj: CronJob, scheduled: Instant): Job {
  const t = cj.spec.jobTemplate;
  const annotations: Record<string, string> = { ...(t.metadata?.annotations ?? {}) };
  annotations[scheduledTimestampAnnotation] = rfc3339In(scheduled, cj.spec.timeZone ?? undefined);
  const metadata: KubeObject['metadata'] = {
    name: jobName(cj, scheduled),
    namespace: cj.metadata.namespace!,
    annotations,
    ownerReferences: [controllerRef(cj)],
  };
  if (t.metadata?.labels && Object.keys(t.metadata.labels).length) metadata.labels = { ...t.metadata.labels };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec: deepClone(t.spec ?? ({} as JobSpec)) } as Job;
}

export function reconcileCronJob(obs: CronJobObservation, now: Instant): Decision {
  const orig = obs.cronJob;
  if (!orig) return { actions: [] };
  const cj = deepClone(orig);
  const ns = cj.metadata.namespace!;
  const status: CronJobStatus = cj.status ?? {};
  cj.status = status;
  const actions: Action[] = [];
  let seq = 0;
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => actions.push(eventAction(orig, type, reason, message, now, component, seq++));
  let updateStatus = false;
  const removeActive = (uid: string | undefined) => {
    status.active = (status.active ?? []).filter((r) => r.uid !== uid);
    if (!status.active.length) delete status.active;
  };
  const deleteJob = (j: Job) => {
    actions.push({ kind: 'delete', resource: R.jobs, namespace: ns, name: j.metadata.name!, options: { propagationPolicy: 'Background' } });
    removeActive(j.metadata.uid);
    event('Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
    updateStatus = true;
  };

  // cleanupFinishedJobs: keep only the newest finished Jobs the history limits allow.
  const deleted = new Set<string>();
  const limits: [string, number | undefined][] = [['Complete', cj.spec.successfulJobsHistoryLimit], ['Failed', cj.spec.failedJobsHistoryLimit]];
  for (const [kind, limit] of limits) {
    if (limit === undefined || limit === null) continue;
    const finished = obs.jobs.filter((j) => jobStatus(j) === kind).sort(byStartTime);
    for (const j of finished.slice(0, Math.max(0, finished.length - limit))) {
      deleteJob(j);
      deleted.add(j.metadata.uid!);
    }
  }
  const jobs = obs.jobs.filter((j) => !deleted.has(j.metadata.uid!));

  // Reconcile status.active with the Jobs that exist.
  const lastScheduled = status.lastScheduleTime ? Date.parse(status.lastScheduleTime) : undefined;
  const inActive = (uid: string | undefined) => (status.active ?? []).some((r) => r.uid === uid);
  for (const j of jobs) {
    const found = inActive(j.metadata.uid);
    const finished = !!jobStatus(j);
    if (!found && !finished) {
      if (lastScheduled !== undefined && j.metadata.name === jobName(cj, lastScheduled) && !j.metadata.deletionTimestamp) {
        status.active = [...(status.active ?? []), jobRef(j)];
        updateStatus = true;
      } else {
        event('Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${j.metadata.name}`);
      }
    } else if (found && finished) {
      removeActive(j.metadata.uid);
      event('Normal', 'SawCompletedJob', `Saw completed job: ${j.metadata.name}, status: ${jobStatus(j)}`);
      updateStatus = true;
    } else if (isSucceeded(j)) {
      const done = j.status?.completionTime;
      if (done && (!status.lastSuccessfulTime || Date.parse(done) > Date.parse(status.lastSuccessfulTime))) {
        status.lastSuccessfulTime = done;
        updateStatus = true;
      }
    }
  }
  const children = new Set(jobs.map((j) => j.metadata.uid));
  for (const r of [...(status.active ?? [])]) {
    if (children.has(r.uid) || deleted.has(r.uid ?? '')) continue;
    event('Normal', 'MissingJob', `Active job went missing: ${r.name}`);
    removeActive(r.uid);
    updateStatus = true;
  }

  const finish = (requeueAfterMs?: number): Decision => {
    if (updateStatus) {
      const next = deepClone(orig);
      next.status = status;
      actions.push({ kind: 'update', resource: R.cronjobs, namespace: ns, object: next, subresource: 'status' });
    }
    return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs: Math.max(1, requeueAfterMs) };
  };

  if (cj.metadata.deletionTimestamp) return finish();
  const tz = cj.spec.timeZone;
  if (tz !== undefined && tz !== null) {
    const err = loadLocationError(tz);
    if (err) {
      event('Warning', 'UnknownTimeZone', `invalid timeZone: ${goQuote(tz)}: ${err}`);
      return finish();
    }
  }
  if (cj.spec.suspend) return finish();

  if (cj.spec.schedule.includes('TZ')) {
    event('Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${goQuote(cj.spec.schedule)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
  }
  const parsed = parseSchedule(cj.spec.schedule, tz ?? undefined);
  if ('error' in parsed) {
    event('Warning', 'UnparseableSchedule', `unparseable schedule: ${goQuote(cj.spec.schedule)} : ${parsed.error}`);
    return finish();
  }
  const schedule = parsed.schedule;
  const recent = mostRecentScheduleTime(cj, now, schedule, true);
  if (recent.error) {
    event('Warning', 'InvalidSchedule', `invalid schedule: ${cj.spec.schedule} : ${recent.error}`);
    return finish();
  }
  const scheduled = recent.mostRecent !== undefined && recent.mostRecent <= now ? recent.mostRecent : undefined;
  if (scheduled !== undefined && recent.missed === 'many') {
    event('Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  const next = () => untilNextSchedule(cj, now, schedule);
  if (scheduled === undefined) return finish(next());

  const deadline = cj.spec.startingDeadlineSeconds;
  if (deadline !== undefined && deadline !== null && scheduled + deadline * 1000 < now) {
    event('Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
    return finish(next());
  }
  const name = jobName(cj, scheduled);
  if ((status.active ?? []).some((r) => r.name === name && r.namespace === ns) || lastScheduled === scheduled) return finish(next());
  if (cj.spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
    event('Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return finish(next());
  }
  if (cj.spec.concurrencyPolicy === 'Replace') {
    for (const r of [...(status.active ?? [])]) {
      const j = jobs.find((x) => x.metadata.uid === r.uid);
      if (j) deleteJob(j);
    }
  }
  const existing = jobs.find((j) => j.metadata.name === name);
  if (!existing) {
    actions.push({ kind: 'create', resource: R.jobs, namespace: ns, object: jobFromTemplate(cj, scheduled) });
    event('Normal', 'SuccessfulCreate', `Created job ${name}`);
  } else if (!jobStatus(existing) && !inActive(existing.metadata.uid)) {
    // Created in an earlier round whose status write was lost.
    status.active = [...(status.active ?? []), jobRef(existing)];
  }
  status.lastScheduleTime = rfc3339(scheduled);
  updateStatus = true;
  return finish(next());
}
