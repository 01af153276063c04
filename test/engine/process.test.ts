// Telling a running process from one that has exited but not been reaped (a zombie answers
// signal 0 like a live process): what lets the kubelet refuse an attach to a container whose
// command has ended before the engine has handled its exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { processAlive, processRunning } from '../../src/engine/sys.js';

const childrenFile = (pid: number) => `/proc/${pid}/task/${pid}/children`;
const skip = existsSync(childrenFile(process.pid)) ? false : 'needs /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN)';

test('processRunning: a zombie has exited, though it answers signal 0', { skip }, async () => {
  // sh starts a short sleep and becomes a long one, which never reaps the short one
  const p = spawn('sh', ['-c', 'sleep 0 & exec sleep 5'], { stdio: 'ignore' });
  try {
    let zombie: number | undefined;
    for (let i = 0; i < 100 && zombie === undefined; i++) {
      await new Promise((r) => setTimeout(r, 20));
      const kids = readFileSync(childrenFile(p.pid!), 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      zombie = kids.find((k) => {
        try {
          const stat = readFileSync(`/proc/${k}/stat`, 'utf8');
          return stat.slice(stat.lastIndexOf(')')).startsWith(') Z ');
        } catch {
          return false;
        }
      });
    }
    assert.ok(zombie !== undefined, 'no zombie appeared');
    assert.equal(processAlive(zombie), true);
    assert.equal(processRunning(zombie), false);
    assert.equal(processRunning(p.pid!), true);
    assert.equal(processRunning(0), false);
  } finally {
    p.kill('SIGKILL');
  }
});
