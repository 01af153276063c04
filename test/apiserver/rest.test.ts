// REST semantics through the handler, in process: the behaviours kubectl and controllers rely on,
// with upstream's status codes, reasons and messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, deployment, configMap } from './harness.js';
import { LocalClient } from '../../src/apiserver/local-client.js';
import { R, type PatchType } from '../../src/model/api.js';

const NS = '/api/v1/namespaces/default';
const APPS = '/apis/apps/v1/namespaces/default';

test('bootstrap creates the system namespaces and the kubernetes Service', async () => {
  const h = await harness();
  const ns = await h.call('GET', '/api/v1/namespaces');
  assert.equal(ns.status, 200);
  assert.deepEqual(ns.body.items.map((n: any) => n.metadata.name).sort(), ['default', 'kube-node-lease', 'kube-public', 'kube-system']);
  assert.equal(ns.body.items[0].status.phase, 'Active');
  const svc = await h.call('GET', `${NS}/services/kubernetes`);
  assert.equal(svc.body.spec.clusterIP, '10.96.0.1');
  assert.equal(svc.body.spec.ports[0].targetPort, 6443);
});

test('create sets server fields; get and list return it', async () => {
  const h = await harness();
  const c = await h.call('POST', `${APPS}/deployments`, deployment('web'));
  assert.equal(c.status, 201, c.text);
  const m = c.body.metadata;
  assert.match(m.uid, /^[0-9a-f-]{36}$/);
  assert.equal(m.creationTimestamp, '2026-11-22T10:00:00Z');
  assert.equal(m.generation, 1);
  assert.equal(m.namespace, 'default');
  assert.match(m.resourceVersion, /^\d+$/);
  assert.deepEqual(c.body.status, {});
  // Upstream defaults.
  assert.equal(c.body.spec.strategy.type, 'RollingUpdate');
  assert.equal(c.body.spec.strategy.rollingUpdate.maxSurge, '25%');
  assert.equal(c.body.spec.revisionHistoryLimit, 10);
  assert.equal(c.body.spec.progressDeadlineSeconds, 600);
  assert.equal(c.body.spec.template.spec.restartPolicy, 'Always');
  assert.equal(c.body.spec.template.spec.containers[0].imagePullPolicy, 'IfNotPresent');
  const g = await h.call('GET', `${APPS}/deployments/web`);
  assert.deepEqual(g.body, c.body);
  const l = await h.call('GET', `${APPS}/deployments`);
  assert.equal(l.body.kind, 'DeploymentList');
  assert.equal(l.body.items.length, 1);
  assert.ok(Number(l.body.metadata.resourceVersion) >= Number(m.resourceVersion));
});

