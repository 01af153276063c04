// Workload invariants (moved here from controllers/, which may not import verify/): the rolling-update invariants of seed 003 (spec/seed-003.md §3) as predicates over one observed
// state, for tests, the simulator and the model checker alike:
//   INV-RU-1  total pods ≤ replicas + maxSurge
//   INV-RU-2  available pods ≥ replicas − maxUnavailable
//   LIVE-RU   the rollout ends with every replica updated and available, old ReplicaSets at 0,
//             and the latest generation observed.
// Pods count as upstream counts them: active pods (not finished, not being deleted) controlled by
// one of the Deployment's ReplicaSets. A pod being deleted no longer counts (upstream's replicas
// and its surge budget exclude it too; its containers may still be stopping).
import type { Instant, KubeObject } from '../../model/object.js';
import type { PodObject } from '../../controllers/replicaset.js';
import { controllerOf, isPodActive, isPodAvailable } from '../../controllers/pods.js';
import { equalIgnoreHash, maxSurge, maxUnavailable, replicasOf, type DeploymentObject, type ReplicaSetObject } from '../../controllers/deployment-util.js';
import type { Action, Decision } from '../../controllers/runtime.js';
import {
  claimName, isRunningAndReady, ordinalOf, parentAndOrdinal, podName, podNameLabel, podRevision, startOrdinal,
  type PodObject as StsPod, type StatefulSet, type StatefulSetObservation,
} from '../../controllers/statefulset.js';
import { nameOf, type ClusterState, type DecisionProperty, type GoalProperty, type StateProperty } from './state.js';

export interface RolloutBounds {
  replicas: number;
  maxSurge: number;
  maxUnavailable: number;
  /** replicas + maxSurge */
  maxTotal: number;
  /** replicas − maxUnavailable */
  minAvailable: number;
}

/** The bounds a Deployment's spec sets (upstream rounding: surge up, unavailable down, never both 0). */
export function rolloutBounds(d: DeploymentObject): RolloutBounds {
  const replicas = d.spec?.replicas ?? 1;
  const s = maxSurge(d);
  const u = maxUnavailable(d);
  return { replicas, maxSurge: s, maxUnavailable: u, maxTotal: replicas + s, minAvailable: replicas - u };
}

export interface RolloutCounts {
  /** Active pods of the Deployment's ReplicaSets. */
  total: number;
  /** Of those, available (ready for minReadySeconds). */
  available: number;
  /** Active pods from the template the Deployment currently asks for. */
  updated: number;
  /** Active pods from any other template. */
  old: number;
}

/** The ReplicaSets a Deployment controls. */
export function ownedReplicaSets(d: DeploymentObject, replicaSets: ReplicaSetObject[]): ReplicaSetObject[] {
  return replicaSets.filter((rs) => controllerOf(rs)?.uid === d.metadata.uid);
}

/** Counts the Deployment's pods in one state of the world. */
export function rolloutCounts(d: DeploymentObject, replicaSets: ReplicaSetObject[], pods: KubeObject[], now: Instant): RolloutCounts {
  return countPods(d, ownedReplicaSets(d, replicaSets), pods as PodObject[], now);
}

/** Counts the pods among `pods` that the Deployment's ReplicaSets (`owned`) control. */
function countPods(d: DeploymentObject, owned: ReplicaSetObject[], pods: Iterable<PodObject>, now: Instant): RolloutCounts {
  const current = new Set(owned.filter((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template)).map((rs) => rs.metadata.uid));
  const uids = new Set(owned.map((rs) => rs.metadata.uid));
  const minReady = d.spec?.minReadySeconds ?? 0;
  const counts: RolloutCounts = { total: 0, available: 0, updated: 0, old: 0 };
  for (const p of pods) {
    const ref = controllerOf(p);
    if (!ref || !uids.has(ref.uid) || !isPodActive(p)) continue;
    counts.total++;
    if (isPodAvailable(p, minReady, now)) counts.available++;
    if (current.has(ref.uid)) counts.updated++;
    else counts.old++;
  }
  return counts;
}

/** INV-RU-1. */
export const withinSurge = (b: RolloutBounds, c: RolloutCounts): boolean => c.total <= b.maxTotal;

