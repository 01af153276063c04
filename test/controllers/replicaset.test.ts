// The ReplicaSet controller as a pure function: observation in, actions out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { reconcileReplicaSet, type ReplicaSetObservation, type PodObject, BURST_REPLICAS } from '../../src/controllers/replicaset.js';
import { podsToDelete } from '../../src/controllers/ranking.js';
import type { Action } from '../../src/controllers/runtime.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

function rs(replicas: number, extra: { minReadySeconds?: number; status?: object; deleting?: boolean; generation?: number; parent?: string } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: 'web-abc', namespace: 'default', uid: 'rs-uid', resourceVersion: '5', generation: extra.generation ?? 1,
      creationTimestamp: iso(NOW - 600_000),
      ...(extra.deleting ? { deletionTimestamp: iso(NOW) } : {}),
      ...(extra.parent ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: extra.parent, controller: true }] } : {}),
    },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      ...(extra.minReadySeconds ? { minReadySeconds: extra.minReadySeconds } : {}),
      template: { metadata: { labels: { app: 'web', tier: 'front' }, annotations: { note: 'x' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
    },
    status: { replicas: 0, ...(extra.status ?? {}) },
  };
}

interface PodOpts {
  owner?: string | null;
  labels?: Record<string, string>;
  node?: string;
  phase?: string;
  readySince?: number;
  created?: number;
  cost?: number;
  restarts?: number;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): PodObject {
  const owner = o.owner === undefined ? 'rs-uid' : o.owner;
  const conditions = o.readySince !== undefined ? [{ type: 'Ready', status: 'True', lastTransitionTime: iso(o.readySince) }] : [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '9',
      labels: o.labels ?? { app: 'web', tier: 'front' },
      creationTimestamp: iso(o.created ?? NOW - 300_000),
      ...(o.cost !== undefined ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': String(o.cost) } } : {}),
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner === 'rs-uid' ? 'web-abc' : 'other', uid: owner, controller: true, blockOwnerDeletion: true }] } : {}),
      ...(o.deleting ? { deletionTimestamp: iso(NOW) } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(o.node ? { nodeName: o.node } : {}) },
    status: {
      phase: o.phase ?? (o.readySince !== undefined ? 'Running' : 'Pending'),
      conditions,
      ...(o.restarts ? { containerStatuses: [{ name: 'c', image: 'nginx', imageID: '', ready: true, restartCount: o.restarts }] } : {}),
    },
  } as PodObject;
}

const obs = (set: KubeObject, pods: PodObject[], extra: Partial<ReplicaSetObservation> = {}): ReplicaSetObservation => ({ rs: set, pods, related: [], ...extra });
const creates = (as: Action[]) => as.filter((a): a is Action & { kind: 'create' } => a.kind === 'create' && !a.bestEffort);
const events = (as: Action[]) => as.filter((a): a is Action & { kind: 'create' } => a.kind === 'create' && !!a.bestEffort).map((a) => `${(a.object as unknown as { reason: string }).reason}: ${(a.object as unknown as { message: string }).message}`);
const statusOf = (as: Action[]) => (as.find((a) => a.kind === 'update' && a.subresource === 'status') as (Action & { kind: 'update' }) | undefined)?.object.status as Record<string, unknown> | undefined;

