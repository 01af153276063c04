// Defaulting runs on every decode, so it must be idempotent: applyDefaults twice equals once, for
// every registered kind and arbitrary (even malformed) input. It must never throw either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { applyDefaults, prepareForCreate } from '../../../src/model/defaults/index.js';
import { deepClone, deepEqual, type KubeObject } from '../../../src/model/object.js';
import { Registry } from '../../../src/model/registry.js';
import { freeze } from '../../../src/store/fanout.js';
import { pruneUnknownFields } from '../../../src/model/openapi/unknown-fields.js';

const kinds = new Registry().all().filter((t) => t.verbs.includes('get'));

const quantity = fc.oneof(fc.constantFrom('1', '0.5', '100m', '1Gi', '1024Mi', '0.0001', '2e3', 'bad'), fc.integer({ min: 0, max: 4096 }));
const image = fc.constantFrom('nginx', 'nginx:latest', 'nginx:1', 'Bad Image', 'reg:5000/a/b@sha256:' + 'b'.repeat(64));
const container = fc.record(
  {
    name: fc.string({ maxLength: 5 }),
    image,
    imagePullPolicy: fc.constantFrom('Always', 'Never', ''),
    ports: fc.array(fc.record({ containerPort: fc.integer({ min: 0, max: 65535 }), protocol: fc.constantFrom('TCP', 'UDP', '') }, { requiredKeys: ['containerPort'] }), { maxLength: 2 }),
    resources: fc.record({ limits: fc.dictionary(fc.constantFrom('cpu', 'memory'), quantity), requests: fc.dictionary(fc.constantFrom('cpu', 'memory'), quantity) }, { requiredKeys: [] }),
    livenessProbe: fc.record({ httpGet: fc.record({ port: fc.integer() }), timeoutSeconds: fc.integer({ min: 0, max: 5 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['name'] },
);
const podSpec = fc.record(
  {
    containers: fc.array(container, { maxLength: 2 }),
    initContainers: fc.array(container, { maxLength: 1 }),
    hostNetwork: fc.boolean(),
    restartPolicy: fc.constantFrom('Always', 'Never', ''),
    volumes: fc.array(fc.oneof(fc.constant({ name: 'a' }), fc.constant({ name: 'b', secret: {} }), fc.constant({ name: 'c', projected: { sources: [{ serviceAccountToken: {} }] } })), { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const template = fc.record({ metadata: fc.record({ labels: fc.dictionary(fc.constantFrom('app', 'tier'), fc.constantFrom('a', 'b')) }, { requiredKeys: [] }), spec: podSpec }, { requiredKeys: [] });
const spec = fc.record(
  {
    template,
    replicas: fc.integer({ min: 0, max: 3 }),
    completions: fc.integer({ min: 0, max: 3 }),
    parallelism: fc.integer({ min: 0, max: 3 }),
    type: fc.constantFrom('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
    ports: fc.array(fc.record({ port: fc.integer({ min: 1, max: 9 }), targetPort: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.constantFrom('', 'http')) }, { requiredKeys: [] }), { maxLength: 2 }),
    sessionAffinity: fc.constantFrom('None', 'ClientIP'),
    egress: fc.array(fc.constant({}), { maxLength: 1 }),
    strategy: fc.record({ type: fc.constantFrom('RollingUpdate', 'Recreate', '') }, { requiredKeys: [] }),
    updateStrategy: fc.record({ type: fc.constantFrom('RollingUpdate', 'OnDelete', '') }, { requiredKeys: [] }),
    limits: fc.array(fc.record({ type: fc.constantFrom('Container', 'Pod'), max: fc.dictionary(fc.constantFrom('cpu'), quantity), min: fc.dictionary(fc.constantFrom('memory'), quantity) }), { maxLength: 1 }),
  },
  { requiredKeys: [] },
);
const object = fc.record(
  {
    metadata: fc.record({ name: fc.constantFrom('a', 'b', ''), labels: fc.dictionary(fc.constantFrom('x'), fc.constantFrom('y')) }, { requiredKeys: [] }),
    spec: fc.oneof({ weight: 5, arbitrary: spec }, { weight: 1, arbitrary: fc.jsonValue() }),
    status: fc.oneof(fc.constant({}), fc.record({ capacity: fc.dictionary(fc.constantFrom('cpu', 'memory'), quantity) })),
    subjects: fc.array(fc.record({ kind: fc.constantFrom('User', 'Group', 'ServiceAccount'), name: fc.constant('n') }), { maxLength: 2 }),
    roleRef: fc.record({ kind: fc.constant('Role'), name: fc.constant('r') }),
    type: fc.constantFrom('', 'Opaque', 'kubernetes.io/tls'),
  },
  { requiredKeys: ['metadata'] },
);

test('applyDefaults is idempotent for every registered kind', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), object, (t, o) => {
      const once = deepClone(o) as KubeObject;
      applyDefaults(t.group, t.version, t.kind, once);
      const twice = deepClone(once);
      applyDefaults(t.group, t.version, t.kind, twice);
      return deepEqual(once, twice);
    }),
    { numRuns: 400 },
  );
});

// The write path defaults objects whose parts may be the stored object's own, deeply frozen (a
// status write keeps the stored spec): defaulting what is defaulted already must not write at all.
test('pruning and defaulting a stored object again changes nothing and writes nothing, frozen or not', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), object, (t, o) => {
      // As a write stores it: pruned, then defaulted.
      const once = deepClone(o) as KubeObject;
      pruneUnknownFields(t.group, t.version, t.kind, once);
      applyDefaults(t.group, t.version, t.kind, once);
      const again = deepClone(once);
      pruneUnknownFields(t.group, t.version, t.kind, again);
      applyDefaults(t.group, t.version, t.kind, again);
      assert.deepEqual(again, once, `${t.group}/${t.kind}: pruning and defaulting again changes the stored form`);
      // A write builds its object beside the stored one, sharing the stored parts it keeps.
      const stored = freeze(deepClone(once));
      const next = { ...stored, metadata: { ...stored.metadata } };
      assert.doesNotThrow(() => {
        pruneUnknownFields(t.group, t.version, t.kind, next);
        applyDefaults(t.group, t.version, t.kind, next);
      }, `${t.group}/${t.kind}`);
      assert.deepEqual(next, once);
    }),
    { numRuns: 400 },
  );
});

test('create preparation is stable under further defaulting and never throws', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), object, (t, o) => {
      const prepared = deepClone(o) as KubeObject;
      applyDefaults(t.group, t.version, t.kind, prepared);
      prepareForCreate(t.group, t.version, t.kind, prepared, { uid: 'uid', now: 0 });
      const again = deepClone(prepared);
      applyDefaults(t.group, t.version, t.kind, again);
      return deepEqual(prepared, again);
    }),
    { numRuns: 300 },
  );
});

test('arbitrary JSON never makes defaulting throw', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), fc.jsonValue(), (t, v) => {
      const o = { metadata: {}, spec: v, status: v, template: v } as KubeObject;
      applyDefaults(t.group, t.version, t.kind, o);
      prepareForCreate(t.group, t.version, t.kind, o, { uid: 'u', now: 0 });
      assert.ok(o);
    }),
    { numRuns: 300 },
  );
});
