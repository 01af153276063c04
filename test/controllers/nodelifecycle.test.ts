// Node lifecycle and taint-based eviction as pure functions: observations in, actions out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { reconcileNodeLifecycle, reconcileTaintEviction, taintEvictionController } from '../../src/controllers/nodelifecycle.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';
import { R } from '../../src/model/api.js';
import { rfc3339, rfc3339Micro, type KubeObject } from '../../src/model/object.js';
import type { Action } from '../../src/controllers/runtime.js';

const T0 = Date.parse('2024-05-01T10:00:00Z');

function node(extra: { conditions?: Node['status'] extends infer S ? S extends { conditions?: infer C } ? C : never : never; taints?: Taint[]; unschedulable?: boolean } = {}): KubeObject & Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1', uid: 'nu', creationTimestamp: rfc3339(T0 - 3600_000) },
    spec: { ...(extra.taints ? { taints: extra.taints } : {}), ...(extra.unschedulable ? { unschedulable: true } : {}) },
    status: {
      conditions: extra.conditions ?? [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', lastHeartbeatTime: rfc3339(T0), lastTransitionTime: rfc3339(T0 - 3600_000) },
        { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: rfc3339(T0), lastTransitionTime: rfc3339(T0 - 3600_000) },
      ],
    },
  };
}

const lease = (renew: number): KubeObject => ({ metadata: { name: 'n1', namespace: 'kube-node-lease' }, spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, renewTime: rfc3339Micro(renew) } });

function readyPod(name: string): KubeObject & Pod {
  return {
    metadata: { name, namespace: 'default', uid: `u-${name}` },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: rfc3339(T0 - 1000) }] },
  };
}

const writes = (a: Action[]) => a.filter((x) => !(x.kind === 'create' && x.bestEffort));
const eventsOf = (a: Action[]) => a.filter((x) => x.kind === 'create' && x.bestEffort).map((x) => {
  const o = (x as { object: KubeObject }).object;
  return `${o.type} ${o.reason} ${(o.involvedObject as { kind?: string; name: string }).name}: ${o.message}`;
});

test('a node whose Lease is fresh is left alone until the grace period would run out', () => {
  const d = reconcileNodeLifecycle({ node: node(), lease: lease(T0 + 20_000), pods: [] }, T0 + 30_000);
  assert.deepEqual(d.actions, []);
  // deadline = last renewal + 50 s (upstream's nodeMonitorGracePeriod)
  assert.equal(d.requeueAfterMs, 40_001);
});

test('a silent node goes Unknown, is tainted unreachable, and its pods are marked not ready', () => {
  const now = T0 + 51_000;
  const d = reconcileNodeLifecycle({ node: node(), lease: lease(T0), pods: [readyPod('a')] }, now);
  const [status, taints, podPatch] = writes(d.actions) as (Action & { patch: any; name: string })[];
  assert.equal(status!.kind, 'patch');
  assert.equal((status as { subresource?: string }).subresource, 'status');
  const conds = status!.patch.status.conditions as { type: string; status: string; reason: string; message: string; lastTransitionTime: string; lastHeartbeatTime: string }[];
  const ready = conds.find((c) => c.type === 'Ready')!;
  assert.deepEqual([ready.status, ready.reason, ready.message, ready.lastTransitionTime, ready.lastHeartbeatTime], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.', rfc3339(now), rfc3339(T0)]);
  // A condition the kubelet never posted is added as never updated.
  const disk = conds.find((c) => c.type === 'DiskPressure')!;
  assert.deepEqual([disk.status, disk.reason, disk.message], ['Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.']);
  assert.deepEqual(taints!.patch, {
    spec: { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: rfc3339(now) }] },
  });
  assert.equal(podPatch!.name, 'a');
  assert.equal(podPatch!.patch.status.conditions[0].status, 'False');
  assert.deepEqual(eventsOf(d.actions), ['Normal NodeNotReady n1: Node n1 status is now: NodeNotReady', 'Warning NodeNotReady a: Node is not ready']);
});

