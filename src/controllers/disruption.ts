// The disruption controller (upstream pkg/controller/disruption): each PodDisruptionBudget's status
// from the pods it selects: how many are healthy (Ready, not being deleted, not just evicted), how
// many must stay so (minAvailable, or the pods' controllers' scale less maxUnavailable), and so how
// many disruptions the eviction API may allow now. Evictions the API recorded in disruptedPods
// count as gone until their pod is seen going, or for two minutes.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import { R, type ResourceRef } from '../model/api.js';
import { deepEqual, rfc3339, type Instant, type KubeObject } from '../model/object.js';
import { scaled } from '../model/intstr.js';
import { budgetSelects, podReady } from '../model/disruption.js';
import type { Controller, Decision } from './runtime.js';
import { keyOf, splitKey } from './runtime.js';
import { controllerOf } from './pods.js';

/** How long an eviction counts before its pod is seen going (DeletionTimeout). */
const DELETION_TIMEOUT_MS = 2 * 60_000;

type Budget = KubeObject & PodDisruptionBudget;
type PodObj = KubeObject & Pod;
type Scaled = KubeObject & { spec?: { replicas?: number } };

export interface DisruptionObservation {
  pdb?: Budget;
  pods: PodObj[];
  /** The pods' controllers by uid, as their scale is looked up (a ReplicaSet's Deployment in its place); null: not found. */
  controllers: Record<string, Scaled | null>;
}

export function disruptionController(): Controller<DisruptionObservation> {
  return {
    name: 'disruption',
    watches: [
      { resource: R.poddisruptionbudgets, keys: (o) => [keyOf(o)] },
      {
        resource: R.pods,
        keys: (o, view) => (view.list(R.poddisruptionbudgets, o.metadata.namespace).filter((b) => budgetSelects(b as Budget, o as PodObj)).map(keyOf)),
        changed: (o, old) => !deepEqual(o.metadata.labels, old.metadata.labels) || !!o.metadata.deletionTimestamp !== !!old.metadata.deletionTimestamp || podReady(o as PodObj) !== podReady(old as PodObj),
      },
      // read for the pods' scale, not reconciled on (a scale change shows in the pods)
      { resource: R.replicasets, keys: () => [] },
      { resource: R.deployments, keys: () => [] },
      { resource: R.statefulsets, keys: () => [] },
    ],
    observe(key, view) {
      const { namespace, name } = splitKey(key);
      const pdb = view.get(R.poddisruptionbudgets, namespace, name) as Budget | undefined;
      if (!pdb) return { pods: [], controllers: {} };
      const pods = (view.list(R.pods, namespace) as PodObj[]).filter((p) => budgetSelects(pdb, p));
      const controllers: Record<string, Scaled | null> = {};
      for (const p of pods) {
        const ref = controllerOf(p);
        if (!ref || ref.uid in controllers) continue;
        controllers[ref.uid] = scaleOf(ref, namespace, view.get.bind(view));
      }
      return { pdb, pods, controllers };
    },
    reconcile: reconcileDisruption,
  };
}

/** The object whose replicas count for a pod's controller (getExpectedScale's finders). */
function scaleOf(ref: { kind: string; name: string; uid: string }, ns: string | undefined, get: (r: ResourceRef, ns: string | undefined, name: string) => KubeObject | undefined): Scaled | null {
  const found = (r: ResourceRef) => {
    const o = get(r, ns, ref.name);
    return o && o.metadata.uid === ref.uid ? (o as Scaled) : undefined;
  };
  if (ref.kind === 'StatefulSet') return found(R.statefulsets) ?? null;
  if (ref.kind !== 'ReplicaSet') return null;
  const rs = found(R.replicasets);
  if (!rs) return null;
  // a ReplicaSet of a Deployment: the Deployment's scale
  const owner = controllerOf(rs);
  if (owner?.kind === 'Deployment') {
    const d = get(R.deployments, ns, owner.name);
    return d && d.metadata.uid === owner.uid ? (d as Scaled) : null;
  }
  return rs;
}

