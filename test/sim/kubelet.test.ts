// The simulated kubelet: the node's pure reconciles, and its pods synced by the kubelet's own
// decision over the in-memory runtime: what it writes, and when it asks to look again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { defaultTiming, reconcileSimNode, simNodeObject, type SimNodeSpec } from '../../src/sim/kubelet.js';
import { SimPodWorkers } from '../../src/sim/pods.js';
import { freePodIP } from '../../src/sim/runtime.js';
import { rfc3339, rfc3339Micro, type KubeObject } from '../../src/model/object.js';
import type { Action } from '../../src/controllers/runtime.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');
const timing = { ...defaultTiming, startDelayMs: 500, readyDelayMs: 1000, runMs: 5000, deleteDelayMs: 200 };
const spec: SimNodeSpec = {
  name: 'n1',
  cpu: '4',
  memory: '16Gi',
  pods: 110,
  ephemeralStorage: '100Gi',
  labels: { pool: 'a' },
  taints: [],
  podCIDR: '10.244.1.0/24',
  internalIP: '172.16.0.3',
  timing,
};

const writes = (actions: Action[]) => actions.filter((a) => !(a.kind === 'create' && a.bestEffort));
const events = (actions: Action[]) => actions.filter((a) => a.kind === 'create' && a.bestEffort).map((a) => (a as { object: KubeObject }).object.reason);

test('a node registers, then heartbeats through its Lease every renew interval', () => {
  const r1 = reconcileSimNode({ spec, stopped: false }, T0);
  assert.equal(r1.actions.length, 1);
  const created = (r1.actions[0] as { object: KubeObject }).object;
  assert.equal(created.metadata.labels!['kubernetes.io/hostname'], 'n1');
  assert.equal(created.metadata.labels!.pool, 'a');
  assert.deepEqual((created.status as { capacity: unknown }).capacity, { cpu: '4', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' });
  const registered = simNodeObject(spec, T0);
  const node: KubeObject = { ...registered, metadata: { ...registered.metadata, uid: 'u1', creationTimestamp: rfc3339(T0) } };
  const r2 = reconcileSimNode({ spec, stopped: false, node }, T0 + 10);
  assert.deepEqual(events(r2.actions), ['Starting', 'NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID', 'NodeAllocatableEnforced', 'NodeReady']);
  const eventNames = r2.actions.filter((a) => a.kind === 'create' && a.bestEffort).map((a) => (a as { object: KubeObject }).object.metadata.name);
  assert.equal(new Set(eventNames).size, eventNames.length, `event names collide: ${eventNames.join(' ')}`);
  const lease = (writes(r2.actions)[0] as { object: KubeObject }).object;
  assert.equal(lease.metadata.namespace, 'kube-node-lease');
  assert.deepEqual(lease.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'u1' }]);
  assert.deepEqual(lease.spec, { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: rfc3339Micro(T0 + 10) });
  const fresh = { ...lease, metadata: { ...lease.metadata, resourceVersion: '5' } };
  const r3 = reconcileSimNode({ spec, stopped: false, node, lease: fresh }, T0 + 4010);
  assert.deepEqual(r3.actions, []);
  assert.equal(r3.requeueAfterMs, 6000);
  const r4 = reconcileSimNode({ spec, stopped: false, node, lease: fresh }, T0 + 10_010);
  assert.deepEqual(writes(r4.actions).map((a) => [a.kind, (a as { patch?: { spec: { renewTime: string } } }).patch?.spec.renewTime]), [['patch', rfc3339Micro(T0 + 10_010)]]);
  // A stopped node does nothing but look again later.
  assert.deepEqual(reconcileSimNode({ spec, stopped: true, node, lease: fresh }, T0 + 60_000).actions, []);
  // A node marked Unknown by the lifecycle controller reports itself Ready again.
  const unknown = { ...node, status: { ...(node.status as object), conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] } };
  const r5 = reconcileSimNode({ spec, stopped: false, node: unknown, lease: fresh }, T0 + 5000);
  assert.deepEqual(events(r5.actions), ['NodeReady']);
  const patch = writes(r5.actions)[0] as { subresource: string; patch: { status: { conditions: { type: string; status: string }[] } } };
  assert.equal(patch.subresource, 'status');
  assert.deepEqual(patch.patch.status.conditions.map((c) => `${c.type}=${c.status}`), ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True']);
});

