// Finalizer and deletion semantics (seed 003 §A5 finalizers; upstream's graceful deletion): an
// object leaves the API only when it had no finalizers left or was already being deleted (the
// last finalizer's removal then deletes it); once deletionTimestamp is set it is never cleared;
// and a finalizer is never added to an object being deleted.
import type { KubeObject } from '../../model/object.js';
import { nameOf, objectwise, type ClusterState, type StepProperty } from './state.js';

/** No violations (shared: judged on every object of every step). */
const NONE: string[] = Object.freeze([]) as unknown as string[];

const fins = (o: KubeObject) => o.metadata.finalizers ?? [];

/** One object's violations across a step: o before, n the object of its uid after (undefined: gone). */
export function finalizerObjectViolations(resource: string, o: KubeObject, n: KubeObject | undefined): string[] {
  // Named only for a violation: the model checker judges every step with this.
  const what = () => `${resource} ${nameOf(o)}`;
  const deleting = o.metadata.deletionTimestamp;
  if (!n) return fins(o).length > 0 && !deleting ? [`${what()} disappeared with finalizers [${fins(o).join(', ')}] and no deletionTimestamp`] : NONE;
  const out: string[] = [];
  if (deleting && !n.metadata.deletionTimestamp) out.push(`${what()}: deletionTimestamp was cleared`);
  if (deleting) {
    const added = fins(n).filter((f) => !fins(o).includes(f));
    if (added.length) out.push(`${what()}: finalizers [${added.join(', ')}] added while being deleted`);
  }
  return out.length ? out : NONE;
}

export const finalizerViolations: (before: ClusterState, after: ClusterState) => string[] = objectwise(finalizerObjectViolations);

export const finalizers: StepProperty = {
  kind: 'step',
  name: 'finalizers',
  cite: 'seed 003 §A5 (finalizers); upstream graceful deletion: an object disappears only with deletionTimestamp set and no finalizers',
  resources: [],
  check: finalizerViolations,
  perObject: finalizerObjectViolations,
};
