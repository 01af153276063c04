// RFC 7386 JSON Merge Patch as kube-apiserver applies it (evanphx/json-patch v4 MergePatch): null
// deletes, objects merge, anything else replaces. Like v4, values placed where no object was
// have their null object fields dropped (nulls inside arrays are kept), and a patch that is not
// an object or array is refused.
import { deepClone, deepEqual } from '../object.js';
import { PatchError } from './errors.js';
import { del, get, has, isObject, put, type Json, type JsonObject } from './json.js';

/** v4's ErrBadJSONPatch, which the API server answers with 400. */
export const errBadJSONPatch = 'Invalid JSON Patch';

/** Applies a decoded merge patch to `doc`, returning a new value. */
export function applyMergePatch(doc: Json, patch: Json): Json {
  if (Array.isArray(patch)) return pruneNulls(deepClone(patch));
  if (!isObject(patch)) throw new PatchError('BadRequest', errBadJSONPatch);
  if (!isObject(doc)) return pruneNulls(deepClone(patch));
  const out = deepClone(doc);
  mergeInto(out, deepClone(patch));
  return out;
}

function mergeInto(doc: JsonObject, patch: JsonObject): void {
  for (const k of Object.keys(patch)) {
    const v = patch[k]!;
    const cur = get(doc, k);
    if (v === null) del(doc, k);
    else if (cur === undefined || cur === null || !isObject(cur)) put(doc, k, pruneNulls(v));
    // An object meeting a non-object patch value takes that value as it is, nulls and all.
    else if (!isObject(v)) put(doc, k, v);
    else mergeInto(cur, v);
  }
}

/** Drops null object fields at any depth; array elements, null or not, stay. */
function pruneNulls(v: Json): Json {
  if (Array.isArray(v)) v.forEach(pruneNulls);
  else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) del(v, k);
      else pruneNulls(v[k]!);
    }
  }
  return v;
}

/**
 * A merge patch that turns `original` into `modified` (v4's CreateMergePatch for two objects):
 * added and changed fields as in `modified`, removed fields as null, unchanged ones left out.
 * Lists are compared whole; a changed list is sent whole.
 */
export function createMergePatch(original: JsonObject, modified: JsonObject): JsonObject {
  const patch: JsonObject = {};
  for (const k of Object.keys(modified)) {
    const b = modified[k]!;
    if (!has(original, k)) {
      put(patch, k, deepClone(b));
      continue;
    }
    const a = original[k]!;
    if (isObject(a) && isObject(b)) {
      const sub = createMergePatch(a, b);
      if (Object.keys(sub).length > 0) put(patch, k, sub);
    } else if (!deepEqual(a, b)) put(patch, k, deepClone(b));
  }
  for (const k of Object.keys(original)) if (!has(modified, k)) put(patch, k, null);
  return patch;
}
