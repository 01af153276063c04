// What a simulated node's kubelet decides, as pure reconciles (the shape issue 6's real kubelet
// shares): register the Node and keep its conditions and Lease fresh; move each pod bound to the
// node through Pending → Running → Ready on the configured delays, finish the pods that are meant
// to finish, and remove pods being deleted once their (simulated) containers have stopped.
//
// How a simulated pod knows it should finish:
//   - restartPolicy Never or OnFailure: its containers run for the node's run time (runMs), then
//     exit with code 0 — the pod Succeeds;
//   - annotation `sim.berth.dev/run-seconds: "<n>"` sets that run time for this pod (any
//     restartPolicy; with Always the containers restart after each run, restartCount counting up);
//   - annotation `sim.berth.dev/exit-code: "<n>"` makes them exit with that code: Never → Failed,
//     OnFailure and Always → restarted.
// And annotation `sim.berth.dev/ready: "false"` is the simulated failing readiness probe: the pod's
// running containers are (or become) not ready, the pod Ready=False, until it is removed or set
// to another value.
// Any image name is accepted; nothing is pulled or run.
import type { ContainerStatus, Node, NodeCondition, Pod, PodCondition, Taint } from 'kubernetes-types/core/v1.js';
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

// ---- pods ------------------------------------------------------------------------------------

export interface SimPodObservation {
  pod?: KubeObject;
  /** The node the pod is bound to, when it is one of ours. */
  node?: SimNodeSpec;
  stopped: boolean;
  /** Pod IPs already taken on the node by other pods. */
  usedIPs: ReadonlySet<string>;
}

type PodObj = KubeObject & Pod;

function ipv4(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function ipString(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The lowest free address of the node's pod CIDR (after the network and gateway addresses), if any. */
export function freePodIP(cidr: string, used: ReadonlySet<string>): string | undefined {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = ipv4(base!);
  for (let i = 2; i < size - 1; i++) {
    const ip = ipString(start + i);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

/** How long this pod's containers run before exiting, if they do. */
export function runTimeMs(pod: PodObj, t: SimTiming): number | undefined {
  const a = Number(pod.metadata.annotations?.[ANNOTATION_RUN_SECONDS]);
  if (pod.metadata.annotations?.[ANNOTATION_RUN_SECONDS] !== undefined && Number.isFinite(a) && a >= 0) return a * 1000;
  const policy = pod.spec?.restartPolicy ?? 'Always';
  return policy === 'Always' ? undefined : t.runMs;
}

/** The simulated readiness probe fails. */
export function readinessFails(pod: PodObj): boolean {
  return pod.metadata.annotations?.[ANNOTATION_READY] === 'false';
}

function exitCode(pod: PodObj): number {
  const v = Number(pod.metadata.annotations?.[ANNOTATION_EXIT_CODE] ?? 0);
  return Number.isInteger(v) ? v : 1;
}

const containerID = (pod: PodObj, name: string, restarts: number) => `berth-sim://${pod.metadata.uid}-${name}-${restarts}`;

/** A pod condition as a strategic-merge patch element: an absent reason or message is removed (null). */
function condition(type: string, status: boolean, at: string, reason?: string, message?: string): PodCondition {
  return { type, status: status ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: at, reason: reason ?? null, message: message ?? null } as unknown as PodCondition;
}

/** Keeps a condition's transition time when its status did not change. */
function keepTransition(pod: PodObj, c: PodCondition): PodCondition {
  const old = pod.status?.conditions?.find((x) => x.type === c.type);
  return old && old.status === c.status && old.lastTransitionTime ? { ...c, lastTransitionTime: old.lastTransitionTime } : c;
}

function statusPatch(pod: PodObj, status: Record<string, unknown>): Action {
  const conditions = (status.conditions as PodCondition[] | undefined)?.map((c) => keepTransition(pod, c));
  return {
    kind: 'patch',
    resource: R.pods,
    namespace: pod.metadata.namespace!,
    name: pod.metadata.name!,
    patchType: 'application/strategic-merge-patch+json',
    patch: { status: conditions ? { ...status, conditions } : status },
    subresource: 'status',
  };
}

interface RunState {
  startedAt: string;
  restarts: number;
  ready: boolean;
  last?: ContainerStatus['lastState'];
}

/** The status of a pod whose containers run (ready or not), written at `at`. */
function runningStatus(pod: PodObj, node: SimNodeSpec, ip: string, startTime: string, run: RunState, at: string): Record<string, unknown> {
  const names = (pod.spec?.containers ?? []).map((c) => c.name);
  const notReady = run.ready ? undefined : `containers with unready status: [${names.join(' ')}]`;
  const init = (pod.spec?.initContainers ?? []).map((c) => ({
    name: c.name,
    image: c.image,
    imageID: '',
    containerID: containerID(pod, c.name, 0),
    ready: c.restartPolicy === 'Always',
    restartCount: 0,
    started: c.restartPolicy === 'Always',
    state: c.restartPolicy === 'Always'
      ? { running: { startedAt: startTime } }
      : { terminated: { exitCode: 0, reason: 'Completed', startedAt: startTime, finishedAt: startTime, containerID: containerID(pod, c.name, 0) } },
    lastState: {},
  }));
  return {
    phase: 'Running',
    conditions: [
      condition('PodReadyToStartContainers', true, startTime),
      condition('Initialized', true, startTime),
      condition('Ready', run.ready, at, notReady ? 'ContainersNotReady' : undefined, notReady),
      condition('ContainersReady', run.ready, at, notReady ? 'ContainersNotReady' : undefined, notReady),
    ],
    hostIP: node.internalIP,
    hostIPs: [{ ip: node.internalIP }],
    podIP: ip,
    podIPs: [{ ip }],
    startTime,
    ...(init.length ? { initContainerStatuses: init } : {}),
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      containerID: containerID(pod, c.name, run.restarts),
      ready: run.ready,
      restartCount: run.restarts,
      started: true,
      state: { running: { startedAt: run.startedAt } },
      lastState: run.last ?? {},
    })),
  };
}

function finishedStatus(pod: PodObj, code: number, finishedAt: string, startedAt: string, restarts: number): Record<string, unknown> {
  const ok = code === 0;
  const reason = ok ? 'PodCompleted' : 'PodFailed';
  return {
    phase: ok ? 'Succeeded' : 'Failed',
    conditions: [
      condition('PodReadyToStartContainers', false, finishedAt),
      condition('Initialized', true, pod.status?.startTime ?? finishedAt, ok ? 'PodCompleted' : undefined),
      condition('Ready', false, finishedAt, reason),
      condition('ContainersReady', false, finishedAt, reason),
    ],
    containerStatuses: (pod.spec?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      containerID: containerID(pod, c.name, restarts),
      ready: false,
      restartCount: restarts,
      started: false,
      state: { terminated: { exitCode: code, reason: ok ? 'Completed' : 'Error', startedAt, finishedAt, containerID: containerID(pod, c.name, restarts) } },
      lastState: {},
    })),
  };
}

