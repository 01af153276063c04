// Keys asked for again later wait once, the earlier schedule winning, as client-go's delaying
// queue keeps them (and the real runner's WorkQueue.addAfter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DelayedKeys } from '../../src/sim/delayed.js';

test('a key waits once: a later schedule joins the earlier one, an earlier one replaces it', () => {
  const d = new DelayedKeys();
  assert.equal(d.schedule('a', 100), true, 'first: a timer');
  assert.equal(d.schedule('a', 150), false, 'later: the timer at 100 covers it');
  assert.equal(d.schedule('a', 100), false, 'same instant');
  assert.equal(d.schedule('a', 50), true, 'earlier: a timer of its own');
  assert.equal(d.fire('a', 100), false, 'the timer at 100 is void now');
  assert.equal(d.fire('a', 50), true, 'the one at 50 counts');
  assert.equal(d.fire('a', 50), false, 'once');
  assert.equal(d.schedule('a', 150), true, 'spent: the next schedule sets a timer again');
  assert.equal(d.schedule('b', 200), true, 'keys are apart');
});

test('a crash forgets what waited', () => {
  const d = new DelayedKeys();
  d.schedule('a', 100);
  d.clear();
  assert.equal(d.fire('a', 100), false);
  assert.equal(d.schedule('a', 200), true);
});
