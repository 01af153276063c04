// Scheduler, simulated nodes and node lifecycle together, in process: pods get placed and run,
// a pod too big for every node says so as upstream does, and a node that stops heartbeating is
// marked Unknown, tainted, and emptied of its pods after their toleration.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { testCluster, eventually } from '../controllers/harness.js';
import { nodeLifecycleController, taintEvictionController } from '../../src/controllers/nodelifecycle.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { SimNodes } from '../../src/sim/nodes.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';

const timing = { startDelayMs: 50, readyDelayMs: 100, runMs: 300, deleteDelayMs: 50, leaseRenewMs: 300 };

function podObject(name: string, extra: Record<string, unknown> = {}, cpu = '100m'): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'web' } },
    spec: { containers: [{ name: 'web', image: 'nginx', resources: { requests: { cpu, memory: '64Mi' } } }], ...extra },
  };
}

const cond = (o: KubeObject, type: string) => ((o.status as Pod['status'])?.conditions ?? []).find((c) => c.type === type);

test('pods are scheduled onto simulated nodes and run; an oversized pod reports why', async (t) => {
  const c = await testCluster([nodeLifecycleController({ gracePeriodMs: 1500 }), taintEvictionController()]);
  const scheduler = new Scheduler(c.client, { initialBackoffMs: 100, maxBackoffMs: 200 });
  await scheduler.start();
  const sim = new SimNodes(c.client, { count: 3, timing });
  await sim.start();
  t.after(async () => {
    sim.stop();
    scheduler.stop();
    await c.stop();
  });

  await eventually(async () => {
    const nodes = (await c.client.list(R.nodes, undefined)).items;
    return nodes.length === 3 && nodes.every((n) => cond(n, 'Ready')?.status === 'True');
  }, 5000, 'three Ready nodes');
  const lease = await eventually(() => c.client.get(R.leases, 'kube-node-lease', 'sim-node-0').catch(() => undefined), 5000, 'a node lease');
  assert.equal((lease.spec as { leaseDurationSeconds: number }).leaseDurationSeconds, 40);
  assert.equal((lease.metadata.ownerReferences ?? [])[0]?.kind, 'Node');

  for (let i = 0; i < 6; i++) await c.client.create(R.pods, 'default', podObject(`web-${i}`));
  const running = await eventually(async () => {
    const pods = (await c.client.list(R.pods, 'default')).items as (KubeObject & Pod)[];
    const ok = pods.filter((p) => p.status?.phase === 'Running' && cond(p, 'Ready')?.status === 'True');
    return ok.length === 6 ? ok : undefined;
  }, 8000, 'six running, ready pods');
  const byNode = new Map<string, number>();
  for (const p of running) {
    byNode.set(p.spec!.nodeName!, (byNode.get(p.spec!.nodeName!) ?? 0) + 1);
    assert.match(p.status!.podIP!, /^10\.244\.[0-2]\.\d+$/);
    assert.match(p.status!.hostIP!, /^172\.16\.0\.\d+$/);
    assert.ok(p.status!.startTime);
    assert.deepEqual(
      p.status!.conditions!.map((x) => x.type).sort(),
      ['ContainersReady', 'Initialized', 'PodReadyToStartContainers', 'PodScheduled', 'Ready'],
    );
    assert.equal(p.status!.containerStatuses![0]!.state!.running !== undefined, true);
  }
  // Least-allocated scoring and the default spreading put two on each node.
  assert.deepEqual([...byNode.values()].sort(), [2, 2, 2]);
  const ips = running.map((p) => p.status!.podIP);
  assert.equal(new Set(ips).size, ips.length, 'pod IPs are unique');
  const events = (await c.client.list(R.events, 'default')).items;
  assert.ok(events.some((e) => e.reason === 'Scheduled' && /^Successfully assigned default\/web-0 to sim-node-\d$/.test(e.message as string)));

  // Too big for any node.
  await c.client.create(R.pods, 'default', podObject('huge', {}, '64'));
  const huge = await eventually(async () => {
    const p = await c.client.get(R.pods, 'default', 'huge');
    return cond(p, 'PodScheduled')?.reason === 'Unschedulable' ? p : undefined;
  }, 5000, 'the Unschedulable condition');
  assert.equal(cond(huge, 'PodScheduled')?.status, 'False');
  const want = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
  assert.equal(cond(huge, 'PodScheduled')?.message, want);
  await eventually(async () => (await c.client.list(R.events, 'default')).items.some((e) => e.reason === 'FailedScheduling' && e.message === want && e.type === 'Warning'), 3000, 'a FailedScheduling event');

  // A bigger node joining lets it in: unschedulable pods are retried when the cluster changes.
  const big = new SimNodes(c.client, { count: 1, namePrefix: 'big-', firstIndex: 10, cpu: '128', timing });
  await big.start();
  t.after(() => big.stop());
  const placed = await eventually(async () => {
    const p = (await c.client.get(R.pods, 'default', 'huge')) as KubeObject & Pod;
    return p.status?.phase === 'Running' ? p : undefined;
  }, 8000, 'the big pod running');
  assert.equal(placed.spec!.nodeName, 'big-10');
  assert.match(placed.status!.podIP!, /^10\.244\.10\.\d+$/);

  // Run-to-completion pods succeed after their run time.
  await c.client.create(R.pods, 'default', podObject('once', { restartPolicy: 'Never' }));
  await c.client.create(R.pods, 'default', { ...podObject('fails', { restartPolicy: 'Never' }), metadata: { name: 'fails', namespace: 'default', annotations: { 'sim.berth.dev/exit-code': '3' } } });
  const done = (await eventually(async () => {
    const p = (await c.client.get(R.pods, 'default', 'once')) as KubeObject & Pod;
    return p.status?.phase === 'Succeeded' ? p : undefined;
  }, 8000, 'a succeeded pod')) as KubeObject & Pod;
  assert.equal(done.status!.containerStatuses![0]!.state!.terminated!.reason, 'Completed');
  assert.equal(cond(done, 'Ready')?.reason, 'PodCompleted');
  const failed = (await eventually(async () => {
    const p = (await c.client.get(R.pods, 'default', 'fails')) as KubeObject & Pod;
    return p.status?.phase === 'Failed' ? p : undefined;
  }, 8000, 'a failed pod')) as KubeObject & Pod;
  assert.equal(failed.status!.containerStatuses![0]!.state!.terminated!.exitCode, 3);

  // Graceful deletion: the node finishes the pod and it goes away.
  await c.client.delete(R.pods, 'default', 'web-0');
  await eventually(async () => c.client.get(R.pods, 'default', 'web-0').then(() => false, () => true), 5000, 'web-0 gone');
  assert.deepEqual(c.errors, []);
});

