// Decoding a patch body as the API server's Go JSON decoder does, failing with its messages:
// the syntax errors of encoding/json's scanner ("invalid character 'x' looking for beginning of
// value", "unexpected end of JSON input") and its type errors ("json: cannot unmarshal array into
// Go value of type map[string]interface {}"). Upstream puts these texts in 400 responses.
import type { Json } from './json.js';

export class GoDecodeError extends Error {
  constructor(
    message: string,
    /** A syntax error, as opposed to a well-formed value of the wrong type. */
    readonly syntax: boolean,
  ) {
    super(message);
    this.name = 'GoDecodeError';
  }
}

/** Parses a body, checking it first with Go's scanner so that invalid input fails as Go fails. */
export function decodeJson(body: string | Uint8Array): Json {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
  const problem = scanJson(bytes);
  if (problem) throw new GoDecodeError(problem, true);
  return JSON.parse(new TextDecoder().decode(bytes)) as Json;
}

/** The UnmarshalTypeError for a decoded value that does not fit Go type `goType`. */
export function unmarshalTypeError(v: Json, goType: string): GoDecodeError {
  const what = v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v === 'boolean' ? 'bool' : typeof v;
  return new GoDecodeError(`json: cannot unmarshal ${what} into Go value of type ${goType}`, false);
}

const maxNestingDepth = 10000;
const EOF = 'unexpected end of JSON input';

/** encoding/json's checkValid: undefined when the bytes are one valid JSON value. */
export function scanJson(b: Uint8Array): string | undefined {
  let i = 0;
  const stack: Array<'object' | 'array'> = [];
  const bad = (ctx: string) => `invalid character ${quoteChar(b[i]!)} ${ctx}`;
  const skipSpace = () => {
    while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d)) i++;
  };
  const digits = () => {
    while (i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39) i++;
  };
  const isDigit = () => i < b.length && b[i]! >= 0x30 && b[i]! <= 0x39;

  // One string literal starting at the opening quote.
  const string = (): string | undefined => {
    i++;
    for (;;) {
      if (i >= b.length) return EOF;
      const c = b[i]!;
      if (c === 0x22) {
        i++;
        return undefined;
      }
      if (c < 0x20) return bad('in string literal');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      i++;
      if (i >= b.length) return EOF;
      if ('bfnrt\\/"'.includes(String.fromCharCode(b[i]!))) {
        i++;
        continue;
      }
      if (b[i] !== 0x75) return bad('in string escape code');
      i++;
      for (let n = 0; n < 4; n++, i++) {
        if (i >= b.length) return EOF;
        if (!/[0-9a-fA-F]/.test(String.fromCharCode(b[i]!))) return bad('in \\u hexadecimal character escape');
      }
    }
  };

  const number = (): string | undefined => {
    if (b[i] === 0x2d) {
      i++;
      if (i >= b.length) return EOF;
      if (!isDigit()) return bad('in numeric literal');
    }
    if (b[i] === 0x30) i++;
    else digits();
    if (i < b.length && b[i] === 0x2e) {
      i++;
      if (i >= b.length) return EOF;
      if (!isDigit()) return bad('after decimal point in numeric literal');
      digits();
    }
    if (i < b.length && (b[i] === 0x65 || b[i] === 0x45)) {
      i++;
      if (i < b.length && (b[i] === 0x2b || b[i] === 0x2d)) i++;
      if (i >= b.length) return EOF;
      if (!isDigit()) return bad('in exponent of numeric literal');
      digits();
    }
    return undefined;
  };

  const literal = (word: string): string | undefined => {
    for (let n = 1; n < word.length; n++) {
      i++;
      if (i >= b.length) return EOF;
      if (b[i] !== word.charCodeAt(n)) return bad(`in literal ${word} (expecting ${quoteChar(word.charCodeAt(n))})`);
    }
    i++;
    return undefined;
  };

  // An object key and its colon, with i at the key's opening quote (or what stands there instead).
  const key = (): string | undefined => {
    if (i >= b.length) return EOF;
    if (b[i] !== 0x22) return bad('looking for beginning of object key string');
    const err = string();
    if (err) return err;
    skipSpace();
    if (i >= b.length) return EOF;
    if (b[i] !== 0x3a) return bad('after object key');
    i++;
    return undefined;
  };

  for (;;) {
    // A value begins here.
    skipSpace();
    if (i >= b.length) return EOF;
    const c = b[i]!;
    let err: string | undefined;
    if (c === 0x7b || c === 0x5b) {
      if (stack.length >= maxNestingDepth) return bad('exceeded max depth');
      i++;
      skipSpace();
      if (i >= b.length) return EOF;
      if (c === 0x7b && b[i] !== 0x7d) {
        stack.push('object');
        if ((err = key())) return err;
        continue;
      }
      if (c === 0x5b && b[i] !== 0x5d) {
        stack.push('array');
        continue;
      }
      i++; // an empty {} or []
    } else if (c === 0x22) err = string();
    else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) err = number();
    else if (c === 0x74) err = literal('true');
    else if (c === 0x66) err = literal('false');
    else if (c === 0x6e) err = literal('null');
    else return bad('looking for beginning of value');
    if (err) return err;

    // The value ended: close containers until one expects another element.
    for (;;) {
      skipSpace();
      const top = stack[stack.length - 1];
      if (!top) return i < b.length ? bad('after top-level value') : undefined;
      if (i >= b.length) return EOF;
      if (b[i] === 0x2c) {
        i++;
        if (top === 'object') {
          skipSpace();
          if ((err = key())) return err;
        }
        break;
      }
      if (b[i] === (top === 'object' ? 0x7d : 0x5d)) {
        i++;
        stack.pop();
        continue;
      }
      return bad(top === 'object' ? 'after object key:value pair' : 'after array element');
    }
  }
}

/** Go's quoteChar: the offending byte, quoted the way its scanner errors quote it. */
function quoteChar(c: number): string {
  if (c === 0x27) return `'\\''`;
  if (c === 0x22) return `'"'`;
  // strconv.Quote(string(rune(c))) without its double quotes; bytes >= 0x80 read as Latin-1 runes.
  const special: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v', 0x5c: '\\\\' };
  if (special[c]) return `'${special[c]}'`;
  if (c < 0x20 || c === 0x7f) return `'\\x${c.toString(16).padStart(2, '0')}'`;
  if ((c >= 0x80 && c <= 0xa0) || c === 0xad) return `'\\u${c.toString(16).padStart(4, '0')}'`;
  return `'${String.fromCharCode(c)}'`;
}
