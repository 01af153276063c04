// Kubernetes strategic merge patch, applied as the API server applies it (apimachinery
// util/strategicpatch StrategicMergeMapPatch): lists merge by the schema's patchMergeKey where
// its patchStrategy says merge, lists of scalars merge as sets, other lists are replaced, null
// deletes, and the directives $patch, $retainKeys, $deleteFromPrimitiveList/<field> and
// $setElementOrder/<field> do what upstream's do, with upstream's errors.
import { deepClone } from '../object.js';
import { goHashKey, goKind, goSprint } from './gofmt.js';
import { del, get, has, isObject, put, type Json, type JsonObject } from './json.js';
import type { PatchSchema } from './schema.js';
import {
  containsDirectiveMarker,
  dedupScalars,
  elementKind,
  findByKey,
  mergeKeyValueEqual,
  normalizeElementOrder,
  partitionMaps,
  partitionScalars,
  splitDeletes,
} from './strategic-lists.js';
import {
  deleteFromPrimitiveListPrefix,
  directiveMarker,
  errBadArgType,
  errBadPatchFormatForRetainKeys,
  errBadPatchType,
  errNoMergeKey,
  extractKey,
  fail,
  retainKeysDirective,
  setElementOrderPrefix,
  sliceMeta,
  sliceType,
  structMeta,
  type PatchMeta,
} from './strategic-meta.js';

export { createStrategicMergePatch } from './strategic-diff.js';

/**
 * Applies a decoded strategic merge patch to `doc`, returning a new object. Without a schema (or
 * where the schema does not know a field) maps merge and lists are replaced.
 */
export function applyStrategicMergePatch(doc: JsonObject, patch: JsonObject | null, schema?: PatchSchema): JsonObject {
  // A JSON null patch decodes to a nil map upstream, which changes nothing.
  if (patch === null) return deepClone(doc);
  return mergeMap(deepClone(doc), deepClone(patch), schema);
}

/** mergeMap; works in place on private copies. */
function mergeMap(original: JsonObject, patch: JsonObject, schema: PatchSchema | undefined): JsonObject {
  if (has(patch, directiveMarker)) return mapDirective(patch[directiveMarker]!, patch);
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, schema);

  for (const key of Object.keys(patch)) {
    const patchV = patch[key]!;
    const isDeleteList = key.startsWith(deleteFromPrimitiveListPrefix);
    const k = isDeleteList ? extractKey(key, deleteFromPrimitiveListPrefix) : key;
    if (patchV === null) {
      del(original, k);
      continue;
    }
    const origV = get(original, k);
    if (origV === undefined || goKind(origV) !== goKind(patchV)) {
      // Absent or of another type: the patch value replaces it, minus its nulls and directives.
      if (!isDeleteList) {
        discardNulls(patchV);
        setWithoutDirectives(original, k, patchV);
      }
      continue;
    }
    if (isObject(origV)) {
      const meta = structMeta(schema, k);
      put(original, k, meta.strategy === 'replace' ? patchV : mergeMap(origV, patchV as JsonObject, meta.sub));
    } else if (Array.isArray(origV)) {
      put(original, k, mergeSliceHandler(origV, patchV as Json[], sliceMeta(schema, k), isDeleteList));
    } else {
      setWithoutDirectives(original, k, patchV);
    }
  }
  return original;
}

/** handleDirectiveInMergeMap: `$patch: replace` keeps only the patch, `$patch: delete` empties. */
function mapDirective(directive: Json, patch: JsonObject): JsonObject {
  if (directive === 'replace') {
    del(patch, directiveMarker);
    return patch;
  }
  if (directive === 'delete') return {};
  throw errBadPatchType(directive, patch);
}

/** applyRetainKeysDirective: fields not listed are cleared; the patch may set only listed fields. */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!has(patch, retainKeysDirective)) return;
  const list = patch[retainKeysDirective];
  del(patch, retainKeysDirective);
  if (!Array.isArray(list)) throw errBadPatchFormatForRetainKeys();
  const retained = new Set(list.map(goHashKey));
  for (const k of Object.keys(patch)) {
    if (patch[k] === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue;
    if (!retained.has(goHashKey(k))) throw errBadPatchFormatForRetainKeys();
  }
  for (const k of Object.keys(original)) if (!retained.has(goHashKey(k))) del(original, k);
}

