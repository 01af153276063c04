// The smaller groups: networking, rbac, policy, storage, coordination, discovery, apiextensions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCreate, validateUpdate } from '../../../src/model/validation/index.js';
import { clone, msgs, stored } from './objects.js';

const has = (m: string[], s: string) => assert.ok(m.includes(s), `missing:\n${s}\nin:\n${m.join('\n')}`);
const ns = { name: 'x', namespace: 'd' };

test('NetworkPolicy', () => {
  const np = { metadata: ns, spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.1.0/24'] } }], ports: [{ protocol: 'TCP', port: 80, endPort: 90 }] }], policyTypes: ['Ingress'] } };
  assert.deepEqual(msgs(validateCreate('networking.k8s.io', 'NetworkPolicy', np)), []);
  const bad = {
    metadata: ns,
    spec: {
      podSelector: {},
      ingress: [{ from: [{}, { ipBlock: { cidr: '10.0.0.0/16', except: ['192.168.0.0/24'] }, podSelector: {} }], ports: [{ protocol: 'ICMP', port: 'http', endPort: 90 }] }],
      policyTypes: ['Ingress', 'Sideways'],
    },
  };
  const m = msgs(validateCreate('networking.k8s.io', 'NetworkPolicy', bad));
  has(m, 'spec.ingress[0].ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"');
  has(m, 'spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric');
  has(m, 'spec.ingress[0].from[0]: Required value: must specify a peer');
  has(m, 'spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: "192.168.0.0/24": must be a strict subset of `cidr`');
  has(m, 'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer');
  has(m, 'spec.policyTypes[1]: Unsupported value: "Sideways": supported values: "Ingress", "Egress"');
});

test('Ingress and IngressClass', () => {
  const ing = {
    metadata: ns,
    spec: { ingressClassName: 'nginx', rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
  };
  assert.deepEqual(msgs(validateCreate('networking.k8s.io', 'Ingress', ing)), []);
  assert.deepEqual(msgs(validateCreate('networking.k8s.io', 'Ingress', { metadata: ns, spec: {} })), [
    'spec: Invalid value: []networking.IngressRule(nil): either `defaultBackend` or `rules` must be specified',
  ]);
  const bad = {
    metadata: ns,
    spec: { rules: [{ host: '1.2.3.4', http: { paths: [{ path: 'x', pathType: 'Exact', backend: { service: { name: 'web', port: {} } } }, { path: '/', backend: {} }] } }] },
  };
  const m = msgs(validateCreate('networking.k8s.io', 'Ingress', bad));
  has(m, 'spec.rules[0].host: Invalid value: "1.2.3.4": must be a DNS name, not an IP address');
  has(m, 'spec.rules[0].http.paths[0].path: Invalid value: "x": must be an absolute path');
  has(m, 'spec.rules[0].http.paths[0].backend: Required value: port name or number is required');
  has(m, 'spec.rules[0].http.paths[1].pathType: Required value: pathType must be specified');
  const ic = { metadata: { name: 'nginx' }, spec: { controller: 'k8s.io/ingress-nginx' } };
  assert.deepEqual(msgs(validateCreate('networking.k8s.io', 'IngressClass', ic)), []);
  has(msgs(validateCreate('networking.k8s.io', 'IngressClass', { metadata: { name: 'n' }, spec: { controller: 'nginx' } })), 'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")');
  const old = stored(ic);
  const next = clone(old);
  next.spec.controller = 'example.com/other';
  assert.deepEqual(msgs(validateUpdate('networking.k8s.io', 'IngressClass', next, old)), ['spec.controller: Invalid value: "example.com/other": field is immutable']);
});

test('RBAC', () => {
  const g = 'rbac.authorization.k8s.io';
  assert.deepEqual(msgs(validateCreate(g, 'Role', { metadata: ns, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] })), []);
  assert.deepEqual(msgs(validateCreate(g, 'Role', { metadata: ns, rules: [{ apiGroups: [''], resources: ['pods'] }, { verbs: ['get'], nonResourceURLs: ['/healthz'] }] })), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[1].nonResourceURLs: Invalid value: []string{"/healthz"}: namespaced rules cannot apply to non-resource URLs',
  ]);
  assert.deepEqual(msgs(validateCreate(g, 'ClusterRole', { metadata: { name: 'c' }, rules: [{ verbs: ['get'] }] })), [
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
    'rules[0].resources: Required value: resource rules must supply at least one resource',
  ]);
  const rb = { metadata: ns, roleRef: { apiGroup: g, kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'default', namespace: 'd' }, { kind: 'User', apiGroup: g, name: 'alice' }] };
  assert.deepEqual(msgs(validateCreate(g, 'RoleBinding', rb)), []);
  const bad = { metadata: ns, roleRef: { apiGroup: 'x', kind: 'Thing', name: '' }, subjects: [{ kind: 'Robot', name: 'r2' }] };
  assert.deepEqual(msgs(validateCreate(g, 'RoleBinding', bad)), [
    'roleRef.apiGroup: Unsupported value: "x": supported values: "rbac.authorization.k8s.io"',
    'roleRef.kind: Unsupported value: "Thing": supported values: "Role", "ClusterRole"',
    'roleRef.name: Required value',
    'subjects[0].kind: Unsupported value: "Robot": supported values: "ServiceAccount", "User", "Group"',
  ]);
  const old = stored(rb);
  const next = clone(old);
  next.roleRef.name = 'other';
  assert.deepEqual(msgs(validateUpdate(g, 'RoleBinding', next, old)), ['roleRef: Invalid value: rbac.RoleRef{APIGroup:"rbac.authorization.k8s.io", Kind:"Role", Name:"other"}: cannot change roleRef']);
  assert.deepEqual(msgs(validateCreate(g, 'ClusterRoleBinding', { metadata: { name: 'c' }, roleRef: { apiGroup: g, kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }] })), [
    'roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"',
    'subjects[0].namespace: Required value',
  ]);
});

