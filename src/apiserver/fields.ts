// Server-side apply and managedFields at the REST layer: the apply request's rules (its options,
// the configuration it sends), the 409 of a conflicting apply, and the owners an update leaves.
// The ownership model itself is model/fieldmanager.
//
// Like upstream, an object tracks its owners in metadata.managedFields, and every write to it
// then makes its writer own what it changed. Unlike upstream, an object starts tracking at its
// first apply: one created and changed only by other writes carries no managedFields (upstream
// gives each of those writers an entry), and its first apply gives its fields to
// before-first-apply, as upstream does for an object with no managedFields.
import type { KubeObject } from '../model/object.js';
import { deepEqual, isPlainObject } from '../model/object.js';
import { apiVersionOf, type ResourceType } from '../model/registry.js';
import { errors, StatusError } from '../model/status.js';
import { fieldErrors, FieldPath } from '../model/field.js';
import { patchSchemaFor } from '../model/openapi/index.js';
import { typeErrors } from '../model/fieldmanager/typed.js';
import {
  apply as applyFields, conflictReport, decodeManagedFields, encodeManagedFields, update as updateFields,
  type Context, type ManagedFieldsEntry, type Owner,
} from '../model/fieldmanager/manager.js';
import type { WriteOptions } from './options.js';

export type { ManagedFieldsEntry } from '../model/fieldmanager/manager.js';

export const APPLY = 'application/apply-patch+yaml';

const PATCH_OPTIONS = { group: 'meta.k8s.io', name: 'PatchOptions' };

/** PatchOptions' rules: an apply names its manager; only an apply may force. */
export function checkPatchOptions(contentType: string, opts: WriteOptions): void {
  if (contentType === APPLY && !opts.fieldManager) {
    throw errors.invalid(PATCH_OPTIONS, '', [fieldErrors.required(FieldPath.root('fieldManager'), 'is required for apply patch')]);
  }
  if (contentType !== APPLY && opts.force !== undefined) {
    throw errors.invalid(PATCH_OPTIONS, '', [fieldErrors.forbidden(FieldPath.root('force'), 'may not be specified for non-apply patch')]);
  }
}

/** The applied configuration: a whole object of the kind, naming its kind and version, and no owners of its own. */
export function applyConfig(t: ResourceType, v: unknown): Record<string, unknown> {
  if (!isPlainObject(v)) throw errors.badRequest(`${t.kind} in version ${JSON.stringify(t.version)} cannot be handled as a ${t.kind}: the body must be a JSON object`);
  for (const f of ['apiVersion', 'kind'] as const) {
    if (typeof v[f] !== 'string' || v[f] === '') throw errors.badRequest(`Object '${f === 'kind' ? 'Kind' : f}' is missing in '${JSON.stringify(v)}'`);
  }
  const meta = v.metadata;
  if (isPlainObject(meta) && meta.managedFields !== undefined && meta.managedFields !== null) throw errors.badRequest('metadata.managedFields must be nil');
  return v;
}

/** Who writes: the fieldManager it names, else its user agent up to the first "/" (as upstream), else "unknown". */
export function managerOf(opts: WriteOptions): string {
  return opts.fieldManager || opts.userAgent?.split('/')[0] || 'unknown';
}

function context(t: ResourceType, subresource: string, now: string): Context {
  return {
    schema: patchSchemaFor(t.group, t.version, t.kind),
    apiVersion: apiVersionOf(t),
    subresource,
    hasStatus: t.subresources.some((s) => s.name === 'status'),
    now,
  };
}

function owners(o: KubeObject): Owner[] {
  const d = decodeManagedFields(o.metadata.managedFields);
  // Only this server writes what is stored: a stored set it cannot read is its own bug.
  if (typeof d === 'string') throw errors.internal(new Error(`stored managedFields: ${d}`));
  return d;
}

/** An apply over the live object (undefined: it creates it): the object to write and its managedFields, or the 409 of its conflicts. */
export function apply(t: ResourceType, live: KubeObject | undefined, config: Record<string, unknown>, opts: WriteOptions, now: string, subresource = ''): { object: Record<string, unknown>; managed: ManagedFieldsEntry[] } {
  const ctx = context(t, subresource, now);
  const bad = typeErrors(config, ctx.schema);
  if (bad.length) {
    // Upstream's words and code (a 500: its typed conversion fails before any check names a field).
    const meta = config.metadata as { name?: string; namespace?: string };
    const what = `${meta.namespace ?? ''}/${meta.name ?? ''}; ${t.group}/${t.version}, Kind=${t.kind}`;
    throw new StatusError(500, '', `failed to create typed patch object (${what}): ${bad.length === 1 ? bad[0] : `errors:\n  ${bad.join('\n  ')}`}`);
  }
  const r = applyFields(live, config, live ? owners(live) : [], opts.fieldManager!, !!opts.force, ctx);
  if ('conflicts' in r) {
    const { message, causes } = conflictReport(r.conflicts);
    throw new StatusError(409, 'Conflict', message, { causes });
  }
  return { object: r.object, managed: encodeManagedFields(r.owners) };
}

/**
 * The managedFields an update of a tracked object leaves (undefined for an untracked one). An
 * update that changes nothing keeps them as they were, so that it still writes nothing.
 */
export function updated(t: ResourceType, next: KubeObject, old: KubeObject, opts: WriteOptions, subresource: string, now: string): ManagedFieldsEntry[] | undefined {
  const prev = old.metadata.managedFields as ManagedFieldsEntry[] | undefined;
  if (!Array.isArray(prev) || prev.length === 0) return undefined;
  const { managedFields: _, ...oldMeta } = old.metadata;
  if (deepEqual(next, { ...old, metadata: oldMeta })) return prev;
  return encodeManagedFields(updateFields(old, next, owners(old), managerOf(opts), context(t, subresource, now)));
}
