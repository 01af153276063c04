// resource.Quantity: parsing, canonical serialisation and arithmetic, with cases from upstream's
// quantity_test.go, plus property tests of the round trip and of the order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  addQuantity,
  canonicalString,
  compareQuantity,
  formatQuantity,
  milliValue,
  parseQuantity,
  QuantityError,
  quantityErrors,
  quantityFromJSON,
  quantityValue,
  subQuantity,
  type Quantity,
} from '../../src/model/quantity.js';

const fmt = (s: string) => formatQuantity(parseQuantity(s));

test('canonical forms', () => {
  const cases: [string, string][] = [
    ['0', '0'],
    ['0n', '0'],
    ['0Ki', '0'],
    ['0.5', '500m'],
    ['1.5', '1500m'],
    ['1000Mi', '1000Mi'],
    ['1024Ki', '1Mi'],
    ['1.5Gi', '1536Mi'],
    ['1000m', '1'],
    ['100m', '100m'],
    ['0.1m', '100u'],
    ['0.0000000001m', '1n'], // finer than 1n rounds up to 1n
    ['1n', '1n'],
    ['0.0000000001', '1n'],
    ['1k', '1k'],
    ['1000', '1k'],
    ['1500k', '1500k'],
    ['2000k', '2M'],
    ['1.1Ki', '1126400m'],
    ['0.5Ki', '512'],
    ['16Ei', '9223372036854775807'], // binary values are capped at 2^63-1
    ['12e6', '12e6'],
    ['1e3', '1e3'], // the exponent form is remembered, as upstream does
    ['1.5e3', '1500'],
    ['1E6', '1E6'],
    ['-1Ki', '-1Ki'],
    ['-0.5', '-500m'],
    ['123456789012345678901234567890', '123456789012345678901234567890'],
  ];
  for (const [input, want] of cases) assert.equal(fmt(input), want, input);
});

test('canonicalString ignores the kept text', () => {
  assert.equal(canonicalString(parseQuantity('1E6')), '1e6');
  assert.equal(canonicalString(parseQuantity('+5')), '5');
  assert.equal(formatQuantity(parseQuantity('+5')), '+5');
});

test('parse errors carry upstream texts', () => {
  assert.equal(quantityErrors.formatWrong, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
  for (const bad of ['', '1.1.1', 'abc', '1Gix', '1KB', '5 Mi']) {
    assert.throws(() => parseQuantity(bad), (e: unknown) => e instanceof QuantityError && e.message === quantityErrors.formatWrong, bad);
  }
  for (const bad of ['1iK', '1e', '1k3', '1+1', '1Qi'.replace('Q', 'i')]) {
    assert.throws(() => parseQuantity(bad), (e: unknown) => e instanceof QuantityError && e.message === "unable to parse quantity's suffix", bad);
  }
});

test('JSON numbers and padded strings parse', () => {
  assert.equal(formatQuantity(quantityFromJSON(2)), '2');
  assert.equal(formatQuantity(quantityFromJSON(0.25)), '250m');
  assert.equal(canonicalString(quantityFromJSON(' 1Gi ')), '1Gi');
});

test('milli and integer values round away from zero', () => {
  assert.equal(milliValue(parseQuantity('1.5')), 1500n);
  assert.equal(milliValue(parseQuantity('1n')), 1n);
  assert.equal(milliValue(parseQuantity('-1n')), -1n);
  assert.equal(quantityValue(parseQuantity('1500m')), 2n);
  assert.equal(quantityValue(parseQuantity('1Ki')), 1024n);
});

test('add and sub are exact; a zero left side takes the right format', () => {
  assert.equal(canonicalString(addQuantity(parseQuantity('100m'), parseQuantity('900m'))), '1');
  assert.equal(canonicalString(addQuantity(parseQuantity('0'), parseQuantity('1Ki'))), '1Ki');
  assert.equal(canonicalString(subQuantity(parseQuantity('1Gi'), parseQuantity('512Mi'))), '512Mi');
  assert.equal(compareQuantity(parseQuantity('1Gi'), parseQuantity('1073741824')), 0);
  assert.equal(compareQuantity(parseQuantity('1e100'), parseQuantity('2')), 1);
  assert.equal(compareQuantity(parseQuantity('-1e100'), parseQuantity('2')), -1);
});

const suffixes = ['', 'n', 'u', 'm', 'k', 'M', 'G', 'T', 'P', 'E', 'Ki', 'Mi', 'Gi', 'Ti', 'e3', 'e-2', 'E5'];
const quantityText = fc
  .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }), fc.constantFrom(...suffixes))
  .map(([neg, whole, frac, suffix]) => `${neg ? '-' : ''}${whole}${frac === undefined ? '' : `.${String(frac).padStart(3, '0')}`}${suffix}`);

/** The exact rational value n/d of a quantity, for an independent comparison. */
const rational = (q: Quantity): [bigint, bigint] => (q.exponent >= 0 ? [q.mantissa * 10n ** BigInt(q.exponent), 1n] : [q.mantissa, 10n ** BigInt(-q.exponent)]);

test('property: parse(format(q)) = q, and the canonical form is stable', () => {
  fc.assert(
    fc.property(quantityText, (s) => {
      const q = parseQuantity(s);
      const again = parseQuantity(formatQuantity(q));
      assert.equal(compareQuantity(q, again), 0);
      assert.equal(canonicalString(again), canonicalString(q));
      assert.equal(compareQuantity(parseQuantity(canonicalString(q)), q), 0);
    }),
    { numRuns: 500 },
  );
});

test('property: comparison is a total order consistent with the numeric value', () => {
  fc.assert(
    fc.property(quantityText, quantityText, quantityText, (a, b, c) => {
      const [x, y, z] = [parseQuantity(a), parseQuantity(b), parseQuantity(c)];
      const [xn, xd] = rational(x);
      const [yn, yd] = rational(y);
      const numeric = xn * yd === yn * xd ? 0 : xn * yd < yn * xd ? -1 : 1;
      assert.equal(compareQuantity(x, y), numeric);
      assert.equal(compareQuantity(y, x), numeric === 0 ? 0 : -numeric);
      if (compareQuantity(x, y) <= 0 && compareQuantity(y, z) <= 0) assert.ok(compareQuantity(x, z) <= 0);
      // x - y compares with zero as x with y
      const d = subQuantity(x, y);
      assert.equal(d.mantissa === 0n ? 0 : d.mantissa < 0n ? -1 : 1, numeric);
    }),
    { numRuns: 500 },
  );
});

test('a text parsed again gives the same quantity, frozen (shared between callers); a bad one fails every time', () => {
  const a = parseQuantity('100m');
  const b = parseQuantity(['1', '00m'].join(''));
  assert.equal(a, b);
  assert.ok(Object.isFrozen(a));
  assert.throws(() => ((a as { exponent: number }).exponent = 0), TypeError);
  assert.equal(formatQuantity(parseQuantity('100m')), '100m');
  for (let i = 0; i < 2; i++) assert.throws(() => parseQuantity('1.2.3'), QuantityError);
  // Many distinct texts (more than are kept) still each parse to their own value.
  for (let i = 0; i < 10_000; i++) assert.equal(milliValue(parseQuantity(`${i}m`)), BigInt(i));
  assert.equal(milliValue(parseQuantity('0m')), 0n);
});
