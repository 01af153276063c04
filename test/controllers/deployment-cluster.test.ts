// Deployments and ReplicaSets through the real runner, informers and in-process API, with the
// garbage collector and a fake kubelet that makes pods ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R, type ApiClient } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { Registry } from '../../src/model/registry.js';
import { StatusError } from '../../src/model/status.js';
import { garbageCollector } from '../../src/controllers/gc.js';
import { storedResources } from '../../src/controllers/manager.js';
import { deploymentController } from '../../src/controllers/deployment.js';
import { replicaSetController } from '../../src/controllers/replicaset.js';
import type { DeploymentObject, ReplicaSetObject } from '../../src/controllers/deployment-util.js';
import { eventually, testCluster, type TestCluster } from './harness.js';
import { startFakeKubelet, type FakeKubelet } from './fake-kubelet.js';
import { watchRollout } from './rollout-watch.js';

const NS = 'default';

function manifest(replicas: number, image: string, strategy: object = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } }): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      strategy,
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } },
    },
  };
}

async function withCluster(fn: (c: TestCluster, kubelet: FakeKubelet) => Promise<void>): Promise<void> {
  const registry = new Registry();
  const c = await testCluster([replicaSetController(), deploymentController(), garbageCollector(registry, storedResources(registry).map((r) => r.resource))]);
  const kubelet = await startFakeKubelet(c.client, { delayMs: 20 });
  try {
    await fn(c, kubelet);
    const real = c.errors.filter((e) => !StatusError.is(e.err, 'Conflict') && !StatusError.is(e.err, 'NotFound') && !StatusError.is(e.err, 'AlreadyExists'));
    assert.deepEqual(real.map((e) => `${e.controller} ${e.key}: ${String(e.err)}`), []);
  } finally {
    kubelet.stop();
    await c.stop();
  }
}

const getD = async (client: ApiClient) => (await client.get(R.deployments, NS, 'web')) as DeploymentObject;
const listRS = async (client: ApiClient) => (await client.list(R.replicasets, NS)).items as ReplicaSetObject[];
const listPods = async (client: ApiClient) => (await client.list(R.pods, NS)).items;

/** `kubectl rollout status`'s test: the latest generation observed, all replicas updated and available, no old ones. */
async function rolledOut(client: ApiClient): Promise<boolean> {
  const d = await getD(client);
  const s = d.status ?? {};
  const want = d.spec!.replicas!;
  return (d.metadata.generation ?? 0) <= (s.observedGeneration ?? 0) && (s.updatedReplicas ?? 0) === want &&
    (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want;
}

async function events(client: ApiClient, reason: string): Promise<string[]> {
  return (await client.list(R.events, NS)).items.filter((e) => (e as { reason?: string }).reason === reason).map((e) => (e as unknown as { message: string }).message);
}

test('create, scale to 10 and to 0, roll out a new image within the bounds, undo, pause and resume', async () => {
  await withCluster(async ({ client }) => {
    await client.create(R.deployments, NS, manifest(3, 'nginx:1.25'));
    await eventually(() => rolledOut(client), 10_000, 'the first rollout');
    let rss = await listRS(client);
    assert.equal(rss.length, 1);
    const first = rss[0]!;
    assert.match(first.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const pods = await listPods(client);
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.ok(p.metadata.name!.startsWith(`${first.metadata.name}-`));
      assert.equal(p.metadata.ownerReferences![0]!.uid, first.metadata.uid);
    }
    const d1 = await getD(client);
    assert.equal(d1.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
    assert.deepEqual(d1.status!.conditions!.map((c) => [c.type, c.status, c.reason]), [
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    assert.ok((await events(client, 'ScalingReplicaSet')).includes(`Scaled up replica set ${first.metadata.name} from 0 to 3`));
    assert.ok((await events(client, 'SuccessfulCreate')).some((m) => m.startsWith(`Created pod: ${first.metadata.name}-`)));

    // Scale through the scale subresource, as `kubectl scale` does.
    await client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 10 } }, { subresource: 'scale' });
    await eventually(async () => (await rolledOut(client)) && (await listPods(client)).length === 10, 10_000, 'ten replicas');
    await client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 0 } }, { subresource: 'scale' });
    await eventually(async () => (await rolledOut(client)) && (await listPods(client)).length === 0, 10_000, 'zero replicas');
    await client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { replicas: 4 } }, { subresource: 'scale' });
    await eventually(async () => (await rolledOut(client)) && (await listPods(client)).length === 4, 10_000, 'four replicas');

    // A new image rolls out; a watch checks both bounds in every state it sees.
    const watch = await watchRollout(client, NS);
    try {
      const updated = await client.patch(R.deployments, NS, 'web', 'application/strategic-merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } });
      watch.arm(updated as DeploymentObject);
      await eventually(() => rolledOut(client), 15_000, 'the image rollout');
      watch.disarm();
    } finally {
      watch.stop();
    }
    assert.ok(watch.states.length >= 8, `the watch saw the rollout (${watch.states.length} states)`);
    assert.ok(watch.states.some((s) => s.total === 5), 'the rollout used its surge');
    assert.deepEqual(watch.violations, []);
    rss = await listRS(client);
    const second = rss.find((rs) => rs.metadata.annotations!['deployment.kubernetes.io/revision'] === '2')!;
    assert.ok(second);
    assert.equal(rss.find((rs) => rs.metadata.uid === first.metadata.uid)!.spec!.replicas, 0);
    const scaled = await events(client, 'ScalingReplicaSet');
    assert.ok(scaled.some((m) => m.startsWith(`Scaled down replica set ${first.metadata.name} from 4 to `)), scaled.join('\n'));

    // `kubectl rollout undo`: the previous template, patched back by the client.
    const template = JSON.parse(JSON.stringify(rss.find((rs) => rs.metadata.uid === first.metadata.uid)!.spec!.template));
    delete template.metadata.labels['pod-template-hash'];
    await client.patch(R.deployments, NS, 'web', 'application/json-patch+json', [{ op: 'replace', path: '/spec/template', value: template }]);
    await eventually(async () => (await rolledOut(client)) && (await getD(client)).metadata.annotations!['deployment.kubernetes.io/revision'] === '3', 15_000, 'the undo');
    const back = (await client.get(R.replicasets, NS, first.metadata.name!)) as ReplicaSetObject;
    assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
    assert.equal(back.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
    assert.equal(back.spec!.replicas, 4);
    assert.equal((await listRS(client)).length, 2, 'no third ReplicaSet: the old one came back');

    // Pause: a template change waits; resume: it rolls.
    await client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { paused: true } });
    await eventually(async () => (await getD(client)).status?.conditions?.some((c) => c.type === 'Progressing' && c.reason === 'DeploymentPaused'), 5000, 'the paused condition');
    await client.patch(R.deployments, NS, 'web', 'application/strategic-merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await listRS(client)).length, 2, 'paused: no new ReplicaSet');
    const paused = await getD(client);
    assert.equal(paused.status!.observedGeneration, paused.metadata.generation, 'a paused deployment still observes its spec');
    await client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { paused: false } });
    await eventually(async () => (await rolledOut(client)) && (await listRS(client)).length === 3, 15_000, 'the resumed rollout');
    const resumed = await getD(client);
    assert.equal(resumed.metadata.annotations!['deployment.kubernetes.io/revision'], '4');
  });
});

