// The garbage collector: ownerReferences form a graph; an object whose owners are all gone is
// deleted; a dependent of an object deleted with Orphan is released; an object deleted in the
// Foreground waits for its blocking dependents. (Upstream: pkg/controller/garbagecollector.)
import type { ResourceRef } from '../model/api.js';
import type { KubeObject, OwnerReference } from '../model/object.js';
import { deepEqual, splitApiVersion } from '../model/object.js';
import type { Registry } from '../model/registry.js';
import type { Action, ClusterView, Controller, Decision, Located } from './runtime.js';

export interface OwnerObservation {
  ref: OwnerReference;
  /** The owner's resource, when its kind is served. */
  resource?: ResourceRef;
  /** The owner as cached, if an object with that uid is there. */
  owner?: KubeObject;
  /** How far the owner's cache has read; an absent owner is believed only when this reaches the dependent's version. */
  cacheVersion?: string;
}

export interface GcObservation {
  self?: Located;
  owners: OwnerObservation[];
  dependents: Located[];
}

const ignored = (r: ResourceRef) => r.resource === 'events' && (r.group === '' || r.group === 'events.k8s.io');

/** How soon to look again when an owner's cache is behind the dependent. */
const CACHE_WAIT_MS = 100;

export function garbageCollector(registry: Registry, watched: ResourceRef[]): Controller<GcObservation> {
  const resourceOf = (ref: OwnerReference): ResourceRef | undefined => {
    const { group, version } = splitApiVersion(ref.apiVersion);
    const t = registry.byKind(group, version, ref.kind);
    return t ? { group: t.group, version: t.version, resource: t.plural } : undefined;
  };
  return {
    name: 'garbage-collector',
    // Events are never owners or dependents: upstream's GC ignores them (DefaultIgnoredResources).
    watches: watched.filter((r) => !ignored(r)).map((resource) => ({
      resource,
      keys: (o: KubeObject, view: ClusterView) => {
        const keys = view.dependentsOf(o.metadata.uid!).map((d) => d.object.metadata.uid!);
        // The object itself matters when it is being deleted with the orphan or foreground
        // finalizer (the deletions the collector carries out; upstream's processTransitions acts
        // on no other) or an owner it names is not in the caches; with every owner present there
        // is nothing to collect (upstream enqueues only dependents of absent, "virtual" owners).
        const refs = o.metadata.ownerReferences ?? [];
        if (collectsDeletion(o) || refs.some((r) => !view.byUid(r.uid))) keys.unshift(o.metadata.uid!);
        // An owner deleted in the foreground waits for its dependents: it looks again when one goes
        // or lets go of it (upstream enqueues owners that are deleting dependents).
        for (const ref of o.metadata.ownerReferences ?? []) {
          const owner = view.byUid(ref.uid)?.object;
          if (owner?.metadata.deletionTimestamp && owner.metadata.finalizers?.includes('foregroundDeletion')) keys.push(ref.uid);
        }
        return keys;
      },
      // The graph changes only with ownership, deletion and finalizers; status updates do not touch it.
      changed: (o: KubeObject, old: KubeObject) =>
        o.metadata.uid !== old.metadata.uid ||
        o.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
        !deepEqual(o.metadata.ownerReferences, old.metadata.ownerReferences) ||
        !deepEqual(o.metadata.finalizers, old.metadata.finalizers),
    })),
    observe(uid, view) {
      const self = view.byUid(uid);
      if (!self) return { owners: [], dependents: [] };
      const owners = (self.object.metadata.ownerReferences ?? []).map((ref) => {
        const resource = resourceOf(ref);
        const o: OwnerObservation = { ref };
        if (resource) {
          o.resource = resource;
          o.cacheVersion = view.resourceVersion(resource);
        }
        const found = view.byUid(ref.uid);
        if (found) o.owner = found.object;
        return o;
      });
      return { self, owners, dependents: view.dependentsOf(uid) };
    },
    reconcile: reconcileGc,
  };
}

