// Volume placement: VolumeRestrictions' ReadWriteOncePod rule (one pod in the cluster per claim),
// a missing claim (the pod cannot start anywhere), and ReadWriteOnce exclusivity (seed 004 §4.2:
// the pods of a ReadWriteOnce claim share one node, the node the volume is attached to).
import { unresolvable, unschedulable, type Cycle, type FilterPlugin } from '../framework.js';
import type { NodeInfo } from '../snapshot.js';

export const ERR_RWOP_CONFLICT = 'node has pod using PersistentVolumeClaim with the same name and ReadWriteOncePod access mode';
/**
 * Upstream has no scheduler reason for a ReadWriteOnce claim in use elsewhere (the second pod
 * would hang in ContainerCreating on a Multi-Attach error); an attached RWO volume behaves as a
 * volume with node affinity to its node, so this is VolumeBinding's reason for that.
 */
export const ERR_RWO_CONFLICT = 'node(s) had volume node affinity conflict';

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

export const readWriteOnce: FilterPlugin = {
  name: 'VolumeBinding',
  preFilter({ pod, snap }: Cycle) {
    const pinned: ReadonlyMap<string, number>[] = [];
    for (const claim of pod.claims) {
      const modes = snap.pvc(pod.namespace, claim)?.spec?.accessModes ?? [];
      if (!modes.includes('ReadWriteOnce')) continue;
      const users = snap.claimUsers(pod.namespace, claim);
      if (users && users.size > 0) pinned.push(users);
    }
    if (pinned.length === 0) return undefined;
    return { filter: (n: NodeInfo) => (pinned.every((users) => users.size === 1 && users.has(n.name)) ? undefined : unresolvable(ERR_RWO_CONFLICT)) };
  },
};
