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
  if (name !== undefined) prune(obj, { $ref: name });
}

function prune(value: unknown, schema: Schema): void {
  // Runs over every object written: plain loops, no lists of entries.
  const s = resolve(schema);
  if (!s) return;
  if (Array.isArray(value)) {
    if (s.items) for (const v of value) prune(v, s.items);
    return;
  }
  if (!isPlainObject(value)) return;
  // A frozen part is a stored object's own (a status write keeps the stored spec): pruned when it
  // was written, so there is nothing to drop, and the nulls defaulting put back must stay.
  if (Object.isFrozen(value)) return;
  const properties = s.properties;
  // for-in: the own keys (a plain object inherits no enumerable ones) without a list of them;
  // deleting the key being visited is allowed.
  if (properties) {
    for (const k in value) {
      const v = value[k];
      const p = properties[k];
      if (!p || v === null) {
        delete value[k];
        continue;
      }
      prune(v, p);
      if (isEmptyCollection(v, p) && !s.required?.includes(k)) delete value[k];
    }
  } else if (s.additionalProperties) {
    for (const k in value) {
      const v = value[k];
      if (v === null) delete value[k];
      else prune(v, s.additionalProperties);
    }
  }
}

/** An empty list, or an empty map (not a struct, which Go's omitempty keeps). */
function isEmptyCollection(v: unknown, schema: Schema): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (!isPlainObject(v)) return false;
  for (const k in v) if (Object.prototype.hasOwnProperty.call(v, k)) return false;
  const s = resolve(schema);
  return !!s && !s.properties && !!s.additionalProperties;
}
