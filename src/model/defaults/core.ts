// Defaults of the core/v1 kinds other than Pod (pkg/apis/core/v1/defaults.go and the generated
// SetObjectDefaults_* that call them), plus the zero-valued structs Go's JSON encoder always emits.
import {
  azureDiskDefaults,
  hostPathDefaults,
  iscsiDefaults,
  podTemplateDefaults,
  pvcSpecDefaults,
  rbdDefaults,
  resourceListDefaults,
  scaleIODefaults,
} from './pod.js';
import { assign, child, ensure, isEmpty, items, materialize, setDefault, setDefaultString, str, type Obj } from './walk.js';

function externallyAccessible(spec: Obj): boolean {
  const type = spec.type;
  return type === 'LoadBalancer' || type === 'NodePort' || (type === 'ClusterIP' && !isEmpty(spec.externalIPs));
}

export function serviceDefaults(svc: Obj): void {
  const spec = ensure(svc, 'spec');
  if (spec) {
    setDefaultString(spec, 'sessionAffinity', 'None');
    if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
    if (spec.sessionAffinity === 'ClientIP') {
      const timeout = child(child(spec, 'sessionAffinityConfig'), 'clientIP')?.timeoutSeconds;
      if (timeout === undefined || timeout === null) spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
    }
    setDefaultString(spec, 'type', 'ClusterIP');
    for (const port of items(spec, 'ports')) {
      setDefaultString(port, 'protocol', 'TCP');
      const t = port.targetPort;
      if (t === undefined || t === null || t === 0 || t === '') assign(port, 'targetPort', typeof port.port === 'number' ? port.port : 0);
    }
    if (externallyAccessible(spec)) setDefaultString(spec, 'externalTrafficPolicy', 'Cluster');
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type as string)) setDefault(spec, 'internalTrafficPolicy', 'Cluster');
    if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);
  }
  const status = ensure(svc, 'status');
  if (status) {
    materialize(status, 'loadBalancer', {});
    if (spec?.type === 'LoadBalancer') {
      for (const ing of items(child(status, 'loadBalancer'), 'ingress')) {
        if (str(ing.ip) !== '') setDefault(ing, 'ipMode', 'VIP');
      }
    }
  }
}

/** The label every named namespace carries (SetDefaults_Namespace). */
export const namespaceNameLabel = 'kubernetes.io/metadata.name';

export function namespaceDefaults(ns: Obj): void {
  const meta = child(ns, 'metadata');
  const name = str(meta?.name);
  if (meta && name) {
    const labels = ensure(meta, 'labels');
    if (labels) assign(labels, namespaceNameLabel, name);
  }
  materialize(ns, 'spec', {});
  const status = ensure(ns, 'status');
  if (status) setDefaultString(status, 'phase', 'Active');
}

export function secretDefaults(secret: Obj): void {
  setDefaultString(secret, 'type', 'Opaque');
  // Conversion to the internal type folds stringData into data (base64 on the wire); the
  // internal type has no stringData, so it is never stored or returned.
  const stringData = child(secret, 'stringData');
  if (stringData && Object.values(stringData).every((v) => typeof v === 'string')) {
    const data = Object.keys(stringData).length ? ensure(secret, 'data') : {};
    if (!data) return; // data of the wrong type: left for validation, like the rest
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v as string, 'utf8').toString('base64');
    delete secret.stringData;
  } else if (secret.stringData === null) {
    delete secret.stringData;
  }
}

