// The StatefulSet controller: pure reconciles stepped against real API semantics, the seed-003
// ordering and identity invariants under random interleavings, and the running controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { reconcileStatefulSet, statefulSetController, type StatefulSet } from '../../src/controllers/statefulset.js';
import { statefulSetDecisionViolations, statefulSetIdentityViolations } from '../../src/verify/invariants/workloads.js';
import { isPodReady } from '../../src/controllers/pods.js';
import { ApiWorld } from './api-world.js';
import { eventually, testCluster } from './harness.js';
import { setPod } from './kubelet.js';

const sts = (spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'web', namespace: 'default' },
  spec: {
    replicas: 3, serviceName: 'web', selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1' }] } },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    ...spec,
  },
});

const world = () => new ApiWorld([R.statefulsets, R.pods, R.controllerrevisions, R.persistentvolumeclaims]).init();
const ctl = statefulSetController();
const names = async (w: ApiWorld) => (await w.list(R.pods, 'default')).map((p) => p.metadata.name).sort();
const get = async (w: ApiWorld) => (await w.client.get(R.statefulsets, 'default', 'web')) as StatefulSet;
const events = (d: { actions: { kind: string; object?: KubeObject }[] }) =>
  d.actions.filter((a) => a.kind === 'create' && a.object?.kind === 'Event').map((a) => [a.object!.reason, a.object!.message]);

test('OrderedReady: web-0 first, with its claim, identity and revision; web-1 only once web-0 is Running and Ready', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts());
    const first = await w.reconcile(ctl, 'default/web');
    assert.deepEqual(events(first.decision), [
      ['SuccessfulCreate', 'create Claim data-web-0 Pod web-0 in StatefulSet web success'],
      ['SuccessfulCreate', 'create Pod web-0 in StatefulSet web successful'],
    ]);
    assert.deepEqual(await names(w), ['web-0']);
    const pod = await w.client.get(R.pods, 'default', 'web-0');
    const revisions = await w.list(R.controllerrevisions, 'default');
    assert.equal(revisions.length, 1);
    const rev = revisions[0]!;
    assert.match(rev.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(rev.revision, 1);
    assert.equal(rev.metadata.labels?.['controller.kubernetes.io/hash'], rev.metadata.name!.slice(4));
    assert.deepEqual(pod.metadata.labels, {
      app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0', 'apps.kubernetes.io/pod-index': '0', 'controller-revision-hash': rev.metadata.name,
    });
    assert.equal((pod.spec as any).hostname, 'web-0');
    assert.equal((pod.spec as any).subdomain, 'web');
    // the claim's volume (beside the API token volume the ServiceAccount admission adds)
    assert.deepEqual((pod.spec as any).volumes.filter((v: { name: string }) => !v.name.startsWith('kube-api-access-')), [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }]);
    assert.deepEqual(pod.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller, r.blockOwnerDeletion]), [['StatefulSet', 'web', true, true]]);
    const claim = await w.client.get(R.persistentvolumeclaims, 'default', 'data-web-0');
    assert.deepEqual(claim.metadata.labels, { app: 'web' });
    assert.equal(claim.metadata.ownerReferences, undefined, 'Retain/Retain: the claim outlives the set');

    // Pending: nothing more happens.
    await w.reconcile(ctl, 'default/web');
    assert.deepEqual(await names(w), ['web-0']);
    const s = (await get(w)).status!;
    assert.deepEqual([s.replicas, s.readyReplicas, s.currentReplicas, s.updatedReplicas, s.currentRevision, s.updateRevision, s.observedGeneration],
      [1, 0, 1, 1, rev.metadata.name, rev.metadata.name, 1]);

    await w.setPod('default', 'web-0', { phase: 'Running' });
    await w.reconcile(ctl, 'default/web');
    assert.deepEqual(await names(w), ['web-0', 'web-1']);
  } finally {
    await w.close();
  }
});

test('Parallel: every pod at once; scale-down deletes every surplus pod at once', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ podManagementPolicy: 'Parallel' }));
    await w.reconcile(ctl, 'default/web');
    assert.deepEqual(await names(w), ['web-0', 'web-1', 'web-2']);
    assert.deepEqual((await w.list(R.persistentvolumeclaims, 'default')).map((c) => c.metadata.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    const set = await get(w);
    await w.client.update(R.statefulsets, 'default', { ...set, spec: { ...set.spec, replicas: 1 } });
    await w.reconcile(ctl, 'default/web');
    assert.deepEqual(await names(w), ['web-0']);
  } finally {
    await w.close();
  }
});

