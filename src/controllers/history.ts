// ControllerRevisions, the history StatefulSets and DaemonSets keep of their pod templates
// (upstream pkg/controller/history and the DaemonSet's constructHistory): a revision's data is a
// strategic-merge patch that restores the template; equal data means the same revision; a
// template seen again gets the next revision number instead of a new object; a name taken by
// different data is a hash collision, resolved by bumping the owner's status.collisionCount;
// history beyond revisionHistoryLimit is deleted, oldest first, except revisions still in use.
import { R } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { deepClone, deepEqual } from '../model/object.js';
import type { Action } from './runtime.js';
import { controllerRef } from './pods.js';

export interface ControllerRevision extends KubeObject {
  data?: unknown;
  revision?: number;
}

/** The revision data of a StatefulSet or DaemonSet: `{"spec":{"template":{…,"$patch":"replace"}}}`. */
export function templatePatch(owner: KubeObject): unknown {
  const spec = (owner.spec ?? {}) as { template?: Record<string, unknown> };
  return { spec: { template: { ...deepClone(spec.template ?? {}), $patch: 'replace' } } };
}

/** The template a revision restores. */
export function revisionTemplate(rev: ControllerRevision): Record<string, unknown> | undefined {
  const t = (rev.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template;
  if (!t) return undefined;
  const { $patch: _, ...template } = t;
  return template;
}

/** history.SortControllerRevisions: by revision number, then creation time, then name. */
export function sortRevisions(revs: ControllerRevision[]): ControllerRevision[] {
  return [...revs].sort((a, b) => {
    const ra = a.revision ?? 0;
    const rb = b.revision ?? 0;
    if (ra !== rb) return ra - rb;
    const ca = a.metadata.creationTimestamp ?? '';
    const cb = b.metadata.creationTimestamp ?? '';
    if (ca !== cb) return ca < cb ? -1 : 1;
    return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
  });
}

export const equalRevision = (a: ControllerRevision, b: ControllerRevision): boolean => deepEqual(a.data, b.data);

export interface RevisionSpec {
  /** The label that carries the hash on the revision (StatefulSet: controller.kubernetes.io/hash; DaemonSet: controller-revision-hash). */
  hashLabel: string;
  /** The hash of the owner's template at this collision count (absent and 0 may hash differently, as upstream). */
  hash(owner: KubeObject, collisionCount: number | undefined): string;
  /** Whether the revision copies the owner's annotations (both StatefulSet and DaemonSet do). */
  copyAnnotations?: boolean;
}

/** history.NewControllerRevision: `<owner>-<hash>`, the template's labels plus the hash label, owned by `owner`. */
export function newRevision(owner: KubeObject, spec: RevisionSpec, revision: number, collisionCount: number | undefined): ControllerRevision {
  const hash = spec.hash(owner, collisionCount);
  const prefix = owner.metadata.name!.slice(0, 223);
  const template = ((owner.spec ?? {}) as { template?: { metadata?: { labels?: Record<string, string> } } }).template;
  const metadata: KubeObject['metadata'] = {
    name: `${prefix}-${hash}`,
    namespace: owner.metadata.namespace!,
    labels: { ...(template?.metadata?.labels ?? {}), [spec.hashLabel]: hash },
    ownerReferences: [controllerRef(owner)],
  };
  if (spec.copyAnnotations && owner.metadata.annotations && Object.keys(owner.metadata.annotations).length) {
    metadata.annotations = { ...owner.metadata.annotations };
  }
  return { apiVersion: 'apps/v1', kind: 'ControllerRevision', metadata, data: templatePatch(owner), revision };
}

export interface RevisionPlan {
  /** The revision the owner's current template is at (existing, renumbered, or about to be created). */
  update: ControllerRevision;
  /** Creates or renumbers revisions; empty when the history already holds the template. */
  actions: Action[];
  /**
   * Set when the revision name is taken by different data: the owner must record this
   * collisionCount in its status before trying again (nothing else should happen this round).
   */
  collisionCount?: number;
}

/**
 * Finds or makes the revision for the owner's current template. `revisions` are the owner's
 * (sorted or not); `byName` looks a revision up by name among all cached revisions of the
 * namespace, to detect a collision with one the owner does not own.
 */
export function planUpdateRevision(
  owner: KubeObject,
  spec: RevisionSpec,
  revisions: ControllerRevision[],
  collisionCount: number | undefined,
  byName: (name: string) => ControllerRevision | undefined,
): RevisionPlan {
  const sorted = sortRevisions(revisions);
  const next = sorted.length ? (sorted[sorted.length - 1]!.revision ?? 0) + 1 : 1;
  const candidate = newRevision(owner, spec, next, collisionCount);
  const equal = sorted.filter((r) => equalRevision(r, candidate));
  const ns = owner.metadata.namespace!;
  if (equal.length) {
    const found = equal[equal.length - 1]!;
    // The template is the newest revision already: nothing changes.
    if (found === sorted[sorted.length - 1]) return { update: found, actions: [] };
    // Rolling back to an earlier template: that revision becomes the newest.
    const renumbered = { ...deepClone(found), revision: next };
    return { update: renumbered, actions: [{ kind: 'update', resource: R.controllerrevisions, namespace: ns, object: renumbered }] };
  }
  const existing = byName(candidate.metadata.name!);
  if (existing) {
    // The same data under our name (created by us a moment ago, or left orphaned): use it.
    if (equalRevision(existing, candidate)) return { update: existing, actions: [] };
    return { update: candidate, actions: [], collisionCount: (collisionCount ?? 0) + 1 };
  }
  return { update: candidate, actions: [{ kind: 'create', resource: R.controllerrevisions, namespace: ns, object: candidate }] };
}

/**
 * The revisions to delete to respect revisionHistoryLimit, oldest first, never a live one (the
 * current or update revision, or the revision of some pod). The StatefulSet keeps `limit` revisions
 * besides the live ones (truncateHistory); the DaemonSet deletes `count - limit` of its old
 * revisions, live ones included in the count (cleanupHistory): `countLive` selects that rule.
 */
export function revisionsToTruncate(
  revisions: ControllerRevision[],
  isLive: (r: ControllerRevision) => boolean,
  limit: number,
  countLive = false,
): ControllerRevision[] {
  const sorted = sortRevisions(revisions);
  const history = sorted.filter((r) => !isLive(r));
  const excess = (countLive ? sorted.length : history.length) - limit;
  if (limit < 0 || excess <= 0) return [];
  return history.slice(0, excess);
}

export function deleteRevision(rev: ControllerRevision): Action {
  return {
    kind: 'delete',
    resource: R.controllerrevisions,
    namespace: rev.metadata.namespace!,
    name: rev.metadata.name!,
    options: { preconditions: { uid: rev.metadata.uid! } },
  };
}
