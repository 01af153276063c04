// Field selector parsing, escaping, label conversion per kind and matching.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  convertFieldSelector, escapeFieldValue, fieldsOf, matchesFieldSelector, parseFieldSelector, parseFieldSelectorFor, selectableFields,
} from '../../src/model/fieldselector.js';
import { StatusError } from '../../src/model/status.js';

function badRequest(fn: () => unknown, message: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof StatusError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    assert.equal(e.message, message);
    return true;
  });
}

test('parses =, == and != terms, sorted, skipping empty terms', () => {
  const sel = parseFieldSelector('status.phase!=Running,metadata.name==web,,spec.nodeName=');
  assert.deepEqual(sel.requirements, [
    { field: 'metadata.name', operator: '==', value: 'web' },
    { field: 'spec.nodeName', operator: '=', value: '' },
    { field: 'status.phase', operator: '!=', value: 'Running' },
  ]);
  assert.equal(sel.toString(), 'metadata.name=web,spec.nodeName=,status.phase!=Running');
  assert.ok(parseFieldSelector('').isEmpty());
  assert.equal(parseFieldSelector('a==b').exactMatch('a'), 'b');
  assert.equal(parseFieldSelector('a!=b').exactMatch('a'), undefined);
});

test('escaped commas, equals and backslashes in values', () => {
  const sel = parseFieldSelector('metadata.name=a\\,b\\=c\\\\d,type=x');
  assert.deepEqual(sel.requirements.map((r) => r.value), ['a,b=c\\d', 'x']);
  assert.equal(escapeFieldValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  fc.assert(
    fc.property(fc.string(), (v) => {
      const back = parseFieldSelector(`f=${escapeFieldValue(v)}`).requirements[0]!;
      return back.value === v;
    }),
  );
});

test('parse errors are upstream messages as 400 BadRequest', () => {
  badRequest(() => parseFieldSelector('foo'), "invalid selector: 'foo'; can't understand 'foo'");
  badRequest(() => parseFieldSelector('b=1,a'), "invalid selector: 'b=1,a'; can't understand 'a'");
  badRequest(() => parseFieldSelector('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  badRequest(() => parseFieldSelector('a=x\\y'), 'invalid field selector: invalid escape sequence: \\y');
  badRequest(() => parseFieldSelector('a=x\\'), 'invalid field selector: invalid escape sequence: \\');
});

test('field labels are converted per kind; unsupported labels get that kind\'s message', () => {
  const pod = parseFieldSelectorFor('', 'v1', 'Pod', 'spec.host=node-1,status.phase=Running');
  assert.deepEqual(pod.requirements.map((r) => r.field), ['spec.nodeName', 'status.phase']);
  badRequest(() => parseFieldSelectorFor('', 'v1', 'Pod', 'spec.foo=bar'), 'field label not supported: spec.foo');
  badRequest(() => parseFieldSelectorFor('', 'v1', 'Node', 'metadata.namespace=x'), 'field label not supported: metadata.namespace');
  badRequest(
    () => parseFieldSelectorFor('networking.k8s.io', 'v1', 'Ingress', 'foo.bar=baz'),
    '"foo.bar" is not a known field selector: only "metadata.name", "metadata.namespace"',
  );
  badRequest(() => parseFieldSelectorFor('batch', 'v1', 'Job', 'status.succeeded=1'), 'field label "status.succeeded" not supported for batchv1.Job');
  assert.doesNotThrow(() => parseFieldSelectorFor('', 'v1', 'Secret', 'type=kubernetes.io/tls'));
  assert.doesNotThrow(() => parseFieldSelectorFor('', 'v1', 'Namespace', 'status.phase=Active'));
  assert.doesNotThrow(() => parseFieldSelectorFor('apps', 'v1', 'ReplicaSet', 'status.replicas=0'));
  const ev = parseFieldSelectorFor('events.k8s.io', 'v1', 'Event', 'regarding.name=p,reportingController=kubelet');
  assert.deepEqual(ev.requirements.map((r) => r.field), ['involvedObject.name', 'reportingComponent']);
  badRequest(() => parseFieldSelectorFor('events.k8s.io', 'v1', 'Event', 'involvedObject.name=p'), 'field label not supported: involvedObject.name');
  assert.deepEqual(convertFieldSelector('', 'v1', 'ConfigMap', parseFieldSelector('metadata.name=a')).requirements[0]!.field, 'metadata.name');
});

test('pod fields and matching', () => {
  const pod = {
    metadata: { name: 'web', namespace: 'prod' },
    spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', hostNetwork: true },
    status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], nominatedNodeName: '' },
  };
  assert.deepEqual(fieldsOf('', 'Pod', pod), {
    'metadata.name': 'web',
    'metadata.namespace': 'prod',
    'spec.nodeName': 'n1',
    'spec.restartPolicy': 'Always',
    'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': 'default',
    'spec.hostNetwork': 'true',
    'status.phase': 'Running',
    'status.podIP': '10.0.0.5',
    'status.nominatedNodeName': '',
  });
  const match = (s: string) => matchesFieldSelector(parseFieldSelectorFor('', 'v1', 'Pod', s), '', 'Pod', pod);
  assert.ok(match('spec.nodeName=n1,status.phase!=Pending'));
  assert.ok(match('metadata.namespace=prod'));
  assert.ok(!match('spec.nodeName='));
  assert.ok(match('status.nominatedNodeName='));
  assert.ok(!match('status.podIPs=10.0.0.5'), 'podIPs is accepted but never in the field set');
  assert.ok(match(''));
});

test('kind field sets: cluster-scoped kinds have no namespace; events, jobs, services, secrets, nodes', () => {
  assert.deepEqual(fieldsOf('', 'Node', { metadata: { name: 'n' }, spec: { unschedulable: true } }), { 'metadata.name': 'n', 'spec.unschedulable': 'true' });
  assert.deepEqual(fieldsOf('', 'Namespace', { metadata: { name: 'ns' }, status: { phase: 'Active' } }), { 'metadata.name': 'ns', 'status.phase': 'Active', name: 'ns' });
  assert.deepEqual(fieldsOf('batch', 'Job', { metadata: { name: 'j', namespace: 'd' }, status: { succeeded: 2 } }), { 'metadata.name': 'j', 'metadata.namespace': 'd', 'status.successful': '2' });
  assert.deepEqual(fieldsOf('', 'Service', { metadata: { name: 's', namespace: 'd' }, spec: { type: 'NodePort', clusterIP: '10.96.0.1' } }), {
    'metadata.name': 's', 'metadata.namespace': 'd', 'spec.clusterIP': '10.96.0.1', 'spec.type': 'NodePort',
  });
  const ev = { metadata: { name: 'e', namespace: 'd' }, involvedObject: { kind: 'Pod', name: 'p', uid: 'u1' }, reason: 'Pulled', type: 'Normal', reportingComponent: 'kubelet', source: {} };
  const fields = fieldsOf('', 'Event', ev);
  assert.equal(fields['involvedObject.kind'], 'Pod');
  assert.equal(fields.source, 'kubelet', 'source falls back to the reporting controller');
  const v1 = { metadata: { name: 'e', namespace: 'd' }, regarding: { kind: 'Pod', name: 'p' }, reportingController: 'kubelet', deprecatedSource: { component: 'sched' } };
  const sel = parseFieldSelectorFor('events.k8s.io', 'v1', 'Event', 'regarding.name=p,source=sched,reportingController=kubelet');
  assert.ok(matchesFieldSelector(sel, 'events.k8s.io', 'Event', v1));
  assert.equal(fieldsOf('', 'ConfigMap', { metadata: { name: 'c', namespace: 'x' }, data: { a: 'b' } })['data.a'], undefined);
  assert.deepEqual(fieldsOf('example.com', 'Widget', { metadata: { name: 'w' } }, false), { 'metadata.name': 'w' });
});

test('selectable fields per kind', () => {
  assert.deepEqual(selectableFields('', 'v1', 'ConfigMap'), ['metadata.name', 'metadata.namespace']);
  assert.deepEqual(selectableFields('', 'v1', 'Node'), ['metadata.name', 'spec.unschedulable']);
  assert.ok(selectableFields('', 'v1', 'Pod').includes('spec.host'));
  assert.ok(selectableFields('events.k8s.io', 'v1', 'Event').includes('regarding.name'));
});
