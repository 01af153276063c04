// Field ownership, as the API server's field manager keeps it in metadata.managedFields: an
// apply makes the applier own exactly the fields of its configuration (taking them from others
// only when forced, else failing with the conflicts), and removes what it applied last time and
// no longer does, unless someone else owns it; an update makes the updater own what it changed.
// The algorithm is structured-merge-diff's Updater (Apply, Update), over typed.ts.
import { deepClone, deepEqual, isPlainObject } from '../object.js';
import type { PatchSchema } from '../patch/schema.js';
import { FieldSet, pathString } from './fieldset.js';
import { compare, fieldsOf, merge, removeItems } from './typed.js';

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

/** One manager's fields (one entry of managedFields, decoded). */
export interface Owner {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource: string;
  time: string | undefined;
  set: FieldSet;
}

/** Who owns the fields of an object that has no managedFields yet, when it is first applied to (upstream's name). */
export const BEFORE_FIRST_APPLY = 'before-first-apply';

/** Never owned by anyone (upstream's stripSet): taken out member by member, so metadata's fields stay. */
const STRIP = FieldSet.of([
  ['f:apiVersion'], ['f:kind'], ['f:metadata'],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => ['f:metadata', `f:${f}`]),
]);

/**
 * The fields a write may own. Through the main resource, no status (the strategy resets it).
 * Through status, an apply owns only status; an update owns what it changed but spec (the status
 * strategies keep spec and may let metadata through: the deployment controller's status write
 * carries its revision annotation, which upstream shows it owning).
 */
export function ownable(set: FieldSet, subresource: string, hasStatus: boolean, operation: Owner['operation']): FieldSet {
  const s = set.difference(STRIP);
  if (subresource !== 'status') return hasStatus ? s.without(FieldSet.of([['f:status']])) : s;
  if (operation === 'Update') return s.without(FieldSet.of([['f:spec']]));
  const only = new FieldSet();
  const status = s.children.get('f:status');
  if (status) only.children.set('f:status', status);
  return only;
}

const ownerKey = (o: Pick<Owner, 'manager' | 'operation' | 'subresource' | 'apiVersion'>): string =>
  // As upstream's manager identifier: an applier is one manager whatever version it applies in.
  JSON.stringify([o.manager, o.operation, o.subresource, o.operation === 'Update' ? o.apiVersion : '']);

/** The owners an object's managedFields name, or a message saying what is wrong with them. */
export function decodeManagedFields(entries: unknown): Owner[] | string {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) return 'managedFields must be a list';
  const out: Owner[] = [];
  for (const [i, e] of entries.entries()) {
    if (!isPlainObject(e)) return `managedFields[${i}] must be an object`;
    const m = e as ManagedFieldsEntry;
    if (m.operation !== 'Apply' && m.operation !== 'Update') return `managedFields[${i}].operation: Unsupported value: ${JSON.stringify(m.operation ?? '')}: supported values: "Apply", "Update"`;
    if (m.fieldsType !== undefined && m.fieldsType !== 'FieldsV1') return `managedFields[${i}].fieldsType: Unsupported value: ${JSON.stringify(m.fieldsType)}: supported values: "FieldsV1"`;
    const set = m.fieldsV1 === undefined ? new FieldSet() : FieldSet.fromFieldsV1(m.fieldsV1);
    if (!set) return `managedFields[${i}].fieldsV1: not a valid field set`;
    out.push({ manager: String(m.manager ?? ''), operation: m.operation, apiVersion: String(m.apiVersion ?? ''), subresource: String(m.subresource ?? ''), time: m.time, set });
  }
  return out;
}

/** managedFields as upstream writes them: appliers first, then by time, manager, version, subresource. */
export function encodeManagedFields(owners: readonly Owner[]): ManagedFieldsEntry[] {
  const sorted = [...owners].sort((a, b) =>
    cmp(a.operation, b.operation) || cmp(seconds(a.time), seconds(b.time)) || cmp(a.manager, b.manager) || cmp(a.apiVersion, b.apiVersion) || cmp(a.subresource, b.subresource));
  return sorted.map((o) => {
    const e: ManagedFieldsEntry = { manager: o.manager, operation: o.operation, apiVersion: o.apiVersion };
    if (o.time !== undefined) e.time = o.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = o.set.toFieldsV1();
    if (o.subresource) e.subresource = o.subresource;
    return e;
  });
}

const cmp = <T extends string | number>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);
const seconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

export interface Conflict {
  owner: Owner;
  path: string[];
}

/** Upstream's words for a manager in a conflict: an updater's version is named. */
export function describeOwner(o: Owner): string {
  return o.operation === 'Update' ? `${JSON.stringify(o.manager)} using ${o.apiVersion}` : JSON.stringify(o.manager);
}

