// The built-in admission steps every write passes, as upstream's default admission chain:
// NamespaceLifecycle, ServiceAccount (the account, its image pull secrets and the projected API
// token volume), Priority, DefaultTolerationSeconds, and the Service registry's ClusterIP/NodePort
// allocation.
import type { KubeObject } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import { errors } from '../model/status.js';
import { fieldErrors, FieldPath, GoRepr } from '../model/field.js';
import type { ObjectStore } from '../store/types.js';
import { objectKey } from '../store/types.js';
import { AllocationError, type ServiceAllocator } from './allocator.js';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../model/scheduling.js';
import type { Container, Volume } from 'kubernetes-types/core/v1.js';
import { ROOT_CA_CONFIGMAP } from '../model/api.js';

/** How the ServiceAccount admission step finds a pod's account. */
export interface ServiceAccountAdmissionOptions {
  /**
   * Upstream's rule: the account must exist, or the pod is refused (403). The `default` account,
   * which the ServiceAccounts controller makes soon after its namespace, is looked for again a few
   * times first, as upstream does. Without this (in-process servers: the simulator, the model
   * checker, unit harnesses, where pods may be made before any controller ran) a missing account
   * is taken to be one with no settings: the token is mounted and nothing is refused.
   */
  require?: { attempts: number; sleep(ms: number): Promise<void> };
  /** Five random characters for the volume name kube-api-access-XXXXX (the server's name generator). */
  nameSuffix(): string;
}

/** Where the ServiceAccount admission mounts the API credentials (DefaultAPITokenMountPath). */
export const SERVICE_ACCOUNT_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
export const SERVICE_ACCOUNT_VOLUME_PREFIX = 'kube-api-access-';
const MIRROR_POD_ANNOTATION = 'kubernetes.io/config.mirror';

export interface Admission {
  admitCreate(t: ResourceType, obj: KubeObject, dryRun: boolean): Promise<void>;
  admitUpdate(t: ResourceType, obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<void>;
  admitDelete(t: ResourceType, ns: string | undefined, name: string): Promise<void>;
  /** The write of this object finished (stored or failed): drop what admission held for it. */
  settle(t: ResourceType, obj: KubeObject): void;
}

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const isCore = (t: ResourceType, kind: string) => t.group === '' && t.kind === kind;

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  ports?: { port?: number; protocol?: string; nodePort?: number }[];
}

interface PodSpec {
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  imagePullSecrets?: { name?: string }[];
  volumes?: Volume[];
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }[];
}

export class BuiltinAdmission implements Admission {
  private readonly held = new Map<string, { ips: string[]; ports: number[] }>();

  constructor(private readonly store: ObjectStore, private readonly services: ServiceAllocator, private readonly serviceAccounts: ServiceAccountAdmissionOptions) {}

  async admitCreate(t: ResourceType, obj: KubeObject, dryRun: boolean): Promise<void> {
    if (t.namespaced) await this.namespaceOpen(t, obj);
    if (isCore(t, 'Pod')) {
      await this.admitServiceAccount(obj);
      admitPod(obj);
    }
    if (isCore(t, 'Service')) await this.allocate(obj, undefined, dryRun);
  }

  async admitUpdate(t: ResourceType, obj: KubeObject, old: KubeObject, dryRun: boolean): Promise<void> {
    if (isCore(t, 'Service')) await this.allocate(obj, old, dryRun);
  }

  async admitDelete(t: ResourceType, _ns: string | undefined, name: string): Promise<void> {
    if (isCore(t, 'Namespace') && PROTECTED_NAMESPACES.has(name)) {
      throw errors.forbidden({ group: '', name: 'namespaces' }, name, 'this namespace may not be deleted');
    }
  }

  settle(t: ResourceType, obj: KubeObject): void {
    if (!isCore(t, 'Service')) return;
    const k = heldKey(obj);
    const h = this.held.get(k);
    if (h) {
      this.services.release(h.ips, h.ports);
      this.held.delete(k);
    }
  }