/** INV-RU-2. */
export const aboveMinAvailable = (b: RolloutBounds, c: RolloutCounts): boolean => c.available >= b.minAvailable;

/** Recreate: old and new pods never run side by side. */
export const recreateExclusive = (c: RolloutCounts): boolean => c.old === 0 || c.updated === 0;

/** The violated invariants of one state, as readable lines (empty when all hold). */
export function rollingUpdateViolations(d: DeploymentObject, replicaSets: ReplicaSetObject[], pods: KubeObject[], now: Instant): string[] {
  const b = rolloutBounds(d);
  const c = rolloutCounts(d, replicaSets, pods, now);
  const out: string[] = [];
  if ((d.spec?.strategy?.type ?? 'RollingUpdate') === 'Recreate') {
    if (!recreateExclusive(c)) out.push(`Recreate: ${c.old} old and ${c.updated} new pods at once`);
    return out;
  }
  if (!withinSurge(b, c)) out.push(`INV-RU-1: ${c.total} pods > replicas ${b.replicas} + maxSurge ${b.maxSurge}`);
  if (!aboveMinAvailable(b, c)) out.push(`INV-RU-2: ${c.available} available < replicas ${b.replicas} − maxUnavailable ${b.maxUnavailable}`);
  return out;
}

/** LIVE-RU's goal: the rollout is over. */
export function rolloutComplete(d: DeploymentObject, replicaSets: ReplicaSetObject[], pods: KubeObject[], now: Instant): boolean {
  const owned = ownedReplicaSets(d, replicaSets);
  return rolloutOver(d, owned, countPods(d, owned, pods as PodObject[], now));
}

function rolloutOver(d: DeploymentObject, owned: ReplicaSetObject[], c: RolloutCounts): boolean {
  const replicas = d.spec?.replicas ?? 1;
  const oldAtZero = owned.every((rs) => equalIgnoreHash(rs.spec?.template, d.spec?.template) || replicasOf(rs) === 0);
  const s = d.status ?? {};
  return c.updated === replicas && c.old === 0 && c.available === replicas && oldAtZero &&
    (s.updatedReplicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas &&
    (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0);
}

// ---- StatefulSet (spec/seed-003.md §A5 and §3: INV-SS-uniq, INV-SS-stable, INV-SS-order-up,
// INV-SS-order-down, INV-SS-partition) ----
// The identity invariants hold of every state; the ordering and partition invariants are about
// what the controller does, so they judge one decision against the observation it was made from.

/** INV-SS-uniq and INV-SS-stable over one state: each pod has its own ordinal, name, hostname and claims. */
export function statefulSetIdentityViolations(set: StatefulSet, pods: KubeObject[], claims: KubeObject[]): string[] {
  const out: string[] = [];
  const owned = (pods as StsPod[]).filter((p) => controllerOf(p)?.uid === set.metadata.uid);
  const byOrdinal = new Map<number, string>();
  const claimedBy = new Map<string, string>();
  for (const p of owned) {
    const name = p.metadata.name!;
    const { parent, ordinal } = parentAndOrdinal(name);
    if (parent !== set.metadata.name || ordinal < 0) {
      out.push(`INV-SS-uniq: pod ${name} is not named <set>-<ordinal>`);
      continue;
    }
    if (byOrdinal.has(ordinal)) out.push(`INV-SS-uniq: pods ${byOrdinal.get(ordinal)} and ${name} share ordinal ${ordinal}`);
    byOrdinal.set(ordinal, name);
    if (p.metadata.labels?.[podNameLabel] !== name) out.push(`INV-SS-stable: pod ${name} is labelled ${p.metadata.labels?.[podNameLabel]}`);
    if (p.spec?.hostname !== undefined && p.spec.hostname !== name) out.push(`INV-SS-stable: pod ${name} has hostname ${p.spec.hostname}`);
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const tpl = t.metadata?.name ?? '';
      const v = (p.spec?.volumes ?? []).find((x) => x.name === tpl);
      const want = claimName(set, tpl, ordinal);
      if (v?.persistentVolumeClaim?.claimName !== want) out.push(`INV-SS-stable: pod ${name} mounts ${v?.persistentVolumeClaim?.claimName} for ${tpl}, not ${want}`);
      const other = claimedBy.get(want);
      if (other) out.push(`INV-SS-uniq: claim ${want} mounted by ${other} and ${name}`);
      claimedBy.set(want, name);
    }
  }
  const claimNames = new Set<string>();
  for (const c of claims) {
    if (claimNames.has(c.metadata.name!)) out.push(`INV-SS-uniq: two claims named ${c.metadata.name}`);
    claimNames.add(c.metadata.name!);
  }
  return out;
}

