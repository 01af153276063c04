// Volume placement: VolumeRestrictions' ReadWriteOncePod rule (one pod in the cluster per claim),
// a missing claim (the pod cannot start anywhere), VolumeBinding (a bound volume's node affinity,
// where a claim still to be provisioned can be, claims that must be bound first) and ReadWriteOnce
// exclusivity (seed 004 §4.2).
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { availableFor, bestVolume, BIND_COMPLETED } from '../../model/storage.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import { compileNodeSelector, type NodeMatcher } from '../../model/scheduling.js';
import { unresolvable, unschedulable, type Cycle, type FilterPlugin, type Status } from '../framework.js';
import type { PodInfo } from '../podinfo.js';
import type { NodeInfo, Snapshot } from '../snapshot.js';

export const ERR_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';
/**
 * VolumeBinding's reason for a bound volume whose node affinity the node misses. Upstream has no
 * scheduler reason for a ReadWriteOnce claim in use elsewhere (the second pod would hang in
 * ContainerCreating on a Multi-Attach error); an attached RWO volume behaves as a volume with node
 * affinity to its node, so it gets this one too.
 */
export const ERR_NODE_CONFLICT = 'node(s) had volume node affinity conflict';

export const volumeRestrictions: FilterPlugin = {
  name: 'VolumeRestrictions',
  preFilter({ pod, snap }: Cycle) {
    if (pod.claims.length === 0) return undefined;
    let conflicts = 0;
    for (const claim of pod.claims) {
      const pvc = snap.pvc(pod.namespace, claim);
      if (!pvc) return unresolvable(`persistentvolumeclaim "${claim}" not found`);
      if (!(pvc.spec?.accessModes ?? []).includes('ReadWriteOncePod')) continue;
      for (const n of snap.claimUsers(pod.namespace, claim)?.values() ?? []) conflicts += n;
    }
    if (conflicts === 0) return undefined;
    return { filter: () => unschedulable(ERR_RWOP_CONFLICT) };
  },
};

/** VolumeBinding's reasons (upstream's ErrReason... constants and PreFilter messages). */
export const ERR_BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind";
export const ERR_PV_NOT_EXIST = 'node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)';
export const ERR_UNBOUND_IMMEDIATE = 'pod has unbound immediate PersistentVolumeClaims';

const NO_PROVISIONER = 'kubernetes.io/no-provisioner';

/** A pod's claims as VolumeBinding sorts them (GetPodVolumeClaims), or why it cannot be scheduled at all. */
export interface PodVolumeClaims {
  /** Fully bound: the volume named and the binding completed. */
  bound: PersistentVolumeClaim[];
  /** Unbound, of a WaitForFirstConsumer class: the scheduler picks the node, then the volume follows. */
  delayed: PersistentVolumeClaim[];
}

/**
 * Sorts the pod's claims; a Status when some claim keeps the pod off every node: missing, being
 * deleted, or unbound without delayed binding (an Immediate class, none, or one named but absent;
 * a claim naming a volume that is not yet bound counts so too, as upstream's prebound claims).
 */
