import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDuration, formatMicroTime, formatTime, parseDuration, parseTime, ZERO_TIME_SECONDS } from '../../../src/model/protobuf/wellknown.js';

test('metav1.Time: whole seconds in UTC, the zero time is null', () => {
  assert.equal(formatTime(0n), '1970-01-01T00:00:00Z');
  assert.equal(formatTime(1704164645n), '2024-01-02T03:04:05Z');
  assert.equal(formatTime(-1n), '1969-12-31T23:59:59Z');
  assert.equal(formatTime(ZERO_TIME_SECONDS), null);
  assert.equal(formatTime(ZERO_TIME_SECONDS + 1n), '0001-01-01T00:00:01Z');
  assert.equal(formatTime(253402300799n), '9999-12-31T23:59:59Z');
  assert.throws(() => formatTime(253402300800n), /year outside of range \[0,9999\]/);
});

test('metav1.MicroTime: six fraction digits, truncated, nanos normalised as time.Unix does', () => {
  assert.equal(formatMicroTime(1704164645n, 123456789n), '2024-01-02T03:04:05.123456Z');
  assert.equal(formatMicroTime(0n, 0n), '1970-01-01T00:00:00.000000Z');
  assert.equal(formatMicroTime(0n, 1_500_000_000n), '1970-01-01T00:00:01.500000Z');
  assert.equal(formatMicroTime(0n, -1n), '1969-12-31T23:59:59.999999Z');
  assert.equal(formatMicroTime(ZERO_TIME_SECONDS, 0n), null);
});

test('RFC 3339 parsing: offsets, fractions, and invalid dates', () => {
  assert.deepEqual(parseTime('2024-01-02T03:04:05Z'), { seconds: 1704164645n, nanos: 0n });
  assert.deepEqual(parseTime('2024-01-02T05:04:05.5+02:00'), { seconds: 1704164645n, nanos: 500_000_000n });
  assert.deepEqual(parseTime('0001-01-01T00:00:00Z'), { seconds: ZERO_TIME_SECONDS, nanos: 0n });
  assert.deepEqual(parseTime('2024-02-29T00:00:00Z').seconds, 1709164800n);
  for (const bad of ['2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01 00:00:00Z', '2024-01-01T24:00:00Z', 'yesterday']) {
    assert.throws(() => parseTime(bad), /cannot parse/, bad);
  }
  fc.assert(
    fc.property(fc.integer({ min: -62135596799, max: 253402300799 }), (s) => {
      assert.equal(parseTime(formatTime(BigInt(s))!).seconds, BigInt(s));
    }),
  );
});

test('time.Duration String and ParseDuration', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'],
    [1n, '1ns'],
    [1_100n, '1.1µs'],
    [2_200_000n, '2.2ms'],
    [3_300_000_000n, '3.3s'],
    [4n * 60_000_000_000n + 5_000_000_000n, '4m5s'],
    [5_400_000_000_000n, '1h30m0s'],
    [-90_000_000_000n, '-1m30s'],
    [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
  ];
  for (const [ns, s] of cases) {
    assert.equal(formatDuration(ns), s);
    assert.equal(parseDuration(s), ns);
  }
  assert.equal(parseDuration('1.5h'), 5_400_000_000_000n);
  assert.equal(parseDuration('10us'), 10_000n);
  assert.equal(parseDuration('0'), 0n);
  for (const bad of ['', '1', 'h', '1d', '--1s']) assert.throws(() => parseDuration(bad), /invalid duration/, bad);
});