test('Recreate: every old pod is gone before a new one is created', async () => {
  await withCluster(async ({ client }) => {
    await client.create(R.deployments, NS, manifest(3, 'nginx:1', { type: 'Recreate' }));
    await eventually(() => rolledOut(client), 10_000, 'the first rollout');
    const mixed: string[] = [];
    const { Informer } = await import('../../src/client/informer.js');
    const inf = new Informer(client, R.pods, { namespace: NS });
    inf.on(() => {
      const images = new Set(inf.list(NS).filter((p) => !p.metadata.deletionTimestamp).map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image));
      if (images.size > 1) mixed.push([...images].join(','));
    });
    await inf.start();
    try {
      await client.patch(R.deployments, NS, 'web', 'application/strategic-merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } });
      await eventually(async () => (await rolledOut(client)) && (await listPods(client)).every((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image === 'nginx:2'), 10_000, 'the recreate');
    } finally {
      inf.stop();
    }
    assert.deepEqual(mixed, []);
  });
});

test('a ReplicaSet adopts a matching orphan pod and releases a pod whose labels change', async () => {
  await withCluster(async ({ client }) => {
    await client.create(R.pods, NS, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stray', labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
    await client.create(R.replicasets, NS, {
      apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'solo' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'solo' } }, template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
    });
    const rs = await client.get(R.replicasets, NS, 'solo');
    await eventually(async () => {
      const pods = (await listPods(client)).filter((p) => p.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid);
      return pods.length === 2 && pods.some((p) => p.metadata.name === 'stray');
    }, 5000, 'adoption plus one new pod');
    const stray = await client.get(R.pods, NS, 'stray');
    assert.deepEqual(stray.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'solo', uid: rs.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    // Relabel it: released, and replaced.
    await client.patch(R.pods, NS, 'stray', 'application/merge-patch+json', { metadata: { labels: { app: 'gone' } } });
    await eventually(async () => {
      const p = await client.get(R.pods, NS, 'stray');
      const owned = (await listPods(client)).filter((x) => x.metadata.ownerReferences?.[0]?.uid === rs.metadata.uid && !x.metadata.deletionTimestamp);
      return !p.metadata.ownerReferences?.length && owned.length === 2;
    }, 5000, 'release and replacement');
    await eventually(async () => ((await client.get(R.replicasets, NS, 'solo')).status as { readyReplicas?: number }).readyReplicas === 2, 5000, 'ready replicas');
  });
});

test('deleting a Deployment in the background removes its ReplicaSets and pods', async () => {
  await withCluster(async ({ client }) => {
    await client.create(R.deployments, NS, manifest(3, 'nginx:1'));
    await eventually(() => rolledOut(client), 10_000, 'the rollout');
    await client.patch(R.deployments, NS, 'web', 'application/strategic-merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } });
    await eventually(() => rolledOut(client), 10_000, 'the second rollout');
    assert.equal((await listRS(client)).length, 2);
    await client.delete(R.deployments, NS, 'web', { propagationPolicy: 'Background' });
    await eventually(async () => (await listRS(client)).length === 0 && (await listPods(client)).length === 0, 10_000, 'garbage collection');
  });
});
