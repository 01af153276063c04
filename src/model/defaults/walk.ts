// Helpers for defaulting untyped wire objects. Input arrives straight from a request body, so every
// step checks the shape it expects and leaves anything else alone for validation to report: a
// wrong type is never defaulted over and never crashes the walk.
import { isPlainObject } from '../object.js';

export type Obj = Record<string, unknown>;

/** The object at o[key], or undefined when it is absent or not an object. */
export function child(o: Obj | undefined, key: string): Obj | undefined {
  const v = o?.[key];
  return isPlainObject(v) ? v : undefined;
}

/** The object at o[key], created when absent (null counts as absent); undefined when it holds another type. */
export function ensure(o: Obj, key: string): Obj | undefined {
  const v = o[key];
  if (v === undefined || v === null) {
    const created: Obj = {};
    o[key] = created;
    return created;
  }
  return isPlainObject(v) ? v : undefined;
}

/** The objects of the array at o[key]; non-object entries are skipped. */
export function items(o: Obj | undefined, key: string): Obj[] {
  const v = o?.[key];
  return Array.isArray(v) ? v.filter(isPlainObject) : [];
}

/**
 * Sets o[key] unless it already holds that value. Defaulting runs again over every object written,
 * and parts of it may be the stored object's own (frozen, shared: a status write keeps the stored
 * spec), which are defaulted already and must not be written to, not even with the same value.
 */
export function assign(o: Obj, key: string, value: unknown): void {
  if (o[key] !== value) o[key] = value;
}

/** Sets o[key] when it is absent or null: a Go pointer or string field still at its zero value. */
export function setDefault(o: Obj, key: string, value: unknown): void {
  if (o[key] === undefined || o[key] === null) assign(o, key, value);
}

/** Sets o[key] when it is absent, null or the empty string (Go's `if x == ""`). */
export function setDefaultString(o: Obj, key: string, value: string): void {
  if (o[key] === undefined || o[key] === null || o[key] === '') assign(o, key, value);
}

/** Go's len(x) == 0 for a slice or map field. */
export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.keys(v).length === 0;
  return false;
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Go's struct fields without omitempty, and struct fields (which omitempty never omits), serialize
 * even at their zero value; the API server's responses therefore always carry them. */
export function materialize(o: Obj, key: string, zero: unknown): void {
  if (o[key] === undefined) o[key] = zero;
}