test('errors have upstream codes, reasons and messages, and change nothing', async () => {
  const h = await harness();
  await h.call('POST', `${NS}/configmaps`, configMap('a'));
  const before = await h.store.revision();

  const dup = await h.call('POST', `${NS}/configmaps`, configMap('a'));
  assert.equal(dup.status, 409);
  assert.equal(dup.body.reason, 'AlreadyExists');
  assert.equal(dup.body.message, 'configmaps "a" already exists');

  const missing = await h.call('GET', `${NS}/configmaps/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'configmaps "nope" not found');
  assert.deepEqual(missing.body.details, { name: 'nope', kind: 'configmaps' });

  const unknown = await h.call('GET', `${NS}/widgets`);
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.reason, 'NotFound');

  const malformed = await h.call('POST', `${NS}/configmaps`, undefined, { raw: '{"metadata": {' });
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.reason, 'BadRequest');

  const badName = await h.call('POST', `${NS}/configmaps`, configMap('Bad_Name'));
  assert.equal(badName.status, 422);
  assert.equal(badName.body.reason, 'Invalid');
  assert.equal(badName.body.details.causes[0].field, 'metadata.name');
  assert.match(badName.body.message, /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);

  const strict = await h.call('POST', `${APPS}/deployments?fieldValidation=Strict`, { ...deployment('s'), spec: { ...deployment('s').spec, replicaz: 3 } });
  assert.equal(strict.status, 400);
  assert.equal(strict.body.message, 'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replicaz"');

  const stale = await h.call('PUT', `${NS}/configmaps/a`, { ...configMap('a', { k: 'x' }), metadata: { name: 'a', resourceVersion: '1' } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
  assert.equal(stale.body.message, 'Operation cannot be fulfilled on configmaps "a": the object has been modified; please apply your changes to the latest version and try again');

  const noNs = await h.call('POST', '/api/v1/namespaces/nowhere/configmaps', configMap('b'));
  assert.equal(noNs.status, 404);
  assert.equal(noNs.body.message, 'namespaces "nowhere" not found');

  assert.equal(await h.store.revision(), before, 'failed requests wrote nothing');
  const a = await h.call('GET', `${NS}/configmaps/a`);
  assert.deepEqual(a.body.data, { k: 'v' });
});

test('fieldValidation=Warn reports unknown and duplicate fields as warnings', async () => {
  const h = await harness();
  const raw = '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"data":{"a":"1"},"bogus":1,"data":{"a":"2"}}';
  const r = await h.call('POST', `${NS}/configmaps?fieldValidation=Warn`, undefined, { raw });
  assert.equal(r.status, 201, r.text);
  assert.deepEqual(r.warnings.sort(), ['duplicate field "data"', 'unknown field "bogus"']);
  const strict = await h.call('POST', `${NS}/configmaps?fieldValidation=Strict`, undefined, { raw: raw.replace('"w"', '"w2"') });
  assert.equal(strict.status, 400);
});

test('generateName, dryRun, and namespace mismatches', async () => {
  const h = await harness();
  const g = await h.call('POST', `${NS}/configmaps`, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'cfg-' } });
  assert.equal(g.status, 201);
  assert.match(g.body.metadata.name, /^cfg-.{5}$/);
  const dry = await h.call('POST', `${NS}/configmaps?dryRun=All`, configMap('dry'));
  assert.equal(dry.status, 201);
  assert.equal((await h.call('GET', `${NS}/configmaps/dry`)).status, 404);
  const mismatch = await h.call('POST', `${NS}/configmaps`, { ...configMap('m'), metadata: { name: 'm', namespace: 'kube-system' } });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.message, 'the namespace of the provided object does not match the namespace sent on the request');
});

test('update keeps status and bumps generation only on spec changes', async () => {
  const h = await harness();
  const c = (await h.call('POST', `${APPS}/deployments`, deployment('web'))).body;
  const st = await h.call('PUT', `${APPS}/deployments/web/status`, { ...c, status: { replicas: 2, observedGeneration: 1 } });
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.status.replicas, 2);
  assert.equal(st.body.metadata.generation, 1);

  const labelled = await h.call('PUT', `${APPS}/deployments/web`, { ...st.body, metadata: { ...st.body.metadata, labels: { app: 'web', x: 'y' } }, status: {} });
  assert.equal(labelled.status, 200, labelled.text);
  assert.equal(labelled.body.metadata.generation, 1, 'metadata-only change keeps generation');
  assert.equal(labelled.body.status.replicas, 2, 'status survives a main-resource update');

  const scaled = await h.call('PUT', `${APPS}/deployments/web`, { ...labelled.body, spec: { ...labelled.body.spec, replicas: 5 } });
  assert.equal(scaled.body.metadata.generation, 2);

  const noop = await h.call('PUT', `${APPS}/deployments/web`, scaled.body);
  assert.equal(noop.body.metadata.resourceVersion, scaled.body.metadata.resourceVersion, 'an unchanged object is not rewritten');

  const immut = await h.call('PUT', `${APPS}/deployments/web`, { ...scaled.body, spec: { ...scaled.body.spec, selector: { matchLabels: { app: 'other' } } } });
  assert.equal(immut.status, 422);
  assert.match(immut.body.message, /spec.selector: Invalid value: .*field is immutable/);
});

test('a patch from an in-process client applies as the same patch sent as bytes, and leaves the caller\'s value and the stored object alone', async () => {
  const viaHttp = await harness();
  const inProcess = await harness();
  const client = new LocalClient(inProcess.rest);
  for (const h of [viaHttp, inProcess]) assert.equal((await h.call('POST', `${APPS}/deployments`, deployment('web'))).status, 201);
  const stored = await inProcess.store.get('/apps/deployments/default/web', { shared: true });
  assert.ok(stored);
  const before = JSON.stringify(stored);
  const patches: [string, unknown][] = [
    ['application/merge-patch+json', { metadata: { labels: { tier: 'fe', app: null } }, spec: { replicas: 3, template: { metadata: { annotations: { a: 'b' } } } } }],
    ['application/strategic-merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26', env: [{ name: 'X', value: '1' }] }] } } } }],
    ['application/json-patch+json', [{ op: 'add', path: '/metadata/annotations', value: { note: 'n' } }, { op: 'replace', path: '/spec/replicas', value: 5 }]],
  ];
  for (const [type, patch] of patches) {
    const sent = JSON.stringify(patch);
    const a = await viaHttp.call('PATCH', `${APPS}/deployments/web`, patch, { contentType: type });
    assert.equal(a.status, 200, a.text);
    const b = await client.patch(R.deployments, 'default', 'web', type as PatchType, patch);
    assert.deepEqual(JSON.parse(JSON.stringify(b)), a.body, type);
    assert.equal(JSON.stringify(patch), sent, `${type}: the caller's patch was changed`);
  }
  assert.equal(JSON.stringify(stored), before, 'the stored object read before the patches was changed');
  // A patch that does not apply fails as it does over HTTP, and changes nothing.
  const bad = [{ op: 'replace', path: '/spec/nothere/x', value: 4 }];
  const rv = (await client.get(R.deployments, 'default', 'web')).metadata.resourceVersion;
  const a = await viaHttp.call('PATCH', `${APPS}/deployments/web`, bad, { contentType: 'application/json-patch+json' });
  await assert.rejects(client.patch(R.deployments, 'default', 'web', 'application/json-patch+json', bad), (e: any) => e.code === a.status && e.message === a.body.message);
  assert.equal((await client.get(R.deployments, 'default', 'web')).metadata.resourceVersion, rv);
});

