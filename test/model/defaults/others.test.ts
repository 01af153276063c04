// Defaulting of networking, RBAC, storage, discovery, policy, coordination and CRDs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, hasDefaults, prepareForCreate } from '../../../src/model/defaults/index.js';
import type { KubeObject } from '../../../src/model/object.js';

const now = Date.UTC(2024, 0, 1);
const def = (group: string, kind: string, o: KubeObject) => {
  applyDefaults(group, 'v1', kind, o);
  return o;
};

test('network policies: policyTypes and port protocols', () => {
  const np = def('networking.k8s.io', 'NetworkPolicy', { metadata: { name: 'n' }, spec: { ingress: [{ ports: [{ port: 80 }] }] } });
  assert.deepEqual(np.spec, { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ ports: [{ port: 80, protocol: 'TCP' }] }] });
  const egress = def('networking.k8s.io', 'NetworkPolicy', { metadata: { name: 'e' }, spec: { podSelector: { matchLabels: { a: 'b' } }, egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] } });
  assert.deepEqual((egress.spec as any).policyTypes, ['Ingress', 'Egress']);
  const explicit = def('networking.k8s.io', 'NetworkPolicy', { metadata: { name: 'x' }, spec: { policyTypes: ['Egress'] } });
  assert.deepEqual((explicit.spec as any).policyTypes, ['Egress']);
  prepareForCreate('networking.k8s.io', 'v1', 'NetworkPolicy', explicit, { uid: 'u', now });
  assert.equal(explicit.metadata.generation, 1);
});

test('ingresses and ingress classes', () => {
  const ing: KubeObject = { metadata: { name: 'i' }, spec: { rules: [{ host: 'a.example' }] }, status: { loadBalancer: { ingress: [{ ip: '1.1.1.1' }] } } };
  prepareForCreate('networking.k8s.io', 'v1', 'Ingress', def('networking.k8s.io', 'Ingress', ing), { uid: 'u', now });
  assert.deepEqual(ing, { metadata: { name: 'i', generation: 1 }, spec: { rules: [{ host: 'a.example' }] }, status: { loadBalancer: {} } });
  const ic = def('networking.k8s.io', 'IngressClass', { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx', parameters: { kind: 'Cfg', name: 'c' } } });
  assert.deepEqual((ic.spec as any).parameters, { kind: 'Cfg', name: 'c', scope: 'Cluster' });
});

test('RBAC bindings: roleRef group and subject groups by kind', () => {
  const rb = def('rbac.authorization.k8s.io', 'RoleBinding', {
    metadata: { name: 'rb' },
    roleRef: { kind: 'Role', name: 'reader' },
    subjects: [
      { kind: 'User', name: 'alice' },
      { kind: 'Group', name: 'devs' },
      { kind: 'ServiceAccount', name: 'bot', namespace: 'default' },
      { kind: 'User', name: 'bob', apiGroup: 'custom' },
    ],
  });
  assert.deepEqual(rb.roleRef, { kind: 'Role', name: 'reader', apiGroup: 'rbac.authorization.k8s.io' });
  assert.deepEqual((rb.subjects as any[]).map((s) => s.apiGroup), ['rbac.authorization.k8s.io', 'rbac.authorization.k8s.io', '', 'custom']);
  const cr = def('rbac.authorization.k8s.io', 'ClusterRole', { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] } });
  assert.equal(cr.rules, null);
  const role = def('rbac.authorization.k8s.io', 'Role', { metadata: { name: 'r' }, rules: [{ verbs: ['get'] }] });
  assert.deepEqual(role.rules, [{ verbs: ['get'] }]);
});

test('storage classes, endpoint slices, disruption budgets, leases', () => {
  const sc = def('storage.k8s.io', 'StorageClass', { metadata: { name: 'std' }, provisioner: 'x' });
  assert.equal(sc.reclaimPolicy, 'Delete');
  assert.equal(sc.volumeBindingMode, 'Immediate');
  const slice = def('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 's' }, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] });
  assert.deepEqual(slice.endpoints, [{ addresses: ['10.0.0.1'], conditions: {} }]);
  assert.deepEqual(slice.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  const empty = def('discovery.k8s.io', 'EndpointSlice', { metadata: { name: 'e' }, addressType: 'IPv4' });
  assert.equal(empty.endpoints, null);
  assert.equal(empty.ports, null);
  const pdb: KubeObject = { metadata: { name: 'p' }, spec: { minAvailable: 1 } };
  prepareForCreate('policy', 'v1', 'PodDisruptionBudget', pdb, { uid: 'u', now });
  assert.deepEqual(pdb, { metadata: { name: 'p', generation: 1 }, spec: { minAvailable: 1 }, status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } });
  assert.deepEqual(def('coordination.k8s.io', 'Lease', { metadata: { name: 'l' } }), { metadata: { name: 'l' }, spec: {} });
});

test('custom resource definitions: names, conversion, webhook port, stored versions', () => {
  const crd: KubeObject = {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget' },
      versions: [{ name: 'v1alpha1', served: true }, { name: 'v1', served: true, storage: true }],
    },
  };
  applyDefaults('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', crd);
  prepareForCreate('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', crd, { uid: 'u', now });
  assert.deepEqual(crd, {
    metadata: { name: 'widgets.example.com', generation: 1 },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', kind: 'Widget', singular: 'widget', listKind: 'WidgetList' },
      conversion: { strategy: 'None' },
      versions: [{ name: 'v1alpha1', served: true, storage: false }, { name: 'v1', served: true, storage: true }],
    },
    status: { storedVersions: ['v1'], conditions: null, acceptedNames: { plural: '', kind: '' } },
  });
  const webhook: KubeObject = { metadata: { name: 'w' }, spec: { names: { kind: 'W' }, conversion: { strategy: 'Webhook', webhook: { clientConfig: { service: { name: 's', namespace: 'n' } }, conversionReviewVersions: ['v1'] } } } };
  applyDefaults('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', webhook);
  assert.equal((webhook.spec as any).conversion.webhook.clientConfig.service.port, 443);
});

test('kinds without defaulting are left untouched, unknown kinds too', () => {
  assert.equal(hasDefaults('', 'v1', 'ConfigMap'), false);
  assert.equal(hasDefaults('', 'v1', 'Pod'), true);
  const cr: KubeObject = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1 } };
  applyDefaults('example.com', 'v1', 'Widget', cr);
  assert.deepEqual(cr, { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' }, spec: { a: 1 } });
});
