// The arithmetic of Deployments (upstream pkg/controller/deployment/util/deployment_util.go): how far a
// rollout may surge and how much it may leave unavailable, how many replicas a new ReplicaSet gets,
// proportional scaling, revisions and the annotations that carry them, which ReplicaSet is new,
// and the Progressing/Available conditions. Pure functions over plain objects.
import type { Deployment, DeploymentCondition, DeploymentStatus, ReplicaSet, ReplicaSetCondition } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepEqual, rfc3339 } from '../model/object.js';
import { scaled } from '../model/intstr.js';

export type DeploymentObject = KubeObject & Pick<Deployment, 'spec'> & { status?: DeploymentStatus };
export type ReplicaSetObject = KubeObject & Pick<ReplicaSet, 'spec'> & { status?: ReplicaSet['status'] };

export const DEFAULT_UNIQUE_LABEL = 'pod-template-hash';
export const REVISION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const DEPRECATED_ROLLBACK_TO = 'deprecated.deployment.rollback.to';
/** Upstream limits revision-history to about 100 entries. */
export const MAX_REV_HISTORY_CHARS = 2000;
const MAX_INT32 = 2147483647;

// Condition reasons.
export const ReplicaSetUpdatedReason = 'ReplicaSetUpdated';
export const FailedRSCreateReason = 'ReplicaSetCreateError';
export const NewReplicaSetReason = 'NewReplicaSetCreated';
export const FoundNewRSReason = 'FoundNewReplicaSet';
export const NewRSAvailableReason = 'NewReplicaSetAvailable';
export const TimedOutReason = 'ProgressDeadlineExceeded';
export const PausedDeployReason = 'DeploymentPaused';
export const ResumedDeployReason = 'DeploymentResumed';
export const MinimumReplicasAvailable = 'MinimumReplicasAvailable';
export const MinimumReplicasUnavailable = 'MinimumReplicasUnavailable';

export const replicasOf = (o: { spec?: { replicas?: number } }): number => o.spec?.replicas ?? 0;
const desiredOf = (d: DeploymentObject): number => d.spec?.replicas ?? 1;

// ---- surge and unavailability ----

const isRolling = (d: DeploymentObject) => (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';

/**
 * ResolveFenceposts: maxSurge rounds up, maxUnavailable rounds down, and both zero would stall
 * the rollout, so maxUnavailable becomes 1.
 */
export function resolveFenceposts(maxSurge: number | string | undefined, maxUnavailable: number | string | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaled(maxSurge, desired, true);
  let unavailable = scaled(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function fenceposts(d: DeploymentObject) {
  const ru = d.spec?.strategy?.rollingUpdate;
  // Defaulting fills both with 25%; an object that skipped defaulting gets the same.
  return resolveFenceposts(ru?.maxSurge ?? '25%', ru?.maxUnavailable ?? '25%', desiredOf(d));
}

/** MaxSurge: how many pods above the desired count a rolling update may run (0 for Recreate). */
export function maxSurge(d: DeploymentObject): number {
  return isRolling(d) ? fenceposts(d).surge : 0;
}

/** MaxUnavailable: how many desired pods may be unavailable, never more than the desired count. */
export function maxUnavailable(d: DeploymentObject): number {
  const desired = desiredOf(d);
  if (!isRolling(d) || desired === 0) return 0;
  return Math.min(fenceposts(d).unavailable, desired);
}

// ---- counting ----

export const specReplicas = (rss: ReplicaSetObject[]) => rss.reduce((n, rs) => n + replicasOf(rs), 0);
export const actualReplicas = (rss: ReplicaSetObject[]) => rss.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0);
export const readyReplicas = (rss: ReplicaSetObject[]) => rss.reduce((n, rs) => n + (rs.status?.readyReplicas ?? 0), 0);
export const availableReplicas = (rss: ReplicaSetObject[]) => rss.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
export const activeReplicaSets = (rss: ReplicaSetObject[]) => rss.filter((rs) => replicasOf(rs) > 0);

/**
 * NewRSNewReplicas: the size of the new ReplicaSet. A rolling update grows it as far as the surge
 * allows; Recreate gives it everything at once. `podCount` is how many pods the ReplicaSets hold
 * or may hold (see DeploymentController), at least the sum of their replicas.
 */
export function newRSNewReplicas(d: DeploymentObject, podCount: number, newRS: ReplicaSetObject): number {
  const desired = desiredOf(d);
  if (!isRolling(d)) return desired;
  const maxTotal = desired + maxSurge(d);
  const current = replicasOf(newRS);
  if (podCount >= maxTotal) return current;
  return current + Math.max(0, Math.min(maxTotal - podCount, desired - current));
}

/** IsSaturated: the new ReplicaSet is at full size, recorded so, and fully available. */
export function isSaturated(d: DeploymentObject, rs: ReplicaSetObject | undefined): boolean {
  if (!rs) return false;
  const desired = intAnnotation(rs, DESIRED_REPLICAS);
  return replicasOf(rs) === desiredOf(d) && desired === desiredOf(d) && (rs.status?.availableReplicas ?? 0) === desiredOf(d);
}

// ---- annotations ----

/** An int annotation as strconv.Atoi reads it, or undefined. */
export function intAnnotation(o: KubeObject, key: string): number | undefined {
  const v = o.metadata.annotations?.[key];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** Revision: the revision annotation (0 when absent, undefined when it does not parse). */
export function revisionOf(o: KubeObject): number | undefined {
  const v = o.metadata.annotations?.[REVISION];
  if (v === undefined) return 0;
  return /^[+-]?\d+$/.test(v) ? Number(v) : undefined;
}

export function maxRevision(rss: ReplicaSetObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs) ?? 0), 0);
}

