// Pod and pod-template defaulting against what kube-apiserver stores for the same input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, prepareForCreate, podQOSClass } from '../../../src/model/defaults/index.js';
import type { KubeObject } from '../../../src/model/object.js';

const now = Date.UTC(2024, 0, 1);
const pod = (spec: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web', namespace: 'default' },
  spec,
  ...extra,
});

test('a minimal pod defaults and prepares to what the API server stores', () => {
  const p = pod({ containers: [{ name: 'nginx', image: 'nginx' }] });
  applyDefaults('', 'v1', 'Pod', p);
  prepareForCreate('', 'v1', 'Pod', p, { uid: 'u1', now });
  assert.deepEqual(p, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', generation: 1 },
    spec: {
      containers: [
        {
          name: 'nginx',
          image: 'nginx',
          imagePullPolicy: 'Always',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      terminationGracePeriodSeconds: 30,
    },
    status: { phase: 'Pending', qosClass: 'BestEffort' },
  });
});

test('imagePullPolicy follows the image tag', () => {
  const cases: [string, string][] = [
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.25', 'IfNotPresent'],
    ['registry.local:5000/team/app', 'Always'],
    ['registry.local:5000/team/app:v2', 'IfNotPresent'],
    [`nginx@sha256:${'a'.repeat(64)}`, 'IfNotPresent'],
    [`nginx:latest@sha256:${'a'.repeat(64)}`, 'Always'],
    ['Nginx', 'IfNotPresent'], // unparseable: no tag
    ['', 'IfNotPresent'],
  ];
  for (const [image, want] of cases) {
    const p = pod({ containers: [{ name: 'c', image }] });
    applyDefaults('', 'v1', 'Pod', p);
    assert.equal((p.spec as any).containers[0].imagePullPolicy, want, image);
  }
  const explicit = pod({ containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Never' }] });
  applyDefaults('', 'v1', 'Pod', explicit);
  assert.equal((explicit.spec as any).containers[0].imagePullPolicy, 'Never');
});

test('ports, env fieldRefs, probes and lifecycle hooks get their defaults', () => {
  const p = pod({
    initContainers: [{ name: 'init', image: 'busybox:1.36' }],
    containers: [
      {
        name: 'app',
        image: 'app:1',
        ports: [{ containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }],
        env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }, { name: 'X', value: 'y' }],
        livenessProbe: { httpGet: { port: 8080 } },
        readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['true'] }, failureThreshold: 30 },
        lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
      },
    ],
  });
  applyDefaults('', 'v1', 'Pod', p);
  const spec = p.spec as any;
  assert.deepEqual(spec.initContainers[0].imagePullPolicy, 'IfNotPresent');
  const c = spec.containers[0];
  assert.deepEqual(c.ports, [{ containerPort: 8080, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  assert.deepEqual(c.env[0].valueFrom.fieldRef, { apiVersion: 'v1', fieldPath: 'metadata.name' });
  assert.deepEqual(c.env[1], { name: 'X', value: 'y' });
  assert.deepEqual(c.livenessProbe, {
    httpGet: { port: 8080, path: '/', scheme: 'HTTP' },
    timeoutSeconds: 1,
    periodSeconds: 10,
    successThreshold: 1,
    failureThreshold: 3,
  });
  assert.deepEqual(c.readinessProbe, { grpc: { port: 9000, service: '' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  assert.equal(c.startupProbe.failureThreshold, 30);
  assert.deepEqual(c.lifecycle.preStop.httpGet, { port: 80, path: '/stop', scheme: 'HTTP' });
});

test('volumes: sources default, a volume with no source is an emptyDir', () => {
  const p = pod({
    containers: [{ name: 'c', image: 'x:1' }],
    volumes: [
      { name: 'scratch' },
      { name: 'cfg', configMap: { name: 'cm' } },
      { name: 'sec', secret: { secretName: 's', defaultMode: 256 } },
      { name: 'host', hostPath: { path: '/data' } },
      { name: 'down', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
      {
        name: 'proj',
        projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } }] },
      },
      { name: 'eph', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1024Mi' } } } } } },
      { name: 'tmp', emptyDir: { sizeLimit: '0.5Gi' } },
    ],
  });
  applyDefaults('', 'v1', 'Pod', p);
  const vols = (p.spec as any).volumes;
  assert.deepEqual(vols[0], { name: 'scratch', emptyDir: {} });
  assert.deepEqual(vols[1], { name: 'cfg', configMap: { name: 'cm', defaultMode: 420 } });
  assert.deepEqual(vols[2], { name: 'sec', secret: { secretName: 's', defaultMode: 256 } });
  assert.deepEqual(vols[3], { name: 'host', hostPath: { path: '/data', type: '' } });
  assert.deepEqual(vols[4].downwardAPI, { defaultMode: 420, items: [{ path: 'labels', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.labels' } }] });
  assert.deepEqual(vols[5].projected, {
    defaultMode: 420,
    sources: [
      { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
      { downwardAPI: { items: [{ path: 'n', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } }] } },
    ],
  });
  assert.deepEqual(vols[6].ephemeral.volumeClaimTemplate.spec, {
    accessModes: ['ReadWriteOnce'],
    resources: { requests: { storage: '1Gi' } },
    volumeMode: 'Filesystem',
  });
  assert.deepEqual(vols[7], { name: 'tmp', emptyDir: { sizeLimit: '512Mi' } });
});

test('requests default from limits on pods only, quantities round up to milli and print canonically', () => {
  const container = () => ({ name: 'c', image: 'x:1', resources: { limits: { cpu: '0.5', memory: '1024Mi' }, requests: { memory: '0.0001' } } });
  const p = pod({ containers: [container()] });
  applyDefaults('', 'v1', 'Pod', p);
  assert.deepEqual((p.spec as any).containers[0].resources, {
    limits: { cpu: '500m', memory: '1Gi' },
    requests: { memory: '1m', cpu: '500m' },
  });
  const d: KubeObject = { metadata: { name: 'd' }, spec: { template: { spec: { containers: [container()] } } } };
  applyDefaults('apps', 'v1', 'Deployment', d);
  const tpl = (d.spec as any).template;
  assert.deepEqual(tpl.spec.containers[0].resources, { limits: { cpu: '500m', memory: '1Gi' }, requests: { memory: '1m' } });
  assert.equal(tpl.spec.enableServiceLinks, undefined, 'templates get no service-link default');
  assert.deepEqual(tpl.metadata, {});
});

test('host-network pods publish container ports on the host', () => {
  const p = pod({ hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 80 }, { containerPort: 81, hostPort: 9000 }] }] });
  applyDefaults('', 'v1', 'Pod', p);
  assert.deepEqual((p.spec as any).containers[0].ports, [
    { containerPort: 80, hostPort: 80, protocol: 'TCP' },
    { containerPort: 81, hostPort: 9000, protocol: 'TCP' },
  ]);
});

test('explicit values survive: zero grace period, custom dns and restart policy', () => {
  const p = pod({ terminationGracePeriodSeconds: 0, dnsPolicy: 'Default', restartPolicy: 'Never', enableServiceLinks: false, containers: [{ name: 'c', image: 'x' }] });
  applyDefaults('', 'v1', 'Pod', p);
  const s = p.spec as any;
  assert.equal(s.terminationGracePeriodSeconds, 0);
  assert.equal(s.dnsPolicy, 'Default');
  assert.equal(s.restartPolicy, 'Never');
  assert.equal(s.enableServiceLinks, false);
});

test('QoS class: BestEffort, Burstable, Guaranteed', () => {
  const res = (r: unknown) => ({ containers: [{ name: 'c', resources: r }] });
  assert.equal(podQOSClass(res({})), 'BestEffort');
  assert.equal(podQOSClass(res({ requests: { cpu: '100m' } })), 'Burstable');
  assert.equal(podQOSClass(res({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1024Mi' } })), 'Guaranteed');
  assert.equal(podQOSClass(res({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } })), 'Burstable');
  assert.equal(podQOSClass(res({ limits: { cpu: '1' }, requests: { cpu: '1' } })), 'Burstable');
  assert.equal(podQOSClass(res({ requests: { 'ephemeral-storage': '1Gi' } })), 'BestEffort');
  // Requests defaulted from limits make a limits-only pod Guaranteed after defaulting.
  const p = pod({ containers: [{ name: 'c', image: 'x', resources: { limits: { cpu: '1', memory: '64Mi' } } }] });
  applyDefaults('', 'v1', 'Pod', p);
  prepareForCreate('', 'v1', 'Pod', p, { uid: 'u', now });
  assert.equal((p.status as any).qosClass, 'Guaranteed');
});

test('create clears client-set status, adds the scheduling-gated condition and merges matchLabelKeys', () => {
  const p = pod(
    {
      schedulingGates: [{ name: 'wait' }],
      containers: [{ name: 'c', image: 'x' }],
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'web' } }, matchLabelKeys: ['pod-template-hash', 'absent'] },
          ],
        },
      },
      topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: {}, matchLabelKeys: ['app'] }],
    },
    { status: { phase: 'Running', podIP: '10.0.0.1' } },
  );
  p.metadata.labels = { app: 'web', 'pod-template-hash': 'abc' };
  applyDefaults('', 'v1', 'Pod', p);
  prepareForCreate('', 'v1', 'Pod', p, { uid: 'u', now });
  assert.deepEqual(p.status, {
    phase: 'Pending',
    qosClass: 'BestEffort',
    conditions: [
      { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime: null, reason: 'SchedulingGated', message: 'Scheduling is blocked due to non-empty scheduling gates' },
    ],
  });
  const spec = p.spec as any;
  assert.deepEqual(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector, {
    matchLabels: { app: 'web' },
    matchExpressions: [{ key: 'pod-template-hash', operator: 'In', values: ['abc'] }],
  });
  assert.deepEqual(spec.topologySpreadConstraints[0].labelSelector, { matchExpressions: [{ key: 'app', operator: 'In', values: ['web'] }] });
});

test('malformed input is left for validation, never a crash', () => {
  const weird: KubeObject[] = [
    pod({ containers: 'nope' }),
    pod({ containers: [null, 3, { name: 'c', image: 7, ports: 'x', resources: { limits: { cpu: 'lots' } } }] }),
    { metadata: {}, spec: null },
    { metadata: {}, spec: 5 } as unknown as KubeObject,
  ];
  for (const p of weird) applyDefaults('', 'v1', 'Pod', p);
  assert.equal((weird[1]!.spec as any).containers[2].imagePullPolicy, 'IfNotPresent');
  assert.deepEqual((weird[1]!.spec as any).containers[2].resources.limits, { cpu: 'lots' });
  assert.equal((weird[3] as any).spec, 5);
});