function pending(extra: Partial<Pod['spec']> = {}, annotations: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'pu', creationTimestamp: rfc3339(T0), annotations },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'img' }], ...extra },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(T0) }] },
  };
}

/** Applies a status write as the server does: the whole status of the pod it was decided from. */
function apply(pod: KubeObject, a: Action): KubeObject {
  assert.equal(a.kind, 'update');
  const u = a as { object: KubeObject; subresource?: string };
  assert.equal(u.subresource, 'status');
  assert.equal(u.object.metadata.uid, pod.metadata.uid);
  return { ...pod, status: JSON.parse(JSON.stringify(u.object.status)) as unknown };
}

const cond = (p: KubeObject, type: string) => ((p.status as Pod['status'])!.conditions ?? []).find((c) => c.type === type);
const status = (p: KubeObject) => p.status as NonNullable<Pod['status']>;

/** A node's pod worker and one pod on it, stepped by hand. */
function worker() {
  const w = new SimPodWorkers(() => T0);
  const sync = (pod: KubeObject | undefined, t: number, key = 'default/p') => w.sync({ key, ...(pod ? { pod } : {}), node: spec, stopped: false }, t);
  /** Syncs at t and applies the status write; the decision too. */
  const step = (pod: KubeObject, t: number) => {
    const d = sync(pod, t);
    return { pod: d.actions.filter((a) => a.kind === 'update').reduce(apply, pod), d };
  };
  /** Syncs every 100 ms from T0 to `until`. */
  const run = (p: KubeObject, until: number) => {
    let pod = p;
    for (let t = T0; t <= until; t += 100) pod = step(pod, t).pod;
    return pod;
  };
  return { w, sync, step, run };
}

