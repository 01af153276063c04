import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeJson, GoDecodeError, scanJson } from '../../../src/model/patch/godecode.js';
import { goSprint, goTypeName } from '../../../src/model/patch/gofmt.js';

describe("decoding as Go's encoding/json", () => {
  // Go's scanner messages for each kind of syntax error.
  const cases: Array<[string, string]> = [
    ['', 'unexpected end of JSON input'],
    ['{"a":[1,', 'unexpected end of JSON input'],
    ['nope', "invalid character 'o' in literal null (expecting 'u')"],
    ['tru', 'unexpected end of JSON input'],
    ['{bad}', "invalid character 'b' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', `invalid character '"' after object key:value pair`],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['[1 2]', "invalid character '2' after array element"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['{}x', "invalid character 'x' after top-level value"],
    ['01', "invalid character '1' after top-level value"],
    ['-x', "invalid character 'x' in numeric literal"],
    ['1.x', "invalid character 'x' after decimal point in numeric literal"],
    ['1e+', 'unexpected end of JSON input'],
    ['1ex', "invalid character 'x' in exponent of numeric literal"],
    ['"a\u0001"', "invalid character '\\x01' in string literal"],
    ['"\n"', "invalid character '\\n' in string literal"],
    ['"\\q"', "invalid character 'q' in string escape code"],
    ['"\\u12x4"', "invalid character 'x' in \\u hexadecimal character escape"],
    ["'a'", "invalid character '\\'' looking for beginning of value"],
    ['\u00e9', "invalid character 'Ã' looking for beginning of value"],
  ];
  for (const [input, message] of cases) {
    test(`${JSON.stringify(input)} → ${message}`, () => {
      assert.throws(() => decodeJson(input), (e) => e instanceof GoDecodeError && e.syntax && e.message === message);
    });
  }

  test('valid JSON decodes, with any whitespace Go allows', () => {
    assert.deepEqual(decodeJson(' \r\n\t{"a":[1,-2.5e3,{"b":true,"c":null}],"d":"\\u00e9\\n"} '), { a: [1, -2500, { b: true, c: null }], d: 'é\n' });
  });

  test('nesting deeper than 10000 is refused', () => {
    assert.equal(scanJson(new TextEncoder().encode('['.repeat(10000) + ']'.repeat(10000))), undefined);
    assert.equal(scanJson(new TextEncoder().encode('['.repeat(10001))), "invalid character '[' exceeded max depth");
  });

  test('the scanner accepts exactly what JSON.parse accepts', () => {
    const accepts = (s: string) => {
      try {
        JSON.parse(s);
        return true;
      } catch {
        return false;
      }
    };
    const text = fc.oneof(fc.json(), fc.string({ unit: fc.constantFrom(...'{}[]:,"\\ 0123-.eE+tfnrulsa\n') }));
    fc.assert(
      fc.property(text, (s) => {
        assert.equal(scanJson(new TextEncoder().encode(s)) === undefined, accepts(s), s);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("Go's fmt of decoded values", () => {
  test('%v of maps, slices and scalars', () => {
    assert.equal(goSprint({ name: 'x', b: [1, 'a', true, null], c: {} }), 'map[b:[1 a true <nil>] c:map[] name:x]');
    assert.equal(goSprint(2.5), '2.5');
    assert.equal(goSprint(1000000.5), '1.0000005e+06');
    assert.equal(goSprint(0.00001), '1e-05');
    assert.equal(goSprint(1e21), '1e+21');
  });

  test('%s of non-strings, and reflect type names', () => {
    assert.equal(goSprint(1, 's'), '%!s(int64=1)');
    assert.equal(goSprint(true, 's'), '%!s(bool=true)');
    assert.equal(goSprint(null, 's'), '%!s(<nil>)');
    assert.deepEqual([{}, [], 'x', 1, 1.5, false, null].map(goTypeName), [
      'map[string]interface {}',
      '[]interface {}',
      'string',
      'int64',
      'float64',
      'bool',
      '%!s(<nil>)',
    ]);
  });
});
