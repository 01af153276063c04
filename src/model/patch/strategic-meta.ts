// What strategic merge patch reads from the schema, its directive names, and its errors with
// upstream's texts (apimachinery util/mergepatch/errors.go).
import { PatchError } from './errors.js';
import { goSprint, goTypeName } from './gofmt.js';
import type { Json, JsonObject } from './json.js';
import type { PatchSchema } from './schema.js';

export const directiveMarker = '$patch';
export const retainKeysDirective = '$retainKeys';
export const deleteFromPrimitiveListPrefix = '$deleteFromPrimitiveList';
export const setElementOrderPrefix = '$setElementOrder';

export const mapType = 'map[string]interface {}';
export const sliceType = '[]interface {}';

export interface PatchMeta {
  /** The strategy other than retainKeys: 'merge', 'replace' or ''. */
  strategy: string;
  retainKeys: boolean;
  mergeKey: string;
  /** For a map: its own schema; for a list: its items' schema. */
  sub: PatchSchema | undefined;
}

/**
 * LookupPatchMetadataForStruct. An unknown field has no metadata, so that its maps merge and its
 * lists are replaced, as for unstructured data; a map-typed field gives every key its value schema.
 */
export function structMeta(schema: PatchSchema | undefined, key: string): PatchMeta {
  const f = schema?.field(key) ?? schema?.items();
  return { ...strategies(f?.patchStrategy), mergeKey: f?.patchMergeKey ?? '', sub: f };
}

/** LookupPatchMetadataForSlice: the list field's strategy and merge key, and its items' schema. */
export function sliceMeta(schema: PatchSchema | undefined, key: string): PatchMeta {
  const f = schema?.field(key) ?? schema?.items();
  return { ...strategies(f?.patchStrategy), mergeKey: f?.patchMergeKey ?? '', sub: f?.items() };
}

/** extractRetainKeysPatchStrategy over "merge,retainKeys"-style strategy lists. */
function strategies(patchStrategy: string | undefined): { strategy: string; retainKeys: boolean } {
  const list = patchStrategy ? patchStrategy.split(',') : [];
  if (list.length === 0) return { strategy: '', retainKeys: false };
  if (list.length === 1) return list[0] === 'retainKeys' ? { strategy: '', retainKeys: true } : { strategy: list[0]!, retainKeys: false };
  if (list.length === 2 && list[0] === 'retainKeys') return { strategy: list[1]!, retainKeys: true };
  if (list.length === 2 && list[1] === 'retainKeys') return { strategy: list[0]!, retainKeys: true };
  throw fail(`unexpected patch strategy: [${list.join(' ')}]`);
}

/** A plain error upstream returns unconverted (500, no reason). */
export function fail(message: string): PatchError {
  return new PatchError('Unknown', message);
}

export const errNoMergeKey = (m: JsonObject, key: string) =>
  fail(`map: ${goSprint(m)} does not contain declared merge key: ${key}`);

export const errBadArgType = (expected: string, actual: Json | undefined) =>
  fail(`expected a ${expected}, but received a ${goTypeName(actual)}`);

export const errBadPatchType = (directive: Json, m: JsonObject) =>
  fail(`unknown patch type: ${goSprint(directive, 's')} in map: ${goSprint(m)}`);

// The API server answers these with 400 (or 422 for lists of lists): interpretStrategicMergePatchError.
export const errNoListOfLists = () => new PatchError('Invalid', 'lists of lists are not supported');
export const errBadPatchFormatForPrimitiveList = () => new PatchError('BadRequest', 'invalid patch format of primitive list');
export const errBadPatchFormatForRetainKeys = () => new PatchError('BadRequest', 'invalid patch format of retainKeys');
export const errBadPatchFormatForSetElementOrderList = () =>
  new PatchError('BadRequest', 'invalid patch format of setElementOrder list');

/** The list field named by a "$prefix/field" key. */
export function extractKey(s: string, prefix: string): string {
  const slash = s.indexOf('/');
  if (slash >= 0 && s.slice(0, slash) === prefix) return s.slice(slash + 1);
  if (prefix === deleteFromPrimitiveListPrefix) throw errBadPatchFormatForPrimitiveList();
  if (prefix === setElementOrderPrefix) throw errBadPatchFormatForSetElementOrderList();
  throw fail(`fail to find unknown prefix ${JSON.stringify(prefix)} in ${s}`);
}
