// Finalizer and deletion semantics (seed 003 §A5 finalizers; upstream's graceful deletion): an
// object leaves the API only when it had no finalizers left or was already being deleted (the
// last finalizer's removal then deletes it); once deletionTimestamp is set it is never cleared;
// and a finalizer is never added to an object being deleted.
import type { KubeObject } from '../../model/object.js';
import { byUid, nameOf, type ClusterState, type StepProperty } from './state.js';

const fins = (o: KubeObject) => o.metadata.finalizers ?? [];

export function finalizerViolations(before: ClusterState, after: ClusterState): string[] {
  const out: string[] = [];
  const resources = [...new Set([...before.resources(), ...after.resources()])];
  const now = byUid(after, resources);
  for (const [uid, { resource, object: o }] of byUid(before, resources)) {
    const n = now.get(uid);
    // Named only for a violation: the model checker judges every step with this.
    const what = () => `${resource} ${nameOf(o)}`;
    const deleting = o.metadata.deletionTimestamp;
    if (!n) {
      if (fins(o).length > 0 && !deleting) out.push(`${what()} disappeared with finalizers [${fins(o).join(', ')}] and no deletionTimestamp`);
      continue;
    }
    if (deleting && !n.object.metadata.deletionTimestamp) out.push(`${what()}: deletionTimestamp was cleared`);
    if (deleting) {
      const added = fins(n.object).filter((f) => !fins(o).includes(f));
      if (added.length) out.push(`${what()}: finalizers [${added.join(', ')}] added while being deleted`);
    }
  }
  return out;
}

export const finalizers: StepProperty = {
  kind: 'step',
  name: 'finalizers',
  cite: 'seed 003 §A5 (finalizers); upstream graceful deletion: an object disappears only with deletionTimestamp set and no finalizers',
  resources: [],
  check: finalizerViolations,
};
