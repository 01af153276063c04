// ObjectMeta validation (apimachinery api/validation/objectmeta.go) and the name rules, with
// messages as upstream's IsDNS1123Label/IsDNS1123Subdomain/IsDNS1035Label produce them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errors } from '../../../src/model/status.js';
import { validateCreate, validateStatusUpdate, validateUpdate } from '../../../src/model/validation/index.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../../src/model/validation/strings.js';
import { clone, msgs, pod, stored } from './objects.js';

const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

test('name format messages', () => {
  assert.deepEqual(isDNS1123Label('Foo'), [LABEL_MSG]);
  assert.deepEqual(isDNS1123Label('a.b'), ['must not contain dots']);
  assert.deepEqual(isDNS1123Label('a'.repeat(64)), ['must be no more than 63 characters']);
  assert.deepEqual(isDNS1123Subdomain('Foo_bar'), [SUBDOMAIN_MSG]);
  assert.deepEqual(isDNS1123Subdomain('a.b-c'), []);
});

test('namespace names are DNS labels, and the Status reads as kubectl shows it', () => {
  const errs = validateCreate('', 'Namespace', { metadata: { name: 'Foo' } });
  assert.equal(
    errors.invalid({ group: '', name: 'Namespace' }, 'Foo', errs).message,
    `Namespace "Foo" is invalid: metadata.name: Invalid value: "Foo": ${LABEL_MSG}`,
  );
  assert.deepEqual(msgs(validateCreate('', 'Namespace', { metadata: { name: 'ok', namespace: 'x' } })), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('name rules per kind', () => {
  assert.deepEqual(msgs(validateCreate('', 'Service', { metadata: { name: '1web', namespace: 'd' }, spec: {} })).filter((m) => m.startsWith('metadata')), [
    `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
  ]);
  assert.deepEqual(msgs(validateCreate('rbac.authorization.k8s.io', 'ClusterRole', { metadata: { name: 'system:node/x' } })), [
    `metadata.name: Invalid value: "system:node/x": may not contain '/'`,
  ]);
  assert.deepEqual(msgs(validateCreate('rbac.authorization.k8s.io', 'ClusterRole', { metadata: { name: 'system:node' } })), []);
  assert.deepEqual(msgs(validateCreate('', 'ConfigMap', { metadata: { name: 'a.b.c', namespace: 'd' } })), []);
});

test('name, generateName and namespace requirements', () => {
  assert.deepEqual(msgs(validateCreate('', 'ConfigMap', { metadata: {} })), [
    'metadata.name: Required value: name or generateName is required',
    'metadata.namespace: Required value',
  ]);
  // a trailing dash is fine in a generateName prefix
  assert.deepEqual(msgs(validateCreate('', 'ConfigMap', { metadata: { generateName: 'cfg-', name: 'cfg-x1z2q', namespace: 'd' } })), []);
  assert.deepEqual(msgs(validateCreate('', 'ConfigMap', { metadata: { name: 'ok', namespace: 'Bad' } })), [`metadata.namespace: Invalid value: "Bad": ${LABEL_MSG}`]);
});

test('labels, annotations, finalizers and owner references', () => {
  const p = pod();
  p.metadata.labels = { 'app/': 'x', ok: 'bad value' };
  p.metadata.annotations = { 'Example.com/Key': 'fine', big: 'x'.repeat(256 * 1024) };
  p.metadata.finalizers = ['foo', 'example.com/bar', 'orphan', 'foregroundDeletion'];
  p.metadata.ownerReferences = [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'a', uid: 'u1', controller: true },
    { apiVersion: '', kind: 'ReplicaSet', name: 'b', uid: '', controller: true },
  ];
  const m = msgs(validateCreate('', 'Pod', p));
  assert.ok(m.includes('metadata.labels: Invalid value: "app/": name part must be non-empty'), m.join('\n'));
  assert.ok(m.some((x) => x.startsWith('metadata.labels: Invalid value: "bad value": a valid label must be an empty string')));
  assert.ok(m.includes('metadata.annotations: Too long: must have at most 262144 bytes'));
  assert.ok(m.includes('metadata.finalizers[0]: Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified'));
  assert.ok(m.some((x) => x.startsWith('metadata.finalizers: Invalid value: []string{"foo", "example.com/bar", "orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set')));
  assert.ok(m.includes('metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty'));
  assert.ok(m.includes('metadata.ownerReferences.uid: Invalid value: "": must not be empty'));
  assert.ok(m.some((x) => x.includes('Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/a and ReplicaSet/b')));
});

test('update: immutable identity fields and resourceVersion', () => {
  const old = stored(pod());
  const next = clone(old);
  next.metadata.name = 'other';
  next.metadata.uid = 'changed';
  next.metadata.creationTimestamp = '2026-05-06T07:08:09Z';
  delete next.metadata.resourceVersion;
  next.metadata.generation = 0;
  const m = msgs(validateUpdate('', 'Pod', next, old));
  assert.ok(m.includes('metadata.resourceVersion: Invalid value: "": must be specified for an update'), m.join('\n'));
  assert.ok(m.includes('metadata.generation: Invalid value: 0: must not be decremented'));
  assert.ok(m.includes('metadata.name: Invalid value: "other": field is immutable'));
  assert.ok(m.includes('metadata.uid: Invalid value: "changed": field is immutable'));
  assert.ok(m.includes('metadata.creationTimestamp: Invalid value: 2026-05-06 07:08:09 +0000 UTC: field is immutable'));
});

test('status update: metadata parts kept as the stored object\'s own (the same frozen objects) are not checked again; a copy or a change is', () => {
  const old = stored(pod());
  // (as if stored by an earlier version with looser rules: nothing written now gets past them)
  old.metadata.labels = Object.freeze({ 'app/': 'x' });
  old.metadata.ownerReferences = Object.freeze([Object.freeze({ apiVersion: '', kind: 'ReplicaSet', name: 'a', uid: 'u1', controller: true })]);
  const next = { ...old, metadata: { ...old.metadata } };
  assert.deepEqual(msgs(validateStatusUpdate('', 'Pod', next, old)), []);
  const copied = { ...old, metadata: { ...old.metadata, labels: { ...old.metadata.labels }, ownerReferences: clone(old.metadata.ownerReferences) } };
  const m = msgs(validateStatusUpdate('', 'Pod', copied, old));
  assert.ok(m.includes('metadata.labels: Invalid value: "app/": name part must be non-empty'), m.join('\n'));
  assert.ok(m.includes('metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty'), m.join('\n'));
  // the same object, not frozen: a caller's own value, checked
  const loose = { ...old, metadata: { ...old.metadata, labels: { bad: 'a b' } } };
  assert.ok(msgs(validateStatusUpdate('', 'Pod', loose, { ...old, metadata: { ...old.metadata, labels: loose.metadata.labels } })).some((x) => x.startsWith('metadata.labels: Invalid value: "a b"')));
});

test('update: no new finalizers while deleting', () => {
  const old = stored({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd', finalizers: ['a.io/x'], deletionTimestamp: '2026-01-03T00:00:00Z', deletionGracePeriodSeconds: 0 } });
  const next = clone(old);
  next.metadata.finalizers = ['a.io/x', 'b.io/y'];
  assert.deepEqual(msgs(validateUpdate('', 'ConfigMap', next, old)), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}',
  ]);
});

test('unknown kinds get the metadata checks only', () => {
  assert.deepEqual(msgs(validateCreate('example.com', 'Widget', { metadata: { name: 'Bad_Name' }, spec: { anything: true } }, { namespaced: true })), [
    `metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`,
    'metadata.namespace: Required value',
  ]);
  // custom resources take any qualified finalizer, without the core group's standard-name rule
  assert.deepEqual(msgs(validateCreate('example.com', 'Widget', { metadata: { name: 'w', finalizers: ['plain'] } }, { namespaced: false })), []);
});

test('isIPv4 (the allocation-free check) accepts exactly what parseIPv4 does', async () => {
  const { isIPv4, parseIPv4 } = await import('../../../src/model/validation/strings.js');
  const fc = (await import('fast-check')).default;
  const fixed = ['10.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.', '010.1.1.1', '1.2.3.4a', '', '1234.1.1.1', ' 1.2.3.4', '::1', '1.2.3.-4', '999.0.0.0'];
  for (const s of fixed) assert.equal(isIPv4(s), parseIPv4(s) !== undefined, s);
  // Strings built from the characters that matter (digits and dots) and a few that do not.
  const text = fc.array(fc.constantFrom('0', '1', '2', '5', '9', '.', '.', 'a', ':', ' '), { maxLength: 18 }).map((cs) => cs.join(''));
  fc.assert(fc.property(text, (s) => isIPv4(s) === (parseIPv4(s) !== undefined)), { numRuns: 20_000 });
  fc.assert(fc.property(fc.ipV4(), (s) => isIPv4(s) && parseIPv4(s) !== undefined));
});
