// The local-path provisioner and binder (pure reconcile).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconcileLocalPath, LOCAL_PATH_PROVISIONER, type LocalPathObservation } from '../../src/controllers/localpath.js';
import type { KubeObject } from '../../src/model/object.js';

const cls = (mode = 'WaitForFirstConsumer'): any => ({ metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }, provisioner: LOCAL_PATH_PROVISIONER, reclaimPolicy: 'Delete', volumeBindingMode: mode });
const claim = (spec: Record<string, unknown> = { storageClassName: 'local-path' }, extra: Record<string, unknown> = {}): any => ({
  metadata: { name: 'data', namespace: 'ns', uid: 'u1', resourceVersion: '5', ...extra },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, ...spec },
});
const obs = (o: Partial<LocalPathObservation>): LocalPathObservation => ({ key: 'ns/data', consumerNodes: [], nodes: ['n1', 'n2'], ...o });
const opts = { baseDir: '/var/lib/berth/local-path' };

test('a claim without a class gets the default class', () => {
  const d = reconcileLocalPath(obs({ claim: claim({}), defaultClass: cls(), storageClass: cls() }), 0, opts);
  assert.deepEqual(d.actions, [{ kind: 'patch', resource: { group: '', version: 'v1', resource: 'persistentvolumeclaims' }, namespace: 'ns', name: 'data', patchType: 'application/merge-patch+json', patch: { spec: { storageClassName: 'local-path' } } }]);
});

test('WaitForFirstConsumer waits for a pod on a node, then provisions a hostPath PV with nodeAffinity', () => {
  assert.deepEqual(reconcileLocalPath(obs({ claim: claim(), storageClass: cls() }), 0, opts).actions, []);
  const d = reconcileLocalPath(obs({ claim: claim(), storageClass: cls(), consumerNodes: ['n2'] }), 0, opts);
  const create = d.actions.find((a) => a.kind === "create") as unknown as { object: KubeObject & { spec: any } };
  assert.equal(create.object.metadata.name, 'pvc-u1');
  assert.equal(create.object.spec.hostPath.path, '/var/lib/berth/local-path/pvc-u1_ns_data');
  assert.deepEqual(create.object.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0], { key: 'kubernetes.io/hostname', operator: 'In', values: ['n2'] });
  assert.deepEqual(create.object.spec.claimRef, { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: 'ns', name: 'data', uid: 'u1', resourceVersion: '5' });
  assert.equal(create.object.spec.capacity.storage, '1Gi');
  assert.ok(d.actions.some((a) => a.kind === 'patch' && JSON.stringify(a.patch).includes('volume.kubernetes.io/storage-provisioner')));
  // Immediate: the configured node, else the first
  const imm = reconcileLocalPath(obs({ claim: claim(), storageClass: cls('Immediate') }), 0, { ...opts, nodeName: 'n2' });
  assert.equal((imm.actions.find((a) => a.kind === 'create') as any).object.spec.nodeAffinity.required.nodeSelectorTerms[0].matchExpressions[0].values[0], 'n2');
});

