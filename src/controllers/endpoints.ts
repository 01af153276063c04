// The Endpoints controller (upstream pkg/controller/endpoint): for every service with a selector,
// an Endpoints object of the same name listing the selected pods' addresses, ready ones under
// `addresses` and the rest under `notReadyAddresses` (all ready with publishNotReadyAddresses),
// for each service port resolved against the pod's container ports, packed into subsets of
// addresses sharing the same ports, at most 1000 addresses. Services without a selector (such as
// `kubernetes`, whose endpoints the API server writes) are left alone; ExternalName services get none.
import type { EndpointAddress, EndpointPort, EndpointSubset } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepClone, deepEqual } from '../model/object.js';
import type { Action, Controller, Decision } from './runtime.js';
import { keyOf, splitKey } from './runtime.js';
import {
  addressTypes, findPort, headlessLabel, isHeadless, podIP, podRef, podsSelectedBy, servicesSelecting, shouldPodBeInEndpoints,
  shouldSetHostname, type PodObject, type ServiceObject,
} from './service-pods.js';
import { isPodReady } from './pods.js';

export type EndpointsObject = KubeObject & { subsets?: EndpointSubset[] };

export const overCapacityAnnotation = 'endpoints.kubernetes.io/over-capacity';
const MAX_CAPACITY = 1000;

export interface EndpointsObservation {
  namespace: string;
  name: string;
  service?: ServiceObject;
  pods: PodObject[];
  endpoints?: EndpointsObject;
}

export function endpointsController(): Controller<EndpointsObservation> {
  return {
    name: 'endpoints',
    watches: [
      { resource: R.services, keys: (o) => [keyOf(o)] },
      { resource: R.pods, keys: servicesSelecting },
      { resource: R.endpoints, keys: (o) => [keyOf(o)] },
    ],
    observe(key, view) {
      const { namespace = '', name } = splitKey(key);
      const service = view.get(R.services, namespace, name) as ServiceObject | undefined;
      const endpoints = view.get(R.endpoints, namespace, name) as EndpointsObject | undefined;
      const obs: EndpointsObservation = { namespace, name, pods: service ? podsSelectedBy(service, view) : [] };
      if (service) obs.service = service;
      if (endpoints) obs.endpoints = endpoints;
      return obs;
    },
    reconcile: reconcileEndpoints,
  };
}

const addrKey = (a: EndpointAddress) => `${a.ip}/${a.targetRef?.uid ?? ''}`;
const portKey = (p: EndpointPort) => `${p.name ?? ''}/${p.port}/${p.protocol ?? ''}/${p.appProtocol ?? ''}`;
const compareAddrs = (a: EndpointAddress, b: EndpointAddress) => (a.ip !== b.ip ? (a.ip < b.ip ? -1 : 1) : (a.targetRef?.uid ?? '') < (b.targetRef?.uid ?? '') ? -1 : 1);

/**
 * RepackSubsets: the canonical form. Each address goes with the set of ports it offers; addresses
 * offering the same ports share a subset; an address ready on a port stays ready there.
 */
export function repackSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const addrs = new Map<string, EndpointAddress>();
  const byPort = new Map<string, { port?: EndpointPort; ready: Map<string, boolean> }>();
  const note = (a: EndpointAddress, port: EndpointPort | undefined, ready: boolean) => {
    const k = addrKey(a);
    if (!addrs.has(k)) addrs.set(k, a);
    const pk = port ? portKey(port) : '';
    let entry = byPort.get(pk);
    if (!entry) byPort.set(pk, (entry = { ...(port ? { port } : {}), ready: new Map() }));
    const was = entry.ready.get(k);
    if (was === undefined || !was || ready) entry.ready.set(k, ready);
  };
  for (const s of subsets) {
    const ports: (EndpointPort | undefined)[] = s.ports?.length ? s.ports : [undefined];
    for (const port of ports) {
      for (const a of s.addresses ?? []) note(a, port, true);
      for (const a of s.notReadyAddresses ?? []) note(a, port, false);
    }
  }
  // Group ports by the exact set of (address, readiness) they carry.
  const groups = new Map<string, { ready: Map<string, boolean>; ports: EndpointPort[] }>();
  for (const { port, ready } of byPort.values()) {
    const sig = [...ready].map(([k, r]) => `${k}=${r}`).sort().join(',');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { ready, ports: [] }));
    if (port) g.ports.push(port);
  }
  const out: EndpointSubset[] = [];
  for (const g of groups.values()) {
    const readyAddrs: EndpointAddress[] = [];
    const notReady: EndpointAddress[] = [];
    for (const [k, r] of g.ready) (r ? readyAddrs : notReady).push(addrs.get(k)!);
    const s: EndpointSubset = {};
    if (readyAddrs.length) s.addresses = readyAddrs.sort(compareAddrs);
    if (notReady.length) s.notReadyAddresses = notReady.sort(compareAddrs);
    if (g.ports.length) s.ports = g.ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    out.push(s);
  }
  const first = (s: EndpointSubset) => (s.addresses?.[0] ?? s.notReadyAddresses?.[0])?.ip ?? '';
  return out.sort((a, b) => (first(a) !== first(b) ? (first(a) < first(b) ? -1 : 1) : (portKey(a.ports?.[0] ?? { port: 0 }) < portKey(b.ports?.[0] ?? { port: 0 }) ? -1 : 1)));
}

