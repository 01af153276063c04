// The StatefulSet controller (upstream pkg/controller/statefulset): pods with stable names
// `<set>-<ordinal>` and stable storage (one PVC per volumeClaimTemplate and ordinal,
// `<template>-<set>-<ordinal>`), created in ordinal order and removed in reverse under
// OrderedReady, all at once under Parallel; rolling updates from the highest ordinal down to the
// partition, at most maxUnavailable at a time; OnDelete leaves updates to whoever deletes pods.
// Revisions of the pod template are ControllerRevisions (history.ts).
import type { StatefulSetSpec, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { PersistentVolumeClaim, PodSpec, PodStatus, Volume } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject, OwnerReference } from '../model/object.js';
import { deepClone } from '../model/object.js';
import { labelSelectorAsSelector, type Selector } from '../model/labels.js';
import { fnv32, goJson, safeHash } from '../model/hash.js';
import { scaled } from '../model/intstr.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { eventAction, keyOf } from './runtime.js';
import {
  availableAt, controlledBy, controllerOf, controllerRef, isPodAvailable, isPodReady, podFromTemplate,
} from './pods.js';
import { claimObjects } from './claim.js';
import {
  type ControllerRevision, planUpdateRevision, revisionTemplate, revisionsToTruncate, deleteRevision, type RevisionSpec, sortRevisions,
} from './history.js';

export type StatefulSet = KubeObject & { spec: StatefulSetSpec; status?: StatefulSetStatus };
export type PodObject = KubeObject & { spec?: PodSpec; status?: PodStatus };
export type Claim = KubeObject & Omit<PersistentVolumeClaim, 'metadata' | 'apiVersion' | 'kind'>;

export const podNameLabel = 'statefulset.kubernetes.io/pod-name';
export const podIndexLabel = 'apps.kubernetes.io/pod-index';
export const revisionLabel = 'controller-revision-hash';
const component = 'statefulset-controller';

export interface StatefulSetObservation {
  set?: StatefulSet;
  /** Pods the set controls, and orphans named as its members (candidates for adoption). */
  pods: PodObject[];
  revisions: ControllerRevision[];
  /** The revision already bearing the name the current template would get, if any (a collision check). */
  namedRevision?: ControllerRevision;
  /** The claims of every ordinal the set has or wants, by name, where they exist. */
  claims: Record<string, Claim>;
}

// ---- identity ----

const ordinalPattern = /^(.*)-([0-9]+)$/;

/** getParentNameAndOrdinal: the set a pod's name says it belongs to, and its ordinal (-1 if none). */
export function parentAndOrdinal(name: string): { parent: string; ordinal: number } {
  const m = ordinalPattern.exec(name);
  if (!m) return { parent: '', ordinal: -1 };
  const n = Number(m[2]);
  return { parent: m[1]!, ordinal: Number.isSafeInteger(n) && n <= 2147483647 ? n : -1 };
}

export const ordinalOf = (pod: KubeObject): number => parentAndOrdinal(pod.metadata.name!).ordinal;
export const podName = (set: KubeObject, ordinal: number) => `${set.metadata.name}-${ordinal}`;
export const claimName = (set: KubeObject, template: string, ordinal: number) => `${template}-${set.metadata.name}-${ordinal}`;

export const startOrdinal = (set: StatefulSet): number => set.spec.ordinals?.start ?? 0;
export const replicasOf = (set: StatefulSet): number => set.spec.replicas ?? 1;
const inRange = (set: StatefulSet, ordinal: number) => ordinal >= startOrdinal(set) && ordinal < startOrdinal(set) + replicasOf(set);

function isMemberOf(set: StatefulSet, pod: KubeObject): boolean {
  return parentAndOrdinal(pod.metadata.name!).parent === set.metadata.name;
}

function identityMatches(set: StatefulSet, pod: PodObject): boolean {
  const { parent, ordinal } = parentAndOrdinal(pod.metadata.name!);
  return ordinal >= 0 && parent === set.metadata.name && pod.metadata.namespace === set.metadata.namespace &&
    pod.metadata.labels?.[podNameLabel] === pod.metadata.name;
}

