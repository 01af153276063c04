// Pod validation: PodSpec (ValidatePodSpec), pod-only rules, updates (ValidatePodUpdate) and
// status updates, with messages as in upstream's core/validation tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '../../../src/model/status.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/model/validation/index.js';
import { clone, container, msgs, pod, stored } from './objects.js';

const create = (p: unknown) => msgs(validateCreate('', 'Pod', p));
const has = (m: string[], s: string) => assert.ok(m.includes(s), `missing:\n${s}\nin:\n${m.join('\n')}`);

test('a complete pod is valid', () => {
  assert.deepEqual(create(pod()), []);
  const p = pod();
  p.spec.volumes = [{ name: 'data', emptyDir: {} }, { name: 'cfg', configMap: { name: 'c', defaultMode: 0o644 } }];
  p.spec.containers[0].volumeMounts = [{ name: 'data', mountPath: '/data' }, { name: 'cfg', mountPath: '/etc/cfg', readOnly: true }];
  p.spec.containers[0].ports = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
  p.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }];
  p.spec.containers[0].resources = { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } };
  p.spec.containers[0].livenessProbe = { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };
  p.spec.initContainers = [container('init')];
  p.spec.tolerations = [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }];
  p.spec.nodeSelector = { 'kubernetes.io/os': 'linux' };
  p.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } };
  p.spec.topologySpreadConstraints = [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } } }];
  p.spec.hostname = 'web-0';
  p.spec.subdomain = 'web';
  assert.deepEqual(create(p), []);
});

test('containers: required, unique DNS-label names, image', () => {
  const p = pod();
  p.spec.containers = [];
  assert.deepEqual(create(p), ['spec.containers: Required value']);
  p.spec.containers = [container('a'), { ...container('a'), image: '' }, container('Bad_Name')];
  const m = create(p);
  has(m, 'spec.containers[1].name: Duplicate value: "a"');
  has(m, 'spec.containers[1].image: Required value');
  has(m, `spec.containers[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`);
  p.spec.initContainers = [container('a')];
  p.spec.containers = [container('a')];
  has(create(p), 'spec.initContainers[0].name: Duplicate value: "a"');
});

test('fields that defaulting fills are required when absent', () => {
  const p = pod();
  delete p.spec.restartPolicy;
  delete p.spec.dnsPolicy;
  delete p.spec.terminationGracePeriodSeconds;
  delete p.spec.containers[0].imagePullPolicy;
  delete p.spec.containers[0].terminationMessagePolicy;
  assert.deepEqual(create(p), [
    'spec.terminationGracePeriodSeconds: Required value',
    'spec.containers[0].terminationMessagePolicy: Required value',
    'spec.containers[0].imagePullPolicy: Required value',
    'spec.restartPolicy: Required value',
    'spec.dnsPolicy: Required value',
  ]);
});

test('enums', () => {
  const p = pod();
  p.spec.restartPolicy = 'Sometimes';
  p.spec.dnsPolicy = 'Google';
  p.spec.containers[0].imagePullPolicy = 'Maybe';
  assert.deepEqual(create(p), [
    'spec.containers[0].imagePullPolicy: Unsupported value: "Maybe": supported values: "Always", "IfNotPresent", "Never"',
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
    'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
  ]);
});

test('ports and env', () => {
  const p = pod();
  p.spec.containers[0].ports = [
    { name: 'http', containerPort: 80, protocol: 'TCP' },
    { name: 'http', containerPort: 70000, protocol: 'TCP' },
    { containerPort: 0, protocol: 'ICMP' },
    { name: '-bad-', containerPort: 81, hostPort: 81, protocol: 'UDP' },
  ];
  p.spec.containers[0].env = [{ name: '' }, { name: 'A=B', value: 'x' }, { name: 'X', valueFrom: {} }, { name: 'Y', value: 'v', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }];
  p.spec.containers[0].envFrom = [{}];
  const m = create(p);
  has(m, 'spec.containers[0].ports[1].name: Duplicate value: "http"');
  has(m, 'spec.containers[0].ports[1].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive');
  has(m, 'spec.containers[0].ports[2].containerPort: Required value');
  has(m, 'spec.containers[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"');
  has(m, 'spec.containers[0].ports[3].name: Invalid value: "-bad-": must not begin or end with a hyphen');
  has(m, 'spec.containers[0].env[0].name: Required value');
  has(m, `spec.containers[0].env[1].name: Invalid value: "A=B": a valid environment variable name must consist only of printable ASCII characters other than '='`);
  has(m, 'spec.containers[0].env[2].valueFrom: Invalid value: "": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`');
  has(m, 'spec.containers[0].env[3].valueFrom: Invalid value: "": may not be specified when `value` is not empty');
  has(m, 'spec.containers[0].envFrom: Invalid value: "": must specify one of: `configMapRef` or `secretRef`');
});

