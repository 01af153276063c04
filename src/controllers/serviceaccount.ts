// The ServiceAccounts controller (upstream pkg/controller/serviceaccount): every active namespace
// has a ServiceAccount named `default`; it is recreated if deleted. Terminating namespaces are left
// to the namespace controller.
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import type { Controller, Decision } from './runtime.js';

export interface ServiceAccountObservation {
  namespace?: KubeObject;
  /** The names among `accounts` that exist. */
  existing: string[];
}

/** The accounts every namespace gets (the controller's ServiceAccounts option). */
export const defaultAccounts = ['default'];

export function serviceAccountController(accounts = defaultAccounts): Controller<ServiceAccountObservation> {
  return {
    name: 'serviceaccount',
    watches: [
      { resource: R.namespaces, keys: (o) => [o.metadata.name!] },
      { resource: R.serviceaccounts, keys: (o) => (o.metadata.namespace && accounts.includes(o.metadata.name!) ? [o.metadata.namespace] : []) },
    ],
    observe(ns, view) {
      const namespace = view.get(R.namespaces, undefined, ns);
      const existing = accounts.filter((a) => view.get(R.serviceaccounts, ns, a));
      return namespace ? { namespace, existing } : { existing };
    },
    reconcile: (obs, now) => reconcileServiceAccounts(obs, now, accounts),
  };
}

export function reconcileServiceAccounts(obs: ServiceAccountObservation, _now: Instant, accounts = defaultAccounts): Decision {
  const ns = obs.namespace;
  const phase = (ns?.status as { phase?: string } | undefined)?.phase;
  if (!ns || ns.metadata.deletionTimestamp || (phase && phase !== 'Active')) return { actions: [] };
  const name = ns.metadata.name!;
  return {
    actions: accounts
      .filter((a) => !obs.existing.includes(a))
      .map((a) => ({ kind: 'create' as const, resource: R.serviceaccounts, namespace: name, object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: a, namespace: name } } })),
  };
}
