// List handling shared by applying and creating strategic merge patches: element typing, lookup
// by merge key, and upstream's ordering rules (the "preserve order" design: $setElementOrder
// first, then the patch's order, then the live list's).
import { goCompare, goEqual, goHashKey, goKind, GoPanic, goSprint, type GoKind } from './gofmt.js';
import { get, has, isObject, type Json, type JsonObject } from './json.js';
import { directiveMarker, errBadArgType, errNoListOfLists, errNoMergeKey, fail, mapType } from './strategic-meta.js';

/** sliceElementType: the one Go type of every element of the lists. */
export function elementKind(...lists: Array<Json[] | undefined>): GoKind {
  let kind: GoKind | undefined;
  for (const list of lists) {
    for (const v of list ?? []) {
      const k = goKind(v);
      if (kind === undefined) {
        // Upstream asks a nil type for its kind here.
        if (k === 'nil') throw new GoPanic('runtime error: invalid memory address or nil pointer dereference');
        if (k === 'slice') throw errNoListOfLists();
        kind = k;
      } else if (k !== kind) {
        throw fail(`list element types are not identical: ${goSprint(lists.map((l) => l ?? []))}`);
      }
    }
  }
  if (kind === undefined) throw fail('no elements in any of the given slices');
  return kind;
}

/** The element's merge-key value, or the element itself in a list of scalars. */
function keyOf(item: Json | undefined, mergeKey: string, kind: GoKind): Json | undefined {
  if (kind !== 'map') return item;
  return isObject(item) ? (get(item, mergeKey) ?? null) : null;
}

/** The position of `item` in `list` by merge key (or value), -1 if absent. */
export function indexOf(list: Json[], item: Json, mergeKey: string, kind: GoKind): number {
  const want = keyOf(item, mergeKey, kind);
  return list.findIndex((v) => goEqual(want, keyOf(v, mergeKey, kind)));
}

/** findMapInSliceBasedOnKeyValue. */
export function findByKey(list: Json[], key: string, value: Json): { map: JsonObject; index: number } | undefined {
  for (let i = 0; i < list.length; i++) {
    const m = list[i];
    if (!isObject(m)) throw fail(`value for key ${i} is not a map`);
    if (has(m, key) && goEqual(m[key], value)) return { map: m, index: i };
  }
  return undefined;
}

export function mergeKeyValueEqual(left: Json, right: Json, mergeKey: string): boolean {
  if (!mergeKey) return goEqual(left, right);
  if (!isObject(left)) throw errBadArgType(mapType, left);
  if (!isObject(right)) throw errBadArgType(mapType, right);
  if (!has(left, mergeKey)) throw errNoMergeKey(left, mergeKey);
  if (!has(right, mergeKey)) throw errNoMergeKey(right, mergeKey);
  return goEqual(left[mergeKey], right[mergeKey]);
}

export function containsDirectiveMarker(item: Json): boolean {
  return isObject(item) && has(item, directiveMarker);
}

/** extractToDeleteItems: the items to keep, and those marked `$patch: delete`. */
export function splitDeletes(list: Json[]): [Json[], Json[]] {
  const keep: Json[] = [];
  const drop: Json[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType(mapType, v);
    (get(v, directiveMarker) === 'delete' ? drop : keep).push(v);
  }
  return [keep, drop];
}

/** deduplicateScalars, with its swap-with-last order (the caller reorders afterwards). */
export function dedupScalars(list: Json[]): Json[] {
  const s = list.slice();
  let last = s.length - 1;
  for (let i = 0; i < last; i++) {
    for (let j = i + 1; j <= last; j++) {
      if (goEqual(s[i], s[j])) {
        s[j] = s[last]!;
        s.length = last;
        last--;
        j--;
      }
    }
  }
  return s;
}

/** sortScalars: ordered by the %v text of each value, compared as Go compares strings. */
export function sortScalars(list: Json[]): Json[] {
  return list
    .map((v) => ({ v, text: goSprint(v) }))
    .sort((a, b) => goCompare(a.text, b.text))
    .map((e) => e.v);
}

/** normalizeSliceOrder: `toSort` in the order of `order` (`$patch: delete` items last). */
export function normalizeSliceOrder(toSort: Json[], order: Json[], mergeKey: string, kind: GoKind): Json[] {
  let deletes: Json[] = [];
  if (kind === 'map') {
    for (const v of [...toSort, ...order]) {
      if (!isObject(v)) throw errBadArgType(mapType, v);
      if (!has(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    }
    [toSort, deletes] = splitDeletes(toSort);
  }
  const positioned = toSort.map((v) => ({ v, at: indexOf(order, v, mergeKey, kind) }));
  // Every item reaching here is found in `order`; unfound ones keep their place.
  positioned.sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : 0));
  return [...positioned.map((p) => p.v), ...deletes];
}

/**
 * normalizeElementOrder: patch items in the patch's order, server-only items in the live order,
 * then the two interleaved. A server-only item goes before a patch item only when the live list
 * holds both and has it first, so items new to the list come before the server-only items left.
 */
export function normalizeElementOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: Json[],
  serverOrder: Json[],
  mergeKey: string,
  kind: GoKind,
): Json[] {
  const right = normalizeSliceOrder(patchItems, patchOrder, mergeKey, kind);
  const left = normalizeSliceOrder(serverOnly, serverOrder, mergeKey, kind);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) {
    const li = indexOf(serverOrder, left[i]!, mergeKey, kind);
    const ri = indexOf(serverOrder, right[j]!, mergeKey, kind);
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
    else out.push(right[j++]!);
  }
  return [...out, ...left.slice(i), ...right.slice(j)];
}

/** partitionPrimitivesByPresentInList: [items of `list` present in `by`, the others]. */
export function partitionScalars(list: Json[], by: Json[]): [Json[], Json[]] {
  const present = new Set(by.map(goHashKey));
  const inside: Json[] = [];
  const outside: Json[] = [];
  for (const v of list) (present.has(goHashKey(v)) ? inside : outside).push(v);
  return [inside, outside];
}

/** partitionMapsByPresentInList, matching on the merge key. */
export function partitionMaps(list: Json[], by: Json[], mergeKey: string): [Json[], Json[]] {
  const inside: Json[] = [];
  const outside: Json[] = [];
  for (const v of list) {
    if (!isObject(v)) throw errBadArgType(mapType, v);
    if (!has(v, mergeKey)) throw errNoMergeKey(v, mergeKey);
    (findByKey(by, mergeKey, v[mergeKey]!) ? inside : outside).push(v);
  }
  return [inside, outside];
}
