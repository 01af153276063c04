// Age strings at every boundary of HumanDuration and ShortHumanDuration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, shortHumanDuration, translateTimestampSince } from '../../../src/model/printers/duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

test('HumanDuration boundaries', () => {
  const cases: [number, string][] = [
    [-2 * s, '<invalid>'], [-1999, '0s'], [-1 * s, '0s'], [0, '0s'], [999, '0s'], [5 * s, '5s'], [119 * s, '119s'],
    [120 * s, '2m'], [121 * s, '2m1s'], [3 * m + 2 * s, '3m2s'], [10 * m - 1, '9m59s'], [10 * m, '10m'],
    [179 * m + 59 * s, '179m'], [3 * h, '3h'], [3 * h + 1 * m, '3h1m'], [8 * h - 1, '7h59m'], [8 * h, '8h'],
    [47 * h + 59 * m, '47h'], [48 * h, '2d'], [2 * d + 3 * h, '2d3h'], [8 * d - 1, '7d23h'], [8 * d, '8d'],
    [729 * d, '729d'], [730 * d, '2y'], [(730 + 45) * d, '2y45d'], [(3 * 365 + 45) * d, '3y45d'],
    [8 * 365 * d - 1, '7y364d'], [8 * 365 * d, '8y'], [20 * 365 * d, '20y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

test('ShortHumanDuration boundaries', () => {
  const cases: [number, string][] = [
    [-2 * s, '<invalid>'], [-1 * s, '0s'], [59 * s, '59s'], [60 * s, '1m'], [59 * m + 59 * s, '59m'], [60 * m, '1h'],
    [23 * h, '23h'], [24 * h, '1d'], [364 * d, '364d'], [365 * d, '1y'], [800 * d, '2y'],
  ];
  for (const [ms, want] of cases) assert.equal(shortHumanDuration(ms), want, `${ms}ms`);
});

test('ages: time since a timestamp, <unknown> when unset', () => {
  const now = Date.parse('2024-03-01T12:00:00Z');
  assert.equal(translateTimestampSince('2024-03-01T11:55:00Z', now), '5m');
  assert.equal(translateTimestampSince('2024-02-28T09:00:00Z', now), '2d3h');
  assert.equal(translateTimestampSince('2024-03-01T11:59:59.500000Z', now), '0s');
  assert.equal(translateTimestampSince(undefined, now), '<unknown>');
  assert.equal(translateTimestampSince(null, now), '<unknown>');
  assert.equal(translateTimestampSince('0001-01-01T00:00:00Z', now), '<unknown>');
  assert.equal(translateTimestampSince('2024-03-01T12:00:05Z', now), '<invalid>');
});