export function persistentVolumeDefaults(pv: Obj): void {
  const spec = ensure(pv, 'spec');
  if (spec) {
    setDefaultString(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    setDefault(spec, 'volumeMode', 'Filesystem');
    resourceListDefaults(spec, 'capacity');
    hostPathDefaults(child(spec, 'hostPath'));
    rbdDefaults(child(spec, 'rbd'));
    iscsiDefaults(child(spec, 'iscsi'));
    azureDiskDefaults(child(spec, 'azureDisk'));
    scaleIODefaults(child(spec, 'scaleIO'));
  }
  const status = ensure(pv, 'status');
  if (status) setDefaultString(status, 'phase', 'Pending');
}

/** SetObjectDefaults_PersistentVolumeClaim; also used for StatefulSet volumeClaimTemplates. */
export function persistentVolumeClaimDefaults(pvc: Obj): void {
  const spec = ensure(pvc, 'spec');
  if (spec) pvcSpecDefaults(spec);
  const status = ensure(pvc, 'status');
  if (status) {
    setDefaultString(status, 'phase', 'Pending');
    resourceListDefaults(status, 'capacity');
    resourceListDefaults(status, 'allocatedResources');
  }
}

export function endpointsDefaults(ep: Obj): void {
  for (const subset of items(ep, 'subsets')) {
    for (const port of items(subset, 'ports')) setDefaultString(port, 'protocol', 'TCP');
  }
}

const resourceListKeys = ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'];

export function limitRangeDefaults(lr: Obj): void {
  const spec = ensure(lr, 'spec');
  if (!spec) return;
  materialize(spec, 'limits', null);
  for (const item of items(spec, 'limits')) {
    if (item.type === 'Container') {
      const def: Obj = child(item, 'default') ?? {};
      const defReq: Obj = child(item, 'defaultRequest') ?? {};
      // Default limit from max, default request from the default limit, then from min.
      for (const [k, v] of Object.entries(child(item, 'max') ?? {})) if (!(k in def)) def[k] = v;
      for (const [k, v] of Object.entries(def)) if (!(k in defReq)) defReq[k] = v;
      for (const [k, v] of Object.entries(child(item, 'min') ?? {})) if (!(k in defReq)) defReq[k] = v;
      // Go allocates both maps; empty ones vanish under omitempty.
      if (Object.keys(def).length) assign(item, 'default', def);
      if (Object.keys(defReq).length) assign(item, 'defaultRequest', defReq);
    }
    for (const key of resourceListKeys) resourceListDefaults(item, key);
  }
}

const nodeInfoFields = [
  'machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion', 'kubeletVersion',
  'kubeProxyVersion', 'operatingSystem', 'architecture',
];

export function nodeDefaults(node: Obj): void {
  materialize(node, 'spec', {});
  // v1 conversion: podCIDR is authoritative over podCIDRs and is always their first entry.
  const spec = child(node, 'spec');
  if (spec) {
    const one = typeof spec.podCIDR === 'string' ? spec.podCIDR : '';
    const list = Array.isArray(spec.podCIDRs) ? spec.podCIDRs : [];
    if (one && list[0] !== one) spec.podCIDRs = [one];
    const first = Array.isArray(spec.podCIDRs) ? spec.podCIDRs[0] : undefined;
    if (typeof first === 'string' && first !== '') assign(spec, 'podCIDR', first);
  }
  const status = ensure(node, 'status');
  if (!status) return;
  if ((status.allocatable === undefined || status.allocatable === null) && child(status, 'capacity')) {
    status.allocatable = { ...child(status, 'capacity') };
  }
  resourceListDefaults(status, 'capacity');
  resourceListDefaults(status, 'allocatable');
  const endpoints = ensure(status, 'daemonEndpoints');
  const kubelet = endpoints && ensure(endpoints, 'kubeletEndpoint');
  if (kubelet) materialize(kubelet, 'Port', 0);
  const info = ensure(status, 'nodeInfo');
  if (info) for (const f of nodeInfoFields) materialize(info, f, '');
}

/** core/v1 Event: no defaulting functions, but several fields serialize at their zero value. */
export function eventDefaults(ev: Obj): void {
  materialize(ev, 'involvedObject', {});
  materialize(ev, 'source', {});
  materialize(ev, 'firstTimestamp', null);
  materialize(ev, 'lastTimestamp', null);
  materialize(ev, 'eventTime', null);
  materialize(ev, 'reportingComponent', '');
  materialize(ev, 'reportingInstance', '');
}

/** events.k8s.io/v1 Event's always-present fields. */
export function eventsV1EventDefaults(ev: Obj): void {
  materialize(ev, 'eventTime', null);
  materialize(ev, 'regarding', {});
  materialize(ev, 'deprecatedSource', {});
  materialize(ev, 'deprecatedFirstTimestamp', null);
  materialize(ev, 'deprecatedLastTimestamp', null);
}

export function resourceQuotaDefaults(rq: Obj): void {
  const spec = ensure(rq, 'spec');
  resourceListDefaults(spec, 'hard');
  const status = ensure(rq, 'status');
  resourceListDefaults(status, 'hard');
  resourceListDefaults(status, 'used');
}

export function podTemplateKindDefaults(pt: Obj): void {
  podTemplateDefaults(ensure(pt, 'template'));
}