function storageMatches(set: StatefulSet, pod: PodObject): boolean {
  const ordinal = ordinalOf(pod);
  if (ordinal < 0) return false;
  const volumes = new Map((pod.spec?.volumes ?? []).map((v) => [v.name, v]));
  return (set.spec.volumeClaimTemplates ?? []).every((t) => volumes.get(t.metadata?.name ?? '')?.persistentVolumeClaim?.claimName === claimName(set, t.metadata?.name ?? '', ordinal));
}

function updateIdentity(set: StatefulSet, pod: PodObject): void {
  const ordinal = ordinalOf(pod);
  pod.metadata.name = podName(set, ordinal);
  pod.metadata.namespace = set.metadata.namespace!;
  pod.metadata.labels = { ...(pod.metadata.labels ?? {}), [podNameLabel]: pod.metadata.name, [podIndexLabel]: String(ordinal) };
}

/** The set's claims for one ordinal, as they would be created. */
export function claimsFor(set: StatefulSet, ordinal: number): Claim[] {
  const matchLabels = set.spec.selector?.matchLabels ?? {};
  return (set.spec.volumeClaimTemplates ?? []).map((t) => {
    const c = deepClone(t) as Claim;
    delete (c as { status?: unknown }).status;
    c.apiVersion = 'v1';
    c.kind = 'PersistentVolumeClaim';
    c.metadata = {
      ...(c.metadata ?? {}),
      name: claimName(set, t.metadata?.name ?? '', ordinal),
      namespace: set.metadata.namespace!,
      labels: { ...(t.metadata?.labels ?? {}), ...matchLabels },
    };
    return c;
  });
}

function updateStorage(set: StatefulSet, pod: PodObject): void {
  const ordinal = ordinalOf(pod);
  const templates = set.spec.volumeClaimTemplates ?? [];
  const names = new Set(templates.map((t) => t.metadata?.name ?? ''));
  const volumes: Volume[] = templates.map((t) => ({
    name: t.metadata?.name ?? '',
    persistentVolumeClaim: { claimName: claimName(set, t.metadata?.name ?? '', ordinal) },
  }));
  for (const v of pod.spec?.volumes ?? []) if (!names.has(v.name)) volumes.push(v);
  pod.spec = { ...(pod.spec ?? { containers: [] }), volumes };
}

/** newStatefulSetPod: the template, owned by the set, named and labelled for its ordinal, with its claims mounted. */
export function newStatefulSetPod(set: StatefulSet, ordinal: number, revision: string): PodObject {
  const pod = podFromTemplate(set.spec.template, set, podName(set, ordinal)) as PodObject;
  updateIdentity(set, pod);
  // The hostname and subdomain are set once, at creation.
  pod.spec = { ...(pod.spec ?? { containers: [] }), hostname: pod.metadata.name!, subdomain: set.spec.serviceName };
  if (!pod.spec.subdomain) delete pod.spec.subdomain;
  updateStorage(set, pod);
  pod.metadata.labels![revisionLabel] = revision;
  return pod;
}

// ---- revisions ----

/** StatefulSet revisions hash their data with FNV-1 and always mix in the collision count. */
export const statefulSetRevisions: RevisionSpec = {
  hashLabel: 'controller.kubernetes.io/hash',
  hash: (set, collisionCount) => {
    const data = { spec: { template: { ...deepClone(((set.spec ?? {}) as StatefulSetSpec).template ?? {}), $patch: 'replace' } } };
    return safeHash(fnv32(String(collisionCount ?? 0), fnv32(goJson(data))));
  },
  copyAnnotations: true,
};

/** ApplyRevision: the set as of a revision (its pod template restored). */
function applyRevision(set: StatefulSet, rev: ControllerRevision): StatefulSet {
  const template = revisionTemplate(rev);
  const copy = deepClone(set);
  if (template) copy.spec.template = template as StatefulSetSpec['template'];
  return copy;
}

export const podRevision = (pod: KubeObject): string => pod.metadata.labels?.[revisionLabel] ?? '';

// ---- pod states ----

