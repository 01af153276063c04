// The Endpoints and EndpointSlice controllers (pure reconciles on constructed services and pods, and
// the running controllers following pod readiness), and the ServiceAccount controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { desiredSubsets, endpointsController, reconcileEndpoints, repackSubsets, type EndpointsObject } from '../../src/controllers/endpoints.js';
import {
  endpointSliceController, reconcileEndpointSlices, type EndpointSliceObject, type EndpointSliceObservation,
} from '../../src/controllers/endpointslice.js';
import { reconcileServiceAccounts, serviceAccountController } from '../../src/controllers/serviceaccount.js';
import type { Action } from '../../src/controllers/runtime.js';
import { eventually, testCluster } from './harness.js';
import { setPod } from './kubelet.js';

const svc = (spec: Record<string, unknown> = {}, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', ...(labels ? { labels } : {}) },
  spec: { clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
});
let seq = 0;
const pod = (name: string, o: { ip?: string; ready?: boolean; phase?: string; deleting?: boolean; port?: number; spec?: Record<string, unknown>; node?: string } = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app: 'web' }, ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  spec: { nodeName: o.node ?? 'node-1', containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: o.port ?? 8080, protocol: 'TCP' }] }], ...o.spec },
  status: {
    phase: o.phase ?? 'Running',
    ...(o.ip === '' ? {} : { podIP: o.ip ?? `10.244.0.${++seq}`, podIPs: [{ ip: o.ip ?? `10.244.0.${seq}` }] }),
    conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
  },
});

test('subsets: ready and not-ready addresses, named target ports, finished, terminating and address-less pods left out', () => {
  const pods = [
    pod('a', { ip: '10.0.0.2' }),
    pod('b', { ip: '10.0.0.1', ready: false }),
    pod('c', { ip: '10.0.0.3', phase: 'Succeeded' }),
    pod('d', { ip: '10.0.0.4', deleting: true }),
    pod('e', { ip: '' }),
  ];
  assert.deepEqual(desiredSubsets(svc() as never, pods as never), [{
    addresses: [{ ip: '10.0.0.2', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }],
    notReadyAddresses: [{ ip: '10.0.0.1', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' } }],
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
  }]);
  // publishNotReadyAddresses: every address counts as ready, terminating ones included.
  const all = desiredSubsets(svc({ publishNotReadyAddresses: true }) as never, pods as never);
  assert.deepEqual(all.map((s) => (s.addresses ?? []).map((a) => a.ip)), [['10.0.0.1', '10.0.0.2', '10.0.0.4']]);
});

test('subsets are packed by the ports their addresses offer; headless services name hostnames', () => {
  const two = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 'metrics', protocol: 'TCP' }] });
  const withMetrics = pod('m', { ip: '10.0.0.5', spec: { containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9100 }] }] } });
  const plain = pod('p', { ip: '10.0.0.6' });
  const subsets = desiredSubsets(two as never, [withMetrics, plain] as never);
  // As upstream's RepackSubsets: each port with the addresses that offer it, ports sharing an address set merged.
  assert.deepEqual(subsets.map((s) => [(s.addresses ?? []).map((a) => a.ip), (s.ports ?? []).map((p) => `${p.name}:${p.port}`)]), [
    [['10.0.0.5', '10.0.0.6'], ['http:8080']],
    [['10.0.0.5'], ['metrics:9100']],
  ]);
  const headless = svc({ clusterIP: 'None', ports: [] });
  const named = pod('web-0', { ip: '10.0.0.7', spec: { hostname: 'web-0', subdomain: 'web' } });
  assert.deepEqual(desiredSubsets(headless as never, [named] as never), [{
    addresses: [{ ip: '10.0.0.7', hostname: 'web-0', nodeName: 'node-1', targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'uid-web-0' } }],
  }]);
  // Repacking is idempotent.
  assert.deepEqual(repackSubsets(subsets), subsets);
});

