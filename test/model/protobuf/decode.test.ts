import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKubernetesProtobuf, decodeProtobufMessage } from '../../../src/model/protobuf/index.js';
import { StatusError } from '../../../src/model/status.js';
import { body, bytes, double, entry, int, intOrString, msg, quantity, str, tag, time, varint, type Bytes } from './wirebuild.js';

/** ObjectMeta as gogo writes it for a new object: every non-pointer field, the zero time included. */
const meta = (field: number, name: string, ...extra: Bytes[]): Bytes =>
  msg(field, str(1, name), str(2, ''), str(3, ''), str(4, ''), str(5, ''), str(6, ''), int(7, 0), msg(8), ...extra);

const decode = (b: Uint8Array) => decodeKubernetesProtobuf(b).object;

test('Namespace: zero values of omitempty fields vanish, the zero time is null, typeMeta is kept', () => {
  const b = body('v1', 'Namespace', [
    ...meta(1, 'team-a', entry(11, 'team', str(2, 'a'))),
    ...msg(2, str(1, 'kubernetes')),
    ...msg(3, str(1, '')),
  ]);
  const r = decodeKubernetesProtobuf(b);
  assert.equal(r.apiVersion, 'v1');
  assert.equal(r.kind, 'Namespace');
  assert.deepEqual(r.object, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'team-a', creationTimestamp: null, labels: { team: 'a' } },
    spec: { finalizers: ['kubernetes'] },
    status: {},
  });
});

test('ConfigMap: string data, binaryData as base64, a false pointer bool kept', () => {
  const b = body('v1', 'ConfigMap', [
    ...meta(1, 'c'),
    ...entry(2, 'a', str(2, '1')),
    ...entry(2, 'empty', str(2, '')),
    ...entry(3, 'bin', bytes(2, [0, 1, 2, 255, 254])),
    ...int(4, false),
  ]);
  assert.deepEqual(decode(b), {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', creationTimestamp: null },
    data: { a: '1', empty: '' },
    binaryData: { bin: 'AAEC//4=' },
    immutable: false,
  });
});

test('Secret: bytes values as base64, stringData and type', () => {
  const b = body('v1', 'Secret', [
    ...meta(1, 's', str(3, 'default')),
    ...entry(2, 'password', bytes(2, [...new TextEncoder().encode('hunter2')])),
    ...entry(2, 'nothing', []),
    ...str(3, 'Opaque'),
    ...entry(4, 'user', str(2, 'admin')),
  ]);
  assert.deepEqual(decode(b), {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 's', namespace: 'default', creationTimestamp: null },
    // An entry without a value holds the zero value of its type.
    data: { password: 'aHVudGVyMg==', nothing: '' },
    type: 'Opaque',
    stringData: { user: 'admin' },
  });
});

