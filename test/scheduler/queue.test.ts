// The scheduling queue: priority then age, back-off doubling to its cap, unschedulable pods waiting
// for a cluster change or the five-minute flush. Time is a variable the test moves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulingQueue } from '../../src/scheduler/queue.js';
import { info, pod } from './fixtures.js';

test('pops by priority, then by arrival', () => {
  let now = 0;
  const q = new SchedulingQueue(() => now);
  q.add(info(pod('a', { priority: 0 })));
  now = 1;
  q.add(info(pod('b', { priority: 10 })));
  now = 2;
  q.add(info(pod('c', { priority: 0 })));
  q.add(info(pod('d', { priority: 10 })));
  assert.deepEqual([q.pop(), q.pop(), q.pop(), q.pop(), q.pop()].map((p) => p?.name), ['b', 'd', 'a', 'c', undefined]);
});

test('back-off: 1 s doubling to 10 s; an unschedulable pod waits for a cluster change or five minutes', () => {
  let now = 1_000_000;
  const q = new SchedulingQueue(() => now);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => q.backoffMs(n)), [1000, 2000, 4000, 8000, 10_000, 10_000]);
  q.add(info(pod('p')));
  const p = q.pop()!;
  q.unschedulable(p.key);
  assert.equal(q.pop(), undefined);
  // A cluster change within the back-off: it waits out the rest of it.
  now += 500;
  q.moveAllUnschedulable();
  assert.equal(q.pop(), undefined);
  assert.equal(q.nextBackoffAt(), 1_001_000);
  now = 1_001_000;
  assert.equal(q.pop()?.name, 'p');
  // Second failure: a 2 s back-off, and nothing happens without a change until five minutes pass.
  q.unschedulable(p.key);
  now += 60_000;
  q.flushUnschedulable();
  assert.equal(q.pop(), undefined);
  now += 240_000;
  q.flushUnschedulable();
  assert.equal(q.pop()?.name, 'p');
  // A write error: back off and retry without waiting for a change.
  q.retry(p.key);
  assert.equal(q.pop(), undefined);
  now += 4000;
  assert.equal(q.pop()?.name, 'p');
  q.done(p.key);
  assert.equal(q.has(p.key), false);
});

test('an updated pod waiting as unschedulable gets another try; a status-only update does not move it', () => {
  let now = 0;
  const q = new SchedulingQueue(() => now);
  q.add(info(pod('p')));
  const p = q.pop()!;
  q.unschedulable(p.key);
  now = 5000;
  q.update(info(pod('p')));
  assert.equal(q.pop(), undefined);
  q.add(info(pod('p', { tolerations: [{ operator: 'Exists' }] })));
  assert.equal(q.pop()?.spec.tolerations?.length, 1);
  q.delete(p.key);
  assert.deepEqual(q.counts(), { active: 0, backoff: 0, unschedulable: 0, inflight: 0 });
});