async function readyAll(w: ApiWorld) {
  for (const p of await w.list(R.pods, 'default')) if (!isPodReady(p as never)) await w.setPod('default', p.metadata.name!, { phase: 'Running' });
}

async function converge(w: ApiWorld, rounds = 30) {
  for (let i = 0; i < rounds; i++) {
    await w.reconcile(ctl, 'default/web');
    await readyAll(w);
  }
}

test('scale-down removes the highest ordinal first, one at a time; claims are retained', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ replicas: 4 }));
    await converge(w);
    assert.deepEqual(await names(w), ['web-0', 'web-1', 'web-2', 'web-3']);
    assert.deepEqual((await w.reconcile(ctl, 'default/web')).decision, { actions: [] }, 'a converged set writes nothing');
    const set = await get(w);
    await w.client.update(R.statefulsets, 'default', { ...set, spec: { ...set.spec, replicas: 1 } });
    const gone: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { decision } = await w.reconcile(ctl, 'default/web');
      for (const a of decision.actions) if (a.kind === 'delete' && a.resource.resource === 'pods') gone.push(a.name);
    }
    assert.deepEqual(gone, ['web-3', 'web-2', 'web-1']);
    assert.deepEqual(events({ actions: [] }), []);
    assert.equal((await w.list(R.persistentvolumeclaims, 'default')).length, 4);
  } finally {
    await w.close();
  }
});

test('rolling update: reverse ordinal order, respecting the partition; the status completes the revision', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }));
    await converge(w);
    const before = (await get(w)).status!.currentRevision!;
    const set = await get(w);
    set.spec.template.spec!.containers[0]!.image = 'nginx:2';
    await w.client.update(R.statefulsets, 'default', set);
    const order: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { decision } = await w.reconcile(ctl, 'default/web');
      for (const a of decision.actions) if (a.kind === 'delete' && a.resource.resource === 'pods') order.push(a.name);
      await readyAll(w);
    }
    assert.deepEqual(order, ['web-2', 'web-1'], 'web-0 stays below the partition');
    const s = (await get(w)).status!;
    assert.notEqual(s.updateRevision, before);
    assert.equal(s.currentRevision, before, 'not every pod is updated yet');
    assert.equal(s.updatedReplicas, 2);
    assert.equal((await w.client.get(R.pods, 'default', 'web-0')).metadata.labels?.['controller-revision-hash'], before);
    // Lowering the partition finishes the rollout, and the update revision becomes current.
    const again = await get(w);
    await w.client.update(R.statefulsets, 'default', { ...again, spec: { ...again.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } } });
    await converge(w);
    const done = (await get(w)).status!;
    assert.equal(done.currentRevision, done.updateRevision);
    assert.equal(done.updatedReplicas, 3);
    assert.deepEqual((await w.list(R.controllerrevisions, 'default')).map((r) => r.revision).sort(), [1, 2]);
  } finally {
    await w.close();
  }
});

test('OnDelete: a template change replaces nothing until a pod is deleted', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ updateStrategy: { type: 'OnDelete' } }));
    await converge(w);
    const set = await get(w);
    set.spec.template.spec!.containers[0]!.image = 'nginx:2';
    await w.client.update(R.statefulsets, 'default', set);
    await converge(w, 5);
    const revs = new Set((await w.list(R.pods, 'default')).map((p) => p.metadata.labels?.['controller-revision-hash']));
    assert.equal(revs.size, 1);
    await w.client.delete(R.pods, 'default', 'web-1');
    await converge(w, 5);
    const updated = (await get(w)).status!.updateRevision;
    assert.equal((await w.client.get(R.pods, 'default', 'web-1')).metadata.labels?.['controller-revision-hash'], updated);
    assert.notEqual((await w.client.get(R.pods, 'default', 'web-0')).metadata.labels?.['controller-revision-hash'], updated);
  } finally {
    await w.close();
  }
});

test('a failed pod is deleted and recreated under the same name and claim', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ replicas: 2 }));
    await converge(w);
    const oldUid = (await w.client.get(R.pods, 'default', 'web-1')).metadata.uid;
    await w.setPod('default', 'web-1', { phase: 'Failed' });
    const { decision } = await w.reconcile(ctl, 'default/web');
    assert.deepEqual(events(decision), [['SuccessfulDelete', 'delete Pod web-1 in StatefulSet web successful']]);
    await converge(w, 3);
    const pod = await w.client.get(R.pods, 'default', 'web-1');
    assert.notEqual(pod.metadata.uid, oldUid);
    // the claim's volume (beside the API token volume the ServiceAccount admission adds)
    assert.deepEqual((pod.spec as any).volumes.filter((v: { name: string }) => !v.name.startsWith('kube-api-access-')), [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } }]);
  } finally {
    await w.close();
  }
});

