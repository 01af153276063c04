// Validation of apps/v1 (pkg/apis/apps/validation and the strategies' update rules).
import { GoRepr } from '../field.js';
import { labelSelectorAsSelector, matches, SelectorError, validateLabels, validateLabelSelector } from '../labels.js';
import { replicaStatus } from './core.js';
import { validateAnnotations } from './meta.js';
import { validatePodSpecificAnnotations, validatePodTemplateSpec } from './pod.js';
import { isValidPercent } from './strings.js';
import {
  arr,
  type Errs,
  FieldPath,
  fieldErrors,
  goIntOrString,
  goLabelSelector,
  goStringMap,
  immutable,
  intOrPercentValue,
  intOrString,
  isSet,
  keys,
  nonNegative,
  num,
  obj,
  type Obj,
  root,
  semanticEqual,
  str,
} from './util.js';

const spec = (o: Obj) => obj(o.spec) ?? {};
const status = (o: Obj) => obj(o.status) ?? {};

/** ValidatePositiveIntOrPercent. */
function positiveIntOrPercent(v: unknown, path: FieldPath): Errs {
  const p = intOrString(v);
  if (p?.type === 'string') return isValidPercent(p.value).map((m) => fieldErrors.invalid(path, goIntOrString(v), m));
  if (p?.type === 'int') return nonNegative(p.value, path);
  return [fieldErrors.invalid(path, goIntOrString(v), "must be an integer or percentage (e.g '5%%')")];
}

function notMoreThan100Percent(v: unknown, path: FieldPath): Errs {
  const p = intOrString(v);
  if (p?.type !== 'string' || isValidPercent(p.value).length) return [];
  return Number(p.value.slice(0, -1)) > 100 ? [fieldErrors.invalid(path, goIntOrString(v), 'must not be greater than 100%')] : [];
}

/** Selector checks shared by Deployment, ReplicaSet and StatefulSet. */
function selectorAndTemplate(s: Obj, path: FieldPath, kindWord: string): { errs: Errs; selectorOK: boolean; selector?: ReturnType<typeof labelSelectorAsSelector> } {
  const errs: Errs = [];
  const sel = obj(s.selector);
  if (!sel) errs.push(fieldErrors.required(path.child('selector'), ''));
  else {
    errs.push(...validateLabelSelector(sel, path.child('selector')));
    if (keys(sel.matchLabels).length + arr(sel.matchExpressions).length === 0) {
      errs.push(fieldErrors.invalid(path.child('selector'), goLabelSelector(sel), `empty selector is invalid for ${kindWord}`));
    }
  }
  try {
    return { errs, selectorOK: true, selector: labelSelectorAsSelector(sel) };
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
    return { errs, selectorOK: false };
  }
}

