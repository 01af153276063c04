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
  assert.deepEqual(reconcileLocalPath(obs({ volume: { ...pv, spec: { ...pv.spec, persistentVolumeReclaimPolicy: 'Retain' } } }), 0, opts).actions, []);
  assert.deepEqual(reconcileLocalPath(obs({ claim: claim({ storageClassName: 'other' }), storageClass: { ...cls(), metadata: { name: 'other' }, provisioner: 'x.io/other' }, consumerNodes: ['n1'] }), 0, opts).actions, []);
});
