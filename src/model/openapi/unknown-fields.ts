// Strict field validation: the fields of a request body that the kind's schema does not declare,
// named as upstream's strict JSON decoder (sigs.k8s.io/json) names them: keys joined by ".", list
// positions as "[i]" (`spec.template.spec.containers[0].imagee`). Free-form values (maps' keys,
// RawExtension, JSON, FieldsV1) are not descended into beyond what their schema declares.
import { isPlainObject } from '../object.js';
import { definitionNameFor, resolve, type Schema } from './definitions.js';

/** Upstream's decoder stops accumulating strict errors at 100. */
const MAX_REPORTED = 100;

export function unknownFields(group: string, version: string, kind: string, obj: unknown): string[] {
  const name = definitionNameFor(group, version, kind);
  if (name === undefined) return [];
  const out: string[] = [];
  walk(obj, { $ref: name }, '', out);
  return out;
}

const key = (path: string, k: string) => (path ? `${path}.${k}` : k);

function walk(value: unknown, schema: Schema, path: string, out: string[]): void {
  if (out.length >= MAX_REPORTED) return;
  const s = resolve(schema);
  if (!s) return;
  if (Array.isArray(value)) {
    if (s.items) value.forEach((v, i) => walk(v, s.items!, `${path}[${i}]`, out));
    return;
  }
  if (!isPlainObject(value)) return;
  if (s.properties) {
    for (const [k, v] of Object.entries(value)) {
      const p = s.properties[k];
      if (p) walk(v, p, key(path, k), out);
      else if (out.length < MAX_REPORTED) out.push(key(path, k));
    }
  } else if (s.additionalProperties) {
    for (const [k, v] of Object.entries(value)) walk(v, s.additionalProperties, key(path, k), out);
  }
}

/**
 * What a round trip through upstream's typed structs does to a body: fields the schema does not
 * declare disappear, and so do nulls (a null decodes to the zero value, which is omitted), and empty
 * lists and maps in optional fields (Go's omitempty drops them; empty structs it keeps). Free-form
 * values are kept whole. Mutates obj.
 */
export function pruneUnknownFields(group: string, version: string, kind: string, obj: unknown): void {
  const name = definitionNameFor(group, version, kind);
  if (name !== undefined) prune(obj, { $ref: name }, true);
}

/**
 * Prunes value; returns it, or, where a field had to go from an object below the top, a new object
 * with the fields kept, in their order, which the caller puts in its place. (A delete would turn
 * the object into a slow dictionary, allocating one; statuses carry nulls on every write, such as
 * a condition's lastProbeTime.) inPlace: the top, which the caller holds, loses its fields itself.
 */
function prune(value: unknown, schema: Schema, inPlace = false): unknown {
  // Runs over every object written: plain loops, no lists of entries.
  const s = resolve(schema);
  if (!s) return value;
  if (Array.isArray(value)) {
    const items = s.items;
    if (items) {
      // (an item of a frozen list, should one not be frozen itself, is pruned where it is)
      const fixed = Object.isFrozen(value);
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        // (a string, number or boolean has nothing to prune: no call for each of them)
        if (typeof v !== 'object' || v === null) continue;
        const r = prune(v, items, fixed);
        if (r !== v) value[i] = r;
      }
    }
    return value;
  }
  if (!isPlainObject(value)) return value;
  // A frozen part is a stored object's own (a status write keeps the stored spec): pruned when it
  // was written, so there is nothing to drop, and the nulls defaulting put back must stay.
  if (Object.isFrozen(value)) return value;
  const properties = s.properties;
  const additional = s.additionalProperties;
  if (!properties && !additional) return value;
  // for-in: the own keys (a plain object inherits no enumerable ones) without a list of them.
  let drops = 0;
  for (const k in value) {
    const v = value[k];
    const p = properties ? properties[k] : additional!;
    if (!p || v === null) {
      drops++;
      continue;
    }
    if (typeof v !== 'object') continue;
    const r = prune(v, p);
    if (r !== v) value[k] = r;
    if (properties && isEmptyCollection(r, p) && !s.required?.includes(k)) drops++;
  }
  if (drops === 0) return value;
  if (inPlace) {
    for (const k in value) if (!kept(value, k, s)) delete value[k];
    return value;
  }
  const out: Record<string, unknown> = {};
  for (const k in value) {
    if (!kept(value, k, s)) continue;
    // JSON.parse makes "__proto__" an own key; assigning it would set the prototype instead.
    if (k === '__proto__') Object.defineProperty(out, k, { value: value[k], enumerable: true, writable: true, configurable: true });
    else out[k] = value[k];
  }
  return out;
}

/** Whether a pruned object's field stays: declared (or any, in a map), not null, not an empty optional collection. */
function kept(value: Record<string, unknown>, k: string, s: Schema): boolean {
  const v = value[k];
  if (v === null) return false;
  if (!s.properties) return true;
  const p = s.properties[k];
  return !!p && !(isEmptyCollection(v, p) && !s.required?.includes(k));
}

/** An empty list, or an empty map (not a struct, which Go's omitempty keeps). */
function isEmptyCollection(v: unknown, schema: Schema): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (!isPlainObject(v)) return false;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false;
  const s = resolve(schema);
  return !!s && !s.properties && !!s.additionalProperties;
}
