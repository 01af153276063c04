// The garbage collector and namespace controller as pure functions: observation in, actions out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { reconcileGc, type GcObservation } from '../../src/controllers/gc.js';
import { reconcileNamespace } from '../../src/controllers/namespace.js';

const rs = (name: string, uid: string, meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name, namespace: 'default', uid, resourceVersion: '10', ...meta },
});
const pod = (name: string, uid: string, owner?: { uid: string; block?: boolean }, meta: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: {
    name, namespace: 'default', uid, resourceVersion: '20',
    ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: owner.uid, controller: true, blockOwnerDeletion: owner.block ?? true }] } : {}),
    ...meta,
  },
});
const at = (resource: typeof R.pods, object: KubeObject) => ({ resource, object });

test('a dependent whose owner is gone is deleted, once the owner cache has caught up', () => {
  const p = pod('p', 'u-p', { uid: 'u-rs' });
  const behind: GcObservation = { self: at(R.pods, p), owners: [{ ref: p.metadata.ownerReferences![0]!, resource: R.replicasets, cacheVersion: '15' }], dependents: [] };
  assert.deepEqual(reconcileGc(behind), { actions: [], requeueAfterMs: 100 }, 'no deletion on a cache older than the dependent');
  const current = { ...behind, owners: [{ ...behind.owners[0]!, cacheVersion: '25' }] };
  assert.deepEqual(reconcileGc(current).actions, [
    { kind: 'delete', resource: R.pods, namespace: 'default', name: 'p', options: { propagationPolicy: 'Background', preconditions: { uid: 'u-p' } } },
  ]);
});

test('a dependent with a live owner is left alone; a dangling second owner is removed', () => {
  const p = pod('p', 'u-p', { uid: 'u-rs' });
  const live: GcObservation = { self: at(R.pods, p), owners: [{ ref: p.metadata.ownerReferences![0]!, resource: R.replicasets, owner: rs('rs', 'u-rs'), cacheVersion: '25' }], dependents: [] };
  assert.deepEqual(reconcileGc(live).actions, []);
  const two = pod('p', 'u-p', { uid: 'u-rs' }, {
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u-rs' },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'old', uid: 'u-old' },
    ],
  });
  const obs: GcObservation = {
    self: at(R.pods, two),
    owners: [
      { ref: two.metadata.ownerReferences![0]!, resource: R.replicasets, owner: rs('rs', 'u-rs'), cacheVersion: '25' },
      { ref: two.metadata.ownerReferences![1]!, resource: R.replicasets, cacheVersion: '25' },
    ],
    dependents: [],
  };
  const [a] = reconcileGc(obs).actions;
  assert.equal(a?.kind, 'patch');
  assert.deepEqual((a as any).patch.metadata.ownerReferences.map((r: any) => r.uid), ['u-rs']);
});

test('orphan: dependents are released, then the finalizer goes', () => {
  const owner = rs('rs', 'u-rs', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['orphan'] });
  const d = pod('p', 'u-p', { uid: 'u-rs' });
  const { actions } = reconcileGc({ self: at(R.replicasets, owner), owners: [], dependents: [at(R.pods, d)] });
  assert.deepEqual(actions.map((a) => [a.kind, (a as any).name]), [['patch', 'p'], ['patch', 'rs']]);
  assert.equal((actions[0] as any).patch.metadata.ownerReferences, null);
  assert.equal((actions[1] as any).patch.metadata.finalizers, null);
});

test('foreground: blocking dependents are deleted first; the owner waits for them', () => {
  const owner = rs('rs', 'u-rs', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
  const d = pod('p', 'u-p', { uid: 'u-rs', block: true });
  const first = reconcileGc({ self: at(R.replicasets, owner), owners: [], dependents: [at(R.pods, d)] });
  assert.deepEqual(first.actions, [
    { kind: 'delete', resource: R.pods, namespace: 'default', name: 'p', options: { propagationPolicy: 'Foreground', preconditions: { uid: 'u-p' } } },
  ]);
  const done = reconcileGc({ self: at(R.replicasets, owner), owners: [], dependents: [] });
  assert.equal(done.actions.length, 1);
  assert.equal((done.actions[0] as any).patch.metadata.finalizers, null);
});

test('namespace: content is deleted, then the finalizer and the namespace', () => {
  const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp', uid: 'u-ns', deletionTimestamp: '2026-01-01T00:00:00Z' }, spec: { finalizers: ['kubernetes'] } };
  const busy = reconcileNamespace({ namespace: ns, content: [{ resource: R.configmaps, object: { metadata: { name: 'c', namespace: 'tmp', uid: 'u-c' } } }] });
  assert.deepEqual(busy.actions.map((a) => [a.kind, (a as any).name]), [['delete', 'c']]);
  assert.ok(busy.requeueAfterMs);
  const empty = reconcileNamespace({ namespace: ns, content: [] });
  assert.deepEqual(empty.actions.map((a) => [a.kind, (a as any).subresource ?? (a as any).name]), [['update', 'finalize'], ['delete', 'tmp']]);
  assert.deepEqual(reconcileNamespace({ namespace: { ...ns, metadata: { name: 'live' } }, content: [] }).actions, []);
});
