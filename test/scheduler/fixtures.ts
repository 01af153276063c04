// Small builders for scheduler tests: nodes and pods as the API would hold them.
import type { Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { podInfoOf, type PodInfo } from '../../src/scheduler/podinfo.js';
import { ClusterSnapshot } from '../../src/scheduler/snapshot.js';

export interface NodeOpts {
  cpu?: string;
  memory?: string;
  pods?: number;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  extra?: Record<string, string>;
}

export function node(name: string, o: NodeOpts = {}): Node {
  const alloc = { cpu: o.cpu ?? '4', memory: o.memory ?? '16Gi', pods: String(o.pods ?? 110), ...(o.extra ?? {}) };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { ...(o.taints ? { taints: o.taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity: alloc, allocatable: alloc },
  };
}

export interface PodOpts extends Partial<PodSpec> {
  ns?: string;
  cpu?: string;
  memory?: string;
  labels?: Record<string, string>;
  deleting?: boolean;
  nominated?: string;
}

let uid = 0;

export function pod(name: string, o: PodOpts = {}): Pod {
  const { ns, cpu, memory, labels, deleting, nominated, ...spec } = o;
  const requests: Record<string, string> = {};
  if (cpu) requests.cpu = cpu;
  if (memory) requests.memory = memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns ?? 'default',
      uid: `pod-${name}-${++uid}`,
      labels: labels ?? {},
      creationTimestamp: '2024-01-01T00:00:00Z',
      ...(deleting ? { deletionTimestamp: '2024-01-01T00:01:00Z' } : {}),
    },
    spec: {
      containers: [{ name: 'c', image: 'x', ...(cpu || memory ? { resources: { requests } } : {}) }],
      ...spec,
    },
    status: { phase: 'Pending', ...(nominated ? { nominatedNodeName: nominated } : {}) },
  };
}

export const info = (p: Pod): PodInfo => podInfoOf(p);

export function cluster(nodes: Node[], pods: Pod[] = [], namespaces: Record<string, Record<string, string>> = { default: {} }): ClusterSnapshot {
  const s = new ClusterSnapshot();
  for (const n of nodes) s.setNode(n);
  for (const [ns, labels] of Object.entries(namespaces)) s.setNamespace(ns, labels);
  for (const p of pods) s.addPod(podInfoOf(p));
  return s;
}