test('a node that stops heartbeating becomes Unknown, is tainted, and loses its pods after their toleration', async (t) => {
  const c = await testCluster([nodeLifecycleController({ gracePeriodMs: 1500 }), taintEvictionController()]);
  const scheduler = new Scheduler(c.client, { initialBackoffMs: 100, maxBackoffMs: 200 });
  await scheduler.start();
  const sim = new SimNodes(c.client, { count: 2, timing });
  await sim.start();
  t.after(async () => {
    sim.stop();
    scheduler.stop();
    await c.stop();
  });
  const pinned = (name: string, seconds?: number) =>
    podObject(name, {
      nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' },
      ...(seconds !== undefined ? { tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: seconds }] } : {}),
    });
  await c.client.create(R.pods, 'default', pinned('short', 1));
  await c.client.create(R.pods, 'default', pinned('default'));
  const created = await c.client.get(R.pods, 'default', 'default');
  // DefaultTolerationSeconds admission.
  assert.deepEqual((created.spec as Pod['spec'])!.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  await eventually(async () => {
    const pods = (await c.client.list(R.pods, 'default')).items;
    return pods.length === 2 && pods.every((p) => cond(p, 'Ready')?.status === 'True');
  }, 8000, 'both pods ready');

  sim.stopNode('sim-node-1');
  const node = (await eventually(async () => {
    const n = (await c.client.get(R.nodes, undefined, 'sim-node-1')) as KubeObject & Node;
    return cond(n, 'Ready')?.status === 'Unknown' && (n.spec?.taints ?? []).length === 2 ? n : undefined;
  }, 8000, 'the node Unknown and tainted')) as KubeObject & Node;
  const ready = cond(node, 'Ready')!;
  assert.equal(ready.reason, 'NodeStatusUnknown');
  assert.equal(ready.message, 'Kubelet stopped posting node status.');
  assert.equal(cond(node, 'MemoryPressure')?.status, 'Unknown');
  const taints = node.spec!.taints!.map((x) => `${x.key}:${x.effect}:${x.timeAdded ? 'timed' : 'untimed'}`).sort();
  assert.deepEqual(taints, ['node.kubernetes.io/unreachable:NoExecute:timed', 'node.kubernetes.io/unreachable:NoSchedule:untimed']);
  // Its pods are no longer ready.
  await eventually(async () => cond(await c.client.get(R.pods, 'default', 'default'), 'Ready')?.status === 'False', 3000, 'pods marked not ready');
  // The pod tolerating the taint for 1 s is evicted; the one with 300 s stays.
  const evicted = await eventually(async () => {
    const p = await c.client.get(R.pods, 'default', 'short');
    return p.metadata.deletionTimestamp ? p : undefined;
  }, 5000, 'the short-toleration pod evicted');
  assert.equal(cond(evicted, 'DisruptionTarget')?.reason, 'DeletionByTaintManager');
  assert.equal((await c.client.get(R.pods, 'default', 'default')).metadata.deletionTimestamp, undefined);
  const events = (await c.client.list(R.events, 'default')).items;
  assert.ok(events.some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/short'));
  assert.ok((await c.client.list(R.events, 'default')).items.some((e) => e.reason === 'NodeNotReady'));

  // The node comes back: Ready again, untainted, its pods ready again.
  sim.startNode('sim-node-1');
  await eventually(async () => {
    const n = (await c.client.get(R.nodes, undefined, 'sim-node-1')) as KubeObject & Node;
    return cond(n, 'Ready')?.status === 'True' && (n.spec?.taints ?? []).length === 0;
  }, 8000, 'the node Ready and untainted');
  await eventually(async () => cond(await c.client.get(R.pods, 'default', 'default'), 'Ready')?.status === 'True', 5000, 'the pod ready again');
  // The evicted pod is finished off by its node.
  await eventually(async () => c.client.get(R.pods, 'default', 'short').then(() => false, () => true), 5000, 'the evicted pod gone');
  assert.deepEqual(c.errors, []);
});