test('Deployment with a full pod template', () => {
  const container = msg(
    2,
    str(1, 'web'),
    str(2, 'nginx:1.25'),
    str(3, 'nginx'),
    str(3, '-g'),
    str(4, 'daemon off;'),
    str(5, ''),
    msg(6, str(1, 'http'), int(2, 0), int(3, 8080), str(4, 'TCP'), str(5, '')),
    msg(7, str(1, 'MODE'), str(2, 'prod')),
    msg(7, str(1, 'POD'), str(2, ''), msg(3, msg(1, str(1, 'v1'), str(2, 'metadata.name')))),
    msg(8, entry(1, 'cpu', quantity(2, '500m')), entry(1, 'memory', quantity(2, '128Mi')), entry(2, 'cpu', quantity(2, '250m'))),
    // livenessProbe: the ProbeHandler is an inline (embedded) struct, field 1.
    msg(10, msg(1, msg(2, str(1, '/healthz'), intOrString(2, 'http'), str(3, ''), str(4, 'HTTP'))), int(2, 5), int(3, 0), int(4, 10), int(5, 0), int(6, 0)),
    msg(11, msg(1, msg(3, intOrString(1, 8080), str(2, ''))), int(2, 0), int(3, 1), int(4, 0), int(5, 0), int(6, 0)),
    str(13, '/dev/termination-log'),
    str(14, 'IfNotPresent'),
    int(16, false),
    int(17, false),
    int(18, false),
    str(20, 'File'),
  );
  const b = body('apps/v1', 'Deployment', [
    ...meta(1, 'web', entry(11, 'app', str(2, 'web'))),
    ...msg(
      2,
      int(1, 0),
      msg(2, entry(1, 'app', str(2, 'web'))),
      msg(3, meta(1, '', entry(11, 'app', str(2, 'web'))), msg(2, container, str(3, 'Always'), int(4, 30), str(6, 'ClusterFirst'), str(19, 'default-scheduler'))),
      msg(4, str(1, 'RollingUpdate'), msg(2, intOrString(1, 0), intOrString(2, '25%'))),
      int(5, 0),
      int(6, 10),
      int(7, false),
      int(9, 600),
    ),
    ...msg(3, int(1, 0), int(2, 0), int(3, 0), int(4, 0), int(5, 0)),
  ]);
  // A creationTimestamp with nanoseconds: metav1.Time keeps whole seconds.
  const withTime = body('apps/v1', 'Deployment', [...msg(1, str(1, 'web'), time(8, 1700000000, 123456789))]);
  assert.deepEqual(decode(withTime), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: '2023-11-14T22:13:20Z' },
  });
  assert.deepEqual(decode(b), {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', creationTimestamp: null, labels: { app: 'web' } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              command: ['nginx', '-g'],
              args: ['daemon off;'],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
              env: [
                { name: 'MODE', value: 'prod' },
                { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              ],
              resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
              livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, initialDelaySeconds: 5, periodSeconds: 10 },
              readinessProbe: { tcpSocket: { port: 8080 }, timeoutSeconds: 1 },
              terminationMessagePath: '/dev/termination-log',
              imagePullPolicy: 'IfNotPresent',
              terminationMessagePolicy: 'File',
            },
          ],
          restartPolicy: 'Always',
          terminationGracePeriodSeconds: 30,
          dnsPolicy: 'ClusterFirst',
          schedulerName: 'default-scheduler',
        },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    },
    status: {},
  });
});

test('Service: IntOrString targetPort as number and as name', () => {
  const b = body('v1', 'Service', [
    ...meta(1, 'n'),
    ...msg(
      2,
      msg(1, str(1, '80-8080'), str(2, 'TCP'), int(3, 80), intOrString(4, 8080), int(5, 0)),
      msg(1, str(1, 'metrics'), str(2, 'TCP'), int(3, 9090), intOrString(4, 'metrics'), int(5, 30090)),
      entry(2, 'app', str(2, 'n')),
      str(3, ''),
      str(4, 'NodePort'),
      str(7, ''),
    ),
    ...msg(3, msg(1)),
  ]);
  assert.deepEqual(decode(b), {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'n', creationTimestamp: null },
    spec: {
      ports: [
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'metrics', protocol: 'TCP', port: 9090, targetPort: 'metrics', nodePort: 30090 },
      ],
      selector: { app: 'n' },
      type: 'NodePort',
    },
    status: { loadBalancer: {} },
  });
});

test('CronJob (batch/v1, newer than the 1.17 tables): schedule, pointers, job template, status time', () => {
  const b = body('batch/v1', 'CronJob', [
    ...meta(1, 'cj'),
    ...msg(
      2,
      str(1, '*/5 * * * *'),
      str(3, ''),
      int(4, false),
      msg(5, meta(1, 'cj'), msg(2, msg(6, meta(1, ''), msg(2, msg(2, str(1, 'cj'), str(2, 'busybox')), str(3, 'OnFailure'))))),
      int(6, 3),
      str(8, 'Etc/UTC'),
    ),
    ...msg(3, time(4, 1704164645)),
  ]);
  assert.deepEqual(decode(b), {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', creationTimestamp: null },
    spec: {
      schedule: '*/5 * * * *',
      suspend: false,
      jobTemplate: {
        metadata: { name: 'cj', creationTimestamp: null },
        spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'cj', image: 'busybox' }], restartPolicy: 'OnFailure' } } },
      },
      successfulJobsHistoryLimit: 3,
      timeZone: 'Etc/UTC',
    },
    status: { lastScheduleTime: '2024-01-02T03:04:05Z' },
  });
});