test('the three patch types', async () => {
  const h = await harness();
  await h.call('POST', `${APPS}/deployments`, deployment('web'));
  const smp = await h.call('PATCH', `${APPS}/deployments/web`, { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.26' }] } } } }, { contentType: 'application/strategic-merge-patch+json' });
  assert.equal(smp.status, 200, smp.text);
  const ctr = smp.body.spec.template.spec.containers[0];
  assert.equal(ctr.image, 'nginx:1.26');
  assert.deepEqual(ctr.env, [{ name: 'A', value: '1' }], 'strategic merge keeps the env of the merged container');
  assert.equal(smp.body.metadata.generation, 2);

  const merge = await h.call('PATCH', `${APPS}/deployments/web`, { metadata: { labels: { tier: 'fe' } } }, { contentType: 'application/merge-patch+json' });
  assert.equal(merge.body.metadata.labels.tier, 'fe');
  assert.equal(merge.body.metadata.labels.app, 'web');

  const jp = await h.call('PATCH', `${APPS}/deployments/web`, [{ op: 'replace', path: '/spec/replicas', value: 4 }], { contentType: 'application/json-patch+json' });
  assert.equal(jp.body.spec.replicas, 4);

  const bad = await h.call('PATCH', `${APPS}/deployments/web`, [{ op: 'replace', path: '/spec/nothere/x', value: 4 }], { contentType: 'application/json-patch+json' });
  assert.ok(bad.status >= 400 && bad.status < 500, bad.text);
  const stale = await h.call('PATCH', `${APPS}/deployments/web`, { metadata: { resourceVersion: '2' }, spec: { replicas: 1 } }, { contentType: 'application/merge-patch+json' });
  assert.equal(stale.status, 409);
  const missing = await h.call('PATCH', `${APPS}/deployments/nope`, { spec: {} }, { contentType: 'application/merge-patch+json' });
  assert.equal(missing.status, 404);
});

test('scale subresource reads and writes replicas', async () => {
  const h = await harness();
  await h.call('POST', `${APPS}/deployments`, deployment('web'));
  const s = await h.call('GET', `${APPS}/deployments/web/scale`);
  assert.equal(s.body.kind, 'Scale');
  assert.equal(s.body.apiVersion, 'autoscaling/v1');
  assert.equal(s.body.spec.replicas, 2);
  assert.equal(s.body.status.selector, 'app=web');
  const p = await h.call('PATCH', `${APPS}/deployments/web/scale`, { spec: { replicas: 7 } }, { contentType: 'application/merge-patch+json' });
  assert.equal(p.status, 200, p.text);
  assert.equal(p.body.spec.replicas, 7);
  assert.equal((await h.call('GET', `${APPS}/deployments/web`)).body.spec.replicas, 7);
  const neg = await h.call('PATCH', `${APPS}/deployments/web/scale`, { spec: { replicas: -1 } }, { contentType: 'application/merge-patch+json' });
  assert.equal(neg.status, 422);
});

test('delete: immediate, finalizers, and propagation policies recorded as upstream', async () => {
  const h = await harness();
  await h.call('POST', `${NS}/configmaps`, configMap('plain'));
  const d = await h.call('DELETE', `${NS}/configmaps/plain`);
  assert.equal(d.status, 200);
  assert.equal(d.body.kind, 'Status');
  assert.equal(d.body.status, 'Success');
  assert.equal((await h.call('GET', `${NS}/configmaps/plain`)).status, 404);

  await h.call('POST', `${NS}/configmaps`, { ...configMap('held'), metadata: { name: 'held', finalizers: ['example.com/hold'] } });
  const held = await h.call('DELETE', `${NS}/configmaps/held`);
  assert.equal(held.status, 200);
  assert.ok(held.body.metadata.deletionTimestamp);
  assert.equal(held.body.metadata.deletionGracePeriodSeconds, 0);
  const released = await h.call('PATCH', `${NS}/configmaps/held`, { metadata: { finalizers: null } }, { contentType: 'application/merge-patch+json' });
  assert.equal(released.status, 200, released.text);
  assert.equal((await h.call('GET', `${NS}/configmaps/held`)).status, 404, 'removing the last finalizer deletes it');

  for (const [policy, finalizer] of [['Orphan', 'orphan'], ['Foreground', 'foregroundDeletion']] as const) {
    const name = `d-${finalizer.toLowerCase()}`;
    await h.call('POST', `${APPS}/deployments`, deployment(name));
    const r = await h.call('DELETE', `${APPS}/deployments/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy });
    assert.equal(r.status, 200, r.text);
    const cur = await h.call('GET', `${APPS}/deployments/${name}`);
    assert.deepEqual(cur.body.metadata.finalizers, [finalizer]);
    assert.ok(cur.body.metadata.deletionTimestamp);
  }
  await h.call('POST', `${APPS}/deployments`, deployment('bg'));
  const bg = await h.call('DELETE', `${APPS}/deployments/bg?propagationPolicy=Background`);
  assert.equal(bg.status, 200);
  assert.equal((await h.call('GET', `${APPS}/deployments/bg`)).status, 404);

  const pre = await h.call('POST', `${NS}/configmaps`, configMap('pre'));
  const wrong = await h.call('DELETE', `${NS}/configmaps/pre`, { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'nope' } });
  assert.equal(wrong.status, 409);
  assert.equal(wrong.body.message, `Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: nope, UID in object meta: ${pre.body.metadata.uid}`);
});

test('pods: graceful deletion once bound, binding, and immediate deletion when unscheduled', async () => {
  const h = await harness();
  const pod = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });
  const p = await h.call('POST', `${NS}/pods`, pod('p1'));
  assert.equal(p.status, 201, p.text);
  assert.equal(p.body.status.phase, 'Pending');
  assert.equal(p.body.status.qosClass, 'BestEffort');
  assert.equal(p.body.spec.serviceAccountName, 'default');
  const b = await h.call('POST', `${NS}/pods/p1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'node-1' } });
  assert.equal(b.status, 201, b.text);
  const bound = await h.call('GET', `${NS}/pods/p1`);
  assert.equal(bound.body.spec.nodeName, 'node-1');
  assert.equal(bound.body.status.conditions.find((c: any) => c.type === 'PodScheduled').status, 'True');
  const again = await h.call('POST', `${NS}/pods/p1/binding`, { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'node-2' } });
  assert.equal(again.status, 409);

  const del = await h.call('DELETE', `${NS}/pods/p1`);
  assert.equal(del.status, 200);
  assert.equal(del.body.metadata.deletionGracePeriodSeconds, 30);
  assert.equal(del.body.metadata.deletionTimestamp, '2026-11-22T10:00:30Z');
  assert.equal((await h.call('GET', `${NS}/pods/p1`)).status, 200, 'still there during its grace period');
  // Graceful deletion is pending: a second delete that does not shorten the period changes
  // nothing, not even the finalizers a propagation policy would add.
  for (const q of ['?propagationPolicy=Foreground', '?gracePeriodSeconds=30&propagationPolicy=Orphan']) {
    const pending = await h.call('DELETE', `${NS}/pods/p1${q}`);
    assert.equal(pending.status, 200, pending.text);
    assert.equal(pending.body.metadata.finalizers, undefined, q);
    assert.equal(pending.body.metadata.resourceVersion, del.body.metadata.resourceVersion, q);
  }
  const shorter = await h.call('DELETE', `${NS}/pods/p1?gracePeriodSeconds=10`);
  assert.equal(shorter.body.metadata.deletionGracePeriodSeconds, 10);
  assert.equal(shorter.body.metadata.deletionTimestamp, '2026-11-22T10:00:10Z');
  const force = await h.call('DELETE', `${NS}/pods/p1?gracePeriodSeconds=0`);
  assert.equal(force.status, 200);
  assert.equal((await h.call('GET', `${NS}/pods/p1`)).status, 404);

  await h.call('POST', `${NS}/pods`, pod('p2'));
  await h.call('DELETE', `${NS}/pods/p2`);
  assert.equal((await h.call('GET', `${NS}/pods/p2`)).status, 404, 'an unscheduled pod goes at once');
});

