// Node lifecycle (upstream pkg/controller/nodelifecycle) and taint-based eviction
// (pkg/controller/tainteviction), as two pure reconciles:
//
// - nodeLifecycleController, per node: a node whose kubelet has not renewed its Lease (nor posted
//   status) within the grace period gets its Ready, MemoryPressure, DiskPressure and PIDPressure
//   conditions set to Unknown ("Kubelet stopped posting node status."), a NodeNotReady event, its
//   pods marked not Ready, and the taints that follow from its conditions: Ready=Unknown →
//   node.kubernetes.io/unreachable (NoExecute with timeAdded, and NoSchedule), Ready=False →
//   node.kubernetes.io/not-ready, pressure conditions and spec.unschedulable → their NoSchedule
//   taints. A node that recovers loses them again.
// - taintEvictionController, per pod: a pod on a node with NoExecute taints it does not tolerate
//   is deleted at once; one that tolerates them for tolerationSeconds is deleted when that time
//   has passed, measured from the taint's timeAdded (or the pod's binding, if later). The pod
//   first gets the DisruptionTarget condition, and a TaintManagerEviction event is recorded.
//
// Time enters only as `now`; the moments things must happen come back as requeueAfterMs.
// Differences from upstream: the heartbeat is read from the Lease's renewTime and the Ready
// condition's lastHeartbeatTime rather than from when this controller saw them change; and a
// NoExecute taint without timeAdded (kubectl taint leaves it out) is given one, now, so that the
// eviction deadline is part of the cluster state rather than of this controller's memory.
import type { Node, NodeCondition, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { R, type PatchType } from '../model/api.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE, TAINT_NODE_UNSCHEDULABLE, toleratesTaint } from '../model/scheduling.js';
import type { Action, Controller, Decision } from './runtime.js';
import { eventAction, keyOf, splitKey } from './runtime.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
const SMP: PatchType = 'application/strategic-merge-patch+json';
const COMPONENT = 'node-controller';
const EVICTION_COMPONENT = 'taint-eviction-controller';

export interface NodeLifecycleOptions {
  /** nodeMonitorGracePeriod: how long a node may stay silent before it is Unknown (upstream default 50 s since 1.32). */
  gracePeriodMs?: number;
  /** nodeStartupGracePeriod: the same for a node that never posted its Ready condition. */
  startupGracePeriodMs?: number;
}

type NodeObj = KubeObject & Node;
type PodObj = KubeObject & Pod;

const MONITORED = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];

/** Condition → NoSchedule taint (TaintNodesByCondition). */
const CONDITION_TAINTS: { type: string; status: string; key: string }[] = [
  { type: 'Ready', status: 'False', key: TAINT_NODE_NOT_READY },
  { type: 'Ready', status: 'Unknown', key: TAINT_NODE_UNREACHABLE },
  { type: 'MemoryPressure', status: 'True', key: 'node.kubernetes.io/memory-pressure' },
  { type: 'DiskPressure', status: 'True', key: 'node.kubernetes.io/disk-pressure' },
  { type: 'NetworkUnavailable', status: 'True', key: 'node.kubernetes.io/network-unavailable' },
  { type: 'PIDPressure', status: 'True', key: 'node.kubernetes.io/pid-pressure' },
];
const MANAGED_NO_SCHEDULE = new Set([...CONDITION_TAINTS.map((c) => c.key), TAINT_NODE_UNSCHEDULABLE]);

export interface NodeLifecycleObservation {
  node?: NodeObj;
  lease?: KubeObject;
  pods: PodObj[];
}

const ms = (t: string | undefined | null) => (t ? Date.parse(t) : NaN);

/** The conditions after the grace period check, and whether they changed. */
function observedConditions(node: NodeObj, lease: KubeObject | undefined, now: Instant, opts: Required<NodeLifecycleOptions>) {
  const conds = node.status?.conditions ?? [];
  const ready = conds.find((c) => c.type === 'Ready');
  const grace = ready ? opts.gracePeriodMs : opts.startupGracePeriodMs;
  const renew = ms((lease as (KubeObject & Lease) | undefined)?.spec?.renewTime as string | undefined);
  const beat = ready ? ms(ready.lastHeartbeatTime) : ms(node.metadata.creationTimestamp);
  const probe = Math.max(Number.isNaN(renew) ? -Infinity : renew, Number.isNaN(beat) ? -Infinity : beat, ms(node.metadata.creationTimestamp) || -Infinity);
  const deadline = probe + grace;
  if (now <= deadline) return { conditions: conds, changed: false, deadline };
  const t = rfc3339(now);
  let changed = false;
  const next: NodeCondition[] = conds.map((c) => ({ ...c }));
  for (const type of MONITORED) {
    const c = next.find((x) => x.type === type);
    if (!c) {
      next.push({
        type,
        status: 'Unknown',
        reason: 'NodeStatusNeverUpdated',
        message: 'Kubelet never posted node status.',
        lastHeartbeatTime: node.metadata.creationTimestamp!,
        lastTransitionTime: t,
      });
      changed = true;
    } else if (c.status !== 'Unknown') {
      c.status = 'Unknown';
      c.reason = 'NodeStatusUnknown';
      c.message = 'Kubelet stopped posting node status.';
      c.lastTransitionTime = t;
      changed = true;
    }
  }
  return { conditions: next, changed, deadline: Infinity };
}

