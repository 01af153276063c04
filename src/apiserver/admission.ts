// The built-in admission steps every write passes, as upstream's default admission chain:
// NamespaceLifecycle, ServiceAccount (the default account name), Priority, DefaultTolerationSeconds,
// and the Service registry's ClusterIP/NodePort allocation.
import type { KubeObject } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import { errors } from '../model/status.js';
import { fieldErrors, FieldPath, GoRepr } from '../model/field.js';
import type { ObjectStore } from '../store/types.js';
import { objectKey } from '../store/types.js';
import { AllocationError, type ServiceAllocator } from './allocator.js';
import { TAINT_NODE_NOT_READY, TAINT_NODE_UNREACHABLE } from '../model/scheduling.js';

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
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
  tolerations?: { key?: string; operator?: string; value?: string; effect?: string; tolerationSeconds?: number }[];
}

export class BuiltinAdmission implements Admission {
  private readonly held = new Map<string, { ips: string[]; ports: number[] }>();

  constructor(private readonly store: ObjectStore, private readonly services: ServiceAllocator) {}

  async admitCreate(t: ResourceType, obj: KubeObject, dryRun: boolean): Promise<void> {
    if (t.namespaced) await this.namespaceOpen(t, obj);
    if (isCore(t, 'Pod')) admitPod(obj);
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

/** ServiceAccount and Priority admission for pods. */
function admitPod(obj: KubeObject): void {
  const spec = (obj.spec ?? (obj.spec = {})) as PodSpec;
  if (!spec.serviceAccountName) spec.serviceAccountName = spec.serviceAccount || 'default';
  spec.serviceAccount = spec.serviceAccountName;
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
