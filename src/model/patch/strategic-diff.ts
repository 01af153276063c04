// Creating a two-way strategic merge patch, as upstream's CreateTwoWayMergePatch does: changed and
// added fields as in `modified`, removed fields as null, merge lists as their changed items plus
// `$patch: delete` items, scalar merge lists as additions plus $deleteFromPrimitiveList, the
// list's new order as $setElementOrder, and $retainKeys for retainKeys-strategy fields.
import { deepClone, deepEqual } from '../object.js';
import { goCompare, goKind, goSprint } from './gofmt.js';
import { get, has, isObject, put, type Json, type JsonObject } from './json.js';
import type { PatchSchema } from './schema.js';
import { dedupScalars, elementKind, mergeKeyValueEqual, normalizeSliceOrder, sortScalars } from './strategic-lists.js';
import {
  deleteFromPrimitiveListPrefix,
  directiveMarker,
  errBadArgType,
  errNoMergeKey,
  fail,
  mapType,
  retainKeysDirective,
  setElementOrderPrefix,
  sliceMeta,
  structMeta,
} from './strategic-meta.js';

/** A patch that turns `original` into `modified` when applied with applyStrategicMergePatch. */
export function createStrategicMergePatch(original: JsonObject, modified: JsonObject, schema?: PatchSchema): JsonObject {
  return deepClone(diffMaps(original, modified, schema, false));
}

function diffMaps(original: JsonObject, modified: JsonObject, schema: PatchSchema | undefined, buildRetainKeys: boolean): JsonObject {
  const patch: JsonObject = {};
  const retainKeys: Json[] = [];
  for (const key of Object.keys(modified)) {
    const mv = modified[key]!;
    if (buildRetainKeys && mv !== null) retainKeys.push(key);
    if (!has(original, key)) {
      put(patch, key, mv);
      continue;
    }
    const ov = original[key]!;
    if (key === directiveMarker) {
      if (typeof ov !== 'string' || typeof mv !== 'string') throw fail(`invalid value for special key: ${directiveMarker}`);
      if (ov !== mv) put(patch, key, mv);
      continue;
    }
    if (goKind(ov) !== goKind(mv)) put(patch, key, mv);
    else if (isObject(ov)) diffMapField(key, ov, mv as JsonObject, patch, schema);
    else if (Array.isArray(ov)) diffListField(key, ov, mv as Json[], patch, schema);
    else if (!deepEqual(ov, mv)) put(patch, key, mv);
  }
  for (const key of Object.keys(original)) if (!has(modified, key)) put(patch, key, null);
  // Only sent when something changes or a field must be cleared, so an unchanged map stays out.
  const clears = Object.keys(original).some((k) => original[k] !== null && !has(modified, k));
  if (retainKeys.length > 0 && (Object.keys(patch).length > 0 || clears)) put(patch, retainKeysDirective, sortScalars(retainKeys));
  return patch;
}

/** handleMapDiff. A replace-strategy map is always sent whole, changed or not, as upstream does. */
function diffMapField(key: string, ov: JsonObject, mv: JsonObject, patch: JsonObject, schema: PatchSchema | undefined): void {
  const meta = structMeta(schema, key);
  if (meta.strategy === 'replace') {
    put(patch, key, mv);
    return;
  }
  const sub = diffMaps(ov, mv, meta.sub, meta.retainKeys);
  if (Object.keys(sub).length > 0) put(patch, key, sub);
}

/** handleSliceDiff: merge lists are diffed item by item, other lists sent whole if changed. */
function diffListField(key: string, ov: Json[], mv: Json[], patch: JsonObject, schema: PatchSchema | undefined): void {
  const meta = sliceMeta(schema, key);
  if (meta.strategy !== 'merge') {
    if (!deepEqual(ov, mv)) put(patch, key, mv);
    return;
  }
  const [changes, deletions, order] = diffLists(ov, mv, meta.sub, meta.mergeKey, meta.retainKeys);
  if (changes.length > 0) put(patch, key, changes);
  if (deletions.length > 0) put(patch, `${deleteFromPrimitiveListPrefix}/${key}`, deletions);
  if (order.length > 0) put(patch, `${setElementOrderPrefix}/${key}`, order);
}

