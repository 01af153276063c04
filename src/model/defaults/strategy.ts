// What the registry strategies' PrepareForCreate do (pkg/registry/*/*/strategy.go): clear status
// that a client may not set, start metadata.generation at 1, and kind-specific fixes (a namespace's
// finalizer, a job's generated selector, a pod's initial status). Upstream then defaults the object
// again when it is read back from storage; prepareForCreate does the same, so its result is what a
// create returns.
import { rfc3339, type Instant, type KubeObject } from '../object.js';
import { applyDefaults } from './apply.js';
import { podQOSClass } from './qos.js';
import { child, ensure, items, str, type Obj } from './walk.js';

export interface CreateContext {
  /** metadata.uid the server assigned; Jobs derive their selector from it. */
  uid: string;
  now: Instant;
}

/** Namespace strategy: status Active and the "kubernetes" finalizer, which defaulting cannot add
 * because the namespace controller removes it during deletion. */
export function prepareNamespaceForCreate(ns: KubeObject | Obj): void {
  ns.status = { phase: 'Active' };
  const spec = ensure(ns, 'spec');
  if (!spec) return;
  const finalizers = Array.isArray(spec.finalizers) ? spec.finalizers : [];
  if (!finalizers.includes('kubernetes')) spec.finalizers = [...finalizers, 'kubernetes'];
}

export const jobNameLabel = 'batch.kubernetes.io/job-name';
export const legacyJobNameLabel = 'job-name';
export const controllerUidLabel = 'batch.kubernetes.io/controller-uid';
export const legacyControllerUidLabel = 'controller-uid';

/** Job strategy: unless spec.manualSelector, label the pod template with the job's name and uid
 * and select on the uid, which makes the selector unique to this job. */
export function prepareJobForCreate(job: KubeObject | Obj, uid: string): void {
  job.status = {};
  const meta = ensure(job, 'metadata');
  if (meta) meta.generation = 1;
  const spec = ensure(job, 'spec');
  if (!spec || spec.manualSelector === true) return;
  const template = ensure(spec, 'template');
  const tmeta = template && ensure(template, 'metadata');
  const labels = tmeta && ensure(tmeta, 'labels');
  if (!labels) return;
  const name = str(meta?.name);
  for (const key of [legacyJobNameLabel, jobNameLabel]) if (!(key in labels)) labels[key] = name;
  for (const key of [legacyControllerUidLabel, controllerUidLabel]) if (!(key in labels)) labels[key] = uid;
  const selector = ensure(spec, 'selector');
  const match = selector && ensure(selector, 'matchLabels');
  if (match && !(controllerUidLabel in match)) match[controllerUidLabel] = uid;
}

/** Appends `key In/NotIn [value]` for each listed key the pod carries (matchLabelKeys merging). */
function mergeLabelKeys(term: Obj, podLabels: Obj, keys: unknown, operator: 'In' | 'NotIn'): void {
  const selector = child(term, 'labelSelector');
  if (!selector || !Array.isArray(keys)) return;
  for (const key of keys) {
    if (typeof key !== 'string' || typeof podLabels[key] !== 'string') continue;
    const exprs = Array.isArray(selector.matchExpressions) ? selector.matchExpressions : [];
    selector.matchExpressions = [...exprs, { key, operator, values: [podLabels[key]] }];
  }
}

function mutatePodAffinity(spec: Obj, podLabels: Obj): void {
  const affinity = child(spec, 'affinity');
  for (const kind of ['podAffinity', 'podAntiAffinity']) {
    const a = child(affinity, kind);
    const terms = [
      ...items(a, 'preferredDuringSchedulingIgnoredDuringExecution').map((w) => child(w, 'podAffinityTerm')),
      ...items(a, 'requiredDuringSchedulingIgnoredDuringExecution'),
    ];
    for (const term of terms) {
      if (!term) continue;
      mergeLabelKeys(term, podLabels, term.matchLabelKeys, 'In');
      mergeLabelKeys(term, podLabels, term.mismatchLabelKeys, 'NotIn');
    }
  }
}