test('binding: claim.spec.volumeName, both statuses Bound; nothing more once bound', () => {
  const pv: any = { metadata: { name: 'pvc-u1', annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PATH_PROVISIONER } }, spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' }, claimRef: { namespace: 'ns', name: 'data', uid: 'u1' } } };
  const d = reconcileLocalPath(obs({ claim: claim(), storageClass: cls(), volume: pv }), 0, opts);
  assert.deepEqual(d.actions.map((a) => `${a.kind} ${a.resource.resource} ${'subresource' in a ? a.subresource ?? '' : ''}`), ['patch persistentvolumes status', 'patch persistentvolumeclaims ', 'patch persistentvolumeclaims status']);
  assert.deepEqual((d.actions[1] as any).patch.spec, { volumeName: 'pvc-u1' });
  assert.deepEqual((d.actions[2] as any).patch.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
  const bound = claim({ storageClassName: 'local-path', volumeName: 'pvc-u1' }, { annotations: { 'pv.kubernetes.io/bind-completed': 'yes' } });
  bound.status = { phase: 'Bound' };
  assert.deepEqual(reconcileLocalPath(obs({ claim: bound, storageClass: cls(), volume: { ...pv, status: { phase: 'Bound' } } }), 0, opts).actions, []);
});

test('a deleted claim takes its Delete volume with it; other provisioners\' classes are left alone', () => {
  const pv: any = { metadata: { name: 'pvc-u1', annotations: { 'pv.kubernetes.io/provisioned-by': LOCAL_PATH_PROVISIONER } }, spec: { persistentVolumeReclaimPolicy: 'Delete', claimRef: { namespace: 'ns', name: 'data', uid: 'u1' } } };
  assert.deepEqual(reconcileLocalPath(obs({ volume: pv }), 0, opts).actions, [{ kind: 'delete', resource: { group: '', version: 'v1', resource: 'persistentvolumes' }, name: 'pvc-u1' }]);
  // a Retain volume stays, Released (and so bound to nothing new)
  const retained = { ...pv, spec: { ...pv.spec, persistentVolumeReclaimPolicy: 'Retain' }, status: { phase: 'Bound' } };
  assert.deepEqual(reconcileLocalPath(obs({ volume: retained }), 0, opts).actions.map((a: any) => [a.kind, a.name, a.patch?.status?.phase]), [['patch', 'pvc-u1', 'Released']]);
  assert.deepEqual(reconcileLocalPath(obs({ volume: { ...retained, status: { phase: 'Released' } } }), 0, opts).actions, []);
  assert.deepEqual(reconcileLocalPath(obs({ claim: claim({ storageClassName: 'other' }), storageClass: { ...cls(), metadata: { name: 'other' }, provisioner: 'x.io/other' }, consumerNodes: ['n1'] }), 0, opts).actions, []);
});

test('pre-made volumes: a new one is Available; a claim gets the smallest that fits, by class, modes, size, selector and, waiting for a consumer, the selected node', () => {
  const vol = (name: string, size: string, extra: Record<string, unknown> = {}, labels?: Record<string, string>): any => ({
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { storageClassName: 'manual', capacity: { storage: size }, accessModes: ['ReadWriteOnce'], hostPath: { path: `/mnt/${name}` }, ...extra },
    status: { phase: 'Available' },
  });
  // a volume's own key: marked Available once
  for (const status of [undefined, { phase: 'Pending' }]) {
    assert.deepEqual(reconcileLocalPath(obs({ key: '/v1', volume: { ...vol('v1', '1Gi'), status } }), 0, opts).actions.map((a: any) => a.patch), [{ status: { phase: 'Available' } }]);
  }
  assert.deepEqual(reconcileLocalPath(obs({ key: '/v1', volume: vol('v1', '1Gi') }), 0, opts).actions, []);

  const want = claim({ storageClassName: 'manual', accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '3Gi' } } });
  const available = [vol('small', '1Gi'), vol('big', '10Gi'), vol('fit', '5Gi'), vol('other', '5Gi', { storageClassName: 'fast' }), vol('rox', '4Gi', { accessModes: ['ReadOnlyMany'] })];
  const bind = (o: Partial<LocalPathObservation>) => reconcileLocalPath(obs({ claim: want, available, ...o }), 0, opts).actions.map((a: any) => [a.name, a.patch?.spec?.claimRef?.name, a.patch?.spec?.claimRef?.uid]);
  assert.deepEqual(bind({}), [['fit', 'data', 'u1']]);
  assert.deepEqual(bind({ available: [vol('small', '1Gi')] }), []);
  // a selector: only volumes with its labels
  const picky = claim({ ...want.spec, selector: { matchLabels: { tier: 'gold' } } });
  assert.deepEqual(reconcileLocalPath(obs({ claim: picky, available: [...available, vol('gold', '8Gi', {}, { tier: 'gold' })] }), 0, opts).actions.map((a: any) => a.name), ['gold']);
  // waiting for a consumer: nothing until the scheduler picks a node, then a volume that node can use
  const local = (name: string, node: string) => vol(name, '5Gi', { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [node] }] }] } } });
  const waitClass = { metadata: { name: 'manual' }, provisioner: 'kubernetes.io/no-provisioner', volumeBindingMode: 'WaitForFirstConsumer' };
  assert.deepEqual(bind({ storageClass: waitClass, available: [local('on-a', 'a'), local('on-b', 'b')] }), []);
  const chosen = claim(want.spec, { annotations: { 'volume.kubernetes.io/selected-node': 'b' } });
  assert.deepEqual(reconcileLocalPath(obs({ claim: chosen, storageClass: waitClass, available: [local('on-a', 'a'), local('on-b', 'b')], selectedNodeLabels: { 'kubernetes.io/hostname': 'b' } }), 0, opts).actions.map((a: any) => a.name), ['on-b']);
  // once the volume names the claim, both are bound as for a provisioned one
  const taken = { ...vol('fit', '5Gi'), spec: { ...vol('fit', '5Gi').spec, claimRef: { namespace: 'ns', name: 'data', uid: 'u1' } } };
  const steps = reconcileLocalPath(obs({ claim: want, volume: taken }), 0, opts).actions.map((a: any) => [a.resource.resource, a.subresource ?? '', a.patch?.spec?.volumeName ?? a.patch?.status?.phase]);
  assert.deepEqual(steps, [['persistentvolumes', 'status', 'Bound'], ['persistentvolumeclaims', '', 'fit'], ['persistentvolumeclaims', 'status', 'Bound']]);
});