test('a pod goes ContainerCreating → Running → Ready on the delays, with an IP from the node’s range', () => {
  const { w, sync, step } = worker();
  // bound: the sandbox is asked for; ContainerCreating while the network comes up (startDelay)
  let r = step(pending(), T0);
  let pod = r.pod;
  assert.equal(r.d.requeueAfterMs, 500);
  assert.equal(status(pod).phase, 'Pending');
  assert.deepEqual(status(pod).containerStatuses![0]!.state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(cond(pod, 'PodReadyToStartContainers')?.status, 'False');
  assert.equal(cond(pod, 'PodScheduled')?.status, 'True');
  assert.deepEqual(sync(pod, T0 + 100), { actions: [], requeueAfterMs: 400 });
  // up: containers start, Running, not ready until the ready delay has passed
  r = step(pod, T0 + 500);
  pod = r.pod;
  assert.equal(r.d.requeueAfterMs, 1000);
  assert.equal(status(pod).phase, 'Running');
  assert.equal(status(pod).podIP, '10.244.1.2');
  assert.deepEqual(status(pod).podIPs, [{ ip: '10.244.1.2' }]);
  assert.equal(status(pod).hostIP, '172.16.0.3');
  assert.equal(status(pod).qosClass, 'BestEffort');
  assert.equal(cond(pod, 'Ready')?.status, 'False');
  assert.equal(cond(pod, 'Ready')?.reason, 'ContainersNotReady');
  assert.equal(cond(pod, 'Ready')?.message, 'containers with unready status: [c]');
  const cs = status(pod).containerStatuses![0]!;
  assert.equal(cs.state!.running!.startedAt, rfc3339(T0 + 500));
  assert.match(cs.containerID!, /^berth-sim:\/\/[0-9a-f]{64}$/);
  assert.equal(cs.ready, false);
  assert.equal(cs.started, true);
  r = step(pod, T0 + 1500);
  pod = r.pod;
  assert.equal(cond(pod, 'Ready')?.status, 'True');
  assert.equal(cond(pod, 'Ready')?.reason, undefined);
  assert.equal(cond(pod, 'Ready')?.lastTransitionTime, rfc3339(T0 + 1500));
  assert.equal(cond(pod, 'Initialized')?.lastTransitionTime, rfc3339(T0));
  assert.equal(cond(pod, 'ContainersReady')?.status, 'True');
  assert.equal(status(pod).containerStatuses![0]!.ready, true);
  // then nothing more for a long-running pod
  assert.deepEqual(sync(pod, T0 + 60_000), { actions: [] });
  // a second pod on the node gets the next address
  const other = { ...pending(), metadata: { ...pending().metadata, name: 'q', uid: 'qu' } };
  let q: KubeObject = other;
  for (const t of [T0, T0 + 500]) q = sync(q, t, 'default/q').actions.filter((a) => a.kind === 'update').reduce(apply, q);
  assert.equal(status(q).podIP, '10.244.1.3');
  assert.equal(w.runtime('n1')!.podUids().length, 2);
  // a pod on a stopped node is left alone
  assert.deepEqual(w.sync({ key: 'default/x', pod: pending(), node: spec, stopped: true }, T0), { actions: [] });
});

test('sim.berth.dev/ready: "false" is a failing readiness probe: the pod is Running and not Ready until it goes', () => {
  const { step } = worker();
  const annotate = (p: KubeObject, a: Record<string, string>) => ({ ...p, metadata: { ...p.metadata, annotations: a } });
  // failing from the start: Running, never Ready, and no polling while it fails
  let pod = step(pending({}, { 'sim.berth.dev/ready': 'false' }), T0).pod;
  pod = step(pod, T0 + 500).pod;
  for (let t = T0 + 600; t <= T0 + 10_000; t += 100) assert.deepEqual(step(pod, t).d, { actions: [] }, `at +${t - T0}ms`);
  assert.equal(status(pod).phase, 'Running');
  assert.equal(cond(pod, 'Ready')?.status, 'False');
  // the probe passes: Ready at once (the ready delay has long passed), transition time now
  let r = step(annotate(pod, {}), T0 + 11_000);
  assert.equal(r.d.actions.length, 1);
  pod = r.pod;
  assert.equal(cond(pod, 'Ready')?.status, 'True');
  assert.equal(cond(pod, 'Ready')?.lastTransitionTime, rfc3339(T0 + 11_000));
  // it fails again: not ready with upstream's reason and message, containers not ready, still Running
  pod = step(annotate(pod, { 'sim.berth.dev/ready': 'false' }), T0 + 12_000).pod;
  assert.equal(status(pod).phase, 'Running');
  assert.equal(cond(pod, 'Ready')?.status, 'False');
  assert.equal(cond(pod, 'Ready')?.reason, 'ContainersNotReady');
  assert.equal(cond(pod, 'Ready')?.message, 'containers with unready status: [c]');
  assert.equal(cond(pod, 'Ready')?.lastTransitionTime, rfc3339(T0 + 12_000));
  assert.equal(cond(pod, 'ContainersReady')?.status, 'False');
  assert.equal(status(pod).containerStatuses![0]!.ready, false);
  assert.equal(status(pod).containerStatuses![0]!.restartCount, 0);
  assert.equal(status(pod).containerStatuses![0]!.state!.running!.startedAt, rfc3339(T0 + 500));
  assert.deepEqual(step(pod, T0 + 13_000).d, { actions: [] });
  // any other value is a passing probe
  assert.equal(cond(step(annotate(pod, { 'sim.berth.dev/ready': 'true' }), T0 + 14_000).pod, 'Ready')?.status, 'True');
});

test('run-to-completion pods succeed or fail by exit code; restarts wait out the kubelet’s CrashLoopBackOff', () => {
  const ok = status(worker().run(pending({ restartPolicy: 'Never' }), T0 + 6000));
  assert.equal(ok.phase, 'Succeeded');
  assert.equal(ok.containerStatuses![0]!.state!.terminated!.reason, 'Completed');
  assert.equal(ok.containerStatuses![0]!.state!.terminated!.finishedAt, rfc3339(T0 + 5500));
  assert.equal(ok.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodCompleted');
  const bad = status(worker().run(pending({ restartPolicy: 'Never' }, { 'sim.berth.dev/exit-code': '2' }), T0 + 6000));
  assert.equal(bad.phase, 'Failed');
  assert.equal(bad.containerStatuses![0]!.state!.terminated!.exitCode, 2);
  assert.equal(bad.containerStatuses![0]!.state!.terminated!.reason, 'Error');
  // OnFailure, exit 1 after 2 s: the first restart at once (upstream's back-off arms on it), the
  // next 10 s after the second exit, then 20 s
  const retry = worker();
  let pod = retry.run(pending({ restartPolicy: 'OnFailure' }, { 'sim.berth.dev/exit-code': '1', 'sim.berth.dev/run-seconds': '2' }), T0 + 5000);
  let cs = status(pod).containerStatuses![0]!;
  assert.equal(status(pod).phase, 'Running');
  assert.equal(cs.restartCount, 1);
  assert.equal(cs.state!.waiting!.reason, 'CrashLoopBackOff');
  assert.equal(cs.state!.waiting!.message, 'back-off 10s restarting failed container=c pod=p_default(pu)');
  assert.equal(cs.lastState!.terminated!.exitCode, 1);
  assert.equal(cs.lastState!.terminated!.finishedAt, rfc3339(T0 + 4500));
  for (let t = T0 + 5100; t <= T0 + 15_000; t += 100) pod = retry.step(pod, t).pod;
  cs = status(pod).containerStatuses![0]!;
  assert.equal(cs.restartCount, 2);
  assert.equal(cs.state!.running!.startedAt, rfc3339(T0 + 14_500));
  for (let t = T0 + 15_100; t <= T0 + 20_000; t += 100) pod = retry.step(pod, t).pod;
  assert.equal(status(pod).containerStatuses![0]!.state!.waiting!.message, 'back-off 20s restarting failed container=c pod=p_default(pu)');
  // a long-running pod stays up
  const forever = status(worker().run(pending(), T0 + 20_000));
  assert.equal(forever.phase, 'Running');
  assert.equal(forever.containerStatuses![0]!.restartCount, 0);
});

test('init containers run one at a time, in order, before the app containers', () => {
  const { step } = worker();
  let pod = pending({ initContainers: [{ name: 'i1', image: 'img' }, { name: 'i2', image: 'img' }] });
  pod = step(pod, T0).pod;
  assert.equal(cond(pod, 'Initialized')?.status, 'False');
  assert.deepEqual(status(pod).containerStatuses![0]!.state, { waiting: { reason: 'PodInitializing' } });
  pod = step(pod, T0 + 500).pod;
  const st = status(pod);
  assert.deepEqual(st.initContainerStatuses!.map((s) => [s.name, s.state!.terminated!.reason]), [['i1', 'Completed'], ['i2', 'Completed']]);
  assert.equal(cond(pod, 'Initialized')?.status, 'True');
  assert.equal(st.phase, 'Running');
});

test('a pod being deleted: its containers get their stop time (at most the grace period), then the final status and the delete with grace 0 and its uid', () => {
  const { w, step, sync } = worker();
  let pod = step(pending(), T0).pod;
  pod = step(pod, T0 + 500).pod;
  pod = step(pod, T0 + 1500).pod;
  pod = { ...pod, metadata: { ...pod.metadata, deletionTimestamp: rfc3339(T0 + 32_000), deletionGracePeriodSeconds: 30 } };
  assert.deepEqual(sync(pod, T0 + 2000), { actions: [], requeueAfterMs: 200 });
  assert.deepEqual(sync(pod, T0 + 2100), { actions: [], requeueAfterMs: 100 });
  const d = sync(pod, T0 + 2200);
  assert.equal(d.actions.length, 2);
  const final = apply(pod, d.actions[0]!);
  assert.equal(status(final).containerStatuses![0]!.state!.terminated!.finishedAt, rfc3339(T0 + 2200));
  assert.equal(cond(final, 'Ready')?.status, 'False');
  assert.deepEqual(d.actions[1], { kind: 'delete', resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'default', name: 'p', options: { gracePeriodSeconds: 0, preconditions: { uid: 'pu' } } });
  // gone from the API: gone from the runtime, its address free again (host-local hands out the next one first)
  assert.deepEqual(sync(undefined, T0 + 2300), { actions: [] });
  assert.equal(w.runtime('n1')!.podUids().length, 0);
  const next = step({ ...pending(), metadata: { ...pending().metadata, uid: 'pu2' } } as KubeObject, T0 + 3000).pod;
  assert.equal(status(step(next, T0 + 3500).pod).podIP, '10.244.1.3');
  assert.deepEqual(w.runtime('n1')!.podUids(), ['pu2']);
});

test('a restarted node process adopts its running pods as their status shows them: nothing is rewritten, no address is handed out twice', () => {
  const first = worker();
  let pod = first.step(pending(), T0).pod;
  pod = first.step(pod, T0 + 500).pod;
  pod = first.step(pod, T0 + 1500).pod;
  const again = new SimPodWorkers(() => T0);
  assert.deepEqual(again.sync({ key: 'default/p', pod, node: spec, stopped: false, nodePods: [pod] }, T0 + 5000), { actions: [] });
  // a finished pod is left as it is (its ended containers' statuses are kept)
  const done = { ...first.run({ ...pending({ restartPolicy: 'Never' }), metadata: { ...pending().metadata, name: 'd', uid: 'du' } } as KubeObject, T0 + 6000) };
  assert.equal(status(done).phase, 'Succeeded');
  assert.deepEqual(again.sync({ key: 'default/d', pod: done, node: spec, stopped: false }, T0 + 7000), { actions: [] });
  const q = { ...pending(), metadata: { ...pending().metadata, name: 'q', uid: 'qu' } };
  const q1 = again.sync({ key: 'default/q', pod: q, node: spec, stopped: false }, T0 + 5000).actions.reduce(apply, q);
  const q2 = again.sync({ key: 'default/q', pod: q1, node: spec, stopped: false }, T0 + 5500).actions.reduce(apply, q1);
  assert.equal(status(q2).podIP, '10.244.1.3');
});

test('pod IPs: the next free address after the last one handed out, wrapping, never one in use', () => {
  assert.equal(freePodIP('10.244.0.0/24', new Set()), '10.244.0.2');
  assert.equal(freePodIP('10.244.0.0/24', new Set(), '10.244.0.7'), '10.244.0.8');
  assert.equal(freePodIP('10.244.0.0/24', new Set(['10.244.0.2']), '10.244.0.254'), '10.244.0.3');
  assert.equal(freePodIP('10.244.0.0/30', new Set(['10.244.0.2'])), undefined);
  assert.equal(freePodIP('10.244.0.0/16', new Set(), '10.244.0.255'), '10.244.1.0');
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 2, max: 254 }), { maxLength: 200 }), fc.integer({ min: 2, max: 254 }), (used, last) => {
      const set = new Set(used.map((i) => `10.245.7.${i}`));
      const ip = freePodIP('10.245.7.0/24', set, `10.245.7.${last}`);
      if (set.size === 253) return ip === undefined;
      return ip !== undefined && !set.has(ip) && /^10\.245\.7\.(\d+)$/.test(ip) && Number(ip.split('.')[3]) >= 2 && Number(ip.split('.')[3]) <= 254;
    }),
  );
});
