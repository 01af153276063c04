// The harness itself, with the garbage collector: an owner's deletion reaches its dependents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import { Registry } from '../../src/model/registry.js';
import { StatusError } from '../../src/model/status.js';
import { garbageCollector } from '../../src/controllers/gc.js';
import { storedResources } from '../../src/controllers/manager.js';
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
