// Per-kind behaviour of the generic REST semantics, as upstream's registry strategies define it
// (pkg/registry/<group>/<kind>/strategy.go) beyond what model/defaults prepares on create:
// which kinds may be created by PUT, which return the deleted object, which delete gracefully.
import type { KubeObject } from '../model/object.js';
import { deepEqual } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import { tracksGeneration } from '../model/defaults/index.js';

const key = (t: Pick<ResourceType, 'group' | 'kind'>) => `${t.group}/${t.kind}`;

/** Kinds a PUT may create when absent (AllowCreateOnUpdate). */
const CREATE_ON_UPDATE = new Set([
  '/Endpoints', '/Event', '/LimitRange', '/ServiceAccount', 'events.k8s.io/Event',
  'coordination.k8s.io/Lease', 'discovery.k8s.io/EndpointSlice',
  'rbac.authorization.k8s.io/Role', 'rbac.authorization.k8s.io/RoleBinding',
  'rbac.authorization.k8s.io/ClusterRole', 'rbac.authorization.k8s.io/ClusterRoleBinding',
]);

/** Kinds whose DELETE answers with the object rather than a Status (ReturnDeletedObject). */
const RETURN_DELETED = new Set(['/Pod', '/Service', '/Namespace']);

export function allowsCreateOnUpdate(t: ResourceType): boolean {
  return CREATE_ON_UPDATE.has(key(t));
}

export function returnsDeletedObject(t: ResourceType): boolean {
  return RETURN_DELETED.has(key(t));
}

export function hasStatusSubresource(t: ResourceType): boolean {
  return t.subresources.some((s) => s.name === 'status');
}

/**
 * PrepareForUpdate of the main resource: the status is kept from the stored object when the kind
 * has a status subresource, and generation moves only when the spec changed.
 */
export function prepareForUpdate(t: ResourceType, obj: KubeObject, old: KubeObject): void {
  if (hasStatusSubresource(t) && t.kind !== 'Node') {
    if (old.status === undefined) delete obj.status;
    else obj.status = old.status;
  }
  obj.metadata.generation = old.metadata.generation;
  if (tracksGeneration(t.group, t.kind) && !deepEqual(specOf(obj), specOf(old))) {
    obj.metadata.generation = (old.metadata.generation ?? 0) + 1;
  }
  if (obj.metadata.generation === undefined) delete obj.metadata.generation;
  if (key(t) === 'apps/DaemonSet') bumpTemplateGeneration(obj, old);
  // a CertificateSigningRequest changes only through its subresources, apart from metadata
  if (key(t) === 'certificates.k8s.io/CertificateSigningRequest') obj.spec = old.spec;
}

/**
 * daemonSetStrategy.PrepareForUpdate: a changed pod template moves spec.templateGeneration, which
 * apps/v1 carries in the deprecated.daemonset.template.generation annotation (pods created from it
 * are labelled pod-template-generation).
 */
function bumpTemplateGeneration(obj: KubeObject, old: KubeObject): void {
  const template = (o: KubeObject) => (o.spec as { template?: unknown } | undefined)?.template;
  if (deepEqual(template(obj), template(old))) return;
  const annotation = 'deprecated.daemonset.template.generation';
  const previous = Number.parseInt(old.metadata.annotations?.[annotation] ?? '', 10);
  obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [annotation]: String((Number.isFinite(previous) ? previous : 0) + 1) };
}

/** The desired state of an object: `spec`, or for spec-less kinds everything but metadata and status. */
function specOf(o: KubeObject): unknown {
  if ('spec' in o) return o.spec;
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

/** Kinds whose status strategy also resets labels (their GetResetFields name metadata.labels). */
const STATUS_KEEPS_LABELS = new Set(['apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet', 'apps/DaemonSet']);

/**
 * Status subresource update, as upstream's status strategies: the caller's object, except that the
 * spec (and for the apps kinds the labels, for pods the ownerReferences) stay as stored.
 */
export function prepareForStatusUpdate(t: ResourceType, obj: KubeObject, old: KubeObject): KubeObject {
  const next: KubeObject = { ...obj, apiVersion: old.apiVersion, kind: old.kind, metadata: { ...obj.metadata } };
  if ('spec' in old) next.spec = old.spec;
  else delete next.spec;
  if (STATUS_KEEPS_LABELS.has(key(t))) {
    if (old.metadata.labels) next.metadata.labels = old.metadata.labels;
    else delete next.metadata.labels;
  }
  if (key(t) === '/Pod') {
    if (old.metadata.ownerReferences) next.metadata.ownerReferences = old.metadata.ownerReferences;
    else delete next.metadata.ownerReferences;
  }
  return next;
}

/**
 * A DELETE of an object already terminating under a grace period that the request does not
 * shorten changes nothing, its finalizers included (BeforeDelete: "graceful deletion is
 * pending"). Only pods delete gracefully; a negative period counts as 1 s.
 */
export function gracefulDeletionPending(t: ResourceType, obj: KubeObject, requested: number | undefined): boolean {
  const m = obj.metadata;
  if (key(t) !== '/Pod' || !m.deletionTimestamp || m.deletionGracePeriodSeconds === undefined || m.deletionGracePeriodSeconds === null) return false;
  if (requested === undefined) return true;
  return (requested < 0 ? 1 : requested) >= m.deletionGracePeriodSeconds;
}

/**
 * The grace period a DELETE gets, or 0 for immediate removal. Pods delete gracefully only once
 * bound to a node and not yet terminal (pkg/registry/core/pod/strategy.go CheckGracefulDelete).
 */
export function gracePeriod(t: ResourceType, obj: KubeObject, requested: number | undefined): number {
  if (key(t) !== '/Pod') return 0;
  const spec = (obj.spec ?? {}) as { nodeName?: string; terminationGracePeriodSeconds?: number };
  const phase = (obj.status as { phase?: string } | undefined)?.phase;
  let grace = requested ?? spec.terminationGracePeriodSeconds ?? 30;
  if (!spec.nodeName || phase === 'Failed' || phase === 'Succeeded') grace = 0;
  return Math.max(0, grace);
}
