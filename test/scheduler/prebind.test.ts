// VolumeBinding's PreBind in the scheduler's runner, over the real API in process: a claim still
// to be provisioned gets the chosen node, the pod is bound only once the claim is, and a claim that
// goes while the scheduler waits sends the pod back with the reason.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { testCluster, eventually } from '../controllers/harness.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { node } from './fixtures.js';
import { localPathController } from '../../src/controllers/localpath.js';
import type { Controller } from '../../src/controllers/runtime.js';

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

/** A cluster of nodes n1 and n2 with the controllers given, a WaitForFirstConsumer class, and a scheduler (not started). */
async function twoNodes(t: TestContext, controllers: Controller<any>[], cls: string, provisioner: string) {
  const c = await testCluster(controllers);
  const scheduler = new Scheduler(c.client, { initialBackoffMs: 100, maxBackoffMs: 200 });
  t.after(async () => {
    scheduler.stop();
    await c.stop();
  });
  for (const n of ['n1', 'n2']) await c.client.create(R.nodes, undefined, node(n) as KubeObject);
  await c.client.create(R.storageclasses, undefined, { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: cls }, provisioner, volumeBindingMode: 'WaitForFirstConsumer' });
  return { c, scheduler };
}

test('PreBind: the claim gets the chosen node, the pod waits for it to be bound; a claim gone meanwhile sends the pod back', async (t) => {
  const { c, scheduler } = await twoNodes(t, [], 'wait', 'example.com/slow');
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

test('pre-made volumes: an Immediate claim is bound to one and then its pod scheduled; a WaitForFirstConsumer one gets a volume on the node chosen', async (t) => {
  const { c, scheduler } = await twoNodes(t, [localPathController({ baseDir: '/tmp/berth-test-local-path' })], 'disks', 'kubernetes.io/no-provisioner');
  const volume = (name: string, cls: string, size: string, on?: string): KubeObject => ({
    apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name },
    spec: {
      storageClassName: cls, capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/tmp/${name}` },
      ...(on ? { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [on] }] }] } } } : {}),
    },
  });
  await c.client.create(R.persistentvolumes, undefined, volume('big', 'manual', '10Gi'));
  await c.client.create(R.persistentvolumes, undefined, volume('fits', 'manual', '5Gi'));
  await c.client.create(R.persistentvolumes, undefined, volume('disk-n2', 'disks', '1Gi', 'n2'));
  await scheduler.start();
  const phase = async (name: string) => ((await c.client.get(R.persistentvolumes, undefined, name)).status as { phase?: string } | undefined)?.phase;
  assert.equal(await eventually(async () => ((await phase('big')) === 'Available' ? 'Available' : undefined), 5000, 'big Available'), 'Available');

  await c.client.create(R.persistentvolumeclaims, 'default', claim('manual', { storageClassName: 'manual', resources: { requests: { storage: '3Gi' } } }));
  await c.client.create(R.pods, 'default', mounting('p', 'manual'));
  await eventually(async () => ((await c.client.get(R.pods, 'default', 'p')) as KubeObject & Pod).spec?.nodeName, 5000, 'p bound');
  const pvc = await c.client.get(R.persistentvolumeclaims, 'default', 'manual');
  assert.equal((pvc.spec as { volumeName?: string }).volumeName, 'fits', 'the smallest volume that fits');
  assert.equal((pvc.status as { phase?: string }).phase, 'Bound');
  assert.equal(await phase('fits'), 'Bound');
  assert.equal(await phase('big'), 'Available');

  await c.client.create(R.persistentvolumeclaims, 'default', claim('local', { storageClassName: 'disks' }));
  await c.client.create(R.pods, 'default', mounting('q', 'local'));
  assert.equal(await eventually(async () => ((await c.client.get(R.pods, 'default', 'q')) as KubeObject & Pod).spec?.nodeName, 5000, 'q bound'), 'n2');
  assert.equal(((await c.client.get(R.persistentvolumeclaims, 'default', 'local')).spec as { volumeName?: string }).volumeName, 'disk-n2');

  // the claim goes: its volume (Retain) is Released, and no new claim takes it
  await c.client.delete(R.pods, 'default', 'p', { gracePeriodSeconds: 0 });
  await c.client.delete(R.persistentvolumeclaims, 'default', 'manual');
  await eventually(async () => (await phase('fits')) === 'Released', 5000, 'fits Released');
});
