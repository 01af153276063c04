// Cron schedules as the CronJob controller evaluates them (robfig/cron ParseStandard + Next).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nextAfter, parseSchedule, rfc1123z, rfc3339In, type Schedule } from '../../src/model/cron.js';

const at = (s: string) => Date.parse(s);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
function sched(spec: string, tz?: string): Schedule {
  const r = parseSchedule(spec, tz);
  if ('error' in r) throw new Error(r.error);
  return r.schedule;
}

test('syntax errors carry robfig/cron texts', () => {
  assert.deepEqual(parseSchedule('61 * * * *'), { error: 'end of range (61) above maximum (59): 61' });
  assert.deepEqual(parseSchedule('* * *'), { error: 'expected exactly 5 fields, found 3: [* * *]' });
  assert.deepEqual(parseSchedule('@fortnightly'), { error: 'unrecognized descriptor: @fortnightly' });
  assert.deepEqual(parseSchedule('*/0 * * * *'), { error: 'step of range should be a positive number: */0' });
});

test('steps, ranges, lists and names', () => {
  assert.equal(iso(nextAfter(sched('*/15 * * * *'), at('2026-03-02T10:07:30Z'))), '2026-03-02T10:15:00.000Z');
  assert.equal(iso(nextAfter(sched('*/15 * * * *'), at('2026-03-02T10:45:00Z'))), '2026-03-02T11:00:00.000Z');
  assert.equal(iso(nextAfter(sched('5-10/2 * * * *'), at('2026-03-02T10:06:00Z'))), '2026-03-02T10:07:00.000Z');
  assert.equal(iso(nextAfter(sched('0 9 * JAN,MAR mon-fri'), at('2026-03-06T09:00:00Z'))), '2026-03-09T09:00:00.000Z');
  assert.equal(iso(nextAfter(sched('0 9 * jan mon'), at('2026-03-06T09:00:00Z'))), '2027-01-04T09:00:00.000Z');
  assert.equal(iso(nextAfter(sched('* * * * *'), at('2026-03-02T10:07:00Z'))), '2026-03-02T10:08:00.000Z');
});

test('day of month and day of week: either when both are restricted, both when one is a star', () => {
  // The 13th, or any Friday.
  const s = sched('0 0 13 * 5');
  assert.equal(iso(nextAfter(s, at('2026-03-01T00:00:00Z'))), '2026-03-06T00:00:00.000Z');
  assert.equal(iso(nextAfter(s, at('2026-03-10T00:00:00Z'))), '2026-03-13T00:00:00.000Z');
  // Every Friday (day of month is a star).
  assert.equal(iso(nextAfter(sched('0 0 * * 5'), at('2026-03-07T00:00:00Z'))), '2026-03-13T00:00:00.000Z');
  // A stepped star is a restriction, not a star: the 1st, 3rd, ... or any Sunday.
  assert.equal(iso(nextAfter(sched('0 0 */2 * 0'), at('2026-03-01T12:00:00Z'))), '2026-03-03T00:00:00.000Z');
});

test('descriptors', () => {
  const from = at('2026-03-04T10:30:00Z'); // a Wednesday
  assert.equal(iso(nextAfter(sched('@hourly'), from)), '2026-03-04T11:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@daily'), from)), '2026-03-05T00:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@midnight'), from)), '2026-03-05T00:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@weekly'), from)), '2026-03-08T00:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@monthly'), from)), '2026-04-01T00:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@yearly'), from)), '2027-01-01T00:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@annually'), from)), '2027-01-01T00:00:00.000Z');
  assert.equal(iso(nextAfter(sched('@every 90s'), at('2026-03-04T10:30:00.250Z'))), '2026-03-04T10:31:30.000Z');
});

test('time zones: CRON_TZ in the spec, or the CronJob timeZone', () => {
  const winter = at('2026-01-15T00:00:00Z');
  const summer = at('2026-07-15T00:00:00Z');
  assert.equal(iso(nextAfter(sched('CRON_TZ=America/New_York 0 9 * * *'), winter)), '2026-01-15T14:00:00.000Z');
  assert.equal(iso(nextAfter(sched('0 9 * * *', 'America/New_York'), summer)), '2026-07-15T13:00:00.000Z');
  assert.equal(iso(nextAfter(sched('TZ=Asia/Kolkata 30 8 * * *'), winter)), '2026-01-15T03:00:00.000Z');
  assert.deepEqual(parseSchedule('CRON_TZ=Mars/Olympus 0 9 * * *'), { error: 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus' });
  // Across the spring-forward night, a daily 09:00 stays at 09:00 local time.
  assert.equal(iso(nextAfter(sched('0 9 * * *', 'America/New_York'), at('2026-03-08T00:00:00Z'))), '2026-03-08T13:00:00.000Z');
  assert.equal(rfc3339In(at('2026-01-15T14:00:00Z'), 'America/New_York'), '2026-01-15T09:00:00-05:00');
  assert.equal(rfc3339In(at('2026-01-15T14:00:00Z'), undefined), '2026-01-15T14:00:00Z');
  assert.equal(rfc1123z(at('2026-01-15T14:00:00Z')), 'Thu, 15 Jan 2026 14:00:00 +0000');
});

test('an impossible date never fires', () => {
  assert.equal(nextAfter(sched('0 0 30 2 *'), at('2026-01-01T00:00:00Z')), undefined);
});

test('property: next is the first matching minute after t (UTC)', () => {
  const field = (min: number, max: number) =>
    fc.oneof(
      fc.constant('*'),
      fc.integer({ min, max }).map(String),
      fc.tuple(fc.integer({ min, max }), fc.integer({ min, max })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
      fc.integer({ min: 1, max: 7 }).map((s) => `*/${s}`),
      fc.uniqueArray(fc.integer({ min, max }), { minLength: 1, maxLength: 3 }).map((l) => l.join(',')),
    );
  const spec = fc.tuple(field(0, 59), field(0, 23), field(1, 28), fc.constant('*'), field(0, 6)).map((f) => f.join(' '));
  const matches = (s: Extract<Schedule, { kind: 'spec' }>, t: number) => {
    const d = new Date(t);
    const dom = s.dom.set.has(d.getUTCDate());
    const dow = s.dow.set.has(d.getUTCDay());
    const day = s.dom.star || s.dow.star ? dom && dow : dom || dow;
    return d.getUTCSeconds() === 0 && s.minute.set.has(d.getUTCMinutes()) && s.hour.set.has(d.getUTCHours()) && day && s.month.set.has(d.getUTCMonth() + 1);
  };
  fc.assert(
    fc.property(spec, fc.integer({ min: at('2026-01-01T00:00:00Z'), max: at('2027-01-01T00:00:00Z') }), (text, from) => {
      const s = sched(text) as Extract<Schedule, { kind: 'spec' }>;
      const next = nextAfter(s, from);
      assert.ok(next !== undefined, text);
      assert.ok(next > from, `${text}: ${iso(next)} after ${iso(from)}`);
      assert.ok(matches(s, next), `${text} fires at ${iso(next)}`);
      // Nothing fires in between (checked minute by minute, within two days).
      const start = Math.floor(from / 60000) * 60000 + 60000;
      for (let t = start; t < next && t < start + 2 * 86400_000; t += 60000) assert.ok(!matches(s, t), `${text} skipped ${iso(t)}`);
    }),
    { numRuns: 200 },
  );
});
