// The API's operations as a type: what a client can ask of a Kubernetes API server. The API
// server implements it in process; the client layer implements it over HTTPS. Controllers, the
// simulator and tests are written against this contract, not against either implementation.
import type { KubeList, KubeObject } from './object.js';
import type { Status } from './status.js';

/** A resource: group, version and plural name, as in a request path. */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  /** For update and patch: write a subresource (status, scale) instead of the object. */
  subresource?: string;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchType = 'application/json-patch+json' | 'application/merge-patch+json' | 'application/strategic-merge-patch+json';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject | Status;
}

export interface WatchHandlers {
  event(ev: WatchEvent): void;
  /** The watch ended: normally (timeout), or with an error. */
  end(err?: Error): void;
}

/** Every method fails with a StatusError (model/status.ts) carrying the server's Status. */
export interface ApiClient {
  get(r: ResourceRef, namespace: string | undefined, name: string): Promise<KubeObject>;
  list(r: ResourceRef, namespace: string | undefined, opts?: ListOptions): Promise<KubeList>;
  create(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  update(r: ResourceRef, namespace: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<KubeObject>;
  patch(r: ResourceRef, namespace: string | undefined, name: string, type: PatchType, patch: unknown, opts?: WriteOptions): Promise<KubeObject>;
  delete(r: ResourceRef, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<void>;
  watch(r: ResourceRef, namespace: string | undefined, opts: WatchOptions, handlers: WatchHandlers): { stop(): void };
}

/** The request path of a resource, or of one object of it. */
export function resourcePath(r: ResourceRef, namespace: string | undefined, name?: string, subresource?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : `/api/${r.version}`;
  if (namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${r.resource}`;
  if (name !== undefined) p += `/${encodeURIComponent(name)}`;
  if (subresource) p += `/${subresource}`;
  return p;
}

/** The ConfigMap in every namespace with the cluster CA (the root-ca-cert-publisher's, read by pods' token volumes). */
export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';

/** Common resources, named once. */
export const R = {
  namespaces: { group: '', version: 'v1', resource: 'namespaces' },
  pods: { group: '', version: 'v1', resource: 'pods' },
  services: { group: '', version: 'v1', resource: 'services' },
  endpoints: { group: '', version: 'v1', resource: 'endpoints' },
  configmaps: { group: '', version: 'v1', resource: 'configmaps' },
  secrets: { group: '', version: 'v1', resource: 'secrets' },
  serviceaccounts: { group: '', version: 'v1', resource: 'serviceaccounts' },
  nodes: { group: '', version: 'v1', resource: 'nodes' },
  events: { group: '', version: 'v1', resource: 'events' },
  persistentvolumes: { group: '', version: 'v1', resource: 'persistentvolumes' },
  persistentvolumeclaims: { group: '', version: 'v1', resource: 'persistentvolumeclaims' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments' },
  replicasets: { group: 'apps', version: 'v1', resource: 'replicasets' },
  statefulsets: { group: 'apps', version: 'v1', resource: 'statefulsets' },
  daemonsets: { group: 'apps', version: 'v1', resource: 'daemonsets' },
  controllerrevisions: { group: 'apps', version: 'v1', resource: 'controllerrevisions' },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs' },
  cronjobs: { group: 'batch', version: 'v1', resource: 'cronjobs' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases' },
  endpointslices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices' },
  certificatesigningrequests: { group: 'certificates.k8s.io', version: 'v1', resource: 'certificatesigningrequests' },
  storageclasses: { group: 'storage.k8s.io', version: 'v1', resource: 'storageclasses' },
  poddisruptionbudgets: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets' },
} satisfies Record<string, ResourceRef>;