  /**
   * The ServiceAccount admission plugin on a new pod: mirror pods are left as they are but may not
   * use accounts, secrets or tokens; other pods get the `default` account when they name none, the
   * account's image pull secrets when they list none, and, unless the pod or its account turns
   * automountServiceAccountToken off, the projected kube-api-access volume mounted read-only at
   * /var/run/secrets/kubernetes.io/serviceaccount in every container that has nothing there.
   */
  private async admitServiceAccount(pod: KubeObject): Promise<void> {
    const spec = (pod.spec ?? (pod.spec = {})) as PodSpec;
    const forbid = (why: string) => errors.forbidden({ group: '', name: 'pods' }, pod.metadata.name ?? '', why);
    if (pod.metadata.annotations?.[MIRROR_POD_ANNOTATION] !== undefined) {
      if (spec.serviceAccountName) throw forbid('a mirror pod may not reference service accounts');
      if (referencesSecrets(spec)) throw forbid('a mirror pod may not reference secrets');
      if ((spec.volumes ?? []).some((v) => v.projected?.sources?.some((s) => s.serviceAccountToken))) throw forbid('a mirror pod may not use ServiceAccountToken volume projections');
      return;
    }
    if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
    const ns = pod.metadata.namespace ?? '';
    const name = spec.serviceAccountName;
    const sa = await this.serviceAccount(ns, name);
    if (!sa && this.serviceAccounts.require) throw forbid(`error looking up service account ${ns}/${name}: serviceaccount "${name}" not found`);
    const saAutomount = (sa as { automountServiceAccountToken?: boolean } | undefined)?.automountServiceAccountToken;
    if (spec.automountServiceAccountToken ?? saAutomount ?? true) mountServiceAccountToken(spec, this.serviceAccounts.nameSuffix);
    const pullSecrets = (sa as { imagePullSecrets?: { name?: string }[] } | undefined)?.imagePullSecrets ?? [];
    if (!spec.imagePullSecrets?.length && pullSecrets.length) spec.imagePullSecrets = pullSecrets.map((s) => ({ name: s.name ?? '' }));
  }

  /** The account, looked for again (with pauses) when it is the `default` one and required. */
  private async serviceAccount(ns: string, name: string): Promise<KubeObject | undefined> {
    const key = objectKey('', 'serviceaccounts', ns, name);
    const req = this.serviceAccounts.require;
    const attempts = req && name === 'default' ? req.attempts : 1;
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await req!.sleep(100 + Math.floor((100 * i) / attempts));
      const sa = await this.store.get(key);
      if (sa) return sa;
    }
    return undefined;
  }

  /** NamespaceLifecycle: no new content in a namespace that is missing or being deleted. */
  private async namespaceOpen(t: ResourceType, obj: KubeObject): Promise<void> {
    const ns = obj.metadata.namespace;
    if (!ns) return;
    const nsObj = await this.store.get(objectKey('', 'namespaces', undefined, ns));
    if (!nsObj) throw errors.notFound({ group: '', name: 'namespaces' }, ns);
    if (nsObj.metadata.deletionTimestamp && !(isCore(t, 'Event') || t.group === 'events.k8s.io')) {
      const e = errors.forbidden(
        { group: t.group, name: t.plural },
        obj.metadata.name ?? '',
        `unable to create new content in namespace ${ns} because it is being terminated`,
      );
      e.details!.causes = [{ reason: 'NamespaceTerminating', message: `namespace ${ns} is being terminated`, field: 'metadata.namespace' }];
      throw e;
    }
  }

  /** The Service registry's allocation: a ClusterIP unless headless or ExternalName, NodePorts where the type needs them. */
  private async allocate(obj: KubeObject, old: KubeObject | undefined, dryRun: boolean): Promise<void> {
    const spec = (obj.spec ?? (obj.spec = {})) as ServiceSpec;
    const prev = (old?.spec ?? {}) as ServiceSpec;
    const type = spec.type ?? 'ClusterIP';
    const held = { ips: [] as string[], ports: [] as number[] };
    try {
      if (old) {
        // Values already allocated stay when the update leaves them out (patchAllocatedValues).
        if (!spec.clusterIP && prev.clusterIP && type !== 'ExternalName') spec.clusterIP = prev.clusterIP;
        if (!spec.clusterIPs && prev.clusterIPs && type !== 'ExternalName') spec.clusterIPs = prev.clusterIPs;
        if (!spec.ipFamilies && prev.ipFamilies) spec.ipFamilies = prev.ipFamilies;
        if (!spec.ipFamilyPolicy && prev.ipFamilyPolicy) spec.ipFamilyPolicy = prev.ipFamilyPolicy;
        for (const p of spec.ports ?? []) {
          if (p.nodePort) continue;
          const match = prev.ports?.find((q) => q.port === p.port && (q.protocol ?? 'TCP') === (p.protocol ?? 'TCP'));
          if (match?.nodePort && (type === 'NodePort' || type === 'LoadBalancer')) p.nodePort = match.nodePort;
        }
      } else if (type !== 'ExternalName') {
        const requested = spec.clusterIP ?? spec.clusterIPs?.[0];
        if (requested === 'None') {
          spec.clusterIP = 'None';
          spec.clusterIPs = ['None'];
        } else {
          try {
            const ip = await this.services.allocateIP(requested || undefined);
            held.ips.push(ip);
            spec.clusterIP = ip;
            spec.clusterIPs = [ip];
          } catch (e) {
            if (!(e instanceof AllocationError)) throw e;
            throw errors.invalid({ group: '', name: 'Service' }, obj.metadata.name ?? '', [
              fieldErrors.invalid(FieldPath.root('spec', 'clusterIPs'), goStringSlice([requested ?? '']), e.message),
            ]);
          }
        }
        spec.ipFamilies ??= ['IPv4'];
        spec.ipFamilyPolicy ??= 'SingleStack';
      }
      if (type === 'NodePort' || type === 'LoadBalancer') {
        const ports = spec.ports ?? [];
        for (let i = 0; i < ports.length; i++) {
          const p = ports[i]!;
          const already = old && prev.ports?.some((q) => q.nodePort === p.nodePort);
          if (p.nodePort && already) continue;
          try {
            const n = await this.services.allocateNodePort(p.nodePort || undefined);
            held.ports.push(n);
            p.nodePort = n;
          } catch (e) {
            if (!(e instanceof AllocationError)) throw e;
            throw errors.invalid({ group: '', name: 'Service' }, obj.metadata.name ?? '', [
              fieldErrors.invalid(FieldPath.root('spec', 'ports').index(i).child('nodePort'), p.nodePort ?? 0, e.message),
            ]);
          }
        }
      }
    } catch (e) {
      this.services.release(held.ips, held.ports);
      throw e;
    }
    if (dryRun) this.services.release(held.ips, held.ports);
    else if (held.ips.length || held.ports.length) this.held.set(heldKey(obj), held);
  }
}

