// ObjectMeta validation on create and update (apimachinery's api/validation/objectmeta.go plus the
// core wrapper's finalizer check), and each built-in kind's name rule.
import type { ObjectMeta } from '../object.js';
import { GoRepr, goQuote } from '../field.js';
import { validateLabels } from '../labels.js';
import { splitApiVersion } from '../object.js';
import { byteLength, isQualifiedName } from './strings.js';
import {
  
  bool,
  entries,
  type Errs,
  FIELD_IMMUTABLE,
  FieldPath,
  fieldErrors,
  isSet,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  nameIsPathSegment,
  type NameFn,
  nonNegative,
  num,
  obj,
  objs,
  str,
  strs,
} from './util.js';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** Each kind's name rule, from upstream's ValidateXName functions; others are DNS subdomains. */
const nameRules: Record<string, NameFn> = {
  '/Namespace': nameIsDNSLabel,
  '/Service': nameIsDNS1035Label,
  'apps/StatefulSet': nameIsDNSLabel,
  'rbac.authorization.k8s.io/Role': nameIsPathSegment,
  'rbac.authorization.k8s.io/ClusterRole': nameIsPathSegment,
  'rbac.authorization.k8s.io/RoleBinding': nameIsPathSegment,
  'rbac.authorization.k8s.io/ClusterRoleBinding': nameIsPathSegment,
  // ValidateCertificateRequestName accepts any name; a path segment is what a name must be anyway
  'certificates.k8s.io/CertificateSigningRequest': nameIsPathSegment,
};

export function nameRuleFor(group: string, kind: string): NameFn {
  return nameRules[`${group}/${kind}`] ?? nameIsDNSSubdomain;
}

export const validateNamespaceName = nameIsDNSLabel;

export interface MetaOptions {
  /** true: namespace required; false: namespace forbidden; undefined: not checked (unknown scope). */
  namespaced?: boolean;
  /** Apply the core group's check that unqualified finalizers are standard ones (built-in kinds). */
  kubeFinalizers?: boolean;
}

const standardFinalizers = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

