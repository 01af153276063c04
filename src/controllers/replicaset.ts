// The ReplicaSet controller (upstream pkg/controller/replicaset): keep `replicas` active pods that
// match the selector, adopting matching orphans and releasing pods that stopped matching; create
// missing pods from the template and delete surplus ones in upstream's ranking; report replicas,
// fullyLabeledReplicas, readyReplicas, availableReplicas (minReadySeconds), observedGeneration and
// the ReplicaFailure condition.
//
// Upstream guards against acting twice on its own writes with "expectations". The runner's
// read-your-writes barrier (it waits until the shared cache shows each create and each delete
// before the next reconcile) gives the same guarantee; see runtime.ts.
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepEqual, rfc3339 } from '../model/object.js';
import { labelSelectorAsSelector, matches, selectorFromSet, type Selector } from '../model/labels.js';
import { StatusError } from '../model/status.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { eventAction, keyOf, splitKey } from './runtime.js';
import { availableAt, controlledBy, controllerOf, generateName, isPodActive, isPodAvailable, isPodReady, podCondition, podFromTemplate } from './pods.js';
import { claimObjects } from './claim.js';
import { podsToDelete } from './ranking.js';
import { activePods, type PodGroups } from './pod-groups.js';
import { getCondition, removeCondition, setCondition, type ReplicaSetObject } from './deployment-util.js';

export type PodObject = KubeObject & Pick<Pod, 'spec' | 'status'>;

export interface ReplicaSetObservation {
  rs?: ReplicaSetObject;
  /** Pods the set controls, and orphans of its namespace: the candidates for claiming. */
  pods: PodObject[];
  /** Active pods of every ReplicaSet under the same controller (to rank deletions); empty when nothing is deleted. */
  related: PodObject[];
  /**
   * The set's pods grouped by labels with their counts, when the view keeps them: then a sync
   * with nothing to create, delete, adopt or release decides from these alone (groupCounts).
   */
  groups?: PodGroups;
}

const COMPONENT = 'replicaset-controller';
/** Upstream's burstReplicas: at most this many creations or deletions per sync. */
export const BURST_REPLICAS = 500;

const rsKind = (rs: KubeObject): KubeObject => ({ ...rs, apiVersion: rs.apiVersion ?? 'apps/v1', kind: rs.kind ?? 'ReplicaSet' });

/** getPodsPrefix: `<name>-`, or the bare name when the dash would make an invalid pod name. */
export function podPrefix(owner: string): string {
  const prefix = `${owner}-`;
  return /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*-?$/.test(prefix) && prefix.length <= 253 ? prefix : owner;
}

export function observeReplicaSet(key: string, view: ClusterView): ReplicaSetObservation {
  const { namespace, name } = splitKey(key);
  const rs = view.get(R.replicasets, namespace, name) as ReplicaSetObject | undefined;
  if (!rs || !namespace) return { pods: [], related: [] };
  const owned = controlledBy(view, rs, R.pods) as PodObject[];
  const pods = owned.concat(view.uncontrolled(R.pods, namespace) as PodObject[]);
  const want = rs.spec?.replicas ?? 0;
  const groups = rs.metadata.uid ? view.podGroups?.(rs.metadata.uid) : undefined;
  let active = 0;
  if (groups) active = activePods(groups);
  else for (const p of owned) if (isPodActive(p)) active++;
  let related: PodObject[] = [];
  const parent = controllerOf(rs);
  if (active > want && parent) {
    related = view
      .dependentsOf(parent.uid)
      .filter((d) => d.resource.resource === 'replicasets' && controllerOf(d.object)?.uid === parent.uid)
      .flatMap((d) => controlledBy(view, d.object, R.pods) as PodObject[])
      .filter(isPodActive);
  }
  return groups ? { rs, pods, related, groups } : { rs, pods, related };
}

/** calculateStatus: counts over the claimed active pods, and the ReplicaFailure condition from the last attempt. */
export function replicaSetStatus(rs: ReplicaSetObject, pods: PodObject[], now: Instant, failure?: { reason: string; message: string }): ReplicaSetStatus {
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const p of pods) {
    if (matches(templateLabels, p.metadata.labels ?? {})) fullyLabeled++;
    if (podCondition(p, 'Ready')?.status === 'True') {
      ready++;
      if (!minReady || isPodAvailable(p, minReady, now)) available++;
    }
  }
  return statusOf(rs, { replicas: pods.length, fullyLabeled, ready, available }, now, failure);
}

interface Counts {
  replicas: number;
  fullyLabeled: number;
  ready: number;
  available: number;
}

/**
 * The status counts from the view's pod groups, when they are the claimed pods' counts without a
 * walk: no orphans to consider for adoption, every active pod matching the selector (nothing to
 * release), no minReadySeconds (availability would need each pod's time). Else undefined.
 */
