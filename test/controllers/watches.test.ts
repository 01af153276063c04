// Which events set controllers to work: as upstream's event handlers, a pod's status moving
// concerns neither the Deployment controller (it handles pod deletions only) nor node lifecycle
// (a pod landing on a node), and a Lease's renewal does not concern node lifecycle (upstream reads
// leases in its periodic sweep; here the requeue at the grace deadline does), and a plain
// deletion of an object with all its owners present does not concern the garbage collector.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { deploymentController } from '../../src/controllers/deployment.js';
import { nodeLifecycleController } from '../../src/controllers/nodelifecycle.js';
import { garbageCollector } from '../../src/controllers/gc.js';
import { Registry } from '../../src/model/registry.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';

const pod = (nodeName?: string, phase = 'Pending'): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], ...(nodeName ? { nodeName } : {}) },
  status: { phase },
});

const podWatch = (c: { watches: { resource: typeof R.pods; changed?: (o: KubeObject, old: KubeObject) => boolean }[] }) => c.watches.find((w) => w.resource === R.pods)!;

test('the Deployment controller heeds no pod update', () => {
  const w = podWatch(deploymentController());
  assert.ok(w.changed, 'updates are filtered');
  assert.equal(w.changed(pod('n1', 'Running'), pod('n1')), false);
  assert.equal(w.changed({ ...pod('n1'), metadata: { ...pod().metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }, pod('n1')), false);
});

test('node lifecycle heeds a pod landing on a node, not its status', () => {
  const w = podWatch(nodeLifecycleController());
  assert.ok(w.changed, 'updates are filtered');
  assert.equal(w.changed(pod('n1'), pod()), true, 'bound');
  assert.equal(w.changed(pod('n1', 'Running'), pod('n1')), false, 'status alone');
});

test('node lifecycle heeds a Lease coming, not its renewals', () => {
  const w = nodeLifecycleController().watches.find((x) => x.resource === R.leases)!;
  const lease = (renewTime: string): KubeObject => ({
    apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'n1', namespace: 'kube-node-lease' },
    spec: { holderIdentity: 'n1', renewTime },
  });
  assert.deepEqual(w.keys(lease('2026-01-01T00:00:00.000000Z'), undefined as never), ['n1'], 'its node is the key');
  assert.ok(w.changed, 'updates are filtered');
  assert.equal(w.changed(lease('2026-01-01T00:00:10.000000Z'), lease('2026-01-01T00:00:00.000000Z')), false);
});

test('the garbage collector heeds a deletion it carries out, not a plain one', () => {
  const w = garbageCollector(new Registry(), [R.pods, R.replicasets]).watches.find((x) => x.resource === R.pods)!;
  const rs: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'rs', namespace: 'ns', uid: 'rs1' } };
  const view = new SnapshotView([{ resource: R.replicasets, object: rs }], '1');
  const owned = (meta: Partial<KubeObject['metadata']>): KubeObject => {
    const p = pod('n1');
    return { ...p, metadata: { ...p.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'rs1', controller: true }], ...meta } };
  };
  const deleting = { deletionTimestamp: '2026-01-01T00:00:00Z' };
  assert.deepEqual(w.keys(owned({}), view), [], 'its owner is there');
  assert.deepEqual(w.keys(owned(deleting), view), [], 'a plain deletion: the API and the kubelet finish it');
  assert.deepEqual(w.keys(owned({ ...deleting, finalizers: ['foregroundDeletion'] }), view), ['u1'], 'its dependents go first');
  assert.deepEqual(w.keys(owned({ ...deleting, finalizers: ['orphan'] }), view), ['u1'], 'its dependents are released');
  assert.deepEqual(w.keys({ ...owned({}), metadata: { ...owned({}).metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'gone', uid: 'x' }] } }, view), ['u1'], 'its owner is absent');
});
