// Objects read through their schema as server-side apply reads them (structured-merge-diff's
// typed values): which paths a value sets, what changed between two values, the merge of an
// applied configuration into a live object, and the removal of paths. Where there is no schema
// (custom resources, unknown fields) a value is "deduced" as upstream deduces it: objects are
// maps owned key by key, lists are atomic.
import { deepClone, deepEqual, isPlainObject } from '../object.js';
import type { PatchSchema } from '../patch/schema.js';
import { FieldSet, pathString } from './fieldset.js';

type Schema = PatchSchema | undefined;
type Obj = Record<string, unknown>;

/** How a value is owned: as one leaf, key by key, or item by item (keyed, or by value). */
type Shape = 'leaf' | 'map' | 'assoc' | 'set';

/** A value's shape by its schema (an empty map or list is a leaf only where both sides of a comparison are empty: isEmpty). */
function shapeOf(v: unknown, s: Schema): Shape {
  if (Array.isArray(v)) {
    if (s?.listType === 'map' && s.listMapKeys?.length) return 'assoc';
    if (s?.listType === 'set') return 'set';
    return 'leaf';
  }
  if (isPlainObject(v)) return s?.mapType === 'atomic' ? 'leaf' : 'map';
  return 'leaf';
}

const isEmpty = (v: unknown): boolean => (Array.isArray(v) ? v.length === 0 : isPlainObject(v) && Object.keys(v).length === 0);

const fieldSchema = (s: Schema, key: string): Schema => s?.field(key) ?? s?.items();
/** A struct's declared field (a map's keys are not): its path is in a set only through what it holds. */
const declared = (s: Schema, key: string): boolean => s?.field(key) !== undefined;

/** The path element of a list item: k:{keys} for an associative list, v:value for a set. */
export function itemElement(item: unknown, s: Schema, shape: 'assoc' | 'set'): string {
  if (shape === 'set') return `v:${JSON.stringify(item)}`;
  const keys: Obj = {};
  const itemSchema = s?.items();
  for (const k of [...s!.listMapKeys!].sort()) {
    const v = isPlainObject(item) ? item[k] : undefined;
    const d = v === undefined ? itemSchema?.field(k)?.defaultValue : v;
    if (d !== undefined) keys[k] = d;
  }
  return `k:${JSON.stringify(keys)}`;
}

/** The paths a value sets (upstream's ToFieldSet): its leaves, and the items and map entries that hold them. */
export function fieldsOf(v: unknown, s: Schema, set = new FieldSet(), path: string[] = []): FieldSet {
  const shape = shapeOf(v, s);
  if (shape === 'leaf' || isEmpty(v)) {
    if (path.length) set.insert(path);
    return set;
  }
  if (shape === 'map') {
    for (const [k, c] of Object.entries(v as Obj)) {
      if (c === undefined) continue;
      const p = [...path, `f:${k}`];
      fieldsOf(c, fieldSchema(s, k), set, p);
      if (c === null || !declared(s, k)) set.insert(p);
    }
    return set;
  }
  for (const item of v as unknown[]) {
    const p = [...path, itemElement(item, s, shape)];
    fieldsOf(item, s?.items(), set, p);
    set.insert(p);
  }
  return set;
}

/**
 * What makes a value unreadable as a typed value (upstream refuses such an applied
 * configuration): an associative list's item without a key field that has no default, or two
 * items with the same key.
 */
export function typeErrors(v: unknown, s: Schema, path: string[] = [], out: string[] = []): string[] {
  const shape = shapeOf(v, s);
  if (shape === 'map') {
    for (const [k, c] of Object.entries(v as Obj)) typeErrors(c, fieldSchema(s, k), [...path, `f:${k}`], out);
  } else if (shape === 'assoc' || shape === 'set') {
    const seen = new Set<string>();
    (v as unknown[]).forEach((item, i) => {
      if (shape === 'assoc') {
        for (const k of s!.listMapKeys!) {
          const present = isPlainObject(item) && item[k] !== undefined && item[k] !== null;
          if (!present && s?.items()?.field(k)?.defaultValue === undefined) {
            out.push(`${pathString(path)}: element ${i}: associative list with keys has an element that omits key field ${JSON.stringify(k)}`);
            return;
          }
        }
      }
      const pe = itemElement(item, s, shape);
      if (seen.has(pe)) out.push(`${pathString(path)}: duplicate entries for key ${pathString([pe])}`);
      seen.add(pe);
      typeErrors(item, s?.items(), [...path, pe], out);
    });
  }
  return out;
}