test('volumes and mounts', () => {
  const p = pod();
  p.spec.volumes = [{ name: 'a', emptyDir: {}, hostPath: { path: '/x' } }, { name: 'b' }, { name: 'c', emptyDir: {} }, { name: 'c', emptyDir: {} }];
  p.spec.containers[0].volumeMounts = [{ name: 'missing', mountPath: '/m' }, { name: 'c', mountPath: '/m' }, { name: 'c', mountPath: '/n', subPath: '../up' }];
  const m = create(p);
  has(m, 'spec.volumes[0].hostPath: Forbidden: may not specify more than 1 volume type');
  has(m, 'spec.volumes[1]: Required value: must specify a volume type');
  has(m, 'spec.volumes[3].name: Duplicate value: "c"');
  has(m, 'spec.containers[0].volumeMounts[0].name: Not found: "missing"');
  has(m, 'spec.containers[0].volumeMounts[1].mountPath: Invalid value: "/m": must be unique');
  // upstream reports subPath problems at the list's path
  has(m, `spec.containers[0].volumeMounts.subPath: Invalid value: "../up": must not contain '..'`);
});

test('resources: limits must cover requests; quantities non-negative; names standard', () => {
  const p = pod();
  p.spec.containers[0].resources = { requests: { cpu: '2', memory: '-1' }, limits: { cpu: '1', 'example.com/gpu': '1.5' }, claims: [] };
  const m = create(p);
  // upstream's message reports the requests map's path
  has(m, 'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1');
  has(m, 'spec.containers[0].resources.requests[memory]: Invalid value: "-1": must be greater than or equal to 0');
  has(m, 'spec.containers[0].resources.limits[example.com/gpu]: Invalid value: 1500m: must be an integer');
  p.spec.containers[0].resources = { limits: { foo: '1' } };
  assert.deepEqual(create(p), [
    'spec.containers[0].resources.limits[foo]: Invalid value: "foo": must be a standard resource type or fully qualified',
    'spec.containers[0].resources.limits[foo]: Invalid value: "foo": must be a standard resource for containers',
  ]);
  p.spec.containers[0].resources = { requests: { 'example.com/gpu': '1' } };
  assert.deepEqual(create(p), ['spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources']);
});

test('probes and lifecycle handlers', () => {
  const p = pod();
  p.spec.containers[0].livenessProbe = { exec: { command: [] }, tcpSocket: { port: 80 }, successThreshold: 2, periodSeconds: -1 };
  p.spec.containers[0].readinessProbe = { httpGet: { path: '', port: 0, scheme: 'FTP' }, successThreshold: 1, terminationGracePeriodSeconds: 5 };
  p.spec.containers[0].lifecycle = { preStop: { sleep: { seconds: 60 } } };
  const m = create(p);
  has(m, 'spec.containers[0].livenessProbe.exec.command: Required value');
  has(m, 'spec.containers[0].livenessProbe.tcpSocket: Forbidden: may not specify more than 1 handler type');
  has(m, 'spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: must be greater than or equal to 0');
  has(m, 'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1');
  has(m, 'spec.containers[0].readinessProbe.httpGet.path: Required value');
  has(m, 'spec.containers[0].readinessProbe.httpGet.port: Invalid value: 0: must be between 1 and 65535, inclusive');
  has(m, 'spec.containers[0].readinessProbe.httpGet.scheme: Unsupported value: "FTP": supported values: "HTTP", "HTTPS"');
  has(m, 'spec.containers[0].readinessProbe.terminationGracePeriodSeconds: Invalid value: 5: must not be set for readinessProbes');
  has(m, 'spec.containers[0].lifecycle.preStop.sleep: Invalid value: 60: must be greater than 0 and less than terminationGracePeriodSeconds (30). Enable AllowPodLifecycleSleepActionZeroValue feature gate for zero sleep.');
  const q = pod();
  q.spec.initContainers = [{ ...container('init'), livenessProbe: { exec: { command: ['true'] } } }];
  has(create(q), 'spec.initContainers[0].livenessProbe: Forbidden: may not be set for init containers without restartPolicy=Always');
});

