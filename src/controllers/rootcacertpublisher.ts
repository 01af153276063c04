// The root CA publisher (upstream's root-ca-cert-publisher, pkg/controller/certificates/
// rootcacertpublisher): every namespace has a ConfigMap `kube-root-ca.crt` whose `ca.crt` is the
// cluster CA that signs the API server's serving certificate, so pods can verify the server at
// kubernetes.default.svc (the ServiceAccount admission projects it into every pod's
// /var/run/secrets/kubernetes.io/serviceaccount). A deleted or edited ConfigMap is put back.
// The controller manager runs it only when it is given the CA (berth server and berth up have
// one in their PKI); an API server without TLS has no CA to publish.
import { R, ROOT_CA_CONFIGMAP } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepEqual } from '../model/object.js';
import type { Controller, Decision } from './runtime.js';

export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export interface RootCAObservation {
  namespace?: KubeObject;
  configMap?: KubeObject;
}

export function rootCACertPublisher(rootCA: string): Controller<RootCAObservation> {
  return {
    name: 'root-ca-cert-publisher',
    watches: [
      { resource: R.namespaces, keys: (o) => [o.metadata.name!] },
      { resource: R.configmaps, keys: (o) => (o.metadata.name === ROOT_CA_CONFIGMAP && o.metadata.namespace ? [o.metadata.namespace] : []) },
    ],
    observe(ns, view) {
      const namespace = view.get(R.namespaces, undefined, ns);
      const configMap = view.get(R.configmaps, ns, ROOT_CA_CONFIGMAP);
      return { ...(namespace ? { namespace } : {}), ...(configMap ? { configMap } : {}) };
    },
    reconcile: (obs, now) => reconcileRootCA(obs, now, rootCA),
  };
}

/** syncNamespace: create the ConfigMap, or make its data and description what they must be. */
export function reconcileRootCA(obs: RootCAObservation, _now: Instant, rootCA: string): Decision {
  const ns = obs.namespace;
  const phase = (ns?.status as { phase?: string } | undefined)?.phase;
  // upstream's create fails in a missing or terminating namespace and is not retried
  if (!ns || ns.metadata.deletionTimestamp || phase === 'Terminating') return { actions: [] };
  const name = ns.metadata.name!;
  const data = { 'ca.crt': rootCA };
  const cm = obs.configMap;
  if (!cm) {
    return {
      actions: [{
        kind: 'create',
        resource: R.configmaps,
        namespace: name,
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ROOT_CA_CONFIGMAP, namespace: name, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } }, data },
      }],
    };
  }
  if (deepEqual((cm as { data?: unknown }).data, data) && cm.metadata.annotations?.[DESCRIPTION_ANNOTATION]) return { actions: [] };
  const updated: KubeObject = { ...cm, metadata: { ...cm.metadata, annotations: { ...cm.metadata.annotations, [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } } };
  (updated as { data?: unknown }).data = data;
  return { actions: [{ kind: 'update', resource: R.configmaps, namespace: name, object: updated }] };
}
