// The harness itself, with the garbage collector: an owner's deletion reaches its dependents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import { Registry } from '../../src/model/registry.js';
import { StatusError } from '../../src/model/status.js';
import { garbageCollector } from '../../src/controllers/gc.js';
import { storedResources } from '../../src/controllers/manager.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';
import { eventually, testCluster } from './harness.js';

test('background deletion removes dependents through the running garbage collector', async () => {
  const c = await testCluster([garbageCollector(new Registry(), storedResources(new Registry()).map((r) => r.resource))]);
  try {
    const owner = await c.client.create(R.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
    await c.client.create(R.configmaps, 'default', {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid! }] },
    });
    await c.client.delete(R.configmaps, 'default', 'owner');
    await eventually(async () => {
      try {
        await c.client.get(R.configmaps, 'default', 'dep');
        return false;
      } catch (e) {
        return StatusError.is(e, 'NotFound');
      }
    }, 5000, 'the dependent to be collected');
    assert.deepEqual(c.errors, []);
  } finally {
    await c.stop();
  }
});

test('foreground deletion: the blocking dependent goes first, then the owner, through the running garbage collector', async () => {
  const c = await testCluster([garbageCollector(new Registry(), storedResources(new Registry()).map((r) => r.resource))]);
  const gone = async (name: string) => {
    try {
      await c.client.get(R.configmaps, 'default', name);
      return false;
    } catch (e) {
      return StatusError.is(e, 'NotFound');
    }
  };
  try {
    const owner = await c.client.create(R.configmaps, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner' } });
    await c.client.create(R.configmaps, 'default', {
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid!, blockOwnerDeletion: true }] },
    });
    await c.client.delete(R.configmaps, 'default', 'owner', { propagationPolicy: 'Foreground' });
    // Nothing else happens in this cluster: the dependent's removal alone must bring the owner back to the collector.
    await eventually(() => gone('owner'), 5000, 'the owner to go once its dependent has');
    assert.ok(await gone('dep'));
    assert.deepEqual(c.errors, []);
  } finally {
    await c.stop();
  }
});

test('a dependent\'s change or removal brings back the owner being deleted in the foreground; the dependent itself only when an owner is missing', () => {
  const gc = garbageCollector(new Registry(), [R.configmaps]);
  const cm = (name: string, uid: string, meta: Record<string, unknown> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', uid, ...meta } });
  const waiting = cm('waiting', 'u-w', { deletionTimestamp: '2026-01-01T00:00:00Z', finalizers: ['foregroundDeletion'] });
  const live = cm('live', 'u-l');
  const ref = (o: { metadata: { name: string; uid: string } }) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: o.metadata.name, uid: o.metadata.uid });
  const dep = cm('dep', 'u-d', { ownerReferences: [ref(waiting), ref(live)] });
  const view = new SnapshotView([waiting, live].map((object) => ({ resource: R.configmaps, object })));
  // The view no longer holds the dependent, as when its deletion is reported. Its owners are all
  // there, so the dependent itself has nothing to be collected for.
  assert.deepEqual(gc.watches[0]!.keys(dep, view), ['u-w']);
  // With an owner missing from the caches, the dependent is looked at too.
  const orphaned = cm('orphaned', 'u-o', { ownerReferences: [ref(waiting), ref(cm('gone', 'u-g'))] });
  assert.deepEqual(gc.watches[0]!.keys(orphaned, view), ['u-o', 'u-w']);
});
