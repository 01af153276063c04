// The Deployment controller (upstream pkg/controller/deployment): a Deployment owns ReplicaSets, one
// per pod template (named `<deployment>-<pod-template-hash>`), and moves pods from the old ones to
// the new one: RollingUpdate within maxSurge and maxUnavailable, or Recreate (all old pods gone
// before any new one). It numbers revisions, keeps revisionHistoryLimit old ReplicaSets, scales
// proportionally, honours pause, and reports the Available and Progressing conditions
// (progressDeadlineSeconds) and the counts `kubectl rollout status` reads.
//
// The pod-template-hash is computeHash (model/hash.ts): FNV-32a over the template as Go's JSON
// encoder writes it, then the collision count, encoded with SafeEncodeString. Upstream hashes a
// reflection dump of the Go struct, which cannot be reproduced byte for byte, so a template's hash
// here differs from a real cluster's; it is as stable and deterministic.
//
// One reconcile is one upstream sync. Upstream writes as it goes and re-reads what it wrote; here
// the sync works on copies, so several changes to one ReplicaSet within a sync become one write,
// and the Deployment's status is written once at the end.
import type { DeploymentCondition, DeploymentStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepClone, deepEqual } from '../model/object.js';
import { labelSelectorAsSelector, matches, type Selector } from '../model/labels.js';
import { computeHash } from '../model/hash.js';
import { StatusError } from '../model/status.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { eventAction, keyOf, splitKey } from './runtime.js';
import { controlledBy, controllerOf, controllerRef, isPodActive } from './pods.js';
import { activePods } from './pod-groups.js';
import { claimObjects } from './claim.js';
import {
  activeReplicaSets, actualReplicas, availableReplicas, byCreation, byRevision, bySizeNewer, bySizeOlder,
  DEFAULT_UNIQUE_LABEL, DESIRED_REPLICAS, deploymentComplete, deploymentProgressing, deploymentTimedOut,
  equalIgnoreHash, FailedRSCreateReason, findActiveOrLatest, findNewReplicaSet, findOldReplicaSets, FoundNewRSReason,
  getCondition, hasProgressDeadline, intAnnotation, isSaturated, maxRevision, maxSurge, maxUnavailable,
  MinimumReplicasAvailable, MinimumReplicasUnavailable, newDeploymentCondition, NewReplicaSetReason, NewRSAvailableReason,
  newRSNewReplicas, PausedDeployReason, proportion, readyReplicas, removeCondition, REVISION, replicaSetToDeploymentCondition,
  replicasAnnotationsNeedUpdate, replicasOf, ReplicaSetUpdatedReason, ResumedDeployReason, setCondition,
  setNewReplicaSetAnnotations, setReplicasAnnotations, specReplicas, TimedOutReason,
  type DeploymentObject, type ReplicaSetObject,
} from './deployment-util.js';

type PodObject = KubeObject & Pick<Pod, 'spec' | 'status'>;

export interface DeploymentObservation {
  deployment?: DeploymentObject;
  /** ReplicaSets the deployment controls, and orphans of its namespace: the candidates for claiming. */
  replicaSets: ReplicaSetObject[];
  /** The pods each candidate ReplicaSet controls, by the ReplicaSet's uid. */
  pods: Record<string, PodObject[]>;
  /** The ReplicaSet that already has the name a new ReplicaSet would get, if any (hash collisions). */
  named?: ReplicaSetObject;
  /** Active pods by ReplicaSet uid, when the view keeps pod groups (pod-groups.ts): counted without a walk. */
  active?: Record<string, number>;
}

const COMPONENT = 'deployment-controller';

/** The name of the ReplicaSet for the deployment's current template. */
export function newReplicaSetName(d: DeploymentObject): string {
  return `${d.metadata.name}-${computeHash(d.spec?.template ?? {}, d.status?.collisionCount)}`;
}