test('events.k8s.io/v1 Event: MicroTime keeps microseconds; PDB status map of Time', () => {
  const ev = body('events.k8s.io/v1', 'Event', [...meta(1, 'e'), ...time(2, 1704164645, 123456789), ...str(4, ''), ...str(7, 'Started'), ...int(15, 0)]);
  assert.deepEqual(decode(ev), {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: 'e', creationTimestamp: null },
    eventTime: '2024-01-02T03:04:05.123456Z',
    reason: 'Started',
  });
  const pdb = body('policy/v1', 'PodDisruptionBudget', [...meta(1, 'p'), ...msg(3, int(1, 0), entry(2, 'pod-1', time(2, 0)), int(3, 0), int(4, 2))]);
  assert.deepEqual(decode(pdb), {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'p', creationTimestamp: null },
    status: { disruptedPods: { 'pod-1': '1970-01-01T00:00:00Z' }, disruptionsAllowed: 0, currentHealthy: 2 },
  });
});

test('CustomResourceDefinition: JSON-schema names ($ref, x-kubernetes-*), raw JSON, the Or-wrappers, doubles', () => {
  const schema = msg(
    1,
    str(5, 'object'),
    entry(29, 'replicas', msg(2, str(5, 'integer'), double(9, 10), double(11, 0), msg(8, bytes(1, [...new TextEncoder().encode('3')])))),
    entry(29, 'spec', msg(2, str(3, '#/definitions/spec'))),
    entry(29, 'tags', msg(2, str(5, 'array'), msg(24, msg(1, str(5, 'string'))))),
    entry(29, 'labels', msg(2, str(5, 'object'), msg(30, int(1, true), msg(2, str(5, 'string'))))),
    entry(29, 'open', msg(2, msg(30, int(1, false)))),
    entry(29, 'mode', msg(2, str(5, 'string'), msg(20, bytes(1, [...new TextEncoder().encode('"a"')])), msg(20, bytes(1, [...new TextEncoder().encode('"b"')])))),
    str(23, 'replicas'),
    int(38, true),
  );
  const b = body('apiextensions.k8s.io/v1', 'CustomResourceDefinition', [
    ...meta(1, 'widgets.example.com'),
    ...msg(2, str(1, 'example.com'), msg(3, str(1, 'widgets'), str(2, 'widget'), str(4, 'Widget'), str(5, 'WidgetList')), str(4, 'Namespaced'), msg(7, str(1, 'v1'), int(2, true), int(3, true), msg(4, schema)), int(10, false)),
  ]);
  assert.deepEqual(decode(b), {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com', creationTimestamp: null },
    spec: {
      group: 'example.com',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                replicas: { type: 'integer', maximum: 10, minimum: 0, default: 3 },
                spec: { $ref: '#/definitions/spec' },
                tags: { type: 'array', items: { type: 'string' } },
                labels: { type: 'object', additionalProperties: { type: 'string' } },
                open: { additionalProperties: false },
                mode: { type: 'string', enum: ['a', 'b'] },
              },
              required: ['replicas'],
              'x-kubernetes-preserve-unknown-fields': true,
            },
          },
        },
      ],
    },
  });
});