test('missing pods are created from the template, owned by the set, with deterministic names', () => {
  const d1 = reconcileReplicaSet(obs(rs(3), [pod('web-abc-aaaaa', { readySince: NOW - 60_000 })]), NOW);
  const d2 = reconcileReplicaSet(obs(rs(3), [pod('web-abc-aaaaa', { readySince: NOW - 60_000 })]), NOW);
  assert.deepEqual(d1.actions.map((a) => (a.kind === 'create' ? a.object.metadata.name : a.kind)), d2.actions.map((a) => (a.kind === 'create' ? a.object.metadata.name : a.kind)));
  const made = creates(d1.actions);
  assert.equal(made.length, 2);
  for (const c of made) {
    const m = c.object.metadata;
    assert.match(m.name!, /^web-abc-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal(m.generateName, 'web-abc-');
    assert.equal(m.namespace, 'default');
    assert.deepEqual(m.labels, { app: 'web', tier: 'front' });
    assert.deepEqual(m.annotations, { note: 'x' });
    assert.deepEqual(m.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual((c.object.spec as { containers: unknown }).containers, [{ name: 'c', image: 'nginx' }]);
    assert.equal(c.resource, R.pods);
  }
  assert.notEqual(made[0]!.object.metadata.name, made[1]!.object.metadata.name);
  assert.deepEqual(events(d1.actions), made.map((c) => `SuccessfulCreate: Created pod: ${c.object.metadata.name}`));
});

test('a name does not come back once its pod is gone; names skip the pods the set sees', () => {
  const names = (d: { actions: Action[] }) => creates(d.actions).map((c) => c.object.metadata.name!);
  const first = names(reconcileReplicaSet(obs(rs(2), []), NOW));
  assert.equal(first.length, 2);
  // The first pod deleted and gone: its replacement, made later, has a name of its own (upstream's are random).
  const later = names(reconcileReplicaSet(obs(rs(2), [pod(first[1]!, { readySince: NOW - 1000 })]), NOW + 1000));
  assert.equal(later.length, 1);
  assert.ok(!first.includes(later[0]!), `${later[0]} came back`);
  // A name the seed gives that a pod of the set's already has is skipped.
  const blocked = names(reconcileReplicaSet(obs(rs(2), [pod(first[0]!, { phase: 'Failed' })]), NOW));
  assert.ok(!blocked.includes(first[0]!));
  assert.equal(blocked.length, 2);
});

test('surplus pods go in upstream order: unscheduled, pending, not ready, cheap, doubled up, recently ready, restarting, newest', () => {
  const ready = NOW - 3_600_000;
  const pods = [
    pod('old-ready', { node: 'n1', readySince: ready, created: NOW - 7_200_000 }),
    pod('unscheduled', {}),
    pod('pending', { node: 'n2', phase: 'Pending' }),
    pod('not-ready', { node: 'n3', phase: 'Running' }),
    pod('costly', { node: 'n4', readySince: ready, cost: 100 }),
    pod('cheap', { node: 'n5', readySince: ready, cost: -5 }),
    pod('recent', { node: 'n6', readySince: NOW - 10_000 }),
    pod('restarts', { node: 'n7', readySince: ready, restarts: 4 }),
  ];
  const order = podsToDelete(pods, pods, pods.length - 1, NOW).map((p) => p.metadata.name);
  assert.deepEqual(order, ['unscheduled', 'pending', 'not-ready', 'cheap', 'recent', 'restarts', 'old-ready']);
  // Doubling up: of two equal pods, the one sharing its node with more related pods goes first.
  const a = pod('alone', { node: 'n1', readySince: ready });
  const b = pod('crowded', { node: 'n2', readySince: ready });
  const sibling = pod('sibling', { node: 'n2', readySince: ready, owner: 'sibling-rs' });
  assert.deepEqual(podsToDelete([a, b], [a, b, sibling], 1, NOW).map((p) => p.metadata.name), ['crowded']);
});

test('surplus pods are deleted with their uid as precondition, and reported', () => {
  const pods = [pod('a', { node: 'n', readySince: NOW - 100_000 }), pod('b', { node: 'n' }), pod('c', { node: 'n', readySince: NOW - 200_000 })];
  const d = reconcileReplicaSet(obs(rs(1), pods), NOW);
  const deletes = d.actions.filter((a) => a.kind === 'delete');
  assert.deepEqual(deletes.map((a) => [a.kind === 'delete' && a.name, a.kind === 'delete' && a.options]), [
    ['b', { preconditions: { uid: 'uid-b' } }],
    ['a', { preconditions: { uid: 'uid-a' } }],
  ]);
  assert.deepEqual(events(d.actions), ['SuccessfulDelete: Deleted pod: b', 'SuccessfulDelete: Deleted pod: a']);
});

test('orphans that match are adopted, owned pods that stopped matching are released, others are left alone', () => {
  const orphan = pod('orphan', { owner: null, readySince: NOW - 100_000 });
  const strayed = pod('strayed', { labels: { app: 'other' }, readySince: NOW - 100_000 });
  const foreign = pod('foreign', { owner: 'other-uid', readySince: NOW - 100_000 });
  const d = reconcileReplicaSet(obs(rs(1), [orphan, strayed, foreign]), NOW);
  const patches = d.actions.filter((a): a is Action & { kind: 'patch' } => a.kind === 'patch');
  assert.deepEqual(patches.map((p) => [p.name, p.patchType, p.patch]), [
    ['orphan', 'application/strategic-merge-patch+json', { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }], uid: 'uid-orphan' } }],
    ['strayed', 'application/strategic-merge-patch+json', { metadata: { ownerReferences: [{ $patch: 'delete', uid: 'rs-uid' }], uid: 'uid-strayed' } }],
  ]);
  // The adopted orphan is the one replica: nothing is created or deleted.
  assert.equal(creates(d.actions).length, 0);
  assert.equal(d.actions.filter((a) => a.kind === 'delete').length, 0);
  assert.equal(statusOf(d.actions)?.replicas, 1);
});

test('a set being deleted neither adopts, releases, creates nor deletes; it still reports status', () => {
  const d = reconcileReplicaSet(obs(rs(3, { deleting: true }), [pod('orphan', { owner: null }), pod('strayed', { labels: { app: 'other' } }), pod('mine', {})]), NOW);
  assert.deepEqual(d.actions.map((a) => a.kind), ['update']);
  assert.equal(statusOf(d.actions)?.replicas, 1);
});

