// Seed 004 §16.2 (P-18): the scheduling constraints hold of every node: the requests of the pods
// bound to it fit its allocatable resources, and it runs no more pods than it allows.
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../model/object.js';
import { addResources, emptyResources, getResource, podRequests, toResources, type Resources } from '../../scheduler/resources.js';
import type { ClusterState, StateProperty } from './state.js';

type PodObj = KubeObject & Pod;
type NodeObj = KubeObject & Node;

/** A pod counts against its node until it has finished (upstream's NodeInfo drops Succeeded/Failed). */
const counts = (p: PodObj) => !!p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export function capacityViolations(s: ClusterState): string[] {
  const out: string[] = [];
  const used = new Map<string, { res: Resources; pods: number }>();
  for (const p of s.list('pods') as PodObj[]) {
    if (!counts(p)) continue;
    const node = p.spec!.nodeName!;
    let u = used.get(node);
    if (!u) used.set(node, (u = { res: emptyResources(), pods: 0 }));
    addResources(u.res, podRequests(p.spec));
    u.pods++;
  }
  for (const n of s.list('nodes') as NodeObj[]) {
    const u = used.get(n.metadata.name!);
    if (!u) continue;
    const alloc = toResources(n.status?.allocatable as Record<string, unknown> | undefined);
    const maxPods = Number(n.status?.allocatable?.pods ?? 110);
    if (u.pods > maxPods) out.push(`node ${n.metadata.name}: ${u.pods} pods > ${maxPods} allowed`);
    for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
      const want = getResource(u.res, r);
      const have = getResource(alloc, r);
      if (want > have && n.status?.allocatable?.[r] !== undefined) out.push(`node ${n.metadata.name}: ${r} requests ${want} > allocatable ${have}`);
    }
  }
  return out;
}

export const nodeCapacity: StateProperty = {
  kind: 'state',
  name: 'node-capacity',
  cite: 'seed 004 §16.2 (∀n: Σ resource(p) ≤ capacity(n)), P-18',
  check: capacityViolations,
};
