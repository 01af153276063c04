// The scheduler's moves in the cluster model: the real decision (scheduler/schedule.ts) for each
// unbound pod, with the system default spreading selector the real scheduler gives it, and a move
// to each of the equally best nodes (upstream's selectHost picks one of them at random, so a
// checker that took only the first would never see the placements the others lead to).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../model/object.js';
import { ClusterSnapshot } from '../scheduler/snapshot.js';
import { podInfoOf } from '../scheduler/podinfo.js';
import { schedulePod } from '../scheduler/schedule.js';
import { controllerRef, defaultSelector } from '../scheduler/defaultselector.js';
import type { ClusterState } from './invariants/state.js';

export interface Placement {
  ns: string;
  name: string;
  node: string;
}

/** Every binding the scheduler may make in s: each unbound pod onto each of its best nodes, decided over the pods already bound. */
export function placements(s: ClusterState): Placement[] {
  const snap = new ClusterSnapshot();
  for (const object of s.list('nodes')) snap.setNode(object as never);
  const pods = s.list('pods') as (KubeObject & Pod)[];
  for (const p of pods) if (p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed') snap.addPod(podInfoOf(p));
  const out: Placement[] = [];
  for (const p of pods) {
    if (p.spec?.nodeName || p.metadata.deletionTimestamp) continue;
    const info = podInfoOf(p);
    // The controller by the reference's name, as upstream's listers look it up.
    const owner = controllerRef(info);
    const controller = owner && (owner.kind === 'ReplicaSet' || owner.kind === 'StatefulSet')
      ? s.list(owner.kind === 'ReplicaSet' ? 'replicasets' : 'statefulsets').find((o) => o.metadata.name === owner.name && o.metadata.namespace === info.namespace)
      : undefined;
    const services = s.list('services').filter((o) => o.metadata.namespace === info.namespace);
    const sel = defaultSelector(info, services, controller);
    const r = schedulePod(info, snap, { listTies: true, ...(sel ? { defaultSelector: sel } : {}) });
    if (r.kind !== 'scheduled') continue;
    for (const node of r.tied ?? [r.node]) out.push({ ns: p.metadata.namespace!, name: p.metadata.name!, node });
  }
  return out;
}
