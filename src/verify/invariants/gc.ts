// Garbage collection (seed 003 §A5 ownerReferences, upstream's garbage collector):
//  - foreground: an owner deleted in the foreground (finalizer foregroundDeletion) leaves only
//    after every dependent that blocks it (ownerReference with blockOwnerDeletion) is gone;
//  - no orphans: once the cluster settles, no object's owners are all gone (it was collected, or
//    released by an Orphan deletion, which removes the reference).
import type { KubeObject } from '../../model/object.js';
import { allObjects, byUid, nameOf, type ClusterState, type GoalProperty, type StepProperty } from './state.js';

export function foregroundViolations(before: ClusterState, after: ClusterState): string[] {
  const out: string[] = [];
  const resources = [...new Set([...before.resources(), ...after.resources()])];
  const now = byUid(after, resources);
  for (const [uid, { resource, object: o }] of byUid(before, resources)) {
    if (now.has(uid) || !o.metadata.deletionTimestamp || !(o.metadata.finalizers ?? []).includes('foregroundDeletion')) continue;
    for (const d of allObjects(after, resources)) {
      const ref = d.object.metadata.ownerReferences?.find((r) => r.uid === uid);
      if (ref?.blockOwnerDeletion) out.push(`${resource} ${nameOf(o)} deleted in the foreground before its blocking dependent ${d.resource} ${nameOf(d.object)}`);
    }
  }
  return out;
}

export const foregroundDeletion: StepProperty = {
  kind: 'step',
  name: 'foreground-deletion',
  cite: 'seed 003 §A5 (ownerReferences, blockOwnerDeletion); upstream garbage collector',
  resources: [],
  check: foregroundViolations,
};

/** Objects whose every owner is gone (dangling references), in one state. */
export function orphans(s: ClusterState): string[] {
  const resources = s.resources().filter((r) => r !== 'events');
  const uids = byUid(s, resources);
  const out: string[] = [];
  for (const { resource, object } of allObjects(s, resources)) {
    const refs = (object as KubeObject).metadata.ownerReferences ?? [];
    if (refs.length && refs.every((r) => !uids.has(r.uid))) out.push(`${resource} ${nameOf(object)}: every owner is gone (${refs.map((r) => `${r.kind}/${r.name}`).join(', ')})`);
  }
  return out;
}

export const noOrphans: GoalProperty = {
  kind: 'goal',
  name: 'no-orphans',
  cite: 'seed 003 §A5; upstream garbage collector (dependents of a deleted owner are collected)',
  unmet: orphans,
};