/** truncateEndpoints: at most 1000 addresses, ready ones kept first, each subset in proportion. */
function truncate(subsets: EndpointSubset[]): boolean {
  let ready = 0;
  let notReady = 0;
  for (const s of subsets) {
    ready += (s.addresses ?? []).length;
    notReady += (s.notReadyAddresses ?? []).length;
  }
  if (ready + notReady <= MAX_CAPACITY) return false;
  const truncateReady = ready > MAX_CAPACITY;
  const max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - ready;
  const total = truncateReady ? ready : notReady;
  let room = max;
  for (const s of subsets) {
    const n = truncateReady ? (s.addresses ?? []).length : (s.notReadyAddresses ?? []).length;
    const take = Math.min(Math.ceil((n / total) * max), room);
    if (truncateReady) {
      s.addresses = (s.addresses ?? []).slice(0, take);
      delete s.notReadyAddresses;
      room -= s.addresses.length;
    } else {
      s.notReadyAddresses = (s.notReadyAddresses ?? []).slice(0, take);
      room -= s.notReadyAddresses.length;
    }
  }
  return true;
}

/** The subsets a service's pods imply. */
export function desiredSubsets(svc: ServiceObject, pods: PodObject[]): EndpointSubset[] {
  const tolerateUnready = !!svc.spec?.publishNotReadyAddresses;
  const family = addressTypes(svc)[0]!;
  const subsets: EndpointSubset[] = [];
  const sorted = [...pods].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const ip = podIP(pod, family);
    if (!ip) continue;
    const addr: EndpointAddress = { ip, targetRef: podRef(pod) };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    if (shouldSetHostname(pod, svc)) addr.hostname = pod.spec!.hostname!;
    const ready = tolerateUnready || isPodReady(pod);
    const add = (ports: EndpointPort[] | undefined) => subsets.push(ready ? { addresses: [addr], ...(ports ? { ports } : {}) } : { notReadyAddresses: [addr], ...(ports ? { ports } : {}) });
    const svcPorts = svc.spec?.ports ?? [];
    if (svcPorts.length === 0) {
      if (svc.spec?.clusterIP === 'None') add(undefined);
      continue;
    }
    for (const sp of svcPorts) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      add([ep]);
    }
  }
  return repackSubsets(subsets);
}

export function reconcileEndpoints(obs: EndpointsObservation, _now: Instant): Decision {
  const { service: svc, endpoints: current } = obs;
  if (!svc) {
    // The service is gone: its endpoints go too.
    return current
      ? { actions: [{ kind: 'delete', resource: R.endpoints, namespace: obs.namespace, name: obs.name, options: { preconditions: { uid: current.metadata.uid! } } }] }
      : { actions: [] };
  }
  if (svc.spec?.type === 'ExternalName' || !svc.spec?.selector) return { actions: [] };

  const subsets = desiredSubsets(svc, obs.pods);
  const truncated = truncate(subsets);
  const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
  delete labels[headlessLabel];
  if (current) {
    const currentLabels = { ...(current.metadata.labels ?? {}) };
    delete currentLabels[headlessLabel];
    const capacityRight = truncated === (current.metadata.annotations?.[overCapacityAnnotation] === 'truncated');
    if (deepEqual(current.subsets ?? [], subsets) && deepEqual(currentLabels, labels) && capacityRight &&
      (current.metadata.labels?.[headlessLabel] !== undefined) === isHeadless(svc)) {
      return { actions: [] };
    }
  }
  const next: EndpointsObject = current ? deepClone(current) : { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: obs.name, namespace: obs.namespace } };
  next.subsets = subsets;
  if (!subsets.length) delete next.subsets;
  next.metadata.labels = isHeadless(svc) ? { ...labels, [headlessLabel]: '' } : labels;
  if (!Object.keys(next.metadata.labels).length) delete next.metadata.labels;
  const annotations = { ...(next.metadata.annotations ?? {}) };
  if (truncated) annotations[overCapacityAnnotation] = 'truncated';
  else delete annotations[overCapacityAnnotation];
  if (Object.keys(annotations).length) next.metadata.annotations = annotations;
  else delete next.metadata.annotations;
  const action: Action = current
    ? { kind: 'update', resource: R.endpoints, namespace: obs.namespace, object: next }
    : { kind: 'create', resource: R.endpoints, namespace: obs.namespace, object: next };
  return { actions: [action] };
}