test('persistentVolumeClaimRetentionPolicy: claims owned by the set on WhenDeleted=Delete, by the pod once scaled away on WhenScaled=Delete', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ replicas: 2, persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' } }));
    await converge(w);
    const set = await get(w);
    const owners = async (n: string) => (await w.client.get(R.persistentvolumeclaims, 'default', n)).metadata.ownerReferences?.map((r) => `${r.kind}/${r.name}`);
    assert.deepEqual(await owners('data-web-0'), ['StatefulSet/web']);
    await w.client.update(R.statefulsets, 'default', { ...set, spec: { ...set.spec, replicas: 1 } });
    await w.reconcile(ctl, 'default/web');
    assert.deepEqual(await owners('data-web-1'), ['Pod/web-1'], 'the condemned pod owns its claim before it goes');
    assert.deepEqual(await owners('data-web-0'), ['StatefulSet/web']);
  } finally {
    await w.close();
  }
});

test('a name taken by a different revision bumps status.collisionCount', () => {
  const set = { ...sts(), metadata: { name: 'web', namespace: 'default', uid: 'u-set', generation: 1 }, status: { replicas: 0 } } as unknown as StatefulSet;
  const first = reconcileStatefulSet({ set, pods: [], revisions: [], claims: {} }, 0);
  const created = first.actions.find((a) => a.kind === 'create' && a.resource.resource === 'controllerrevisions') as { object: KubeObject };
  const squatter = { ...created.object, metadata: { ...created.object.metadata, uid: 'u-other', ownerReferences: [] }, data: { other: true } };
  const d = reconcileStatefulSet({ set, pods: [], revisions: [], claims: {}, namedRevision: squatter as never }, 0);
  assert.equal(d.actions.length, 1);
  const status = (d.actions[0] as unknown as { object: StatefulSet }).object.status!;
  assert.equal(status.collisionCount, 1);
  const next = reconcileStatefulSet({ set: { ...set, status: { replicas: 0, collisionCount: 1 } }, pods: [], revisions: [], claims: {} }, 0);
  const renamed = next.actions.find((a) => a.kind === 'create' && a.resource.resource === 'controllerrevisions') as { object: KubeObject };
  assert.notEqual(renamed.object.metadata.name, created.object.metadata.name);
});

test('revisionHistoryLimit: old revisions no pod uses are deleted, oldest first', async () => {
  const w = await world();
  try {
    await w.client.create(R.statefulsets, 'default', sts({ replicas: 1, revisionHistoryLimit: 1 }));
    await converge(w, 3);
    for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
      const set = await get(w);
      set.spec.template.spec!.containers[0]!.image = image;
      await w.client.update(R.statefulsets, 'default', set);
      await converge(w, 6);
    }
    const revs = await w.list(R.controllerrevisions, 'default');
    assert.deepEqual(revs.map((r) => r.revision).sort(), [3, 4]);
  } finally {
    await w.close();
  }
});

type Step =
  | { kind: 'reconcile'; limit: number }
  | { kind: 'ready'; pick: number }
  | { kind: 'unready'; pick: number }
  | { kind: 'fail'; pick: number }
  | { kind: 'scale'; replicas: number }
  | { kind: 'image'; v: number }
  | { kind: 'partition'; p: number }
  | { kind: 'tick' };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 8 }).map((limit) => ({ kind: 'reconcile' as const, limit })) },
  { weight: 4, arbitrary: fc.nat(10).map((pick) => ({ kind: 'ready' as const, pick })) },
  { weight: 1, arbitrary: fc.nat(10).map((pick) => ({ kind: 'unready' as const, pick })) },
  { weight: 1, arbitrary: fc.nat(10).map((pick) => ({ kind: 'fail' as const, pick })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 5 }).map((replicas) => ({ kind: 'scale' as const, replicas })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }).map((v) => ({ kind: 'image' as const, v })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((p) => ({ kind: 'partition' as const, p })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'tick' as const }) },
);

