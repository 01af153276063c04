// The DaemonSet controller (upstream pkg/controller/daemon): one pod per node the set should run
// on (nodeSelector, required node affinity, taints against the pod's tolerations plus those every
// daemon pod gets), each pinned to its node by a required node affinity `metadata.name In [node]`
// for the scheduler to honour; rolling updates bounded by maxUnavailable, or by maxSurge extra
// pods; ControllerRevisions named `<set>-<hash>`; status counts over the eligible nodes.
import type { DaemonSetSpec, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Affinity, Node, PodSpec, PodStatus, Toleration } from 'kubernetes-types/core/v1.js';
import { R } from '../model/api.js';
import type { Instant, KubeObject } from '../model/object.js';
import { deepClone } from '../model/object.js';
import { labelSelectorAsSelector, matches } from '../model/labels.js';
import { computeHash } from '../model/hash.js';
import { scaled } from '../model/intstr.js';
import { compileRequiredNodeAffinity, findUntoleratedTaint } from '../model/scheduling.js';
import type { Action, ClusterView, Controller, Decision } from './runtime.js';
import { eventAction, keyOf } from './runtime.js';
import { availableAt, controlledBy, controllerOf, generateName, isPodAvailable, isPodReady, podFromTemplate } from './pods.js';
import { claimObjects } from './claim.js';
import { type ControllerRevision, deleteRevision, planUpdateRevision, revisionsToTruncate, type RevisionSpec } from './history.js';

export type DaemonSet = KubeObject & { spec: DaemonSetSpec; status?: DaemonSetStatus };
type PodObject = KubeObject & { spec?: PodSpec; status?: PodStatus };
type NodeObject = KubeObject & Pick<Node, 'spec' | 'status'>;

export const revisionHashLabel = 'controller-revision-hash';
export const templateGenerationLabel = 'pod-template-generation';
const templateGenerationAnnotation = 'deprecated.daemonset.template.generation';
const component = 'daemonset-controller';

export interface DaemonSetObservation {
  ds?: DaemonSet;
  nodes: NodeObject[];
  /** Pods the set controls, and orphans it may adopt. */
  pods: PodObject[];
  revisions: ControllerRevision[];
  namedRevision?: ControllerRevision;
}

export const daemonSetRevisions: RevisionSpec = {
  hashLabel: revisionHashLabel,
  hash: (ds, collisionCount) => computeHash(((ds.spec ?? {}) as DaemonSetSpec).template, collisionCount),
  copyAnnotations: true,
};

/** util.AddOrUpdateDaemonPodTolerations: what every daemon pod tolerates, so node trouble does not evict it. */
export function daemonPodTolerations(spec: PodSpec | undefined): Toleration[] {
  const tolerations = [...(spec?.tolerations ?? [])];
  const add = (key: string, effect: string) => {
    const t: Toleration = { key, operator: 'Exists', effect };
    const i = tolerations.findIndex((x) => x.key === key && x.effect === effect);
    if (i >= 0) tolerations[i] = t;
    else tolerations.push(t);
  };
  add('node.kubernetes.io/not-ready', 'NoExecute');
  add('node.kubernetes.io/unreachable', 'NoExecute');
  add('node.kubernetes.io/disk-pressure', 'NoSchedule');
  add('node.kubernetes.io/memory-pressure', 'NoSchedule');
  add('node.kubernetes.io/pid-pressure', 'NoSchedule');
  add('node.kubernetes.io/unschedulable', 'NoSchedule');
  if (spec?.hostNetwork) add('node.kubernetes.io/network-unavailable', 'NoSchedule');
  return tolerations;
}

/** util.ReplaceDaemonSetPodNodeNameNodeAffinity: pin the pod to one node for the scheduler. */
export function pinToNode(affinity: Affinity | undefined, node: string): Affinity {
  const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] };
  const a = deepClone(affinity ?? {});
  a.nodeAffinity = { ...(a.nodeAffinity ?? {}), requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [term] } };
  return a;
}

/** util.GetTargetNodeName: the node a daemon pod is bound or pinned to. */
export function targetNodeName(pod: PodObject): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  for (const term of pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []) {
    for (const f of term.matchFields ?? []) {
      if (f.key === 'metadata.name' && f.operator === 'In') return f.values?.length === 1 ? f.values[0] : undefined;
    }
  }
  return undefined;
}

function templateGeneration(ds: DaemonSet): string | undefined {
  const g = ds.metadata.annotations?.[templateGenerationAnnotation];
  return g !== undefined && /^-?[0-9]+$/.test(g) ? String(Number(g)) : undefined;
}

