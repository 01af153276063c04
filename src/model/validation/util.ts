// Helpers shared by the per-group validators: tolerant accessors over wire JSON (a field of the
// wrong type reads as Go's zero value instead of crashing), common checks, and Go-style printing
// of the composite values upstream puts into some messages.
import { deepEqual } from '../object.js';
import { FieldError, FieldPath, fieldErrors, GoRepr, goQuote } from '../field.js';
import { QuantityError, quantityFromJSON, type Quantity } from '../quantity.js';
import {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidPathSegmentName,
  isValidPathSegmentPrefix,
  isValidPercent,
  isValidPortName,
  isValidPortNum,
} from './strings.js';

export type Obj = Record<string, unknown>;
export type Errs = FieldError[];

export const obj = (v: unknown): Obj | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const objs = (v: unknown): Obj[] => arr(v).map((x) => obj(x) ?? {});
export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
export const strs = (v: unknown): string[] => arr(v).map(str);
export const isSet = (v: unknown): boolean => v !== undefined && v !== null;
export const bool = (v: unknown): boolean => v === true;
/** The entries of a JSON map, sorted for deterministic error order (Go's map order is random). */
export const entries = (v: unknown): [string, unknown][] => {
  const o = obj(v);
  return o ? Object.keys(o).sort().map((k) => [k, o[k]]) : [];
};
export const keys = (v: unknown): string[] => entries(v).map(([k]) => k);
export const isEmptyMap = (v: unknown): boolean => keys(v).length === 0;

export const IS_NEGATIVE = 'must be greater than or equal to 0';
export const FIELD_IMMUTABLE = 'field is immutable';
export const IS_NOT_POSITIVE = 'must be greater than zero';

export function nonNegative(value: unknown, path: FieldPath): Errs {
  const v = num(value);
  return v < 0 ? [fieldErrors.invalid(path, v, IS_NEGATIVE)] : [];
}

/** Semantic equality of wire values: absent, null, empty map and empty list are one. */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return deepEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(normalize);
  if (v !== null && typeof v === 'object') {
    const out: Obj = {};
    for (const [k, x] of Object.entries(v)) {
      const n = normalize(x);
      if (n !== undefined) out[k] = n;
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return v === null ? undefined : v;
}

export function immutable(newVal: unknown, oldVal: unknown, path: FieldPath, shown: unknown = newVal): Errs {
  return semanticEqual(newVal, oldVal) ? [] : [fieldErrors.invalid(path, shown, FIELD_IMMUTABLE)];
}

/** Name validation functions (ValidateNameFunc): prefix is true for generateName. */
export type NameFn = (name: string, prefix: boolean) => string[];

const maskTrailingDash = (name: string) => (name.endsWith('-') ? `${name.slice(0, -2)}a` : name);
export const nameIsDNSSubdomain: NameFn = (n, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(n) : n);
export const nameIsDNSLabel: NameFn = (n, prefix) => isDNS1123Label(prefix ? maskTrailingDash(n) : n);
export const nameIsDNS1035Label: NameFn = (n, prefix) => isDNS1035Label(prefix ? maskTrailingDash(n) : n);
export const nameIsPathSegment: NameFn = (n, prefix) => (prefix ? isValidPathSegmentPrefix(n) : isValidPathSegmentName(n));

export function dns1123Label(value: string, path: FieldPath): Errs {
  return isDNS1123Label(value).map((m) => fieldErrors.invalid(path, value, m));
}
export function dns1123Subdomain(value: string, path: FieldPath): Errs {
  return isDNS1123Subdomain(value).map((m) => fieldErrors.invalid(path, value, m));
}
export function qualifiedName(value: string, path: FieldPath): Errs {
  return isQualifiedName(value).map((m) => fieldErrors.invalid(path, value, m));
}
export function nameErrors(fn: NameFn, value: string, path: FieldPath): Errs {
  return fn(value, false).map((m) => fieldErrors.invalid(path, value, m));
}

/** An IntOrString as JSON carries it. */
export type IntOrString = { type: 'int'; value: number } | { type: 'string'; value: string };
export function intOrString(v: unknown): IntOrString | undefined {
  if (typeof v === 'number') return { type: 'int', value: v };
  if (typeof v === 'string') return { type: 'string', value: v };
  return undefined;
}

/** ValidatePortNumOrName. */
export function portNumOrName(v: unknown, path: FieldPath): Errs {
  const p = intOrString(v) ?? { type: 'int', value: 0 };
  if (p.type === 'int') return isValidPortNum(p.value).map((m) => fieldErrors.invalid(path, p.value, m));
  return isValidPortName(p.value).map((m) => fieldErrors.invalid(path, p.value, m));
}

/** getIntOrPercentValue: a percentage's number, or the integer. */
export function intOrPercentValue(v: unknown): number {
  const p = intOrString(v);
  if (!p) return 0;
  if (p.type === 'int') return p.value;
  if (isValidPercent(p.value).length === 0) return Number(p.value.slice(0, -1));
  // IntValue() of a string parses it as an integer (0 on failure)
  return /^[+-]?\d+$/.test(p.value) ? Number(p.value) : 0;
}

/** Parses a quantity field; a malformed one yields the decoder's message as a field error. */
export function quantityAt(v: unknown, path: FieldPath, errs: Errs): Quantity | undefined {
  try {
    return quantityFromJSON(v);
  } catch (e) {
    if (e instanceof QuantityError) errs.push(fieldErrors.invalid(path, v as string, e.message));
    else throw e;
    return undefined;
  }
}

// ---- Go %#v printing of the composite values upstream reports ----

export const goStringMap = (m: unknown): GoRepr => {
  const e = entries(m);
  if (!obj(m)) return new GoRepr('map[string]string(nil)');
  return new GoRepr(`map[string]string{${e.map(([k, v]) => `${goQuote(k)}:${goQuote(str(v))}`).join(', ')}}`);
};

export const goStringSlice = (v: unknown, type = 'string'): GoRepr =>
  Array.isArray(v) ? new GoRepr(`[]${type}{${v.map((x) => goQuote(str(x))).join(', ')}}`) : new GoRepr(`[]${type}(nil)`);

export const goIntOrString = (v: unknown): GoRepr => {
  const p = intOrString(v);
  if (p?.type === 'string') return new GoRepr(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(p.value)}}`);
  return new GoRepr(`intstr.IntOrString{Type:0, IntVal:${p?.value ?? 0}, StrVal:""}`);
};

export const goLabelSelector = (ls: unknown, pkg = 'v1'): GoRepr => {
  const o = obj(ls);
  if (!o) return new GoRepr('null');
  const exprs = Array.isArray(o.matchExpressions)
    ? `[]${pkg}.LabelSelectorRequirement{${objs(o.matchExpressions)
        .map(
          (e) =>
            `${pkg}.LabelSelectorRequirement{Key:${goQuote(str(e.key))}, Operator:${goQuote(str(e.operator))}, Values:${goStringSlice(e.values).repr}}`,
        )
        .join(', ')}}`
    : `[]${pkg}.LabelSelectorRequirement(nil)`;
  return new GoRepr(`${pkg}.LabelSelector{MatchLabels:${goStringMap(o.matchLabels).repr}, MatchExpressions:${exprs}}`);
};

export { FieldPath, fieldErrors, type FieldError };
export const root = FieldPath.root;

/** ValidateLabels at an arbitrary path (re-exported from labels for the group validators). */
export { validateLabels as validateLabelsOf } from '../labels.js';
export { byteLength as byteLen } from './strings.js';
