// The core group's other kinds: Service, Endpoints, ConfigMap, Secret, Namespace, Node,
// PersistentVolume(Claim), LimitRange, ResourceQuota, Event, PodTemplate, ServiceAccount.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/model/validation/index.js';
import { clone, msgs, service, stored, template } from './objects.js';

const has = (m: string[], s: string) => assert.ok(m.includes(s), `missing:\n${s}\nin:\n${m.join('\n')}`);
const create = (kind: string, o: unknown) => msgs(validateCreate('', kind, o));

test('Service: a complete service is valid, headless and ExternalName too', () => {
  assert.deepEqual(create('Service', service()), []);
  const headless = service();
  headless.spec.clusterIP = 'None';
  headless.spec.clusterIPs = ['None'];
  headless.spec.ports = [];
  assert.deepEqual(create('Service', headless), []);
  const ext = { metadata: { name: 'ext', namespace: 'd' }, spec: { type: 'ExternalName', externalName: 'db.example.com.', sessionAffinity: 'None' } };
  assert.deepEqual(create('Service', ext), []);
});

test('Service: ports', () => {
  const s = service();
  s.spec.ports = [
    { protocol: 'TCP', port: 80, targetPort: 8080 },
    { name: 'b', protocol: 'TCP', port: 0, targetPort: 'x_y' },
    { name: 'b', protocol: 'ICMP', port: 80, targetPort: 1, nodePort: 30000 },
  ];
  const m = create('Service', s);
  has(m, 'spec.ports[0].name: Required value');
  has(m, 'spec.ports[1].port: Invalid value: 0: must be between 1 and 65535, inclusive');
  has(m, 'spec.ports[1].targetPort: Invalid value: "x_y": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)');
  has(m, 'spec.ports[2].name: Duplicate value: "b"');
  has(m, 'spec.ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"');
  has(m, "spec.ports[2].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'");
  const dup = service();
  dup.spec.ports = [{ name: 'a', protocol: 'TCP', port: 80, targetPort: 80 }, { name: 'b', protocol: 'TCP', port: 80, targetPort: 81 }];
  has(create('Service', dup), 'spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}');
});

test('Service: type, selector, affinity, cluster IPs, external name', () => {
  const s = service();
  s.spec.type = 'Foo';
  s.spec.selector = { 'a b': 'x' };
  s.spec.sessionAffinity = 'ClientIP';
  s.spec.clusterIP = '10.0.0.10';
  s.spec.clusterIPs = ['10.0.0.11'];
  const m = create('Service', s);
  has(m, 'spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
  has(m, 'spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP');
  has(m, 'spec.clusterIPs: Invalid value: []string{"10.0.0.11"}: first value must match `clusterIP`');
  assert.ok(m.some((x) => x.startsWith('spec.selector: Invalid value: "a b": name part must consist')));
  const lb = service();
  lb.spec.type = 'LoadBalancer';
  lb.spec.externalTrafficPolicy = 'Cluster';
  has(create('Service', lb), 'allocateLoadBalancerNodePorts: Required value');
  const np = service();
  np.spec.type = 'NodePort';
  has(create('Service', np), 'spec.externalTrafficPolicy: Required value');
  const ext = { metadata: { name: 'ext', namespace: 'd' }, spec: { type: 'ExternalName', externalName: 'Bad_Name', sessionAffinity: 'None', clusterIPs: ['10.0.0.1'] } };
  const e = create('Service', ext);
  has(e, 'spec.clusterIPs: Forbidden: may not be set for ExternalName services');
  assert.ok(e.some((x) => x.startsWith('spec.externalName: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain')));
});

test('Service update: cluster IPs may not change once set', () => {
  const old = stored(service());
  old.spec.clusterIP = '10.0.0.10';
  old.spec.clusterIPs = ['10.0.0.10'];
  old.spec.ipFamilies = ['IPv4'];
  const next = clone(old);
  next.spec.clusterIP = '10.0.0.20';
  next.spec.clusterIPs = ['10.0.0.20'];
  has(msgs(validateUpdate('', 'Service', next, old)), 'spec.clusterIPs[0]: Invalid value: []string{"10.0.0.20"}: may not change once set');
});

test('Service status: load balancer ingress only for LoadBalancer services', () => {
  const old = stored(service());
  const next = clone(old);
  next.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4', ipMode: 'VIP' }] } };
  assert.deepEqual(msgs(validateStatusUpdate('', 'Service', next, old)), ["status.loadBalancer.ingress: Forbidden: may only be used when `spec.type` is 'LoadBalancer'"]);
});

test('Endpoints', () => {
  const ep = { metadata: { name: 'web', namespace: 'd' }, subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80, protocol: 'TCP' }] }] };
  assert.deepEqual(create('Endpoints', ep), []);
  const bad = { metadata: { name: 'web', namespace: 'd' }, subsets: [{ addresses: [{ ip: '127.0.0.1' }, { ip: 'nope' }], ports: [{ port: 80, protocol: 'TCP' }, { name: 'b', port: 81, protocol: 'TCP' }] }, {}] };
  const m = create('Endpoints', bad);
  has(m, 'subsets[0].addresses[0].ip: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)');
  has(m, 'subsets[0].addresses[1].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)');
  has(m, 'subsets[0].ports[0].name: Required value');
  has(m, 'subsets[1]: Required value: must specify `addresses` or `notReadyAddresses`');
});