test('Endpoints: created, left alone when current, updated on change, labelled like the service, deleted with it', () => {
  const s = svc({}, { tier: 'front' });
  const obs = { namespace: 'default', name: 'web', service: s as never, pods: [pod('a', { ip: '10.0.0.1' })] as never };
  const created = reconcileEndpoints(obs, 0);
  assert.equal(created.actions.length, 1);
  const ep = (created.actions[0] as { kind: 'create'; object: EndpointsObject }).object;
  assert.equal(created.actions[0]!.kind, 'create');
  assert.deepEqual(ep.metadata, { name: 'web', namespace: 'default', labels: { tier: 'front' } });
  const stored = { ...ep, metadata: { ...ep.metadata, uid: 'ep-uid', resourceVersion: '3' } };
  assert.deepEqual(reconcileEndpoints({ ...obs, endpoints: stored }, 0).actions, [], 'no write when nothing changed');
  const changed = reconcileEndpoints({ ...obs, endpoints: stored, pods: [pod('a', { ip: '10.0.0.1', ready: false })] as never }, 0);
  assert.equal(changed.actions[0]!.kind, 'update');
  assert.deepEqual((changed.actions[0] as { object: EndpointsObject }).object.subsets![0]!.notReadyAddresses!.map((a) => a.ip), ['10.0.0.1']);
  const headless = reconcileEndpoints({ ...obs, service: svc({ clusterIP: 'None' }) as never }, 0);
  assert.deepEqual((headless.actions[0] as { object: EndpointsObject }).object.metadata.labels, { 'service.kubernetes.io/headless': '' });
  assert.deepEqual(reconcileEndpoints({ namespace: 'default', name: 'web', pods: [], endpoints: stored }, 0).actions, [
    { kind: 'delete', resource: R.endpoints, namespace: 'default', name: 'web', options: { preconditions: { uid: 'ep-uid' } } },
  ]);
  // A service without a selector (kubernetes, or one with hand-written endpoints) is not ours.
  assert.deepEqual(reconcileEndpoints({ ...obs, service: svc({ selector: undefined }) as never, endpoints: stored }, 0).actions, []);
  assert.deepEqual(reconcileEndpoints({ ...obs, service: svc({ type: 'ExternalName', externalName: 'x.example' }) as never }, 0).actions, []);
});

test('Endpoints hold at most 1000 addresses and say so', () => {
  const pods = Array.from({ length: 1005 }, (_, i) => pod(`p${String(i).padStart(4, '0')}`, { ip: `10.1.${Math.floor(i / 250)}.${i % 250}` }));
  const d = reconcileEndpoints({ namespace: 'default', name: 'web', service: svc() as never, pods: pods as never }, 0);
  const ep = (d.actions[0] as { object: EndpointsObject }).object;
  assert.equal(ep.subsets!.reduce((n, s) => n + (s.addresses ?? []).length, 0), 1000);
  assert.deepEqual(ep.metadata.annotations, { 'endpoints.kubernetes.io/over-capacity': 'truncated' });
});

const sliceObs = (o: Partial<EndpointSliceObservation> & { pods: KubeObject[] }): EndpointSliceObservation =>
  ({ service: svc() as never, zones: {}, slices: [], ...o }) as EndpointSliceObservation;
const created = (d: { actions: Action[] }) => d.actions.filter((a): a is Action & { kind: 'create' } => a.kind === 'create').map((a) => a.object as EndpointSliceObject);
let sliceUid = 0;
/** What the API would store for these actions, applied to the current slices. */
function applySlices(slices: EndpointSliceObject[], actions: Action[]): EndpointSliceObject[] {
  let out = [...slices];
  for (const a of actions) {
    if (a.kind === 'create') out.push({ ...(a.object as EndpointSliceObject), metadata: { ...a.object.metadata, uid: `slice-${++sliceUid}` } });
    if (a.kind === 'update') out = out.map((s) => (s.metadata.name === a.object.metadata.name ? (a.object as EndpointSliceObject) : s));
    if (a.kind === 'delete') out = out.filter((s) => s.metadata.name !== a.name);
  }
  return out;
}