/** util.IsPodUpdated: the pod carries the current hash, or the current template generation. */
function isPodUpdated(pod: PodObject, hash: string, generation: string | undefined): boolean {
  return (!!hash && pod.metadata.labels?.[revisionHashLabel] === hash) ||
    (generation !== undefined && pod.metadata.labels?.[templateGenerationLabel] === generation);
}

/**
 * NodeShouldRunDaemonPod: whether a new daemon pod belongs on the node, and whether an existing
 * one may stay (a NoSchedule taint keeps new pods off but leaves running ones alone).
 */
export function nodeShouldRunDaemonPod(node: NodeObject, ds: DaemonSet): { shouldRun: boolean; shouldContinueRunning: boolean } {
  const spec = ds.spec.template?.spec;
  const name = node.metadata.name!;
  if (spec?.nodeName && spec.nodeName !== name) return { shouldRun: false, shouldContinueRunning: false };
  const fitsAffinity = compileRequiredNodeAffinity(spec)({ name, labels: node.metadata.labels });
  if (!fitsAffinity) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = daemonPodTolerations(spec);
  const taints = node.spec?.taints;
  const untolerated = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute');
  if (untolerated) {
    const noExecute = findUntoleratedTaint(taints, tolerations, (t) => t.effect === 'NoExecute');
    return { shouldRun: false, shouldContinueRunning: !noExecute };
  }
  return { shouldRun: true, shouldContinueRunning: true };
}

function selects(sel: DaemonSetSpec['selector'] | undefined, o: KubeObject): boolean {
  try {
    return matches(labelSelectorAsSelector(sel), o.metadata.labels);
  } catch {
    return false;
  }
}

