// The disruption controller's status (pure reconcile): healthy pods against minAvailable or the
// controllers' scale less maxUnavailable, evictions counted until their pod is seen going (at most
// two minutes), a fail-safe when a pod's controller cannot be found.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileDisruption, type DisruptionObservation } from '../../src/controllers/disruption.js';
import type { KubeObject } from '../../src/model/object.js';

const T = Date.parse('2026-11-22T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const pod = (name: string, o: { ready?: boolean; owner?: { kind: string; name: string; uid: string }; deleting?: boolean } = {}): any => ({
  metadata: { name, namespace: 'ns', labels: { app: 'web' }, ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', ...o.owner, controller: true }] } : {}), ...(o.deleting ? { deletionTimestamp: iso(T) } : {}) },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
});
const pdb = (spec: Record<string, unknown>, status?: Record<string, unknown>): any => ({
  metadata: { name: 'web', namespace: 'ns', generation: 2 }, spec: { selector: { matchLabels: { app: 'web' } }, ...spec }, ...(status ? { status } : {}),
});
const statusOf = (obs: DisruptionObservation, now = T) => {
  const d = reconcileDisruption(obs, now);
  return { status: (d.actions[0] as { object?: KubeObject } | undefined)?.object?.status as any, requeue: d.requeueAfterMs };
};

test('minAvailable as a number: healthy pods less the minimum; unready and deleting pods do not count', () => {
  const { status } = statusOf({ pdb: pdb({ minAvailable: 2 }), pods: [pod('a'), pod('b'), pod('c'), pod('d', { ready: false }), pod('e', { deleting: true })], controllers: {} });
  assert.deepEqual({ ...status, conditions: undefined }, { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 5, observedGeneration: 2, conditions: undefined });
  assert.deepEqual(status.conditions.map((c: any) => [c.type, c.status, c.reason, c.observedGeneration, c.lastTransitionTime]), [['DisruptionAllowed', 'True', 'SufficientPods', 2, iso(T)]]);
  // at the minimum: none allowed
  const low = statusOf({ pdb: pdb({ minAvailable: 3 }), pods: [pod('a'), pod('b')], controllers: {} }).status;
  assert.equal(low.disruptionsAllowed, 0);
  assert.equal(low.conditions[0].reason, 'InsufficientPods');
  // nothing to write when nothing changed
  const again = pdb({ minAvailable: 3 }, low);
  assert.deepEqual(reconcileDisruption({ pdb: again, pods: [pod('a'), pod('b')], controllers: {} }, T + 5000).actions, []);
});

test('maxUnavailable and percentages go by the controllers\' scale; the ReplicaSets of one Deployment count it once', () => {
  const d = { metadata: { name: 'web', namespace: 'ns', uid: 'd1' }, spec: { replicas: 4 } } as any;
  const pods = [pod('a', { owner: { kind: 'ReplicaSet', name: 'web-1', uid: 'rs1' } }), pod('b', { owner: { kind: 'ReplicaSet', name: 'web-2', uid: 'rs2' } }), pod('c', { owner: { kind: 'ReplicaSet', name: 'web-2', uid: 'rs2' } })];
  const controllers = { rs1: d, rs2: d };
  const max = statusOf({ pdb: pdb({ maxUnavailable: 1 }), pods, controllers }).status;
  assert.deepEqual([max.expectedPods, max.desiredHealthy, max.currentHealthy, max.disruptionsAllowed], [4, 3, 3, 0]);
  const pct = statusOf({ pdb: pdb({ minAvailable: '50%' }), pods, controllers }).status;
  assert.deepEqual([pct.expectedPods, pct.desiredHealthy, pct.disruptionsAllowed], [4, 2, 1]);
  // a controller that cannot be found: no disruptions, and why
  const lost = statusOf({ pdb: pdb({ maxUnavailable: 1 }, max), pods, controllers: { rs1: d, rs2: null } }).status;
  assert.equal(lost.disruptionsAllowed, 0);
  assert.deepEqual([lost.conditions[0].status, lost.conditions[0].reason, lost.conditions[0].message], ['False', 'SyncFailed', 'found no controllers for pod "b"']);
});

test('an eviction counts until its pod is seen going, for two minutes at most', () => {
  const evicted = { disruptedPods: { a: iso(T) }, disruptionsAllowed: 0, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, observedGeneration: 2 };
  const pods = [pod('a'), pod('b')];
  const soon = statusOf({ pdb: pdb({ minAvailable: 1 }, evicted), pods, controllers: {} }, T + 10_000);
  assert.deepEqual(soon.status.disruptedPods, { a: iso(T) });
  assert.equal(soon.status.currentHealthy, 1);
  assert.equal(soon.status.disruptionsAllowed, 0);
  assert.equal(soon.requeue, 110_001, 'looked at again when the eviction expires');
  // the pod is seen going: the entry goes, and it still does not count
  const going = statusOf({ pdb: pdb({ minAvailable: 1 }, evicted), pods: [pod('a', { deleting: true }), pod('b')], controllers: {} }, T + 10_000).status;
  assert.equal(going.disruptedPods, undefined);
  assert.equal(going.currentHealthy, 1);
  // two minutes and it never went: it counts again
  const late = statusOf({ pdb: pdb({ minAvailable: 1 }, evicted), pods, controllers: {} }, T + 121_000).status;
  assert.equal(late.disruptedPods, undefined);
  assert.deepEqual([late.currentHealthy, late.disruptionsAllowed], [2, 1]);
});