const phase = (p: PodObject) => p.status?.phase ?? '';
const isCreated = (p: PodObject) => phase(p) !== '';
const isPending = (p: PodObject) => phase(p) === 'Pending';
const isFailed = (p: PodObject) => phase(p) === 'Failed';
const isSucceeded = (p: PodObject) => phase(p) === 'Succeeded';
const isTerminating = (p: PodObject) => !!p.metadata.deletionTimestamp;
export const isRunningAndReady = (p: PodObject) => phase(p) === 'Running' && isPodReady(p);
const isRunningAndAvailable = (p: PodObject, minReady: number, now: Instant) => isPodAvailable(p, minReady, now);
const isHealthy = (p: PodObject) => isRunningAndReady(p) && !isTerminating(p);
const isUnavailable = (p: PodObject, minReady: number, now: Instant) => !isHealthy(p) || !isRunningAndAvailable(p, minReady, now);

// ---- claims and the retention policy ----

type Policy = { whenDeleted: string; whenScaled: string };
function retentionPolicy(set: StatefulSet): Policy {
  const p = set.spec.persistentVolumeClaimRetentionPolicy;
  return { whenDeleted: p?.whenDeleted || 'Retain', whenScaled: p?.whenScaled || 'Retain' };
}

const refMatches = (ref: OwnerReference, kind: string, name: string) => ref.kind === kind && ref.name === name;
const hasRef = (claim: KubeObject, owner: KubeObject) => (claim.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid);

function hasStaleRef(claim: KubeObject, kind: string, owner: KubeObject): boolean {
  const ref = (claim.metadata.ownerReferences ?? []).find((r) => refMatches(r, kind, owner.metadata.name!));
  return !!ref && ref.uid !== owner.metadata.uid;
}

function hasUnexpectedController(claim: KubeObject, set: StatefulSet, pod: PodObject): boolean {
  const p = retentionPolicy(set);
  if (p.whenScaled === 'Retain' && p.whenDeleted === 'Retain') return false;
  for (const ref of claim.metadata.ownerReferences ?? []) {
    if (refMatches(ref, 'StatefulSet', set.metadata.name!)) {
      if (ref.uid !== set.metadata.uid) return true;
      continue;
    }
    if (refMatches(ref, 'Pod', pod.metadata.name!)) {
      if (ref.uid !== pod.metadata.uid) return true;
      continue;
    }
    if (ref.controller) return true;
  }
  return false;
}

function hasNonControllerOwner(claim: KubeObject, set: StatefulSet, pod: PodObject): boolean {
  return (claim.metadata.ownerReferences ?? []).some((r) => (r.uid === set.metadata.uid || r.uid === pod.metadata.uid) && !r.controller);
}

/** isClaimOwnerUpToDate: whether the claim's owners follow persistentVolumeClaimRetentionPolicy. */
function claimOwnerUpToDate(claim: KubeObject, set: StatefulSet, pod: PodObject): boolean {
  if (hasStaleRef(claim, 'StatefulSet', set) || (pod.metadata.uid && hasStaleRef(claim, 'Pod', pod))) return true;
  if (hasUnexpectedController(claim, set, pod)) return !(hasRef(claim, set) || hasRef(claim, pod));
  if (hasNonControllerOwner(claim, set, pod)) return false;
  const p = retentionPolicy(set);
  const scaledDown = !inRange(set, ordinalOf(pod));
  if (p.whenScaled === 'Delete' && p.whenDeleted === 'Delete') return scaledDown !== hasRef(claim, set) && scaledDown === hasRef(claim, pod);
  if (p.whenScaled === 'Delete') return !hasRef(claim, set) && scaledDown === hasRef(claim, pod);
  if (p.whenDeleted === 'Delete') return hasRef(claim, set) && !hasRef(claim, pod);
  return !hasRef(claim, set) && !hasRef(claim, pod);
}

/** updateClaimOwnerRefForSetAndPod: the owner references the policy asks for. */
function claimOwners(claim: KubeObject, set: StatefulSet, pod: PodObject): OwnerReference[] {
  const unexpected = hasUnexpectedController(claim, set, pod);
  let refs = (claim.metadata.ownerReferences ?? []).filter(
    (r) => !refMatches(r, 'StatefulSet', set.metadata.name!) && !refMatches(r, 'Pod', pod.metadata.name!),
  );
  if (unexpected) return refs;
  const p = retentionPolicy(set);
  const scaledDown = !inRange(set, ordinalOf(pod));
  const add = (owner: KubeObject) => {
    if (owner.metadata.uid && !refs.some((r) => r.uid === owner.metadata.uid)) refs = [...refs, controllerRef(owner)];
  };
  if (p.whenDeleted === 'Delete' && (p.whenScaled !== 'Delete' || !scaledDown)) add(set);
  if (p.whenScaled === 'Delete' && scaledDown) add(pod);
  return refs;
}