/** One pod on a simulated node. */
export function reconcileSimPod(o: SimPodObservation, now: Instant): Decision {
  const pod = o.pod as PodObj | undefined;
  const node = o.node;
  if (!pod || !node || o.stopped) return { actions: [] };
  const t = node.timing;
  const m = pod.metadata;
  if (m.deletionTimestamp) {
    const requested = ms(m.deletionTimestamp) - (m.deletionGracePeriodSeconds ?? 0) * 1000;
    const at = requested + t.deleteDelayMs;
    if (now < at) return { actions: [], requeueAfterMs: at - now };
    return { actions: [{ kind: 'delete', resource: R.pods, namespace: m.namespace!, name: m.name!, options: { gracePeriodSeconds: 0, preconditions: { uid: m.uid! } } }] };
  }
  const status = pod.status ?? {};
  const phase = status.phase ?? 'Pending';
  if (phase === 'Succeeded' || phase === 'Failed') return { actions: [] };

  if (!status.startTime || phase === 'Pending') {
    const scheduled = status.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'True')?.lastTransitionTime ?? m.creationTimestamp;
    const startAt = (ms(scheduled) || now) + t.startDelayMs;
    if (now < startAt) return { actions: [], requeueAfterMs: startAt - now };
    const ip = status.podIP ?? freePodIP(node.podCIDR, o.usedIPs);
    if (!ip) return { actions: [], requeueAfterMs: 1000 };
    const start = rfc3339(now);
    const ready = t.readyDelayMs <= 0 && !readinessFails(pod);
    const actions = [statusPatch(pod, runningStatus(pod, node, ip, start, { startedAt: start, restarts: 0, ready }, start))];
    const run = runTimeMs(pod, t);
    const next = Math.min(ready ? Infinity : t.readyDelayMs, run ?? Infinity);
    return Number.isFinite(next) ? { actions, requeueAfterMs: Math.max(1, next) } : { actions };
  }

  // Running.
  const cs = status.containerStatuses?.[0];
  const startedAt = cs?.state?.running?.startedAt ?? status.startTime;
  const started = ms(startedAt);
  const restarts = cs?.restartCount ?? 0;
  const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  const ip = status.podIP!;
  const run = runTimeMs(pod, t);
  const doneAt = run === undefined ? Infinity : started + run;
  if (now >= doneAt) {
    const code = exitCode(pod);
    const finished = rfc3339(now);
    const policy = pod.spec?.restartPolicy ?? 'Always';
    if (policy === 'Always' || (policy === 'OnFailure' && code !== 0)) {
      const last = { terminated: { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: finished, containerID: containerID(pod, cs?.name ?? '', restarts) } };
      const readyNow = t.readyDelayMs <= 0 && !readinessFails(pod);
      const actions = [statusPatch(pod, runningStatus(pod, node, ip, status.startTime, { startedAt: finished, restarts: restarts + 1, ready: readyNow, last }, finished))];
      return { actions, requeueAfterMs: Math.max(1, Math.min(readyNow ? Infinity : t.readyDelayMs, run!)) };
    }
    return { actions: [statusPatch(pod, finishedStatus(pod, code, finished, startedAt, restarts))] };
  }
  const startTime = status.startTime;
  const later = (actions: Action[]): Decision => (Number.isFinite(doneAt) ? { actions, requeueAfterMs: Math.max(1, doneAt - now) } : { actions });
  const setReady = (r: boolean) => [statusPatch(pod, runningStatus(pod, node, ip, startTime, { startedAt, restarts, ready: r, ...(cs?.lastState ? { last: cs.lastState } : {}) }, rfc3339(now)))];
  // A failing readiness probe: no requeue needed, the annotation's removal is a pod update.
  if (readinessFails(pod)) return later(ready ? setReady(false) : []);
  if (!ready) {
    const readyAt = started + t.readyDelayMs;
    if (now >= readyAt) return later(setReady(true));
    return { actions: [], requeueAfterMs: Math.min(readyAt, doneAt) - now };
  }
  return later([]);
}
