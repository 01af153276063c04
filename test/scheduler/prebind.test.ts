// VolumeBinding's PreBind in the scheduler's runner, over the real API in process: a claim still
// to be provisioned gets the chosen node, the pod is bound only once the claim is, and a claim that
// goes while the scheduler waits sends the pod back with the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { testCluster, eventually } from '../controllers/harness.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { node } from './fixtures.js';

const STORAGE_CLASSES = { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' };
const SELECTED_NODE = 'volume.kubernetes.io/selected-node';

const claim = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'PersistentVolumeClaim',
  metadata: { name, namespace: 'default' },
  spec: { storageClassName: 'wait', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Mi' } }, ...extra },
});
const mounting = (name: string, claimName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], volumes: [{ name: 'd', persistentVolumeClaim: { claimName } }] },
});

test('PreBind: the claim gets the chosen node, the pod waits for it to be bound; a claim gone meanwhile sends the pod back', async (t) => {
  const c = await testCluster([]);
  const scheduler = new Scheduler(c.client, { initialBackoffMs: 100, maxBackoffMs: 200 });
  t.after(async () => {
    scheduler.stop();
    await c.stop();
  });
  for (const n of ['n1', 'n2']) await c.client.create(R.nodes, undefined, node(n) as KubeObject);
  await c.client.create(STORAGE_CLASSES, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'wait' }, provisioner: 'example.com/slow', volumeBindingMode: 'WaitForFirstConsumer' });
  await scheduler.start();

  await c.client.create(R.persistentvolumeclaims, 'default', claim('data'));
  await c.client.create(R.pods, 'default', mounting('p', 'data'));
  const selected = await eventually(async () => (await c.client.get(R.persistentvolumeclaims, 'default', 'data')).metadata.annotations?.[SELECTED_NODE], 5000, 'the selected-node annotation');
  assert.ok(['n1', 'n2'].includes(selected));
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(((await c.client.get(R.pods, 'default', 'p')) as KubeObject & Pod).spec?.nodeName, undefined, 'not bound before its claim is');

  // The provisioner's part, by hand: a volume on the selected node, and the claim bound to it.
  await c.client.create(R.persistentvolumes, undefined, {
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-data' },
    spec: {
      capacity: { storage: '1Mi' }, accessModes: ['ReadWriteOnce'], storageClassName: 'wait', hostPath: { path: '/tmp/pv-data' },
      nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [selected] }] }] } },
    },
  });
  await c.client.patch(R.persistentvolumeclaims, 'default', 'data', 'application/merge-patch+json', { metadata: { annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } }, spec: { volumeName: 'pv-data' } });
  const bound = await eventually(async () => ((await c.client.get(R.pods, 'default', 'p')) as KubeObject & Pod).spec?.nodeName, 5000, 'the pod bound');
  assert.equal(bound, selected);

  // A second pod of the bound claim goes where its volume is.
  await c.client.create(R.pods, 'default', mounting('q', 'data'));
  assert.equal(await eventually(async () => ((await c.client.get(R.pods, 'default', 'q')) as KubeObject & Pod).spec?.nodeName, 5000, 'q bound'), selected);

  // The claim goes while the scheduler waits for it.
  await c.client.create(R.persistentvolumeclaims, 'default', claim('brief'));
  await c.client.create(R.pods, 'default', mounting('r', 'brief'));
  await eventually(async () => (await c.client.get(R.persistentvolumeclaims, 'default', 'brief')).metadata.annotations?.[SELECTED_NODE], 5000, 'brief selected');
  await c.client.delete(R.persistentvolumeclaims, 'default', 'brief');
  const messages = await eventually(async () => {
    const events = (await c.client.list(R.events, 'default')).items.filter((e) => (e as { involvedObject?: { name?: string } }).involvedObject?.name === 'r');
    const m = events.map((e) => (e as { message?: string }).message ?? '');
    return m.some((x) => /not found/.test(x)) ? m : undefined;
  }, 5000, 'FailedScheduling events for r');
  assert.ok(messages.includes('running PreBind plugin "VolumeBinding": binding volumes: persistentvolumeclaim "brief" was deleted'), messages.join('\n'));
  assert.ok(messages.some((m) => m.startsWith('0/2 nodes are available: persistentvolumeclaim "brief" not found.')), messages.join('\n'));
  assert.equal(((await c.client.get(R.pods, 'default', 'r')) as KubeObject & Pod).spec?.nodeName, undefined);
});
