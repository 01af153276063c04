// Commands whose Node flags differ from the rest are given them as the process starts, in one place
// each for the CLI (bin/berth) and the code that names them: the two must agree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHECK_NODE_FLAGS } from '../src/verify/jit.js';
import { SIM_NODE_FLAGS } from '../src/sim/node-flags.js';

const bin = readFileSync(new URL('../../bin/berth', import.meta.url), 'utf8');

for (const [command, flags] of [['check', CHECK_NODE_FLAGS], ['sim', SIM_NODE_FLAGS]] as const) {
  test(`bin/berth starts \`berth ${command}\` with the flags the code names`, () => {
    const line = new RegExp(`^\\[ "\\$\\{1:-\\}" = ${command} \\] && only=(.*)$`, 'm').exec(bin);
    assert.ok(line, `bin/berth sets $only for \`berth ${command}\``);
    assert.deepEqual(line[1]!.split(' '), flags);
  });
}

test("bin/berth gives a command's own flags after the common ones, so that they win", () => {
  assert.match(bin, /^exec node --[^$]* \$only "\$main" "\$@"$/m);
});