/**
 * INV-SS-order-up, INV-SS-order-down and INV-SS-partition over one decision: under OrderedReady a
 * pod is created only when every lower ordinal is Running and Ready, one at a time; a pod is
 * deleted only when every higher ordinal is gone or a healthy member; at most one pod goes at a
 * time when maxUnavailable is 1; and below the partition only failed or surplus pods are deleted,
 * and replacements there get the current revision, never the update revision.
 */
export function statefulSetDecisionViolations(obs: StatefulSetObservation, decision: Decision): string[] {
  const set = obs.set;
  if (!set) return [];
  const out: string[] = [];
  const pods = (obs.pods as StsPod[]).filter((p) => controllerOf(p)?.uid === set.metadata.uid);
  const byOrdinal = new Map(pods.map((p) => [ordinalOf(p), p]));
  const start = startOrdinal(set);
  const replicas = set.spec.replicas ?? 1;
  const ordered = set.spec.podManagementPolicy !== 'Parallel';
  const isPodAction = (a: Action) => a.resource.resource === 'pods';
  const creates = decision.actions.filter((a): a is Action & { kind: 'create' } => a.kind === 'create' && isPodAction(a));
  const deletes = decision.actions.filter((a): a is Action & { kind: 'delete' } => a.kind === 'delete' && isPodAction(a));
  if (ordered && creates.length > 1) out.push(`INV-SS-order-up: ${creates.length} pods created at once`);
  for (const a of ordered ? creates : []) {
    const k = ordinalOf(a.object);
    for (let j = start; j < k; j++) {
      const p = byOrdinal.get(j);
      if (!p || !isRunningAndReady(p) || p.metadata.deletionTimestamp) out.push(`INV-SS-order-up: ${a.object.metadata.name} created while ${podName(set, j)} is not Running and Ready`);
    }
  }
  const strategy = set.spec.updateStrategy;
  const maxUnavailable = strategy?.rollingUpdate?.maxUnavailable ?? 1;
  if (ordered && maxUnavailable === 1 && deletes.length > 1) out.push(`INV-SS-order-down: ${deletes.length} pods deleted at once`);
  const partition = start + (strategy?.type === 'RollingUpdate' ? strategy.rollingUpdate?.partition ?? 0 : 0);
  for (const a of deletes) {
    const p = pods.find((x) => x.metadata.name === a.name);
    if (!p) continue;
    const k = ordinalOf(p);
    const finished = p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded';
    if (ordered && !finished) {
      for (const [j, q] of byOrdinal) {
        if (j <= k) continue;
        const member = j < start + replicas;
        if (!member) out.push(`INV-SS-order-down: ${a.name} deleted before ${q.metadata.name}`);
        else if (!isRunningAndReady(q) || q.metadata.deletionTimestamp) out.push(`INV-SS-order-down: ${a.name} deleted while ${q.metadata.name} is not Running and Ready`);
      }
    }
    const surplus = k >= start + replicas;
    if (k < partition && !finished && !surplus) out.push(`INV-SS-partition: ${a.name} deleted below partition ${partition - start}`);
  }
  const current = set.status?.currentRevision;
  if (strategy?.type === 'RollingUpdate' && current) {
    for (const a of creates) {
      if (ordinalOf(a.object) < partition && podRevision(a.object) !== current) {
        out.push(`INV-SS-partition: ${a.object.metadata.name} created at ${podRevision(a.object)}, below the partition where ${current} holds`);
      }
    }
  }
  return out;
}

// ---- the properties above over whole cluster states, for the simulator and the model checker ----

/**
 * INV-RU-1 and INV-RU-2 (and Recreate's exclusion) for every Deployment of a state. INV-RU-2 bounds
 * what a rollout takes down, so it is judged while one is under way (old pods remain): a
 * Deployment still scaling up from nothing, or one whose pods a failed node took, is below it
 * without any rollout step at fault.
 */