const sameTaint = (a: Taint, b: Taint) => a.key === b.key && a.effect === b.effect;

/** The taints the node should carry given its conditions; taints others manage are kept as they are. */
function desiredTaints(node: NodeObj, conds: NodeCondition[], now: Instant): Taint[] {
  const current = node.spec?.taints ?? [];
  const status = (type: string) => conds.find((c) => c.type === type)?.status;
  const want: Taint[] = [];
  for (const c of CONDITION_TAINTS) if (status(c.type) === c.status) want.push({ key: c.key, effect: 'NoSchedule' });
  if (node.spec?.unschedulable) want.push({ key: TAINT_NODE_UNSCHEDULABLE, effect: 'NoSchedule' });
  const ready = status('Ready');
  if (ready === 'False') want.push({ key: TAINT_NODE_NOT_READY, effect: 'NoExecute' });
  if (ready === 'Unknown') want.push({ key: TAINT_NODE_UNREACHABLE, effect: 'NoExecute' });
  const managed = (t: Taint) =>
    (t.effect === 'NoSchedule' && MANAGED_NO_SCHEDULE.has(t.key)) || (t.effect === 'NoExecute' && (t.key === TAINT_NODE_NOT_READY || t.key === TAINT_NODE_UNREACHABLE));
  const out: Taint[] = [];
  for (const t of current) {
    if (!managed(t)) out.push(t.effect === 'NoExecute' && !t.timeAdded ? { ...t, timeAdded: rfc3339(now) } : t);
    else if (want.some((w) => sameTaint(w, t))) out.push(t);
  }
  for (const w of want) {
    if (out.some((t) => sameTaint(t, w))) continue;
    out.push(w.effect === 'NoExecute' ? { ...w, timeAdded: rfc3339(now) } : w);
  }
  return out;
}

const taintsEqual = (a: Taint[], b: Taint[]) =>
  a.length === b.length && a.every((t, i) => t.key === b[i]!.key && t.effect === b[i]!.effect && (t.value ?? '') === (b[i]!.value ?? '') && t.timeAdded === b[i]!.timeAdded);

