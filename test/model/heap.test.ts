// The heaps against a sort: whatever is pushed and popped, in any interleaving, comes out in order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Heap, TimeQueue } from '../../src/model/heap.js';

// A push of (time, id) or a pop; few distinct times, so ties are common.
const op = fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 8 }) }), fc.constant({ pop: true as const }));

test('TimeQueue pops the earliest time first, and equal times in the order they were pushed', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
      const q = new TimeQueue<number>();
      const model: { at: number; id: number }[] = [];
      let id = 0;
      for (const o of ops) {
        if ('push' in o) {
          q.push(o.push, id);
          model.push({ at: o.push, id: id++ });
        } else {
          // The model: a stable sort by time keeps push order among ties.
          model.sort((a, b) => a.at - b.at);
          const want = model.shift();
          assert.equal(q.peekAt(), want ? want.at : Infinity);
          assert.equal(q.pop(), want?.id);
        }
        assert.equal(q.size, model.length);
      }
    }),
    { numRuns: 300 },
  );
});

test('Heap pops in its order', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 200 }), (xs) => {
      const h = new Heap<number>((a, b) => a < b);
      for (const x of xs) h.push(x);
      const out: number[] = [];
      while (h.size) out.push(h.pop()!);
      assert.deepEqual(out, [...xs].sort((a, b) => a - b));
    }),
  );
});
