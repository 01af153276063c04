// Validation of rbac.authorization.k8s.io/v1 (pkg/apis/rbac/validation).
import { GoRepr, goQuote } from '../field.js';
import { validateLabelSelector } from '../labels.js';
import {
  arr,
  type Errs,
  type FieldPath,
  fieldErrors,
  goStringSlice,
  nameErrors,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  obj,
  type Obj,
  objs,
  root,
  str,
} from './util.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

function policyRule(rule: Obj, namespaced: boolean, path: FieldPath): Errs {
  const errs: Errs = [];
  if (arr(rule.verbs).length === 0) errs.push(fieldErrors.required(path.child('verbs'), 'verbs must contain at least one value'));
  if (arr(rule.nonResourceURLs).length > 0) {
    const shown = goStringSlice(rule.nonResourceURLs);
    if (namespaced) errs.push(fieldErrors.invalid(path.child('nonResourceURLs'), shown, 'namespaced rules cannot apply to non-resource URLs'));
    if (arr(rule.apiGroups).length || arr(rule.resources).length || arr(rule.resourceNames).length) {
      errs.push(fieldErrors.invalid(path.child('nonResourceURLs'), shown, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (arr(rule.apiGroups).length === 0) errs.push(fieldErrors.required(path.child('apiGroups'), 'resource rules must supply at least one api group'));
  if (arr(rule.resources).length === 0) errs.push(fieldErrors.required(path.child('resources'), 'resource rules must supply at least one resource'));
  return errs;
}

export const validateRole = (role: Obj): Errs => objs(role.rules).flatMap((r, i) => policyRule(r, true, root('rules').index(i)));

export function validateClusterRole(cr: Obj): Errs {
  const errs = objs(cr.rules).flatMap((r, i) => policyRule(r, false, root('rules').index(i)));
  const agg = obj(cr.aggregationRule);
  if (agg) {
    const sels = objs(agg.clusterRoleSelectors);
    const p = root('aggregationRule', 'clusterRoleSelectors');
    if (sels.length === 0) errs.push(fieldErrors.required(p, 'at least one clusterRoleSelector required if aggregationRule is non-nil'));
    sels.forEach((s, i) => errs.push(...validateLabelSelector(s, p.index(i))));
  }
  return errs;
}

function subject(s: Obj, namespaced: boolean, path: FieldPath): Errs {
  const errs: Errs = [];
  const name = str(s.name);
  if (!name) errs.push(fieldErrors.required(path.child('name'), ''));
  const kind = str(s.kind);
  const apiGroup = str(s.apiGroup);
  switch (kind) {
    case 'ServiceAccount':
      if (name) errs.push(...nameErrors(nameIsDNSSubdomain, name, path.child('name')));
      if (apiGroup !== '') errs.push(fieldErrors.notSupported(path.child('apiGroup'), apiGroup, ['']));
      if (!namespaced && !str(s.namespace)) errs.push(fieldErrors.required(path.child('namespace'), ''));
      break;
    case 'User':
    case 'Group':
      if (apiGroup !== RBAC_GROUP) errs.push(fieldErrors.notSupported(path.child('apiGroup'), apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldErrors.notSupported(path.child('kind'), kind, ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function binding(b: Obj, namespaced: boolean): Errs {
  const errs: Errs = [];
  const ref = obj(b.roleRef) ?? {};
  const rp = root('roleRef');
  if (str(ref.apiGroup) !== RBAC_GROUP) errs.push(fieldErrors.notSupported(rp.child('apiGroup'), str(ref.apiGroup), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(str(ref.kind))) errs.push(fieldErrors.notSupported(rp.child('kind'), str(ref.kind), kinds));
  if (!str(ref.name)) errs.push(fieldErrors.required(rp.child('name'), ''));
  else errs.push(...nameErrors(nameIsPathSegment, str(ref.name), rp.child('name')));
  objs(b.subjects).forEach((s, i) => errs.push(...subject(s, namespaced, root('subjects').index(i))));
  return errs;
}

export const validateRoleBinding = (rb: Obj): Errs => binding(rb, true);
export const validateClusterRoleBinding = (crb: Obj): Errs => binding(crb, false);

export function roleRefImmutable(b: Obj, old: Obj): Errs {
  const n = obj(b.roleRef) ?? {};
  const o = obj(old.roleRef) ?? {};
  if (str(n.apiGroup) === str(o.apiGroup) && str(n.kind) === str(o.kind) && str(n.name) === str(o.name)) return [];
  const shown = new GoRepr(`rbac.RoleRef{APIGroup:${goQuote(str(n.apiGroup))}, Kind:${goQuote(str(n.kind))}, Name:${goQuote(str(n.name))}}`);
  return [fieldErrors.invalid(root('roleRef'), shown, 'cannot change roleRef')];
}