const annotationsToSkip = new Set([LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, DEPRECATED_ROLLBACK_TO]);

/** Returns rs with annotations set as SetNewReplicaSetAnnotations would, and whether anything changed. */
export function setNewReplicaSetAnnotations(d: DeploymentObject, rs: ReplicaSetObject, newRevision: number, exists: boolean): { rs: ReplicaSetObject; changed: boolean } {
  const annotations: Record<string, string> = { ...(rs.metadata.annotations ?? {}) };
  let changed = false;
  // Copy the deployment's annotations, except those the controller owns.
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (annotationsToSkip.has(k) || annotations[k] === v) continue;
    annotations[k] = v;
    changed = true;
  }
  const oldText = annotations[REVISION];
  let old = 0;
  if (oldText !== undefined && oldText !== '') {
    if (!/^[+-]?\d+$/.test(oldText)) return { rs: withAnnotations(rs, annotations), changed };
    old = Number(oldText);
  }
  if (old < newRevision) {
    annotations[REVISION] = String(newRevision);
    changed = true;
    // A ReplicaSet that had a revision and gets a newer one is being rolled back to: keep its history.
    if (oldText !== undefined) {
      const history = annotations[REVISION_HISTORY] ?? '';
      const entries = history.split(',');
      if (entries[0]!.length === 0) annotations[REVISION_HISTORY] = oldText;
      else {
        let total = history.length + oldText.length + 1;
        let start = 0;
        while (total > MAX_REV_HISTORY_CHARS && start < entries.length) total -= entries[start++]!.length + 1;
        if (total <= MAX_REV_HISTORY_CHARS) annotations[REVISION_HISTORY] = [...entries.slice(start), oldText].join(',');
      }
    }
  }
  if (!exists) {
    const r = setReplicasAnnotations(annotations, desiredOf(d), desiredOf(d) + maxSurge(d));
    changed = r || changed;
  }
  return { rs: withAnnotations(rs, annotations), changed };
}

/** SetReplicasAnnotations on an annotation map; true if it changed. */
export function setReplicasAnnotations(annotations: Record<string, string>, desired: number, max: number): boolean {
  let changed = false;
  if (annotations[DESIRED_REPLICAS] !== String(desired)) {
    annotations[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS] !== String(max)) {
    annotations[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: ReplicaSetObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS] !== String(desired) || a[MAX_REPLICAS] !== String(max);
}

function withAnnotations<T extends KubeObject>(o: T, annotations: Record<string, string>): T {
  return { ...o, metadata: { ...o.metadata, annotations } };
}

// ---- which ReplicaSet is which ----

const created = (o: KubeObject) => (o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : 0);

/** ReplicaSetsByCreationTimestamp: older first, then by name. */
export function byCreation(a: KubeObject, b: KubeObject): number {
  const d = created(a) - created(b);
  if (d !== 0) return d;
  const na = a.metadata.name ?? '';
  const nb = b.metadata.name ?? '';
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** ReplicaSetsByRevision: lower revision first, then by creation. */
export function byRevision(a: ReplicaSetObject, b: ReplicaSetObject): number {
  const d = (revisionOf(a) ?? 0) - (revisionOf(b) ?? 0);
  return d !== 0 ? d : byCreation(a, b);
}

/** ReplicaSetsBySizeNewer: larger first; among equals, newer first. */
export const bySizeNewer = (a: ReplicaSetObject, b: ReplicaSetObject) => replicasOf(b) - replicasOf(a) || byCreation(b, a);
/** ReplicaSetsBySizeOlder: larger first; among equals, older first. */
export const bySizeOlder = (a: ReplicaSetObject, b: ReplicaSetObject) => replicasOf(b) - replicasOf(a) || byCreation(a, b);

/** EqualIgnoreHash: templates equal once the pod-template-hash label is set aside. */
export function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  // Copies only the path to the labels: templates are compared on every sync.
  const strip = (t: PodTemplateSpec | undefined) => {
    const c = (t ?? {}) as { metadata?: { labels?: Record<string, string> | null } };
    if (!c.metadata?.labels) return c;
    const labels: Record<string, string> = { ...c.metadata.labels };
    delete labels[DEFAULT_UNIQUE_LABEL];
    const metadata = { ...c.metadata, labels };
    if (Object.keys(labels).length === 0) delete (metadata as { labels?: unknown }).labels;
    return { ...c, metadata };
  };
  return deepEqual(strip(a), strip(b));
}

/** FindNewReplicaSet: the oldest ReplicaSet whose template is the deployment's. */
export function findNewReplicaSet(d: DeploymentObject, rss: ReplicaSetObject[]): ReplicaSetObject | undefined {
  return [...rss].sort(byCreation).find((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template));
}

/** FindOldReplicaSets: every other ReplicaSet, in creation order. */
export function findOldReplicaSets(d: DeploymentObject, rss: ReplicaSetObject[]): ReplicaSetObject[] {
  const newRS = findNewReplicaSet(d, rss);
  return [...rss].sort(byCreation).filter((rs) => rs !== newRS);
}

/** FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active; undefined when several are. */
export function findActiveOrLatest(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): ReplicaSetObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const newestFirst = [...oldRSs].sort((a, b) => byCreation(b, a));
  const active = activeReplicaSets([...newestFirst, ...(newRS ? [newRS] : [])]);
  if (active.length === 0) return newRS ?? newestFirst[0];
  return active.length === 1 ? active[0] : undefined;
}

