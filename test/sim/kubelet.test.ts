// The simulated kubelet's pure reconciles: what it writes, and when it asks to look again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { defaultTiming, freePodIP, reconcileSimNode, reconcileSimPod, simNodeObject, type SimNodeSpec } from '../../src/sim/kubelet.js';
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

/** Applies a status patch as the server's strategic merge would for these fields. */
function apply(pod: KubeObject, a: Action): KubeObject {
  assert.equal(a.kind, 'patch');
  const st = (a as { patch: { status: Record<string, unknown> } }).patch.status;
  const old = (pod.status ?? {}) as Record<string, unknown>;
  const conds = [...((old.conditions as { type: string }[]) ?? [])];
  for (const c of (st.conditions as { type: string }[]) ?? []) {
    const i = conds.findIndex((x) => x.type === c.type);
    const merged = Object.fromEntries(Object.entries({ ...(i >= 0 ? conds[i] : {}), ...c }).filter(([, v]) => v !== null)) as { type: string };
    if (i >= 0) conds[i] = merged;
    else conds.push(merged);
  }
  return { ...pod, status: { ...old, ...st, conditions: conds } };
}

const cond = (p: KubeObject, type: string) => ((p.status as Pod['status'])!.conditions ?? []).find((c) => c.type === type);

test('a pod goes Pending → Running → Ready on the delays, with an IP from the node’s range', () => {
  let pod = pending();
  const early = reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 100);
  assert.deepEqual(early, { actions: [], requeueAfterMs: 400 });
  const start = reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set(['10.244.1.2']) }, T0 + 600);
  assert.equal(start.requeueAfterMs, 1000);
  pod = apply(pod, start.actions[0]!);
  const st = pod.status as NonNullable<Pod['status']>;
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '10.244.1.3');
  assert.deepEqual(st.podIPs, [{ ip: '10.244.1.3' }]);
  assert.equal(st.hostIP, '172.16.0.3');
  assert.equal(cond(pod, 'Ready')?.status, 'False');
  assert.equal(cond(pod, 'Ready')?.reason, 'ContainersNotReady');
  assert.equal(cond(pod, 'Ready')?.message, 'containers with unready status: [c]');
  assert.equal(st.containerStatuses![0]!.state!.running!.startedAt, rfc3339(T0 + 600));
  assert.equal(st.containerStatuses![0]!.ready, false);
  const ready = reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 1700);
  pod = apply(pod, ready.actions[0]!);
  assert.equal(cond(pod, 'Ready')?.status, 'True');
  assert.equal(cond(pod, 'Ready')?.reason, undefined);
  assert.equal(cond(pod, 'ContainersReady')?.status, 'True');
  assert.equal((pod.status as NonNullable<Pod['status']>).containerStatuses![0]!.ready, true);
  // Then nothing more for a long-running pod.
  assert.deepEqual(reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 60_000), { actions: [] });
  // A pod on a stopped node is left alone.
  assert.deepEqual(reconcileSimPod({ pod: pending(), node: spec, stopped: true, usedIPs: new Set() }, T0 + 60_000), { actions: [] });
});

test('Ready turns at the moment the pod becomes ready, not at container start', () => {
  let pod = pending();
  pod = apply(pod, reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 600).actions[0]!);
  pod = apply(pod, reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 1700).actions[0]!);
  assert.equal(cond(pod, 'Ready')?.lastTransitionTime, rfc3339(T0 + 1700));
  assert.equal(cond(pod, 'ContainersReady')?.lastTransitionTime, rfc3339(T0 + 1700));
  assert.equal(cond(pod, 'Initialized')?.lastTransitionTime, rfc3339(T0 + 600));
});

