// Seed 004 §4.2 (P-5): two pods never mount the same ReadWriteOnce volume. Upstream's
// ReadWriteOnce means one node (pods on the same node may share it); ReadWriteOncePod means one
// pod. A PersistentVolume is bound to at most one claim.
import type { PersistentVolume, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../model/object.js';
import { nameOf, type ClusterState, type StateProperty } from './state.js';

type PodObj = KubeObject & Pod;
type ClaimObj = KubeObject & PersistentVolumeClaim;

/** A pod holds its volumes while it is bound and has not finished. */
const holds = (p: PodObj) => !!p.spec?.nodeName && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

export function rwoViolations(s: ClusterState): string[] {
  const out: string[] = [];
  const claims = new Map((s.list('persistentvolumeclaims') as ClaimObj[]).map((c) => [nameOf(c), c]));
  const users = new Map<string, PodObj[]>();
  for (const p of s.list('pods') as PodObj[]) {
    if (!holds(p)) continue;
    for (const v of p.spec?.volumes ?? []) {
      const name = v.persistentVolumeClaim?.claimName;
      if (!name) continue;
      const k = `${p.metadata.namespace}/${name}`;
      let l = users.get(k);
      if (!l) users.set(k, (l = []));
      l.push(p);
    }
  }
  for (const [k, pods] of users) {
    const modes = claims.get(k)?.spec?.accessModes ?? [];
    if (modes.includes('ReadWriteOncePod') && pods.length > 1) {
      out.push(`claim ${k} (ReadWriteOncePod) mounted by ${pods.map(nameOf).join(', ')}`);
    } else if (modes.includes('ReadWriteOnce') && !modes.includes('ReadWriteMany') && !modes.includes('ReadOnlyMany')) {
      const nodes = [...new Set(pods.map((p) => p.spec!.nodeName!))];
      if (nodes.length > 1) out.push(`claim ${k} (ReadWriteOnce) mounted on nodes ${nodes.join(', ')} by ${pods.map(nameOf).join(', ')}`);
    }
  }
  const boundTo = new Map<string, string>();
  for (const c of claims.values()) {
    const pv = c.spec?.volumeName;
    if (!pv) continue;
    const other = boundTo.get(pv);
    if (other) out.push(`volume ${pv} bound to claims ${other} and ${nameOf(c)}`);
    boundTo.set(pv, nameOf(c));
  }
  for (const pv of s.list('persistentvolumes') as (KubeObject & PersistentVolume)[]) {
    const ref = pv.spec?.claimRef;
    const claim = ref ? claims.get(`${ref.namespace}/${ref.name}`) : undefined;
    if (claim?.spec?.volumeName && claim.spec.volumeName !== pv.metadata.name && ref?.uid === claim.metadata.uid) {
      out.push(`volume ${pv.metadata.name} claims ${nameOf(claim)}, which is bound to ${claim.spec.volumeName}`);
    }
  }
  return out;
}

export const readWriteOnce: StateProperty = {
  kind: 'state',
  name: 'rwo-exclusive',
  cite: 'seed 004 §4.2 (safety: two pods never mount the same RWO volume)',
  check: rwoViolations,
};
