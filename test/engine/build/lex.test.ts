// Variable substitution and word splitting as buildkit's shell lexer does it (cases from its
// envVarTest and wordsTest tables).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Lex } from '../../../src/engine/build/lex.js';

const env = ['PWD=/home', 'SHELL=bash', 'KOREAN=한국어', 'EMPTY=', 'a=1'];
const lex = new Lex('\\');
const word = (s: string, e = env) => lex.processWord(s, e);

test('plain words, quotes and escapes', () => {
  const cases: [string, string][] = [
    ['hello', 'hello'],
    ['he\'l\'lo', 'hello'],
    ['he"l"lo', 'hello'],
    ["'hello world'", 'hello world'],
    ['"hello world"', 'hello world'],
    ['hello\\ world', 'hello world'],
    ['\\$PWD', '$PWD'],
    ['"\\$PWD"', '$PWD'],
    ["'$PWD'", '$PWD'],
    ['"a\\b"', 'a\\b'],
    ['"a\\"b"', 'a"b'],
    ['he\\', 'he'],
    ['$', '$'],
    ['$.', '$.'],
  ];
  for (const [i, o] of cases) assert.equal(word(i), o, i);
});

test('variables: $x, ${x}, unset and unicode', () => {
  assert.equal(word('$PWD'), '/home');
  assert.equal(word('${PWD}'), '/home');
  assert.equal(word('a$PWD-b'), 'a/home-b');
  assert.equal(word('"$PWD"'), '/home');
  assert.equal(word('$KOREAN'), '한국어');
  assert.equal(word('$NOPE'), '');
  assert.equal(word('${NOPE}x'), 'x');
  assert.equal(word('$a$a'), '11');
});

test('modifiers: - + ? with and without colon, set vs empty', () => {
  assert.equal(word('${PWD:-x}'), '/home');
  assert.equal(word('${NOPE:-x}'), 'x');
  assert.equal(word('${EMPTY:-x}'), 'x');
  assert.equal(word('${EMPTY-x}'), '');
  assert.equal(word('${NOPE-x}'), 'x');
  assert.equal(word('${PWD:+x}'), 'x');
  assert.equal(word('${EMPTY:+x}'), '');
  assert.equal(word('${EMPTY+x}'), 'x');
  assert.equal(word('${NOPE:+x}'), '');
  assert.equal(word('${NOPE:-$PWD}'), '/home');
  assert.equal(word('${NOPE:-${SHELL:-y}}'), 'bash');
  assert.equal(word('${PWD:?oops}'), '/home');
  assert.throws(() => word('${NOPE:?oops}'), /NOPE: oops/);
  assert.throws(() => word('${NOPE?}'), /NOPE: is not allowed to be unset/);
  assert.throws(() => word('${EMPTY:?}'), /EMPTY: is not allowed to be empty/);
});

test('pattern removal ${x#p} ${x##p} ${x%p} ${x%%p}', () => {
  const e = ['F=foo/bar/baz.tar.gz'];
  assert.equal(word('${F#*/}', e), 'bar/baz.tar.gz');
  assert.equal(word('${F##*/}', e), 'baz.tar.gz');
  assert.equal(word('${F%.*}', e), 'foo/bar/baz.tar');
  assert.equal(word('${F%%.*}', e), 'foo/bar/baz');
});

test('syntax errors carry upstream messages', () => {
  assert.throws(() => word('${PWD'), /failed to process "\$\{PWD": syntax error: missing '\}'/);
  assert.throws(() => word('${}'), /bad substitution/);
  assert.throws(() => word('${:x}'), /bad substitution/);
  assert.throws(() => word('${PWD:=x}'), /unsupported modifier \(=\) in substitution/);
  assert.throws(() => word("'abc"), /matching single-quote/);
  assert.throws(() => word('"abc'), /matching double-quote/);
});

test('words split after substitution, quotes keep spaces', () => {
  const e = ['W=a b  c', 'Q=x'];
  assert.deepEqual(lex.processWords('$W', e), ['a', 'b', 'c']);
  assert.deepEqual(lex.processWords('"$W"', e), ['a b  c']);
  assert.deepEqual(lex.processWords('one "two three" four', e), ['one', 'two three', 'four']);
  assert.deepEqual(lex.processWords('x\\ y z', e), ['x y', 'z']);
  assert.deepEqual(lex.processWords("''", e), []);
});

test('the backtick escape token', () => {
  const bt = new Lex('`');
  assert.equal(bt.processWord('a`$b', ['b=1']), 'a$b');
  assert.equal(bt.processWord('c:\\windows', []), 'c:\\windows');
});

test('property: text without special characters comes back unchanged', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[a-zA-Z0-9 _.,:/=-]*$/), (s) => {
      assert.equal(lex.processWord(s, []), s);
    }),
  );
});

test('property: a variable substitutes to its value exactly', () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[^$'"\\]*$/), (v) => {
      assert.equal(lex.processWord('${V}', [`V=${v}`]), v);
      assert.equal(lex.processWord('"$V"', [`V=${v}`]), v);
    }),
  );
});