function kubeFinalizerName(f: string, path: FieldPath): Errs {
  if (f.split('/').length === 1 && !standardFinalizers.has(f)) {
    return [fieldErrors.invalid(path, f, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

export function validateAnnotations(annotations: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  let total = 0;
  for (const [k, v] of entries(annotations)) {
    // the rule is the qualified-name rule with case ignored
    for (const m of isQualifiedName(k.toLowerCase())) errs.push(fieldErrors.invalid(path, k, m));
    total += byteLength(k) + byteLength(str(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(fieldErrors.tooLong(path, '', TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

const goBoolPtr = (v: unknown) => (typeof v === 'boolean' ? `&${v}` : '(*bool)(nil)');
function goOwnerRef(r: Record<string, unknown>): string {
  return (
    `v1.OwnerReference{APIVersion:${goQuote(str(r.apiVersion))}, Kind:${goQuote(str(r.kind))}, ` +
    `Name:${goQuote(str(r.name))}, UID:${goQuote(str(r.uid))}, Controller:${goBoolPtr(r.controller)}, ` +
    `BlockOwnerDeletion:${goBoolPtr(r.blockOwnerDeletion)}}`
  );
}

function validateOwnerReferences(refs: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  let firstController = '';
  const list = objs(refs);
  for (const r of list) {
    const apiVersion = str(r.apiVersion);
    // schema.ParseGroupVersion: more than one '/' is an error, which leaves the version empty
    const version = apiVersion.split('/').length > 2 ? '' : splitApiVersion(apiVersion).version;
    const group = apiVersion.split('/').length > 2 ? '' : splitApiVersion(apiVersion).group;
    if (!version) errs.push(fieldErrors.invalid(path.child('apiVersion'), apiVersion, 'version must not be empty'));
    if (!str(r.kind)) errs.push(fieldErrors.invalid(path.child('kind'), str(r.kind), 'must not be empty'));
    if (!str(r.name)) errs.push(fieldErrors.invalid(path.child('name'), str(r.name), 'must not be empty'));
    if (!str(r.uid)) errs.push(fieldErrors.invalid(path.child('uid'), str(r.uid), 'must not be empty'));
    if (group === '' && version === 'v1' && str(r.kind) === 'Event') {
      errs.push(fieldErrors.invalid(path, new GoRepr(goOwnerRef(r)), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (bool(r.controller)) {
      const cur = `${str(r.kind)}/${str(r.name)}`;
      if (firstController) {
        errs.push(
          fieldErrors.invalid(
            path,
            new GoRepr(`[]v1.OwnerReference{${list.map(goOwnerRef).join(', ')}}`),
            `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`,
          ),
        );
      } else firstController = cur;
    }
  }
  return errs;
}

function validateFinalizers(finalizers: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  const list = strs(finalizers);
  for (const f of list) for (const m of isQualifiedName(f)) errs.push(fieldErrors.invalid(path, f, m));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(
      fieldErrors.invalid(
        path,
        new GoRepr(`[]string{${list.map(goQuote).join(', ')}}`),
        'finalizer orphan and foregroundDeletion cannot be both set',
      ),
    );
  }
  return errs;
}

const printable = (c: number) => c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c < 0xa0);

function validateFieldManager(manager: string, path: FieldPath): Errs {
  const errs: Errs = [];
  if (byteLength(manager) > 128) errs.push(fieldErrors.tooLong(path, '', 128));
  let pos = 0;
  for (const ch of manager) {
    const c = ch.codePointAt(0)!;
    if (!printable(c)) {
      const hex = c.toString(16).toUpperCase().padStart(4, '0');
      errs.push(fieldErrors.invalid(path, manager, `invalid character U+${hex} (at position ${pos})`));
    }
    pos += byteLength(ch);
  }
  return errs;
}

function validateManagedFields(list: unknown, path: FieldPath): Errs {
  const errs: Errs = [];
  objs(list).forEach((f, i) => {
    const p = path.index(i);
    const op = str(f.operation);
    if (op !== 'Apply' && op !== 'Update') errs.push(fieldErrors.invalid(p.child('operation'), op, 'must be `Apply` or `Update`'));
    const ft = str(f.fieldsType);
    if (ft && ft !== 'FieldsV1') errs.push(fieldErrors.invalid(p.child('fieldsType'), ft, 'must be `FieldsV1`'));
    errs.push(...validateFieldManager(str(f.manager), p.child('manager')));
    if (byteLength(str(f.subresource)) > 256) errs.push(fieldErrors.tooLong(p.child('subresource'), '', 256));
  });
  return errs;
}

function metaOf(v: unknown): ObjectMeta {
  return (obj(v) ?? {}) as ObjectMeta;
}

function commonChecks(meta: ObjectMeta, opts: MetaOptions, path: FieldPath): Errs {
  const errs: Errs = [];
  const ns = str(meta.namespace);
  if (opts.namespaced === true) {
    if (!ns) errs.push(fieldErrors.required(path.child('namespace'), ''));
    else for (const m of validateNamespaceName(ns, false)) errs.push(fieldErrors.invalid(path.child('namespace'), ns, m));
  } else if (opts.namespaced === false && ns) {
    errs.push(fieldErrors.forbidden(path.child('namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(meta.generation, path.child('generation')));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  errs.push(...validateAnnotations(meta.annotations, path.child('annotations')));
  errs.push(...validateOwnerReferences(meta.ownerReferences, path.child('ownerReferences')));
  errs.push(...validateFinalizers(meta.finalizers, path.child('finalizers')));
  errs.push(...validateManagedFields(meta.managedFields, path.child('managedFields')));
  return errs;
}

/** ValidateObjectMeta: metadata on create, after name generation. */
export function validateObjectMeta(
  metadata: unknown,
  nameFn: NameFn,
  opts: MetaOptions,
  path: FieldPath = FieldPath.root('metadata'),
): Errs {
  const meta = metaOf(metadata);
  const errs: Errs = [];
  const gen = str(meta.generateName);
  if (gen) for (const m of nameFn(gen, true)) errs.push(fieldErrors.invalid(path.child('generateName'), gen, m));
  const name = str(meta.name);
  if (!name) errs.push(fieldErrors.required(path.child('name'), 'name or generateName is required'));
  else for (const m of nameFn(name, false)) errs.push(fieldErrors.invalid(path.child('name'), name, m));
  errs.push(...commonChecks(meta, opts, path));
  if (opts.kubeFinalizers !== false) {
    strs(meta.finalizers).forEach((f, i) => errs.push(...kubeFinalizerName(f, path.child('finalizers').index(i))));
  }
  return errs;
}

/** Go's time.Time String() for the RFC 3339 timestamps objects carry. */
export function goTimeString(v: unknown): string {
  const s = str(v);
  const d = s ? new Date(s) : undefined;
  if (!d || Number.isNaN(d.getTime())) return '0001-01-01 00:00:00 +0000 UTC';
  const iso = d.toISOString();
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

const sameInstant = (a: unknown, b: unknown) => {
  if (!isSet(a) || !isSet(b)) return !isSet(a) && !isSet(b);
  // (the same text first: every update of an object compares its unchanged timestamps)
  return str(a) === str(b) || new Date(str(a)).getTime() === new Date(str(b)).getTime();
};

/** ValidateObjectMetaUpdate. */
export function validateObjectMetaUpdate(
  newMetadata: unknown,
  oldMetadata: unknown,
  opts: Pick<MetaOptions, 'kubeFinalizers'> = {},
  path: FieldPath = FieldPath.root('metadata'),
): Errs {
  const n = metaOf(newMetadata);
  const o = metaOf(oldMetadata);
  const errs: Errs = [];
  if (isSet(o.deletionTimestamp)) {
    const old = new Set(strs(o.finalizers));
    const extra = [...new Set(strs(n.finalizers).filter((f) => !old.has(f)))].sort();
    if (extra.length) {
      errs.push(
        fieldErrors.forbidden(
          path.child('finalizers'),
          `no new finalizers can be added if the object is being deleted, found new finalizers []string{${extra.map(goQuote).join(', ')}}`,
        ),
      );
    }
  }
  if (!str(n.resourceVersion)) errs.push(fieldErrors.invalid(path.child('resourceVersion'), str(n.resourceVersion), 'must be specified for an update'));
  if (num(n.generation) < num(o.generation)) errs.push(fieldErrors.invalid(path.child('generation'), num(n.generation), 'must not be decremented'));

  const immutableStr = (field: 'name' | 'namespace' | 'uid') => {
    if (str(n[field]) !== str(o[field])) errs.push(fieldErrors.invalid(path.child(field), str(n[field]), FIELD_IMMUTABLE));
  };
  immutableStr('name');
  immutableStr('namespace');
  immutableStr('uid');
  if (!sameInstant(n.creationTimestamp ?? '', o.creationTimestamp ?? '')) {
    errs.push(fieldErrors.invalid(path.child('creationTimestamp'), new GoRepr(goTimeString(n.creationTimestamp)), FIELD_IMMUTABLE));
  }
  if (!sameInstant(n.deletionTimestamp, o.deletionTimestamp)) {
    const shown = isSet(n.deletionTimestamp) ? new GoRepr(goTimeString(n.deletionTimestamp)) : null;
    errs.push(fieldErrors.invalid(path.child('deletionTimestamp'), shown, FIELD_IMMUTABLE));
  }
  if ((n.deletionGracePeriodSeconds ?? null) !== (o.deletionGracePeriodSeconds ?? null)) {
    errs.push(fieldErrors.invalid(path.child('deletionGracePeriodSeconds'), n.deletionGracePeriodSeconds ?? null, FIELD_IMMUTABLE));
  }
  if (!stored(n.labels, o.labels)) errs.push(...validateLabels(n.labels, path.child('labels')));
  if (!stored(n.annotations, o.annotations)) errs.push(...validateAnnotations(n.annotations, path.child('annotations')));
  if (!stored(n.ownerReferences, o.ownerReferences)) errs.push(...validateOwnerReferences(n.ownerReferences, path.child('ownerReferences')));
  if (!stored(n.managedFields, o.managedFields)) errs.push(...validateManagedFields(n.managedFields, path.child('managedFields')));
  if (opts.kubeFinalizers !== false && !stored(n.finalizers, o.finalizers)) {
    strs(n.finalizers).forEach((f, i) => errs.push(...kubeFinalizerName(f, path.child('finalizers').index(i))));
  }
  return errs;
}

/**
 * The new value is the old object's own and frozen: the stored object's part, which passed these
 * same checks (pure functions of the value) when it was written. An in-process status write keeps
 * the stored labels, annotations and owners; checking them again on every write found nothing.
 */
function stored(v: unknown, old: unknown): boolean {
  return v === old && typeof v === 'object' && v !== null && Object.isFrozen(v);
}

/** ValidateTemplateObjectMeta: an embedded template's metadata may carry labels and annotations only. */
export function validateTemplateObjectMeta(metadata: unknown, path: FieldPath): Errs {
  const meta = metaOf(metadata);
  const errs = validateAnnotations(meta.annotations, path.child('annotations'));
  errs.push(...validateLabels(meta.labels, path.child('labels')));
  for (const [k, v] of entries(meta)) {
    if (k === 'labels' || k === 'annotations') continue;
    if (isSet(v) && !(Array.isArray(v) && v.length === 0) && v !== '' && v !== 0) {
      errs.push(fieldErrors.forbidden(path.child(k), 'cannot be set'));
    }
  }
  return errs;
}