/** diffLists: [patch list, parallel deletion list, $setElementOrder list]. */
function diffLists(
  original: Json[],
  modified: Json[],
  schema: PatchSchema | undefined,
  mergeKey: string,
  buildRetainKeys: boolean,
): [Json[], Json[], Json[]] {
  if (original.length === 0) return [modified, [], []];
  const kind = elementKind(original, modified);
  if (kind === 'map') {
    const [changes, deletions] = diffListsOfMaps(original, modified, schema, mergeKey, buildRetainKeys);
    const patchList = [...normalizeSliceOrder(changes, modified, mergeKey, kind), ...deletions];
    const reordered = !isOrderSame(original, modified, mergeKey);
    const order = patchList.length > 0 || reordered ? modified.map((v) => ({ [mergeKey]: get(v as JsonObject, mergeKey) ?? null })) : [];
    return [patchList, [], order];
  }
  const [additions, deletions] = diffListsOfScalars(original, modified);
  const patchList = normalizeSliceOrder(additions, modified, mergeKey, kind);
  // Upstream compares against `original` after sorting it in place, which loses a reordering
  // into sorted order (the patch then leaves the list as it was); comparing the list as given
  // keeps the patch's promise to yield `modified`.
  const order = deletions.length > 0 || !deepEqual(original, modified) ? modified : [];
  return [patchList, deletions, order];
}

/** diffListsOfScalars: a walk over both lists sorted by %v text. */
function diffListsOfScalars(original: Json[], modified: Json[]): [Json[], Json[]] {
  const o = sortScalars(original);
  const m = sortScalars(modified);
  const additions: Json[] = [];
  const deletions: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const os = i < o.length ? goSprint(o[i]) : undefined;
    const ms = j < m.length ? goSprint(m[j]) : undefined;
    if (os !== undefined && os === ms) {
      i++;
      j++;
    } else if (os === undefined || (ms !== undefined && goCompare(os, ms) > 0)) additions.push(m[j++]!);
    else deletions.push(o[i++]!);
  }
  return [additions, dedupScalars(deletions)];
}

/** diffListsOfMaps: a walk over both lists sorted by the %v text of their merge keys. */
function diffListsOfMaps(
  original: Json[],
  modified: Json[],
  schema: PatchSchema | undefined,
  mergeKey: string,
  buildRetainKeys: boolean,
): [Json[], Json[]] {
  const o = sortByMergeKey(original, mergeKey);
  const m = sortByMergeKey(modified, mergeKey);
  const changes: Json[] = [];
  const deletions: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < o.length || j < m.length) {
    const oe = i < o.length ? withMergeKey(o[i]!, mergeKey) : undefined;
    const me = j < m.length ? withMergeKey(m[j]!, mergeKey) : undefined;
    const os = oe && goSprint(oe[mergeKey]);
    const ms = me && goSprint(me[mergeKey]);
    if (oe && me && os === ms) {
      const sub = diffMaps(oe, me, schema, buildRetainKeys);
      if (Object.keys(sub).length > 0) {
        put(sub, mergeKey, me[mergeKey]!);
        changes.push(sub);
      }
      i++;
      j++;
    } else if (me && (!oe || goCompare(os!, ms!) > 0)) {
      changes.push(me);
      j++;
    } else {
      deletions.push({ [directiveMarker]: 'delete', [mergeKey]: oe![mergeKey]! });
      i++;
    }
  }
  return [changes, deletions];
}

/** sortMergeListsByNameArray (not recursing) on a list of maps: by the %v text of the merge key. */
function sortByMergeKey(list: Json[], mergeKey: string): Json[] {
  return list
    .map((v) => ({ v, text: goSprint(get(v as JsonObject, mergeKey) ?? null) }))
    .sort((a, b) => goCompare(a.text, b.text))
    .map((e) => e.v);
}

/** getMapAndMergeKeyValueByIndex's checks. */
function withMergeKey(v: Json, mergeKey: string): JsonObject {
  if (!isObject(v)) throw errBadArgType(mapType, v);
  if (!has(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
  return v;
}

function isOrderSame(original: Json[], modified: Json[], mergeKey: string): boolean {
  if (original.length !== modified.length) return false;
  return modified.every((v, i) => mergeKeyValueEqual(original[i]!, v, mergeKey));
}