/** podByCreationTimestampAndPhase: bound pods first, then oldest, then by name. */
function byCreation(a: PodObject, b: PodObject): number {
  const sa = a.spec?.nodeName ? 0 : 1;
  const sb = b.spec?.nodeName ? 0 : 1;
  if (sa !== sb) return sa - sb;
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  if (ca !== cb) return ca < cb ? -1 : 1;
  return (a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1;
}

export function observeDaemonSet(key: string, view: ClusterView): DaemonSetObservation {
  const slash = key.indexOf('/');
  const ns = key.slice(0, slash);
  const ds = view.get(R.daemonsets, ns, key.slice(slash + 1)) as DaemonSet | undefined;
  if (!ds) return { nodes: [], pods: [], revisions: [] };
  const obs: DaemonSetObservation = {
    ds,
    nodes: view.list(R.nodes) as NodeObject[],
    pods: [...controlledBy(view, ds, R.pods), ...view.uncontrolled(R.pods, ns)] as PodObject[],
    revisions: [...controlledBy(view, ds, R.controllerrevisions), ...view.uncontrolled(R.controllerrevisions, ns)] as ControllerRevision[],
  };
  const named = view.get(R.controllerrevisions, ns, `${ds.metadata.name!.slice(0, 223)}-${daemonSetRevisions.hash(ds, ds.status?.collisionCount)}`);
  if (named) obs.namedRevision = named as ControllerRevision;
  return obs;
}

export function daemonSetController(): Controller<DaemonSetObservation> {
  const owner = (o: KubeObject, view: ClusterView): string[] => {
    const ref = controllerOf(o);
    const ns = o.metadata.namespace;
    if (!ns) return [];
    if (ref) return ref.kind === 'DaemonSet' ? [`${ns}/${ref.name}`] : [];
    // An orphan wakes the sets that might adopt it.
    return view.list(R.daemonsets, ns).filter((ds) => selects((ds as DaemonSet).spec?.selector, o)).map(keyOf);
  };
  return {
    name: 'daemonset',
    watches: [
      { resource: R.daemonsets, keys: (o) => [keyOf(o)] },
      { resource: R.pods, keys: owner },
      { resource: R.controllerrevisions, keys: owner },
      // Any node change may change where daemon pods belong.
      { resource: R.nodes, keys: (_o, view) => view.list(R.daemonsets).map(keyOf) },
    ],
    observe: observeDaemonSet,
    reconcile: reconcileDaemonSet,
  };
}

export function reconcileDaemonSet(obs: DaemonSetObservation, now: Instant): Decision {
  const ds = obs.ds;
  if (!ds) return { actions: [] };
  const ns = ds.metadata.namespace!;
  const actions: Action[] = [];
  let seq = 0;
  const event = (type: 'Normal' | 'Warning', reason: string, message: string) => actions.push(eventAction(ds, type, reason, message, now, component, seq++));
  const sel = ds.spec.selector;
  if (sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0) {
    event('Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
    return { actions };
  }
  let selector;
  try {
    selector = labelSelectorAsSelector(sel);
  } catch {
    return { actions: [] };
  }
  // The status of a set being deleted cannot be trusted: its history may be going away.
  if (ds.metadata.deletionTimestamp) return { actions: [] };

  // Claim pods and revisions: adopt matching orphans, release what no longer matches.
  const claimedPods = claimObjects(ds, R.pods, selector, obs.pods);
  const claimedRevisions = claimObjects(ds, R.controllerrevisions, selector, obs.revisions);
  actions.push(...claimedPods.actions, ...claimedRevisions.actions);
  const revisions = claimedRevisions.claimed as ControllerRevision[];

  const plan = planUpdateRevision(ds, daemonSetRevisions, revisions, ds.status?.collisionCount, (n) =>
    obs.namedRevision?.metadata.name === n ? obs.namedRevision : undefined);
  if (plan.collisionCount !== undefined) {
    const next = deepClone(ds);
    next.status = { ...(ds.status ?? ({} as DaemonSetStatus)), collisionCount: plan.collisionCount };
    return { actions: [...actions, { kind: 'update', resource: R.daemonsets, namespace: ns, object: next, subresource: 'status' }] };
  }
  actions.push(...plan.actions);
  const cur = plan.update;
  const hash = cur.metadata.labels?.[revisionHashLabel] ?? '';
  const generation = templateGeneration(ds);
  const minReady = ds.spec.minReadySeconds ?? 0;
  const surgeAllowed = ds.spec.updateStrategy?.type === 'RollingUpdate' && scaled(ds.spec.updateStrategy.rollingUpdate?.maxSurge, 1, true) > 0;

  // Pods by the node they are bound or pinned to; finished pods already being deleted are gone for our purposes.
  const owned = claimedPods.claimed as PodObject[];
  const byNode = new Map<string, PodObject[]>();
  for (const p of owned) {
    const phase = p.status?.phase;
    if (p.metadata.deletionTimestamp && (phase === 'Failed' || phase === 'Succeeded')) continue;
    const node = targetNodeName(p);
    if (!node) continue;
    const list = byNode.get(node) ?? [];
    list.push(p);
    byNode.set(node, list);
  }
  const nodes = [...obs.nodes].sort((a, b) => (a.metadata.name! < b.metadata.name! ? -1 : 1));
  const nodeNames = new Set(nodes.map((n) => n.metadata.name!));

  let requeueAfterMs: number | undefined;
  const requeue = (ms: number) => {
    requeueAfterMs = requeueAfterMs === undefined ? ms : Math.min(requeueAfterMs, ms);
  };

  // manage: which nodes need a pod, which pods must go.
  const needPods: string[] = [];
  const toDelete: PodObject[] = [];
  for (const node of nodes) {
    const name = node.metadata.name!;
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = byNode.get(name) ?? [];
    if (shouldRun && pods.length === 0) {
      needPods.push(name);
    } else if (shouldContinueRunning) {
      const running: PodObject[] = [];
      for (const p of pods) {
        if (p.metadata.deletionTimestamp) continue;
        if (p.status?.phase === 'Failed') {
          // Back off a little from a node that keeps failing our pods instead of fighting it in a hot loop.
          const failedFor = now - Date.parse(p.status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? p.metadata.creationTimestamp ?? '');
          if (failedFor < 1000) {
            requeue(1000 - failedFor);
            continue;
          }
          event('Warning', 'FailedDaemonPod', `Found failed daemon pod ${ns}/${p.metadata.name} on node ${name}, will try to kill it`);
          toDelete.push(p);
        } else if (p.status?.phase === 'Succeeded') {
          toDelete.push(p);
        } else running.push(p);
      }
      running.sort(byCreation);
      if (!surgeAllowed) {
        toDelete.push(...running.slice(1));
      } else if (running.length === 0) {
        if (shouldRun) needPods.push(name);
      } else if (running.length > 1) {
        // Surging: keep the oldest new pod, and the oldest old pod while the new one is not yet available.
        let oldestNew: PodObject | undefined;
        let oldestOld: PodObject | undefined;
        for (const p of running) {
          if (p.metadata.labels?.[revisionHashLabel] === hash) {
            if (!oldestNew) {
              oldestNew = p;
              continue;
            }
          } else if (!oldestOld) {
            oldestOld = p;
            continue;
          }
          toDelete.push(p);
        }
        if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now))) toDelete.push(oldestOld);
      }
    } else {
      for (const p of pods) if (!p.metadata.deletionTimestamp) toDelete.push(p);
    }
  }
  // Unbound pods pinned to nodes that no longer exist would never be scheduled.
  for (const [node, pods] of byNode) {
    if (nodeNames.has(node)) continue;
    for (const p of pods) if (!p.spec?.nodeName && !p.metadata.deletionTimestamp) toDelete.push(p);
  }

  const taken = new Set(obs.pods.map((p) => p.metadata.name!));
  const createOn = (nodeName: string) => {
    const { name } = generateName(`${ds.metadata.name}-`, `${ds.metadata.uid}/${nodeName}/${hash}@${now}`, 0, (n) => taken.has(n));
    taken.add(name);
    const pod = podFromTemplate(ds.spec.template, ds, name) as PodObject;
    pod.metadata.labels = { ...(pod.metadata.labels ?? {}), ...(generation !== undefined ? { [templateGenerationLabel]: generation } : {}), [revisionHashLabel]: hash };
    pod.spec = { ...(pod.spec ?? { containers: [] }), tolerations: daemonPodTolerations(pod.spec), affinity: pinToNode(pod.spec?.affinity, nodeName) };
    actions.push({ kind: 'create', resource: R.pods, namespace: ns, object: pod });
    event('Normal', 'SuccessfulCreate', `Created pod: ${name}`);
  };
  const deletePod = (p: PodObject) => {
    actions.push({ kind: 'delete', resource: R.pods, namespace: ns, name: p.metadata.name!, options: { preconditions: { uid: p.metadata.uid! } } });
    event('Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
  };
  for (const n of needPods) createOn(n);
  for (const p of toDelete) deletePod(p);

  // Rolling update, once the pods the manage step asked for are in place.
  if (needPods.length === 0 && toDelete.length === 0 && ds.spec.updateStrategy?.type === 'RollingUpdate') {
    const update = rollingUpdate(ds, nodes, byNode, hash, generation, minReady, now);
    for (const n of update.create) createOn(n);
    for (const p of update.remove) deletePod(p);
  }

  // History beyond revisionHistoryLimit, never a revision some pod still runs.
  const liveHashes = new Set(owned.map((p) => p.metadata.labels?.[revisionHashLabel]).filter((h): h is string => !!h));
  const old = revisions.filter((r) => r.metadata.name !== cur.metadata.name);
  for (const r of revisionsToTruncate(old, (r) => liveHashes.has(r.metadata.labels?.[revisionHashLabel] ?? ''), ds.spec.revisionHistoryLimit ?? 10, true)) {
    actions.push(deleteRevision(r));
  }

  // Status, over the nodes that should run the set and the pods on them.
  let desired = 0, current = 0, misscheduled = 0, ready = 0, updated = 0, available = 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = (byNode.get(node.metadata.name!) ?? []).slice().sort(byCreation);
    if (shouldRun) {
      desired++;
      if (pods.length) {
        current++;
        const p = pods[0]!;
        if (isPodReady(p)) {
          ready++;
          if (isPodAvailable(p, minReady, now)) available++;
          else {
            const at = availableAt(p, minReady);
            if (at !== undefined) requeue(Math.max(at - now + 1, 1));
          }
        }
        if (isPodUpdated(p, hash, generation)) updated++;
      }
    } else if (pods.length) misscheduled++;
  }
  const s = ds.status ?? ({} as DaemonSetStatus);
  const status: DaemonSetStatus = {
    ...s,
    desiredNumberScheduled: desired,
    currentNumberScheduled: current,
    numberMisscheduled: misscheduled,
    numberReady: ready,
    updatedNumberScheduled: updated,
    numberAvailable: available,
    numberUnavailable: desired - available,
    observedGeneration: Math.max(s.observedGeneration ?? 0, ds.metadata.generation ?? 0),
  };
  if (!status.numberAvailable) delete status.numberAvailable;
  if (!status.numberUnavailable) delete status.numberUnavailable;
  if (!status.updatedNumberScheduled) delete status.updatedNumberScheduled;
  const changed = (['desiredNumberScheduled', 'currentNumberScheduled', 'numberMisscheduled', 'numberReady', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'] as const)
    .some((k) => (s[k] ?? 0) !== (status[k] ?? 0)) || (s.observedGeneration ?? 0) < (ds.metadata.generation ?? 0);
  if (changed) {
    const next = deepClone(ds);
    next.status = status;
    actions.push({ kind: 'update', resource: R.daemonsets, namespace: ns, object: next, subresource: 'status' });
  }
  if (minReady > 0 && ready !== available) requeue(minReady * 1000);
  return requeueAfterMs === undefined ? { actions } : { actions, requeueAfterMs };
}

/** rollingUpdate: old pods to delete (maxUnavailable) or nodes to surge onto (maxSurge). */
function rollingUpdate(
  ds: DaemonSet, nodes: NodeObject[], byNode: Map<string, PodObject[]>, hash: string, generation: string | undefined, minReady: number, now: Instant,
): { create: string[]; remove: PodObject[] } {
  // updatedDesiredNodeCounts: nodes that should run the set count even without a pod.
  const considered = new Map<string, PodObject[]>();
  let desired = 0;
  const shouldRun = new Map<string, boolean>();
  for (const n of nodes) {
    const run = nodeShouldRunDaemonPod(n, ds).shouldRun;
    shouldRun.set(n.metadata.name!, run);
    if (run) desired++;
  }
  for (const n of nodes) if (shouldRun.get(n.metadata.name!) || byNode.has(n.metadata.name!)) considered.set(n.metadata.name!, byNode.get(n.metadata.name!) ?? []);
  for (const [name, pods] of byNode) if (!considered.has(name)) considered.set(name, pods);
  const ru = ds.spec.updateStrategy?.rollingUpdate;
  let maxUnavailable = scaled(ru?.maxUnavailable, desired, true);
  const maxSurge = scaled(ru?.maxSurge, desired, true);
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

  const find = (pods: PodObject[]): { newPod?: PodObject; oldPod?: PodObject; ok: boolean } => {
    let newPod: PodObject | undefined;
    let oldPod: PodObject | undefined;
    for (const p of pods) {
      if (p.metadata.deletionTimestamp) continue;
      if (isPodUpdated(p, hash, generation)) {
        if (newPod) return { ok: false };
        newPod = p;
      } else {
        if (oldPod) return { ok: false };
        oldPod = p;
      }
    }
    return { ok: true, ...(newPod ? { newPod } : {}), ...(oldPod ? { oldPod } : {}) };
  };
  const avail = (p: PodObject) => isPodAvailable(p, minReady, now);
  const entries = [...considered].sort(([a], [b]) => (a < b ? -1 : 1));

  if (maxSurge === 0) {
    let unavailable = 0;
    const replacements: PodObject[] = [];
    const candidates: PodObject[] = [];
    for (const [, pods] of entries) {
      const { newPod, oldPod, ok } = find(pods);
      if (!ok) {
        unavailable++;
        continue;
      }
      if ((!oldPod && !newPod) || (oldPod && newPod)) unavailable++;
      else if (newPod) {
        if (!avail(newPod)) unavailable++;
      } else if (oldPod) {
        if (!avail(oldPod)) {
          replacements.push(oldPod);
          unavailable++;
        } else if (unavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const remaining = Math.min(Math.max(maxUnavailable - unavailable, 0), candidates.length);
    return { create: [], remove: [...replacements, ...candidates.slice(0, remaining)] };
  }

  const remove: PodObject[] = [];
  const shouldNotRun: PodObject[] = [];
  const candidates: string[] = [];
  const allowed: string[] = [];
  let surge = 0;
  let available = 0;
  for (const [name, pods] of entries) {
    const { newPod, oldPod, ok } = find(pods);
    if (!ok) {
      surge++;
      continue;
    }
    if (oldPod ? avail(oldPod) : newPod ? avail(newPod) : false) available++;
    if (!oldPod) continue;
    if (!newPod) {
      if (!avail(oldPod)) {
        if (!shouldRun.get(name)) remove.push(oldPod);
        else allowed.push(name);
      } else {
        if (!shouldRun.get(name)) {
          shouldNotRun.push(oldPod);
          continue;
        }
        if (surge >= maxSurge) continue;
        candidates.push(name);
      }
    } else if (!avail(newPod)) {
      surge++;
    } else {
      remove.push(oldPod);
    }
  }
  // With surge, the owner expects full availability: pods off their nodes go only as others come up.
  const deletable = Math.min(Math.max(available - desired, 0), shouldNotRun.length);
  remove.push(...shouldNotRun.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(maxSurge - surge, 0), candidates.length);
  return { create: [...allowed, ...candidates.slice(0, remainingSurge)], remove };
}