test('scheduling: tolerations, affinity, spread constraints, node selector', () => {
  const p = pod();
  p.spec.tolerations = [{ operator: 'Equal', value: 'x' }, { key: 'k', operator: 'Exists', value: 'v' }, { key: 'k', effect: 'NoSchedule', tolerationSeconds: 5 }];
  p.spec.affinity = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
    podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 0, podAffinityTerm: { topologyKey: '' } }] },
  };
  p.spec.topologySpreadConstraints = [{ maxSkew: 0, topologyKey: 'zone', whenUnsatisfiable: 'Maybe' }];
  p.spec.nodeSelector = { 'bad key!': 'v' };
  const m = create(p);
  has(m, 'spec.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"');
  has(m, "spec.tolerations[1].operator: Invalid value: \"v\": value must be empty when `operator` is 'Exists'");
  has(m, "spec.tolerations[2].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set");
  has(m, 'spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term');
  has(m, 'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100');
  has(m, 'spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey: Required value: can not be empty');
  has(m, 'spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero');
  has(m, 'spec.topologySpreadConstraints[0].whenUnsatisfiable: Unsupported value: "Maybe": supported values: "DoNotSchedule", "ScheduleAnyway"');
  assert.ok(m.some((x) => x.startsWith('spec.nodeSelector: Invalid value: "bad key!": name part must consist of')));
});

test('hostname, subdomain, security context, grace period', () => {
  const p = pod();
  p.spec.hostname = 'Web';
  p.spec.subdomain = 'a.b';
  p.spec.securityContext = { runAsUser: -1, sysctls: [{ name: 'net.ipv4.ip_forward', value: '1' }] };
  p.spec.hostNetwork = true;
  p.spec.activeDeadlineSeconds = 0;
  const m = create(p);
  assert.ok(m.some((x) => x.startsWith('spec.hostname: Invalid value: "Web": a lowercase RFC 1123 label')));
  has(m, 'spec.subdomain: Invalid value: "a.b": must not contain dots');
  has(m, 'spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 4294967295, inclusive');
  has(m, "spec.securityContext.sysctls[0].name: Invalid value: \"net.ipv4.ip_forward\": may not be specified when 'hostNetwork' is true");
  has(m, 'spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive');
});

test('pod-only checks: whitespace in images, ephemeral containers on create', () => {
  const p = pod();
  p.spec.containers[0].image = ' busybox';
  p.spec.ephemeralContainers = [{ ...container('debug'), targetContainerName: 'app' }];
  const m = create(p);
  has(m, 'spec.containers[0].image: Invalid value: " busybox": must not have leading or trailing whitespace');
  has(m, 'spec.ephemeralContainers: Forbidden: cannot be set on create');
});

test('update: images may change, other spec fields may not', () => {
  const old = stored(pod());
  const next = clone(old);
  next.spec.containers[0].image = 'busybox:1.37';
  next.spec.activeDeadlineSeconds = 100;
  next.spec.tolerations = [{ key: 'k', operator: 'Exists', effect: 'NoSchedule' }];
  assert.deepEqual(msgs(validateUpdate('', 'Pod', next, old)), []);
  next.spec.restartPolicy = 'Never';
  const m = msgs(validateUpdate('', 'Pod', next, old));
  assert.equal(m.length, 1);
  assert.ok(
    m[0]!.startsWith(
      'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n',
    ),
    m[0],
  );
  assert.ok(m[0]!.includes('restartPolicy'));
  const fewer = clone(old);
  fewer.spec.containers.push(container('side'));
  assert.deepEqual(msgs(validateUpdate('', 'Pod', fewer, old)), ['spec.containers: Forbidden: pod updates may not add or remove containers']);
  const deadline = clone(old);
  deadline.spec.activeDeadlineSeconds = 10;
  const later = clone(deadline);
  later.spec.activeDeadlineSeconds = 20;
  assert.deepEqual(msgs(validateUpdate('', 'Pod', later, stored(deadline))), ['spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value']);
});

test('status update: nodeName and terminated containers', () => {
  const old = stored(pod());
  old.spec.restartPolicy = 'Never';
  old.status = { containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 0 } } }] };
  const next = clone(old);
  next.spec.nodeName = 'n1';
  next.status = { containerStatuses: [{ name: 'app', state: { running: {} } }], podIPs: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }] };
  const m = msgs(validateStatusUpdate('', 'Pod', next, old));
  has(m, 'status.nodeName: Forbidden: may not be changed directly');
  has(m, 'status.containerStatuses[0].state: Forbidden: may not be transitioned to non-terminated state');
  has(m, 'status.podIPs: Invalid value: []core.PodIP{core.PodIP{IP:"10.0.0.1"}, core.PodIP{IP:"10.0.0.2"}}: may specify no more than one IP for each IP family');
});

test('the Status message aggregates several errors as kubectl shows them', () => {
  const p = pod();
  p.spec.containers[0].image = '';
  p.spec.restartPolicy = '';
  const e = errors.invalid({ group: '', name: 'Pod' }, 'web-0', validateCreate('', 'Pod', p));
  assert.equal(e.message, 'Pod "web-0" is invalid: [spec.containers[0].image: Required value, spec.restartPolicy: Required value]');
  assert.deepEqual(e.toStatus().details?.causes?.[0], { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' });
});