function mutateTopologySpread(spec: Obj, podLabels: Obj): void {
  for (const c of items(spec, 'topologySpreadConstraints')) mergeLabelKeys(c, podLabels, c.matchLabelKeys, 'In');
}

function preparePodForCreate(pod: Obj): void {
  const meta = ensure(pod, 'metadata');
  if (meta) meta.generation = 1;
  const spec = child(pod, 'spec');
  const status: Obj = { phase: 'Pending', qosClass: podQOSClass(spec) };
  if (spec && Array.isArray(spec.schedulingGates) && spec.schedulingGates.length > 0) {
    status.conditions = [
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: null,
        reason: 'SchedulingGated',
        message: 'Scheduling is blocked due to non-empty scheduling gates',
      },
    ];
  }
  pod.status = status;
  if (spec) {
    const labels = child(meta, 'labels') ?? {};
    mutatePodAffinity(spec, labels);
    mutateTopologySpread(spec, labels);
  }
}

const daemonSetTemplateGeneration = 'deprecated.daemonset.template.generation';

function prepareDaemonSetForCreate(ds: Obj): void {
  const meta = ensure(ds, 'metadata');
  if (!meta) return;
  const annotations = ensure(meta, 'annotations');
  if (annotations) {
    const current = Number.parseInt(str(annotations[daemonSetTemplateGeneration]), 10);
    if (!(current >= 1)) annotations[daemonSetTemplateGeneration] = '1';
  }
}

/** Kinds whose strategy clears status on create. */
const clearsStatus = new Set([
  '/Service', '/PersistentVolumeClaim', '/ResourceQuota',
  'apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet', 'apps/DaemonSet',
  'batch/CronJob', 'networking.k8s.io/Ingress', 'policy/PodDisruptionBudget',
  'apiextensions.k8s.io/CustomResourceDefinition', 'certificates.k8s.io/CertificateSigningRequest',
]);

/** Kinds whose strategy starts metadata.generation at 1 (Pod and Job handle it themselves). */
const startsGeneration = new Set([
  '/PodTemplate',
  'apps/Deployment', 'apps/ReplicaSet', 'apps/StatefulSet', 'apps/DaemonSet',
  'batch/CronJob', 'networking.k8s.io/Ingress', 'networking.k8s.io/IngressClass', 'networking.k8s.io/NetworkPolicy',
  'discovery.k8s.io/EndpointSlice', 'policy/PodDisruptionBudget', 'apiextensions.k8s.io/CustomResourceDefinition',
]);

/** Kinds whose metadata.generation starts at 1 and counts spec changes. */
export function tracksGeneration(group: string, kind: string): boolean {
  return startsGeneration.has(`${group}/${kind}`) || `${group}/${kind}` === 'batch/Job' || `${group}/${kind}` === '/Pod';
}

/** The strategy's PrepareForCreate for any built-in kind, followed by the read-back defaulting. */
export function prepareForCreate(group: string, version: string, kind: string, obj: KubeObject | Obj, ctx: CreateContext): void {
  const gk = `${group}/${kind}`;
  if (clearsStatus.has(gk)) obj.status = {};
  if (startsGeneration.has(gk)) {
    const meta = ensure(obj, 'metadata');
    if (meta) meta.generation = 1;
  }
  switch (gk) {
    case '/Pod':
      preparePodForCreate(obj);
      break;
    case '/Namespace':
      prepareNamespaceForCreate(obj);
      break;
    case '/PersistentVolume':
      obj.status = { phase: 'Pending', lastPhaseTransitionTime: rfc3339(ctx.now) };
      break;
    case 'batch/Job':
      prepareJobForCreate(obj, ctx.uid);
      break;
    case 'apps/DaemonSet':
      prepareDaemonSetForCreate(obj);
      break;
  }
  applyDefaults(group, version, kind, obj);
}