test('status counts replicas, fully labeled, ready and available pods (minReadySeconds), and asks to look again', () => {
  const set = rs(4, { minReadySeconds: 30, generation: 2 });
  const pods = [
    pod('avail', { readySince: NOW - 60_000 }),
    pod('young', { readySince: NOW - 10_000 }),
    pod('half-labeled', { labels: { app: 'web' }, readySince: NOW - 60_000 }),
    pod('pending'),
    pod('finished', { phase: 'Succeeded' }),
    pod('going', { deleting: true, readySince: NOW - 60_000 }),
  ];
  const d = reconcileReplicaSet(obs(set, pods), NOW);
  assert.deepEqual(statusOf(d.actions), { replicas: 4, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 2, observedGeneration: 2 });
  // 'young' becomes available 30 s after it became ready: 20 s from now (+1 ms, "after").
  assert.equal(d.requeueAfterMs, 20_001);
});

test('no status write when nothing changed', () => {
  const pods = [pod('a', { readySince: NOW - 60_000 })];
  const set = rs(1, { status: { replicas: 1, fullyLabeledReplicas: 1, readyReplicas: 1, availableReplicas: 1, observedGeneration: 1 } });
  assert.deepEqual(reconcileReplicaSet(obs(set, pods), NOW), { actions: [] });
});

test('a failed creation reports FailedCreate and the ReplicaFailure condition; success clears it', () => {
  const d = reconcileReplicaSet(obs(rs(1), []), NOW);
  const create = creates(d.actions)[0]!;
  const err = Object.assign(new Error('pods "web-abc-x" is forbidden: exceeded quota'), {});
  const reported = create.onError!(err);
  assert.deepEqual(events(reported), ['FailedCreate: Error creating: pods "web-abc-x" is forbidden: exceeded quota']);
  const failedStatus = statusOf(reported)!;
  assert.deepEqual((failedStatus.conditions as object[]).map((c) => ({ ...c })), [{
    type: 'ReplicaFailure', status: 'True', lastTransitionTime: '2026-01-01T00:10:00Z', reason: 'FailedCreate', message: 'pods "web-abc-x" is forbidden: exceeded quota',
  }]);
  const recovered = reconcileReplicaSet(obs(rs(1, { status: failedStatus }), [pod('a')]), NOW + 1000);
  assert.equal(statusOf(recovered.actions)!.conditions, undefined);
});

test('at most burstReplicas pods are created in one sync', () => {
  const d = reconcileReplicaSet(obs(rs(BURST_REPLICAS + 20), []), NOW);
  assert.equal(creates(d.actions).length, BURST_REPLICAS);
});

test('property: after one sync the set has exactly `replicas` active claimed pods', () => {
  const podArb = fc.record({
    owned: fc.constantFrom('mine', 'orphan', 'foreign'),
    matching: fc.boolean(),
    state: fc.constantFrom('pending', 'running', 'ready', 'succeeded', 'deleting'),
    node: fc.constantFrom(undefined, 'n1', 'n2'),
  });
  fc.assert(fc.property(fc.integer({ min: 0, max: 8 }), fc.array(podArb, { maxLength: 14 }), (replicas, specs) => {
    const pods = specs.map((s, i) => pod(`p${i}`, {
      owner: s.owned === 'mine' ? 'rs-uid' : s.owned === 'orphan' ? null : 'other-uid',
      labels: s.matching ? { app: 'web', tier: 'front' } : { app: 'nope' },
      ...(s.node ? { node: s.node } : {}),
      ...(s.state === 'ready' ? { readySince: NOW - 1000 } : {}),
      ...(s.state === 'running' ? { phase: 'Running' } : {}),
      ...(s.state === 'succeeded' ? { phase: 'Succeeded' } : {}),
      ...(s.state === 'deleting' ? { deleting: true } : {}),
    }));
    const d = reconcileReplicaSet(obs(rs(replicas), pods), NOW);
    const adopted = new Set(d.actions.filter((a) => a.kind === 'patch' && JSON.stringify(a.patch).includes('"controller"')).map((a) => (a as { name: string }).name));
    const deleted = new Set(d.actions.filter((a) => a.kind === 'delete').map((a) => (a as { name: string }).name));
    const kept = pods.filter((p) => {
      const active = p.status?.phase !== 'Succeeded' && !p.metadata.deletionTimestamp;
      const matching = p.metadata.labels!.app === 'web';
      const mine = p.metadata.ownerReferences?.[0]?.uid === 'rs-uid' || adopted.has(p.metadata.name!);
      return active && matching && mine && !deleted.has(p.metadata.name!);
    });
    return kept.length + creates(d.actions).length === replicas;
  }));
});