const heldKey = (obj: KubeObject) => `${obj.metadata.namespace}/${obj.metadata.name}`;

/** Go's %#v of a []string, as upstream prints it in field errors. */
function goStringSlice(v: string[]): GoRepr {
  return new GoRepr(`[]string{${v.map((s) => JSON.stringify(s)).join(', ')}}`);
}

/** Whether any volume, env source or image pull secret of the pod names a Secret (VisitPodSecretNames). */
function referencesSecrets(spec: PodSpec): boolean {
  if (spec.imagePullSecrets?.length) return true;
  for (const v of spec.volumes ?? []) {
    if (v.secret || v.projected?.sources?.some((s) => s.secret)) return true;
    for (const src of [v.azureFile, v.cephfs, v.cinder, v.flexVolume, v.rbd, v.scaleIO, v.iscsi, v.storageos, v.csi] as ({ secretName?: string; secretRef?: unknown; nodePublishSecretRef?: unknown } | undefined)[]) {
      if (src && (src.secretName || src.secretRef || src.nodePublishSecretRef)) return true;
    }
  }
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])]) {
    if (c.envFrom?.some((e) => e.secretRef)) return true;
    if (c.env?.some((e) => e.valueFrom?.secretKeyRef)) return true;
  }
  return false;
}

/**
 * TokenVolumeSource and mountServiceAccountToken: the projected volume of a bound token (the
 * kubelet asks the TokenRequest API for it), the cluster CA from kube-root-ca.crt and the
 * namespace, mounted where client libraries look for in-cluster credentials.
 */
function mountServiceAccountToken(spec: PodSpec, nameSuffix: () => string): void {
  const existing = (spec.volumes ?? []).find((v) => v.name.startsWith(SERVICE_ACCOUNT_VOLUME_PREFIX));
  const volumeName = existing?.name ?? `${SERVICE_ACCOUNT_VOLUME_PREFIX}${nameSuffix()}`;
  let needed = false;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if ((c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH)) continue;
    (c.volumeMounts ??= []).push({ name: volumeName, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT_PATH });
    needed = true;
  }
  if (existing || !needed) return;
  (spec.volumes ??= []).push({
    name: volumeName,
    projected: {
      defaultMode: 0o644,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: ROOT_CA_CONFIGMAP, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
      ],
    },
  });
}

/** Priority and the rest of the pod defaults admission makes (the account's name is set above). */
function admitPod(obj: KubeObject): void {
  const spec = (obj.spec ?? (obj.spec = {})) as PodSpec;
  if (spec.serviceAccountName) spec.serviceAccount = spec.serviceAccountName;
  if (!spec.priorityClassName && spec.priority === undefined) spec.priority = 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  defaultTolerationSeconds(spec);
}

/**
 * DefaultTolerationSeconds: a pod that does not already tolerate the not-ready and unreachable
 * NoExecute taints tolerates them for 300 s, so it is evicted from a failed node after five minutes.
 */
function defaultTolerationSeconds(spec: PodSpec): void {
  const tolerations = (spec.tolerations ??= []);
  const covers = (key: string) => tolerations.some((t) => (!t.key || t.key === key) && (!t.effect || t.effect === 'NoExecute'));
  for (const key of [TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE]) {
    if (!covers(key)) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
}