test('ConfigMap: keys, duplicates with binaryData, size, immutability', () => {
  const cm = { metadata: { name: 'c', namespace: 'd' }, data: { 'good.key': 'v', 'bad key': 'v', '..x': 'v', dup: 'v' }, binaryData: { dup: 'AA==' } };
  const m = create('ConfigMap', cm);
  has(m, `data[bad key]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`);
  has(m, `data[..x]: Invalid value: "..x": must not start with '..'`);
  has(m, 'data[dup]: Invalid value: "dup": duplicate of key present in binaryData');
  const big = { metadata: { name: 'c', namespace: 'd' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } };
  assert.deepEqual(create('ConfigMap', big), [': Too long: must have at most 1048576 bytes']);
  const old = stored({ metadata: { name: 'c', namespace: 'd' }, data: { a: '1' }, immutable: true });
  const next = clone(old);
  next.data = { a: '2' };
  assert.deepEqual(msgs(validateUpdate('', 'ConfigMap', next, old)), ['data: Forbidden: field is immutable when `immutable` is set']);
});

test('Secret: types and their required keys', () => {
  const base = { metadata: { name: 's', namespace: 'd' } };
  assert.deepEqual(create('Secret', { ...base, type: 'Opaque', data: { k: 'dmFsdWU=' } }), []);
  assert.deepEqual(create('Secret', { ...base, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }), ['data[tls.key]: Required value']);
  assert.deepEqual(create('Secret', { ...base, type: 'kubernetes.io/basic-auth' }), ['data[username]: Required value', 'data[password]: Required value']);
  assert.deepEqual(create('Secret', { ...base, type: 'kubernetes.io/service-account-token' }), ['metadata.annotations[kubernetes.io/service-account.name]: Required value']);
  assert.deepEqual(create('Secret', { ...base, type: 'kubernetes.io/dockerconfigjson', stringData: { '.dockerconfigjson': '[1]' } }), [
    'data[.dockerconfigjson]: Invalid value: "<secret contents redacted>": json: cannot unmarshal array into Go value of type map[string]interface {}',
  ]);
  assert.deepEqual(create('Secret', { ...base, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': btoa('{"auths":{}}') } }), []);
  const old = stored({ ...base, type: 'Opaque', data: {} });
  const next = clone(old);
  next.type = 'kubernetes.io/tls';
  next.data = { 'tls.crt': 'eA==', 'tls.key': 'eA==' };
  assert.deepEqual(msgs(validateUpdate('', 'Secret', next, old)), ['type: Invalid value: "kubernetes.io/tls": field is immutable']);
});

test('Namespace: finalizers and status phase', () => {
  assert.deepEqual(create('Namespace', { metadata: { name: 'ns' }, spec: { finalizers: ['kubernetes'] } }), []);
  assert.deepEqual(create('Namespace', { metadata: { name: 'ns' }, spec: { finalizers: ['custom'] } }), [
    'spec.finalizers: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
  const old = stored({ metadata: { name: 'ns' }, status: { phase: 'Active' } });
  const next = clone(old);
  next.status.phase = 'Terminating';
  assert.deepEqual(msgs(validateStatusUpdate('', 'Namespace', next, old)), [
    "status.Phase: Invalid value: \"Terminating\": may only be 'Active' if `deletionTimestamp` is empty",
  ]);
});

test('Node: taints, capacity, podCIDRs and update rules', () => {
  const node = { metadata: { name: 'n1' }, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }, { key: 'k', effect: 'NoSchedule' }, { key: 'x', effect: 'Sometimes' }], podCIDRs: ['10.0.0.0/24', 'bad'] }, status: { capacity: { cpu: '-1' } } };
  const m = create('Node', node);
  // upstream reports taints under metadata
  has(m, 'metadata.taints[1]: Duplicate value: core.Taint{Key:"k", Value:"", Effect:"NoSchedule", TimeAdded:(*v1.Time)(nil)}: taints must be unique by key and effect pair');
  has(m, 'metadata.taints[2].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
  has(m, 'status.capacity.cpu: Invalid value: "-1": must be greater than or equal to 0');
  has(m, 'spec.podCIDRs[1]: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)');
  const old = stored({ metadata: { name: 'n1' }, spec: { podCIDRs: ['10.0.0.0/24'], providerID: 'p1' } });
  const next = clone(old);
  next.spec.podCIDRs = ['10.0.1.0/24'];
  next.spec.providerID = 'p2';
  assert.deepEqual(msgs(validateUpdate('', 'Node', next, old)), [
    'spec.podCIDRs: Forbidden: node updates may not change podCIDR except from "" to valid',
    'spec.providerID: Forbidden: node updates may not change providerID except from "" to valid',
  ]);
});

test('PersistentVolume and PersistentVolumeClaim', () => {
  const pv = { metadata: { name: 'pv1' }, spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/data' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' } };
  assert.deepEqual(create('PersistentVolume', pv), []);
  const bad: Record<string, any> = clone(pv);
  bad.spec.accessModes = ['ReadWriteOncePod', 'ReadWriteMany'];
  bad.spec.nfs = { server: 's', path: '/p' };
  has(create('PersistentVolume', bad), 'spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes');
  has(create('PersistentVolume', bad), 'spec.nfs: Forbidden: may not specify more than 1 volume type');
  const pvc = { metadata: { name: 'c', namespace: 'd' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' } };
  assert.deepEqual(create('PersistentVolumeClaim', pvc), []);
  const none = { metadata: { name: 'c', namespace: 'd' }, spec: { resources: {} } };
  assert.deepEqual(create('PersistentVolumeClaim', none), ['spec.accessModes: Required value: at least 1 access mode is required', 'spec.resources[storage]: Required value']);
  const zero = clone(pvc);
  zero.spec.resources.requests.storage = '0';
  assert.deepEqual(create('PersistentVolumeClaim', zero), ['spec.resources[storage]: Invalid value: "0": must be greater than zero']);
  const old = stored(pvc);
  old.status = { phase: 'Bound', capacity: { storage: '1Gi' } };
  const grow = clone(old);
  grow.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(msgs(validateUpdate('', 'PersistentVolumeClaim', grow, old)), []);
  const change = clone(old);
  change.spec.accessModes = ['ReadWriteMany'];
  const m = msgs(validateUpdate('', 'PersistentVolumeClaim', change, old));
  assert.equal(m.length, 1);
  assert.ok(m[0]!.startsWith('spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims\n'), m[0]);
});

test('LimitRange and ResourceQuota', () => {
  const lr = { metadata: { name: 'l', namespace: 'd' }, spec: { limits: [{ type: 'Container', min: { cpu: '2' }, max: { cpu: '1' }, default: { cpu: '500m' } }, { type: 'Container' }] } };
  const m = create('LimitRange', lr);
  has(m, 'spec.limits[0].min[cpu]: Invalid value: 2: min value 2 is greater than max value 1');
  has(m, 'spec.limits[0].default[cpu]: Invalid value: 2: min value 2 is greater than default value 500m');
  has(m, 'spec.limits[1].type: Duplicate value: "Container"');
  const rq = { metadata: { name: 'q', namespace: 'd' }, spec: { hard: { pods: '1.5', cpu: '4', 'foo': '1' }, scopes: ['BestEffort', 'NotBestEffort'] } };
  const q = create('ResourceQuota', rq);
  has(q, 'spec.hard[pods]: Invalid value: 1500m: must be an integer');
  has(q, 'spec.hard[foo]: Invalid value: "foo": must be a standard resource type or fully qualified');
  has(q, 'spec.scopes: Invalid value: []core.ResourceQuotaScope{"BestEffort", "NotBestEffort"}: conflicting scopes');
});

test('Event: legacy rules for core/v1, strict rules for events.k8s.io/v1', () => {
  const legacy = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' }, reason: 'Started' };
  assert.deepEqual(create('Event', legacy), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);
  const ok = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'default' } };
  assert.deepEqual(create('Event', ok), []);
  const strict = { metadata: { name: 'e', namespace: 'default' }, regarding: { kind: 'Pod', name: 'p', namespace: 'default' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'kubelet', reportingInstance: 'n1', action: 'Started', reason: 'Started', type: 'Normal' };
  assert.deepEqual(msgs(validateCreate('events.k8s.io', 'Event', strict)), []);
  const bad = { ...strict, type: 'Info', deprecatedCount: 3, reportingController: '' };
  assert.deepEqual(msgs(validateCreate('events.k8s.io', 'Event', bad)), [
    'reportingController: Required value',
    `reportingController: Invalid value: "": name part must be non-empty`,
    `reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
    'type: Invalid value: "": has invalid value: Info',
    'count: Invalid value: "": needs to be unset',
  ]);
});

test('PodTemplate and ServiceAccount', () => {
  assert.deepEqual(create('PodTemplate', { metadata: { name: 't', namespace: 'd' }, template: template() }), []);
  const t = { metadata: { name: 't', namespace: 'd' }, template: template() };
  t.template.spec.containers = [];
  assert.deepEqual(create('PodTemplate', t), ['template.spec.containers: Required value']);
  assert.deepEqual(create('ServiceAccount', { metadata: { name: 'default', namespace: 'd' } }), []);
});