test('EndpointSlices: endpoints with conditions, labels, owner and a generated name', () => {
  const d = reconcileEndpointSlices(sliceObs({
    pods: [pod('a', { ip: '10.0.0.1' }), pod('b', { ip: '10.0.0.2', ready: false }), pod('c', { ip: '10.0.0.3', deleting: true, node: 'node-2' })],
    zones: { 'node-2': 'zone-b' },
  }), 0);
  const [slice] = created(d);
  assert.equal(created(d).length, 1);
  assert.match(slice!.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(slice!.metadata.labels, { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(slice!.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(slice!.addressType, 'IPv4');
  assert.deepEqual(slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(slice!.endpoints!.map((e) => [e.addresses[0], e.conditions, e.nodeName, e.zone]), [
    ['10.0.0.1', { ready: true, serving: true, terminating: false }, 'node-1', undefined],
    ['10.0.0.2', { ready: false, serving: false, terminating: false }, 'node-1', undefined],
    ['10.0.0.3', { ready: false, serving: true, terminating: true }, 'node-2', 'zone-b'],
  ]);
});

test('EndpointSlices: at most 100 endpoints each; changes update slices in place; an empty service keeps one placeholder', () => {
  const many = Array.from({ length: 250 }, (_, i) => pod(`p${i}`, { ip: `10.2.${Math.floor(i / 200)}.${i % 200}` }));
  let slices = applySlices([], reconcileEndpointSlices(sliceObs({ pods: many }), 0).actions);
  assert.deepEqual(slices.map((s) => s.endpoints!.length), [100, 100, 50]);
  assert.equal(new Set(slices.map((s) => s.metadata.name)).size, 3);
  assert.deepEqual(reconcileEndpointSlices(sliceObs({ pods: many, slices }), 0).actions, [], 'nothing to do when current');
  // Removing 60 pods leaves room that new pods fill before any slice is made.
  const fewer = many.slice(60);
  const more = [...fewer, ...Array.from({ length: 30 }, (_, i) => pod(`q${i}`, { ip: `10.3.0.${i}` }))];
  const d = reconcileEndpointSlices(sliceObs({ pods: more, slices }), 0);
  assert.ok(d.actions.every((a) => a.kind === 'update'), 'no slice created or deleted');
  slices = applySlices(slices, d.actions);
  assert.equal(slices.length, 3);
  assert.equal(slices.reduce((n, s) => n + s.endpoints!.length, 0), 220);
  // No pods left: one empty placeholder remains.
  const empty = reconcileEndpointSlices(sliceObs({ pods: [], slices }), 0);
  slices = applySlices(slices, empty.actions);
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0]!.endpoints, []);
  const placeholder = applySlices([], reconcileEndpointSlices(sliceObs({ pods: [] }), 0).actions);
  assert.deepEqual([placeholder.length, placeholder[0]!.ports, placeholder[0]!.endpoints], [1, [], []]);
  assert.deepEqual(reconcileEndpointSlices(sliceObs({ pods: [], slices: placeholder }), 0).actions, [], 'the placeholder is kept, not churned');
  // Pods serving different ports get different slices.
  const other = pod('x', { ip: '10.4.0.1', port: 9000 });
  const mixed = applySlices([], reconcileEndpointSlices(sliceObs({ pods: [pod('y', { ip: '10.4.0.2' }), other] }), 0).actions);
  assert.deepEqual(mixed.map((s) => s.ports!.map((p) => p.port)).sort(), [[8080], [9000]]);
});

test('ServiceAccounts: a default account in every active namespace, none in a terminating one', () => {
  const ns = (status = 'Active', deleting = false): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', ...(deleting ? { deletionTimestamp: 'x' } : {}) }, status: { phase: status } });
  assert.deepEqual(reconcileServiceAccounts({ namespace: ns(), existing: [] }, 0).actions, [
    { kind: 'create', resource: R.serviceaccounts, namespace: 'team', object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } } },
  ]);
  assert.deepEqual(reconcileServiceAccounts({ namespace: ns(), existing: ['default'] }, 0).actions, []);
  assert.deepEqual(reconcileServiceAccounts({ namespace: ns('Terminating', true), existing: [] }, 0).actions, []);
});

test('through the running controllers: a Service\'s Endpoints and EndpointSlices follow pod readiness; namespaces get their default ServiceAccount', async () => {
  const c = await testCluster([endpointsController(), endpointSliceController(), serviceAccountController()]);
  const addrs = async () => {
    const ep = (await c.client.get(R.endpoints, 'default', 'web')) as EndpointsObject;
    const s = ep.subsets ?? [];
    return { ready: s.flatMap((x) => x.addresses ?? []).map((a) => a.targetRef!.name).sort(), notReady: s.flatMap((x) => x.notReadyAddresses ?? []).map((a) => a.targetRef!.name).sort() };
  };
  const sliceReady = async () => (await c.client.list(R.endpointslices, 'default')).items
    .filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'web')
    .flatMap((s) => ((s as EndpointSliceObject).endpoints ?? []).filter((e) => e.conditions?.ready).map((e) => e.targetRef!.name)).sort();
  try {
    await c.client.create(R.services, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] } });
    for (const n of ['web-a', 'web-b']) {
      await c.client.create(R.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: n, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ name: 'http', containerPort: 8080 }] }] } });
      await setPod(c.client, 'default', n, { phase: 'Running', ready: false });
    }
    await eventually(async () => JSON.stringify(await addrs()) === JSON.stringify({ ready: [], notReady: ['web-a', 'web-b'] }), 5000, 'two not-ready addresses');
    await setPod(c.client, 'default', 'web-a', { phase: 'Running', ready: true });
    await eventually(async () => JSON.stringify(await addrs()) === JSON.stringify({ ready: ['web-a'], notReady: ['web-b'] }), 5000, 'web-a ready');
    await eventually(async () => JSON.stringify(await sliceReady()) === JSON.stringify(['web-a']), 5000, 'the slice to follow');
    await setPod(c.client, 'default', 'web-b', { phase: 'Running', ready: true });
    await eventually(async () => (await addrs()).ready.length === 2, 5000, 'both ready');
    await c.client.delete(R.pods, 'default', 'web-a');
    await eventually(async () => JSON.stringify(await addrs()) === JSON.stringify({ ready: ['web-b'], notReady: [] }), 5000, 'web-a gone');
    await eventually(async () => JSON.stringify(await sliceReady()) === JSON.stringify(['web-b']), 5000, 'the slice to follow');
    const ep = await c.client.get(R.endpoints, 'default', 'web');
    assert.deepEqual((ep as EndpointsObject).subsets![0]!.ports, [{ port: 8080, protocol: 'TCP' }]);
    // The API server's own kubernetes endpoints are left as they are.
    const k8s = await c.client.get(R.endpoints, 'default', 'kubernetes');
    assert.equal((k8s as EndpointsObject).subsets![0]!.ports![0]!.port, 6443);
    await c.client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
    await eventually(async () => (await c.client.get(R.serviceaccounts, 'team-a', 'default')).metadata.name === 'default', 5000, 'the default ServiceAccount');
    await c.client.delete(R.serviceaccounts, 'team-a', 'default');
    await eventually(async () => (await c.client.get(R.serviceaccounts, 'team-a', 'default')).metadata.name === 'default', 5000, 'it to come back');
    assert.deepEqual(c.errors.filter((e) => !String(e.err).includes('the object has been modified')), []);
  } finally {
    await c.stop();
  }
});
