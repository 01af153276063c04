// Validation of policy/v1 PodDisruptionBudget (pkg/apis/policy/validation).
import { GoRepr } from '../field.js';
import { validateLabelSelector } from '../labels.js';
import { isValidPercent } from './strings.js';
import { type Errs, type FieldPath, fieldErrors, goIntOrString, intOrString, isSet, nonNegative, obj, type Obj, root, str } from './util.js';

function positiveIntOrPercent(v: unknown, path: FieldPath): Errs {
  const p = intOrString(v);
  const errs: Errs = [];
  if (p?.type === 'string') {
    errs.push(...isValidPercent(p.value).map((m) => fieldErrors.invalid(path, goIntOrString(v), m)));
    if (!isValidPercent(p.value).length && Number(p.value.slice(0, -1)) > 100) errs.push(fieldErrors.invalid(path, goIntOrString(v), 'must not be greater than 100%'));
  } else if (p?.type === 'int') errs.push(...nonNegative(p.value, path));
  return errs;
}

export function validatePodDisruptionBudget(pdb: Obj): Errs {
  const s = obj(pdb.spec) ?? {};
  const path = root('spec');
  const errs: Errs = [];
  if (isSet(s.minAvailable) && isSet(s.maxUnavailable)) {
    errs.push(fieldErrors.invalid(path, new GoRepr('policy.PodDisruptionBudgetSpec{...}'), 'minAvailable and maxUnavailable cannot be both set'));
  }
  if (isSet(s.minAvailable)) errs.push(...positiveIntOrPercent(s.minAvailable, path.child('minAvailable')));
  if (isSet(s.maxUnavailable)) errs.push(...positiveIntOrPercent(s.maxUnavailable, path.child('maxUnavailable')));
  errs.push(...validateLabelSelector(obj(s.selector), path.child('selector')));
  if (isSet(s.unhealthyPodEvictionPolicy) && !['AlwaysAllow', 'IfHealthyBudget'].includes(str(s.unhealthyPodEvictionPolicy))) {
    errs.push(fieldErrors.notSupported(path.child('unhealthyPodEvictionPolicy'), str(s.unhealthyPodEvictionPolicy), ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

export function validatePodDisruptionBudgetStatus(pdb: Obj): Errs {
  const st = obj(pdb.status) ?? {};
  const path = root('status');
  return ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'].flatMap((f) => nonNegative(st[f], path.child(f)));
}
