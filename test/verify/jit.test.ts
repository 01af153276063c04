// The flags a check runs under are given as the process starts, in one place each for the CLI
// (bin/berth) and the code (jit.ts): the two must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHECK_NODE_FLAGS } from '../../src/verify/jit.js';

test('bin/berth starts `berth check` with the flags jit.ts names', () => {
  const bin = readFileSync(new URL('../../../bin/berth', import.meta.url), 'utf8');
  const line = /^\[ "\$\{1:-\}" = check \] && check=(.*)$/m.exec(bin);
  assert.ok(line, 'bin/berth sets $check for `berth check`');
  assert.deepEqual(line[1]!.split(' '), CHECK_NODE_FLAGS);
  assert.match(bin, /^exec node .* \$check "\$main" "\$@"$/m);
});