test('sim.berth.dev/ready: "false" is a failing readiness probe: the pod is Running and not Ready until it goes', () => {
  const annotate = (p: KubeObject, a: Record<string, string>) => ({ ...p, metadata: { ...p.metadata, annotations: a } });
  const step = (p: KubeObject, t: number) => {
    const d = reconcileSimPod({ pod: p, node: spec, stopped: false, usedIPs: new Set() }, t);
    return { pod: d.actions.reduce(apply, p), d };
  };
  // Failing from the start: Running, never Ready, and no polling while it fails.
  let { pod } = step(pending({}, { 'sim.berth.dev/ready': 'false' }), T0 + 600);
  for (let t = T0 + 700; t <= T0 + 10_000; t += 100) {
    const r = step(pod, t);
    assert.deepEqual(r.d, { actions: [] }, `at +${t - T0}ms`);
  }
  assert.equal((pod.status as NonNullable<Pod['status']>).phase, 'Running');
  assert.equal(cond(pod, 'Ready')?.status, 'False');
  // The probe passes: Ready at once (the ready delay has long passed), transition time now.
  let r = step(annotate(pod, {}), T0 + 11_000);
  assert.equal(r.d.actions.length, 1);
  pod = r.pod;
  assert.equal(cond(pod, 'Ready')?.status, 'True');
  assert.equal(cond(pod, 'Ready')?.lastTransitionTime, rfc3339(T0 + 11_000));
  // It fails again: not ready with upstream's reason and message, containers not ready, still Running.
  r = step(annotate(pod, { 'sim.berth.dev/ready': 'false' }), T0 + 12_000);
  pod = r.pod;
  const st = pod.status as NonNullable<Pod['status']>;
  assert.equal(st.phase, 'Running');
  assert.equal(cond(pod, 'Ready')?.status, 'False');
  assert.equal(cond(pod, 'Ready')?.reason, 'ContainersNotReady');
  assert.equal(cond(pod, 'Ready')?.message, 'containers with unready status: [c]');
  assert.equal(cond(pod, 'Ready')?.lastTransitionTime, rfc3339(T0 + 12_000));
  assert.equal(cond(pod, 'ContainersReady')?.status, 'False');
  assert.equal(st.containerStatuses![0]!.ready, false);
  assert.equal(st.containerStatuses![0]!.restartCount, 0);
  assert.equal(st.containerStatuses![0]!.state!.running!.startedAt, rfc3339(T0 + 600));
  assert.deepEqual(step(pod, T0 + 13_000).d, { actions: [] });
  // Any other value is a passing probe.
  assert.equal(cond(step(annotate(pod, { 'sim.berth.dev/ready': 'true' }), T0 + 14_000).pod, 'Ready')?.status, 'True');
});

test('run-to-completion pods succeed, fail, or restart by restartPolicy and exit code', () => {
  const run = (p: KubeObject, until: number) => {
    let pod = p;
    for (let t = T0; t <= until; t += 100) {
      const d = reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, t);
      for (const a of d.actions) pod = apply(pod, a);
    }
    return pod.status as NonNullable<Pod['status']>;
  };
  const ok = run(pending({ restartPolicy: 'Never' }), T0 + 6000);
  assert.equal(ok.phase, 'Succeeded');
  assert.equal(ok.containerStatuses![0]!.state!.terminated!.reason, 'Completed');
  const bad = run(pending({ restartPolicy: 'Never' }, { 'sim.berth.dev/exit-code': '2' }), T0 + 6000);
  assert.equal(bad.phase, 'Failed');
  assert.equal(bad.containerStatuses![0]!.state!.terminated!.exitCode, 2);
  assert.equal(bad.conditions!.find((c) => c.type === 'Ready')!.reason, 'PodFailed');
  const retry = run(pending({ restartPolicy: 'OnFailure' }, { 'sim.berth.dev/exit-code': '1', 'sim.berth.dev/run-seconds': '2' }), T0 + 5000);
  assert.equal(retry.phase, 'Running');
  assert.equal(retry.containerStatuses![0]!.restartCount, 2);
  assert.equal(retry.containerStatuses![0]!.lastState!.terminated!.exitCode, 1);
  const quick = run(pending({}, { 'sim.berth.dev/run-seconds': '1' }), T0 + 2000);
  assert.equal(quick.phase, 'Running');
  assert.ok(quick.containerStatuses![0]!.restartCount! >= 1);
  const forever = run(pending(), T0 + 20_000);
  assert.equal(forever.phase, 'Running');
  assert.equal(forever.containerStatuses![0]!.restartCount, 0);
});

test('a pod being deleted is removed after the delete delay, with grace 0 and its uid', () => {
  const pod = { ...pending(), metadata: { ...pending().metadata, deletionTimestamp: rfc3339(T0 + 30_000), deletionGracePeriodSeconds: 30 } };
  assert.deepEqual(reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 100), { actions: [], requeueAfterMs: 100 });
  const d = reconcileSimPod({ pod, node: spec, stopped: false, usedIPs: new Set() }, T0 + 200);
  assert.deepEqual(d.actions, [{ kind: 'delete', resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'default', name: 'p', options: { gracePeriodSeconds: 0, preconditions: { uid: 'pu' } } }]);
});

test('pod IPs: the lowest free address, never one in use', () => {
  assert.equal(freePodIP('10.244.0.0/24', new Set()), '10.244.0.2');
  assert.equal(freePodIP('10.244.0.0/30', new Set(['10.244.0.2'])), undefined);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 2, max: 254 }), { maxLength: 200 }), (used) => {
      const set = new Set(used.map((i) => `10.245.7.${i}`));
      const ip = freePodIP('10.245.7.0/24', set);
      if (set.size === 253) return ip === undefined;
      return ip !== undefined && !set.has(ip) && /^10\.245\.7\.(\d+)$/.test(ip) && Number(ip.split('.')[3]) >= 2 && Number(ip.split('.')[3]) <= 254;
    }),
  );
});
