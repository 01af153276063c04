// The namespace controller: when a namespace is deleted, delete everything in it, then remove
// the `kubernetes` finalizer and the namespace itself (upstream's namespaced_resources_deleter).
import { R, type ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { deepClone } from '../model/object.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { keyOf } from './runtime.js';

export interface NamespaceObservation {
  namespace?: KubeObject;
  content: { resource: ResourceRef; object: KubeObject }[];
}

/** How soon to look again while content remains (pods in their grace period, finalizers). */
const RECHECK_MS = 2000;

export function namespaceController(namespaced: ResourceRef[]): Controller<NamespaceObservation> {
  const terminating = (view: ClusterView, ns: string | undefined) =>
    !!ns && !!view.get(R.namespaces, undefined, ns)?.metadata.deletionTimestamp;
  return {
    name: 'namespace',
    watches: [
      { resource: R.namespaces, keys: (o) => [keyOf(o)] },
      ...namespaced.map((resource) => ({
        resource,
        keys: (o: KubeObject, view: ClusterView) => (terminating(view, o.metadata.namespace) ? [o.metadata.namespace!] : []),
      })),
    ],
    observe(key, view) {
      const namespace = view.get(R.namespaces, undefined, key);
      const content = namespace?.metadata.deletionTimestamp
        ? namespaced.flatMap((resource) => view.list(resource, key).map((object) => ({ resource, object })))
        : [];
      return namespace ? { namespace, content } : { content };
    },
    reconcile: reconcileNamespace,
  };
}

export function reconcileNamespace(obs: NamespaceObservation): Decision {
  const ns = obs.namespace;
  if (!ns?.metadata.deletionTimestamp) return { actions: [] };
  const name = ns.metadata.name!;
  if (obs.content.length > 0) {
    const actions: Action[] = obs.content
      .filter(({ object }) => !object.metadata.deletionTimestamp)
      .map(({ resource, object }) => ({
        kind: 'delete',
        resource,
        namespace: name,
        name: object.metadata.name!,
        options: { propagationPolicy: 'Background', preconditions: { uid: object.metadata.uid! } },
      }));
    return { actions, requeueAfterMs: RECHECK_MS };
  }
  const finalizers = (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
  const actions: Action[] = [];
  if (finalizers.includes('kubernetes')) {
    const next = deepClone(ns);
    (next.spec as { finalizers: string[] }).finalizers = finalizers.filter((f) => f !== 'kubernetes');
    actions.push({ kind: 'update', resource: R.namespaces, object: next, subresource: 'finalize' });
  }
  if (finalizers.every((f) => f === 'kubernetes')) {
    actions.push({ kind: 'delete', resource: R.namespaces, name, options: { preconditions: { uid: ns.metadata.uid! } } });
  }
  return { actions };
}
