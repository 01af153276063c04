import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertKey, compareKeys, prefixEnd } from '../../src/store/keys.js';

// Strings from a small alphabet with the characters where UTF-16 and code point order disagree.
const str = fc.array(fc.constantFrom('a', 'b', '/', '\uD7FF', '\uE000', '\uFFFF', '\u{10000}', '\u{10FFFF}'), { maxLength: 5 }).map((a) => a.join(''));

test('compareKeys is UTF-8 byte order (SQLite BINARY)', () => {
  fc.assert(
    fc.property(str, str, (a, b) => {
      assert.equal(Math.sign(compareKeys(a, b)), Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }),
  );
});

test('keys under a prefix are exactly those in [prefix, prefixEnd(prefix))', () => {
  fc.assert(
    fc.property(str, str, (p, s) => {
      const end = prefixEnd(p);
      const inRange = compareKeys(s, p) >= 0 && (end === undefined || compareKeys(s, end) < 0);
      assert.equal(inRange, s.startsWith(p));
    }),
  );
  assert.equal(prefixEnd('/core/pods/'), '/core/pods0');
  assert.equal(prefixEnd(''), undefined);
  assert.equal(prefixEnd('a\u{10FFFF}'), 'b');
});

test('keys must be non-empty and well-formed', () => {
  assert.throws(() => assertKey(''), TypeError);
  assert.throws(() => assertKey('/a/\uD800'), TypeError);
  assert.doesNotThrow(() => assertKey('/a/\u{1F600}'));
});