test('a higher-priority pod preempts a lower-priority one and takes its place', async (t) => {
  const c = await testCluster([]);
  const scheduler = new Scheduler(c.client, { initialBackoffMs: 100, maxBackoffMs: 200 });
  await scheduler.start();
  const sim = new SimNodes(c.client, { count: 1, cpu: '1', timing });
  await sim.start();
  t.after(async () => {
    sim.stop();
    scheduler.stop();
    await c.stop();
  });
  await c.client.create(R.pods, 'default', podObject('low', { priority: 0 }, '800m'));
  await eventually(async () => ((await c.client.get(R.pods, 'default', 'low')).status as Pod['status'])?.phase === 'Running', 5000, 'the low-priority pod running');
  await c.client.create(R.pods, 'default', podObject('high', { priority: 1000 }, '800m'));
  const high = (await eventually(async () => {
    const p = (await c.client.get(R.pods, 'default', 'high')) as KubeObject & Pod;
    return p.status?.phase === 'Running' ? p : undefined;
  }, 10_000, 'the high-priority pod running')) as KubeObject & Pod;
  assert.equal(high.spec!.nodeName, 'sim-node-0');
  assert.equal(high.status!.nominatedNodeName, 'sim-node-0');
  await eventually(async () => c.client.get(R.pods, 'default', 'low').then(() => false, () => true), 5000, 'the victim gone');
  const events = (await c.client.list(R.events, 'default')).items;
  assert.ok(events.some((e) => e.reason === 'Preempted' && e.message === `Preempted by pod ${high.metadata.uid} on node sim-node-0`));
  assert.ok(events.some((e) => e.reason === 'FailedScheduling' && e.message === '0/1 nodes are available: 1 Insufficient cpu.'));
});

test('pods started together on one node get distinct IPs (the node allocates addresses as host-local IPAM does)', async (t) => {
  const c = await testCluster([]);
  const sim = new SimNodes(c.client, { count: 1, timing });
  await sim.start();
  t.after(async () => {
    sim.stop();
    await c.stop();
  });
  // Bound directly (no scheduler), all at once, so the node's pod workers start them concurrently.
  await Promise.all(Array.from({ length: 24 }, (_, i) => c.client.create(R.pods, 'default', podObject(`p-${i}`, { nodeName: 'sim-node-0' }))));
  const running = await eventually(async () => {
    const pods = (await c.client.list(R.pods, 'default')).items as (KubeObject & Pod)[];
    return pods.length === 24 && pods.every((p) => p.status?.phase === 'Running') ? pods : undefined;
  }, 8000, 'all 24 running');
  const ips = running.map((p) => p.status!.podIP!);
  assert.equal(new Set(ips).size, 24, `duplicate pod IPs: ${ips.sort().join(' ')}`);
  // A pod's address is free again once it is gone.
  await c.client.delete(R.pods, 'default', 'p-0', { gracePeriodSeconds: 0 });
  await c.client.create(R.pods, 'default', podObject('again', { nodeName: 'sim-node-0' }));
  const again = (await eventually(async () => {
    const p = (await c.client.get(R.pods, 'default', 'again')) as KubeObject & Pod;
    return p.status?.podIP ? p : undefined;
  }, 5000, 'the new pod running')) as KubeObject & Pod;
  assert.ok(!ips.filter((ip) => ip !== running.find((p) => p.metadata.name === 'p-0')!.status!.podIP).includes(again.status!.podIP!));
  // The kubelet's start-up events on the node are all recorded (each its own Event).
  const events = await eventually(async () => {
    const evs = (await c.client.list(R.events, 'default')).items.filter((e) => (e.involvedObject as { kind: string }).kind === 'Node');
    return evs.length >= 6 ? evs : undefined;
  }, 3000, 'the node events');
  assert.deepEqual(events.map((e) => e.reason).sort(), ['NodeAllocatableEnforced', 'NodeHasNoDiskPressure', 'NodeHasSufficientMemory', 'NodeHasSufficientPID', 'NodeReady', 'Starting']);
});