/**
 * mergePatchIntoOriginal: each $setElementOrder/<field> is merged together with the patch's
 * <field> list, then the result ordered: the directive's order, then the live list's.
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, schema: PatchSchema | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix) || !has(patch, key)) continue;
    const order = patch[key]!;
    del(patch, key);
    if (!Array.isArray(order)) throw errBadArgType(sliceType, order);
    const field = extractKey(key, setElementOrderPrefix);
    const originalList = listAt(original, field);
    const patchList = listAt(patch, field);
    const meta = sliceMeta(schema, field);
    validateOrder(patchList ?? [], order, meta.mergeKey);

    let merged: Json[];
    if (originalList && patchList) merged = mergeSliceHandler(originalList, patchList, meta, false);
    else if (originalList) merged = originalList;
    else if (patchList) merged = withoutDirectives(patchList) as Json[];
    else continue;

    const [inOrder, serverOnly] = meta.mergeKey ? partitionMaps(merged, order, meta.mergeKey) : partitionScalars(merged, order);
    const kind = elementKind(originalList, patchList);
    put(original, field, normalizeElementOrder(inOrder, serverOnly, order, originalList ?? [], meta.mergeKey, kind));
    del(patch, field);
  }
}

function listAt(o: JsonObject, field: string): Json[] | undefined {
  if (!has(o, field)) return undefined;
  const v = o[field]!;
  if (!Array.isArray(v)) throw errBadArgType(sliceType, v);
  return v;
}

/** validatePatchWithSetOrderList: the patch list's items appear in $setElementOrder, in its order. */
function validateOrder(patchList: Json[], order: Json[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  const items = mergeKey ? splitDeletes(patchList)[0] : patchList;
  let p = 0;
  let s = 0;
  while (p < items.length && s < order.length) {
    if (containsDirectiveMarker(items[p]!)) {
      p++;
      continue;
    }
    if (mergeKeyValueEqual(items[p]!, order[s]!, mergeKey)) p++;
    s++;
  }
  if (p < items.length && s >= order.length) {
    throw fail(`the order in patch list:\n${goSprint(patchList)}\n doesn't match ${setElementOrderPrefix} list:\n${goSprint(order)}`);
  }
}

function mergeSliceHandler(original: Json[], patch: Json[], meta: PatchMeta, isDeleteList: boolean): Json[] {
  // Deletion lists are applied whatever the field's strategy.
  if (meta.strategy === 'merge' || isDeleteList) return mergeSlice(original, patch, meta.sub, meta.mergeKey, isDeleteList);
  return patch;
}

/** mergeSlice: scalars merge as a set; maps by merge key, honouring `$patch` items. */
function mergeSlice(original: Json[], patch: Json[], schema: PatchSchema | undefined, mergeKey: string, isDeleteList: boolean): Json[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  let merged: Json[];
  if (kind !== 'map') {
    if (isDeleteList) return deleteFromSlice(original, patch);
    merged = dedupScalars([...original, ...patch]);
  } else {
    // Upstream names the items' Go kind here; built-in list items are structs.
    if (!mergeKey) throw fail('cannot merge lists without merge key for struct');
    [original, patch] = applyListDirectives(original, patch, mergeKey);
    merged = mergeByKey(original, patch, mergeKey, schema);
  }
  const [inPatch, serverOnly] = mergeKey ? partitionMaps(merged, patch, mergeKey) : partitionScalars(merged, patch);
  return normalizeElementOrder(inPatch, serverOnly, patch, original, mergeKey, kind);
}

/**
 * mergeSliceWithSpecialElements: `$patch: delete` items remove every match from the live list;
 * a `$patch: replace` item makes the rest of the patch list the whole list.
 */
function applyListDirectives(original: Json[], patch: Json[], mergeKey: string): [Json[], Json[]] {
  const rest: Json[] = [];
  let replace = false;
  for (const v of patch) {
    const item = v as JsonObject;
    if (!has(item, directiveMarker)) {
      rest.push(item);
      continue;
    }
    const directive = item[directiveMarker]!;
    if (directive === 'delete') {
      if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
      let found = findByKey(original, mergeKey, item[mergeKey]!);
      while (found) {
        const at = found.index;
        original = original.filter((_, i) => i !== at);
        found = findByKey(original, mergeKey, item[mergeKey]!);
      }
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw fail('merging lists cannot yet be specified in the patch');
    } else {
      throw errBadPatchType(directive, item);
    }
  }
  return replace ? [rest, []] : [original, rest];
}

/** mergeSliceWithoutSpecialElements: matching items merge; new ones are appended as given. */
function mergeByKey(original: Json[], patch: Json[], mergeKey: string, schema: PatchSchema | undefined): Json[] {
  const out = original.slice();
  for (const v of patch) {
    const item = v as JsonObject;
    if (!has(item, mergeKey)) throw errNoMergeKey(item, mergeKey);
    const found = findByKey(out, mergeKey, item[mergeKey]!);
    if (found) out[found.index] = mergeMap(found.map, item, schema);
    else out.push(item);
  }
  return out;
}

function deleteFromSlice(current: Json[], toDelete: Json[]): Json[] {
  const gone = new Set(toDelete.map(goHashKey));
  return current.filter((v) => !gone.has(goHashKey(v)));
}

/** discardNullValuesFromPatch: null fields of a value that lands where nothing was. */
function discardNulls(v: Json): void {
  if (Array.isArray(v)) v.forEach(discardNulls);
  else if (isObject(v)) {
    for (const k of Object.keys(v)) {
      if (v[k] === null) del(v, k);
      else discardNulls(v[k]!);
    }
  }
}

/** removeDirectives: maps carrying `$patch` are dropped wherever they are; undefined if `v` is one. */
function withoutDirectives(v: Json): Json | undefined {
  if (Array.isArray(v)) return v.map(withoutDirectives).filter((e): e is Json => e !== undefined);
  if (!isObject(v)) return v;
  if (has(v, directiveMarker)) return undefined;
  for (const k of Object.keys(v)) {
    const kept = withoutDirectives(v[k]!);
    if (kept === undefined) del(v, k);
    else put(v, k, kept);
  }
  return v;
}

function setWithoutDirectives(o: JsonObject, k: string, v: Json): void {
  const kept = withoutDirectives(v);
  if (kept === undefined) del(o, k);
  else put(o, k, kept);
}