function groupCounts(rs: ReplicaSetObject, selector: Selector, obs: ReplicaSetObservation): Counts | undefined {
  if (!obs.groups || (rs.spec?.minReadySeconds ?? 0) > 0) return undefined;
  const templateLabels = selectorFromSet(rs.spec?.template?.metadata?.labels ?? {});
  let owned = 0;
  const c: Counts = { replicas: 0, fullyLabeled: 0, ready: 0, available: 0 };
  for (const g of obs.groups.values()) {
    owned += g.pods;
    if (!g.active) continue;
    if (!matches(selector, g.labels)) return undefined;
    c.replicas += g.active;
    c.ready += g.ready;
    if (matches(templateLabels, g.labels)) c.fullyLabeled += g.active;
  }
  if (owned !== obs.pods.length) return undefined;
  c.available = c.ready;
  return c;
}

function statusOf(rs: ReplicaSetObject, counts: Counts, now: Instant, failure?: { reason: string; message: string }): ReplicaSetStatus {
  const status: ReplicaSetStatus = { ...(rs.status ?? { replicas: 0 }) };
  const current = getCondition(rs.status?.conditions, 'ReplicaFailure');
  let conditions: ReplicaSetCondition[] | undefined = rs.status?.conditions ? [...rs.status.conditions] : undefined;
  if (failure && !current) {
    conditions = setCondition(conditions, { type: 'ReplicaFailure', status: 'True', lastTransitionTime: rfc3339(now), reason: failure.reason, message: failure.message });
  } else if (!failure && current) {
    conditions = removeCondition(conditions, 'ReplicaFailure');
  }
  if (conditions && conditions.length) status.conditions = conditions;
  else delete status.conditions;
  status.replicas = counts.replicas;
  status.fullyLabeledReplicas = counts.fullyLabeled;
  status.readyReplicas = counts.ready;
  status.availableReplicas = counts.available;
  return status;
}