test('list: selectors, pagination with continue, resourceVersion semantics', async () => {
  const h = await harness();
  for (let i = 0; i < 7; i++) await h.call('POST', `${NS}/configmaps`, configMap(`c${i}`, { i: String(i) }, { parity: i % 2 ? 'odd' : 'even' }));
  const odd = await h.call('GET', `${NS}/configmaps?labelSelector=parity%3Dodd`);
  assert.deepEqual(odd.body.items.map((c: any) => c.metadata.name), ['c1', 'c3', 'c5']);
  const byName = await h.call('GET', `${NS}/configmaps?fieldSelector=metadata.name%3Dc4`);
  assert.deepEqual(byName.body.items.map((c: any) => c.metadata.name), ['c4']);
  const badSel = await h.call('GET', `${NS}/configmaps?labelSelector=a%20in%20(`);
  assert.equal(badSel.status, 400);

  const p1 = await h.call('GET', `${NS}/configmaps?limit=3`);
  assert.equal(p1.body.items.length, 3);
  assert.equal(p1.body.metadata.remainingItemCount, 4);
  assert.ok(p1.body.metadata.continue);
  await h.call('POST', `${NS}/configmaps`, configMap('c0a'));
  const p2 = await h.call('GET', `${NS}/configmaps?limit=3&continue=${encodeURIComponent(p1.body.metadata.continue)}`);
  const p3 = await h.call('GET', `${NS}/configmaps?limit=3&continue=${encodeURIComponent(p2.body.metadata.continue)}`);
  const names = [...p1.body.items, ...p2.body.items, ...p3.body.items].map((c: any) => c.metadata.name);
  assert.deepEqual(names, ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6'], 'pages are a consistent snapshot');
  assert.equal(p3.body.metadata.continue, undefined);
  assert.equal(p2.body.metadata.resourceVersion, p1.body.metadata.resourceVersion);

  const oddPage = await h.call('GET', `${NS}/configmaps?labelSelector=parity%3Dodd&limit=2`);
  assert.deepEqual(oddPage.body.items.map((c: any) => c.metadata.name), ['c1', 'c3']);

  const exact = await h.call('GET', `${NS}/configmaps?resourceVersion=${p1.body.metadata.resourceVersion}&resourceVersionMatch=Exact`);
  assert.equal(exact.body.items.length, 7, 'an exact read does not see the later c0a');
  const future = await h.call('GET', `${NS}/configmaps?resourceVersion=999999`);
  assert.equal(future.status, 504);
});

test('tables and partial metadata for kubectl', async () => {
  const h = await harness();
  await h.call('POST', `${APPS}/deployments`, deployment('web'));
  const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
  const t = await h.call('GET', `${APPS}/deployments`, undefined, { accept });
  assert.equal(t.body.kind, 'Table');
  assert.equal(t.body.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(t.body.columnDefinitions.slice(0, 5).map((c: any) => c.name), ['Name', 'Ready', 'Up-to-date', 'Available', 'Age']);
  assert.equal(t.body.rows[0].cells[0], 'web');
  assert.equal(t.body.rows[0].object.kind, 'PartialObjectMetadata');
  const one = await h.call('GET', `${APPS}/deployments/web`, undefined, { accept });
  assert.equal(one.body.rows.length, 1);
  const pm = await h.call('GET', `${APPS}/deployments`, undefined, { accept: 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io' });
  assert.equal(pm.body.kind, 'PartialObjectMetadataList');
  assert.equal(pm.body.items[0].metadata.name, 'web');
  const y = await h.call('GET', `${APPS}/deployments/web`, undefined, { accept: 'application/yaml' });
  assert.match(y.text, /^apiVersion: apps\/v1\nkind: Deployment\n/);
  const pb = await h.call('GET', `${APPS}/deployments/web`, undefined, { accept: 'application/vnd.kubernetes.protobuf' });
  assert.equal(pb.status, 406);
});

test('watch: initial state, changes, selector transitions, bookmarks, and 410 for compacted versions', async () => {
  const h = await harness();
  await h.call('POST', `${NS}/configmaps`, configMap('a', {}, { team: 'x' }));
  const w = await h.watch(`${NS}/configmaps?watch=true&labelSelector=team%3Dx&allowWatchBookmarks=true`);
  assert.deepEqual(w.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'a']]);
  await h.call('POST', `${NS}/configmaps`, configMap('b', {}, { team: 'y' }));
  await h.call('PATCH', `${NS}/configmaps/b`, { metadata: { labels: { team: 'x' } } }, { contentType: 'application/merge-patch+json' });
  await h.call('PATCH', `${NS}/configmaps/a`, { metadata: { labels: { team: 'z' } } }, { contentType: 'application/merge-patch+json' });
  await h.call('DELETE', `${NS}/configmaps/b`);
  await new Promise((r) => setTimeout(r, 120));
  const changes = w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => [e.type, e.object.metadata.name]);
  assert.deepEqual(changes, [['ADDED', 'a'], ['ADDED', 'b'], ['DELETED', 'a'], ['DELETED', 'b']]);
  assert.ok(w.events.some((e) => e.type === 'BOOKMARK' && /^\d+$/.test(e.object.metadata.resourceVersion)));
  w.stop();

  const rv = Number((await h.call('GET', `${NS}/configmaps`)).body.metadata.resourceVersion);
  await h.call('POST', `${NS}/configmaps`, configMap('c'));
  const from = await h.watch(`${NS}/configmaps?watch=true&resourceVersion=${rv}`);
  assert.deepEqual(from.events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'c']]);
  from.stop();

  await h.store.compact(await h.store.revision());
  const old = await h.watch(`${NS}/configmaps?watch=true&resourceVersion=${rv}`);
  await old.ended;
  assert.equal(old.events.length, 1);
  assert.equal(old.events[0].type, 'ERROR');
  assert.equal(old.events[0].object.code, 410);
  assert.equal(old.events[0].object.reason, 'Expired');

  const timed = await h.watch(`${NS}/configmaps?watch=true&timeoutSeconds=0`);
  await timed.ended;
});

