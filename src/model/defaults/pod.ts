// Defaults of core/v1 pods and of every PodSpec and PodTemplateSpec embedded in other kinds
// (SetDefaults_PodSpec, _Container, _Probe, _Volume and the volume sources, and the generated
// field defaults of ports and gRPC probes). SetDefaults_Pod's extras apply to Pod objects only.
import { defaultPullPolicy } from './image.js';
import { formatQuantity, quantityFromJSON, scaledValue, type Quantity } from '../quantity.js';
import { assign, child, ensure, items, materialize, setDefault, setDefaultString, type Obj } from './walk.js';

/** A wire quantity, or undefined when it is not one (decoding rejects those, not defaulting). */
export function toQuantity(v: unknown): Quantity | undefined {
  try {
    return quantityFromJSON(v);
  } catch {
    return undefined;
  }
}

/** The string a wire quantity serializes as, or undefined when it is not a quantity. */
export function serializedQuantity(v: unknown): string | undefined {
  const q = toQuantity(v);
  return q && formatQuantity(q);
}

/** SetDefaults_ResourceList: quantities finer than a milli round up (away from zero) to milli
 * precision, losing the text they were parsed from; all serialize as upstream does. */
export function resourceListDefaults(o: Obj | undefined, key: string): void {
  const list = child(o, key);
  if (!list) return;
  for (const [name, v] of Object.entries(list)) {
    const text = typeof v === 'string' ? defaultedQuantities.get(v) : undefined;
    if (text !== undefined) {
      assign(list, name, text);
      continue;
    }
    const q = toQuantity(v);
    if (!q) continue;
    const rounded: Quantity = q.exponent >= -3 ? q : { mantissa: scaledValue(q, -3), exponent: -3, format: q.format };
    const defaulted = formatQuantity(rounded);
    assign(list, name, defaulted);
    if (typeof v === 'string') remember(v, defaulted);
  }
}

// What each quantity text defaults to, a pure function of the text: every write of a pod defaults
// its whole spec again, and a cluster uses few distinct quantities. Bounded, as clients choose the texts.
const defaultedQuantities = new Map<string, string>();
function remember(text: string, defaulted: string): void {
  if (defaultedQuantities.size >= 4096) defaultedQuantities.clear();
  defaultedQuantities.set(text, defaulted);
}

function resourceRequirementsDefaults(r: Obj | undefined): void {
  resourceListDefaults(r, 'limits');
  resourceListDefaults(r, 'requests');
}

const setIfZero = (o: Obj, key: string, value: number) => {
  if (o[key] === undefined || o[key] === null || o[key] === 0) assign(o, key, value);
};

function httpGetDefaults(h: Obj | undefined): void {
  if (!h) return;
  setDefaultString(h, 'path', '/');
  setDefaultString(h, 'scheme', 'HTTP');
}

function probeDefaults(p: Obj | undefined): void {
  if (!p) return;
  setIfZero(p, 'timeoutSeconds', 1);
  setIfZero(p, 'periodSeconds', 10);
  setIfZero(p, 'successThreshold', 1);
  setIfZero(p, 'failureThreshold', 3);
  httpGetDefaults(child(p, 'httpGet'));
  const grpc = child(p, 'grpc');
  if (grpc) setDefault(grpc, 'service', '');
}

export function fieldRefDefaults(f: Obj | undefined): void {
  if (f) setDefaultString(f, 'apiVersion', 'v1');
}

export function containerDefaults(c: Obj): void {
  setDefaultString(c, 'imagePullPolicy', defaultPullPolicy(c.image));
  setDefaultString(c, 'terminationMessagePath', '/dev/termination-log');
  setDefaultString(c, 'terminationMessagePolicy', 'File');
  for (const port of items(c, 'ports')) setDefaultString(port, 'protocol', 'TCP');
  for (const env of items(c, 'env')) fieldRefDefaults(child(child(env, 'valueFrom'), 'fieldRef'));
  materialize(c, 'resources', {});
  resourceRequirementsDefaults(child(c, 'resources'));
  probeDefaults(child(c, 'livenessProbe'));
  probeDefaults(child(c, 'readinessProbe'));
  probeDefaults(child(c, 'startupProbe'));
  const lifecycle = child(c, 'lifecycle');
  httpGetDefaults(child(child(lifecycle, 'postStart'), 'httpGet'));
  httpGetDefaults(child(child(lifecycle, 'preStop'), 'httpGet'));
}

