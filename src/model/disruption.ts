// PodDisruptionBudget facts shared by the eviction API and the disruption controller.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { labelSelectorAsSelector, matches, SelectorError } from './labels.js';
import type { KubeObject } from './object.js';

/** Whether the budget selects the pod: no selector selects nothing, an empty one every pod of its namespace. */
export function budgetSelects(pdb: PodDisruptionBudget, pod: KubeObject & Pod): boolean {
  if (pdb.metadata?.namespace !== pod.metadata.namespace) return false;
  try {
    return matches(labelSelectorAsSelector(pdb.spec?.selector), pod.metadata.labels ?? {});
  } catch (e) {
    // an invalid selector matches nothing
    if (e instanceof SelectorError) return false;
    throw e;
  }
}

/** A pod counts as healthy when Ready (podutil.IsPodReady). */
export const podReady = (pod: Pod): boolean => (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
