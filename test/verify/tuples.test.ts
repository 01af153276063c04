// The checker's interned integer tuples: two tuples get the same id exactly when they are equal,
// through the table's growth and rehashing, and a value that is not an int32 is refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PairMap, TupleBuffer, TupleTable } from '../../src/verify/tuples.js';

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
