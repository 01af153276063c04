// Field paths and field errors, formatted exactly as upstream's validation/field package so that
// messages, causes and field paths match what kubectl users see from a real API server.

export type FieldErrorType =
  | 'FieldValueNotFound'
  | 'FieldValueRequired'
  | 'FieldValueDuplicate'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueTooMany'
  | 'InternalError'
  | 'FieldValueTypeInvalid';

const typeText: Record<FieldErrorType, string> = {
  FieldValueNotFound: 'Not found',
  FieldValueRequired: 'Required value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueTooMany: 'Too many',
  InternalError: 'Internal error',
  FieldValueTypeInvalid: 'Invalid value',
};

/** A path into an object, printed as upstream prints it: `spec.containers[0].ports[1]`, `metadata.labels[app]`. */
export class FieldPath {
  private constructor(private readonly text: string) {}
  static root(...names: string[]): FieldPath {
    return new FieldPath('').child(...names);
  }
  child(...names: string[]): FieldPath {
    let t = this.text;
    for (const n of names) t = t === '' ? n : `${t}.${n}`;
    return new FieldPath(t);
  }
  index(i: number): FieldPath {
    return new FieldPath(`${this.text}[${i}]`);
  }
  key(k: string): FieldPath {
    return new FieldPath(`${this.text}[${k}]`);
  }
  toString(): string {
    return this.text;
  }
}

/** Marks a field error whose value must not be printed (upstream's omitValue). */
export const omitValue: unique symbol = Symbol('omitValue');

export class FieldError {
  constructor(
    readonly type: FieldErrorType,
    readonly field: string,
    readonly badValue: unknown,
    readonly detail: string,
  ) {}

  /** The message without the field name (a StatusCause's message). */
  body(): string {
    let s: string;
    const t = typeText[this.type];
    if (
      this.type === 'FieldValueRequired' ||
      this.type === 'FieldValueForbidden' ||
      this.type === 'FieldValueTooLong' ||
      this.type === 'InternalError' ||
      this.badValue === omitValue
    ) {
      s = t;
    } else {
      s = `${t}: ${formatValue(this.badValue)}`;
    }
    if (this.detail) s += `: ${this.detail}`;
    return s;
  }

  toString(): string {
    return `${this.field}: ${this.body()}`;
  }
}

/**
 * A value already printed the way Go's fmt prints it (`%#v` of a map or struct, or a Stringer), for
 * the messages where upstream reports such a value: `map[string]string{"app":"x"}`.
 */
export class GoRepr {
  constructor(readonly repr: string) {}
  toString(): string {
    return this.repr;
  }
}

/**
 * Any value as text where a string was expected: a string itself, null or undefined empty, anything
 * else its JSON. (String() throws on an object whose toString is not a function, which a request
 * body may hold: `{"toString": 0}`.)
 */
export function textOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === null || v === undefined) return '';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

/** Go's %q / %v formatting for the values validation reports. */
export function formatValue(v: unknown): string {
  if (v instanceof GoRepr) return v.repr;
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(formatValue).join(', ')}}`;
  return JSON.stringify(v);
}

/** Go's strconv.Quote for the printable subset we produce. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + '"';
}

type P = FieldPath | string;
const ps = (p: P) => (typeof p === 'string' ? p : p.toString());

export const fieldErrors = {
  required: (p: P, detail = '') => new FieldError('FieldValueRequired', ps(p), '', detail),
  invalid: (p: P, value: unknown, detail = '') => new FieldError('FieldValueInvalid', ps(p), value, detail),
  notFound: (p: P, value: unknown) => new FieldError('FieldValueNotFound', ps(p), value, ''),
  duplicate: (p: P, value: unknown) => new FieldError('FieldValueDuplicate', ps(p), value, ''),
  forbidden: (p: P, detail: string) => new FieldError('FieldValueForbidden', ps(p), '', detail),
  notSupported: (p: P, value: unknown, valid: readonly string[]) =>
    new FieldError(
      'FieldValueNotSupported',
      ps(p),
      value,
      valid.length ? `supported values: ${valid.map(goQuote).join(', ')}` : '',
    ),
  tooLong: (p: P, value: unknown, max: number) =>
    new FieldError('FieldValueTooLong', ps(p), value, `must have at most ${max} bytes`),
  tooMany: (p: P, actual: number, max: number) =>
    new FieldError(
      'FieldValueTooMany',
      ps(p),
      actual >= 0 ? actual : omitValue,
      max >= 0 ? `must have at most ${max} items` : 'has too many items',
    ),
  typeInvalid: (p: P, value: unknown, detail: string) => new FieldError('FieldValueTypeInvalid', ps(p), value, detail),
  internal: (p: P, err: Error | string) =>
    new FieldError('InternalError', ps(p), null, typeof err === 'string' ? err : err.message),
};

/** Upstream's aggregate: one message alone, several as `[a, b]`, duplicates dropped. */
export function aggregate(errs: readonly FieldError[]): string {
  const msgs = [...new Set(errs.map((e) => e.toString()))];
  return msgs.length === 1 ? msgs[0]! : `[${msgs.join(', ')}]`;
}