test('unknown field numbers of every wire type are skipped', () => {
  const unknown: Bytes = [
    ...int(900, 12345),
    ...tag(901, 1), ...[1, 2, 3, 4, 5, 6, 7, 8],
    ...str(902, 'ignored'),
    ...tag(903, 5), ...[1, 2, 3, 4],
    // A group with a nested field, closed by its end-group tag.
    ...tag(904, 3), ...int(1, 7), ...tag(904, 4),
  ];
  const b = body('v1', 'Namespace', [...unknown, ...msg(1, str(1, 'x'), unknown), ...unknown]);
  assert.deepEqual(decode(b), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
});

test('repeated numbers arrive packed or unpacked; a message met twice merges; the last scalar wins', () => {
  const sc = (...parts: Bytes[]) => body('v1', 'Pod', [...msg(2, msg(14, ...parts))]);
  const packed = sc(bytes(4, [...varint(1000), ...varint(2000)]), int(4, 3000));
  assert.deepEqual((decode(packed).spec as { securityContext: unknown }).securityContext, { supplementalGroups: [1000, 2000, 3000] });
  const merged = body('v1', 'Pod', [...msg(1, str(1, 'a')), ...msg(1, str(3, 'ns')), ...msg(1, str(1, 'b'))]);
  assert.deepEqual(decode(merged).metadata, { name: 'b', namespace: 'ns' });
});

test('negative int32 and int64 values, ten-byte varints', () => {
  const b = body('v1', 'Pod', [...msg(2, int(4, -1), msg(14, int(2, -5)))]);
  assert.deepEqual(decode(b).spec, { terminationGracePeriodSeconds: -1, securityContext: { runAsUser: -5 } });
});

test('typeMeta left empty is filled from the kind the endpoint decodes into', () => {
  const b = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...msg(1), ...bytes(2, msg(1, str(1, 'x')))]);
  const r = decodeKubernetesProtobuf(b, { group: '', version: 'v1', kind: 'Namespace' });
  assert.deepEqual(r.object, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
});

test('special messages by name: Duration, Verbs, IntOrString, RawExtension', () => {
  assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Duration', Uint8Array.from(int(1, 5_400_000_000_000n))), '1h30m0s');
  assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Duration', Uint8Array.from(int(1, 1_500_000))), '1.5ms');
  assert.deepEqual(decodeProtobufMessage('k8s.io.apimachinery.pkg.apis.meta.v1.Verbs', Uint8Array.from([...str(1, 'get'), ...str(1, 'list')])), ['get', 'list']);
  assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.util.intstr.IntOrString', new Uint8Array(0)), 0);
  assert.deepEqual(decodeProtobufMessage('k8s.io.apimachinery.pkg.runtime.RawExtension', Uint8Array.from(str(1, '{"a":[1,true]}'))), { a: [1, true] });
  assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.runtime.RawExtension', new Uint8Array(0)), null);
  assert.equal(decodeProtobufMessage('k8s.io.apimachinery.pkg.api.resource.Quantity', new Uint8Array(0)), '0');
});

// ---- errors: 400 BadRequest with the API server's messages

function rejects(b: Uint8Array, message: string, into = { group: '', version: 'v1', kind: 'Namespace' }) {
  assert.throws(
    () => decodeKubernetesProtobuf(b, into),
    (e: unknown) => {
      assert.ok(e instanceof StatusError);
      assert.equal(e.code, 400);
      assert.equal(e.reason, 'BadRequest');
      assert.equal(e.message, message);
      return true;
    },
  );
}

test('a body without the magic prefix', () => {
  rejects(
    new TextEncoder().encode('{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"x"}}'),
    'the object provided is unrecognized (must be of type Namespace): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] ({"kind":"Namespace","apiVersio ...)',
  );
  rejects(Uint8Array.of(1, 2, 3), 'the object provided is unrecognized (must be of type Namespace): provided data does not appear to be a protobuf message, expected prefix [107 56 115 0] (010203)');
  rejects(new Uint8Array(0), 'the object provided is unrecognized (must be of type Namespace): empty data (<empty>)');
  rejects(Uint8Array.of(0x6b, 0x38, 0x73, 0x00), 'the object provided is unrecognized (must be of type Namespace): empty body (6b387300)');
});