/** Every VolumeSource member; a volume naming none of them becomes an emptyDir. */
const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi',
  'glusterfs', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc',
  'azureFile', 'configMap', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected',
  'portworxVolume', 'scaleIO', 'storageos', 'csi', 'ephemeral', 'image',
];

const defaultMode = (o: Obj | undefined) => {
  if (o) setDefault(o, 'defaultMode', 420);
};

export function hostPathDefaults(h: Obj | undefined): void {
  if (h) setDefault(h, 'type', '');
}

export function rbdDefaults(r: Obj | undefined): void {
  if (!r) return;
  setDefaultString(r, 'pool', 'rbd');
  setDefaultString(r, 'user', 'admin');
  setDefaultString(r, 'keyring', '/etc/ceph/keyring');
}

export function iscsiDefaults(i: Obj | undefined): void {
  if (i) setDefaultString(i, 'iscsiInterface', 'default');
}

export function azureDiskDefaults(a: Obj | undefined): void {
  if (!a) return;
  setDefault(a, 'cachingMode', 'ReadWrite');
  setDefault(a, 'kind', 'Shared');
  setDefault(a, 'fsType', 'ext4');
  setDefault(a, 'readOnly', false);
}

export function scaleIODefaults(s: Obj | undefined): void {
  if (!s) return;
  setDefaultString(s, 'storageMode', 'ThinProvisioned');
  setDefaultString(s, 'fsType', 'xfs');
}

/** SetDefaults_PersistentVolumeClaimSpec plus its resource lists. */
export function pvcSpecDefaults(spec: Obj | undefined): void {
  if (!spec) return;
  setDefault(spec, 'volumeMode', 'Filesystem');
  materialize(spec, 'resources', {});
  resourceRequirementsDefaults(child(spec, 'resources'));
}

function volumeDefaults(v: Obj): void {
  if (!volumeSources.some((k) => v[k] !== undefined && v[k] !== null)) v.emptyDir = {};
  const image = child(v, 'image');
  if (image) setDefaultString(image, 'pullPolicy', defaultPullPolicy(image.reference));
  hostPathDefaults(child(v, 'hostPath'));
  defaultMode(child(v, 'secret'));
  iscsiDefaults(child(v, 'iscsi'));
  rbdDefaults(child(v, 'rbd'));
  const downward = child(v, 'downwardAPI');
  defaultMode(downward);
  for (const item of items(downward, 'items')) fieldRefDefaults(child(item, 'fieldRef'));
  defaultMode(child(v, 'configMap'));
  azureDiskDefaults(child(v, 'azureDisk'));
  const projected = child(v, 'projected');
  defaultMode(projected);
  for (const source of items(projected, 'sources')) {
    for (const item of items(child(source, 'downwardAPI'), 'items')) fieldRefDefaults(child(item, 'fieldRef'));
    const token = child(source, 'serviceAccountToken');
    if (token) setDefault(token, 'expirationSeconds', 3600);
  }
  scaleIODefaults(child(v, 'scaleIO'));
  const emptyDir = child(v, 'emptyDir');
  if (emptyDir && emptyDir.sizeLimit !== undefined) {
    const serialized = serializedQuantity(emptyDir.sizeLimit);
    if (serialized !== undefined) assign(emptyDir, 'sizeLimit', serialized);
  }
  pvcSpecDefaults(child(child(child(v, 'ephemeral'), 'volumeClaimTemplate'), 'spec'));
}