test('namespace deletion marks it Terminating and blocks new content', async () => {
  const h = await harness();
  await h.call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tmp' } });
  const ns = await h.call('GET', '/api/v1/namespaces/tmp');
  assert.deepEqual(ns.body.spec.finalizers, ['kubernetes']);
  const d = await h.call('DELETE', '/api/v1/namespaces/tmp');
  assert.equal(d.status, 200);
  assert.equal(d.body.status.phase, 'Terminating');
  const blocked = await h.call('POST', '/api/v1/namespaces/tmp/configmaps', configMap('x'));
  assert.equal(blocked.status, 403);
  assert.equal(blocked.body.message, 'configmaps "x" is forbidden: unable to create new content in namespace tmp because it is being terminated');
  // Status updates of a terminating namespace keep it while spec.finalizers holds entries.
  const st = await h.call('PUT', '/api/v1/namespaces/tmp/status', { ...d.body, status: { phase: 'Terminating', conditions: [] } });
  assert.equal(st.status, 200, st.text);
  assert.equal((await h.call('GET', '/api/v1/namespaces/tmp')).status, 200);
  // Emptying spec.finalizers through /finalize removes it, as ShouldDeleteNamespaceDuringUpdate does.
  const fin = await h.call('PUT', '/api/v1/namespaces/tmp/finalize', { ...st.body, spec: { finalizers: [] } });
  assert.equal(fin.status, 200, fin.text);
  assert.equal((await h.call('GET', '/api/v1/namespaces/tmp')).status, 404);
  const protectedNs = await h.call('DELETE', '/api/v1/namespaces/default');
  assert.equal(protectedNs.status, 403);
});

