// RFC 6902 JSON Patch as kube-apiserver applies it: evanphx/json-patch v4, including where v4
// departs from the RFC — replace on a missing object key adds it, copy from a missing key copies
// null, negative array indexes count from the end, the segment before a path's first "/" is
// ignored — and with v4's error texts (the API server hides them behind a generic 422; they stay
// in the thrown error's message).
import { deepClone, deepEqual } from '../object.js';
import { PatchError } from './errors.js';
import { unmarshalTypeError } from './godecode.js';
import { del, get, has, isObject, put, type Json, type JsonObject } from './json.js';

type Container = JsonObject | Json[];
type Operation = JsonObject | null;

const errMissing = 'missing value';
const errInvalidIndex = 'invalid index referenced';
const errTestFailed = 'test failed';

/** Applies `ops` (a decoded JSON patch document) to `doc`, returning a new value. */
export function applyJsonPatch(doc: Json, ops: Json): Json {
  const patch = decodeOperations(ops);
  // v4 reads the document as an object (or an array); a scalar does not decode.
  if (doc !== null && typeof doc !== 'object') throw new PatchError('Invalid', unmarshalTypeError(doc, 'jsonpatch.partialDoc').message);
  const state = { root: deepClone(doc) as Json };
  for (const op of patch) {
    const failure = applyOperation(state, op);
    if (failure !== undefined) throw new PatchError('Invalid', failure);
  }
  return state.root;
}

/** jsonpatch.DecodePatch: a list of objects (null is an empty patch, a null entry an empty op). */
export function decodeOperations(ops: Json): Operation[] {
  if (ops === null) return [];
  if (!Array.isArray(ops)) throw new PatchError('BadRequest', unmarshalTypeError(ops, 'jsonpatch.Patch').message);
  for (const op of ops) {
    if (op !== null && !isObject(op)) throw new PatchError('BadRequest', unmarshalTypeError(op, 'jsonpatch.Operation').message);
  }
  return ops as Operation[];
}

/** One operation against the document; the failure text, if it fails. */
function applyOperation(state: { root: Json }, op: Operation): string | undefined {
  const kind = typeof field(op, 'op') === 'string' ? (field(op, 'op') as string) : 'unknown';
  switch (kind) {
    case 'add': {
      const path = pointer(op, 'path');
      if (path.err !== undefined) return `add operation failed to decode path: ${errMissing}`;
      const found = findObject(state.root, path.ok);
      if (!found) return `add operation does not apply: doc is missing path: "${path.ok}": ${errMissing}`;
      const err = addTo(found[0], found[1], valueOf(op));
      return err && `error in add for path: '${path.ok}': ${err}`;
    }
    case 'remove': {
      const path = pointer(op, 'path');
      if (path.err !== undefined) return `remove operation failed to decode path: ${errMissing}`;
      const found = findObject(state.root, path.ok);
      if (!found) return `remove operation does not apply: doc is missing path: "${path.ok}": ${errMissing}`;
      const err = removeFrom(found[0], found[1]);
      return err && `error in remove for path: '${path.ok}': ${err}`;
    }
    case 'replace': {
      const path = pointer(op, 'path');
      if (path.err !== undefined) return `replace operation failed to decode path: ${path.err}`;
      if (path.ok === '') {
        const v = valueOf(op);
        if (typeof v !== 'object') return 'replace operation value must be object or array: %!w(<nil>)';
        state.root = v;
        return undefined;
      }
      const found = findObject(state.root, path.ok);
      if (!found) return `replace operation does not apply: doc is missing path: ${path.ok}: ${errMissing}`;
      if (lookup(found[0], found[1]).err) return `replace operation does not apply: doc is missing key: ${path.ok}: ${errMissing}`;
      const err = setIn(found[0], found[1], valueOf(op));
      return err && `error in remove for path: '${path.ok}': ${err}`;
    }
    case 'move': {
      const from = pointer(op, 'from');
      if (from.err !== undefined) return `move operation failed to decode from: ${from.err}`;
      const source = findObject(state.root, from.ok);
      if (!source) return `move operation does not apply: doc is missing from path: ${from.ok}: ${errMissing}`;
      const got = lookup(source[0], source[1]);
      const err = got.err ?? removeFrom(source[0], source[1]);
      if (err) return `error in move for path: '${source[1]}': ${err}`;
      const path = pointer(op, 'path');
      if (path.err !== undefined) return `move operation failed to decode path: ${path.err}`;
      const target = findObject(state.root, path.ok);
      if (!target) return `move operation does not apply: doc is missing destination path: ${path.ok}: ${errMissing}`;
      const addErr = addTo(target[0], target[1], got.value ?? null);
      return addErr && `error in move for path: '${path.ok}': ${addErr}`;
    }
    case 'copy': {
      const from = pointer(op, 'from');
      if (from.err !== undefined) return `copy operation failed to decode from: ${from.err}`;
      const source = findObject(state.root, from.ok);
      if (!source) return `copy operation does not apply: doc is missing from path: ${from.ok}: ${errMissing}`;
      const got = lookup(source[0], source[1]);
      if (got.err) return `error in copy for from: '${from.ok}': ${got.err}`;
      const path = pointer(op, 'path');
      if (path.err !== undefined) return `copy operation failed to decode path: ${errMissing}`;
      const target = findObject(state.root, path.ok);
      if (!target) return `copy operation does not apply: doc is missing destination path: ${path.ok}: ${errMissing}`;
      const err = addTo(target[0], target[1], deepClone(got.value ?? null));
      return err && `error while adding value during copy: ${err}`;
    }
    case 'test': {
      const path = pointer(op, 'path');
      if (path.err !== undefined) return `test operation failed to decode path: ${path.err}`;
      const failed = `testing value ${path.ok} failed: ${errTestFailed}`;
      const expected = op !== null && has(op, 'value') ? get(op, 'value') : undefined;
      if (path.ok === '') return deepEqual(state.root, expected ?? null) ? undefined : failed;
      const found = findObject(state.root, path.ok);
      if (!found) return `test operation does not apply: is missing path: ${path.ok}: ${errMissing}`;
      const got = lookup(found[0], found[1]);
      if (got.err) return `error in test for path: '${path.ok}': ${got.err}`;
      // A null or missing target matches an absent or null value, and nothing else.
      if (got.value === undefined) return expected === undefined || expected === null ? undefined : failed;
      return expected !== undefined && deepEqual(got.value, expected) ? undefined : failed;
    }
    default:
      return `Unexpected kind: ${kind}`;
  }
}