test('PodDisruptionBudget', () => {
  const p = 'policy';
  assert.deepEqual(msgs(validateCreate(p, 'PodDisruptionBudget', { metadata: ns, spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } } })), []);
  assert.deepEqual(msgs(validateCreate(p, 'PodDisruptionBudget', { metadata: ns, spec: { minAvailable: 1, maxUnavailable: '150%' } })), [
    'spec: Invalid value: policy.PodDisruptionBudgetSpec{...}: minAvailable and maxUnavailable cannot be both set',
    'spec.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
  ]);
});

test('StorageClass', () => {
  const s = 'storage.k8s.io';
  const sc = { metadata: { name: 'standard' }, provisioner: 'rancher.io/local-path', reclaimPolicy: 'Delete', volumeBindingMode: 'WaitForFirstConsumer' };
  assert.deepEqual(msgs(validateCreate(s, 'StorageClass', sc)), []);
  assert.deepEqual(msgs(validateCreate(s, 'StorageClass', { metadata: { name: 'x' }, reclaimPolicy: 'Recycle' })), [
    'provisioner: Required value',
    'reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"',
    'volumeBindingMode: Required value',
  ]);
  const old = stored(sc);
  const next = clone(old);
  next.provisioner = 'other.io/p';
  assert.deepEqual(msgs(validateUpdate(s, 'StorageClass', next, old)), ['provisioner: Forbidden: updates to provisioner are forbidden.']);
});

test('Lease and EndpointSlice', () => {
  assert.deepEqual(msgs(validateCreate('coordination.k8s.io', 'Lease', { metadata: ns, spec: { holderIdentity: 'a', leaseDurationSeconds: 15 } })), []);
  assert.deepEqual(msgs(validateCreate('coordination.k8s.io', 'Lease', { metadata: ns, spec: { leaseDurationSeconds: 0, leaseTransitions: -1 } })), [
    'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    'spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
  ]);
  const es = { metadata: ns, addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'], conditions: { ready: true } }], ports: [{ name: 'http', protocol: 'TCP', port: 80 }] };
  assert.deepEqual(msgs(validateCreate('discovery.k8s.io', 'EndpointSlice', es)), []);
  const bad = { metadata: ns, addressType: 'IPv4', endpoints: [{ addresses: ['fe80::1'] }, { addresses: [] }] };
  assert.deepEqual(msgs(validateCreate('discovery.k8s.io', 'EndpointSlice', bad)), [
    'endpoints[0].addresses[0]: Invalid value: "fe80::1": must be an IPv4 address',
    'endpoints[1].addresses: Required value: must contain at least 1 address',
  ]);
  const old = stored(es);
  const next = clone(old);
  next.addressType = 'IPv6';
  next.endpoints = [{ addresses: ['fd00::1'] }];
  assert.deepEqual(msgs(validateUpdate('discovery.k8s.io', 'EndpointSlice', next, old)), ['addressType: Invalid value: "IPv6": field is immutable']);
});

test('CustomResourceDefinition', () => {
  const a = 'apiextensions.k8s.io';
  const crd = {
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object' } } }],
    },
  };
  assert.deepEqual(msgs(validateCreate(a, 'CustomResourceDefinition', crd)), []);
  const bad: Record<string, any> = clone(crd);
  bad.metadata.name = 'widgets.other.com';
  bad.spec.scope = 'Global';
  bad.spec.versions = [{ name: 'v1', served: true, storage: false }, { name: 'v1', served: true, storage: false, schema: { openAPIV3Schema: {} } }];
  assert.deepEqual(msgs(validateCreate(a, 'CustomResourceDefinition', bad)), [
    'metadata.name: Invalid value: "widgets.other.com": must be spec.names.plural+"."+spec.group',
    'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    'spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required',
    'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must contain unique version names',
    'spec.versions: Invalid value: []apiextensions.CustomResourceDefinitionVersion{...}: must have exactly one version marked as storage version',
  ]);
  const old = stored(crd);
  const next = clone(old);
  next.spec.scope = 'Cluster';
  assert.deepEqual(msgs(validateUpdate(a, 'CustomResourceDefinition', next, old)), ['spec.scope: Invalid value: "Cluster": field is immutable']);
});