export function reconcileNodeLifecycle(o: NodeLifecycleObservation, now: Instant, options: NodeLifecycleOptions = {}): Decision {
  const node = o.node;
  if (!node) return { actions: [] };
  const opts = { gracePeriodMs: options.gracePeriodMs ?? 50_000, startupGracePeriodMs: options.startupGracePeriodMs ?? 60_000 };
  const name = node.metadata.name!;
  const actions: Action[] = [];
  const { conditions, changed, deadline } = observedConditions(node, o.lease, now, opts);
  const wasReady = node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (changed) {
    actions.push({ kind: 'patch', resource: R.nodes, name, patchType: SMP, patch: { status: { conditions } }, subresource: 'status' });
    if (wasReady) actions.push(eventAction(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`, now, COMPONENT));
  }
  const taints = desiredTaints(node, conditions, now);
  if (!taintsEqual(taints, node.spec?.taints ?? [])) {
    actions.push({ kind: 'patch', resource: R.nodes, name, patchType: 'application/merge-patch+json', patch: { spec: { taints: taints.length ? taints : null } } });
  }
  // MarkPodsNotReady: a node that is not Ready has no ready pods.
  if (conditions.find((c) => c.type === 'Ready')?.status !== 'True') {
    let seq = 1;
    for (const pod of o.pods) {
      const ready = pod.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status !== 'True' || pod.metadata.deletionTimestamp) continue;
      actions.push({
        kind: 'patch',
        resource: R.pods,
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name!,
        patchType: SMP,
        patch: { status: { conditions: [{ ...ready, status: 'False', lastTransitionTime: rfc3339(now) }] } },
        subresource: 'status',
      });
      actions.push(eventAction(pod, 'Warning', 'NodeNotReady', 'Node is not ready', now, COMPONENT, seq++));
    }
  }
  return Number.isFinite(deadline) ? { actions, requeueAfterMs: Math.max(1, deadline - now + 1) } : { actions };
}

export function nodeLifecycleController(options: NodeLifecycleOptions = {}): Controller<NodeLifecycleObservation> {
  const notReady = (n: KubeObject | undefined) => !!n && (n as NodeObj).status?.conditions?.find((c) => c.type === 'Ready')?.status !== 'True';
  return {
    name: 'node-lifecycle',
    watches: [
      { resource: R.nodes, keys: (o) => [o.metadata.name!] },
      // A renewal only moves the deadline, which the requeue after each reconcile comes back at
      // (upstream reads leases from its lister in a periodic sweep, and handles no lease events).
      { resource: R.leases, keys: (o) => (o.metadata.namespace === NODE_LEASE_NAMESPACE ? [o.metadata.name!] : []), changed: () => false },
      {
        resource: R.pods,
        keys: (o, view) => {
          const node = (o.spec as { nodeName?: string } | undefined)?.nodeName;
          return node && notReady(view.get(R.nodes, undefined, node)) ? [node] : [];
        },
        // A pod matters when it lands on a node (upstream's podUpdated), not as its status moves.
        changed: (o, old) => (o.spec as { nodeName?: string } | undefined)?.nodeName !== (old.spec as { nodeName?: string } | undefined)?.nodeName,
      },
    ],
    observe(key, view) {
      const node = view.get(R.nodes, undefined, key) as NodeObj | undefined;
      const lease = view.get(R.leases, NODE_LEASE_NAMESPACE, key);
      const pods = node && notReady(node) ? (view.podsOnNode(key) as PodObj[]) : [];
      return { ...(node ? { node } : {}), ...(lease ? { lease } : {}), pods };
    },
    reconcile: (obs, now) => reconcileNodeLifecycle(obs, now, options),
  };
}

// ---- taint-based eviction --------------------------------------------------------------------

export interface TaintEvictionObservation {
  pod?: PodObj;
  node?: NodeObj;
}

/** GetMatchingTolerations: the first toleration of each taint, or undefined if one is not tolerated. */
function matchingTolerations(taints: Taint[], tolerations: Toleration[]): Toleration[] | undefined {
  const used: Toleration[] = [];
  for (const t of taints) {
    const tol = tolerations.find((x) => toleratesTaint(x, t));
    if (!tol) return undefined;
    used.push(tol);
  }
  return used;
}

/** getMinTolerationTime in ms: 0 for none or a non-positive one, Infinity when none is bounded. */
function minTolerationMs(used: Toleration[]): number {
  if (used.length === 0) return 0;
  let min = Infinity;
  for (const t of used) {
    if (t.tolerationSeconds === undefined || t.tolerationSeconds === null) continue;
    if (t.tolerationSeconds <= 0) return 0;
    min = Math.min(min, t.tolerationSeconds * 1000);
  }
  return min;
}

export function reconcileTaintEviction(o: TaintEvictionObservation, now: Instant): Decision {
  const pod = o.pod;
  const node = o.node;
  if (!pod || !node || pod.metadata.deletionTimestamp || pod.spec?.nodeName !== node.metadata.name) return { actions: [] };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { actions: [] };
  const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
  if (taints.length === 0) return { actions: [] };
  const used = matchingTolerations(taints, pod.spec?.tolerations ?? []);
  let at = now;
  if (used) {
    const wait = minTolerationMs(used);
    if (wait === Infinity) return { actions: [] };
    const since = Math.max(
      ...taints.map((t) => ms(t.timeAdded) || now),
      ms(pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime) || -Infinity,
    );
    at = since + wait;
  }
  if (now < at) return { actions: [], requeueAfterMs: at - now };
  const ns = pod.metadata.namespace!;
  const name = pod.metadata.name!;
  return {
    actions: [
      eventAction(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`, now, EVICTION_COMPONENT),
      {
        kind: 'patch',
        resource: R.pods,
        namespace: ns,
        name,
        patchType: SMP,
        patch: {
          status: {
            conditions: [
              { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint', lastTransitionTime: rfc3339(now) },
            ],
          },
        },
        subresource: 'status',
      },
      { kind: 'delete', resource: R.pods, namespace: ns, name, options: { preconditions: { uid: pod.metadata.uid! } } },
    ],
  };
}

export function taintEvictionController(): Controller<TaintEvictionObservation> {
  const hasNoExecute = (n: KubeObject) => ((n as NodeObj).spec?.taints ?? []).some((t) => t.effect === 'NoExecute');
  return {
    name: 'taint-eviction',
    watches: [
      {
        resource: R.pods,
        // Only a pod on a node with NoExecute taints can be evicted; a node gaining one brings its pods (below).
        keys: (o, view) => {
          const node = (o.spec as { nodeName?: string } | undefined)?.nodeName;
          const n = node ? view.get(R.nodes, undefined, node) : undefined;
          return n && hasNoExecute(n) ? [keyOf(o)] : [];
        },
        // Eviction depends on where a pod runs and what it tolerates, not on its status.
        changed: (o, old) => o.metadata.deletionTimestamp !== old.metadata.deletionTimestamp || !deepEqual(o.spec, old.spec),
      },
      { resource: R.nodes, keys: (o, view) => (hasNoExecute(o) ? view.podsOnNode(o.metadata.name!).map(keyOf) : []) },
    ],
    observe(key, view) {
      const { namespace, name } = splitKey(key);
      const pod = view.get(R.pods, namespace, name) as PodObj | undefined;
      const nodeName = pod?.spec?.nodeName;
      const node = nodeName ? (view.get(R.nodes, undefined, nodeName) as NodeObj | undefined) : undefined;
      return { ...(pod ? { pod } : {}), ...(node ? { node } : {}) };
    },
    reconcile: reconcileTaintEviction,
  };
}
