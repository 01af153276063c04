// The kubelet's token manager: when a projected token is fetched again, what survives a failed
// refresh, and the token file in the projected volume's plan.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { requiresRefresh, TokenManager, tokenRequestFor } from '../../src/kubelet/tokens.js';
import { volumePlan, ConfigError, type NodeFacts } from '../../src/kubelet/container-config.js';
import { parseQuantity } from '../../src/model/quantity.js';
import type { KubeObject } from '../../src/model/object.js';

const HOUR = 3600_000;

test('requiresRefresh: at 80% of the lifetime, or 24 hours after issue, less the jitter', () => {
  const issued = Date.parse('2026-01-01T00:00:00Z');
  const oneHour = { expiresAt: issued + HOUR, expirationSeconds: 3600 };
  assert.equal(requiresRefresh(oneHour, issued + 0.8 * HOUR, 0), false);
  assert.equal(requiresRefresh(oneHour, issued + 0.8 * HOUR + 1, 0), true);
  assert.equal(requiresRefresh(oneHour, issued + 0.8 * HOUR - 5000, 6000), true);
  const twoDays = { expiresAt: issued + 48 * HOUR, expirationSeconds: 48 * 3600 };
  assert.equal(requiresRefresh(twoDays, issued + 24 * HOUR, 0), false);
  assert.equal(requiresRefresh(twoDays, issued + 24 * HOUR + 1, 0), true);
});

const pod = {
  metadata: { name: 'p', namespace: 'ns', uid: 'pod-uid' },
  spec: {
    serviceAccountName: 'robot',
    containers: [{ name: 'c' }],
    volumes: [{ name: 'tok', projected: { defaultMode: 0o440, sources: [{ serviceAccountToken: { path: 'token', audience: 'vault', expirationSeconds: 600 } }, { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } }],
  },
} as unknown as KubeObject & Pod;
const source = pod.spec!.volumes![0]!.projected!.sources![0]!.serviceAccountToken!;

test('TokenManager: fetches through TokenRequest bound to the pod, refreshes when due, keeps an unexpired token when a refresh fails', async () => {
  let now = Date.parse('2026-01-01T00:00:00Z');
  const requests: { ns: string; sa: string; body: any }[] = [];
  let fail = false;
  const m = new TokenManager(async (ns, sa, body) => {
    requests.push({ ns, sa, body });
    if (fail) throw new Error('connection refused');
    return { ...body, spec: body.spec, status: { token: `t${requests.length}`, expirationTimestamp: new Date(now + 600_000).toISOString() } } as KubeObject;
  }, () => now, () => 0);
  assert.equal(m.due(pod), true);
  await m.ensure(pod, [source]);
  assert.deepEqual(requests[0], {
    ns: 'ns',
    sa: 'robot',
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: { name: 'robot', namespace: 'ns' }, spec: { audiences: ['vault'], expirationSeconds: 600, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: 'p', uid: 'pod-uid' } } },
  });
  assert.equal(m.token(pod, source), 't1');
  // not yet due: the cached one
  now += 400_000;
  assert.equal(m.due(pod), false);
  await m.ensure(pod, [source]);
  assert.equal(requests.length, 1);
  // past 80% (480 s): fetched again
  now += 100_000;
  assert.equal(m.due(pod), true);
  await m.ensure(pod, [source]);
  assert.equal(m.token(pod, source), 't2');
  // a failed refresh keeps the old token until it expires, then fails
  now += 500_000;
  fail = true;
  await m.ensure(pod, [source]);
  assert.equal(m.token(pod, source), 't2');
  now += 200_000;
  await assert.rejects(m.ensure(pod, [source]), /expired and refresh failed: connection refused/);
  // a pod never fetched: the first failure is the mount's
  const other = { ...pod, metadata: { ...pod.metadata, uid: 'other' } } as typeof pod;
  await assert.rejects(m.ensure(other, [source]), /^Error: failed to fetch token: connection refused$/);
  m.forget('pod-uid');
  assert.equal(m.token(pod, source), undefined);
  assert.notEqual(tokenRequestFor(pod, source).key, tokenRequestFor(other, source).key);
});

test('volumePlan: the token is a file of the projected volume; without one the mount fails', () => {
  const node: NodeFacts = { hostIP: '10.0.0.1', nodeName: 'n', allocatable: { cpu: parseQuantity('2'), memory: parseQuantity('1Gi') }, memoryCapacityBytes: 1 << 30 };
  const look = { configMap: () => undefined, secret: () => undefined, serviceAccountToken: () => 'jwt' };
  const plan = volumePlan(pod, pod.spec!.volumes![0]!, look, node, []);
  assert.deepEqual(plan, { kind: 'files', plugin: 'projected', tmpfs: true, files: [{ path: 'token', data: Buffer.from('jwt'), mode: 0o440 }, { path: 'ns', data: Buffer.from('ns'), mode: 0o440 }] });
  assert.throws(() => volumePlan(pod, pod.spec!.volumes![0]!, { configMap: () => undefined, secret: () => undefined }, node, []), (e: unknown) => e instanceof ConfigError && /failed to fetch token/.test(e.message));
});
