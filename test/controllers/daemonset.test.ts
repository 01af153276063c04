// The DaemonSet controller: placement by node selector, affinity and taints; pods pinned by node
// affinity; rolling updates by maxUnavailable and by maxSurge; status; and the running controller.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { daemonSetController, nodeShouldRunDaemonPod, targetNodeName, type DaemonSet } from '../../src/controllers/daemonset.js';
import { ApiWorld } from './api-world.js';
import { eventually, testCluster } from './harness.js';

const node = (name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Node', metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } }, spec,
});
const ds = (spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'agent:1' }], ...podSpec } },
    ...spec,
  },
});
const world = () => new ApiWorld([R.daemonsets, R.pods, R.controllerrevisions, R.nodes]).init();
const ctl = daemonSetController();
const podsByNode = async (w: ApiWorld) =>
  Object.fromEntries((await w.list(R.pods, 'default')).map((p) => [targetNodeName(p as never), p])) as Record<string, KubeObject>;
const get = async (w: ApiWorld) => (await w.client.get(R.daemonsets, 'default', 'agent')) as DaemonSet;

test('placement: node selector, taints against the daemon tolerations, cordoned and not-ready nodes', () => {
  const set = { ...ds({}, { nodeSelector: { role: 'worker' } }), metadata: { name: 'agent', namespace: 'default', uid: 'u' } } as DaemonSet;
  const run = (n: KubeObject) => nodeShouldRunDaemonPod(n as never, set);
  assert.deepEqual(run(node('w1', { role: 'worker' })), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(run(node('m1', { role: 'master' })), { shouldRun: false, shouldContinueRunning: false });
  // A NoSchedule taint keeps new pods off but lets a running one stay.
  assert.deepEqual(run(node('w2', { role: 'worker' }, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] })), { shouldRun: false, shouldContinueRunning: true });
  assert.deepEqual(run(node('w3', { role: 'worker' }, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }] })), { shouldRun: false, shouldContinueRunning: false });
  // Every daemon pod tolerates cordoning and node trouble.
  assert.deepEqual(run(node('w4', { role: 'worker' }, { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] })).shouldRun, true);
  assert.deepEqual(run(node('w5', { role: 'worker' }, { taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] })).shouldRun, true);
  assert.deepEqual(run(node('w6', { role: 'worker' }, { taints: [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }] })).shouldRun, false);
  // Required node affinity counts as the node selector does.
  const affine = { ...set, spec: { ...set.spec, template: { ...set.spec.template, spec: { ...set.spec.template.spec!, nodeSelector: {}, affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } } } } } } as DaemonSet;
  assert.equal(nodeShouldRunDaemonPod(node('z', { zone: 'a' }) as never, affine).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('z', { zone: 'b' }) as never, affine).shouldRun, false);
});