test('a truncated Unknown envelope', () => {
  const full = body('v1', 'Namespace', msg(1, str(1, 'x')));
  rejects(full.subarray(0, 12), `the object provided is unrecognized (must be of type Namespace): unexpected EOF (${Buffer.from(full.subarray(0, 12)).toString('hex')})`);
});

test('errors inside the typed object name its kind and version', () => {
  const truncatedVarint = body('v1', 'Namespace', [...msg(1, tag(7, 0), [0x80])]);
  rejects(truncatedVarint, 'Namespace in version "v1" cannot be handled as a Namespace: unexpected EOF');
  const wrongWire = body('v1', 'Namespace', [...msg(1, int(1, 5))]);
  rejects(wrongWire, 'Namespace in version "v1" cannot be handled as a Namespace: proto: wrong wireType = 0 for field Name');
  const wrongWireMessage = body('apps/v1', 'Deployment', [...int(2, 1)]);
  rejects(wrongWireMessage, 'Deployment in version "v1" cannot be handled as a Namespace: proto: wrong wireType = 0 for field Spec');
  const tagZero = body('v1', 'Namespace', [...msg(1, [0x00, 0x01])]);
  rejects(tagZero, 'Namespace in version "v1" cannot be handled as a Namespace: proto: ObjectMeta: illegal tag 0 (wire type 0)');
  const endGroup = body('v1', 'Namespace', [...tag(5, 4)]);
  rejects(endGroup, 'Namespace in version "v1" cannot be handled as a Namespace: proto: Namespace: wiretype end group for non-group');
  const overflow = body('v1', 'Namespace', [...tag(900, 0), ...Array(10).fill(0xff), 0x01]);
  rejects(overflow, 'Namespace in version "v1" cannot be handled as a Namespace: proto: integer overflow');
  const negative = body('v1', 'Namespace', [...tag(1, 2), ...varint(-1n)]);
  rejects(negative, 'Namespace in version "v1" cannot be handled as a Namespace: proto: negative length found during unmarshaling');
  const tooLong = body('v1', 'Namespace', [...tag(1, 2), ...varint(100), 1, 2]);
  rejects(tooLong, 'Namespace in version "v1" cannot be handled as a Namespace: unexpected EOF');
  const badWireType = body('v1', 'Namespace', [...tag(900, 7)]);
  rejects(badWireType, 'Namespace in version "v1" cannot be handled as a Namespace: proto: illegal wireType 7');
  const badRaw = body('apps/v1', 'ControllerRevision', [...bytes(2, str(1, '{"a":'))]);
  rejects(badRaw, 'ControllerRevision in version "v1" cannot be handled as a Namespace: json: error calling MarshalJSON for type runtime.RawExtension: unexpected end of JSON input');
});

test('an unknown kind, and typeMeta without kind or version', () => {
  rejects(body('v1', 'Widget', []), 'Widget in version "v1" cannot be handled as a Namespace: no kind "Widget" is registered for version "v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
  rejects(body('example.com/v1', 'Widget', []), 'Widget in version "v1" cannot be handled as a Namespace: no kind "Widget" is registered for version "example.com/v1" in scheme "pkg/api/legacyscheme/scheme.go:30"');
  const noKind = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(1, 'v1'))]);
  assert.throws(() => decodeKubernetesProtobuf(noKind), (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.message, `the object provided is unrecognized (must be of type ): Object 'Kind' is missing in 'runtime.TypeMeta{APIVersion:"v1", Kind:""}' (${Buffer.from(noKind).toString('hex')})`);
    return true;
  });
  const noVersion = Uint8Array.from([0x6b, 0x38, 0x73, 0x00, ...msg(1, str(2, 'Namespace'))]);
  assert.throws(() => decodeKubernetesProtobuf(noVersion), /Namespace in version "" cannot be handled as a Namespace: Object 'apiVersion' is missing in 'runtime.TypeMeta\{APIVersion:"", Kind:"Namespace"\}'/);
});
