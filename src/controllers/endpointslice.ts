// The EndpointSlice controller (upstream pkg/controller/endpointslice and staging
// k8s.io/endpointslice): a service's pods as EndpointSlices of at most 100 endpoints, one group of
// slices per distinct set of resolved ports and per address type, labelled
// kubernetes.io/service-name and endpointslice.kubernetes.io/managed-by, owned by the service and
// named `<service>-<5 chars>`. Each endpoint carries the ready/serving/terminating conditions;
// terminating pods stay listed (not ready) so proxies can drain them. Existing slices are updated
// in place where they can be, new endpoints fill free room before new slices are made, and a
// service without endpoints keeps one empty placeholder slice.
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepClone, deepEqual } from '../model/object.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { keyOf, splitKey } from './runtime.js';
import { controllerRef, generateName, isPodReady } from './pods.js';
import {
  addressTypes, findPort, headlessLabel, isHeadless, podIP, podRef, podsSelectedBy, servicesSelecting, shouldPodBeInEndpoints,
  shouldSetHostname, type AddressType, type PodObject, type ServiceObject,
} from './service-pods.js';

export type EndpointSliceObject = KubeObject & { addressType?: string; endpoints?: Endpoint[] | null; ports?: EndpointPort[] | null };

export const serviceNameLabel = 'kubernetes.io/service-name';
export const managedByLabel = 'endpointslice.kubernetes.io/managed-by';
export const controllerName = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;
const zoneLabel = 'topology.kubernetes.io/zone';

export interface EndpointSliceObservation {
  service?: ServiceObject;
  pods: PodObject[];
  /** The zone label of each node the pods run on. */
  zones: Record<string, string>;
  /** Slices this controller manages for the service. */
  slices: EndpointSliceObject[];
}

export function endpointSliceController(): Controller<EndpointSliceObservation> {
  const sliceKeys = (o: KubeObject): string[] => {
    const svc = o.metadata.labels?.[serviceNameLabel];
    return svc && o.metadata.labels?.[managedByLabel] === controllerName && o.metadata.namespace ? [`${o.metadata.namespace}/${svc}`] : [];
  };
  return {
    name: 'endpointslice',
    watches: [
      { resource: R.services, keys: (o) => [keyOf(o)] },
      { resource: R.pods, keys: servicesSelecting },
      { resource: R.endpointslices, keys: sliceKeys },
    ],
    observe: observeEndpointSlices,
    reconcile: reconcileEndpointSlices,
  };
}

export function observeEndpointSlices(key: string, view: ClusterView): EndpointSliceObservation {
  const { namespace = '', name } = splitKey(key);
  const service = view.get(R.services, namespace, name) as ServiceObject | undefined;
  if (!service) return { pods: [], zones: {}, slices: [] };
  const pods = podsSelectedBy(service, view);
  const zones: Record<string, string> = {};
  for (const p of pods) {
    const node = p.spec?.nodeName;
    if (!node || node in zones) continue;
    const zone = (view.get(R.nodes, undefined, node) as (KubeObject & Pick<Node, 'spec'>) | undefined)?.metadata.labels?.[zoneLabel];
    if (zone) zones[node] = zone;
  }
  const slices = view.dependentsOf(service.metadata.uid!)
    .filter((d) => d.resource.resource === 'endpointslices' && d.object.metadata.labels?.[managedByLabel] === controllerName)
    .map((d) => d.object as EndpointSliceObject);
  return { service, pods, zones, slices };
}

/** The endpoint of a pod for one address type. */
function podToEndpoint(pod: PodObject, svc: ServiceObject, ip: string, zones: Record<string, string>): Endpoint {
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata.deletionTimestamp;
  const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
  const ep: Endpoint = { addresses: [ip], conditions: { ready, serving, terminating } };
  if (shouldSetHostname(pod, svc)) ep.hostname = pod.spec!.hostname!;
  ep.targetRef = podRef(pod);
  const node = pod.spec?.nodeName;
  if (node) {
    ep.nodeName = node;
    if (zones[node]) ep.zone = zones[node];
  }
  return ep;
}

/** getEndpointPorts: the service ports this pod serves, resolved to its container ports. */
function endpointPorts(svc: ServiceObject, pod: PodObject): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const p: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) p.appProtocol = sp.appProtocol;
    out.push(p);
  }
  return out;
}

const portsKey = (ports: EndpointPort[] | null | undefined) =>
  JSON.stringify((ports ?? []).map((p) => [p.name ?? '', p.port ?? 0, p.protocol ?? 'TCP', p.appProtocol ?? '']).sort());
const endpointKey = (ep: Endpoint) => ep.targetRef?.uid ? `uid:${ep.targetRef.uid}` : `ip:${ep.addresses[0]}`;

/** setEndpointSliceLabels: the service's labels (reserved keys excepted), the headless marker, and ours. */
function sliceLabels(svc: ServiceObject): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata.labels ?? {})) if (k !== serviceNameLabel && k !== managedByLabel) labels[k] = v;
  if (isHeadless(svc)) labels[headlessLabel] = '';
  else delete labels[headlessLabel];
  labels[serviceNameLabel] = svc.metadata.name!;
  labels[managedByLabel] = controllerName;
  return labels;
}

