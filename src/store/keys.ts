// Key order and prefix ranges, shared by every backend so they agree exactly: keys sort by Unicode
// code point, which is SQLite's BINARY order on UTF-8 text (JavaScript's `<` compares UTF-16 code
// units, which differs once astral characters meet U+E000..U+FFFF).

const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Keys must be non-empty well-formed strings: a lone surrogate cannot round-trip through UTF-8. */
export function assertKey(key: string): void {
  if (typeof key !== 'string' || key === '' || loneSurrogate.test(key)) {
    throw new TypeError(`invalid store key ${JSON.stringify(key)}`);
  }
}

export function assertPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || loneSurrogate.test(prefix)) {
    throw new TypeError(`invalid store prefix ${JSON.stringify(prefix)}`);
  }
}

// Surrogates (astral characters) rank above U+E000..U+FFFF, as their code points do.
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit < 0xe000 ? unit + 0x2000 : unit - 0x800;
}

/** Code point order of two keys. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/**
 * The least string above every string that starts with prefix (undefined: no bound), so that the
 * keys under prefix are exactly those in [prefix, end).
 */
export function prefixEnd(prefix: string): string | undefined {
  const cps = Array.from(prefix);
  while (cps.length > 0) {
    const cp = cps.pop()!.codePointAt(0)!;
    if (cp < 0x10ffff) return cps.join('') + String.fromCodePoint(cp === 0xd7ff ? 0xe000 : cp + 1);
  }
  return undefined;
}