/** The healthy count a budget needs and the pods it expects, or why they cannot be worked out. */
function expected(pdb: Budget, obs: DisruptionObservation): { expectedPods: number; desiredHealthy: number } | { error: string } {
  const spec = pdb.spec ?? {};
  const scale = (): number | { error: string } => {
    let total = 0;
    for (const p of obs.pods) {
      const ref = controllerOf(p);
      // unmanaged pods add nothing (upstream warns about them)
      if (!ref) continue;
      const c = obs.controllers[ref.uid];
      if (!c) return { error: `found no controllers for pod "${p.metadata.name}"` };
    }
    // each scale once: the ReplicaSets of one Deployment share its scale
    const seen = new Set<string>();
    for (const c of Object.values(obs.controllers)) {
      if (!c || seen.has(c.metadata.uid!)) continue;
      seen.add(c.metadata.uid!);
      total += c.spec?.replicas ?? 1;
    }
    return total;
  };
  if (spec.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const n = scale();
    if (typeof n !== 'number') return n;
    return { expectedPods: n, desiredHealthy: Math.max(0, n - scaled(spec.maxUnavailable, n, true)) };
  }
  if (spec.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') return { expectedPods: obs.pods.length, desiredHealthy: spec.minAvailable };
    const n = scale();
    if (typeof n !== 'number') return n;
    return { expectedPods: n, desiredHealthy: scaled(spec.minAvailable, n, true) };
  }
  return { expectedPods: obs.pods.length, desiredHealthy: 0 };
}

export function reconcileDisruption(obs: DisruptionObservation, now: Instant): Decision {
  const pdb = obs.pdb;
  if (!pdb || pdb.metadata.deletionTimestamp) return { actions: [] };
  const old = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  const generation = pdb.metadata.generation ?? 0;
  const want = expected(pdb, obs);
  let status: PodDisruptionBudgetStatus;
  let recheck: number | undefined;
  if ('error' in want) {
    // fail safe: no disruptions while the budget cannot be judged
    status = { ...old, disruptionsAllowed: 0, observedGeneration: generation, conditions: withCondition(old.conditions, 'False', 'SyncFailed', want.error, generation, now) };
  } else {
    // evictions still expected to show: pods not yet seen going, for up to DeletionTimeout
    const disrupted: Record<string, string> = {};
    for (const p of obs.pods) {
      const at = old.disruptedPods?.[p.metadata.name!];
      if (p.metadata.deletionTimestamp || at === undefined) continue;
      const until = Date.parse(at) + DELETION_TIMEOUT_MS;
      if (until < now) continue;
      disrupted[p.metadata.name!] = at;
      recheck = Math.min(recheck ?? Infinity, until - now);
    }
    const currentHealthy = obs.pods.filter((p) => !(p.metadata.name! in disrupted) && !p.metadata.deletionTimestamp && podReady(p)).length;
    const allowed = want.expectedPods <= 0 ? 0 : Math.max(0, currentHealthy - want.desiredHealthy);
    status = {
      ...(Object.keys(disrupted).length ? { disruptedPods: disrupted } : {}),
      disruptionsAllowed: allowed,
      currentHealthy,
      desiredHealthy: want.desiredHealthy,
      expectedPods: want.expectedPods,
      observedGeneration: generation,
      conditions: allowed > 0
        ? withCondition(old.conditions, 'True', 'SufficientPods', '', generation, now)
        : withCondition(old.conditions, 'False', 'InsufficientPods', '', generation, now),
    };
  }
  const next = { ...(recheck !== undefined ? { requeueAfterMs: Math.max(1, recheck + 1) } : {}) };
  if (deepEqual(status, pdb.status)) return { actions: [], ...next };
  return {
    actions: [{ kind: 'update', resource: R.poddisruptionbudgets, namespace: pdb.metadata.namespace!, object: { ...pdb, status } as KubeObject, subresource: 'status' }],
    ...next,
  };
}

/** meta.SetStatusCondition of DisruptionAllowed: the transition time moves only when the status does. */
function withCondition(conds: Condition[] | undefined, status: 'True' | 'False', reason: string, message: string, generation: number, now: Instant): Condition[] {
  const others = (conds ?? []).filter((c) => c.type !== 'DisruptionAllowed');
  const prev = (conds ?? []).find((c) => c.type === 'DisruptionAllowed');
  const lastTransitionTime = prev && prev.status === status ? prev.lastTransitionTime : rfc3339(now);
  return [...others, { type: 'DisruptionAllowed', status, reason, message, observedGeneration: generation, lastTransitionTime }];
}