function field(op: Operation, name: string): Json | undefined {
  return op === null ? undefined : get(op, name);
}

/** The op's value, copied so that the document never shares structure with the patch. */
function valueOf(op: Operation): Json {
  return deepClone(field(op, 'value') ?? null);
}

function pointer(op: Operation, name: 'path' | 'from'): { ok: string; err?: undefined } | { ok?: undefined; err: string } {
  const v = field(op, name);
  if (v === undefined || v === null) {
    return { err: name === 'path' ? `operation missing path field: ${errMissing}` : `operation, missing from field: ${errMissing}` };
  }
  if (typeof v !== 'string') return { err: unmarshalTypeError(v, 'string').message };
  return { ok: v };
}

/** The container holding the pointer's last token, and that token (v4's findObject). */
function findObject(root: Json, path: string): [Container, string] | undefined {
  const tokens = path.split('/');
  if (tokens.length < 2 || typeof root !== 'object' || root === null) return undefined;
  let con: Container = root;
  for (const token of tokens.slice(1, -1)) {
    const next = lookup(con, unescape(token));
    // Missing, null and scalar values cannot be walked into.
    if (next.err || next.value === undefined || typeof next.value !== 'object') return undefined;
    con = next.value as Container;
  }
  return [con, unescape(tokens[tokens.length - 1]!)];
}

/** RFC 6901: "~1" is "/" and "~0" is "~", decoded left to right in one pass. */
function unescape(token: string): string {
  return token.replace(/~[01]/g, (m) => (m === '~1' ? '/' : '~'));
}

/** v4's container get: an object key (null reads as missing) or an array index. */
function lookup(con: Container, key: string): { value?: Json; err?: string } {
  if (!Array.isArray(con)) return { value: get(con, key) ?? undefined };
  const idx = index(key, con.length);
  if (typeof idx === 'string') return { err: idx };
  return { value: con[idx] ?? undefined };
}

/** An existing array position, negative counting from the end, or the error text. */
function index(key: string, length: number): number | string {
  let idx = atoi(key);
  if (typeof idx === 'string') return idx;
  if (idx < 0) {
    if (idx < -length) return `Unable to access invalid index: ${idx}: ${errInvalidIndex}`;
    idx += length;
  }
  if (idx >= length) return `Unable to access invalid index: ${idx}: ${errInvalidIndex}`;
  return idx;
}

function setIn(con: Container, key: string, value: Json): string | undefined {
  if (Array.isArray(con)) {
    const idx = index(key, con.length);
    if (typeof idx === 'string') return idx;
    con[idx] = value;
  } else {
    put(con, key, value);
  }
  return undefined;
}

function addTo(con: Container, key: string, value: Json): string | undefined {
  if (!Array.isArray(con)) {
    put(con, key, value);
    return undefined;
  }
  if (key === '-') {
    con.push(value);
    return undefined;
  }
  let idx = atoi(key);
  if (typeof idx === 'string') return `value was not a proper array index: '${key}': ${idx}`;
  const size = con.length + 1;
  if (idx >= size) return `Unable to access invalid index: ${idx}: ${errInvalidIndex}`;
  if (idx < 0) {
    if (idx < -size) return `Unable to access invalid index: ${idx}: ${errInvalidIndex}`;
    idx += size;
  }
  con.splice(idx, 0, value);
  return undefined;
}

function removeFrom(con: Container, key: string): string | undefined {
  if (Array.isArray(con)) {
    const idx = index(key, con.length);
    if (typeof idx === 'string') return idx;
    con.splice(idx, 1);
  } else {
    if (!has(con, key)) return `Unable to remove nonexistent key: ${key}: ${errMissing}`;
    del(con, key);
  }
  return undefined;
}

/** strconv.Atoi, with its error texts. */
function atoi(s: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n < -(2n ** 63n) || n >= 2n ** 63n) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return Number(n);
}
