// Seed 004 §16.1's KubernetesConsistency, model-checked: TypeInvariant and SafetyProperty in every
// state, EventualConsistency under weak fairness; and wrong variants of Next are caught.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, formatViolation } from '../../src/verify/checker.js';
import { kubernetesConsistency, DEFAULT_KC } from '../../src/verify/tla-model.js';
import { kcTypeViolations, kcInit } from '../../src/verify/invariants/tla.js';

test('KubernetesConsistency holds: type, safety and eventual consistency', async () => {
  const r = await check(kubernetesConsistency());
  assert.equal(r.bounded, false);
  assert.deepEqual(r.violations.map(formatViolation), []);
  assert.equal(r.liveness, 'held');
  assert.ok(r.states > 100, `${r.states} states`);
});

test('TypeInvariant rejects ill-typed states', () => {
  const s = kcInit(DEFAULT_KC);
  assert.deepEqual(kcTypeViolations(DEFAULT_KC, s), []);
  const bad = { ...s, commitIndex: 2, controller: { desiredReplicas: 0, actualReplicas: 4 }, nodeState: { ...s.nodeState, n1: 'Gone' as never } };
  const v = kcTypeViolations(DEFAULT_KC, bad).join('\n');
  assert.match(v, /nodeState\[n1\] = Gone/);
  assert.match(v, /commitIndex 2 outside 0..0/);
  assert.match(v, /desiredReplicas 0 outside 1..3/);
});

test('a ScaleUp that overshoots breaks SafetyProperty, with the shortest trace', async () => {
  const r = await check(kubernetesConsistency(DEFAULT_KC, 'overshoot'));
  const v = r.violations.find((x) => x.property === 'SafetyProperty' || x.property === 'TypeInvariant');
  assert.ok(v, 'caught');
  // Shortest: set 3, commit, then four scale-ups.
  assert.deepEqual(v.trace.map((s) => s.label), ['init', 'SetDesired(3)', 'Commit', 'ScaleUp', 'ScaleUp', 'ScaleUp', 'ScaleUp']);
});

test('a controller that never scales down breaks EventualConsistency', async () => {
  const r = await check(kubernetesConsistency(DEFAULT_KC, 'no-scale-down'));
  assert.equal(r.liveness, 'violated');
  const v = r.violations.find((x) => x.property === 'EventualConsistency')!;
  assert.match(formatViolation(v), /stops short of the goal/);
});
