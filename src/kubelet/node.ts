// The Node a kubelet registers and keeps fresh (pkg/kubelet/kubelet_node_status.go and
// nodestatus/setters.go): its capacity and addresses, the four conditions a healthy kubelet
// reports, and its Lease in kube-node-lease. The object builders are pure; machineFacts reads
// the machine once.
import { readFileSync, statfsSync } from 'node:fs';
import { cpus, hostname, networkInterfaces, release } from 'node:os';
import type { NodeCondition } from 'kubernetes-types/core/v1.js';
import { rfc3339, rfc3339Micro, type Instant, type KubeObject } from '../model/object.js';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_MS = 10_000;
/** nodeStatusReportFrequency: unchanged status is re-posted this often. */
export const STATUS_REPORT_MS = 300_000;
export const KUBELET_VERSION = 'v1.32.0+berth';

export interface MachineFacts {
  cpus: number;
  memoryBytes: number;
  /** The kernel's limit on tasks, the smaller of kernel.pid_max and kernel.threads-max (pidlimit.Stats). */
  maxPIDs: number;
  ephemeralStorageBytes: number;
  hostname: string;
  internalIP: string;
  machineID: string;
  bootID: string;
  kernelVersion: string;
  osImage: string;
  architecture: string;
}

const read = (p: string, fallback = '') => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return fallback;
  }
};

export function machineFacts(dataDir: string, internalIP?: string): MachineFacts {
  const kb = Number(/MemTotal:\s+(\d+)/.exec(read('/proc/meminfo'))?.[1] ?? 0);
  let storage = 0;
  try {
    const s = statfsSync(dataDir);
    storage = s.blocks * s.bsize;
  } catch {
    storage = 0;
  }
  const ip =
    internalIP ||
    Object.values(networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ||
    '127.0.0.1';
  const limits = ['/proc/sys/kernel/pid_max', '/proc/sys/kernel/threads-max'].map((f) => Number(read(f).trim())).filter((n) => n > 0);
  return {
    cpus: cpus().length,
    memoryBytes: kb * 1024,
    maxPIDs: limits.length ? Math.min(...limits) : 0,
    ephemeralStorageBytes: storage,
    hostname: hostname(),
    internalIP: ip,
    machineID: read('/etc/machine-id').trim(),
    bootID: read('/proc/sys/kernel/random/boot_id').trim(),
    kernelVersion: release(),
    osImage: /^PRETTY_NAME="?([^"\n]*)"?/m.exec(read('/etc/os-release'))?.[1] ?? 'Linux',
    architecture: process.arch === 'x64' ? 'amd64' : process.arch,
  };
}

/** The conditions a healthy kubelet reports, in its order (setters.go). */
export function nodeConditions(old: NodeCondition[] | undefined, now: Instant): NodeCondition[] {
  const t = rfc3339(now);
  return [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
  ].map((c) => {
    const prev = old?.find((o) => o.type === c.type);
    return { ...c, lastHeartbeatTime: t, lastTransitionTime: prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : t };
  });
}

export function nodeStatus(f: MachineFacts, nodeName: string, runtimeVersion: string, old: NodeCondition[] | undefined, now: Instant, kubeletPort = 10250): Record<string, unknown> {
  const capacity = { cpu: String(f.cpus), memory: `${Math.floor(f.memoryBytes / 1024)}Ki`, pods: '110', 'ephemeral-storage': `${Math.floor(f.ephemeralStorageBytes / 1024)}Ki` };
  return {
    capacity,
    allocatable: capacity,
    conditions: nodeConditions(old, now),
    addresses: [
      { type: 'InternalIP', address: f.internalIP },
      { type: 'Hostname', address: nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
    nodeInfo: {
      machineID: f.machineID,
      systemUUID: f.machineID,
      bootID: f.bootID,
      kernelVersion: f.kernelVersion,
      osImage: f.osImage,
      containerRuntimeVersion: runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: f.architecture,
    },
  };
}

export function nodeObject(f: MachineFacts, nodeName: string, runtimeVersion: string, now: Instant, kubeletPort = 10250): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName,
      labels: {
        'beta.kubernetes.io/arch': f.architecture,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': f.architecture,
        'kubernetes.io/hostname': nodeName,
        'kubernetes.io/os': 'linux',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
    status: nodeStatus(f, nodeName, runtimeVersion, undefined, now, kubeletPort),
  };
}

export function leaseObject(nodeName: string, nodeUid: string, now: Instant): KubeObject {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: nodeUid }] },
    spec: { holderIdentity: nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: rfc3339Micro(now) },
  };
}