export function reconcileEndpointSlices(obs: EndpointSliceObservation, _now: Instant): Decision {
  const svc = obs.service;
  // Slices of a deleted service go with it (they are owned by it); services without a selector get theirs elsewhere.
  if (!svc || svc.metadata.deletionTimestamp || svc.spec?.type === 'ExternalName' || !svc.spec?.selector) return { actions: [] };
  const ns = svc.metadata.namespace!;
  const labels = sliceLabels(svc);
  const families = addressTypes(svc);
  const actions: Action[] = [];
  const taken = new Set(obs.slices.map((s) => s.metadata.name!));
  let counter = obs.slices.length;
  const newSlice = (addressType: AddressType, ports: EndpointPort[], endpoints: Endpoint[]): EndpointSliceObject => {
    const gen = generateName(`${svc.metadata.name}-`, svc.metadata.uid!, counter, (n) => taken.has(n));
    counter = gen.next;
    taken.add(gen.name);
    return {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: gen.name, namespace: ns, labels, ownerReferences: [{ ...controllerRef(svc), apiVersion: 'v1', kind: 'Service' }] },
      addressType, endpoints, ports,
    };
  };

  // Desired endpoints, grouped by address type and resolved ports.
  const desired = new Map<string, { addressType: AddressType; ports: EndpointPort[]; endpoints: Map<string, Endpoint> }>();
  const pods = [...obs.pods].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  for (const family of families) {
    for (const pod of pods) {
      if (!shouldPodBeInEndpoints(pod, true)) continue;
      const ip = podIP(pod, family);
      if (!ip) continue;
      const ports = endpointPorts(svc, pod);
      const key = `${family}|${portsKey(ports)}`;
      let group = desired.get(key);
      if (!group) desired.set(key, (group = { addressType: family, ports, endpoints: new Map() }));
      const ep = podToEndpoint(pod, svc, ip, obs.zones);
      group.endpoints.set(endpointKey(ep), ep);
    }
  }

  const toDelete: EndpointSliceObject[] = [];
  const toCreate: EndpointSliceObject[] = [];
  const updated = new Map<string, EndpointSliceObject>();
  const slicesByGroup = new Map<string, EndpointSliceObject[]>();
  const heldByGroup = new Map<string, Set<string>>();
  for (const slice of [...obs.slices].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1))) {
    if (slice.metadata.deletionTimestamp) continue;
    const key = `${slice.addressType}|${portsKey(slice.ports)}`;
    const group = desired.get(key);
    if (!group) {
      toDelete.push(slice);
      continue;
    }
    // Keep the endpoints still wanted (refreshed), drop the rest; an endpoint lives in one slice only.
    const held = heldByGroup.get(key) ?? new Set<string>();
    heldByGroup.set(key, held);
    const kept: Endpoint[] = [];
    for (const ep of slice.endpoints ?? []) {
      const k = endpointKey(ep);
      const want = group.endpoints.get(k);
      if (!want || held.has(k)) continue;
      held.add(k);
      kept.push(want);
    }
    const next = deepClone(slice);
    next.endpoints = kept;
    next.metadata.labels = { ...(slice.metadata.labels ?? {}), ...labels };
    if (!deepEqual(slice.endpoints ?? [], kept) || !deepEqual(slice.metadata.labels ?? {}, next.metadata.labels)) updated.set(slice.metadata.name!, next);
    const list = slicesByGroup.get(key) ?? [];
    list.push(next);
    slicesByGroup.set(key, list);
  }

  // Place the endpoints no slice holds yet: into free room first, then into new slices.
  for (const [key, group] of desired) {
    const slices = slicesByGroup.get(key) ?? [];
    const held = heldByGroup.get(key) ?? new Set<string>();
    const pending = [...group.endpoints.values()].filter((ep) => !held.has(endpointKey(ep)));
    for (const slice of slices) {
      if (!pending.length) break;
      const room = MAX_ENDPOINTS_PER_SLICE - (slice.endpoints ?? []).length;
      if (room <= 0) continue;
      slice.endpoints = [...(slice.endpoints ?? []), ...pending.splice(0, room)];
      updated.set(slice.metadata.name!, slice);
    }
    while (pending.length) toCreate.push(newSlice(group.addressType, group.ports, pending.splice(0, MAX_ENDPOINTS_PER_SLICE)));
    // An emptied slice is removed, unless it is the last one left (it becomes the placeholder below).
    for (const slice of slices) {
      if ((slice.endpoints ?? []).length === 0) {
        updated.delete(slice.metadata.name!);
        toDelete.push(slice);
      }
    }
  }

  // With nothing to hold, a service keeps one empty placeholder slice.
  const remaining = obs.slices.filter((s) => !s.metadata.deletionTimestamp).length - toDelete.length;
  if (remaining === 0 && toCreate.length === 0) {
    // Reuse an existing placeholder rather than deleting and recreating it.
    const keep = toDelete.find((s) => !(s.ports ?? []).length && s.addressType === families[0]);
    if (keep) {
      toDelete.splice(toDelete.indexOf(keep), 1);
      const next = deepClone(keep);
      next.endpoints = [];
      next.metadata.labels = { ...(keep.metadata.labels ?? {}), ...labels };
      if (!deepEqual(keep.endpoints ?? [], []) || !deepEqual(keep.metadata.labels ?? {}, next.metadata.labels)) updated.set(keep.metadata.name!, next);
    } else {
      toCreate.push(newSlice(families[0]!, [], []));
    }
  }

  for (const s of toCreate) actions.push({ kind: 'create', resource: R.endpointslices, namespace: ns, object: s });
  for (const s of updated.values()) actions.push({ kind: 'update', resource: R.endpointslices, namespace: ns, object: s });
  for (const s of toDelete) {
    actions.push({ kind: 'delete', resource: R.endpointslices, namespace: ns, name: s.metadata.name!, options: { preconditions: { uid: s.metadata.uid! } } });
  }
  return { actions };
}
