// A simulated node's kubelet. The node part is pure reconciles here: register the Node and keep
// its conditions and Lease fresh. Its pods are synced by the real kubelet's decision over an
// in-memory runtime (sim/pods.ts, sim/runtime.ts): sandbox, init containers in order, app
// containers, restarts with CrashLoopBackOff, graceful termination, status as upstream's.
//
// What a simulated container does (the node's timing, and these pod annotations):
//   - restartPolicy Never or OnFailure: its containers run for the node's run time (runMs), then
//     exit with code 0 — the pod Succeeds;
//   - annotation `sim.berth.dev/run-seconds: "<n>"` sets that run time for this pod (any
//     restartPolicy; with Always the containers are restarted after each run with the kubelet's
//     back-off, restartCount counting up);
//   - annotation `sim.berth.dev/exit-code: "<n>"` makes them exit with that code: Never → Failed,
//     OnFailure and Always → restarted.
// Sandboxes take startDelayMs to come up; a stopped container takes deleteDelayMs (at most its
// grace period) to end. Every app container is probed for readiness: it passes readyDelayMs after
// the container starts, and annotation `sim.berth.dev/ready: "false"` is the failing probe (the
// pod Running, not Ready, until it is removed or set to another value).
// Any image name is accepted; nothing is pulled or run.
import type { Node, NodeCondition, Pod, Taint } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { R } from '../model/api.js';
import { rfc3339, rfc3339Micro, type Instant, type KubeObject } from '../model/object.js';
import { eventAction, type Action, type Decision } from '../controllers/runtime.js';

export const ANNOTATION_RUN_SECONDS = 'sim.berth.dev/run-seconds';
export const ANNOTATION_EXIT_CODE = 'sim.berth.dev/exit-code';
export const ANNOTATION_READY = 'sim.berth.dev/ready';
export const SIM_NODE_ANNOTATION = 'sim.berth.dev/node';
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface SimTiming {
  /** From binding to Running. */
  startDelayMs: number;
  /** From Running to Ready. */
  readyDelayMs: number;
  /** How long run-to-completion containers run. */
  runMs: number;
  /** From a deletion request to the pod's removal. */
  deleteDelayMs: number;
  /** Lease renewal interval (kubelet: a quarter of the lease duration). */
  leaseRenewMs: number;
  /** Lease duration, seconds (kubelet's nodeLeaseDurationSeconds). */
  leaseDurationSeconds: number;
  /** Re-post unchanged node status this often (kubelet's nodeStatusReportFrequency). */
  statusReportMs: number;
}

export const defaultTiming: SimTiming = {
  startDelayMs: 500,
  readyDelayMs: 1000,
  runMs: 1000,
  deleteDelayMs: 200,
  leaseRenewMs: 10_000,
  leaseDurationSeconds: 40,
  statusReportMs: 300_000,
};

export interface SimNodeSpec {
  name: string;
  cpu: string;
  memory: string;
  pods: number;
  ephemeralStorage: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** e.g. 10.244.3.0/24 */
  podCIDR: string;
  internalIP: string;
  timing: SimTiming;
}

const lastHeartbeat = (n: Node) => n.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime;
const ms = (t: string | undefined) => (t ? Date.parse(t) : NaN);

/** The conditions a healthy kubelet reports (setters.go), in its order. */
function healthyConditions(): { type: string; status: string; reason: string; message: string }[] {
  return [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ];
}

function nodeConditions(old: NodeCondition[] | undefined, now: Instant): NodeCondition[] {
  const t = rfc3339(now);
  return healthyConditions().map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    return { ...c, lastHeartbeatTime: t, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : t };
  });
}

