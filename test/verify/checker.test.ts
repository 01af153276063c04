// The model checker over the real controllers: each seeded-bug variant is caught with a shortest
// counterexample, and the real controllers pass the same checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { check, formatViolation } from '../../src/verify/checker.js';
import { ClusterModel, foregroundScope, rolloutScope, statefulSetScope } from '../../src/verify/cluster-model.js';

test('the real garbage collector keeps a foreground owner until its blocking dependents are gone, and finishes', async () => {
  const r = await check(new ClusterModel(foregroundScope()));
  assert.deepEqual(r.violations.map(formatViolation), []);
  assert.equal(r.bounded, false);
  assert.equal(r.liveness, 'held');
  assert.ok(r.states > 100, `${r.states} states`);
});

test('a garbage collector that ignores blockOwnerDeletion is caught', async () => {
  const r = await check(new ClusterModel(foregroundScope(), 'nonblocking-gc'));
  const v = r.violations.find((x) => x.property === 'foreground-deletion');
  assert.ok(v, 'caught');
  const text = formatViolation(v);
  assert.match(text, /replicasets default\/rs deleted in the foreground before its blocking dependent pods/);
  assert.match(text, /env: delete replicaset rs \(Foreground\)/);
  assert.match(text, /garbage-collector: patch replicasets\/rs/);
});

test('the real StatefulSet controller creates ordinals in order and reaches Ready', async () => {
  const r = await check(new ClusterModel(statefulSetScope()));
  assert.deepEqual(r.violations.map(formatViolation), []);
  assert.equal(r.bounded, false);
  assert.equal(r.liveness, 'held');
});

test('a StatefulSet controller that creates ordinal 2 before 1 is Ready is caught', async () => {
  const r = await check(new ClusterModel(statefulSetScope(), 'unordered-statefulset'));
  const v = r.violations.find((x) => x.property === 'statefulset-ordering');
  assert.ok(v, 'caught');
  assert.match(v.messages.join('\n'), /db-2 created while db-1 is not Running and Ready/);
  assert.deepEqual(v.trace.map((s) => s.label), ['init', 'env: create statefulset db', 'statefulset reconciles default/db (5 actions)']);
});

test('a Deployment controller that scales the old ReplicaSet down before new pods are available is caught', async () => {
  const r = await check(new ClusterModel(rolloutScope(), 'eager-deployment'));
  const v = r.violations.find((x) => x.property === 'rolling-update');
  assert.ok(v, 'caught');
  assert.match(v.messages.join(), /INV-RU-2: 2 available < replicas 3 − maxUnavailable 0/);
  // the violation ended the search, no bound did; and TLC's count of states generated is every successor computed
  assert.deepEqual([r.stopped, r.bounded, r.liveness], [true, false, 'not checked']);
  assert.equal(r.generated, r.transitions + 1);
  const labels = v.trace.map((s) => s.label);
  assert.equal(labels[1], 'env: roll out app:2');
  assert.ok(labels.some((l) => /deployment: update replicasets\/web-[a-z0-9]+ replicas=2/.test(l)), labels.join('\n'));
});

test('the real Deployment and ReplicaSet controllers keep the rollout bounds in every state and finish the rollout', async () => {
  // The whole graph (11,473 states): safety everywhere, liveness under fairness.
  const r = await check(new ClusterModel(rolloutScope()));
  assert.deepEqual(r.violations.map(formatViolation), []);
  assert.equal(r.bounded, false);
  assert.equal(r.liveness, 'held');
  assert.ok(r.states > 10_000, `${r.states} states`);
  assert.equal(r.stopped, false);
});

test('the memoized model takes exactly the steps the real code takes, and judges every state as the real properties do', async () => {
  // verifyMemo runs the unmemoized steps (every write through the REST layer, every reconcile over
  // a full view) and the properties over the real objects beside the memo, in every state, and
  // throws at the first difference in a label, a flag, a successor's rows, counters or in-flight
  // actions, or a property's verdict.
  const scopes: [string, () => ClusterModel][] = [
    ['foreground', () => new ClusterModel(foregroundScope(), undefined, { verifyMemo: true })],
    ['statefulset', () => new ClusterModel(statefulSetScope(), undefined, { verifyMemo: true })],
    ['rollout (2 replicas)', () => new ClusterModel(rolloutScope(2), undefined, { verifyMemo: true })],
    ['nonblocking-gc', () => new ClusterModel(foregroundScope(), 'nonblocking-gc', { verifyMemo: true })],
    ['unordered-statefulset', () => new ClusterModel(statefulSetScope(), 'unordered-statefulset', { verifyMemo: true })],
    ['eager-deployment', () => new ClusterModel(rolloutScope(), 'eager-deployment', { verifyMemo: true })],
  ];
  for (const [name, make] of scopes) {
    const m = make();
    // A mutant's run stops at its counterexample, as the tests above do.
    const r = await check(m);
    assert.ok(r.states > 2, name);
    // The memo answered reconciles itself (so both paths ran and were compared).
    assert.ok(m.stats.decideHits > 0 || r.states < 20, `${name}: ${JSON.stringify(m.stats)}`);
  }
});
