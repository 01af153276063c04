// Bad input gets field errors, never a crash: every kind's validators over arbitrary JSON, and over
// valid objects with random parts replaced by values of the wrong type.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FieldError } from '../../../src/model/field.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/model/validation/index.js';
import { deployment, pod, service } from './objects.js';

const kinds: [string, string][] = [
  ['', 'Namespace'], ['', 'Pod'], ['', 'PodTemplate'], ['', 'ReplicationController'], ['', 'Service'], ['', 'Endpoints'],
  ['', 'ConfigMap'], ['', 'Secret'], ['', 'ServiceAccount'], ['', 'Node'], ['', 'PersistentVolume'], ['', 'PersistentVolumeClaim'],
  ['', 'Event'], ['', 'LimitRange'], ['', 'ResourceQuota'], ['apps', 'Deployment'], ['apps', 'ReplicaSet'], ['apps', 'StatefulSet'],
  ['apps', 'DaemonSet'], ['apps', 'ControllerRevision'], ['batch', 'Job'], ['batch', 'CronJob'], ['coordination.k8s.io', 'Lease'],
  ['discovery.k8s.io', 'EndpointSlice'], ['networking.k8s.io', 'NetworkPolicy'], ['networking.k8s.io', 'Ingress'],
  ['networking.k8s.io', 'IngressClass'], ['rbac.authorization.k8s.io', 'Role'], ['rbac.authorization.k8s.io', 'ClusterRole'],
  ['rbac.authorization.k8s.io', 'RoleBinding'], ['rbac.authorization.k8s.io', 'ClusterRoleBinding'], ['policy', 'PodDisruptionBudget'],
  ['storage.k8s.io', 'StorageClass'], ['events.k8s.io', 'Event'], ['apiextensions.k8s.io', 'CustomResourceDefinition'], ['x.io', 'Thing'],
];

function check(group: string, kind: string, o: unknown, old: unknown): void {
  for (const errs of [validateCreate(group, kind, o), validateUpdate(group, kind, o, old), validateStatusUpdate(group, kind, o, old)]) {
    for (const e of errs) {
      assert.ok(e instanceof FieldError);
      assert.equal(typeof e.toString(), 'string');
    }
  }
}

test('arbitrary JSON never crashes a validator', () => {
  fc.assert(
    fc.property(fc.constantFrom(...kinds), fc.jsonValue(), fc.jsonValue(), ([g, k], a, b) => check(g, k, a, b)),
    { numRuns: 300 },
  );
});

/** Replaces the value at a random path of a valid object with an arbitrary JSON value. */
function corrupt(o: unknown, choices: number[], replacement: unknown): unknown {
  if (o === null || typeof o !== 'object' || choices.length === 0) return replacement;
  const entries = Array.isArray(o) ? o.map((v, i) => [String(i), v] as const) : Object.entries(o);
  if (entries.length === 0) return replacement;
  const [key, child] = entries[choices[0]! % entries.length]!;
  const copy: any = Array.isArray(o) ? [...o] : { ...o };
  copy[key] = corrupt(child, choices.slice(1), replacement);
  return copy;
}

test('valid objects with a corrupted part never crash a validator', () => {
  const samples: [string, string, unknown][] = [['', 'Pod', pod()], ['', 'Service', service()], ['apps', 'Deployment', deployment()]];
  fc.assert(
    fc.property(fc.constantFrom(...samples), fc.array(fc.nat(), { maxLength: 6 }), fc.jsonValue(), ([g, k, o], path, v) => check(g, k, corrupt(o, path, v), o)),
    { numRuns: 1000 },
  );
});

test('a value whose toString is not a function (JSON can hold one) is reported, not a crash', () => {
  const bad = JSON.parse('[{"toString":0}]') as unknown;
  const svc = service() as { spec: Record<string, unknown> };
  const selector = { ...svc, spec: { ...svc.spec, selector: { app: bad } } };
  check('', 'Service', selector, service());
  const errs = validateCreate('', 'Service', selector);
  assert.ok(errs.some((e) => e.field === 'spec.selector' && e.toString().includes('toString')), errs.join('\n'));
  const labelled = { ...pod(), metadata: { name: 'p', namespace: 'default', labels: { app: { toString: 0 } } } };
  check('', 'Pod', labelled, pod());
});