/** Being deleted with a finalizer the collector removes: it has work to do on the object itself. */
function collectsDeletion(o: KubeObject): boolean {
  const f = o.metadata.finalizers;
  return !!o.metadata.deletionTimestamp && !!f && (f.includes('orphan') || f.includes('foregroundDeletion'));
}

const without = <T>(xs: T[] | undefined, keep: (x: T) => boolean) => (xs ?? []).filter(keep);

export function reconcileGc(obs: GcObservation): Decision {
  const self = obs.self;
  if (!self) return { actions: [] };
  const m = self.object.metadata;
  const uid = m.uid!;
  const finalizers = m.finalizers ?? [];

  if (m.deletionTimestamp) {
    if (finalizers.includes('orphan')) {
      // Release every dependent, then let the owner go.
      const actions: Action[] = obs.dependents.map((d) => releaseFrom(d, uid));
      actions.push(patchMeta(self, { finalizers: finalizers.filter((f) => f !== 'orphan') }));
      return { actions };
    }
    if (finalizers.includes('foregroundDeletion')) {
      const actions: Action[] = obs.dependents
        .filter((d) => !d.object.metadata.deletionTimestamp)
        .map((d) => ({
          kind: 'delete' as const,
          resource: d.resource,
          ...(d.object.metadata.namespace ? { namespace: d.object.metadata.namespace } : {}),
          name: d.object.metadata.name!,
          options: { propagationPolicy: 'Foreground' as const, preconditions: { uid: d.object.metadata.uid! } },
        }));
      const blocking = obs.dependents.filter((d) => d.object.metadata.ownerReferences?.some((r) => r.uid === uid && r.blockOwnerDeletion));
      if (blocking.length === 0) actions.push(patchMeta(self, { finalizers: finalizers.filter((f) => f !== 'foregroundDeletion') }));
      return { actions };
    }
    return { actions: [] };
  }

  if (obs.owners.length === 0) return { actions: [] };
  const absent: OwnerObservation[] = [];
  for (const o of obs.owners) {
    if (o.owner && o.owner.metadata.uid === o.ref.uid) continue;
    // An owner of an unserved kind cannot be checked; leave the reference alone, as upstream does.
    if (!o.resource) return { actions: [] };
    if (Number(o.cacheVersion ?? 0) < Number(m.resourceVersion)) return { actions: [], requeueAfterMs: CACHE_WAIT_MS };
    absent.push(o);
  }
  if (absent.length === 0) return { actions: [] };
  if (absent.length === obs.owners.length) {
    // Every owner is gone: the dependent goes too. It stays in the foreground if an owner waits for it.
    return {
      actions: [{
        kind: 'delete',
        resource: self.resource,
        ...(m.namespace ? { namespace: m.namespace } : {}),
        name: m.name!,
        options: { propagationPolicy: 'Background', preconditions: { uid } },
      }],
    };
  }
  const gone = new Set(absent.map((o) => o.ref.uid));
  return { actions: [patchMeta(self, { ownerReferences: without(m.ownerReferences, (r) => !gone.has(r.uid)) })] };
}

function releaseFrom(d: Located, ownerUid: string): Action {
  return patchMeta(d, { ownerReferences: without(d.object.metadata.ownerReferences, (r) => r.uid !== ownerUid) });
}

/** A merge patch of metadata fields, guarded by the resourceVersion it was computed from; empty lists are removed. */
function patchMeta(d: Located, fields: { ownerReferences?: OwnerReference[]; finalizers?: string[] }): Action {
  const m = d.object.metadata;
  const metadata: Record<string, unknown> = { resourceVersion: m.resourceVersion };
  for (const [k, v] of Object.entries(fields)) metadata[k] = v.length ? v : null;
  return {
    kind: 'patch',
    resource: d.resource,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    name: m.name!,
    patchType: 'application/merge-patch+json',
    patch: { metadata },
  };
}