test('taints follow the conditions both ways, and taints others set are kept', () => {
  const user: Taint = { key: 'dedicated', value: 'db', effect: 'NoSchedule' };
  const notReady = node({
    conditions: [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady', lastHeartbeatTime: rfc3339(T0) }],
    taints: [user, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: rfc3339(T0 - 5000) }],
    unschedulable: true,
  });
  const d = reconcileNodeLifecycle({ node: notReady, lease: lease(T0), pods: [] }, T0 + 1000);
  const patch = writes(d.actions)[0] as { patch: { spec: { taints: Taint[] } } };
  assert.deepEqual(patch.patch.spec.taints, [
    user,
    { key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute', timeAdded: rfc3339(T0 + 1000) },
  ]);
  const recovered = node({ taints: [user, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: rfc3339(T0) }] });
  const r = reconcileNodeLifecycle({ node: recovered, lease: lease(T0), pods: [] }, T0 + 1000);
  assert.deepEqual((writes(r.actions)[0] as { patch: { spec: { taints: Taint[] } } }).patch.spec.taints, [user]);
  // A NoExecute taint without timeAdded gets one, so eviction deadlines are part of the state.
  const manual = node({ taints: [{ key: 'maintenance', effect: 'NoExecute' }] });
  const m = reconcileNodeLifecycle({ node: manual, lease: lease(T0), pods: [] }, T0 + 1000);
  assert.deepEqual((writes(m.actions)[0] as { patch: { spec: { taints: Taint[] } } }).patch.spec.taints, [{ key: 'maintenance', effect: 'NoExecute', timeAdded: rfc3339(T0 + 1000) }]);
  // A node that never posted status gets the startup grace period.
  const silent: KubeObject & Node = { ...node(), status: {} };
  assert.deepEqual(reconcileNodeLifecycle({ node: silent, pods: [] }, Date.parse(silent.metadata.creationTimestamp!) + 59_000).actions, []);
  const late = reconcileNodeLifecycle({ node: silent, pods: [] }, Date.parse(silent.metadata.creationTimestamp!) + 61_000);
  const conds = (writes(late.actions)[0] as { patch: { status: { conditions: { reason: string }[] } } }).patch.status.conditions;
  assert.ok(conds.every((c) => c.reason === 'NodeStatusNeverUpdated'));
});

const unreachable = (at: number): Taint => ({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: rfc3339(at) });

function podOn(tolerations: Toleration[], scheduledAt = T0 - 60_000): KubeObject & Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'pu' },
    spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x' }], tolerations },
    status: { phase: 'Running', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: rfc3339(scheduledAt) }] },
  };
}

test('taint eviction: at once when untolerated, after tolerationSeconds when tolerated, never when tolerated forever', () => {
  const n = node({ taints: [unreachable(T0)] });
  const untolerated = reconcileTaintEviction({ pod: podOn([]), node: n }, T0 + 10);
  assert.deepEqual(eventsOf(untolerated.actions), ['Normal TaintManagerEviction p: Marking for deletion Pod default/p']);
  const [cond, del] = writes(untolerated.actions) as (Action & { patch?: any })[];
  assert.deepEqual(cond!.patch.status.conditions[0], {
    type: 'DisruptionTarget',
    status: 'True',
    reason: 'DeletionByTaintManager',
    message: 'Taint manager: deleting due to NoExecute taint',
    lastTransitionTime: rfc3339(T0 + 10),
  });
  assert.deepEqual(del, { kind: 'delete', resource: { group: '', version: 'v1', resource: 'pods' }, namespace: 'default', name: 'p', options: { preconditions: { uid: 'pu' } } });
  const tol: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 };
  assert.deepEqual(reconcileTaintEviction({ pod: podOn([tol]), node: n }, T0 + 1000), { actions: [], requeueAfterMs: 299_000 });
  assert.equal(writes(reconcileTaintEviction({ pod: podOn([tol]), node: n }, T0 + 300_000).actions).at(-1)!.kind, 'delete');
  // Scheduled after the taint: counted from the binding.
  assert.deepEqual(reconcileTaintEviction({ pod: podOn([tol], T0 + 100_000), node: n }, T0 + 300_000), { actions: [], requeueAfterMs: 100_000 });
  const forever: Toleration = { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' };
  assert.deepEqual(reconcileTaintEviction({ pod: podOn([forever]), node: n }, T0 + 10_000_000), { actions: [] });
  // Already terminating or finished pods are left alone.
  const finished = { ...podOn([]), status: { phase: 'Succeeded' } };
  assert.deepEqual(reconcileTaintEviction({ pod: finished, node: n }, T0), { actions: [] });
});