/** A list whose items cannot all be told apart by key: upstream treats it as one value. */
function ambiguous(list: unknown[], s: Schema, shape: 'assoc' | 'set'): boolean {
  return items(list, s, shape).size !== list.length;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

/** What changed from a to b, path by path. */
export function compare(a: unknown, b: unknown, s: Schema): Comparison {
  const c = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  walkCompare(a, b, s, [], c);
  return c;
}

function walkCompare(a: unknown, b: unknown, s: Schema, path: string[], c: Comparison): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    fieldsOf(b, s, c.added, path);
    if (path.length) c.added.insert(path);
    return;
  }
  if (b === undefined) {
    fieldsOf(a, s, c.removed, path);
    if (path.length) c.removed.insert(path);
    return;
  }
  const sa = shapeOf(a, s);
  const sb = shapeOf(b, s);
  if (sa !== sb || sa === 'leaf' || (isEmpty(a) && isEmpty(b))) {
    if (!deepEqual(a, b) && path.length) c.modified.insert(path);
    return;
  }
  if (sa === 'map') {
    const ao = a as Obj;
    const bo = b as Obj;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) walkCompare(ao[k], bo[k], fieldSchema(s, k), [...path, `f:${k}`], c);
    return;
  }
  if (ambiguous(a as unknown[], s, sa) || ambiguous(b as unknown[], s, sa)) {
    if (!deepEqual(a, b)) c.modified.insert(path);
    return;
  }
  const ai = items(a as unknown[], s, sa);
  const bi = items(b as unknown[], s, sa);
  for (const pe of new Set([...ai.keys(), ...bi.keys()])) walkCompare(ai.get(pe), bi.get(pe), s?.items(), [...path, pe], c);
}

function items(list: unknown[], s: Schema, shape: 'assoc' | 'set'): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const item of list) m.set(itemElement(item, s, shape), item);
  return m;
}

/**
 * The applied configuration merged into the live object: the configuration's leaves win, maps
 * merge key by key, associative lists and sets item by item (the configuration's items in its
 * order, the live object's other items where they were), atomic values are replaced whole.
 */
export function merge(live: unknown, config: unknown, s: Schema): unknown {
  if (config === undefined) return live;
  if (live === undefined || live === null) return deepClone(config);
  const sl = shapeOf(live, s);
  const sc = shapeOf(config, s);
  if (sc === 'leaf' || sl !== sc || (isEmpty(live) && isEmpty(config))) return deepClone(config);
  if (sc === 'map') {
    const out: Obj = { ...(live as Obj) };
    for (const [k, v] of Object.entries(config as Obj)) out[k] = merge((live as Obj)[k], v, fieldSchema(s, k));
    return out;
  }
  // A live list with duplicate keys (written by an update) cannot be merged item by item: replaced.
  if (ambiguous(live as unknown[], s, sc)) return deepClone(config);
  const li = items(live as unknown[], s, sc);
  const ci = items(config as unknown[], s, sc);
  const configOrder = [...ci.keys()];
  const out: unknown[] = [];
  const done = new Set<string>();
  let next = 0;
  const emitConfigUpTo = (pe: string) => {
    while (next < configOrder.length) {
      const k = configOrder[next++]!;
      if (!done.has(k)) {
        done.add(k);
        out.push(merge(li.get(k), ci.get(k), s?.items()));
      }
      if (k === pe) return;
    }
  };
  for (const [pe, item] of li) {
    if (ci.has(pe)) emitConfigUpTo(pe);
    else out.push(item);
  }
  emitConfigUpTo('');
  return out;
}

/**
 * v without the members of `remove` (a map's entry, a list's item, with all they hold), except
 * where `keep` holds something at or under them. Maps and lists left empty by a removal go too.
 */
export function removeItems(v: unknown, remove: FieldSet, keep: FieldSet, s: Schema): unknown {
  const shape = shapeOf(v, s);
  if (shape === 'leaf' || isEmpty(v) || remove.children.size === 0) return v;
  const gone = (pe: string): boolean => {
    const r = remove.children.get(pe);
    return !!r?.member && !holdsAny(keep.children.get(pe));
  };
  if (shape === 'map') {
    const out: Obj = {};
    let removed = false;
    for (const [k, c] of Object.entries(v as Obj)) {
      const pe = `f:${k}`;
      if (gone(pe)) {
        removed = true;
        continue;
      }
      const r = remove.children.get(pe);
      out[k] = r ? removeItems(c, r, keep.children.get(pe) ?? EMPTY, fieldSchema(s, k)) : c;
      if (out[k] === undefined) {
        delete out[k];
        removed = true;
      }
    }
    return removed && Object.keys(out).length === 0 ? undefined : out;
  }
  const out: unknown[] = [];
  for (const item of v as unknown[]) {
    const pe = itemElement(item, s, shape);
    if (gone(pe)) continue;
    const r = remove.children.get(pe);
    const kept = r ? removeItems(item, r, keep.children.get(pe) ?? EMPTY, s?.items()) : item;
    if (kept !== undefined) out.push(kept);
  }
  return out.length === 0 ? undefined : out;
}

const EMPTY = new FieldSet();

function holdsAny(s: FieldSet | undefined): boolean {
  return !!s && !s.empty;
}
