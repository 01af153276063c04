// What the Endpoints and EndpointSlice controllers share (upstream pkg/controller/util/endpoint and
// staging endpointslice/util): which services select a pod, which pods a service selects, whether
// a pod belongs in a service's endpoints, its address in the service's IP family, its hostname,
// and the container port a service port's targetPort names.
import type { Container, PodSpec, PodStatus, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import type { ClusterView } from './runtime.js';
import { keyOf } from './runtime.js';

export type ServiceObject = KubeObject & Pick<Service, 'spec'>;
export type PodObject = KubeObject & { spec?: PodSpec; status?: PodStatus };

/** A map selector selects a pod when every pair matches; an absent selector selects nothing here. */
export function selects(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector) return false;
  for (const k in selector) if (labels?.[k] !== selector[k]) return false;
  return true;
}

/** Keys of the services in the pod's namespace whose selector matches it. */
export function servicesSelecting(pod: KubeObject, view: ClusterView): string[] {
  const ns = pod.metadata.namespace;
  if (!ns) return [];
  return view.list(R.services, ns).filter((s) => selects((s as ServiceObject).spec?.selector, pod.metadata.labels)).map(keyOf);
}

/** The pods of the service's namespace its selector matches. */
export function podsSelectedBy(svc: ServiceObject, view: ClusterView): PodObject[] {
  const selector = svc.spec?.selector;
  if (!selector) return [];
  return view.list(R.pods, svc.metadata.namespace!).filter((p) => selects(selector, p.metadata.labels)) as PodObject[];
}

/** A service is headless when it has no cluster IP. */
export const isHeadless = (svc: ServiceObject) => !svc.spec?.clusterIP || svc.spec.clusterIP === 'None';
export const headlessLabel = 'service.kubernetes.io/headless';

/** ShouldPodBeInEndpoints: not finished, has an IP, and is not terminating unless terminating pods are wanted. */
export function shouldPodBeInEndpoints(pod: PodObject, includeTerminating: boolean): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

export type AddressType = 'IPv4' | 'IPv6';

/** The service's address families, in order (spec.ipFamilies, else from its cluster IP, else IPv4). */
export function addressTypes(svc: ServiceObject): AddressType[] {
  const families = (svc.spec?.ipFamilies ?? []).filter((f): f is AddressType => f === 'IPv4' || f === 'IPv6');
  if (families.length) return families;
  const ip = svc.spec?.clusterIP;
  if (ip && ip !== 'None') return [ip.includes(':') ? 'IPv6' : 'IPv4'];
  return ['IPv4'];
}

/** The pod's IP of the given family, if it has one. */
export function podIP(pod: PodObject, family: AddressType): string | undefined {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (!ips.length && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips.find((ip) => (family === 'IPv6') === ip.includes(':'));
}

/** ShouldSetHostname: the pod names a hostname and the service as its subdomain. */
export function shouldSetHostname(pod: PodObject, svc: ServiceObject): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/** podutil.FindPort: a numeric targetPort as is; a named one in the pod's containers (and sidecars) with the same protocol. */
export function findPort(pod: PodObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  const containers: Container[] = [
    ...(pod.spec?.containers ?? []),
    ...(pod.spec?.initContainers ?? []).filter((c) => c.restartPolicy === 'Always'),
  ];
  for (const c of containers) {
    for (const p of c.ports ?? []) if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
  }
  return undefined;
}

export const podRef = (pod: PodObject) => ({ kind: 'Pod', namespace: pod.metadata.namespace!, name: pod.metadata.name!, uid: pod.metadata.uid! });