export function podVolumeClaims(pod: PodInfo, snap: Snapshot): PodVolumeClaims | Status {
  const out: PodVolumeClaims = { bound: [], delayed: [] };
  let immediate = false;
  for (const name of pod.claims) {
    const pvc = snap.pvc(pod.namespace, name);
    if (!pvc) return unresolvable(`persistentvolumeclaim "${name}" not found`);
    if (pvc.metadata?.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${name}" is being deleted`);
    if (fullyBound(pvc)) out.bound.push(pvc);
    else if (!pvc.spec?.volumeName && delayedBinding(pvc, snap)) out.delayed.push(pvc);
    else immediate = true;
  }
  return immediate ? unresolvable(ERR_UNBOUND_IMMEDIATE) : out;
}

/** Bound: a volume named and the binding completed (isPVCFullyBound). */
export function fullyBound(pvc: PersistentVolumeClaim): boolean {
  return !!pvc.spec?.volumeName && pvc.metadata?.annotations?.[BIND_COMPLETED] !== undefined;
}

function delayedBinding(pvc: PersistentVolumeClaim, snap: Snapshot): boolean {
  const name = pvc.spec?.storageClassName;
  return !!name && snap.storageClass(name)?.volumeBindingMode === 'WaitForFirstConsumer';
}

/** StorageClass.allowedTopologies: any term whose every expression the node's labels satisfy (none: every node). */
function topologyAllows(sc: StorageClass, node: NodeInfo): boolean {
  const terms = sc.allowedTopologies ?? [];
  if (terms.length === 0) return true;
  return terms.some((t) => (t.matchLabelExpressions ?? []).every((e) => node.labels[e.key] !== undefined && e.values.includes(node.labels[e.key]!)));
}

/**
 * VolumeBinding's Filter, and ReadWriteOnce exclusivity (seed 004 §4.2: the pods of a ReadWriteOnce
 * claim share one node, the node the volume is attached to). A bound claim's volume must exist and
 * its node affinity match the node; a delayed claim must be provisionable there (a provisioner, and
 * the class's allowed topologies) or, of a class without a provisioner, find a pre-made volume the
 * node can use (the binder then takes one for the node the scheduler chose).
 */
export const volumeBinding: FilterPlugin = {
  name: 'VolumeBinding',
  preFilter({ pod, snap }: Cycle) {
    if (pod.claims.length === 0) return undefined;
    const claims = podVolumeClaims(pod, snap);
    if ('code' in claims) return claims;
    const affinities: NodeMatcher[] = [];
    let missing = false;
    for (const pvc of claims.bound) {
      const pv = snap.pv(pvc.spec!.volumeName!);
      if (!pv) missing = true;
      else if (pv.spec?.nodeAffinity?.required) affinities.push(compileNodeSelector(pv.spec.nodeAffinity.required));
    }
    const classes: StorageClass[] = [];
    // claims only a pre-made volume can take: the volumes each may take
    const premade: { pvc: PersistentVolumeClaim; volumes: PersistentVolume[] }[] = [];
    for (const pvc of claims.delayed) {
      const sc = snap.storageClass(pvc.spec!.storageClassName!)!;
      if (sc.provisioner === NO_PROVISIONER) premade.push({ pvc, volumes: availableFor(pvc, snap.persistentVolumes()) });
      else if ((sc.allowedTopologies ?? []).length) classes.push(sc);
    }
    const unprovisionable = premade.some((c) => !bestVolume(c.pvc, c.volumes));
    const pinned: ReadonlyMap<string, number>[] = [];
    for (const claim of pod.claims) {
      const modes = snap.pvc(pod.namespace, claim)?.spec?.accessModes ?? [];
      if (!modes.includes('ReadWriteOnce')) continue;
      const users = snap.claimUsers(pod.namespace, claim);
      if (users && users.size > 0) pinned.push(users);
    }
    if (missing) return unresolvable(ERR_PV_NOT_EXIST);
    if (unprovisionable) return unresolvable(ERR_BIND_CONFLICT);
    if (affinities.length === 0 && classes.length === 0 && premade.length === 0 && pinned.length === 0) return undefined;
    return {
      filter: (n: NodeInfo) => {
        const reasons: string[] = [];
        if (!affinities.every((m) => m(n))) reasons.push(ERR_NODE_CONFLICT);
        if (!classes.every((sc) => topologyAllows(sc, n)) || !premade.every((c) => bestVolume(c.pvc, c.volumes, n))) reasons.push(ERR_BIND_CONFLICT);
        if (!reasons.length && !pinned.every((users) => users.size === 1 && users.has(n.name))) reasons.push(ERR_NODE_CONFLICT);
        return reasons.length ? unresolvable(...reasons) : undefined;
      },
    };
  },
};
