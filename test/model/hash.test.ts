import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fnv32, fnv32a } from '../../src/model/hash.js';

test("FNV-1 and FNV-1a match the reference vectors, and a string hashes as its UTF-8 bytes (ASCII ones without encoding)", () => {
  assert.equal(fnv32a(''), 0x811c9dc5);
  assert.equal(fnv32a('a'), 0xe40c292c);
  assert.equal(fnv32a('foobar'), 0xbf9cf968);
  assert.equal(fnv32('a'), 0x050c5d7e);
  assert.equal(fnv32('foobar'), 0x31f0b262);
  const bytes = (s: string) => new TextEncoder().encode(s);
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-ascii' })), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
      assert.equal(fnv32a(s, seed), fnv32a(bytes(s), seed));
      assert.equal(fnv32(s, seed), fnv32(bytes(s), seed));
    }),
    { numRuns: 2000 },
  );
});