// ---- the controller ----

/** Everything reconcile reads for one set. */
export function observeStatefulSet(key: string, view: ClusterView): StatefulSetObservation {
  const slash = key.indexOf('/');
  const ns = key.slice(0, slash);
  const set = view.get(R.statefulsets, ns, key.slice(slash + 1)) as StatefulSet | undefined;
  if (!set) return { pods: [], revisions: [], claims: {} };
  // Owned pods, and orphans that could be adopted: those named as members of the set.
  const pods = [
    ...controlledBy(view, set, R.pods),
    ...view.uncontrolled(R.pods, ns).filter((p) => isMemberOf(set, p)),
  ] as PodObject[];
  const revisions = [...controlledBy(view, set, R.controllerrevisions), ...view.uncontrolled(R.controllerrevisions, ns)] as ControllerRevision[];
  const claims: Record<string, Claim> = {};
  const start = startOrdinal(set);
  const ordinals = new Set<number>(pods.map(ordinalOf).filter((o) => o >= 0));
  for (let o = start; o < start + replicasOf(set); o++) ordinals.add(o);
  for (const o of ordinals) {
    for (const t of set.spec.volumeClaimTemplates ?? []) {
      const name = claimName(set, t.metadata?.name ?? '', o);
      const c = view.get(R.persistentvolumeclaims, ns, name);
      if (c) claims[name] = c as Claim;
    }
  }
  const obs: StatefulSetObservation = { set, pods, revisions, claims };
  const candidate = `${set.metadata.name!.slice(0, 223)}-${statefulSetRevisions.hash(set, set.status?.collisionCount ?? 0)}`;
  const named = view.get(R.controllerrevisions, ns, candidate);
  if (named) obs.namedRevision = named as ControllerRevision;
  return obs;
}

export function statefulSetController(): Controller<StatefulSetObservation> {
  const toSet = (o: KubeObject, view: ClusterView): string[] => {
    const ref = controllerOf(o);
    if (ref?.kind === 'StatefulSet' && o.metadata.namespace) return [`${o.metadata.namespace}/${ref.name}`];
    if (ref || !o.metadata.namespace) return [];
    // An orphan pod named like a member of an existing set may be adopted by it.
    const { parent, ordinal } = parentAndOrdinal(o.metadata.name!);
    return ordinal >= 0 && view.get(R.statefulsets, o.metadata.namespace, parent) ? [`${o.metadata.namespace}/${parent}`] : [];
  };
  return {
    name: 'statefulset',
    watches: [
      { resource: R.statefulsets, keys: (o) => [keyOf(o)] },
      { resource: R.pods, keys: toSet },
      { resource: R.controllerrevisions, keys: (o) => {
        const ref = controllerOf(o);
        return ref?.kind === 'StatefulSet' ? [`${o.metadata.namespace}/${ref.name}`] : [];
      } },
      { resource: R.persistentvolumeclaims, keys: (o) => {
        // A claim's owner is the set or one of its pods; claims without owners are read when the set is.
        for (const ref of o.metadata.ownerReferences ?? []) {
          if (ref.kind === 'StatefulSet') return [`${o.metadata.namespace}/${ref.name}`];
          if (ref.kind === 'Pod') {
            const { parent } = parentAndOrdinal(ref.name);
            if (parent) return [`${o.metadata.namespace}/${parent}`];
          }
        }
        return [];
      } },
    ],
    observe: observeStatefulSet,
    reconcile: reconcileStatefulSet,
  };
}

/** The status the pods imply (computeReplicaStatus over every list). */
function countStatus(status: StatefulSetStatus, pods: PodObject[], minReady: number, now: Instant, current: string, update: string): void {
  status.replicas = 0;
  status.readyReplicas = 0;
  status.availableReplicas = 0;
  status.currentReplicas = 0;
  status.updatedReplicas = 0;
  for (const p of pods) {
    if (isCreated(p)) status.replicas++;
    if (isRunningAndReady(p)) {
      status.readyReplicas++;
      if (isRunningAndAvailable(p, minReady, now)) status.availableReplicas++;
    }
    if (isCreated(p) && !isTerminating(p)) {
      if (podRevision(p) === current) status.currentReplicas++;
      if (podRevision(p) === update) status.updatedReplicas++;
    }
  }
}

