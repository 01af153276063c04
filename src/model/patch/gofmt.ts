// Decoded JSON as Go sees it: the dynamic type each value would have after the API server's
// decode (integers stay int64, as sigs.k8s.io/json's PreserveInts keeps them), and fmt's %v/%s
// printing of those values. Upstream's patch errors print values this way ("map: map[image:x]
// does not contain declared merge key: name"), and its list diffs sort by the %v text.
import type { Json } from './json.js';

export type GoKind = 'map' | 'slice' | 'string' | 'bool' | 'int64' | 'float64' | 'nil';

export function goKind(v: Json | undefined): GoKind {
  if (v === null || v === undefined) return 'nil';
  if (Array.isArray(v)) return 'slice';
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(v) && Math.abs(v) < 2 ** 63 ? 'int64' : 'float64';
    default:
      return 'map';
  }
}

/** reflect.TypeOf(v) printed with %s; a nil interface has no type, which fmt prints as below. */
export function goTypeName(v: Json | undefined): string {
  const k = goKind(v);
  if (k === 'map') return 'map[string]interface {}';
  if (k === 'slice') return '[]interface {}';
  return k === 'nil' ? '%!s(<nil>)' : k;
}

/** Byte-wise (UTF-8) string order, as Go compares strings; equals code point order. */
export function goCompare(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; ) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(i)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** fmt's %v (or %s, which prints non-strings as `%!s(type=value)`) of a decoded JSON value. */
export function goSprint(v: Json | undefined, verb: 'v' | 's' = 'v'): string {
  const k = goKind(v);
  switch (k) {
    case 'nil':
      return verb === 'v' ? '<nil>' : '%!s(<nil>)';
    case 'string':
      return v as string;
    case 'slice':
      return `[${(v as Json[]).map((e) => goSprint(e, verb)).join(' ')}]`;
    case 'map': {
      const o = v as Record<string, Json>;
      const keys = Object.keys(o).sort(goCompare);
      return `map[${keys.map((key) => `${key}:${goSprint(o[key], verb)}`).join(' ')}]`;
    }
    default: {
      const text = k === 'bool' ? String(v) : k === 'int64' ? (v as number).toFixed(0) : goFloat(v as number);
      return verb === 'v' ? text : `%!s(${k}=${text})`;
    }
  }
}

/**
 * fmt's %v of a float64: %g with the shortest digits, which picks the exponent form when the
 * exponent is below -4 or at least 6 (so 1e+06 and 1.5e-05, where JavaScript prints 1000000).
 */
function goFloat(f: number): string {
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mantissa, e] = f.toExponential().split('e');
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(f);
}

/** Go's `x == y` on two interface values: different dynamic types are unequal; maps and slices panic. */
export function goEqual(a: Json | undefined, b: Json | undefined): boolean {
  const ka = goKind(a);
  if (ka !== goKind(b)) return false;
  if (ka === 'map' || ka === 'slice') throw new GoPanic(`runtime error: comparing uncomparable type ${goTypeName(a)}`);
  return ka === 'nil' || a === b;
}

/** A key for a Go map[interface{}]: maps and slices are unhashable and panic. */
export function goHashKey(v: Json | undefined): string {
  const k = goKind(v);
  if (k === 'map' || k === 'slice') throw new GoPanic(`runtime error: hash of unhashable type ${goTypeName(v)}`);
  return `${k}:${goSprint(v)}`;
}

/** Where upstream's code would panic; the API server recovers and answers 500. */
export class GoPanic extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GoPanic';
  }
}
