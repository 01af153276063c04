// The CronJob controller: pure reconciles on synthetic times (schedule, concurrency policies,
// deadlines, history limits, status), and a `* * * * *` CronJob firing through the running
// controller under an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import type { QueueTimers } from '../../src/client/workqueue.js';
import { cronJobController, jobName, reconcileCronJob, scheduledTimestampAnnotation, type CronJob } from '../../src/controllers/cronjob.js';
import type { Job } from '../../src/controllers/job.js';
import { eventually, testCluster } from './harness.js';

const T0 = Date.parse('2026-03-02T10:00:30Z');
const cron = (spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}): CronJob => ({
  apiVersion: 'batch/v1', kind: 'CronJob',
  metadata: { name: 'hello', namespace: 'default', uid: 'cj-uid', creationTimestamp: '2026-03-02T10:00:30Z', resourceVersion: '5' },
  spec: {
    schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
    jobTemplate: { metadata: { labels: { team: 'a' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox' }] } } } },
    ...spec,
  },
  status,
} as CronJob);
const jobOf = (name: string, uid: string, status: Record<string, unknown> = {}): Job => ({
  apiVersion: 'batch/v1', kind: 'Job',
  metadata: { name, namespace: 'default', uid, resourceVersion: '9', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true }] },
  spec: {}, status,
} as unknown as Job);
const complete = (at: string) => ({ startTime: at, completionTime: at, succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: at }] });
const events = (d: { actions: { kind: string; object?: KubeObject }[] }) =>
  d.actions.filter((a) => a.kind === 'create' && a.object?.kind === 'Event').map((a) => `${a.object!.type} ${a.object!.reason}: ${a.object!.message}`);
const writes = (d: { actions: { kind: string; resource: { resource: string }; object?: KubeObject; name?: string; subresource?: string }[] }) =>
  d.actions.filter((a) => !(a.kind === 'create' && a.object?.kind === 'Event')).map((a) => `${a.kind} ${a.resource.resource}/${a.name ?? a.object?.metadata.name}${a.subresource ? `/${a.subresource}` : ''}`);
const statusOf = (d: { actions: { kind: string; object?: KubeObject; subresource?: string }[] }) =>
  (d.actions.find((a) => a.kind === 'update' && a.subresource === 'status')?.object as CronJob | undefined)?.status;

test('before the first scheduled time: nothing but a requeue just after it', () => {
  const d = reconcileCronJob({ cronJob: cron(), jobs: [] }, T0 + 60_000);
  assert.deepEqual(d.actions, []);
  assert.equal(d.requeueAfterMs, Date.parse('2026-03-02T10:05:00Z') + 100 - (T0 + 60_000));
});

