// Which PersistentVolume a claim can be bound to (upstream's findMatchingVolume), shared by the
// binder (controllers/localpath.ts) and the scheduler's VolumeBinding filter.
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { parseQuantity, quantityValue } from './quantity.js';
import { labelSelectorAsSelector, matches } from './labels.js';
import { compileNodeSelector } from './scheduling.js';

/** The node a claim's volume is to be provisioned for, set by the scheduler (PreBind). */
export const SELECTED_NODE = 'volume.kubernetes.io/selected-node';
/** Set on a claim once its binding is complete (the binder's). */
export const BIND_COMPLETED = 'pv.kubernetes.io/bind-completed';

/** Volumes a new claim may take: naming no claim but this one, not being deleted, not Released or Failed. */
export function availableFor(claim: PersistentVolumeClaim, volumes: Iterable<PersistentVolume>): PersistentVolume[] {
  const ns = claim.metadata?.namespace;
  const name = claim.metadata?.name;
  const out: PersistentVolume[] = [];
  for (const v of volumes) {
    const ref = v.spec?.claimRef;
    if (v.metadata?.deletionTimestamp || v.status?.phase === 'Released' || v.status?.phase === 'Failed') continue;
    if (!ref || (ref.namespace === ns && ref.name === name)) out.push(v);
  }
  return out;
}

/**
 * The smallest volume that fits the claim (findMatchingVolume): one already naming this claim
 * first; else of the claim's class ('' for none), with every access mode it asks for, its volume
 * mode, its selector's labels, at least its size, and, given a node, node affinity that node meets.
 */
export function bestVolume(claim: PersistentVolumeClaim, volumes: readonly PersistentVolume[], node?: { name: string; labels: Record<string, string> }): PersistentVolume | undefined {
  const cls = claim.spec?.storageClassName ?? '';
  const modes = claim.spec?.accessModes ?? [];
  const mode = claim.spec?.volumeMode ?? 'Filesystem';
  const want = claim.spec?.resources?.requests?.['storage'];
  const need = want !== undefined ? quantityValue(parseQuantity(want)) : 0n;
  const sel = claim.spec?.selector ? labelSelectorAsSelector(claim.spec.selector) : undefined;
  let best: PersistentVolume | undefined;
  let bestSize: bigint | undefined;
  for (const v of volumes) {
    const pre = v.spec?.claimRef !== undefined;
    if ((v.spec?.storageClassName ?? '') !== cls || (v.spec?.volumeMode ?? 'Filesystem') !== mode) continue;
    if (node && v.spec?.nodeAffinity?.required && !compileNodeSelector(v.spec.nodeAffinity.required)(node)) continue;
    if (!pre && sel && !matches(sel, v.metadata?.labels ?? {})) continue;
    if (!modes.every((m) => (v.spec?.accessModes ?? []).includes(m))) continue;
    const cap = v.spec?.capacity?.['storage'];
    const size = cap !== undefined ? quantityValue(parseQuantity(cap)) : 0n;
    if (size < need) continue;
    if (pre) return v;
    if (bestSize === undefined || size < bestSize) {
      best = v;
      bestSize = size;
    }
  }
  return best;
}
