// deepClone is the JSON round trip without the text: same result for every input the wire can
// carry and for the odd values that JSON.stringify rewrites or drops.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { deepClone } from '../../src/model/object.js';
import { byteLength } from '../../src/model/validation/strings.js';

const viaText = (v: unknown) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

test('deepClone equals JSON.parse(JSON.stringify(v)) on JSON-like values, including odd ones', () => {
  const odd = fc.constantFrom<unknown>(undefined, -0, NaN, Infinity, -Infinity, null, new Date(0), () => 1, Symbol('s'), [undefined, () => 1]);
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: 'small' },
      fc.jsonValue(),
      odd,
      fc.array(tie('v'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), tie('v'), { maxKeys: 4 }),
    ),
  })).v;
  fc.assert(
    fc.property(value, (v) => {
      const outcome = (f: () => unknown) => {
        try {
          return { value: f() };
        } catch (e) {
          return { error: (e as Error).constructor.name };
        }
      };
      const c = outcome(() => deepClone(v));
      assert.deepStrictEqual(c, outcome(() => viaText(v)));
      if (typeof v === 'object' && v !== null) assert.notEqual(c.value, v);
    }),
    { numRuns: 2000 },
  );
});

test('deepClone keeps an own "__proto__" key as data and copies deeply', () => {
  const v = JSON.parse('{"__proto__": {"x": 1}, "a": [{"b": 2}]}') as Record<string, unknown>;
  const c = deepClone(v);
  assert.equal(Object.getPrototypeOf(c), Object.prototype);
  assert.deepEqual(Object.keys(c), ['__proto__', 'a']);
  assert.equal(JSON.stringify(c), JSON.stringify(v));
  (c.a as { b: number }[])[0]!.b = 3;
  assert.equal((v.a as { b: number }[])[0]!.b, 2);
});

test('deepClone of values JSON cannot write fails as the round trip does', () => {
  assert.throws(() => deepClone(10n), TypeError);
  assert.throws(() => deepClone({ a: 10n }), TypeError);
  assert.equal(deepClone(undefined), undefined);
});

test('byteLength is the UTF-8 length TextEncoder gives, lone surrogates included', () => {
  const enc = new TextEncoder();
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.constantFrom('\ud800', 'a\udc00b', '\ud83d\ude00x')), (s) => {
      assert.equal(byteLength(s), enc.encode(s).length);
    }),
    { numRuns: 2000 },
  );
});