test('at the scheduled time: a Job named by the minute, from the template, with the scheduled-timestamp annotation', () => {
  const now = Date.parse('2026-03-02T10:05:02Z');
  const d = reconcileCronJob({ cronJob: cron(), jobs: [] }, now);
  const name = `hello-${Date.parse('2026-03-02T10:05:00Z') / 60_000}`;
  assert.equal(name, jobName(cron(), Date.parse('2026-03-02T10:05:00Z')));
  assert.deepEqual(writes(d), [`create jobs/${name}`, 'update cronjobs/hello/status']);
  const job = (d.actions[0] as unknown as { object: Job }).object;
  assert.deepEqual(job.metadata.labels, { team: 'a' });
  assert.deepEqual(job.metadata.annotations, { [scheduledTimestampAnnotation]: '2026-03-02T10:05:00Z' });
  assert.deepEqual(job.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal((job.spec.template.spec as any).containers[0].image, 'busybox');
  assert.deepEqual(events(d), [`Normal SuccessfulCreate: Created job ${name}`]);
  assert.equal(statusOf(d)!.lastScheduleTime, '2026-03-02T10:05:00Z');
  assert.equal(d.requeueAfterMs, Date.parse('2026-03-02T10:10:00.100Z') - now);
  // The created Job joins status.active once seen; the slot is not run twice.
  const seen = reconcileCronJob({ cronJob: cron({}, statusOf(d) as Record<string, unknown>), jobs: [jobOf(name, 'j1')] }, now + 1000);
  assert.deepEqual(statusOf(seen)!.active, [{ apiVersion: 'batch/v1', kind: 'Job', name, namespace: 'default', resourceVersion: '9', uid: 'j1' }]);
  assert.deepEqual(writes(seen), ['update cronjobs/hello/status']);
});

test('the scheduled timestamp is written in the CronJob time zone; the name counts UTC minutes', () => {
  const now = Date.parse('2026-03-02T14:00:05Z');
  const d = reconcileCronJob({ cronJob: cron({ schedule: '0 9 * * *', timeZone: 'America/New_York' }), jobs: [] }, now);
  const job = (d.actions[0] as unknown as { object: Job }).object;
  assert.equal(job.metadata.annotations![scheduledTimestampAnnotation], '2026-03-02T09:00:00-05:00');
  assert.equal(job.metadata.name, `hello-${Date.parse('2026-03-02T14:00:00Z') / 60_000}`);
});

test('concurrencyPolicy Forbid skips a slot while a Job runs; Replace deletes it first', () => {
  const now = Date.parse('2026-03-02T10:10:01Z');
  const running = jobOf('hello-old', 'j0', { startTime: '2026-03-02T10:05:00Z', active: 1 });
  const status = { lastScheduleTime: '2026-03-02T10:05:00Z', active: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'hello-old', namespace: 'default', uid: 'j0' }] };
  const forbid = reconcileCronJob({ cronJob: cron({ concurrencyPolicy: 'Forbid' }, status), jobs: [running] }, now);
  assert.deepEqual(writes(forbid), []);
  assert.deepEqual(events(forbid), ['Normal JobAlreadyActive: Not starting job because prior execution is running and concurrency policy is Forbid']);
  const replace = reconcileCronJob({ cronJob: cron({ concurrencyPolicy: 'Replace' }, status), jobs: [running] }, now);
  assert.deepEqual(writes(replace), ['delete jobs/hello-old', `create jobs/${jobName(cron(), Date.parse('2026-03-02T10:10:00Z'))}`, 'update cronjobs/hello/status']);
  assert.deepEqual((replace.actions[0] as any).options, { propagationPolicy: 'Background' });
  assert.deepEqual(events(replace), ['Normal SuccessfulDelete: Deleted job hello-old', `Normal SuccessfulCreate: Created job ${jobName(cron(), Date.parse('2026-03-02T10:10:00Z'))}`]);
  assert.equal(statusOf(replace)!.active, undefined);
  const allow = reconcileCronJob({ cronJob: cron({}, status), jobs: [running] }, now);
  assert.deepEqual(writes(allow).length, 2, 'Allow runs them side by side');
});

test('startingDeadlineSeconds: a slot missed by more than the deadline is not run', () => {
  const now = Date.parse('2026-03-02T10:07:00Z');
  const d = reconcileCronJob({ cronJob: cron({ startingDeadlineSeconds: 60 }, { lastScheduleTime: '2026-03-02T10:00:00Z' }), jobs: [] }, now);
  assert.deepEqual(writes(d), []);
  // As upstream, the deadline bounds the search for missed slots, so a late slot is simply not found.
  const late = reconcileCronJob({ cronJob: cron({ startingDeadlineSeconds: 30 }, { lastScheduleTime: '2026-03-02T10:00:00Z' }), jobs: [] }, Date.parse('2026-03-02T10:05:31Z'));
  assert.deepEqual(late.actions, []);
  assert.equal(late.requeueAfterMs, Date.parse('2026-03-02T10:10:00.100Z') - Date.parse('2026-03-02T10:05:31Z'));
  const inTime = reconcileCronJob({ cronJob: cron({ startingDeadlineSeconds: 30 }, { lastScheduleTime: '2026-03-02T10:00:00Z' }), jobs: [] }, Date.parse('2026-03-02T10:05:29Z'));
  assert.equal(writes(inTime).length, 2);
});

test('finished Jobs leave status.active; the newest success is recorded; history limits delete the oldest', () => {
  const jobs = [1, 2, 3, 4, 5].map((i) => jobOf(`hello-${i}`, `j${i}`, complete(`2026-03-02T10:0${i}:00Z`)));
  jobs.push(jobOf('hello-f1', 'f1', { startTime: '2026-03-02T09:00:00Z', conditions: [{ type: 'Failed', status: 'True' }] }));
  jobs.push(jobOf('hello-f2', 'f2', { startTime: '2026-03-02T09:30:00Z', conditions: [{ type: 'Failed', status: 'True' }] }));
  const status = { lastScheduleTime: '2026-03-02T10:05:00Z', active: [{ kind: 'Job', name: 'hello-5', namespace: 'default', uid: 'j5' }] };
  const d = reconcileCronJob({ cronJob: cron({}, status), jobs }, Date.parse('2026-03-02T10:06:00Z'));
  assert.deepEqual(writes(d), ['delete jobs/hello-1', 'delete jobs/hello-2', 'delete jobs/hello-f1', 'update cronjobs/hello/status']);
  assert.deepEqual(events(d), [
    'Normal SuccessfulDelete: Deleted job hello-1',
    'Normal SuccessfulDelete: Deleted job hello-2',
    'Normal SuccessfulDelete: Deleted job hello-f1',
    'Normal SawCompletedJob: Saw completed job: hello-5, status: Complete',
  ]);
  const s = statusOf(d)!;
  assert.equal(s.active, undefined);
  assert.equal(s.lastSuccessfulTime, '2026-03-02T10:04:00Z', 'hello-5 is recorded in the next round, once out of the active list');
});