/** The message of an apply's 409 (upstream's wording), and each conflict's cause. */
export function conflictReport(conflicts: readonly Conflict[]): { message: string; causes: { type: string; message: string; field: string }[] } {
  const causes = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${describeOwner(c.owner)}`, field: pathString(c.path) }));
  if (conflicts.length === 1) {
    return { message: `Apply failed with 1 conflict: conflict with ${describeOwner(conflicts[0]!.owner)}: ${pathString(conflicts[0]!.path)}`, causes };
  }
  const byOwner = new Map<string, string[]>();
  for (const c of conflicts) {
    const k = describeOwner(c.owner);
    byOwner.set(k, [...(byOwner.get(k) ?? []), pathString(c.path)]);
  }
  const lines: string[] = [];
  for (const k of [...byOwner.keys()].sort()) lines.push(`conflicts with ${k}:`, ...byOwner.get(k)!.map((p) => `- ${p}`));
  return { message: `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`, causes };
}

type Obj = Record<string, unknown>;

export interface Context {
  schema: PatchSchema | undefined;
  /** The API version of the write (an updater's entry names it). */
  apiVersion: string;
  /** '' for the main resource. */
  subresource: string;
  /** The kind has a status subresource (the main resource's writes own no status). */
  hasStatus: boolean;
  now: string;
}

export type ApplyOutcome = { object: Obj; owners: Owner[] } | { conflicts: Conflict[] };

/**
 * An apply of `config` by `manager` to `live` (undefined: the object is created). Owners empty
 * on a live object (it was never applied to, or its managedFields were cleared): its fields are
 * first given to before-first-apply, as upstream does, so that the apply conflicts with them.
 */
export function apply(live: Obj | undefined, config: Obj, owners: readonly Owner[], manager: string, force: boolean, ctx: Context): ApplyOutcome {
  const own = (s: FieldSet) => ownable(s, ctx.subresource, ctx.hasStatus, 'Apply');
  let current = owners.map((o) => ({ ...o }));
  if (live && current.length === 0) {
    const set = own(fieldsOf(live, ctx.schema));
    if (!set.empty) current.push({ manager: BEFORE_FIRST_APPLY, operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource, time: ctx.now, set });
  }
  const id = ownerKey({ manager, operation: 'Apply', subresource: ctx.subresource, apiVersion: ctx.apiVersion });
  const last = current.find((o) => ownerKey(o) === id);
  const mine: Owner = { manager, operation: 'Apply', apiVersion: ctx.apiVersion, subresource: ctx.subresource, time: last?.time ?? ctx.now, set: own(fieldsOf(config, ctx.schema)) };
  current = [...current.filter((o) => o !== last), mine];
  let object = (live ? merge(live, config, ctx.schema) : deepClone(config)) as Obj;
  // What it applied last time and no longer applies goes, unless someone (itself included) still owns it.
  if (last) {
    const owned = current.reduce((u, o) => u.union(o.set), new FieldSet());
    object = (removeItems(object, last.set.difference(mine.set), owned, ctx.schema) ?? {}) as Obj;
  }
  const diff = compare(live ?? {}, object, ctx.schema);
  const changed = own(diff.modified.union(diff.added));
  const removed = own(diff.removed);
  const conflicts: Conflict[] = [];
  for (const o of current) {
    if (o === mine) continue;
    for (const path of o.set.intersection(changed).paths()) conflicts.push({ owner: o, path });
  }
  if (conflicts.length && !force) return { conflicts };
  for (const o of current) if (o !== mine) o.set = o.set.difference(changed).difference(removed);
  if (!last || !deepEqual(last.set.toFieldsV1(), mine.set.toFieldsV1()) || (live !== undefined && !deepEqual(withoutManaged(live), withoutManaged(object)))) mine.time = ctx.now;
  return { object, owners: current.filter((o) => !o.set.empty) };
}

/** The owners after `manager` changed old into next by an update (it takes what it changed from the others). */
export function update(old: Obj, next: Obj, owners: readonly Owner[], manager: string, ctx: Context): Owner[] {
  const own = (s: FieldSet) => ownable(s, ctx.subresource, ctx.hasStatus, 'Update');
  const diff = compare(old, next, ctx.schema);
  const changed = own(diff.modified.union(diff.added));
  const removed = own(diff.removed);
  const id = ownerKey({ manager, operation: 'Update', subresource: ctx.subresource, apiVersion: ctx.apiVersion });
  const out: Owner[] = [];
  let mine: Owner | undefined;
  for (const o of owners) {
    if (ownerKey(o) === id) mine = { ...o };
    else out.push({ ...o, set: o.set.difference(changed).difference(removed) });
  }
  mine ??= { manager, operation: 'Update', apiVersion: ctx.apiVersion, subresource: ctx.subresource, time: ctx.now, set: new FieldSet() };
  mine.set = own(mine.set.union(changed).difference(removed));
  mine.time = ctx.now;
  out.push(mine);
  return out.filter((o) => !o.set.empty);
}

function withoutManaged(o: Obj): Obj {
  const meta = o.metadata as Obj | undefined;
  if (!meta?.managedFields) return o;
  const { managedFields: _, ...rest } = meta;
  return { ...o, metadata: rest };
}
