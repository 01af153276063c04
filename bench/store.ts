// Object store benchmark: SqliteStore against raw better-sqlite3 commits with the same pragmas
// (WAL, synchronous=FULL) in the same run, MemoryStore beside them, and watch delivery latency
// with 100 watchers. Run: node dist/bench/store.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fmt, percentile, pod, printTable, rate, rawSqliteCommits } from './lib.js';
import { MemoryStore } from '../src/store/memory.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ObjectStore } from '../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));

/** Delivery latency from the start of each write to each of 100 watchers' handler, during sequential writes. */
async function watchLatency(store: ObjectStore, writes: number): Promise<{ p50: number; p99: number; samples: number }> {
  const started = new Map<string, number>();
  const samples: number[] = [];
  const from = await store.revision();
  const watches = Array.from({ length: 100 }, () =>
    store.watch('/core/pods/watched/', from, {
      event: (ev) => samples.push(performance.now() - started.get(ev.key)!),
      error: (e) => {
        throw e;
      },
    }),
  );
  for (let i = 0; i < writes; i++) {
    const key = `/core/pods/watched/w${i}`;
    started.set(key, performance.now());
    await store.create(key, pod(`w${i}`));
  }
  await new Promise((resolve) => setImmediate(resolve));
  for (const w of watches) w.stop();
  if (samples.length !== writes * 100) throw new Error(`expected ${writes * 100} deliveries, saw ${samples.length}`);
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), samples: samples.length };
}

async function measure(name: string, store: ObjectStore, writeMs: number) {
  const create = await rate(writeMs, (i) => store.create(`/core/pods/bench/p${i}`, pod(`p${i}`)));
  for (let i = 0; i < 1000; i++) await store.create(`/core/pods/list/p${i}`, pod(`p${i}`));
  const get = await rate(1000, (i) => store.get(`/core/pods/list/p${i % 1000}`));
  const list = await rate(1500, () => store.list('/core/pods/list/'));
  const watch = await watchLatency(store, name === 'memory' ? 2000 : 500);
  return { name, create, get, list, watch };
}

try {
  const raw = rawSqliteCommits(dir, 2500);
  const sqlite = new SqliteStore(join(dir, 'store.db'));
  const s = await measure('sqlite', sqlite, 2500);
  await sqlite.close();
  const memory = new MemoryStore();
  const m = await measure('memory', memory, 1000);
  await memory.close();

  printTable([
    ['', 'raw sqlite', 'SqliteStore', 'MemoryStore'],
    ['single-row commits / create per s', fmt(raw), fmt(s.create), fmt(m.create)],
    ['get per s', '', fmt(s.get), fmt(m.get)],
    ['list of 1000 objects per s', '', fmt(s.list), fmt(m.list)],
    ['watch delivery p50, 100 watchers (ms)', '', s.watch.p50.toFixed(3), m.watch.p50.toFixed(3)],
    ['watch delivery p99, 100 watchers (ms)', '', s.watch.p99.toFixed(3), m.watch.p99.toFixed(3)],
  ]);
  console.log(`\nSqliteStore.create / raw commits = ${(s.create / raw).toFixed(2)}  (WAL, synchronous=FULL, in ${tmpdir()})`);
  console.log(`watch samples: sqlite ${s.watch.samples}, memory ${m.watch.samples}; latency is from the start of create() to each handler call`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
