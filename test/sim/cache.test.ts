// A simulated process's cache keeping only pods by node answers podsOnNode as the fully indexed
// one does, whatever events it is fed, and refuses the index reads it does not keep.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { SimCache } from '../../src/sim/cache.js';

const pod = (name: string, uid: string, node: string | undefined, owner: string | undefined): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', uid, ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: owner, controller: true }] } : {}) },
  spec: { containers: [], ...(node ? { nodeName: node } : {}) },
});

// An event on one of a few pods: written (bound to a node or not, owned or not, maybe replaced under a new uid) or deleted.
const event = fc.record({
  name: fc.constantFrom('a', 'b', 'c', 'd'),
  gen: fc.integer({ min: 0, max: 1 }),
  node: fc.constantFrom(undefined, 'n1', 'n2'),
  owner: fc.constantFrom(undefined, 'rs1'),
  deleted: fc.boolean(),
});

test("a cache of pods by node only answers podsOnNode as a fully indexed one, whatever the events", () => {
  fc.assert(
    fc.property(fc.array(event, { maxLength: 60 }), (events) => {
      const all = new SimCache('all');
      const nodes = new SimCache('nodes');
      for (const e of events) {
        const o = pod(e.name, `${e.name}-${e.gen}`, e.node, e.owner);
        for (const c of [all, nodes]) {
          const old = c.get(R.pods, 'default', e.name);
          if (e.deleted) {
            if (old) c.apply({ type: 'delete', resource: R.pods, object: old });
          } else c.apply({ type: old ? 'update' : 'add', resource: R.pods, object: o, ...(old ? { old } : {}) });
        }
        for (const n of ['n1', 'n2']) {
          const uids = (c: SimCache) => c.podsOnNode(n).map((p) => p.metadata.uid).sort();
          assert.deepEqual(uids(nodes), uids(all));
        }
      }
    }),
  );
});

test('a cache of pods by node only refuses the other index reads', () => {
  const c = new SimCache('nodes');
  c.apply({ type: 'add', resource: R.pods, object: pod('a', 'a-0', 'n1', 'rs1') });
  assert.throws(() => c.byUid('a-0'), /keeps only pods by node/);
  assert.throws(() => c.controlledBy('rs1', R.pods), /keeps only pods by node/);
  assert.throws(() => c.dependentsOf('rs1'), /keeps only pods by node/);
  assert.throws(() => c.podGroups('rs1'), /keeps only pods by node/);
  assert.equal(c.get(R.pods, 'default', 'a')?.metadata.uid, 'a-0');
});
