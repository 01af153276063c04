// The checker's interned integer tuples: two tuples get the same id exactly when they are equal,
// through the table's growth and rehashing, and a value that is not an int32 is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { GroupedMap, IntList, PairMap, TupleBuffer, TupleTable } from '../../src/verify/tuples.js';

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

test('equal tuples share an id, different ones never do (ids are 0, 1, … in order of arrival)', () => {
  fc.assert(
    fc.property(fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 3 }), int32), { maxLength: 6 }), { maxLength: 600 }), (tuples) => {
      const table = new TupleTable();
      const byText = new Map<string, number>();
      for (const t of tuples) {
        const id = table.id(t, t.length);
        const key = t.join(',') + '/' + t.length;
        const seen = byText.get(key);
        if (seen === undefined) {
          assert.equal(id, byText.size, 'a new tuple takes the next id');
          byText.set(key, id);
        } else assert.equal(id, seen);
      }
      assert.equal(table.size, byText.size);
    }),
    { numRuns: 200 },
  );
});

test('only the first n integers count, and a prefix is a tuple of its own', () => {
  const table = new TupleTable();
  const a = table.id([1, 2, 3], 2);
  assert.equal(table.id([1, 2], 2), a);
  assert.notEqual(table.id([1, 2, 3], 3), a);
  assert.notEqual(table.id([], 0), a);
  assert.equal(table.id([9], 0), table.id([], 0));
});

test('a value that is not an int32 is refused, and the table is unchanged', () => {
  const table = new TupleTable();
  assert.throws(() => table.id([1, 2 ** 40], 2), /not an int32/);
  assert.throws(() => table.id([0.5], 1), /not an int32/);
  assert.equal(table.size, 0);
  assert.equal(table.id([1], 1), 0);
});

test('a tuple buffer is reused without its old contents leaking into the next tuple', () => {
  const table = new TupleTable();
  const b = new TupleBuffer();
  b.reset().push(7);
  b.push(8);
  const x = table.id(b.t, b.n);
  b.reset().push(7);
  assert.notEqual(table.id(b.t, b.n), x);
  assert.equal(table.id([7, 8], 2), x);
});

test('a pair map gives back every value set, through its growth, and -1 for a pair never set', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(int32, int32), { maxLength: 3000 }), (pairs) => {
      const map = new PairMap();
      const byText = new Map<string, number>();
      pairs.forEach(([a, b], i) => {
        map.set(a, b, i);
        byText.set(`${a},${b}`, i);
      });
      assert.equal(map.size, byText.size);
      for (const [a, b] of pairs) assert.equal(map.get(a, b), byText.get(`${a},${b}`));
      if (!byText.has('7,-7')) assert.equal(map.get(7, -7), -1);
    }),
    { numRuns: 50 },
  );
});

test('a grouped map gives back every value set (the last set of a pair), through its runs\' moves and its growth, and -1 for a pair never set', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 3000 })), fc.oneof(fc.integer({ min: -3, max: 40 }), int32), fc.nat({ max: 2 ** 31 - 2 })), { maxLength: 3000 }), (sets) => {
      const map = new GroupedMap();
      const byText = new Map<string, number>();
      for (const [a, b, v] of sets) {
        map.set(a, b, v);
        byText.set(`${a},${b}`, v);
        assert.equal(map.size, byText.size);
      }
      for (const [a, b] of sets) assert.equal(map.get(a, b), byText.get(`${a},${b}`));
      for (const [a, b] of sets) if (!byText.has(`${a},${b + 1}`)) assert.equal(map.get(a, b + 1), -1);
      assert.equal(map.get(1 << 20, 0), -1);
    }),
    { numRuns: 100 },
  );
});

test('a grouped map keeps a group\'s many pairs apart from its neighbours\' as its run moves', () => {
  const map = new GroupedMap();
  for (let b = 0; b < 100; b++) for (let a = 0; a < 5; a++) map.set(a, b * 7 - 50, 1000 * a + b);
  for (let a = 0; a < 5; a++) for (let b = 0; b < 100; b++) assert.equal(map.get(a, b * 7 - 50), 1000 * a + b);
  assert.equal(map.size, 500);
  assert.equal(map.get(5, 0), -1);
});

test('a grouped map refuses a negative or fractional group, a b that is not an int32 and a value it cannot hold, and is unchanged', () => {
  const map = new GroupedMap();
  assert.throws(() => map.set(-1, 0, 0), /group id/);
  assert.throws(() => map.set(0.5, 0, 0), /group id/);
  assert.throws(() => map.set(0, 2 ** 40, 0), /int32/);
  assert.throws(() => map.set(0, 0, 2 ** 31 - 1), /below 2\^31 - 1/);
  assert.throws(() => map.set(0, 0, -1), /below 2\^31 - 1/);
  assert.equal(map.size, 0);
  assert.equal(map.get(0, 0), -1);
});

test('an int list gives back every int32 pushed, in order, through its growth', () => {
  fc.assert(
    fc.property(fc.array(int32, { maxLength: 3000 }), (values) => {
      const list = new IntList();
      for (const v of values) list.push(v);
      assert.equal(list.length, values.length);
      for (let i = 0; i < values.length; i++) assert.equal(list.get(i), values[i]);
    }),
    { numRuns: 100 },
  );
});

test('an int list refuses a value that is not an int32 and a place outside it, and is unchanged', () => {
  const list = new IntList();
  list.push(7);
  for (const bad of [2 ** 31, 0.5, NaN, -(2 ** 31) - 1]) assert.throws(() => list.push(bad), /not an int32/);
  assert.throws(() => list.get(1), RangeError);
  assert.throws(() => list.get(-1), RangeError);
  assert.equal(list.length, 1);
  assert.equal(list.get(0), 7);
});
