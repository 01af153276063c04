// `kubectl logs` on the kubelet's side (pkg/kubelet/kubelet_pods.go validateContainerLogStatus and
// kuberuntime/logs/logs.go ReadLogs): which container instance a request means, given the pod's
// status, and how its lines are written out: the last `tailLines`, then those since a time, each
// optionally prefixed by its RFC 3339 timestamp, cut at `limitBytes`.
import type { ContainerStatus, Pod } from 'kubernetes-types/core/v1.js';
import { rfc3339Nano } from '../../engine/logs.js';
import type { LogLine } from '../runtime.js';

export interface KubeletLogOptions {
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  /** Unix nanoseconds; earlier lines are skipped. */
  sinceNano?: bigint;
  limitBytes?: number;
}

const flag = (q: URLSearchParams, name: string) => {
  const v = q.get(name);
  return v === 'true' || v === '1';
};

/** The query of /containerLogs (PodLogOptions as parameters); `nowNano` resolves sinceSeconds. */
export function parseLogQuery(q: URLSearchParams, nowNano: bigint): KubeletLogOptions {
  const int = (name: string) => {
    const v = q.get(name);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Error(`invalid value for ${name}: ${JSON.stringify(v)}`);
    return n;
  };
  const opts: KubeletLogOptions = { follow: flag(q, 'follow'), previous: flag(q, 'previous'), timestamps: flag(q, 'timestamps') };
  const tail = int('tailLines');
  if (tail !== undefined) opts.tailLines = Math.max(0, tail);
  const limit = int('limitBytes');
  if (limit !== undefined) opts.limitBytes = limit;
  const sinceSeconds = int('sinceSeconds');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined) opts.sinceNano = nowNano - BigInt(sinceSeconds) * 1_000_000_000n;
  else if (sinceTime) {
    const ms = Date.parse(sinceTime);
    if (Number.isNaN(ms)) throw new Error(`invalid value for sinceTime: ${JSON.stringify(sinceTime)}`);
    opts.sinceNano = BigInt(ms) * 1_000_000n;
  }
  return opts;
}

/** The runtime's ID in a status's containerID ("berth://<id>"). */
const runtimeId = (containerID: string) => containerID.replace(/^[a-z0-9]+:\/\//, '');

/**
 * The runtime ID of the container instance whose logs are asked for, or the kubelet's error text
 * (validateContainerLogStatus, word for word).
 */
export function logContainerId(pod: Pod, containerName: string, previous: boolean): { id: string } | { error: string } {
  const podName = pod.metadata?.name ?? '';
  const all: ContainerStatus[] = [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.ephemeralContainerStatuses ?? [])];
  const st = all.find((s) => s.name === containerName);
  const q = JSON.stringify;
  if (!st) return { error: `container ${q(containerName)} in pod ${q(podName)} is not available` };
  const { running, terminated, waiting } = st.state ?? {};
  const last = st.lastState?.terminated;
  if (previous) {
    if (!last?.containerID) return { error: `previous terminated container ${q(containerName)} in pod ${q(podName)} not found` };
    return { id: runtimeId(last.containerID) };
  }
  if (running) {
    if (!st.containerID) return { error: `container ${q(containerName)} in pod ${q(podName)} is waiting to start - no logs yet` };
    return { id: runtimeId(st.containerID) };
  }
  if (terminated) {
    const id = terminated.containerID || last?.containerID;
    return id ? { id: runtimeId(id) } : { error: `container ${q(containerName)} in pod ${q(podName)} is terminated` };
  }
  if (last) return last.containerID ? { id: runtimeId(last.containerID) } : { error: `container ${q(containerName)} in pod ${q(podName)} is terminated` };
  if (waiting) {
    if (waiting.reason === 'ErrImagePull') return { error: `container ${q(containerName)} in pod ${q(podName)} is waiting to start: image can't be pulled` };
    if (waiting.reason === 'ImagePullBackOff') return { error: `container ${q(containerName)} in pod ${q(podName)} is waiting to start: trying and failing to pull image` };
    return { error: `container ${q(containerName)} in pod ${q(podName)} is waiting to start: ${waiting.reason ?? ''}` };
  }
  return { error: `container ${q(containerName)} in pod ${q(podName)} is waiting to start - no logs yet` };
}

/**
 * Writes log lines as the kubelet does: lines older than `sinceNano` are skipped, a timestamp
 * prefixes each when asked, and output stops after `limitBytes` (mid-line, as upstream's
 * LimitWriter). `line` returns false once the limit is reached.
 */
export class LogFormatter {
  private left: number;

  constructor(
    private readonly opts: Pick<KubeletLogOptions, 'timestamps' | 'sinceNano' | 'limitBytes'>,
    private readonly out: (b: Buffer) => void,
  ) {
    this.left = opts.limitBytes ?? Infinity;
  }

  get done(): boolean {
    return this.left <= 0;
  }

  line(l: LogLine): boolean {
    if (this.left <= 0) return false;
    if (this.opts.sinceNano !== undefined && l.timeNano < this.opts.sinceNano) return true;
    const b = this.opts.timestamps ? Buffer.concat([Buffer.from(`${rfc3339Nano(l.timeNano)} `), l.line]) : l.line;
    const part = b.length > this.left ? b.subarray(0, this.left) : b;
    this.left -= part.length;
    this.out(part);
    return this.left > 0;
  }
}