function statusChanged(set: StatefulSet, s: StatefulSetStatus): boolean {
  const o = set.status ?? ({ replicas: 0 } as StatefulSetStatus);
  return (s.observedGeneration ?? 0) > (o.observedGeneration ?? 0) || s.replicas !== (o.replicas ?? 0) ||
    (s.currentReplicas ?? 0) !== (o.currentReplicas ?? 0) || (s.readyReplicas ?? 0) !== (o.readyReplicas ?? 0) ||
    (s.updatedReplicas ?? 0) !== (o.updatedReplicas ?? 0) || (s.currentRevision ?? '') !== (o.currentRevision ?? '') ||
    (s.availableReplicas ?? 0) !== (o.availableReplicas ?? 0) || (s.updateRevision ?? '') !== (o.updateRevision ?? '') ||
    (s.collisionCount ?? 0) !== (o.collisionCount ?? 0);
}

function statusAction(set: StatefulSet, status: StatefulSetStatus): Action {
  const next = deepClone(set);
  next.status = { ...(set.status ?? {}), ...status };
  return { kind: 'update', resource: R.statefulsets, namespace: set.metadata.namespace!, object: next, subresource: 'status' };
}

/** A merge patch of a claim's ownerReferences, guarded by the version it was computed from. */
function patchOwners(resource: typeof R.pods, o: KubeObject, refs: OwnerReference[]): Action {
  return {
    kind: 'patch', resource, namespace: o.metadata.namespace!, name: o.metadata.name!, patchType: 'application/merge-patch+json',
    patch: { metadata: { resourceVersion: o.metadata.resourceVersion, ownerReferences: refs.length ? refs : null } },
  };
}

