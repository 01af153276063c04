// apps/v1 validation: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision
// (pkg/apis/apps/validation and the strategies' update rules).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '../../../src/model/status.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/model/validation/index.js';
import { clone, deployment, msgs, stored, template } from './objects.js';

const has = (m: string[], s: string) => assert.ok(m.includes(s), `missing:\n${s}\nin:\n${m.join('\n')}`);
const create = (kind: string, o: unknown) => msgs(validateCreate('apps', kind, o));

test('Deployment: valid, and the selector must match the template', () => {
  assert.deepEqual(create('Deployment', deployment()), []);
  const d = deployment();
  d.spec.template.metadata.labels = { app: 'x' };
  const e = errors.invalid({ group: 'apps', name: 'Deployment' }, 'web', validateCreate('apps', 'Deployment', d));
  assert.equal(e.message, 'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`');
});

test('Deployment: selector required and non-empty; replicas; restart policy', () => {
  const d = deployment();
  delete d.spec.selector;
  has(create('Deployment', d), 'spec.selector: Required value');
  const e = deployment();
  e.spec.selector = {};
  has(create('Deployment', e), 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment');
  const r = deployment();
  r.spec.replicas = -1;
  r.spec.template.spec.restartPolicy = 'Never';
  r.spec.template.spec.activeDeadlineSeconds = 5;
  const m = create('Deployment', r);
  has(m, 'spec.replicas: Invalid value: -1: must be greater than or equal to 0');
  has(m, 'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"');
  has(m, 'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in Deployment is not Supported');
});

test('Deployment: strategy', () => {
  const d = deployment();
  d.spec.strategy.rollingUpdate = { maxUnavailable: 0, maxSurge: 0 };
  assert.deepEqual(create('Deployment', d), ['spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:""}: may not be 0 when `maxSurge` is 0']);
  d.spec.strategy.rollingUpdate = { maxUnavailable: '110%', maxSurge: 'x' };
  const m = create('Deployment', d);
  has(m, `spec.strategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"x"}: a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`);
  has(m, 'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"110%"}: must not be greater than 100%');
  d.spec.strategy = { type: 'Recreate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } };
  assert.deepEqual(create('Deployment', d), ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"]);
  d.spec.strategy = { type: 'BlueGreen' };
  assert.deepEqual(create('Deployment', d), [
    'spec.strategy: Unsupported value: apps.DeploymentStrategy{Type:"BlueGreen", RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}: supported values: "Recreate", "RollingUpdate"',
  ]);
  const p = deployment();
  p.spec.minReadySeconds = 600;
  assert.deepEqual(create('Deployment', p), ['spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds']);
});

test('Deployment update: the selector is immutable', () => {
  const old = stored(deployment());
  const next = clone(old);
  next.spec.selector = { matchLabels: { app: 'y' } };
  next.spec.template.metadata.labels = { app: 'y' };
  assert.deepEqual(msgs(validateUpdate('apps', 'Deployment', next, old)), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"y"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
  const scaled = clone(old);
  scaled.spec.replicas = 10;
  assert.deepEqual(msgs(validateUpdate('apps', 'Deployment', scaled, old)), []);
});

test('Deployment status: non-negative counts, bounded by replicas', () => {
  const old = stored(deployment());
  const next = clone(old);
  next.status = { replicas: 2, readyReplicas: 3, availableReplicas: 1, updatedReplicas: -1, collisionCount: 0 };
  old.status = { collisionCount: 2 };
  assert.deepEqual(msgs(validateStatusUpdate('apps', 'Deployment', next, old)), [
    'status.updatedReplicas: Invalid value: -1: must be greater than or equal to 0',
    'status.readyReplicas: Invalid value: 3: cannot be greater than status.replicas',
    'status.collisionCount: Invalid value: 0: cannot be decremented',
  ]);
});

test('ReplicaSet', () => {
  const rs = { metadata: { name: 'rs', namespace: 'd' }, spec: { replicas: 1, selector: { matchLabels: { app: 'web' } }, template: template() } };
  assert.deepEqual(create('ReplicaSet', rs), []);
  const bad: Record<string, any> = clone(rs);
  bad.spec.selector = { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] };
  const m = create('ReplicaSet', bad);
  has(m, "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'");
  has(m, `spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"app", Operator:"In", Values:[]string{}}}}: invalid label selector`);
  const old = stored(rs);
  const next = clone(old);
  next.status = { replicas: 1, readyReplicas: 1, availableReplicas: 2 };
  assert.deepEqual(msgs(validateStatusUpdate('apps', 'ReplicaSet', next, old)), [
    'status.availableReplicas: Invalid value: 2: cannot be greater than status.replicas',
    'status.availableReplicas: Invalid value: 2: cannot be greater than readyReplicas',
  ]);
});

function statefulSet(): Record<string, any> {
  return {
    metadata: { name: 'db', namespace: 'd' },
    spec: {
      replicas: 3,
      serviceName: 'db',
      selector: { matchLabels: { app: 'db' } },
      template: template({ app: 'db' }),
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' } }],
    },
  };
}

test('StatefulSet', () => {
  assert.deepEqual(create('StatefulSet', statefulSet()), []);
  const s = statefulSet();
  s.spec.podManagementPolicy = 'Random';
  s.spec.updateStrategy = { type: 'OnDelete', rollingUpdate: { partition: 1 } };
  const m = create('StatefulSet', s);
  has(m, `spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`);
  has(m, `spec.updateStrategy.rollingUpdate: Invalid value: apps.RollingUpdateStatefulSetStrategy{Partition:1, MaxUnavailable:(*intstr.IntOrString)(nil)}: only allowed for updateStrategy 'RollingUpdate'`);
  // StatefulSet names are DNS labels
  const n = statefulSet();
  n.metadata.name = 'db.v1';
  has(create('StatefulSet', n), 'metadata.name: Invalid value: "db.v1": must not contain dots');
  const old = stored(statefulSet());
  const next = clone(old);
  next.spec.replicas = 5;
  next.spec.template.spec.containers[0].image = 'postgres:17';
  assert.deepEqual(msgs(validateUpdate('apps', 'StatefulSet', next, old)), []);
  next.spec.serviceName = 'other';
  assert.deepEqual(msgs(validateUpdate('apps', 'StatefulSet', next, old)), [
    "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
  ]);
});

test('DaemonSet', () => {
  const ds = {
    metadata: { name: 'agent', namespace: 'd' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: template({ app: 'agent' }),
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      revisionHistoryLimit: 10,
    },
  };
  assert.deepEqual(create('DaemonSet', ds), []);
  const both = clone(ds);
  both.spec.updateStrategy.rollingUpdate = { maxUnavailable: 1, maxSurge: 1 };
  assert.deepEqual(create('DaemonSet', both), ['spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:0, IntVal:1, StrVal:""}: may not be set when maxUnavailable is non-zero']);
  const none = clone(ds);
  none.spec.updateStrategy.rollingUpdate = { maxUnavailable: 0, maxSurge: 0 };
  assert.deepEqual(create('DaemonSet', none), ['spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0']);
  const old = stored(ds);
  const next = clone(old);
  next.spec.selector = { matchLabels: { app: 'agent', v: '2' } };
  next.spec.template.metadata.labels = { app: 'agent', v: '2' };
  assert.ok(msgs(validateUpdate('apps', 'DaemonSet', next, old))[0]!.endsWith('field is immutable'));
});

test('ControllerRevision', () => {
  assert.deepEqual(create('ControllerRevision', { metadata: { name: 'r', namespace: 'd' }, revision: 1 }), ['data: Required value: data is mandatory']);
  const cr = stored({ metadata: { name: 'r', namespace: 'd' }, data: { a: 1 }, revision: 1 });
  const next = clone(cr);
  next.data = { a: 2 };
  assert.deepEqual(msgs(validateUpdate('apps', 'ControllerRevision', next, cr)), ['data: Invalid value: runtime.RawExtension{...}: field is immutable']);
});
