// JSON values as the patch code handles them, with own-property access helpers: patch bodies are
// untrusted, and a key such as "__proto__" or "constructor" must behave as an ordinary key.
import { isPlainObject } from '../object.js';

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export const isObject = isPlainObject as (v: unknown) => v is JsonObject;

export function has(o: JsonObject, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k);
}

export function get(o: JsonObject, k: string): Json | undefined {
  return has(o, k) ? o[k] : undefined;
}

export function put(o: JsonObject, k: string, v: Json): void {
  // A plain assignment to "__proto__" would replace the prototype instead of adding a key.
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
}

export function del(o: JsonObject, k: string): void {
  delete o[k];
}