test('one pod per eligible node, pinned by node affinity with the daemon tolerations; status counts', async () => {
  const w = await world();
  try {
    await w.client.create(R.nodes, undefined, node('n1'));
    await w.client.create(R.nodes, undefined, node('n2'));
    await w.client.create(R.nodes, undefined, node('n3', {}, { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
    await w.client.create(R.daemonsets, 'default', ds());
    const { decision } = await w.reconcile(ctl, 'default/agent');
    const pods = await podsByNode(w);
    assert.deepEqual(Object.keys(pods).sort(), ['n1', 'n2']);
    const p = pods.n1!;
    assert.match(p.metadata.name!, /^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.equal((p.spec as any).nodeName, undefined, 'the scheduler binds it, not the controller');
    assert.deepEqual((p.spec as any).affinity, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } });
    assert.deepEqual((p.spec as any).tolerations.map((t: any) => `${t.key}:${t.effect}:${t.operator}`), [
      'node.kubernetes.io/not-ready:NoExecute:Exists', 'node.kubernetes.io/unreachable:NoExecute:Exists',
      'node.kubernetes.io/disk-pressure:NoSchedule:Exists', 'node.kubernetes.io/memory-pressure:NoSchedule:Exists',
      'node.kubernetes.io/pid-pressure:NoSchedule:Exists', 'node.kubernetes.io/unschedulable:NoSchedule:Exists',
    ]);
    const rev = (await w.list(R.controllerrevisions, 'default'))[0]!;
    const hash = rev.metadata.labels!['controller-revision-hash']!;
    assert.equal(rev.metadata.name, `agent-${hash}`);
    assert.deepEqual(p.metadata.labels, { app: 'agent', 'pod-template-generation': '1', 'controller-revision-hash': hash });
    const created = decision.actions.filter((a) => a.kind === 'create' && a.object.kind === 'Event').map((a) => (a as { object: KubeObject }).object.message);
    assert.deepEqual(created.sort(), Object.values(pods).map((x) => `Created pod: ${x.metadata.name}`).sort());

    await w.setPod('default', pods.n1!.metadata.name!, { phase: 'Running' });
    await w.reconcile(ctl, 'default/agent');
    const s = (await get(w)).status!;
    assert.deepEqual([s.desiredNumberScheduled, s.currentNumberScheduled, s.numberReady, s.numberAvailable, s.updatedNumberScheduled, s.numberUnavailable, s.numberMisscheduled, s.observedGeneration],
      [2, 2, 1, 1, 2, 1, 0, 1]);
  } finally {
    await w.close();
  }
});

test('a node that stops fitting: NoSchedule leaves the pod (misscheduled), NoExecute or a label change removes it; new nodes get pods', async () => {
  const w = await world();
  try {
    await w.client.create(R.nodes, undefined, node('n1', { role: 'worker' }));
    await w.client.create(R.nodes, undefined, node('n2', { role: 'worker' }));
    await w.client.create(R.daemonsets, 'default', ds({}, { nodeSelector: { role: 'worker' } }));
    await w.reconcile(ctl, 'default/agent');
    const n1 = await w.client.get(R.nodes, undefined, 'n1');
    await w.client.update(R.nodes, undefined, { ...n1, spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } });
    await w.reconcile(ctl, 'default/agent');
    assert.deepEqual(Object.keys(await podsByNode(w)).sort(), ['n1', 'n2']);
    assert.equal((await get(w)).status!.numberMisscheduled, 1);
    const n1b = await w.client.get(R.nodes, undefined, 'n1');
    await w.client.update(R.nodes, undefined, { ...n1b, spec: { taints: [{ key: 'k', effect: 'NoExecute' }] } });
    const n2 = await w.client.get(R.nodes, undefined, 'n2');
    await w.client.update(R.nodes, undefined, { ...n2, metadata: { ...n2.metadata, labels: { role: 'db' } } });
    await w.client.create(R.nodes, undefined, node('n3', { role: 'worker' }));
    await w.reconcile(ctl, 'default/agent');
    assert.deepEqual(Object.keys(await podsByNode(w)).sort(), ['n3']);
  } finally {
    await w.close();
  }
});

test('a failed daemon pod is killed with a FailedDaemonPod warning and replaced', async () => {
  const w = await world();
  try {
    await w.client.create(R.nodes, undefined, node('n1'));
    await w.client.create(R.daemonsets, 'default', ds());
    await w.reconcile(ctl, 'default/agent');
    const p = (await podsByNode(w)).n1!;
    await w.setPod('default', p.metadata.name!, { phase: 'Failed' });
    const early = await w.reconcile(ctl, 'default/agent');
    assert.ok(early.decision.requeueAfterMs! > 0, 'a fresh failure is given a moment first');
    w.t += 2000;
    const { decision } = await w.reconcile(ctl, 'default/agent');
    const warn = decision.actions.find((a) => a.kind === 'create' && a.object.kind === 'Event') as { object: KubeObject };
    assert.equal(warn.object.reason, 'FailedDaemonPod');
    assert.equal(warn.object.message, `Found failed daemon pod default/${p.metadata.name} on node n1, will try to kill it`);
    await w.reconcile(ctl, 'default/agent');
    const again = (await podsByNode(w)).n1!;
    assert.notEqual(again.metadata.uid, p.metadata.uid);
    // A name of its own, as upstream's random one would be: not the failed pod's again.
    assert.notEqual(again.metadata.name, p.metadata.name);
  } finally {
    await w.close();
  }
});

async function readyAll(w: ApiWorld) {
  for (const p of await w.list(R.pods, 'default')) {
    if ((p.status as any)?.phase !== 'Running' && !p.metadata.deletionTimestamp) await w.setPod('default', p.metadata.name!, { phase: 'Running' });
  }
}

async function rollout(w: ApiWorld, observe: (pods: KubeObject[]) => void): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await w.reconcile(ctl, 'default/agent');
    observe(await w.list(R.pods, 'default'));
    await readyAll(w);
    observe(await w.list(R.pods, 'default'));
  }
}