test('property: under any interleaving of controller, kubelet and user, identities stay unique and OrderedReady order and the partition hold', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), fc.boolean(), async (steps, parallel) => {
      const w = await world();
      const log: string[] = [];
      try {
        await w.client.create(R.statefulsets, 'default', sts({ replicas: 3, podManagementPolicy: parallel ? 'Parallel' : 'OrderedReady' }));
        const check = async (extra: string[] = []) => {
          const set = await get(w);
          const v = [...extra, ...statefulSetIdentityViolations(set, await w.list(R.pods, 'default'), await w.list(R.persistentvolumeclaims, 'default'))];
          assert.deepEqual(v, [], log.join('\n'));
        };
        const pods = async () => (await w.list(R.pods, 'default')).sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
        for (const s of steps) {
          log.push(JSON.stringify(s));
          switch (s.kind) {
            case 'reconcile': {
              const { obs, decision } = await w.reconcile(ctl, 'default/web', s.limit);
              await check(statefulSetDecisionViolations(obs, decision));
              continue;
            }
            case 'ready':
            case 'unready':
            case 'fail': {
              const ps = await pods();
              const p = ps[s.pick % Math.max(ps.length, 1)];
              if (!p) continue;
              await w.setPod('default', p.metadata.name!, s.kind === 'fail' ? { phase: 'Failed' } : { phase: 'Running', ready: s.kind === 'ready' });
              break;
            }
            case 'tick':
              w.t += 5000;
              break;
            default: {
              const set = await get(w);
              if (s.kind === 'scale') set.spec.replicas = s.replicas;
              if (s.kind === 'image') set.spec.template.spec!.containers[0]!.image = `nginx:${s.v}`;
              if (s.kind === 'partition') set.spec.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: s.p } };
              await w.client.update(R.statefulsets, 'default', set);
            }
          }
          await check();
        }
        // LIVE-SS: with a healthy kubelet and the partition at 0, every pod ends updated and ready.
        const set = await get(w);
        await w.client.update(R.statefulsets, 'default', { ...set, spec: { ...set.spec, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } } } });
        for (let i = 0; i < 40; i++) {
          const { obs, decision } = await w.reconcile(ctl, 'default/web');
          await check(statefulSetDecisionViolations(obs, decision));
          for (const p of await pods()) if (!isPodReady(p as never)) await w.setPod('default', p.metadata.name!, { phase: 'Running' });
        }
        const end = await get(w);
        const replicas = end.spec.replicas ?? 1;
        assert.deepEqual(await names(w), Array.from({ length: replicas }, (_, i) => `web-${i}`).sort(), log.join('\n'));
        assert.equal(end.status?.readyReplicas, replicas, log.join('\n'));
        assert.equal(end.status?.updatedReplicas, replicas, log.join('\n'));
        assert.equal(end.status?.currentRevision, end.status?.updateRevision, log.join('\n'));
      } finally {
        await w.close();
      }
    }),
    { numRuns: 25 },
  );
});

test('through the running controller: web-0, web-1, web-2 in order with their claims; deleted in reverse', async () => {
  const c = await testCluster([statefulSetController()]);
  const created: string[] = [];
  const deleted: string[] = [];
  let stop = false;
  // A watch records the order pods appear and disappear in.
  const rv = (await c.client.list(R.pods, 'default')).metadata.resourceVersion!;
  const watch = c.client.watch(R.pods, 'default', { resourceVersion: rv }, {
    event: (ev) => {
      if (ev.type === 'ADDED') created.push((ev.object as KubeObject).metadata.name!);
      if (ev.type === 'DELETED') deleted.push((ev.object as KubeObject).metadata.name!);
    },
    end: () => undefined,
  });
  // The kubelet: a pending pod becomes Running and Ready shortly after it appears.
  const kubelet = (async () => {
    while (!stop) {
      for (const p of (await c.client.list(R.pods, 'default')).items) {
        if ((p.status as { phase?: string }).phase === 'Pending') await setPod(c.client, 'default', p.metadata.name!, { phase: 'Running' }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    await c.client.create(R.statefulsets, 'default', sts());
    await eventually(async () => ((await c.client.get(R.statefulsets, 'default', 'web')).status as { readyReplicas?: number }).readyReplicas === 3, 10_000, 'three ready replicas');
    assert.deepEqual(created, ['web-0', 'web-1', 'web-2']);
    assert.deepEqual((await c.client.list(R.persistentvolumeclaims, 'default')).items.map((p) => p.metadata.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    const set = await c.client.get(R.statefulsets, 'default', 'web');
    await c.client.update(R.statefulsets, 'default', { ...set, spec: { ...(set.spec as object), replicas: 0 } });
    await eventually(async () => (await c.client.list(R.pods, 'default')).items.length === 0 && deleted.length === 3, 10_000, 'the pods to go');
    assert.deepEqual(deleted, ['web-2', 'web-1', 'web-0']);
    assert.equal((await c.client.list(R.persistentvolumeclaims, 'default')).items.length, 3, 'claims are retained');
    assert.deepEqual(c.errors.filter((e) => !String(e.err).includes('the object has been modified')), []);
  } finally {
    stop = true;
    watch.stop();
    await kubelet;
    await c.stop();
  }
});