/**
 * GetProportion: this ReplicaSet's share of a scaling step, bounded so the shares never add up
 * to more than the step.
 */
export function proportion(rs: ReplicaSetObject, d: DeploymentObject, toAdd: number, added: number): number {
  if (replicasOf(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: ReplicaSetObject, d: DeploymentObject): number {
  if (desiredOf(d) === 0) return -replicasOf(rs);
  const maxNow = desiredOf(d) + maxSurge(d);
  let maxBefore = intAnnotation(rs, MAX_REPLICAS);
  if (!maxBefore) maxBefore = d.status?.replicas ?? 0;
  // A deployment with no pods recorded cannot be apportioned; the leftover goes to the largest set.
  if (!maxBefore) return 0;
  return roundHalfAway((replicasOf(rs) * maxNow) / maxBefore) - replicasOf(rs);
}

/** math.Round: halves away from zero. */
const roundHalfAway = (x: number) => Math.sign(x) * Math.round(Math.abs(x));

// ---- conditions ----

export function newDeploymentCondition(type: string, status: 'True' | 'False' | 'Unknown', reason: string, message: string, now: Instant): DeploymentCondition {
  const t = rfc3339(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

export function getCondition<C extends { type: string }>(conditions: readonly C[] | undefined, type: string): C | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * SetDeploymentCondition: unchanged if status and reason are the same; the transition time is
 * kept while the status holds. The condition moves to the end of the list.
 */
export function setCondition<C extends { type: string; status: string; reason?: string; lastTransitionTime?: string }>(conditions: readonly C[] | undefined, c: C): C[] {
  const cur = getCondition(conditions, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return [...(conditions ?? [])];
  const next = { ...c };
  if (cur && cur.status === c.status && cur.lastTransitionTime !== undefined) next.lastTransitionTime = cur.lastTransitionTime;
  return [...(conditions ?? []).filter((x) => x.type !== c.type), next];
}

export function removeCondition<C extends { type: string }>(conditions: readonly C[] | undefined, type: string): C[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/** ReplicaSetToDeploymentCondition. */
export function replicaSetToDeploymentCondition(c: ReplicaSetCondition): DeploymentCondition {
  const out: DeploymentCondition = { type: c.type, status: c.status };
  if (c.lastTransitionTime) {
    out.lastTransitionTime = c.lastTransitionTime;
    out.lastUpdateTime = c.lastTransitionTime;
  }
  if (c.reason) out.reason = c.reason;
  if (c.message) out.message = c.message;
  return out;
}

/** HasProgressDeadline: set and not MaxInt32. */
export function hasProgressDeadline(d: DeploymentObject): boolean {
  const p = d.spec?.progressDeadlineSeconds;
  return p !== undefined && p !== null && p !== MAX_INT32;
}

/** DeploymentComplete: every replica updated and available, and the latest spec observed. */
export function deploymentComplete(d: DeploymentObject, s: DeploymentStatus): boolean {
  const want = desiredOf(d);
  return (s.updatedReplicas ?? 0) === want && (s.replicas ?? 0) === want && (s.availableReplicas ?? 0) === want &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

/** DeploymentProgressing: more updated, fewer old, more ready or more available pods than last recorded. */
export function deploymentProgressing(d: DeploymentObject, s: DeploymentStatus): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (s.replicas ?? 0) - (s.updatedReplicas ?? 0);
  return (s.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) || newOld < oldOld ||
    (s.readyReplicas ?? 0) > (old.readyReplicas ?? 0) || (s.availableReplicas ?? 0) > (old.availableReplicas ?? 0);
}

/** DeploymentTimedOut: no progress recorded within progressDeadlineSeconds. */
export function deploymentTimedOut(d: DeploymentObject, s: DeploymentStatus, now: Instant): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(s.conditions, 'Progressing');
  if (!c) return false;
  if (c.reason === NewRSAvailableReason) return false;
  if (c.reason === TimedOutReason) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : 0;
  return from + d.spec!.progressDeadlineSeconds! * 1000 < now;
}
