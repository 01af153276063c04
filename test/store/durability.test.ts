// Every write SqliteStore acknowledged survives kill -9 of its process: a child writes in a loop
// and reports acknowledged keys; it is killed mid-loop and the store is reopened and checked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteStore } from '../../src/store/sqlite.js';

const writeLoop = join(dirname(fileURLToPath(import.meta.url)), 'write-loop.js');

/** Runs the writer until it has acknowledged at least `acks` keys, then SIGKILLs it. */
async function writeThenKill(path: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, [writeLoop, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let partial = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop()!;
    acked.push(...lines);
    if (acked.length >= acks && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const how = await exited;
  assert.equal(how, 'SIGKILL', `the writer ended by itself (${String(how)}): ${stderr}`);
  return acked;
}

test('acknowledged writes survive SIGKILL, and the store stays consistent', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-durability-'));
  try {
    const path = join(dir, 'store.db');
    const acked = [...(await writeThenKill(path, 300)), ...(await writeThenKill(path, 200))];
    assert.ok(acked.length >= 500);

    const store = new SqliteStore(path);
    const head = await store.revision();
    assert.ok(head >= acked.length, `revision ${head} below ${acked.length} acknowledged writes`);
    for (const key of acked) assert.ok(await store.get(key), `acknowledged ${key} is missing`);

    const { items, revision } = await store.list('/core/configmaps/');
    assert.equal(revision, head);
    assert.equal(items.length, head, 'every write was a create, so one object per revision');
    const revisions = items.map((o) => Number(o.metadata.resourceVersion)).sort((a, b) => a - b);
    assert.deepEqual(revisions, Array.from({ length: head }, (_, i) => i + 1));
    assert.equal(await store.count('/core/configmaps/'), head);

    const next = await store.create('/core/configmaps/default/after', { metadata: { name: 'after' } });
    assert.equal(next.metadata.resourceVersion, String(head + 1));
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