test('services get a ClusterIP and NodePorts, kept across updates', async () => {
  const h = await harness();
  const svc = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { selector: { app: name }, ports: [{ port: 80 }], ...spec } });
  const a = await h.call('POST', `${NS}/services`, svc('a', {}));
  assert.equal(a.status, 201, a.text);
  assert.equal(a.body.spec.clusterIP, '10.96.0.2');
  assert.deepEqual(a.body.spec.clusterIPs, ['10.96.0.2']);
  assert.equal(a.body.spec.ports[0].targetPort, 80);
  assert.equal(a.body.spec.ports[0].protocol, 'TCP');
  const b = await h.call('POST', `${NS}/services`, svc('b', { type: 'NodePort' }));
  assert.equal(b.body.spec.clusterIP, '10.96.0.3');
  assert.equal(b.body.spec.ports[0].nodePort, 30000);
  const headless = await h.call('POST', `${NS}/services`, svc('h', { clusterIP: 'None' }));
  assert.equal(headless.body.spec.clusterIP, 'None');
  const taken = await h.call('POST', `${NS}/services`, svc('t', { clusterIP: '10.96.0.2' }));
  assert.equal(taken.status, 422);
  assert.match(taken.body.message, /provided IP is already allocated/);
  const upd = await h.call('PUT', `${NS}/services/b`, svc('b', { type: 'NodePort' }));
  assert.equal(upd.status, 200, upd.text);
  assert.equal(upd.body.spec.clusterIP, '10.96.0.3');
  assert.equal(upd.body.spec.ports[0].nodePort, 30000);
});

