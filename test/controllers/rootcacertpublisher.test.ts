// The root CA publisher: kube-root-ca.crt in every namespace, put back when deleted or changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileRootCA, rootCACertPublisher, DESCRIPTION_ANNOTATION, ROOT_CA_DESCRIPTION } from '../../src/controllers/rootcacertpublisher.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { testCluster, eventually } from './harness.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const ns = (name: string, extra: Partial<KubeObject['metadata']> = {}, phase = 'Active'): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, ...extra }, status: { phase } });

test('reconcile: create, leave alone, repair data and description, skip terminating namespaces', () => {
  const created = reconcileRootCA({ namespace: ns('a') }, 0, CA).actions;
  assert.equal(created.length, 1);
  assert.equal(created[0]!.kind, 'create');
  assert.deepEqual((created[0] as { object: KubeObject }).object, {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: 'kube-root-ca.crt', namespace: 'a', annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
    data: { 'ca.crt': CA },
  });
  const good = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-root-ca.crt', namespace: 'a', annotations: { [DESCRIPTION_ANNOTATION]: 'x' } }, data: { 'ca.crt': CA } } as KubeObject;
  assert.deepEqual(reconcileRootCA({ namespace: ns('a'), configMap: good }, 0, CA).actions, []);
  const edited = { ...good, metadata: { ...good.metadata, labels: { keep: 'me' }, annotations: {} }, data: { 'ca.crt': 'other', extra: 'y' } } as KubeObject;
  const [u] = reconcileRootCA({ namespace: ns('a'), configMap: edited }, 0, CA).actions;
  assert.equal(u!.kind, 'update');
  const obj = (u as unknown as { object: KubeObject & { data: unknown } }).object;
  assert.deepEqual(obj.data, { 'ca.crt': CA });
  assert.deepEqual(obj.metadata.labels, { keep: 'me' });
  assert.equal(obj.metadata.annotations![DESCRIPTION_ANNOTATION], ROOT_CA_DESCRIPTION);
  assert.deepEqual(reconcileRootCA({ namespace: ns('b', { deletionTimestamp: '2026-01-01T00:00:00Z' }, 'Terminating') }, 0, CA).actions, []);
  assert.deepEqual(reconcileRootCA({}, 0, CA).actions, []);
});

test('the controller publishes into every namespace and puts the ConfigMap back', async (t) => {
  const c = await testCluster([rootCACertPublisher(CA)]);
  t.after(() => c.stop());
  const get = (n: string) => c.client.get(R.configmaps, n, 'kube-root-ca.crt').catch(() => undefined);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) await eventually(async () => !!(await get(n)), 5000);
  await c.client.create(R.namespaces, undefined, ns('team'));
  await eventually(async () => (await get('team')) !== undefined, 5000);
  await c.client.delete(R.configmaps, 'team', 'kube-root-ca.crt');
  await eventually(async () => (await get('team')) !== undefined, 5000);
  const cm = (await get('team'))!;
  await c.client.update(R.configmaps, 'team', { ...cm, data: { 'ca.crt': 'tampered' } } as KubeObject);
  await eventually(async () => ((await get('team')) as { data?: Record<string, string> }).data?.['ca.crt'] === CA, 5000);
});
