// Mutable copies of the objects the store holds. Those are JSON already (deepClone's or
// JSON.parse's output: plain objects and arrays, strings, finite numbers, booleans, null), so a
// copy needs none of deepClone's checks for what JSON would drop or convert; it gives the same
// result faster, and every read and write hands one out.
import { deepClone, type KubeObject } from '../model/object.js';

/** A deep copy of a stored object (only JSON values: anything else is shared, not copied). */
export function copyStored(obj: KubeObject): KubeObject {
  return copy(obj) as KubeObject;
}

function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const n = v.length;
    const out = new Array<unknown>(n);
    for (let i = 0; i < n; i++) out[i] = copy(v[i]);
    return out;
  }
  const out: Record<string, unknown> = {};
  // for-in visits the same keys in the same order as Object.keys (a plain object inherits no
  // enumerable keys) without building the list.
  for (const k in v) {
    const x = copy((v as Record<string, unknown>)[k]);
    // JSON.parse makes "__proto__" an own key; assigning it would set the prototype instead.
    if (k === '__proto__') Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
    else out[k] = x;
  }
  return out;
}

/**
 * deepClone(v), except that a part equal to the part of `base` at the same place (the same JSON,
 * keys in the same order) is base's part itself. base is a stored object, deeply frozen, so the
 * parts a write leaves as they were are shared with the version before: an update copies and
 * freezes only what it changed, versions in every cache share the rest, and readers that remember
 * a part by identity (a container's hash) or compare parts (a === b) find it unchanged.
 */
export function copySharing(v: unknown, base: unknown): unknown {
  return share(v, base, 0);
}

/**
 * Base's keys at each depth of the walk, in arrays reused from write to write (one frame per
 * depth is under way at a time): every write walks its object, and a list of keys made per
 * object was most of what the walk allocated.
 */
const baseKeysAt: string[][] = [];

function share(v: unknown, base: unknown, depth: number): unknown {
  // A part the write took from the stored object itself (a status write keeps the stored spec).
  if (v === base) return base;
  if (typeof v !== 'object' || v === null || typeof base !== 'object' || base === null) return deepClone(v);
  // What JSON would convert (toJSON, class instances) is never shared.
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return deepClone(v);
  if (Array.isArray(v)) {
    if (!Array.isArray(base)) return deepClone(v);
    const n = v.length;
    const out = new Array<unknown>(n);
    let same = n === base.length;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      const r = dropped(x) ? null : part(x, base[i], depth + 1);
      out[i] = r;
      if (same && r !== base[i]) same = false;
    }
    return same ? base : out;
  }
  const proto = Object.getPrototypeOf(v);
  if ((proto !== Object.prototype && proto !== null) || Array.isArray(base)) return deepClone(v);
  const b = base as Record<string, unknown>;
  const baseKeys = (baseKeysAt[depth] ??= []);
  let n = 0;
  // for-in visits a plain object's own keys in Object.keys's order (it inherits no enumerable
  // ones; base is frozen, v is not changed while walked) without building the list.
  for (const k in b) baseKeys[n++] = k;
  const out: Record<string, unknown> = {};
  let j = 0;
  let same = true;
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (dropped(x)) continue;
    // Only base's own keys count ("__proto__" and "toString" would read the prototype's).
    const own = j < n && baseKeys[j] === k;
    const r = part(x, own ? b[k] : undefined, depth + 1);
    if (k === '__proto__') Object.defineProperty(out, k, { value: r, enumerable: true, writable: true, configurable: true });
    else out[k] = r;
    if (same && (!own || r !== b[k])) same = false;
    j++;
  }
  return same && j === n ? base : out;
}

const dropped = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';

function part(x: unknown, base: unknown, depth: number): unknown {
  return typeof x === 'string' || typeof x === 'boolean' || x === null ? x : share(x, base, depth);
}
