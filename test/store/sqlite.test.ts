import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { runStoreConformance, settle } from './conformance.js';
import type { StoreEvent } from '../../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `store-${++n}.db`);

runStoreConformance('sqlite', () => new SqliteStore(freshPath()));

const obj = (name: string, v = 0) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, v });

describe('sqlite: reopening', () => {
  test('continues revisions, state and history', async () => {
    const path = join(dir, 'nested', 'reopen.db');
    const s1 = openStore({ kind: 'sqlite', path });
    await s1.create('/k/a', obj('a', 1)); // 1
    await s1.create('/k/b', obj('b')); // 2
    await s1.update('/k/a', obj('a', 2)); // 3
    await s1.delete('/k/b'); // 4
    const latest = await s1.list('/k/');
    await s1.close();

    const s2 = new SqliteStore(path);
    assert.equal(await s2.revision(), 4);
    assert.deepEqual(await s2.list('/k/'), latest);
    assert.deepEqual((await s2.list('/k/', { revision: 2 })).items.map((o) => o.metadata.name), ['a', 'b']);
    const events: StoreEvent[] = [];
    s2.watch('/k/', 0, { event: (e) => events.push(e), error: (e) => assert.fail(e) });
    assert.equal((await s2.create('/k/c', obj('c'))).metadata.resourceVersion, '5');
    await settle();
    assert.deepEqual(events.map((e) => [e.type, e.revision]), [
      ['ADDED', 1],
      ['ADDED', 2],
      ['MODIFIED', 3],
      ['DELETED', 4],
      ['ADDED', 5],
    ]);
    await s2.close();
  });

  test('keeps the compacted revision, and the head even when compaction removed the newest rows', async () => {
    const path = freshPath();
    const s1 = new SqliteStore(path);
    await s1.create('/k/a', obj('a')); // 1
    await s1.create('/k/b', obj('b')); // 2
    await s1.delete('/k/b'); // 3: a tombstone at the head, which compaction to 3 drops
    await s1.compact(3);
    await s1.close();

    const s2 = new SqliteStore(path);
    assert.equal(await s2.revision(), 3);
    assert.equal(await s2.compactedRevision(), 3);
    await assert.rejects(s2.list('/k/', { revision: 2 }), { code: 'Compacted' });
    assert.equal((await s2.create('/k/b', obj('b'))).metadata.resourceVersion, '4');
    assert.deepEqual((await s2.list('/k/')).items.map((o) => o.metadata.resourceVersion), ['1', '4']);
    await s2.close();
  });

  test('group commit: concurrent writes share a transaction, are checked in order, and fail alone', async () => {
    const s = new SqliteStore(freshPath());
    const results = await Promise.allSettled([
      s.create('/k/a', obj('a')),
      s.create('/k/a', obj('a')), // same key in the same batch: the second must fail
      s.create('/k/b', obj('b')),
      s.update('/k/a', obj('a2'), 1), // sees the first create, in the same batch
      s.update('/k/a', obj('a3'), 1), // stale by then
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
    assert.equal((results[1] as PromiseRejectedResult).reason.code, 'KeyExists');
    assert.equal((results[4] as PromiseRejectedResult).reason.code, 'Conflict');
    assert.deepEqual(results.filter((r) => r.status === 'fulfilled').map((r) => (r as PromiseFulfilledResult<any>).value.metadata.resourceVersion), ['1', '2', '3']);
    assert.equal(await s.revision(), 3);
    await s.close();
  });

  test('writes asked for while a batch commits are decided after it, against its effects', async () => {
    const s = new SqliteStore(freshPath());
    const first = s.create('/k/a', obj('a'));
    await new Promise((r) => setImmediate(r)); // the first batch is now with the writer thread
    const later = await Promise.allSettled([s.update('/k/a', obj('a', 2), 1), s.create('/k/a', obj('a'))]);
    assert.equal((await first).metadata.resourceVersion, '1');
    assert.equal(later[0].status, 'fulfilled');
    assert.equal((later[0] as PromiseFulfilledResult<any>).value.metadata.resourceVersion, '2');
    assert.equal((later[1] as PromiseRejectedResult).reason.code, 'KeyExists');
    assert.equal((await s.get('/k/a'))!.v, 2);
    await s.close();
  });

  test('close waits for writes under way; they are acknowledged and durable', async () => {
    const path = freshPath();
    const s = new SqliteStore(path);
    const writes = Array.from({ length: 50 }, (_, i) => s.create(`/k/${i}`, obj(String(i))));
    await s.close();
    const done = await Promise.allSettled(writes);
    assert.ok(done.every((d) => d.status === 'fulfilled'));
    const again = new SqliteStore(path);
    assert.equal(await again.revision(), 50);
    assert.equal((await again.list('/k/')).items.length, 50);
    await again.close();
  });

  test('a watch started while a batch commits gets each of its events once', async () => {
    const s = new SqliteStore(freshPath());
    await s.create('/k/a', obj('a'));
    const pending = Array.from({ length: 20 }, (_, i) => s.update('/k/a', obj('a', i + 1)));
    await new Promise((r) => setImmediate(r));
    // Let the writer commit while this thread has not yet heard so: the rows are in the database
    // but not acknowledged when the watch reads its history.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    const events: StoreEvent[] = [];
    s.watch('/k/', 1, { event: (e) => events.push(e), error: (e) => assert.fail(e) });
    await Promise.all(pending);
    await settle();
    assert.deepEqual(events.map((e) => e.revision), Array.from({ length: 20 }, (_, i) => i + 2));
    await s.close();
  });

  test('a write is read, listed and counted only once it is acknowledged', async () => {
    const s = new SqliteStore(freshPath());
    await s.create('/k/a', obj('a', 1));
    const write = s.update('/k/a', obj('a', 2));
    await new Promise((r) => setImmediate(r));
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200); // committed, not yet heard of
    // Each read takes its answer synchronously, before the acknowledgement can arrive.
    const reads = [s.get('/k/a'), s.list('/k/'), s.revision()] as const;
    assert.equal((await reads[0])!.v, 1);
    assert.deepEqual((await reads[1]).items.map((o) => o.v), [1]);
    assert.equal(await reads[2], 1);
    assert.equal((await write).metadata.resourceVersion, '2');
    assert.equal((await s.get('/k/a'))!.v, 2);
    await s.close();
  });
});
