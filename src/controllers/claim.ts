// Controller references, as upstream's ControllerRefManager (pkg/controller/controller_ref_manager.go)
// keeps them: a controller claims the objects its selector matches. It keeps what it already
// controls while the selector still matches, releases what it controls that no longer matches,
// adopts matching orphans, and ignores whatever another controller owns. Adoption and release are
// strategic merge patches of ownerReferences carrying the object's uid, so they apply only to the
// object that was observed.
import type { ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { matches, type Selector } from '../model/labels.js';
import type { Action } from './runtime.js';
import { controllerOf, controllerRef } from './pods.js';

export interface Claim {
  /** The objects the owner may act on: kept and adopted ones. */
  claimed: KubeObject[];
  /** Adoption and release patches, in the order of the candidates. */
  actions: Action[];
}

export interface ClaimOptions {
  /** A further condition an object must meet besides the selector. */
  filter?: (o: KubeObject) => boolean;
}

/**
 * ClaimObjects over `candidates` (objects the owner controls, and orphans in its namespace).
 * An owner being deleted adopts nothing and releases nothing.
 */
export function claimObjects(owner: KubeObject, resource: ResourceRef, selector: Selector, candidates: KubeObject[], opts: ClaimOptions = {}): Claim {
  const uid = owner.metadata.uid!;
  const deleting = !!owner.metadata.deletionTimestamp;
  const match = (o: KubeObject) => matches(selector, o.metadata.labels ?? {}) && (!opts.filter || opts.filter(o));
  const claimed: KubeObject[] = [];
  const actions: Action[] = [];
  for (const o of candidates) {
    const ref = controllerOf(o);
    if (ref) {
      if (ref.uid !== uid) continue;
      if (match(o)) claimed.push(o);
      else if (!deleting) actions.push(releasePatch(resource, o, uid));
      continue;
    }
    if (deleting || !match(o) || o.metadata.deletionTimestamp) continue;
    if (owner.metadata.namespace && owner.metadata.namespace !== o.metadata.namespace) continue;
    actions.push(adoptPatch(resource, o, owner));
    claimed.push(withControllerRef(o, owner));
  }
  return { claimed, actions };
}

/** The object as it reads once adopted. */
function withControllerRef(o: KubeObject, owner: KubeObject): KubeObject {
  return { ...o, metadata: { ...o.metadata, ownerReferences: [...(o.metadata.ownerReferences ?? []), controllerRef(owner)] } };
}

const located = (o: KubeObject) => (o.metadata.namespace ? { namespace: o.metadata.namespace } : {});

/** ownerRefControllerPatch: add the owner as controller. */
export function adoptPatch(resource: ResourceRef, o: KubeObject, owner: KubeObject): Action {
  return {
    kind: 'patch',
    resource,
    ...located(o),
    name: o.metadata.name!,
    patchType: 'application/strategic-merge-patch+json',
    patch: { metadata: { ownerReferences: [controllerRef(owner)], uid: o.metadata.uid } },
  };
}

/** GenerateDeleteOwnerRefStrategicMergeBytes: drop the owner's reference. */
export function releasePatch(resource: ResourceRef, o: KubeObject, ownerUid: string): Action {
  return {
    kind: 'patch',
    resource,
    ...located(o),
    name: o.metadata.name!,
    patchType: 'application/strategic-merge-patch+json',
    patch: { metadata: { ownerReferences: [{ $patch: 'delete', uid: ownerUid }], uid: o.metadata.uid } },
  };
}