/** SetDefaults_PodSpec and everything nested in a PodSpec. */
export function podSpecDefaults(spec: Obj): void {
  // Not defaulting but the v1 conversion every decoded pod spec passes through: the deprecated
  // serviceAccount fills an empty serviceAccountName and then always mirrors it.
  if (typeof spec.serviceAccount === 'string' && spec.serviceAccount !== '' && (spec.serviceAccountName === undefined || spec.serviceAccountName === '')) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  if (typeof spec.serviceAccountName === 'string' && spec.serviceAccountName !== '') assign(spec, 'serviceAccount', spec.serviceAccountName);
  else if (spec.serviceAccount === '') delete spec.serviceAccount;
  setDefaultString(spec, 'dnsPolicy', 'ClusterFirst');
  setDefaultString(spec, 'restartPolicy', 'Always');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefaultString(spec, 'schedulerName', 'default-scheduler');
  for (const v of items(spec, 'volumes')) volumeDefaults(v);
  for (const c of items(spec, 'initContainers')) containerDefaults(c);
  for (const c of items(spec, 'containers')) containerDefaults(c);
  for (const c of items(spec, 'ephemeralContainers')) containerDefaults(c);
  resourceListDefaults(spec, 'overhead');
  resourceRequirementsDefaults(child(spec, 'resources'));
}

/** A PodTemplateSpec inside a workload: pod spec defaults, not SetDefaults_Pod's. */
export function podTemplateDefaults(template: Obj | undefined): void {
  if (!template) return;
  materialize(template, 'metadata', {});
  const spec = ensure(template, 'spec');
  if (spec) podSpecDefaults(spec);
}

function requestsFromLimits(c: Obj): void {
  const resources = child(c, 'resources');
  const limits = child(resources, 'limits');
  if (!resources || !limits) return;
  const requests = ensure(resources, 'requests');
  if (!requests) return;
  for (const [name, q] of Object.entries(limits)) if (!(name in requests)) requests[name] = q;
}

/** The v1 conversion keeps a singular IP field and its plural list consistent: the singular one wins
 * when they disagree, fills an empty list, and is always the list's first entry. */
export function syncPluralIPs(o: Obj | undefined, single: string, plural: string, key: string): void {
  if (!o) return;
  const one = typeof o[single] === 'string' ? (o[single] as string) : '';
  const list = items(o, plural);
  if (one && (list.length === 0 || list[0]![key] !== one)) o[plural] = [{ [key]: one }];
  const first = items(o, plural)[0]?.[key];
  if (typeof first === 'string' && first !== '') assign(o, single, first);
}

function statusResourceDefaults(status: Obj | undefined): void {
  for (const key of ['initContainerStatuses', 'containerStatuses', 'ephemeralContainerStatuses']) {
    for (const s of items(status, key)) {
      resourceListDefaults(s, 'allocatedResources');
      resourceRequirementsDefaults(child(s, 'resources'));
    }
  }
}

/** SetObjectDefaults_Pod. */
export function podDefaults(pod: Obj): void {
  const spec = ensure(pod, 'spec');
  // A frozen spec is the stored pod's own, kept by a status write: defaulted when it was written
  // (defaulting it again would change nothing; the idempotence test shows it).
  if (spec && !Object.isFrozen(spec)) {
    // Only pods (not templates) get requests from limits, service links and host-network ports.
    for (const c of items(spec, 'containers')) requestsFromLimits(c);
    for (const c of items(spec, 'initContainers')) requestsFromLimits(c);
    setDefault(spec, 'enableServiceLinks', true);
    if (spec.hostNetwork === true) {
      for (const key of ['containers', 'initContainers']) {
        for (const c of items(spec, key)) {
          for (const port of items(c, 'ports')) {
            const unset = port.hostPort === undefined || port.hostPort === null || port.hostPort === 0;
            if (unset && typeof port.containerPort === 'number') port.hostPort = port.containerPort;
          }
        }
      }
    }
    podSpecDefaults(spec);
  }
  materialize(pod, 'status', {});
  const status = child(pod, 'status');
  statusResourceDefaults(status);
  syncPluralIPs(status, 'podIP', 'podIPs', 'ip');
  syncPluralIPs(status, 'hostIP', 'hostIPs', 'ip');
}