/** ValidatePodTemplateSpecForReplicaSet (also Deployment's). */
function podTemplateForReplicaSet(template: Obj | undefined, selector: ReturnType<typeof labelSelectorAsSelector>, path: FieldPath, kind: string): Errs {
  if (!template) return [fieldErrors.required(path, '')];
  const errs: Errs = [];
  const labels = obj(obj(template.metadata)?.labels);
  if (selector.requirements.length > 0 && !selector.nothing && !matches(selector, labels as Record<string, string> | undefined)) {
    errs.push(fieldErrors.invalid(path.child('metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, path));
  const ts = obj(template.spec) ?? {};
  if (str(ts.restartPolicy) !== 'Always') errs.push(fieldErrors.notSupported(path.child('spec', 'restartPolicy'), str(ts.restartPolicy), ['Always']));
  if (isSet(ts.activeDeadlineSeconds)) errs.push(fieldErrors.forbidden(path.child('spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kind} is not Supported`));
  return errs;
}

// ---- Deployment ----

function deploymentStrategy(strategy: Obj, path: FieldPath): Errs {
  const type = str(strategy.type);
  const ru = obj(strategy.rollingUpdate);
  if (type === 'Recreate') {
    return ru ? [fieldErrors.forbidden(path.child('rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
  }
  if (type === 'RollingUpdate') {
    if (!ru) return [fieldErrors.required(path.child('rollingUpdate'), 'this should be defaulted and never be nil')];
    const rp = path.child('rollingUpdate');
    const errs = [...positiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')), ...positiveIntOrPercent(ru.maxSurge, rp.child('maxSurge'))];
    if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
      errs.push(fieldErrors.invalid(rp.child('maxUnavailable'), goIntOrString(ru.maxUnavailable), 'may not be 0 when `maxSurge` is 0'));
    }
    errs.push(...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
    return errs;
  }
  const rollingUpdate = ru
    ? `&apps.RollingUpdateDeployment{MaxUnavailable:${goIntOrString(ru.maxUnavailable).repr}, MaxSurge:${goIntOrString(ru.maxSurge).repr}}`
    : '(*apps.RollingUpdateDeployment)(nil)';
  return [fieldErrors.notSupported(path, new GoRepr(`apps.DeploymentStrategy{Type:${JSON.stringify(type)}, RollingUpdate:${rollingUpdate}}`), ['Recreate', 'RollingUpdate'])];
}

export function validateDeploymentSpec(s: Obj, path: FieldPath): Errs {
  const errs = nonNegative(s.replicas, path.child('replicas'));
  const sel = selectorAndTemplate(s, path, 'deployment');
  errs.push(...sel.errs);
  if (!sel.selectorOK) errs.push(fieldErrors.invalid(path.child('selector'), goLabelSelector(s.selector), 'invalid label selector'));
  else errs.push(...podTemplateForReplicaSet(obj(s.template), sel.selector!, path.child('template'), 'Deployment'));
  errs.push(...deploymentStrategy(obj(s.strategy) ?? {}, path.child('strategy')));
  errs.push(...nonNegative(s.minReadySeconds, path.child('minReadySeconds')));
  if (isSet(s.revisionHistoryLimit)) errs.push(...nonNegative(s.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  const rollback = obj(s.rollbackTo);
  if (rollback) errs.push(...nonNegative(rollback.revision, path.child('rollback').child('version')));
  if (isSet(s.progressDeadlineSeconds)) {
    const pds = num(s.progressDeadlineSeconds);
    errs.push(...nonNegative(pds, path.child('progressDeadlineSeconds')));
    if (pds <= num(s.minReadySeconds)) errs.push(fieldErrors.invalid(path.child('progressDeadlineSeconds'), pds, 'must be greater than minReadySeconds'));
  }
  return errs;
}

export const validateDeployment = (d: Obj): Errs => validateDeploymentSpec(spec(d), root('spec'));

export function validateDeploymentUpdate(d: Obj, old: Obj): Errs {
  return [
    ...validateDeploymentSpec(spec(d), root('spec')),
    ...immutable(spec(d).selector, spec(old).selector, root('spec').child('selector'), goLabelSelector(spec(d).selector)),
  ];
}

function collisionCountDecremented(st: Obj, old: Obj): Errs {
  const n = st.collisionCount;
  const o = status(old).collisionCount;
  if ((!isSet(n) && isSet(o)) || (isSet(n) && isSet(o) && num(n) < num(o))) {
    return [fieldErrors.invalid(root('status').child('collisionCount'), isSet(n) ? num(n) : 0, 'cannot be decremented')];
  }
  return [];
}

export function validateDeploymentStatusUpdate(d: Obj, old: Obj): Errs {
  const st = status(d);
  const path = root('status');
  const errs = [
    ...nonNegative(st.observedGeneration, path.child('observedGeneration')),
    ...replicaStatus(st, path, ['replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas'], {
      readyVsAvailable: 'cannot be greater than readyReplicas',
    }),
  ];
  if (isSet(st.collisionCount)) errs.push(...nonNegative(st.collisionCount, path.child('collisionCount')));
  return [...errs, ...collisionCountDecremented(st, old)];
}

// ---- ReplicaSet ----

export function validateReplicaSetSpec(s: Obj, path: FieldPath): Errs {
  const errs = [...nonNegative(s.replicas, path.child('replicas')), ...nonNegative(s.minReadySeconds, path.child('minReadySeconds'))];
  // upstream's message names deployments here too
  const sel = selectorAndTemplate(s, path, 'deployment');
  errs.push(...sel.errs);
  if (!sel.selectorOK) errs.push(fieldErrors.invalid(path.child('selector'), goLabelSelector(s.selector), 'invalid label selector'));
  else errs.push(...podTemplateForReplicaSet(obj(s.template), sel.selector!, path.child('template'), 'ReplicaSet'));
  return errs;
}

export const validateReplicaSet = (rs: Obj): Errs => validateReplicaSetSpec(spec(rs), root('spec'));

export function validateReplicaSetUpdate(rs: Obj, old: Obj): Errs {
  return [
    ...validateReplicaSetSpec(spec(rs), root('spec')),
    ...immutable(spec(rs).selector, spec(old).selector, root('spec').child('selector'), goLabelSelector(spec(rs).selector)),
  ];
}

export const validateReplicaSetStatus = (rs: Obj): Errs =>
  replicaStatus(status(rs), root('status'), ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration'], {
    readyVsAvailable: 'cannot be greater than readyReplicas',
  });

// ---- StatefulSet ----

function statefulSetSpec(s: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const pmp = str(s.podManagementPolicy);
  if (!pmp) errs.push(fieldErrors.required(path.child('podManagementPolicy'), ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(fieldErrors.invalid(path.child('podManagementPolicy'), pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = obj(s.updateStrategy) ?? {};
  const ru = obj(us.rollingUpdate);
  const usPath = path.child('updateStrategy');
  switch (str(us.type)) {
    case '':
      errs.push(fieldErrors.required(usPath, ''));
      break;
    case 'OnDelete':
      if (ru) errs.push(fieldErrors.invalid(usPath.child('rollingUpdate'), new GoRepr(goRollingUpdateSts(ru)), "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (ru) {
        const rp = usPath.child('rollingUpdate');
        errs.push(...nonNegative(ru.partition, rp.child('partition')));
        if (isSet(ru.maxUnavailable)) {
          const mp = rp.child('maxUnavailable');
          errs.push(...positiveIntOrPercent(ru.maxUnavailable, mp));
          if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(fieldErrors.invalid(mp, goIntOrString(ru.maxUnavailable), 'cannot be 0'));
          errs.push(...notMoreThan100Percent(ru.maxUnavailable, mp));
        }
      }
      break;
    default:
      errs.push(
        fieldErrors.invalid(
          usPath,
          new GoRepr(`apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(str(us.type))}, RollingUpdate:${ru ? `&${goRollingUpdateSts(ru)}` : '(*apps.RollingUpdateStatefulSetStrategy)(nil)'}}`),
          "must be 'RollingUpdate' or 'OnDelete'",
        ),
      );
  }
  const policy = obj(s.persistentVolumeClaimRetentionPolicy);
  if (policy) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = str(policy[f]);
      if (v !== 'Retain' && v !== 'Delete') errs.push(fieldErrors.notSupported(path.child('persistentVolumeClaimRetentionPolicy').child(f), v, ['Retain', 'Delete']));
    }
  }
  errs.push(...nonNegative(s.replicas, path.child('replicas')));
  errs.push(...nonNegative(s.minReadySeconds, path.child('minReadySeconds')));
  const ordinals = obj(s.ordinals);
  if (ordinals) errs.push(...nonNegative(ordinals.start, path.child('ordinals.start')));
  const sel = selectorAndTemplate(s, path, 'statefulset');
  errs.push(...sel.errs);
  const template = obj(s.template) ?? {};
  const tp = path.child('template');
  if (!sel.selectorOK) errs.push(fieldErrors.invalid(path.child('selector'), goLabelSelector(s.selector), ''));
  else {
    const labels = obj(obj(template.metadata)?.labels);
    if (sel.selector!.requirements.length > 0 && !matches(sel.selector!, labels as Record<string, string> | undefined)) {
      errs.push(fieldErrors.invalid(tp.child('metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`'));
    }
    const meta = obj(template.metadata) ?? {};
    errs.push(...validateLabels(meta.labels, tp.child('labels')));
    errs.push(...validateAnnotations(meta.annotations, tp.child('annotations')));
    errs.push(...validatePodSpecificAnnotations(meta.annotations, obj(template.spec) ?? {}, tp.child('annotations')));
  }
  const ts = obj(template.spec) ?? {};
  if (str(ts.restartPolicy) !== 'Always') errs.push(fieldErrors.notSupported(tp.child('spec', 'restartPolicy'), str(ts.restartPolicy), ['Always']));
  if (isSet(ts.activeDeadlineSeconds)) errs.push(fieldErrors.forbidden(tp.child('spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in StatefulSet is not Supported'));
  // upstream leaves volumeClaimTemplates to the validation of the claims created from them
  return errs;
}

function goRollingUpdateSts(ru: Obj): string {
  const mu = isSet(ru.maxUnavailable) ? `&${goIntOrString(ru.maxUnavailable).repr}` : '(*intstr.IntOrString)(nil)';
  return `apps.RollingUpdateStatefulSetStrategy{Partition:${num(ru.partition)}, MaxUnavailable:${mu}}`;
}

export const validateStatefulSet = (ss: Obj): Errs => statefulSetSpec(spec(ss), root('spec'));

export function validateStatefulSetUpdate(ss: Obj, old: Obj): Errs {
  const errs = statefulSetSpec(spec(ss), root('spec'));
  const mutable = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];
  const strip = (s: Obj) => Object.fromEntries(Object.entries(s).filter(([k]) => !mutable.includes(k)));
  if (!semanticEqual(strip(spec(ss)), strip(spec(old)))) {
    errs.push(
      fieldErrors.forbidden(
        root('spec'),
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    );
  }
  return errs;
}

export function validateStatefulSetStatusUpdate(ss: Obj, old: Obj): Errs {
  const st = status(ss);
  const path = root('status');
  const errs = replicaStatus(st, path, ['replicas', 'readyReplicas', 'currentReplicas', 'updatedReplicas', 'availableReplicas'], {
    readyVsAvailable: 'cannot be greater than status.readyReplicas',
  });
  if (isSet(st.observedGeneration)) errs.push(...nonNegative(st.observedGeneration, path.child('observedGeneration')));
  if (isSet(st.collisionCount)) errs.push(...nonNegative(st.collisionCount, path.child('collisionCount')));
  return [...errs, ...collisionCountDecremented(st, old)];
}

// ---- DaemonSet ----

function daemonSetSpec(s: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const sel = obj(s.selector);
  errs.push(...validateLabelSelector(sel, path.child('selector')));
  const template = obj(s.template) ?? {};
  const labels = obj(obj(template.metadata)?.labels);
  try {
    const selector = labelSelectorAsSelector(sel);
    if (!matches(selector, labels as Record<string, string> | undefined)) {
      errs.push(fieldErrors.invalid(path.child('template', 'metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`'));
    }
  } catch (e) {
    if (!(e instanceof SelectorError)) throw e;
  }
  if (sel && keys(sel.matchLabels).length + arr(sel.matchExpressions).length === 0) {
    errs.push(fieldErrors.invalid(path.child('selector'), goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(template, path.child('template')));
  const ts = obj(template.spec) ?? {};
  if (str(ts.restartPolicy) !== 'Always') errs.push(fieldErrors.notSupported(path.child('template', 'spec', 'restartPolicy'), str(ts.restartPolicy), ['Always']));
  if (isSet(ts.activeDeadlineSeconds)) errs.push(fieldErrors.forbidden(path.child('template', 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  errs.push(...nonNegative(s.minReadySeconds, path.child('minReadySeconds')));
  errs.push(...nonNegative(s.templateGeneration, path.child('templateGeneration')));
  const us = obj(s.updateStrategy) ?? {};
  const usPath = path.child('updateStrategy');
  switch (str(us.type)) {
    case 'OnDelete':
      break;
    case 'RollingUpdate': {
      const ru = obj(us.rollingUpdate);
      if (!ru) {
        errs.push(fieldErrors.required(usPath.child('rollingUpdate'), ''));
        break;
      }
      const rp = usPath.child('rollingUpdate');
      errs.push(...positiveIntOrPercent(ru.maxUnavailable, rp.child('maxUnavailable')));
      errs.push(...positiveIntOrPercent(ru.maxSurge, rp.child('maxSurge')));
      errs.push(...notMoreThan100Percent(ru.maxUnavailable, rp.child('maxUnavailable')));
      errs.push(...notMoreThan100Percent(ru.maxSurge, rp.child('maxSurge')));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(fieldErrors.invalid(rp.child('maxSurge'), goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(fieldErrors.required(rp.child('maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      break;
    }
    default:
      errs.push(fieldErrors.notSupported(usPath, new GoRepr(`&apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(str(us.type))}, RollingUpdate:...}`), ['RollingUpdate', 'OnDelete']));
  }
  if (isSet(s.revisionHistoryLimit)) errs.push(...nonNegative(s.revisionHistoryLimit, path.child('revisionHistoryLimit')));
  return errs;
}

export const validateDaemonSet = (ds: Obj): Errs => daemonSetSpec(spec(ds), root('spec'));

export function validateDaemonSetUpdate(ds: Obj, old: Obj): Errs {
  const n = spec(ds);
  const o = spec(old);
  const path = root('spec');
  const errs: Errs = [];
  const ng = num(n.templateGeneration);
  const og = num(o.templateGeneration);
  if (ng < og) errs.push(fieldErrors.invalid(path.child('templateGeneration'), ng, 'must not be decremented'));
  const templateUpdated = !semanticEqual(n.template, o.template);
  if (ng === og && templateUpdated && isSet(n.templateGeneration)) {
    errs.push(fieldErrors.invalid(path.child('templateGeneration'), ng, 'must be incremented upon template update'));
  } else if (ng > og && !templateUpdated) {
    errs.push(fieldErrors.invalid(path.child('templateGeneration'), ng, 'must not be incremented without template update'));
  }
  errs.push(...daemonSetSpec(n, path));
  errs.push(...immutable(n.selector, o.selector, path.child('selector'), goLabelSelector(n.selector)));
  return errs;
}

export function validateDaemonSetStatusUpdate(ds: Obj, old: Obj): Errs {
  const st = status(ds);
  const path = root('status');
  const errs: Errs = [];
  for (const f of ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady', 'observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) {
    errs.push(...nonNegative(st[f], path.child(f)));
  }
  if (isSet(st.collisionCount)) errs.push(...nonNegative(st.collisionCount, path.child('collisionCount')));
  return [...errs, ...collisionCountDecremented(st, old)];
}

// ---- ControllerRevision ----

export function validateControllerRevision(cr: Obj): Errs {
  const errs: Errs = [];
  if (cr.data === undefined || cr.data === null) errs.push(fieldErrors.required(root('data'), 'data is mandatory'));
  errs.push(...nonNegative(cr.revision, root('revision')));
  return errs;
}

export function validateControllerRevisionUpdate(cr: Obj, old: Obj): Errs {
  const errs = validateControllerRevision(cr);
  if (!semanticEqual(cr.data, old.data)) errs.push(fieldErrors.invalid(root('data'), new GoRepr('runtime.RawExtension{...}'), 'field is immutable'));
  return errs;
}