test('discovery documents', async () => {
  const h = await harness();
  const api = await h.call('GET', '/api');
  assert.deepEqual(api.body.versions, ['v1']);
  const apis = await h.call('GET', '/apis');
  assert.ok(apis.body.groups.some((g: any) => g.name === 'apps' && g.preferredVersion.groupVersion === 'apps/v1'));
  const v1 = await h.call('GET', '/api/v1');
  const pods = v1.body.resources.find((r: any) => r.name === 'pods');
  assert.deepEqual(pods.shortNames, ['po']);
  assert.ok(v1.body.resources.some((r: any) => r.name === 'pods/status'));
  const agg = await h.call('GET', '/apis', undefined, { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json' });
  assert.equal(agg.body.kind, 'APIGroupDiscoveryList');
  assert.match(agg.contentType, /as=APIGroupDiscoveryList/);
  const apps = agg.body.items.find((g: any) => g.metadata.name === 'apps');
  const deploy = apps.versions[0].resources.find((r: any) => r.resource === 'deployments');
  assert.equal(deploy.scope, 'Namespaced');
  assert.deepEqual(deploy.subresources.map((s: any) => s.subresource).sort(), ['scale', 'status']);
  const version = await h.call('GET', '/version');
  assert.equal(version.body.major, '1');
});

test('events.k8s.io/v1 and core/v1 Events are two views of the same objects', async () => {
  const h = await harness();
  const e = await h.call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
    apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'e1' },
    eventTime: '2026-11-22T10:00:00.000000Z', reportingController: 'berth/test', reportingInstance: 'i1',
    action: 'Tested', reason: 'Works', type: 'Normal', note: 'hello', regarding: { kind: 'Pod', name: 'p', namespace: 'default' },
  });
  assert.equal(e.status, 201, e.text);
  const core = await h.call('GET', `${NS}/events/e1`);
  assert.equal(core.body.apiVersion, 'v1');
  assert.equal(core.body.message, 'hello');
  assert.equal(core.body.involvedObject.name, 'p');
  assert.equal(core.body.reportingComponent, 'berth/test');
});

