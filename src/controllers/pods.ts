// What every workload controller needs about pods and ownership (upstream pkg/controller/
// controller_utils.go and pkg/api/v1/pod): readiness and availability, active and terminating
// pods, the order in which surplus pods are deleted, controller references, pods built from a
// template, and deterministic generated names. Pure functions over plain objects.
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ClusterView } from './runtime.js';
import type { ResourceRef } from '../model/api.js';
import type { Instant, KubeObject, OwnerReference } from '../model/object.js';
import { deepClone } from '../model/object.js';
import { nameSuffix } from '../model/hash.js';

type PodLike = KubeObject & Pick<Pod, 'spec' | 'status'>;

const time = (s: string | undefined): number | undefined => (s ? Date.parse(s) : undefined);

export function podCondition(pod: PodLike, type: string) {
  // A plain loop: controllers ask this of every pod of a set on every sync.
  const conditions = pod.status?.conditions;
  if (conditions) for (const c of conditions) if (c.type === type) return c;
  return undefined;
}

/** podutil.IsPodReady: the Ready condition is True. */
export function isPodReady(pod: PodLike): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** podutil.IsPodAvailable: ready for at least minReadySeconds at `now`. */
export function isPodAvailable(pod: PodLike, minReadySeconds: number, now: Instant): boolean {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = time(c.lastTransitionTime);
  return since !== undefined && since + minReadySeconds * 1000 < now;
}

/** When a ready pod becomes available, for requeueing at that moment; undefined if it is not ready. */
export function availableAt(pod: PodLike, minReadySeconds: number): Instant | undefined {
  const c = podCondition(pod, 'Ready');
  if (c?.status !== 'True') return undefined;
  return (time(c.lastTransitionTime) ?? 0) + minReadySeconds * 1000;
}

export const isTerminating = (o: KubeObject): boolean => !!o.metadata.deletionTimestamp;

/** controller.IsPodActive: not finished and not being deleted. */
export function isPodActive(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

/** controller.IsPodTerminating (for the `terminating` counts): being deleted and not yet finished. */
export function isPodTerminatingNotFinished(pod: PodLike): boolean {
  const phase = pod.status?.phase;
  return !!pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

const phaseRank: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const restarts = (p: PodLike) => Math.max(0, ...(p.status?.containerStatuses ?? []).map((c) => c.restartCount ?? 0));

/**
 * controller.ActivePods ordering: the pod to give up first sorts first. Unassigned before
 * assigned, Pending before Unknown before Running, not ready before ready, ready for less time
 * before longer, more restarts before fewer, newer before older.
 */
export function comparePodsForDeletion(a: PodLike, b: PodLike): number {
  const assigned = (p: PodLike) => (p.spec?.nodeName ? 1 : 0);
  if (assigned(a) !== assigned(b)) return assigned(a) - assigned(b);
  const ra = phaseRank[a.status?.phase ?? ''] ?? 0;
  const rb = phaseRank[b.status?.phase ?? ''] ?? 0;
  if (ra !== rb) return ra - rb;
  const ready = (p: PodLike) => (isPodReady(p) ? 1 : 0);
  if (ready(a) !== ready(b)) return ready(a) - ready(b);
  if (ready(a) && ready(b)) {
    const ta = time(podCondition(a, 'Ready')?.lastTransitionTime) ?? 0;
    const tb = time(podCondition(b, 'Ready')?.lastTransitionTime) ?? 0;
    if (ta !== tb) return tb - ta;
  }
  if (restarts(a) !== restarts(b)) return restarts(b) - restarts(a);
  const ca = time(a.metadata.creationTimestamp) ?? Infinity;
  const cb = time(b.metadata.creationTimestamp) ?? Infinity;
  if (ca !== cb) return cb - ca;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** metav1.NewControllerRef. */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion!,
    kind: owner.kind!,
    name: owner.metadata.name!,
    uid: owner.metadata.uid!,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** metav1.GetControllerOf. */
export function controllerOf(o: KubeObject): OwnerReference | undefined {
  const refs = o.metadata.ownerReferences;
  if (refs) for (const r of refs) if (r.controller) return r;
  return undefined;
}

export function isControlledBy(o: KubeObject, owner: KubeObject): boolean {
  return controllerOf(o)?.uid === owner.metadata.uid;
}

/** The cached objects of one resource whose controller is `owner` (through the view's owner index). */
export function controlledBy(view: ClusterView, owner: KubeObject, resource: ResourceRef): KubeObject[] {
  return view.controlledBy(owner.metadata.uid!, resource);
}

/**
 * controller.GetPodFromTemplate: labels, annotations and finalizers from the template, the
 * spec copied, owned by `owner`. The name is left to the caller (upstream generates
 * `<owner>-<5 chars>`; see generateName).
 */
export function podFromTemplate(template: PodTemplateSpec | undefined, owner: KubeObject, name: string): KubeObject {
  const t = deepClone(template ?? {});
  const metadata: KubeObject['metadata'] = { name, namespace: owner.metadata.namespace! };
  if (t.metadata?.labels) metadata.labels = { ...t.metadata.labels };
  if (t.metadata?.annotations) metadata.annotations = { ...t.metadata.annotations };
  if (t.metadata?.finalizers?.length) metadata.finalizers = [...t.metadata.finalizers];
  metadata.ownerReferences = [controllerRef(owner)];
  return { apiVersion: 'v1', kind: 'Pod', metadata, spec: t.spec ?? {} };
}

/**
 * A generated name `<prefix><5 chars>` that is deterministic: the suffix follows from the seed
 * and a counter, skipping names already taken. Upstream leaves this to the API server's random
 * generateName; deterministic names keep reconcile pure and replayable. A seed that holds the
 * reconcile's time as well as the owner keeps a name from coming back once its pod is gone.
 */
export function generateName(prefix: string, seed: string, counter: number, taken: (name: string) => boolean): { name: string; next: number } {
  // names.SimpleNameGenerator keeps the whole name within 63 characters.
  const base = prefix.length > 58 ? prefix.slice(0, 58) : prefix;
  for (let n = counter; ; n++) {
    const name = `${base}${nameSuffix(seed, n)}`;
    if (!taken(name)) return { name, next: n + 1 };
  }
}