export function reconcileStatefulSet(obs: StatefulSetObservation, now: Instant): Decision {
  const set = obs.set;
  if (!set) return { actions: [] };
  let selector: Selector;
  try {
    selector = labelSelectorAsSelector(set.spec.selector);
  } catch {
    return { actions: [] };
  }
  const ns = set.metadata.namespace!;
  const actions: Action[] = [];
  let seq = 0;
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => actions.push(eventAction(set, type, reason, message, now, component, seq++));

  // Claim the set's pods and revisions: adopt matching orphans, release what no longer matches.
  const claimedPods = claimObjects(set, R.pods, selector, obs.pods, { filter: (p) => isMemberOf(set, p) });
  const claimedRevisions = claimObjects(set, R.controllerrevisions, selector, obs.revisions);
  actions.push(...claimedPods.actions, ...claimedRevisions.actions);
  const pods = claimedPods.claimed as PodObject[];
  const ownRevisions = claimedRevisions.claimed as ControllerRevision[];

  // The update revision: existing, renumbered, or new.
  const collisionCount = set.status?.collisionCount ?? 0;
  const plan = planUpdateRevision(set, statefulSetRevisions, ownRevisions, collisionCount, (n) =>
    obs.namedRevision?.metadata.name === n ? obs.namedRevision : undefined);
  if (plan.collisionCount !== undefined) {
    return { actions: [...actions, statusAction(set, { ...(set.status ?? { replicas: 0 }), collisionCount: plan.collisionCount })] };
  }
  actions.push(...plan.actions);
  const updateRev = plan.update;
  const revisions = sortRevisions([...ownRevisions.filter((r) => r.metadata.name !== updateRev.metadata.name), updateRev]);
  const currentRev = revisions.find((r) => r.metadata.name === set.status?.currentRevision) ?? updateRev;
  const currentSet = applyRevision(set, currentRev);
  const updateSet = applyRevision(set, updateRev);
  const current = currentRev.metadata.name!;
  const update = updateRev.metadata.name!;
  const minReady = set.spec.minReadySeconds ?? 0;

  const status: StatefulSetStatus = {
    observedGeneration: set.metadata.generation ?? 0,
    currentRevision: current,
    updateRevision: update,
    collisionCount,
    replicas: 0,
  };
  if (set.status?.conditions) status.conditions = set.status.conditions;

  const count = set.spec.replicas ?? 1;
  const start = startOrdinal(set);
  const replicas: PodObject[] = new Array(count);
  const condemned: PodObject[] = [];
  for (const p of pods) {
    const o = ordinalOf(p);
    if (inRange(set, o)) replicas[o - start] = p;
    else if (o >= 0) condemned.push(p);
  }
  countStatus(status, [...replicas.filter(Boolean), ...condemned], minReady, now, current, update);

  // Missing ordinals get a pod at the revision the strategy gives them.
  const strategy = set.spec.updateStrategy ?? {};
  const planned = new Set<PodObject>();
  for (let i = 0; i < count; i++) {
    if (replicas[i]) continue;
    const ord = start + i;
    const atCurrent = (strategy.type === 'RollingUpdate' && !strategy.rollingUpdate && ord < start + (set.status?.currentReplicas ?? 0)) ||
      (!!strategy.rollingUpdate && ord < start + (strategy.rollingUpdate.partition ?? 0));
    replicas[i] = atCurrent ? newStatefulSetPod(currentSet, ord, current) : newStatefulSetPod(updateSet, ord, update);
    planned.add(replicas[i]!);
  }
  condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));

  let firstUnavailable: PodObject | undefined;
  for (const p of replicas) if (!firstUnavailable && isUnavailable(p, minReady, now)) firstUnavailable = p;
  for (let i = condemned.length - 1; i >= 0; i--) if (!firstUnavailable && isUnavailable(condemned[i]!, minReady, now)) firstUnavailable = condemned[i];

  let requeueAfterMs: number | undefined;
  const wakeWhenAvailable = (p: PodObject) => {
    const at = availableAt(p, minReady);
    if (at !== undefined && minReady > 0) {
      const d = Math.max(at - now + 1, 1);
      requeueAfterMs = requeueAfterMs === undefined ? d : Math.min(requeueAfterMs, d);
    }
  };

  const finish = (): Decision => {
    const replicaCount = set.spec.replicas ?? 1;
    if (set.spec.updateStrategy?.type !== 'OnDelete' && status.updatedReplicas === replicaCount &&
      status.readyReplicas === replicaCount && status.replicas === replicaCount) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision!;
    }
    if (statusChanged(set, status)) actions.push(statusAction(set, status));
    // Keep the history within revisionHistoryLimit; revisions in use are never deleted.
    const live = new Set<string>([status.currentRevision!, status.updateRevision!]);
    for (const p of pods) live.add(podRevision(p));
    const stored = revisions.filter((r) => r.metadata.uid);
    for (const r of revisionsToTruncate(stored, (r) => live.has(r.metadata.name!), set.spec.revisionHistoryLimit ?? 10)) actions.push(deleteRevision(r));
    if (minReady > 0 && status.availableReplicas !== replicaCount) {
      const d = minReady * 1000;
      requeueAfterMs = requeueAfterMs === undefined ? d : Math.min(requeueAfterMs, d);
    }
    return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
  };

  if (set.metadata.deletionTimestamp) return finish();
  const monotonic = set.spec.podManagementPolicy !== 'Parallel';

  const deletePod = (p: PodObject) => {
    actions.push({ kind: 'delete', resource: R.pods, namespace: ns, name: p.metadata.name!, options: { preconditions: { uid: p.metadata.uid! } } });
    event('Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${set.metadata.name} successful`);
  };

  const createMissingClaims = (pod: PodObject): boolean => {
    let blocked = false;
    for (const claim of claimsFor(set, ordinalOf(pod))) {
      const existing = obs.claims[claim.metadata.name!];
      if (existing) {
        if (existing.metadata.deletionTimestamp) blocked = true;
        continue;
      }
      claim.metadata.ownerReferences = claimOwners(claim, updateSet, pod);
      if (!claim.metadata.ownerReferences.length) delete claim.metadata.ownerReferences;
      actions.push({ kind: 'create', resource: R.persistentvolumeclaims, namespace: ns, object: claim });
      event('Normal', 'SuccessfulCreate', `create Claim ${claim.metadata.name} Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} success`);
    }
    return blocked;
  };

  /** A claim still owned by a previous pod of this name is on its way out: wait for it. */
  const claimIsStale = (pod: PodObject): boolean => {
    const p = retentionPolicy(set);
    if (p.whenScaled !== 'Delete') return false;
    return claimsFor(set, ordinalOf(pod)).some((c) => {
      const existing = obs.claims[c.metadata.name!];
      return !!existing && (existing.metadata.ownerReferences ?? []).some((r) => r.kind === 'Pod' && r.name === pod.metadata.name);
    });
  };

  const fixClaims = (pod: PodObject) => {
    for (const c of claimsFor(set, ordinalOf(pod))) {
      const existing = obs.claims[c.metadata.name!];
      if (!existing || claimOwnerUpToDate(existing, updateSet, pod)) continue;
      actions.push(patchOwners(R.persistentvolumeclaims, existing, claimOwners(existing, updateSet, pod)));
    }
  };

  const claimsMatchPolicy = (pod: PodObject) =>
    claimsFor(set, ordinalOf(pod)).every((c) => {
      const existing = obs.claims[c.metadata.name!];
      return !existing || claimOwnerUpToDate(existing, updateSet, pod);
    });

  // processReplica: true means stop here (in OrderedReady order).
  const processReplica = (pod: PodObject): boolean => {
    if (isFailed(pod) || isSucceeded(pod)) {
      // The pod is replaced once it is gone.
      if (!isTerminating(pod)) deletePod(pod);
      return true;
    }
    if (planned.has(pod)) {
      if (claimIsStale(pod)) return true;
      createMissingClaims(pod);
      actions.push({ kind: 'create', resource: R.pods, namespace: ns, object: pod });
      event('Normal', 'SuccessfulCreate', `create Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
      if (monotonic) return true;
      return false;
    }
    if (isPending(pod)) createMissingClaims(pod);
    if (isTerminating(pod) && monotonic) return true;
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, minReady, now) && monotonic) {
      wakeWhenAvailable(pod);
      return true;
    }
    if (identityMatches(set, pod) && storageMatches(set, pod) && claimsMatchPolicy(pod)) return false;
    if (!identityMatches(updateSet, pod) || !storageMatches(updateSet, pod)) {
      const fixed = deepClone(pod);
      if (!identityMatches(updateSet, fixed)) updateIdentity(updateSet, fixed);
      if (!storageMatches(updateSet, fixed)) {
        updateStorage(updateSet, fixed);
        createMissingClaims(fixed);
      }
      actions.push({ kind: 'update', resource: R.pods, namespace: ns, object: fixed });
      event('Normal', 'SuccessfulUpdate', `update Pod ${pod.metadata.name} in StatefulSet ${set.metadata.name} successful`);
    }
    fixClaims(pod);
    return false;
  };

  for (const pod of replicas) {
    if (processReplica(pod) && monotonic) return finish();
  }

  for (const pod of condemned) fixClaims(pod);

  // Scale down: the highest ordinal first, and under OrderedReady only once everything below is healthy.
  for (const pod of condemned) {
    if (isTerminating(pod)) {
      if (monotonic) return finish();
      continue;
    }
    if (!isRunningAndReady(pod) && monotonic && pod !== firstUnavailable) return finish();
    if (!isRunningAndAvailable(pod, minReady, now) && monotonic && pod !== firstUnavailable) {
      wakeWhenAvailable(pod);
      return finish();
    }
    deletePod(pod);
    if (monotonic) return finish();
  }

  if (strategy.type === 'OnDelete') return finish();

  // Rolling update, highest ordinal first, down to the partition, at most maxUnavailable at a time.
  const partition = strategy.rollingUpdate?.partition ?? 0;
  const maxUnavailable = Math.max(1, scaled(strategy.rollingUpdate?.maxUnavailable ?? 1, count, false, 1));
  let unavailable = 0;
  for (const p of replicas) if (isUnavailable(p, minReady, now)) unavailable++;
  if (unavailable > maxUnavailable) return finish();
  let toDelete = maxUnavailable - unavailable;
  for (let i = replicas.length - 1; i >= partition && toDelete > 0; i--) {
    const p = replicas[i]!;
    if (podRevision(p) !== update && !isTerminating(p) && !planned.has(p)) {
      deletePod(p);
      toDelete--;
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
    }
  }
  return finish();
}