export const rollingUpdate: StateProperty = {
  kind: 'state',
  name: 'rolling-update',
  cite: 'seed 003 §3 INV-RU-1, INV-RU-2',
  check(s: ClusterState): string[] {
    const out: string[] = [];
    const rss = s.list('replicasets') as ReplicaSetObject[];
    const pods = s.list('pods') as KubeObject[];
    for (const d of s.list('deployments') as DeploymentObject[]) {
      // A Deployment being deleted is no longer held to its bounds (its pods go with it).
      if (d.metadata.deletionTimestamp) continue;
      const rolling = rolloutCounts(d, rss, pods, s.now).old > 0;
      for (const v of rollingUpdateViolations(d, rss, pods, s.now)) if (rolling || !v.startsWith('INV-RU-2')) out.push(`deployment ${nameOf(d)}: ${v}`);
    }
    return out;
  },
};

/** LIVE-RU: every Deployment's rollout is over. */
export const rolloutsComplete: GoalProperty = {
  kind: 'goal',
  name: 'rollout-complete',
  cite: 'seed 003 §3 LIVE-RU; seed 004 §4.2 (a Deployment eventually reaches its replicas)',
  // Pods are grouped by controller once, so that each Deployment counts only its own (a
  // simulator judges this goal often, over hundreds of thousands of pods and many Deployments).
  unmet(s: ClusterState): string[] {
    const rss = s.list('replicasets') as ReplicaSetObject[];
    const byController = podsByController(s.list('pods') as PodObject[]);
    const out: string[] = [];
    for (const d of s.list('deployments') as DeploymentObject[]) {
      if (d.metadata.deletionTimestamp) continue;
      const owned = ownedReplicaSets(d, rss);
      const c = countPods(d, owned, podsOf(owned, byController), s.now);
      if (!rolloutOver(d, owned, c)) out.push(`deployment ${nameOf(d)}: ${c.updated} updated, ${c.available} available, ${c.old} old of ${d.spec?.replicas ?? 1}`);
    }
    return out;
  },
};

/** Pods by their controller's uid, in the order given. */
function podsByController(pods: readonly PodObject[]): Map<string, PodObject[]> {
  const m = new Map<string, PodObject[]>();
  for (const p of pods) {
    const uid = controllerOf(p)?.uid;
    if (uid === undefined) continue;
    const l = m.get(uid);
    if (l) l.push(p);
    else m.set(uid, [p]);
  }
  return m;
}

/** The pods the ReplicaSets control (each ReplicaSet's once). */
function* podsOf(owned: ReplicaSetObject[], byController: Map<string, PodObject[]>): Generator<PodObject> {
  const seen = new Set<string>();
  for (const rs of owned) {
    const uid = rs.metadata.uid;
    if (uid === undefined || seen.has(uid)) continue;
    seen.add(uid);
    yield* byController.get(uid) ?? [];
  }
}

/** INV-SS-uniq and INV-SS-stable for every StatefulSet of a state. */
export const statefulSetIdentity: StateProperty = {
  kind: 'state',
  name: 'statefulset-identity',
  cite: 'seed 003 §3 INV-SS-uniq, INV-SS-stable',
  check(s: ClusterState): string[] {
    const claims = s.list('persistentvolumeclaims') as KubeObject[];
    return (s.list('statefulsets') as StatefulSet[]).flatMap((set) =>
      statefulSetIdentityViolations(set, s.list('pods') as KubeObject[], claims.filter((c) => c.metadata.namespace === set.metadata.namespace)).map((v) => `statefulset ${nameOf(set)}: ${v}`));
  },
};

/** INV-SS-order-up, INV-SS-order-down, INV-SS-partition on every StatefulSet reconcile. */
export const statefulSetOrdering: DecisionProperty = {
  kind: 'decision',
  name: 'statefulset-ordering',
  cite: 'seed 003 §3 INV-SS-order-up, INV-SS-order-down, INV-SS-partition',
  controller: 'statefulset',
  check: (observed, decision) => statefulSetDecisionViolations(observed as StatefulSetObservation, decision),
};
