// The metamodel as the REST layer uses it: one place that binds the generic semantics to the
// model's per-kind defaulting, validation, schemas, selectors and printing.
import type { KubeObject, Instant } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import type { FieldError } from '../model/field.js';
import { applyDefaults, prepareForCreate as prepareNew } from '../model/defaults/index.js';
import { validateCreate, validateUpdate, validateStatusUpdate, validateSubresourceUpdate } from '../model/validation/index.js';
import { applyPatch, type PatchBody } from '../model/patch/index.js';
import { patchSchemaFor, pruneUnknownFields, unknownFields as schemaUnknownFields } from '../model/openapi/index.js';
import { matches, parseSelector, SelectorError, type Selector } from '../model/labels.js';
import { errors } from '../model/status.js';
import { parseFieldSelectorFor, matchesFieldSelector } from '../model/fieldselector.js';
import { printTable } from '../model/printers/index.js';

export function defaults(t: ResourceType, obj: KubeObject): void {
  applyDefaults(t.group, t.version, t.kind, obj);
}

/** The strategy's PrepareForCreate (status reset, generation 1, kind-specific fields), after defaulting. */
export function prepareForCreate(t: ResourceType, obj: KubeObject, uid: string, now: Instant): void {
  prepareNew(t.group, t.version, t.kind, obj, { uid, now });
}

export function validateNew(t: ResourceType, obj: KubeObject): FieldError[] {
  return validateCreate(t.group, t.kind, obj);
}

export function validateChange(t: ResourceType, obj: KubeObject, old: KubeObject): FieldError[] {
  return validateUpdate(t.group, t.kind, obj, old);
}

export function validateStatusChange(t: ResourceType, obj: KubeObject, old: KubeObject): FieldError[] {
  return validateStatusUpdate(t.group, t.kind, obj, old);
}

export function validateSubresourceChange(t: ResourceType, sub: string, obj: KubeObject, old: KubeObject): FieldError[] {
  return validateSubresourceUpdate(t.group, t.kind, sub, obj, old);
}

/** Applies a PATCH body (raw bytes, decoded by the patch module as upstream's decoder would, or an in-process caller's value). */
export function patch(t: ResourceType, contentType: string, doc: KubeObject, body: PatchBody): unknown {
  return applyPatch(contentType, doc as unknown as Parameters<typeof applyPatch>[1], body, patchSchemaFor(t.group, t.version, t.kind));
}

/** Fields of the body the schema does not declare, as `spec.foo` paths. */
export function unknownFields(t: ResourceType, obj: unknown): string[] {
  return schemaUnknownFields(t.group, t.version, t.kind, obj);
}

/** Drops what typed decoding would drop: undeclared fields and nulls. */
export function prune(t: ResourceType, obj: KubeObject): void {
  pruneUnknownFields(t.group, t.version, t.kind, obj);
}

export type ObjectFilter = (obj: KubeObject) => boolean;

/** A predicate for a list or watch's labelSelector and fieldSelector; throws 400 on a bad selector. */
export function selectorFilter(t: ResourceType, labelSelector?: string, fieldSelector?: string): ObjectFilter | undefined {
  let ls: Selector | undefined;
  try {
    ls = labelSelector ? parseSelector(labelSelector) : undefined;
  } catch (e) {
    if (e instanceof SelectorError) throw errors.badRequest(e.message);
    throw e;
  }
  const fs = fieldSelector ? parseFieldSelectorFor(t.group, t.version, t.kind, fieldSelector) : undefined;
  if (!ls && !fs) return undefined;
  return (obj) =>
    (!ls || matches(ls, obj.metadata.labels ?? {})) && (!fs || matchesFieldSelector(fs, t.group, t.kind, obj, t.namespaced));
}

export function table(t: ResourceType, objects: KubeObject[], wide: boolean, now: Instant) {
  return printTable(t.group, t.kind, objects, { wide, now });
}
