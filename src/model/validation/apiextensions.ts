// Validation of apiextensions.k8s.io/v1 CustomResourceDefinition: the structural rules of
// apiextensions-apiserver's validation (names, group, scope, versions, storage version, schema
// presence). The OpenAPI schema's own structural checks are not covered here.
import { GoRepr } from '../field.js';
import { isDNS1035Label, isDNS1123Subdomain } from './strings.js';
import { type Errs, FIELD_IMMUTABLE, type FieldPath, fieldErrors, obj, type Obj, objs, root, str, strs } from './util.js';

function names(n: Obj, path: FieldPath): Errs {
  const errs: Errs = [];
  const dns1035 = (v: string, p: FieldPath, prefix = '') => {
    const e = isDNS1035Label(v);
    if (v && e.length) errs.push(fieldErrors.invalid(p, v, prefix + e.join(',')));
  };
  const mixed = 'may have mixed case, but should otherwise match: ';
  const plural = str(n.plural);
  const singular = str(n.singular);
  const kind = str(n.kind);
  const listKind = str(n.listKind);
  if (plural) dns1035(plural, path.child('plural'));
  if (singular) dns1035(singular, path.child('singular'));
  if (kind && isDNS1035Label(kind.toLowerCase()).length) errs.push(fieldErrors.invalid(path.child('kind'), kind, mixed + isDNS1035Label(kind.toLowerCase()).join(',')));
  if (listKind && isDNS1035Label(listKind.toLowerCase()).length) {
    errs.push(fieldErrors.invalid(path.child('listKind'), listKind, mixed + isDNS1035Label(listKind.toLowerCase()).join(',')));
  }
  strs(n.shortNames).forEach((s, i) => dns1035(s, path.child('shortNames').index(i)));
  if (kind && kind === listKind) errs.push(fieldErrors.invalid(path.child('listKind'), listKind, 'kind and listKind may not be the same'));
  strs(n.categories).forEach((c, i) => dns1035(c, path.child('categories').index(i)));
  return errs;
}

export function validateCustomResourceDefinition(crd: Obj): Errs {
  const errs: Errs = [];
  const s = obj(crd.spec) ?? {};
  const path = root('spec');
  const n = obj(s.names) ?? {};
  const group = str(s.group);
  const name = str(obj(crd.metadata)?.name);
  if (name !== `${str(n.plural)}.${group}`) errs.push(fieldErrors.invalid(root('metadata', 'name'), name, 'must be spec.names.plural+"."+spec.group'));
  if (!group) errs.push(fieldErrors.required(path.child('group'), ''));
  else {
    const e = isDNS1123Subdomain(group);
    if (e.length) errs.push(fieldErrors.invalid(path.child('group'), group, e.join(',')));
    else if (group.split('.').length < 2) errs.push(fieldErrors.invalid(path.child('group'), group, 'should be a domain with at least one dot'));
  }
  const scope = str(s.scope);
  if (!scope) errs.push(fieldErrors.required(path.child('scope'), ''));
  else if (scope !== 'Cluster' && scope !== 'Namespaced') errs.push(fieldErrors.notSupported(path.child('scope'), scope, ['Cluster', 'Namespaced']));
  const versions = objs(s.versions);
  if (versions.length === 0) errs.push(fieldErrors.required(path.child('versions'), 'must have exactly one version marked as storage version'));
  let storage = 0;
  const seen = new Set<string>();
  let unique = true;
  versions.forEach((v, i) => {
    const vp = path.child('versions').index(i);
    if (v.storage === true) storage++;
    const vn = str(v.name);
    if (seen.has(vn)) unique = false;
    seen.add(vn);
    const e = isDNS1035Label(vn);
    if (e.length) errs.push(fieldErrors.invalid(vp.child('name'), vn, e.join(',')));
    if (!obj(obj(v.schema)?.openAPIV3Schema)) errs.push(fieldErrors.required(vp.child('schema', 'openAPIV3Schema'), 'schemas are required'));
  });
  const shown = new GoRepr('[]apiextensions.CustomResourceDefinitionVersion{...}');
  if (!unique) errs.push(fieldErrors.invalid(path.child('versions'), shown, 'must contain unique version names'));
  if (versions.length && storage !== 1) errs.push(fieldErrors.invalid(path.child('versions'), shown, 'must have exactly one version marked as storage version'));
  errs.push(...names(n, path.child('names')));
  for (const f of ['plural', 'singular', 'kind', 'listKind']) if (!str(n[f])) errs.push(fieldErrors.required(path.child('names', f), ''));
  return errs;
}

export function validateCustomResourceDefinitionUpdate(crd: Obj, old: Obj): Errs {
  const errs = validateCustomResourceDefinition(crd);
  const n = obj(crd.spec) ?? {};
  const o = obj(old.spec) ?? {};
  if (str(n.group) !== str(o.group)) errs.push(fieldErrors.invalid(root('spec', 'group'), str(n.group), FIELD_IMMUTABLE));
  if (str(n.scope) !== str(o.scope)) errs.push(fieldErrors.invalid(root('spec', 'scope'), str(n.scope), FIELD_IMMUTABLE));
  return errs;
}
