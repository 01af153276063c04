// The scheduler's moves in the cluster model: every equally best node is a move of its own (upstream
// picks one of them at random), and the pod's default spreading selector is the real scheduler's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/model/object.js';
import { placements } from '../../src/verify/scheduling.js';
import { stateOf } from '../../src/verify/invariants/state.js';
import { check } from '../../src/verify/checker.js';
import { ClusterModel, statefulSetScope } from '../../src/verify/cluster-model.js';

const now = Date.parse('2026-01-01T00:00:00Z');
const capacity = { cpu: '4', memory: '8Gi', pods: '110' };
const node = (name: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name } },
  status: { capacity, allocatable: capacity, conditions: [{ type: 'Ready', status: 'True' }] },
});
const rs = (app: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: app, namespace: 'default', uid: `uid-${app}` },
  spec: { replicas: 2, selector: { matchLabels: { app } }, template: { metadata: { labels: { app } }, spec: { containers: [] } } },
});
const pod = (name: string, app: string, nodeName?: string): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod',
  metadata: { name, namespace: 'default', uid: `uid-${name}`, labels: { app }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: app, uid: `uid-${app}`, controller: true }] },
  spec: { containers: [{ name: 'c', image: 'app:1', resources: { requests: { cpu: '100m', memory: '64Mi' } } }], ...(nodeName ? { nodeName } : {}) },
  status: { phase: nodeName ? 'Running' : 'Pending' },
});

test('a pod with two equally good nodes may go to either: one move each', () => {
  const s = stateOf(now, { nodes: [node('node-0'), node('node-1')], replicasets: [rs('a')], pods: [pod('a-1', 'a')] });
  assert.deepEqual(placements(s), [
    { ns: 'default', name: 'a-1', node: 'node-0' },
    { ns: 'default', name: 'a-1', node: 'node-1' },
  ]);
});

test('the default spreading selector breaks what resources alone would tie: away from the ReplicaSet\'s own pod', () => {
  // Each node holds one pod of the same size; only node-0's is the new pod's peer.
  const s = stateOf(now, {
    nodes: [node('node-0'), node('node-1')],
    replicasets: [rs('a'), rs('b')],
    pods: [pod('a-0', 'a', 'node-0'), pod('b-0', 'b', 'node-1'), pod('a-1', 'a')],
  });
  assert.deepEqual(placements(s), [{ ns: 'default', name: 'a-1', node: 'node-1' }]);
  // Without its controller (no selector to spread by) the two nodes are equal again.
  const orphan = stateOf(now, {
    nodes: [node('node-0'), node('node-1')],
    replicasets: [rs('b')],
    pods: [pod('a-0', 'a', 'node-0'), pod('b-0', 'b', 'node-1'), pod('a-1', 'a')],
  });
  assert.deepEqual(placements(orphan).map((b) => b.node), ['node-0', 'node-1']);
});

test('the checker explores each placement of a tie: db-0 lands on either node along some path', async () => {
  const m = new ClusterModel(statefulSetScope());
  const labels = new Set<string>();
  const next = m.next.bind(m);
  m.next = async (s) => {
    const steps = await next(s);
    for (const x of steps) labels.add(x.label);
    return steps;
  };
  const r = await check(m);
  assert.equal(r.liveness, 'held');
  assert.deepEqual(r.violations, []);
  assert.ok(labels.has('scheduler binds db-0 to node-0') && labels.has('scheduler binds db-0 to node-1'), [...labels].filter((l) => l.startsWith('scheduler')).join('\n'));
});
