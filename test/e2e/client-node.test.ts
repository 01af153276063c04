// @kubernetes/client-node, unmodified, against a real `berth server`: typed CRUD, the three patch
// types, errors as ApiException with Status bodies, and an informer that sees every change.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { eventually, removeDir, startServer, type ServerProcess } from './cluster.js';

describe('@kubernetes/client-node against berth server', () => {
  let s: ServerProcess;
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const namespace = 'clients';

  before(async () => {
    s = await startServer();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(s.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
    await core.createNamespace({ body: { metadata: { name: namespace } } });
  });
  after(async () => {
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('creates, reads, lists, replaces and deletes', async () => {
    const created = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'one', labels: { k: 'v' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'one');
    assert.ok(created.metadata?.uid);
    const read = await core.readNamespacedConfigMap({ name: 'one', namespace });
    assert.deepEqual(read.data, { a: '1' });
    const list = await core.listNamespacedConfigMap({ namespace, labelSelector: 'k=v' });
    assert.deepEqual(list.items.map((c) => c.metadata?.name), ['one']);
    read.data = { a: '2' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'one', namespace, body: read });
    assert.equal(replaced.data?.a, '2');
    assert.notEqual(replaced.metadata?.resourceVersion, read.metadata?.resourceVersion);
    await core.deleteNamespacedConfigMap({ name: 'one', namespace });
    await assert.rejects(core.readNamespacedConfigMap({ name: 'one', namespace }), (e: any) => {
      assert.equal(e.code, 404);
      assert.equal(JSON.parse(e.body).reason, 'NotFound');
      return true;
    });
  });

  it('patches with each patch type', async () => {
    await apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1', env: [{ name: 'A', value: '1' }] }] } },
        },
      },
    });
    const opt = (type: string) => k8s.setHeaderOptions('Content-Type', type);
    await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } } },
      opt(k8s.PatchStrategy.StrategicMergePatch),
    );
    await apps.patchNamespacedDeployment({ name: 'web', namespace, body: { metadata: { labels: { m: 'x' } } } }, opt(k8s.PatchStrategy.MergePatch));
    const d = await apps.patchNamespacedDeployment(
      { name: 'web', namespace, body: [{ op: 'replace', path: '/spec/replicas', value: 4 }] },
      opt(k8s.PatchStrategy.JsonPatch),
    );
    assert.equal(d.spec?.template.spec?.containers[0]?.image, 'nginx:2');
    assert.deepEqual(JSON.parse(JSON.stringify(d.spec?.template.spec?.containers[0]?.env)), [{ name: 'A', value: '1' }]);
    assert.equal(d.metadata?.labels?.m, 'x');
    assert.equal(d.spec?.replicas, 4);
    const scale = await apps.readNamespacedDeploymentScale({ name: 'web', namespace });
    assert.equal(scale.spec?.replicas, 4);
  });

  it('reports invalid objects and conflicts as upstream Status errors', async () => {
    await assert.rejects(core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'Not_Valid' } } }), (e: any) => {
      assert.equal(e.code, 422);
      const st = JSON.parse(e.body);
      assert.equal(st.reason, 'Invalid');
      assert.equal(st.details.causes[0].field, 'metadata.name');
      return true;
    });
    const c = await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'cas' } } });
    await core.replaceNamespacedConfigMap({ name: 'cas', namespace, body: { ...c, data: { x: '1' } } });
    await assert.rejects(core.replaceNamespacedConfigMap({ name: 'cas', namespace, body: { ...c, data: { x: '2' } } }), (e: any) => {
      assert.equal(e.code, 409);
      assert.equal(JSON.parse(e.body).reason, 'Conflict');
      return true;
    });
  });

  it('an informer sees every add, update and delete', async () => {
    const path = `/api/v1/namespaces/${namespace}/configmaps`;
    const informer = k8s.makeInformer(kc, path, () => core.listNamespacedConfigMap({ namespace }));
    const seen: string[] = [];
    informer.on('add', (o) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o) => seen.push(`update ${o.metadata?.name} ${o.data?.v}`));
    informer.on('delete', (o) => seen.push(`delete ${o.metadata?.name}`));
    await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: 'before' } } });
    await informer.start();
    await eventually(() => seen.includes('add before'), 10_000, 'the initial list');
    for (let i = 0; i < 5; i++) {
      await core.createNamespacedConfigMap({ namespace, body: { metadata: { name: `inf-${i}` }, data: { v: '0' } } });
    }
    for (let i = 0; i < 5; i++) {
      await core.patchNamespacedConfigMap({ name: `inf-${i}`, namespace, body: { data: { v: '1' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    }
    for (let i = 0; i < 5; i++) await core.deleteNamespacedConfigMap({ name: `inf-${i}`, namespace });
    await eventually(() => seen.filter((x) => x.startsWith('delete inf-')).length === 5, 10_000, 'every delete');
    await informer.stop();
    for (let i = 0; i < 5; i++) {
      assert.ok(seen.includes(`add inf-${i}`), `add inf-${i}`);
      assert.ok(seen.includes(`update inf-${i} 1`), `update inf-${i}`);
      assert.ok(seen.includes(`delete inf-${i}`), `delete inf-${i}`);
    }
    // kube-root-ca.crt is the root CA publisher's, in every namespace as upstream
    assert.deepEqual(informer.list().map((o) => o.metadata?.name).filter((n) => n !== 'cas' && n !== 'kube-root-ca.crt').sort(), ['before']);
  });
});
