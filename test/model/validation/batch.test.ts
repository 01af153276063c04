// batch/v1 validation: Job and CronJob, and the cron schedule checks (robfig/cron texts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronScheduleError } from '../../../src/model/validation/batch.js';
import { validateCreate, validateUpdate } from '../../../src/model/validation/index.js';
import { clone, msgs, stored, template } from './objects.js';

const has = (m: string[], s: string) => assert.ok(m.includes(s), `missing:\n${s}\nin:\n${m.join('\n')}`);
const UID = '8e1b4f3c-0000-4000-8000-000000000002';

function job(): Record<string, any> {
  const labels = { 'batch.kubernetes.io/controller-uid': UID, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': UID, 'job-name': 'pi' };
  const t = template(labels);
  t.spec.restartPolicy = 'Never';
  return {
    metadata: { name: 'pi', namespace: 'd', uid: UID },
    spec: { parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed', selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID } }, template: t },
  };
}

function cronJob(): Record<string, any> {
  const t = template({});
  t.spec.restartPolicy = 'OnFailure';
  return {
    metadata: { name: 'nightly', namespace: 'd' },
    spec: { schedule: '0 3 * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, jobTemplate: { spec: { backoffLimit: 6, template: t } } },
  };
}

test('cron schedules', () => {
  for (const ok of ['* * * * *', '*/5 0-6 1,15 jan-mar mon-fri', '@hourly', '@every 1h30m', '0 0 * * 7-7'.replace('7-7', 'sun')]) assert.equal(cronScheduleError(ok), undefined, ok);
  assert.equal(cronScheduleError('* * * *'), 'expected exactly 5 fields, found 4: [* * * *]');
  assert.equal(cronScheduleError('61 * * * *'), 'end of range (61) above maximum (59): 61');
  assert.equal(cronScheduleError('* * 0 * *'), 'beginning of range (0) below minimum (1): 0');
  assert.equal(cronScheduleError('5-1 * * * *'), 'beginning of range (5) beyond end of range (1): 5-1');
  assert.equal(cronScheduleError('*/0 * * * *'), 'step of range should be a positive number: */0');
  assert.equal(cronScheduleError('x * * * *'), 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax');
  assert.equal(cronScheduleError('@fortnightly'), 'unrecognized descriptor: @fortnightly');
  assert.equal(cronScheduleError(''), 'empty spec string');
});

test('Job: valid; restart policy; selector matching; generated labels', () => {
  assert.deepEqual(msgs(validateCreate('batch', 'Job', job())), []);
  const j = job();
  j.spec.template.spec.restartPolicy = 'Always';
  j.spec.parallelism = -1;
  j.spec.backoffLimit = -2;
  const m = msgs(validateCreate('batch', 'Job', j));
  has(m, 'spec.parallelism: Invalid value: -1: must be greater than or equal to 0');
  has(m, 'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0');
  has(m, 'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  const g = job();
  delete g.spec.template.metadata.labels['job-name'];
  has(msgs(validateCreate('batch', 'Job', g)), "spec.template.metadata.labels[job-name]: Required value: must be 'pi'");
  const idx = job();
  idx.spec.completionMode = 'Indexed';
  delete idx.spec.completions;
  has(msgs(validateCreate('batch', 'Job', idx)), 'spec.completions: Required value: when completion mode is Indexed');
  const per = job();
  per.spec.backoffLimitPerIndex = 1;
  has(msgs(validateCreate('batch', 'Job', per)), 'spec.backoffLimitPerIndex: Forbidden: requires indexed completion mode');
});

test('Job update: completions and selector immutable; template immutable unless suspended and unstarted', () => {
  const old = stored(job());
  old.status = { startTime: '2026-01-01T00:00:00Z' };
  const next = clone(old);
  next.spec.completions = 5;
  has(msgs(validateUpdate('batch', 'Job', next, old)), 'spec.completions: Invalid value: 5: field is immutable');
  const t = clone(old);
  t.spec.template.spec.containers[0].image = 'other';
  has(msgs(validateUpdate('batch', 'Job', t, old)), 'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable');
  const suspended = stored(job());
  suspended.spec.suspend = true;
  const sched = clone(suspended);
  sched.spec.template.spec.nodeSelector = { zone: 'a' };
  assert.deepEqual(msgs(validateUpdate('batch', 'Job', sched, suspended)), []);
});

test('CronJob: schedule, concurrency policy, time zone, name length, job template', () => {
  assert.deepEqual(msgs(validateCreate('batch', 'CronJob', cronJob())), []);
  const c = cronJob();
  c.spec.schedule = '* * * *';
  c.spec.concurrencyPolicy = 'Sometimes';
  c.spec.timeZone = 'Mars/Olympus';
  c.metadata.name = 'n'.repeat(53);
  c.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } };
  c.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always';
  const m = msgs(validateCreate('batch', 'CronJob', c));
  has(m, `metadata.name: Invalid value: "${'n'.repeat(53)}": must be no more than 52 characters`);
  has(m, 'spec.schedule: Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]');
  has(m, 'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"');
  has(m, 'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus');
  has(m, 'spec.jobTemplate.spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated');
  has(m, 'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"');
  const tz = cronJob();
  tz.spec.schedule = 'TZ=UTC 0 3 * * *';
  assert.deepEqual(msgs(validateCreate('batch', 'CronJob', tz)), ['spec.schedule: Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']);
  const zoned = cronJob();
  zoned.spec.timeZone = 'Europe/Berlin';
  assert.deepEqual(msgs(validateCreate('batch', 'CronJob', zoned)), []);
  const old = stored(tz);
  assert.deepEqual(msgs(validateUpdate('batch', 'CronJob', clone(old), old)), []);
});