/** updateReplicaSetStatus: write only when a count, the generation or the conditions moved. */
function statusAction(rs: ReplicaSetObject, status: ReplicaSetStatus): Action | undefined {
  const cur: Partial<ReplicaSetStatus> = rs.status ?? {};
  const generation = rs.metadata.generation ?? 0;
  if (
    (cur.replicas ?? 0) === status.replicas &&
    (cur.fullyLabeledReplicas ?? 0) === (status.fullyLabeledReplicas ?? 0) &&
    (cur.readyReplicas ?? 0) === (status.readyReplicas ?? 0) &&
    (cur.availableReplicas ?? 0) === (status.availableReplicas ?? 0) &&
    generation === (cur.observedGeneration ?? 0) &&
    deepEqual(cur.conditions ?? [], status.conditions ?? [])
  ) return undefined;
  // As Go serialises it: replicas always, the other counts only when not zero.
  const out: ReplicaSetStatus = { replicas: status.replicas };
  for (const k of ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas'] as const) if (status[k]) out[k] = status[k];
  if (generation) out.observedGeneration = generation;
  if (status.conditions?.length) out.conditions = status.conditions;
  return { kind: 'update', resource: R.replicasets, namespace: rs.metadata.namespace!, object: { ...rs, status: out }, subresource: 'status' };
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
const namespaceTerminating = (e: unknown) => StatusError.is(e) && !!e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');

export function reconcileReplicaSet(obs: ReplicaSetObservation, now: Instant): Decision {
  const rs = obs.rs;
  if (!rs) return { actions: [] };
  let selector: Selector;
  try {
    selector = labelSelectorAsSelector(rs.spec?.selector);
  } catch {
    return { actions: [] };
  }
  // Nothing to claim, create or delete: the status alone, from the groups' counts (as the walk below would find them).
  const counts = groupCounts(rs, selector, obs);
  if (counts && (rs.metadata.deletionTimestamp || counts.replicas === (rs.spec?.replicas ?? 0))) {
    const write = statusAction(rs, statusOf(rs, counts, now));
    return { actions: write ? [write] : [] };
  }
  const ns = rs.metadata.namespace!;
  const owner = rsKind(rs);
  let seq = 0;
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => eventAction(owner, type, reason, message, now, COMPONENT, seq++);

  const { claimed, actions } = claimObjects(owner, R.pods, selector, obs.pods.filter(isPodActive));
  const claimedPods = claimed as PodObject[];
  const failed = (reason: string, message: string): Action[] => {
    const s = statusAction(rs, replicaSetStatus(rs, claimedPods, now, { reason, message }));
    return s ? [s] : [];
  };

  if (!rs.metadata.deletionTimestamp) {
    const diff = claimedPods.length - (rs.spec?.replicas ?? 0);
    if (diff < 0) {
      const template = rs.spec?.template as PodTemplateSpec | undefined;
      // Names seeded by the time as well as the set, so a name does not come back once its pod is
      // gone (upstream's are random). One taken by a pod of another owner fails the create
      // (AlreadyExists), and the next sync, at a later time, picks another, as upstream's would.
      const taken = new Set(obs.pods.map((p) => p.metadata.name));
      const seed = `${rs.metadata.uid ?? rs.metadata.name!}@${now}`;
      let counter = 0;
      const prefix = podPrefix(rs.metadata.name!);
      for (let i = 0; i < Math.min(-diff, BURST_REPLICAS); i++) {
        const g = generateName(prefix, seed, counter, (n) => taken.has(n));
        const name = g.name;
        counter = g.next;
        taken.add(name);
        const pod = podFromTemplate(template, owner, name);
        pod.metadata.generateName = prefix;
        // Upstream's slowStartBatch: batches of 1, 2, 4, ... created concurrently; a failure stops the rest.
        const batch = Math.floor(Math.log2(i + 1));
        actions.push({
          kind: 'create',
          batch,
          resource: R.pods,
          namespace: ns,
          object: pod,
          onError: (e) => (namespaceTerminating(e) ? [] : [event('Warning', 'FailedCreate', `Error creating: ${errorText(e)}`), ...failed('FailedCreate', errorText(e))]),
        });
        actions.push({ ...event('Normal', 'SuccessfulCreate', `Created pod: ${name}`), batch });
      }
    } else if (diff > 0) {
      for (const p of podsToDelete(claimedPods, obs.related, Math.min(diff, BURST_REPLICAS), now)) {
        // Upstream deletes the surplus all at once.
        actions.push({
          kind: 'delete',
          batch: 0,
          resource: R.pods,
          namespace: ns,
          name: p.metadata.name!,
          options: { preconditions: { uid: p.metadata.uid! } },
          onError: (e) => [event('Warning', 'FailedDelete', `Error deleting: ${errorText(e)}`), ...failed('FailedDelete', `unable to delete pods: ${errorText(e)}`)],
        });
        actions.push({ ...event('Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`), batch: 0 });
      }
    }
  }

  const status = replicaSetStatus(rs, claimedPods, now);
  const write = statusAction(rs, status);
  if (write) actions.push(write);

  // Look again when the next ready pod has been ready for minReadySeconds.
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let requeueAfterMs: number | undefined;
  if (minReady > 0) {
    for (const p of claimedPods) {
      if (!isPodReady(p) || isPodAvailable(p, minReady, now)) continue;
      const wait = Math.max(1, availableAt(p, minReady)! - now + 1);
      requeueAfterMs = requeueAfterMs === undefined ? wait : Math.min(requeueAfterMs, wait);
    }
  }
  return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
}

/** The ReplicaSets a pod event concerns: its controller, or for an orphan every set in its namespace that selects it. */
function replicaSetsOfPod(pod: KubeObject, view: ClusterView): string[] {
  const ns = pod.metadata.namespace;
  if (!ns) return [];
  const ref = controllerOf(pod);
  if (ref) return ref.kind === 'ReplicaSet' && ref.apiVersion.startsWith('apps/') ? [`${ns}/${ref.name}`] : [];
  const keys: string[] = [];
  for (const rs of view.list(R.replicasets, ns) as ReplicaSetObject[]) {
    try {
      if (matches(labelSelectorAsSelector(rs.spec?.selector), pod.metadata.labels ?? {})) keys.push(keyOf(rs));
    } catch {
      // A set with an unusable selector adopts nothing.
    }
  }
  return keys;
}

/**
 * Whether a pod update can change what a ReplicaSet decides: its labels and owners (claiming),
 * whether it is active (phase, deletion), and its readiness (the status counts). A binding or a
 * Running-but-not-Ready status changes none of them; the deletion ranking reads the cache afresh.
 */
export function podChangeMatters(pod: KubeObject, old: KubeObject): boolean {
  const ready = (p: KubeObject) => podCondition(p as PodObject, 'Ready');
  const a = ready(pod);
  const b = ready(old);
  return (
    pod.metadata.deletionTimestamp !== old.metadata.deletionTimestamp ||
    (pod as PodObject).status?.phase !== (old as PodObject).status?.phase ||
    a?.status !== b?.status ||
    a?.lastTransitionTime !== b?.lastTransitionTime ||
    !deepEqual(pod.metadata.labels, old.metadata.labels) ||
    !deepEqual(pod.metadata.ownerReferences, old.metadata.ownerReferences)
  );
}

export function replicaSetController(): Controller<ReplicaSetObservation> {
  return {
    name: 'replicaset',
    watches: [
      { resource: R.replicasets, keys: (o) => [keyOf(o)] },
      { resource: R.pods, keys: replicaSetsOfPod, changed: podChangeMatters },
    ],
    observe: observeReplicaSet,
    reconcile: reconcileReplicaSet,
  };
}