test('rolling update with maxUnavailable: at most that many nodes without an available pod at any time', async () => {
  const w = await world();
  try {
    for (const n of ['n1', 'n2', 'n3', 'n4']) await w.client.create(R.nodes, undefined, node(n));
    await w.client.create(R.daemonsets, 'default', ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } }));
    await rollout(w, () => undefined);
    assert.deepEqual((await w.reconcile(ctl, 'default/agent')).decision, { actions: [] }, 'a converged set writes nothing');
    const set = await get(w);
    set.spec.template.spec!.containers[0]!.image = 'agent:2';
    await w.client.update(R.daemonsets, 'default', set);
    let worst = 0;
    await rollout(w, (pods) => {
      const available = pods.filter((p) => (p.status as any)?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'));
      worst = Math.max(worst, 4 - available.length);
    });
    assert.equal(worst, 1);
    assert.equal((await get(w)).metadata.annotations?.['deprecated.daemonset.template.generation'], '2', 'the API server moves the template generation');
    assert.ok((await w.list(R.pods, 'default')).every((p) => p.metadata.labels?.['pod-template-generation'] === '2'));
    const s = (await get(w)).status!;
    assert.deepEqual([s.updatedNumberScheduled, s.numberAvailable, s.desiredNumberScheduled], [4, 4, 4]);
    assert.ok((await w.list(R.pods, 'default')).every((p) => (p.spec as any).containers[0].image === 'agent:2'));
  } finally {
    await w.close();
  }
});

test('rolling update with maxSurge: a new pod starts beside the old one, which goes once the new one is available', async () => {
  const w = await world();
  try {
    for (const n of ['n1', 'n2']) await w.client.create(R.nodes, undefined, node(n));
    await w.client.create(R.daemonsets, 'default', ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } }));
    await rollout(w, () => undefined);
    const set = await get(w);
    set.spec.template.spec!.containers[0]!.image = 'agent:2';
    await w.client.update(R.daemonsets, 'default', set);
    let most = 0;
    let leastAvailable = 2;
    await rollout(w, (pods) => {
      most = Math.max(most, pods.length);
      leastAvailable = Math.min(leastAvailable, pods.filter((p) => (p.status as any)?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length);
    });
    assert.equal(most, 3, 'one surge pod at a time');
    assert.equal(leastAvailable, 2, 'never below full availability');
    assert.equal((await get(w)).status!.updatedNumberScheduled, 2);
  } finally {
    await w.close();
  }
});

test('through the running controller: a DaemonSet covers every untainted node, and follows nodes as they come and go', async () => {
  const c = await testCluster([daemonSetController()]);
  const covered = async () => (await c.client.list(R.pods, 'default')).items.filter((p) => !p.metadata.deletionTimestamp).map((p) => targetNodeName(p as never)).sort();
  try {
    for (const n of ['node-a', 'node-b', 'node-c']) await c.client.create(R.nodes, undefined, node(n));
    await c.client.create(R.nodes, undefined, node('node-gpu', {}, { taints: [{ key: 'nvidia.com/gpu', value: 'true', effect: 'NoSchedule' }] }));
    await c.client.create(R.daemonsets, 'default', ds());
    await eventually(async () => JSON.stringify(await covered()) === JSON.stringify(['node-a', 'node-b', 'node-c']), 5000, 'a pod on each untainted node');
    await c.client.create(R.nodes, undefined, node('node-d'));
    await eventually(async () => (await covered()).includes('node-d'), 5000, 'a pod on the new node');
    await c.client.delete(R.nodes, undefined, 'node-a');
    await eventually(async () => !(await covered()).includes('node-a'), 5000, 'the pod of a removed node to go');
    await eventually(async () => ((await c.client.get(R.daemonsets, 'default', 'agent')).status as any)?.desiredNumberScheduled === 3, 5000, 'status');
    assert.deepEqual(c.errors.filter((e) => !String(e.err).includes('the object has been modified')), []);
  } finally {
    await c.stop();
  }
});