export function observeDeployment(key: string, view: ClusterView): DeploymentObservation {
  const { namespace, name } = splitKey(key);
  const deployment = view.get(R.deployments, namespace, name) as DeploymentObject | undefined;
  if (!deployment || !namespace) return { replicaSets: [], pods: {} };
  const replicaSets = [
    ...(controlledBy(view, deployment, R.replicasets) as ReplicaSetObject[]),
    ...(view.uncontrolled(R.replicasets, namespace) as ReplicaSetObject[]),
  ];
  const pods: Record<string, PodObject[]> = {};
  for (const rs of replicaSets) pods[rs.metadata.uid!] = controlledBy(view, rs, R.pods) as PodObject[];
  const obs: DeploymentObservation = { deployment, replicaSets, pods };
  if (view.podGroups) {
    const active: Record<string, number> = {};
    for (const rs of replicaSets) active[rs.metadata.uid!] = activePods(view.podGroups(rs.metadata.uid!));
    obs.active = active;
  }
  const named = view.get(R.replicasets, namespace, newReplicaSetName(deployment));
  if (named) obs.named = named as ReplicaSetObject;
  return obs;
}

// ---- status as Go serialises it ----

const omitZero = <T extends object>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== 0 && !(Array.isArray(v) && v.length === 0))) as T;
const sameStatus = (a: DeploymentStatus | undefined, b: DeploymentStatus | undefined) => deepEqual(omitZero(a ?? {}), omitZero(b ?? {}));

interface Write {
  kind: 'create' | 'update' | 'delete';
  name: string;
  events: Action[];
  onError?: (e: unknown) => Action[];
}

/** One sync of one Deployment, over working copies of what it reads. */
class DeploymentSync {
  readonly d: DeploymentObject;
  private readonly rsByName = new Map<string, ReplicaSetObject>();
  private readonly writes: Write[] = [];
  private readonly prelude: Action[] = [];
  private readonly trailing: Action[] = [];
  private seq = 0;
  stopped = false;
  requeueAfterMs: number | undefined;
  podMap: Record<string, PodObject[]> = {};
  rsNames: string[] = [];

  constructor(private readonly obs: DeploymentObservation, readonly now: Instant) {
    const d = deepClone(obs.deployment!);
    // Owner references and events need the kind even when a cache dropped it.
    d.apiVersion ??= 'apps/v1';
    d.kind ??= 'Deployment';
    this.d = d;
  }

  get desired(): number {
    return this.d.spec?.replicas ?? 1;
  }

  get rsList(): ReplicaSetObject[] {
    return this.rsNames.map((n) => this.rsByName.get(n)!);
  }

  adopt(claimed: ReplicaSetObject[], actions: Action[]): void {
    this.prelude.push(...actions);
    for (const rs of claimed) {
      this.rsByName.set(rs.metadata.name!, rs);
      this.rsNames.push(rs.metadata.name!);
    }
  }

  event(type: 'Normal' | 'Warning', reason: string, message: string): Action {
    return eventAction(this.d, type, reason, message, this.now, COMPONENT, this.seq++);
  }

  /** Records a changed ReplicaSet; later changes in this sync fold into the same write. */
  private write(rs: ReplicaSetObject, kind: 'create' | 'update', onError?: (e: unknown) => Action[]): Write {
    const name = rs.metadata.name!;
    this.rsByName.set(name, rs);
    let w = this.writes.find((x) => x.name === name && x.kind !== 'delete');
    if (!w) {
      w = { kind, name, events: [], ...(onError ? { onError } : {}) };
      this.writes.push(w);
      if (kind === 'create') this.rsNames.push(name);
    }
    return w;
  }

  // ---- revisions and the new ReplicaSet ----

  setDeploymentRevision(revision: string | undefined): void {
    if (revision === undefined) return;
    const annotations = { ...(this.d.metadata.annotations ?? {}) };
    if (annotations[REVISION] === revision) return;
    annotations[REVISION] = revision;
    this.d.metadata.annotations = annotations;
  }

  setStatusCondition(c: DeploymentCondition): void {
    this.d.status = { ...(this.d.status ?? {}), conditions: setCondition(this.d.status?.conditions, c) };
  }

  /** getAllReplicaSetsAndSyncRevision. */
  allReplicaSets(create: boolean): { newRS?: ReplicaSetObject; oldRSs: ReplicaSetObject[] } {
    const oldRSs = findOldReplicaSets(this.d, this.rsList);
    const newRS = this.newReplicaSet(oldRSs, create);
    return newRS ? { newRS, oldRSs } : { oldRSs };
  }

