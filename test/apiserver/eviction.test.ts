// The Eviction API over the real handler: a pod no budget covers is deleted; a budget that allows
// no disruption refuses with 429 and says why; an allowed eviction takes one disruption from the
// budget's status before the pod goes; pods already going ignore budgets; bad requests are refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, type Harness } from './harness.js';

const pod = (name: string, labels: Record<string, string>, ready = true) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  status: { phase: ready ? 'Running' : 'Pending', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
});
const evict = (h: Harness, name: string, extra: Record<string, unknown> = {}) =>
  h.call('POST', `/api/v1/namespaces/default/pods/${name}/eviction`, { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra });

async function makePod(h: Harness, name: string, labels: Record<string, string>, ready = true) {
  const p = pod(name, labels, ready);
  assert.equal((await h.call('POST', '/api/v1/namespaces/default/pods', p)).status, 201);
  // the status as a kubelet would have written it
  const cur = (await h.call('GET', `/api/v1/namespaces/default/pods/${name}`)).body;
  const r = await h.call('PUT', `/api/v1/namespaces/default/pods/${name}/status`, { ...cur, status: { ...cur.status, ...p.status } });
  assert.equal(r.status, 200, r.text);
}

async function budget(h: Harness, name: string, selector: Record<string, string>, status: Record<string, unknown>) {
  assert.equal((await h.call('POST', '/apis/policy/v1/namespaces/default/poddisruptionbudgets', { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec: { minAvailable: 1, selector: { matchLabels: selector } } })).status, 201);
  const cur = (await h.call('GET', `/apis/policy/v1/namespaces/default/poddisruptionbudgets/${name}`)).body;
  const r = await h.call('PUT', `/apis/policy/v1/namespaces/default/poddisruptionbudgets/${name}/status`, { ...cur, status: { observedGeneration: 1, currentHealthy: 2, desiredHealthy: 1, expectedPods: 2, ...status } });
  assert.equal(r.status, 200, r.text);
}

test('eviction: no budget deletes; a budget at zero refuses with 429; an allowed one takes a disruption first', async () => {
  const h = await harness();
  await makePod(h, 'free', { app: 'free' });
  const ok = await evict(h, 'free');
  assert.equal(ok.status, 201, ok.text);
  assert.equal(ok.body.status, 'Success');
  assert.equal((await h.call('GET', '/api/v1/namespaces/default/pods/free')).status, 404);

  await makePod(h, 'a', { app: 'web' });
  await makePod(h, 'b', { app: 'web' });
  await budget(h, 'web', { app: 'web' }, { disruptionsAllowed: 1 });
  const first = await evict(h, 'a', { deleteOptions: { gracePeriodSeconds: 0 } });
  assert.equal(first.status, 201, first.text);
  assert.equal((await h.call('GET', '/api/v1/namespaces/default/pods/a')).status, 404);
  const st = (await h.call('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/web')).body.status;
  assert.equal(st.disruptionsAllowed, 0);
  assert.deepEqual(Object.keys(st.disruptedPods), ['a']);

  const refused = await evict(h, 'b');
  assert.equal(refused.status, 429);
  assert.equal(refused.body.reason, 'TooManyRequests');
  assert.equal(refused.body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
  assert.deepEqual(refused.body.details.causes, [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 1 healthy pods and has 2 currently' }]);
  assert.equal((await h.call('GET', '/api/v1/namespaces/default/pods/b')).status, 200, 'nothing lost');

  // a pod that is not running yet disrupts nothing: no budget is asked
  await makePod(h, 'c', { app: 'web' }, false);
  assert.equal((await evict(h, 'c')).status, 201);

  // dry run: nothing changes
  await budget(h, 'dry', { app: 'dry' }, { disruptionsAllowed: 1 });
  await makePod(h, 'd', { app: 'dry' });
  assert.equal((await h.call('POST', '/api/v1/namespaces/default/pods/d/eviction?dryRun=All', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'd' } })).status, 201);
  assert.equal((await h.call('GET', '/api/v1/namespaces/default/pods/d')).status, 200);
  assert.equal((await h.call('GET', '/apis/policy/v1/namespaces/default/poddisruptionbudgets/dry')).body.status.disruptionsAllowed, 1);
});

test('eviction: a budget not yet processed, two budgets, a name that does not match, a pod that is not there', async () => {
  const h = await harness();
  await makePod(h, 'p', { app: 'x', tier: 'y' });
  await budget(h, 'one', { app: 'x' }, { disruptionsAllowed: 1, observedGeneration: 0 });
  const pending = await evict(h, 'p');
  assert.equal(pending.status, 429);
  assert.equal(pending.body.details.causes[0].message, 'The disruption budget one is still being processed by the server.');
  await budget(h, 'two', { tier: 'y' }, { disruptionsAllowed: 1 });
  const two = await evict(h, 'p');
  assert.equal(two.status, 500);
  assert.match(two.body.message, /This pod has more than one PodDisruptionBudget, which the eviction subresource does not support\./);
  const mismatch = await h.call('POST', '/api/v1/namespaces/default/pods/p/eviction', { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'q' } });
  assert.equal(mismatch.status, 400);
  assert.equal(mismatch.body.message, 'name in URL does not match name in Eviction object');
  const missing = await evict(h, 'nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'pods "nope" not found');
  assert.equal((await h.call('GET', '/api/v1/namespaces/default/pods/p/eviction')).status, 405);
});