/** The Node a simulated kubelet registers. */
export function simNodeObject(spec: SimNodeSpec, now: Instant): KubeObject {
  const capacity = { cpu: spec.cpu, memory: spec.memory, pods: String(spec.pods), 'ephemeral-storage': spec.ephemeralStorage };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        type: 'sim',
        ...spec.labels,
      },
      annotations: { [SIM_NODE_ANNOTATION]: 'true', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: { podCIDR: spec.podCIDR, podCIDRs: [spec.podCIDR], ...(spec.taints.length ? { taints: spec.taints } : {}) },
    status: {
      capacity,
      allocatable: capacity,
      conditions: nodeConditions(undefined, now),
      addresses: [
        { type: 'InternalIP', address: spec.internalIP },
        { type: 'Hostname', address: spec.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: spec.name,
        systemUUID: spec.name,
        bootID: spec.name,
        kernelVersion: 'berth-sim',
        osImage: 'Berth simulated node',
        containerRuntimeVersion: 'berth-sim://0.1.0',
        kubeletVersion: 'v1.32.0+berth',
        kubeProxyVersion: 'v1.32.0+berth',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

export interface SimNodeObservation {
  spec?: SimNodeSpec;
  /** The node was stopped: it neither heartbeats nor tends its pods (a simulated failure). */
  stopped: boolean;
  node?: KubeObject;
  lease?: KubeObject;
}

/** How often a stopped node looks again whether it has been started. */
const STOPPED_POLL_MS = 1000;

/** Registration, node status and the Lease heartbeat. */
export function reconcileSimNode(o: SimNodeObservation, now: Instant): Decision {
  const spec = o.spec;
  if (!spec) return { actions: [] };
  if (o.stopped) return { actions: [], requeueAfterMs: STOPPED_POLL_MS };
  const t = spec.timing;
  const actions: Action[] = [];
  const node = o.node as (KubeObject & Node) | undefined;
  if (!node) {
    actions.push({ kind: 'create', resource: R.nodes, object: simNodeObject(spec, now) });
    return { actions };
  }
  const conds = node.status?.conditions ?? [];
  const healthy = healthyConditions().every((h) => conds.some((c) => c.type === h.type && c.status === h.status && c.reason === h.reason));
  const status = (reason: string) => eventAction(node, 'Normal', reason, `Node ${spec.name} status is now: ${reason}`, now, 'kubelet', actions.length);
  if (!o.lease) {
    // The kubelet's start: what `kubectl describe node` lists first.
    actions.push(eventAction(node, 'Normal', 'Starting', 'Starting kubelet.', now, 'kubelet', 0));
    // One at a time: each event's name takes its place in the list (arguments of one push would share it).
    for (const reason of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) actions.push(status(reason));
    actions.push(eventAction(node, 'Normal', 'NodeAllocatableEnforced', 'Updated Node Allocatable limit across pods', now, 'kubelet', actions.length));
  }
  if (conds.find((c) => c.type === 'Ready')?.status !== 'True' || !o.lease) actions.push(status('NodeReady'));
  const beat = ms(lastHeartbeat(node));
  let nextReport = t.statusReportMs;
  if (!healthy || !(beat + t.statusReportMs > now)) {
    actions.push({
      kind: 'patch',
      resource: R.nodes,
      name: spec.name,
      patchType: 'application/strategic-merge-patch+json',
      patch: { status: { conditions: nodeConditions(conds, now) } },
      subresource: 'status',
    });
  } else nextReport = beat + t.statusReportMs - now;

  const lease = o.lease as (KubeObject & Lease) | undefined;
  let nextRenew = t.leaseRenewMs;
  if (!lease) {
    actions.push({
      kind: 'create',
      resource: R.leases,
      namespace: NODE_LEASE_NAMESPACE,
      object: {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name: spec.name,
          namespace: NODE_LEASE_NAMESPACE,
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: spec.name, uid: node.metadata.uid! }],
        },
        spec: { holderIdentity: spec.name, leaseDurationSeconds: t.leaseDurationSeconds, renewTime: rfc3339Micro(now) },
      },
    });
  } else {
    const renewed = ms(lease.spec?.renewTime as string | undefined);
    if (!(renewed + t.leaseRenewMs > now)) {
      actions.push({
        kind: 'patch',
        resource: R.leases,
        namespace: NODE_LEASE_NAMESPACE,
        name: spec.name,
        patchType: 'application/merge-patch+json',
        patch: { spec: { holderIdentity: spec.name, leaseDurationSeconds: t.leaseDurationSeconds, renewTime: rfc3339Micro(now) } },
      });
    } else nextRenew = renewed + t.leaseRenewMs - now;
  }
  return { actions, requeueAfterMs: Math.max(1, Math.min(nextRenew, nextReport)) };
}

// ---- what a simulated pod's containers do (sim/pods.ts runs them through the kubelet's sync) ---

type PodObj = KubeObject & Pod;

/** The run time a pod's annotations ask for (sim.berth.dev/run-seconds), if any. */
export function annotatedRunMs(annotations: Record<string, string> | undefined): number | undefined {
  const v = annotations?.[ANNOTATION_RUN_SECONDS];
  const a = Number(v);
  return v !== undefined && Number.isFinite(a) && a >= 0 ? a * 1000 : undefined;
}

/** How long this pod's containers run before exiting, if they do. */
export function runTimeMs(pod: PodObj, t: SimTiming): number | undefined {
  const asked = annotatedRunMs(pod.metadata.annotations);
  if (asked !== undefined) return asked;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return policy === 'Always' ? undefined : t.runMs;
}

/** The simulated readiness probe fails. */
export function readinessFails(pod: PodObj): boolean {
  return pod.metadata.annotations?.[ANNOTATION_READY] === 'false';
}

/** The code a pod's containers exit with (sim.berth.dev/exit-code; 0 when absent). */
export function simExitCode(annotations: Record<string, string> | undefined): number {
  const v = Number(annotations?.[ANNOTATION_EXIT_CODE] ?? 0);
  return Number.isInteger(v) ? v : 1;
}
