// The indexes' pod groups (counts kept as pods come and go) and the ReplicaSet decisions made from
// them: the same as a walk over the pods, for any history of pod events.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { ObjectIndexes } from '../../src/controllers/indexes.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';
import { isPodActive, isPodReady } from '../../src/controllers/pods.js';
import { observeReplicaSet, reconcileReplicaSet } from '../../src/controllers/replicaset.js';
import type { Action, Located } from '../../src/controllers/runtime.js';

const NOW = Date.parse('2026-01-01T00:10:00Z');

/** The indexes fed pod by pod, as a cache feeds them. */
class Index extends ObjectIndexes {
  readonly objects = new Map<string, KubeObject>();
  put(o: KubeObject): void {
    const old = this.objects.get(o.metadata.uid!);
    this.objects.set(o.metadata.uid!, o);
    if (old && this.replaceIndexed(R.pods, old, o)) return;
    if (old) this.unindexObject(R.pods, old);
    this.indexObject(R.pods, o);
  }
  /** As an informer removes a pod: by the object the delete event carries, which may differ from the one cached. */
  remove(uid: string, carried?: KubeObject): void {
    const old = this.objects.get(uid);
    if (!old) return;
    this.objects.delete(uid);
    // The carried object is the pod's last state: its owners and labels as cached, its status perhaps not.
    this.unindexObject(R.pods, carried ? { ...old, status: carried.status, metadata: { ...old.metadata, deletionTimestamp: '2026-01-01T00:09:30Z' } } : old);
  }
}

const owners = ['rs-uid', 'other', null] as const;
const labelSets: (Record<string, string> | undefined)[] = [{ app: 'web', tier: 'front' }, { tier: 'front', app: 'web' }, { app: 'web' }, { app: 'db' }, undefined];
const podArb = fc.record({
  n: fc.integer({ min: 0, max: 7 }),
  owner: fc.constantFrom(...owners),
  labels: fc.integer({ min: 0, max: labelSets.length - 1 }),
  phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed'),
  ready: fc.boolean(),
  deleting: fc.boolean(),
  gone: fc.boolean(),
});

function pod(p: { n: number; owner: string | null; labels: number; phase: string; ready: boolean; deleting: boolean }): KubeObject {
  const labels = labelSets[p.labels];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `web-${p.n}`, namespace: 'default', uid: `uid-${p.n}`, resourceVersion: '1', creationTimestamp: '2026-01-01T00:00:00Z',
      ...(labels ? { labels: { ...labels } } : {}),
      ...(p.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: p.owner === 'rs-uid' ? 'web-abc' : 'other', uid: p.owner, controller: true }] } : {}),
      ...(p.deleting ? { deletionTimestamp: '2026-01-01T00:09:00Z' } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], nodeName: 'n1' },
    status: { phase: p.phase, conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False', lastTransitionTime: '2026-01-01T00:05:00Z' }] },
  };
}

function replicaSet(replicas: number, deleting: boolean, minReady: number, status: { replicas: number; readyReplicas?: number }): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'ReplicaSet',
    metadata: { name: 'web-abc', namespace: 'default', uid: 'rs-uid', resourceVersion: '5', generation: 1, ...(deleting ? { deletionTimestamp: '2026-01-01T00:09:00Z' } : {}) },
    spec: { replicas, minReadySeconds: minReady, selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
    status: { ...status, observedGeneration: 1 },
  };
}

/** Actions as data (their onError functions are compared by what they give). */
const plain = (as: Action[]): unknown[] => as.map(({ onError, ...a }) => ({ ...a, onError: onError ? plain(onError(new Error('x'))) : undefined }));

test('pod groups count what a walk over the controlled pods counts, through adds, updates, moves and removals', () => {
  fc.assert(fc.property(fc.array(podArb, { maxLength: 40 }), (events) => {
    const ix = new Index();
    for (const e of events) {
      if (e.gone) ix.remove(`uid-${e.n}`, e.ready ? pod({ ...e, phase: 'Succeeded' }) : undefined);
      else ix.put(pod(e));
      for (const owner of ['rs-uid', 'other']) {
        const pods = ix.controlledBy(owner, R.pods);
        const groups = [...ix.podGroups(owner).values()];
        assert.equal(groups.reduce((n, g) => n + g.pods, 0), pods.length);
        assert.equal(groups.reduce((n, g) => n + g.active, 0), pods.filter(isPodActive).length);
        assert.equal(groups.reduce((n, g) => n + g.ready, 0), pods.filter((p) => isPodActive(p) && isPodReady(p)).length);
        for (const p of pods) assert.ok(groups.some((g) => JSON.stringify(g.labels) === JSON.stringify(p.metadata.labels ?? {})));
      }
    }
  }));
});

test('a ReplicaSet decides the same from the pod groups as from a walk over its pods', () => {
  fc.assert(fc.property(
    fc.array(podArb, { maxLength: 30 }),
    fc.integer({ min: 0, max: 8 }), fc.boolean(), fc.constantFrom(0, 0, 30), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }),
    (events, replicas, deleting, minReady, statusReplicas, statusReady) => {
      const ix = new Index();
      for (const e of events) {
        if (e.gone) ix.remove(`uid-${e.n}`);
        else ix.put(pod(e));
      }
      const set = replicaSet(replicas, deleting, minReady, { replicas: statusReplicas, ...(statusReady ? { readyReplicas: statusReady } : {}) });
      const objects: Located[] = [{ resource: R.replicasets, object: set }, ...[...ix.objects.values()].map((object) => ({ resource: R.pods, object }))];
      const walk = observeReplicaSet('default/web-abc', new SnapshotView(objects));
      assert.equal(walk.groups, undefined);
      const grouped = { ...walk, groups: ix.podGroups('rs-uid') };
      assert.deepEqual(plain(reconcileReplicaSet(grouped, NOW).actions), plain(reconcileReplicaSet(walk, NOW).actions));
      assert.equal(reconcileReplicaSet(grouped, NOW).requeueAfterMs, reconcileReplicaSet(walk, NOW).requeueAfterMs);
    },
  ), { numRuns: 500 });
});