test('suspend, a vanished active Job, a Job nobody created, and an unparseable schedule', () => {
  const now = Date.parse('2026-03-02T10:05:10Z');
  assert.deepEqual(reconcileCronJob({ cronJob: cron({ suspend: true }), jobs: [] }, now), { actions: [] });
  const missing = reconcileCronJob({ cronJob: cron({ suspend: true }, { active: [{ kind: 'Job', name: 'hello-9', namespace: 'default', uid: 'j9' }] }), jobs: [] }, now);
  assert.deepEqual(events(missing), ['Normal MissingJob: Active job went missing: hello-9']);
  assert.equal(statusOf(missing)!.active, undefined);
  const stranger = reconcileCronJob({ cronJob: cron({ suspend: true }), jobs: [jobOf('manual', 'm1')] }, now);
  assert.deepEqual(events(stranger), ['Warning UnexpectedJob: Saw a job that the controller did not create or forgot: manual']);
  const bad = reconcileCronJob({ cronJob: cron({ schedule: '61 * * * *' }), jobs: [] }, now);
  assert.deepEqual(events(bad), ['Warning UnparseableSchedule: unparseable schedule: "61 * * * *" : end of range (61) above maximum (59): 61']);
  assert.equal(bad.requeueAfterMs, undefined);
});

/** A clock for the runner and its queue that moves only when told to. */
class VirtualClock implements QueueTimers {
  private timers: { at: number; fn: () => void; done: boolean }[] = [];
  constructor(public t: number) {}
  now = () => this.t;
  setTimeout(fn: () => void, ms: number) {
    const entry = { at: this.t + ms, fn, done: false };
    this.timers.push(entry);
    return { cancel: () => void (entry.done = true) };
  }
  advance(ms: number): void {
    this.t += ms;
    for (const e of this.timers) {
      if (!e.done && e.at <= this.t) {
        e.done = true;
        e.fn();
      }
    }
    this.timers = this.timers.filter((e) => !e.done);
  }
}

test('through the running controller: a `* * * * *` CronJob fires at each minute of an injected clock', async () => {
  const clock = new VirtualClock(Date.now());
  const c = await testCluster([cronJobController()], { now: clock.now, timers: clock });
  const jobs = async () => (await c.client.list(R.jobs, 'default')).items.map((j) => j.metadata.name!).sort();
  try {
    const created = await c.client.create(R.cronjobs, 'default', {
      apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'every-minute' },
      spec: { schedule: '* * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } },
    });
    const born = Date.parse(created.metadata.creationTimestamp!);
    const firstSlot = Math.floor(born / 60_000) * 60_000 + 60_000;
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await jobs(), [], 'nothing before the first minute');
    clock.advance(firstSlot + 200 - clock.t);
    await eventually(async () => (await jobs()).length === 1, 5000, 'the first Job');
    assert.deepEqual(await jobs(), [`every-minute-${firstSlot / 60_000}`]);
    await eventually(async () => {
      const s = ((await c.client.get(R.cronjobs, 'default', 'every-minute')) as CronJob).status;
      return s?.lastScheduleTime === new Date(firstSlot).toISOString().replace('.000Z', 'Z') && s.active?.length === 1;
    }, 5000, 'status.lastScheduleTime and status.active');
    clock.advance(60_000);
    await eventually(async () => (await jobs()).length === 2, 5000, 'the second Job');
    assert.deepEqual(await jobs(), [`every-minute-${firstSlot / 60_000}`, `every-minute-${firstSlot / 60_000 + 1}`]);
    assert.deepEqual(c.errors.filter((e) => !String(e.err).includes('the object has been modified')), []);
  } finally {
    await c.stop();
  }
});
