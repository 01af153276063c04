// .dockerignore matching as moby/patternmatcher does it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PatternMatcher, readDockerignore } from '../../../src/engine/build/dockerignore.js';

const m = (patterns: string[], file: string) => new PatternMatcher(patterns).matches(file);

test('reading: comments, blanks, leading slash, cleaning, exceptions', () => {
  assert.deepEqual(readDockerignore('# comment\n\n/foo\nbar/\n ! keep \n./a/../b\n*.md\r\n'), ['foo', 'bar', '!keep', 'b', '*.md']);
});

test('basic globs', () => {
  assert.equal(m(['*.md'], 'README.md'), true);
  assert.equal(m(['*.md'], 'docs/README.md'), false);
  assert.equal(m(['*/*.md'], 'docs/README.md'), true);
  assert.equal(m(['fo?'], 'foo'), true);
  assert.equal(m(['fo?'], 'fo/o'), false);
  assert.equal(m(['[a-c]at'], 'bat'), true);
  assert.equal(m(['[a-c]at'], 'rat'), false);
});

test('** crosses directories, including none', () => {
  assert.equal(m(['**/*.go'], 'a.go'), true);
  assert.equal(m(['**/*.go'], 'x/y/z/a.go'), true);
  assert.equal(m(['a/**/b'], 'a/b'), true);
  assert.equal(m(['a/**/b'], 'a/x/y/b'), true);
  assert.equal(m(['a/**'], 'a/x/y'), true);
  assert.equal(m(['**'], 'anything/at/all'), true);
});

test('a matching parent directory excludes what is below it', () => {
  assert.equal(m(['node_modules'], 'node_modules/x/index.js'), true);
  assert.equal(m(['build'], 'src/build'), false);
});

test('exceptions: later patterns win', () => {
  assert.equal(m(['*.md', '!README.md'], 'README.md'), false);
  assert.equal(m(['*.md', '!README.md'], 'CHANGES.md'), true);
  assert.equal(m(['*.md', '!README.md', 'README*'], 'README.md'), true);
  assert.equal(m(['docs', '!docs/keep.txt'], 'docs/keep.txt'), false);
  assert.equal(m(['docs', '!docs/keep.txt'], 'docs/other.txt'), true);
  assert.equal(m(['docs/*', '!docs/keep.txt'], 'docs/keep.txt'), false);
});

test('escapes and regexp specials are literal', () => {
  assert.equal(m(['a+b.txt'], 'a+b.txt'), true);
  assert.equal(m(['a+b.txt'], 'aab.txt'), false);
  assert.equal(m(['\\*x'], '*x'), true);
  assert.equal(m(['\\*x'], 'yx'), false);
});
