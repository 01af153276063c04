// The shape every Kubernetes object shares, and the clock/time types that pure logic receives
// instead of reading the clock itself (DESIGN.md, "the one rule").
import type { ObjectMeta as WireObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';

export type { OwnerReference };

/** ObjectMeta as the server sees it: the fields clients may only read are the server's to write. */
export type ObjectMeta = { -readonly [K in keyof WireObjectMeta]: WireObjectMeta[K] };

/** Any Kubernetes object as it travels on the wire: apiVersion, kind, metadata, and the rest. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/** A list as the API returns it. */
export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

/** Milliseconds since the epoch, always injected: pure code never reads the clock. */
export type Instant = number;

/** RFC 3339 with second precision, as metav1.Time serialises. */
export function rfc3339(t: Instant): string {
  const s = Math.floor(t / 1000);
  // the same second is asked for many times in a row (every condition of a status)
  if (s !== lastSecond) {
    lastSecond = s;
    lastText = new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  }
  return lastText;
}
let lastSecond = NaN;
let lastText = '';

/** RFC 3339 with microseconds, as metav1.MicroTime serialises (Events, Leases). */
export function rfc3339Micro(t: Instant): string {
  // A Date holds whole milliseconds (truncated); the second's text is kept, as rfc3339's is (every
  // lease renewal and event asks, and formatting a Date anew was most of the cost).
  const ms = Math.trunc(t);
  const s = Math.floor(ms / 1000);
  if (s !== microSecond) {
    microSecond = s;
    const iso = new Date(s * 1000).toISOString();
    microPrefix = iso.slice(0, iso.length - 4);
  }
  const frac = ms - s * 1000;
  return `${microPrefix}${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}000Z`;
}
let microSecond = NaN;
let microPrefix = '';

/** What JSON.parse(JSON.stringify(v)) gives (undefined stays undefined), without the text in between. */
export function deepClone<T>(v: T): T {
  return v === undefined ? v : (cloneJson(v) as T);
}

const viaText = (v: unknown): unknown => JSON.parse(JSON.stringify(v));
const dropped = (x: unknown) => x === undefined || typeof x === 'function' || typeof x === 'symbol';

function cloneJson(v: unknown): unknown {
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : null; // -0 prints as 0; NaN and ±Infinity as null
  if (typeof v !== 'object') return viaText(v);
  // Anything but plain objects and arrays (Dates, toJSON, boxed values, Maps) takes the text route.
  const proto = Object.getPrototypeOf(v);
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return viaText(v);
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = dropped(v[i]) ? null : cloneJson(v[i]);
    return out;
  }
  if (proto !== Object.prototype && proto !== null) return viaText(v);
  const out: Record<string, unknown> = {};
  // for-in: a plain object's own keys in Object.keys's order, without building the list.
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (dropped(x)) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: cloneJson(x), enumerable: true, writable: true, configurable: true });
    else out[k] = cloneJson(x);
  }
  return out;
}

/** JSON value equality, the equality of the wire (key order ignored). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  // Loops rather than filter/every (the same reads, in the same order, without the garbage: the
  // controllers compare templates on every sync).
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    const n = a.length;
    if (n !== bb.length) return false;
    for (let i = 0; i < n; i++) if (i in a && !deepEqual(a[i], bb[i])) return false; // holes skipped, as every does
    return true;
  }
  const oa = a as Record<string, unknown>;
  const ob = b as Record<string, unknown>;
  // for-in: the keys without a list of them (JSON values inherit no enumerable keys). Equal when
  // as many keys hold a value in each and each of a's equals b's.
  let na = 0;
  for (const k in oa) {
    const x = oa[k];
    if (x === undefined) continue;
    if (!deepEqual(x, ob[k])) return false;
    na++;
  }
  let nb = 0;
  for (const k in ob) if (ob[k] !== undefined) nb++;
  return na === nb;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

export function joinApiVersion(group: string, version: string): string {
  return group ? `${group}/${version}` : version;
}