  /** getNewReplicaSet: sync the existing new ReplicaSet's annotations, or create it. */
  private newReplicaSet(oldRSs: ReplicaSetObject[], create: boolean): ReplicaSetObject | undefined {
    const d = this.d;
    const existing = findNewReplicaSet(d, this.rsList);
    const newRevision = maxRevision(oldRSs) + 1;
    if (existing) {
      const { rs, changed } = setNewReplicaSetAnnotations(d, existing, newRevision, true);
      const minReady = d.spec?.minReadySeconds ?? 0;
      if (changed || (rs.spec?.minReadySeconds ?? 0) !== minReady) {
        const { minReadySeconds: _, ...spec } = rs.spec!;
        const updated: ReplicaSetObject = { ...rs, spec: minReady ? { ...spec, minReadySeconds: minReady } : spec };
        this.write(updated, 'update');
        return updated;
      }
      this.setDeploymentRevision(rs.metadata.annotations?.[REVISION]);
      if (hasProgressDeadline(d) && !getCondition(d.status?.conditions, 'Progressing')) {
        this.setStatusCondition(newDeploymentCondition('Progressing', 'True', FoundNewRSReason, `Found new replica set ${JSON.stringify(rs.metadata.name)}`, this.now));
      }
      return rs;
    }
    if (!create) return undefined;

    const template = deepClone(d.spec?.template ?? {});
    const hash = computeHash(d.spec?.template ?? {}, d.status?.collisionCount);
    const labels = { ...(template.metadata?.labels ?? {}), [DEFAULT_UNIQUE_LABEL]: hash };
    template.metadata = { ...(template.metadata ?? {}), labels };
    const selector = deepClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [DEFAULT_UNIQUE_LABEL]: hash };
    const name = `${d.metadata.name}-${hash}`;
    let rs: ReplicaSetObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name, namespace: d.metadata.namespace!, labels: { ...labels }, ownerReferences: [controllerRef(d)] },
      spec: { replicas: 0, selector, template, ...(d.spec?.minReadySeconds ? { minReadySeconds: d.spec.minReadySeconds } : {}) },
    };
    const replicas = newRSNewReplicas(d, this.podCount([...oldRSs, rs]), rs);
    rs = { ...rs, spec: { ...rs.spec!, replicas } };
    rs = setNewReplicaSetAnnotations(d, rs, newRevision, false).rs;

    const named = this.obs.named;
    let alreadyExists = false;
    if (named) {
      // Someone holds the name: ours (a slow cache), or a hash collision to step around.
      if (controllerOf(named)?.uid === d.metadata.uid && equalIgnoreHash(d.spec?.template, named.spec?.template)) {
        alreadyExists = true;
        rs = named;
        this.rsByName.set(name, rs);
        if (!this.rsNames.includes(name)) this.rsNames.push(name);
      } else {
        this.d.status = { ...(d.status ?? {}), collisionCount: (d.status?.collisionCount ?? 0) + 1 };
        this.stopped = true;
        return undefined;
      }
    } else {
      const failed = this.failedCreate(name);
      const w = this.write(rs, 'create', failed);
      if (replicas > 0) w.events.push(this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} from 0 to ${replicas}`));
    }
    this.setDeploymentRevision(String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      this.setStatusCondition(newDeploymentCondition('Progressing', 'True', NewReplicaSetReason, `Created new replica set ${JSON.stringify(name)}`, this.now));
    }
    return rs;
  }

  /** What a failed ReplicaSet creation reports: Progressing=False ReplicaSetCreateError and a Warning. */
  private failedCreate(name: string): (e: unknown) => Action[] {
    const before = deepClone(this.obs.deployment!);
    const d = this.d;
    const now = this.now;
    const seq = this.seq++;
    return (e) => {
      if (StatusError.is(e, 'AlreadyExists')) return [];
      if (StatusError.is(e) && e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating')) return [];
      const msg = `Failed to create new replica set ${JSON.stringify(name)}: ${e instanceof Error ? e.message : String(e)}`;
      const out: Action[] = [];
      if (hasProgressDeadline(d)) {
        const status = { ...(before.status ?? {}), conditions: setCondition(before.status?.conditions, newDeploymentCondition('Progressing', 'False', FailedRSCreateReason, msg, now)) };
        out.push({ kind: 'update', resource: R.deployments, namespace: d.metadata.namespace!, object: { ...before, status }, subresource: 'status' });
      }
      out.push(eventAction(d, 'Warning', FailedRSCreateReason, msg, now, COMPONENT, seq));
      return out;
    };
  }

  /**
   * How many pods the ReplicaSets may hold, for sizing the new one. Upstream sums their replicas,
   * which is what they hold once the ReplicaSet controller has caught up. Until it has, a set may
   * hold more: pods it has yet to delete, or pods a sync begun under an older, larger size is still
   * creating. So a set counts for the most of its replicas, the pods its status reports and the
   * pods seen; and a set whose status predates its current spec counts as unbounded, so the new
   * set waits. With the caches caught up this is upstream's sum; it keeps `total ≤ replicas +
   * maxSurge` true of the pods themselves, not only of the replica counts (seed 003, INV-RU-1).
   */
  podCount(rss: ReplicaSetObject[]): number {
    let n = 0;
    for (const rs of rss) {
      if (!settled(rs)) return Infinity;
      const uid = rs.metadata.uid ?? '';
      const pods = this.podMap[uid];
      const seen = !pods ? 0 : (this.obs.active?.[uid] ?? pods.filter(isPodActive).length);
      n += Math.max(replicasOf(rs), rs.status?.replicas ?? 0, seen);
    }
    return n;
  }

  /**
   * How many pods of these ReplicaSets are surely available, for the scale-down budget. Upstream
   * sums the reported availableReplicas. A set that reports more pods than its replicas is about
   * to delete the surplus, possibly available ones; a set whose status predates its spec may be
   * deleting under an older size. Counting neither keeps `available ≥ replicas − maxUnavailable`
   * true of the pods (seed 003, INV-RU-2); with the caches caught up this is upstream's sum.
   */
  surelyAvailable(rss: ReplicaSetObject[]): number {
    let n = 0;
    for (const rs of rss) {
      if (!settled(rs)) continue;
      const surplus = Math.max(0, (rs.status?.replicas ?? 0) - replicasOf(rs));
      n += Math.max(0, (rs.status?.availableReplicas ?? 0) - surplus);
    }
    return n;
  }

  // ---- scaling ----

  /** scaleReplicaSetAndRecordEvent. */
  scaleAndRecord(rs: ReplicaSetObject, to: number): ReplicaSetObject {
    if (replicasOf(rs) === to) return rs;
    return this.scaleReplicaSet(rs, to, replicasOf(rs) < to ? 'up' : 'down');
  }

  /** scaleReplicaSet: the new size and the desired/max annotations, in one write. */
  scaleReplicaSet(rs: ReplicaSetObject, to: number, op: string): ReplicaSetObject {
    const from = replicasOf(rs);
    const sizeChanged = from !== to;
    const max = this.desired + maxSurge(this.d);
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, this.desired, max)) return rs;
    const annotations = { ...(rs.metadata.annotations ?? {}) };
    setReplicasAnnotations(annotations, this.desired, max);
    const updated: ReplicaSetObject = { ...rs, metadata: { ...rs.metadata, annotations }, spec: { ...rs.spec!, replicas: to } };
    const w = this.write(updated, 'update');
    if (sizeChanged) w.events.push(this.event('Normal', 'ScalingReplicaSet', `Scaled ${op} replica set ${rs.metadata.name} from ${from} to ${to}`));
    return updated;
  }

  /** scale: on a scaling event or while paused, resize proportionally. */
  scale(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): void {
    const d = this.d;
    const only = findActiveOrLatest(newRS, oldRSs);
    if (only) {
      if (replicasOf(only) !== this.desired) this.scaleAndRecord(only, this.desired);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of activeReplicaSets([...oldRSs].sort((a, b) => byCreation(b, a)))) this.scaleAndRecord(old, 0);
      return;
    }
    if ((d.spec?.strategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return;
    const all = activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]);
    const allowed = this.desired > 0 ? this.desired + maxSurge(d) : 0;
    const toAdd = allowed - specReplicas(all);
    let op = '';
    if (toAdd > 0) {
      all.sort(bySizeNewer);
      op = 'up';
    } else if (toAdd < 0) {
      all.sort(bySizeOlder);
      op = 'down';
    }
    let added = 0;
    const sizes = all.map((rs) => {
      if (toAdd === 0) return replicasOf(rs);
      const p = proportion(rs, d, toAdd, added);
      added += p;
      return replicasOf(rs) + p;
    });
    all.forEach((rs, i) => {
      let size = sizes[i]!;
      if (i === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      this.scaleReplicaSet(rs, size, op);
    });
  }

  /** isScalingEvent: an active ReplicaSet records a different desired size. */
  isScalingEvent(): boolean {
    const { newRS, oldRSs } = this.allReplicaSets(false);
    return activeReplicaSets([...oldRSs, ...(newRS ? [newRS] : [])]).some((rs) => {
      const desired = intAnnotation(rs, DESIRED_REPLICAS);
      return desired !== undefined && desired !== this.desired;
    });
  }

  /** cleanupDeployment: delete old ReplicaSets beyond revisionHistoryLimit, oldest revision first, if they are empty. */
  cleanup(oldRSs: ReplicaSetObject[]): void {
    const limit = this.d.spec?.revisionHistoryLimit;
    if (limit === undefined || limit === null || limit === 2147483647) return;
    const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp).sort(byRevision);
    const diff = cleanable.length - limit;
    for (let i = 0; i < diff; i++) {
      const rs = cleanable[i]!;
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      this.writes.push({ kind: 'delete', name: rs.metadata.name!, events: [] });
      this.rsByName.set(rs.metadata.name!, rs);
    }
  }

  // ---- status ----

  calculateStatus(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): DeploymentStatus {
    const d = this.d;
    const available = availableReplicas(allRSs);
    const total = specReplicas(allRSs);
    const status: DeploymentStatus = {
      observedGeneration: d.metadata.generation ?? 0,
      replicas: actualReplicas(allRSs),
      updatedReplicas: newRS ? actualReplicas([newRS]) : 0,
      readyReplicas: readyReplicas(allRSs),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, total - available),
    };
    if (d.status?.collisionCount !== undefined) status.collisionCount = d.status.collisionCount;
    let conditions = [...(d.status?.conditions ?? [])];
    conditions = available >= this.desired - maxUnavailable(d)
      ? setCondition(conditions, newDeploymentCondition('Available', 'True', MinimumReplicasAvailable, 'Deployment has minimum availability.', this.now))
      : setCondition(conditions, newDeploymentCondition('Available', 'False', MinimumReplicasUnavailable, 'Deployment does not have minimum availability.', this.now));
    status.conditions = conditions;
    return status;
  }

  /** syncDeploymentStatus. */
  syncDeploymentStatus(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): void {
    const next = this.calculateStatus(allRSs, newRS);
    if (!sameStatus(this.d.status, next)) this.d.status = next;
  }

  /** syncRolloutStatus: the counts, Progressing with the deadline, and failures promoted from ReplicaSets. */
  syncRolloutStatus(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): void {
    const d = this.d;
    const next = this.calculateStatus(allRSs, newRS);
    if (!hasProgressDeadline(d)) next.conditions = removeCondition(next.conditions, 'Progressing');
    const current = getCondition(d.status?.conditions, 'Progressing');
    const complete = next.replicas === next.updatedReplicas && current?.reason === NewRSAvailableReason;
    if (hasProgressDeadline(d) && !complete) {
      const subject = newRS ? `ReplicaSet ${JSON.stringify(newRS.metadata.name)}` : `Deployment ${JSON.stringify(d.metadata.name)}`;
      if (deploymentComplete(d, next)) {
        next.conditions = setCondition(next.conditions, newDeploymentCondition('Progressing', 'True', NewRSAvailableReason, `${subject} has successfully progressed.`, this.now));
      } else if (deploymentProgressing(d, next)) {
        // Progress refreshes lastUpdateTime even with an unchanged reason (the deadline counts from it).
        const c = newDeploymentCondition('Progressing', 'True', ReplicaSetUpdatedReason, `${subject} is progressing.`, this.now);
        if (current) {
          if (current.status === 'True' && current.lastTransitionTime) c.lastTransitionTime = current.lastTransitionTime;
          next.conditions = removeCondition(next.conditions, 'Progressing');
        }
        next.conditions = setCondition(next.conditions, c);
      } else if (deploymentTimedOut(d, next, this.now)) {
        next.conditions = setCondition(next.conditions, newDeploymentCondition('Progressing', 'False', TimedOutReason, `${subject} has timed out progressing.`, this.now));
      }
    }
    const failures = replicaFailures(allRSs, newRS);
    next.conditions = failures.length ? setCondition(next.conditions, failures[0]!) : removeCondition(next.conditions, 'ReplicaFailure');
    if (sameStatus(d.status, next)) {
      this.requeueIfStuck(next);
      return;
    }
    this.d.status = next;
  }

  /** requeueStuckDeployment: look again when the progress deadline would pass. */
  private requeueIfStuck(next: DeploymentStatus): void {
    const d = this.d;
    const current = getCondition(d.status?.conditions, 'Progressing');
    if (!hasProgressDeadline(d) || !current) return;
    if (deploymentComplete(d, next) || current.reason === TimedOutReason) return;
    const from = current.lastUpdateTime ? Date.parse(current.lastUpdateTime) : 0;
    const after = from + d.spec!.progressDeadlineSeconds! * 1000 - this.now;
    this.requeueAfterMs = after < 1000 ? Math.max(1, after + 1) : after + 1000;
  }

  /** checkPausedConditions: Progressing=Unknown while paused, so a resumed rollout does not time out at once. */
  checkPausedConditions(): void {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const c = getCondition(d.status?.conditions, 'Progressing');
    if (c?.reason === TimedOutReason) return;
    const pausedCond = c?.reason === PausedDeployReason;
    if (d.spec?.paused && !pausedCond) {
      this.setStatusCondition(newDeploymentCondition('Progressing', 'Unknown', PausedDeployReason, 'Deployment is paused', this.now));
    } else if (!d.spec?.paused && pausedCond) {
      this.setStatusCondition(newDeploymentCondition('Progressing', 'Unknown', ResumedDeployReason, 'Deployment is resumed', this.now));
    }
  }

  // ---- strategies ----

  /** sync: a scaling event or a paused deployment. */
  sync(): void {
    const { newRS, oldRSs } = this.allReplicaSets(false);
    if (this.stopped) return;
    this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) this.cleanup(oldRSs);
    // As upstream, the status is computed from the ReplicaSets as they were before scaling.
    this.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  syncStatusOnly(): void {
    const { newRS, oldRSs } = this.allReplicaSets(false);
    this.syncDeploymentStatus([...oldRSs, ...(newRS ? [newRS] : [])], newRS);
  }

  rolloutRolling(): void {
    const { newRS, oldRSs } = this.allReplicaSets(true);
    if (this.stopped || !newRS) return;
    const all = [...oldRSs, newRS];
    if (this.reconcileNewReplicaSet(all, newRS)) return this.syncRolloutStatus(all, newRS);
    if (this.reconcileOldReplicaSets(all, activeReplicaSets(oldRSs), newRS)) return this.syncRolloutStatus(all, newRS);
    if (deploymentComplete(this.d, this.d.status ?? {})) this.cleanup(oldRSs);
    this.syncRolloutStatus(all, newRS);
  }

  reconcileNewReplicaSet(all: ReplicaSetObject[], newRS: ReplicaSetObject): boolean {
    const want = this.desired;
    if (replicasOf(newRS) === want) return false;
    if (replicasOf(newRS) > want) {
      this.scaleAndRecord(newRS, want);
      return true;
    }
    const to = newRSNewReplicas(this.d, this.podCount(all), newRS);
    return this.scaleAndRecord(newRS, to) !== newRS;
  }

  reconcileOldReplicaSets(all: ReplicaSetObject[], oldRSs: ReplicaSetObject[], newRS: ReplicaSetObject): boolean {
    if (specReplicas(oldRSs) === 0) return false;
    const minAvailable = this.desired - maxUnavailable(this.d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = specReplicas(all) - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = this.cleanupUnhealthyReplicas(oldRSs, maxScaledDown);
    if (!cleaned) return false;
    const scaledDown = this.scaleDownOldForRollingUpdate([...cleaned.oldRSs, newRS], cleaned.oldRSs);
    return cleaned.count + scaledDown > 0;
  }

  /** cleanupUnhealthyReplicas: shrink old ReplicaSets by their unavailable pods first. */
  private cleanupUnhealthyReplicas(oldRSs: ReplicaSetObject[], maxCleanup: number): { oldRSs: ReplicaSetObject[]; count: number } | undefined {
    const sorted = [...oldRSs].sort(byCreation);
    let total = 0;
    for (let i = 0; i < sorted.length; i++) {
      if (total >= maxCleanup) break;
      const rs = sorted[i]!;
      const replicas = replicasOf(rs);
      const available = rs.status?.availableReplicas ?? 0;
      // A set whose status predates its spec may not know which of its pods are unavailable.
      if (replicas === 0 || replicas === available || !settled(rs)) continue;
      const count = Math.min(maxCleanup - total, replicas - available);
      // A cache that shows more available pods than replicas cannot be acted on (upstream errors out).
      if (replicas - count > replicas) return undefined;
      sorted[i] = this.scaleAndRecord(rs, replicas - count);
      total += count;
    }
    return { oldRSs: sorted, count: total };
  }

  /** scaleDownOldReplicaSetsForRollingUpdate: shrink old ReplicaSets as far as availability allows, oldest first. */
  private scaleDownOldForRollingUpdate(all: ReplicaSetObject[], oldRSs: ReplicaSetObject[]): number {
    const minAvailable = this.desired - maxUnavailable(this.d);
    const available = this.surelyAvailable(all);
    if (available <= minAvailable) return 0;
    const budget = available - minAvailable;
    let total = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (total >= budget) break;
      const replicas = replicasOf(rs);
      if (replicas === 0) continue;
      const count = Math.min(replicas, budget - total);
      this.scaleAndRecord(rs, replicas - count);
      total += count;
    }
    return total;
  }

  rolloutRecreate(): void {
    let { newRS, oldRSs } = this.allReplicaSets(false);
    if (this.stopped) return;
    let all = [...oldRSs, ...(newRS ? [newRS] : [])];
    let scaledDown = false;
    for (const rs of activeReplicaSets(oldRSs)) {
      this.scaleAndRecord(rs, 0);
      scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(newRS, oldRSs)) return this.syncRolloutStatus(all, newRS);
    if (!newRS) {
      ({ newRS, oldRSs } = this.allReplicaSets(true));
      if (this.stopped || !newRS) return;
      all = [...oldRSs, newRS];
    }
    this.scaleAndRecord(newRS, this.desired);
    if (deploymentComplete(this.d, this.d.status ?? {})) this.cleanup(oldRSs);
    this.syncRolloutStatus(all, newRS);
  }

  /** oldPodsRunning: an old ReplicaSet still reports pods, or has a pod not yet finished. */
  private oldPodsRunning(newRS: ReplicaSetObject | undefined, oldRSs: ReplicaSetObject[]): boolean {
    if (actualReplicas(oldRSs) > 0) return true;
    for (const [uid, pods] of Object.entries(this.podMap)) {
      if (newRS && newRS.metadata.uid === uid) continue;
      for (const p of pods) {
        const phase = p.status?.phase;
        if (phase === 'Failed' || phase === 'Succeeded') continue;
        return true;
      }
    }
    return false;
  }

  // ---- the result ----

  decision(): Decision {
    const actions: Action[] = [...this.prelude];
    const ns = this.d.metadata.namespace!;
    for (const w of this.writes) {
      const rs = this.rsByName.get(w.name)!;
      if (w.kind === 'delete') {
        actions.push({ kind: 'delete', resource: R.replicasets, namespace: ns, name: w.name, options: { preconditions: { uid: rs.metadata.uid! } } });
        continue;
      }
      const a: Action = w.kind === 'create'
        ? { kind: 'create', resource: R.replicasets, namespace: ns, object: rs }
        : { kind: 'update', resource: R.replicasets, namespace: ns, object: rs };
      if (w.onError) a.onError = w.onError;
      actions.push(a, ...w.events);
    }
    const orig = this.obs.deployment!;
    if (!sameStatus(orig.status, this.d.status)) {
      actions.push({
        kind: 'update',
        resource: R.deployments,
        namespace: ns,
        object: { ...orig, metadata: { ...orig.metadata, annotations: this.d.metadata.annotations ?? {} }, status: omitZero(this.d.status ?? {}) },
        subresource: 'status',
      });
    }
    const revision = this.d.metadata.annotations?.[REVISION];
    if (revision !== undefined && orig.metadata.annotations?.[REVISION] !== revision) {
      // Upstream's status update carries the annotation too; a patch of the object sets it either way.
      actions.push({ kind: 'patch', resource: R.deployments, namespace: ns, name: orig.metadata.name!, patchType: 'application/merge-patch+json', patch: { metadata: { annotations: { [REVISION]: revision } } } });
    }
    actions.push(...this.trailing);
    return this.requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs: this.requeueAfterMs };
  }

  emit(action: Action): void {
    this.trailing.push(action);
  }
}

/** The ReplicaSet controller has reported on this set's current spec (or the set is being created now). */
function settled(rs: ReplicaSetObject): boolean {
  return !rs.metadata.uid || (rs.status?.observedGeneration ?? 0) >= (rs.metadata.generation ?? 0);
}

/** getReplicaFailures: the new ReplicaSet's ReplicaFailure conditions, else any old one's. */
function replicaFailures(allRSs: ReplicaSetObject[], newRS: ReplicaSetObject | undefined): DeploymentCondition[] {
  const of = (rs: ReplicaSetObject) => (rs.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(replicaSetToDeploymentCondition);
  const fromNew = newRS ? of(newRS) : [];
  return fromNew.length ? fromNew : allRSs.flatMap(of);
}

export function reconcileDeployment(obs: DeploymentObservation, now: Instant): Decision {
  const d = obs.deployment;
  if (!d) return { actions: [] };
  const s = new DeploymentSync(obs, now);
  const sel = d.spec?.selector;
  if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
    s.emit(s.event('Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.'));
    if ((d.status?.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) s.d.status = { ...(d.status ?? {}), observedGeneration: d.metadata.generation ?? 0 };
    return s.decision();
  }
  let selector: Selector;
  try {
    selector = labelSelectorAsSelector(sel);
  } catch {
    return { actions: [] };
  }
  const { claimed, actions } = claimObjects(s.d, R.replicasets, selector, obs.replicaSets);
  s.adopt(claimed as ReplicaSetObject[], actions);
  const uids = new Set(claimed.map((rs) => rs.metadata.uid));
  s.podMap = Object.fromEntries(Object.entries(obs.pods).filter(([uid]) => uids.has(uid)));

  if (d.metadata.deletionTimestamp) s.syncStatusOnly();
  else {
    s.checkPausedConditions();
    if (d.spec?.paused || s.isScalingEvent()) s.sync();
    else if (d.spec?.strategy?.type === 'Recreate') s.rolloutRecreate();
    else s.rolloutRolling();
  }
  return s.decision();
}

// ---- watches ----

/** The Deployments a ReplicaSet event concerns: its controller, or for an orphan every Deployment selecting it. */
function deploymentsOfReplicaSet(rs: KubeObject, view: ClusterView): string[] {
  const ns = rs.metadata.namespace;
  if (!ns) return [];
  const ref = controllerOf(rs);
  if (ref) return ref.kind === 'Deployment' && ref.apiVersion.startsWith('apps/') ? [`${ns}/${ref.name}`] : [];
  const keys: string[] = [];
  for (const d of view.list(R.deployments, ns) as DeploymentObject[]) {
    try {
      const sel = labelSelectorAsSelector(d.spec?.selector);
      if (matches(sel, rs.metadata.labels ?? {})) keys.push(keyOf(d));
    } catch {
      // An unusable selector adopts nothing.
    }
  }
  return keys;
}

/** Pods matter to a Recreate rollout, which waits for old pods to go (upstream's deletePod handler). */
function deploymentOfPod(pod: KubeObject, view: ClusterView): string[] {
  const ref = controllerOf(pod);
  if (ref?.kind !== 'ReplicaSet') return [];
  const rs = view.byUid(ref.uid)?.object;
  const dref = rs && controllerOf(rs);
  if (!rs || dref?.kind !== 'Deployment') return [];
  const d = view.get(R.deployments, rs.metadata.namespace, dref.name) as DeploymentObject | undefined;
  return d?.spec?.strategy?.type === 'Recreate' && d.metadata.uid === dref.uid ? [keyOf(d)] : [];
}

export function deploymentController(): Controller<DeploymentObservation> {
  return {
    name: 'deployment',
    watches: [
      { resource: R.deployments, keys: (o) => [keyOf(o)] },
      { resource: R.replicasets, keys: deploymentsOfReplicaSet },
      // (upstream handles pod deletions only: an update never concerns a Deployment)
      { resource: R.pods, keys: deploymentOfPod, changed: () => false },
    ],
    observe: observeDeployment,
    reconcile: reconcileDeployment,
  };
}