test('concurrent patches without a resourceVersion all apply (conflicts are retried on the newer object)', async () => {
  const h = await harness();
  await h.call('POST', `${NS}/configmaps`, configMap('busy'));
  const results = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      h.call('PATCH', `${NS}/configmaps/busy`, { metadata: { labels: { [`l${i}`]: 'x' } } }, { contentType: 'application/merge-patch+json' }),
    ),
  );
  assert.deepEqual(results.map((r) => r.status), Array(20).fill(200));
  const final = await h.call('GET', `${NS}/configmaps/busy`);
  assert.equal(Object.keys(final.body.metadata.labels).length, 20);
  // A patch that names an old resourceVersion still fails.
  const stale = await h.call('PATCH', `${NS}/configmaps/busy`, { metadata: { resourceVersion: '1', labels: { z: 'z' } } }, { contentType: 'application/merge-patch+json' });
  assert.equal(stale.status, 409);
});

test('status updates keep the stored spec; metadata changes go through except what the kind resets', async () => {
  const h = await harness();
  const d = (await h.call('POST', `${APPS}/deployments`, deployment('web'))).body;
  const st = await h.call('PUT', `${APPS}/deployments/web/status`, {
    ...d,
    metadata: { ...d.metadata, annotations: { note: 'x' }, labels: { app: 'web', extra: 'y' } },
    spec: { ...d.spec, replicas: 9 },
    status: { replicas: 1 },
  });
  assert.equal(st.status, 200, st.text);
  assert.equal(st.body.spec.replicas, 2, 'spec comes from the stored object');
  assert.equal(st.body.metadata.annotations.note, 'x', 'annotations may change through status');
  assert.deepEqual(st.body.metadata.labels, { app: 'web' }, 'a Deployment status update resets labels');
  assert.equal(st.body.status.replicas, 1);
});