test('taint eviction deadline: evicted exactly from the deadline on, and the requeue lands on it', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ key: fc.constantFrom('a', 'b'), seconds: fc.option(fc.integer({ min: -1, max: 600 }), { nil: undefined }) }), { maxLength: 3 }),
      fc.array(fc.record({ key: fc.constantFrom('a', 'b'), added: fc.integer({ min: 0, max: 100_000 }) }), { minLength: 1, maxLength: 2 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (tols, taintSpecs, offset) => {
        const taints: Taint[] = taintSpecs.map((t) => ({ key: t.key, effect: 'NoExecute', timeAdded: rfc3339(T0 + t.added * 1000) }));
        const tolerations: Toleration[] = tols.map((t) => ({ key: t.key, operator: 'Exists', effect: 'NoExecute', ...(t.seconds !== undefined ? { tolerationSeconds: t.seconds } : {}) }));
        const n = node({ taints });
        const pod = podOn(tolerations);
        // The rule, independently: every taint needs a toleration; the first matching one per taint bounds the wait.
        const used = taints.map((t) => tolerations.find((x) => x.key === t.key));
        let deadline: number;
        if (used.some((u) => !u)) deadline = -Infinity;
        else {
          const secs = used.map((u) => u!.tolerationSeconds).filter((s): s is number => s !== undefined);
          const wait = secs.some((s) => s <= 0) ? 0 : secs.length ? Math.min(...secs) * 1000 : Infinity;
          deadline = Math.max(...taints.map((t) => Date.parse(t.timeAdded!)), T0 - 60_000) + wait;
        }
        const now = T0 + offset * 1000;
        const d = reconcileTaintEviction({ pod, node: n }, now);
        const evicted = d.actions.some((a) => a.kind === 'delete');
        assert.equal(evicted, now >= deadline, JSON.stringify({ taints, tolerations, now, deadline }));
        if (!evicted && Number.isFinite(deadline)) assert.equal(now + d.requeueAfterMs!, deadline);
        if (!evicted && !Number.isFinite(deadline)) assert.equal(d.requeueAfterMs, undefined);
      },
    ),
  );
});

test('taint eviction looks at a pod only on a node with a NoExecute taint; the taint arriving brings the node\'s pods', () => {
  const c = taintEvictionController();
  const [podWatch, nodeWatch] = c.watches;
  const clean = node();
  const tainted = node({ taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] });
  const pod = readyPod('p');
  const view = (n: KubeObject) => new SnapshotView([{ resource: R.nodes, object: n }, { resource: R.pods, object: pod }]);
  assert.deepEqual(podWatch!.keys(pod, view(clean)), []);
  assert.deepEqual(podWatch!.keys(pod, view(tainted)), ['default/p']);
  assert.deepEqual(podWatch!.keys(pod, new SnapshotView([{ resource: R.pods, object: pod }])), [], 'an unknown node: its arrival brings the pod');
  assert.deepEqual(nodeWatch!.keys(tainted, view(tainted)), ['default/p']);
  assert.deepEqual(nodeWatch!.keys(clean, view(clean)), []);
});
