// Object store benchmark: SqliteStore against raw better-sqlite3 commits with the same pragmas
// (WAL, synchronous=FULL) in the same run, MemoryStore beside them, and watch delivery latency
// with 100 watchers. Run: node dist/bench/store.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { KubeObject } from '../src/model/object.js';
import { MemoryStore } from '../src/store/memory.js';
import { SqliteStore } from '../src/store/sqlite.js';
import type { ObjectStore } from '../src/store/types.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));

// A Pod of typical size (~1 KB of JSON).
function pod(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: '6f1c1f7e-1d2b-4c55-9a3e-0d2f3f4b5c6d',
      labels: { app: 'web', tier: 'frontend', 'pod-template-hash': '5d8f7c9b6' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-5d8f7c9b6', uid: 'a1b2c3d4', controller: true }],
      creationTimestamp: '2024-01-01T00:00:00Z',
    },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'registry.local/web:1.2.3',
          ports: [{ containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          env: [{ name: 'MODE', value: 'production' }],
        },
      ],
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      nodeName: 'node-17',
    },
    status: { phase: 'Running', podIP: '10.244.17.9', conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

/** Runs op repeatedly for about ms milliseconds; returns operations per second. */
async function rate(ms: number, op: (i: number) => unknown): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) await op(n++);
  return n / ((performance.now() - start) / 1000);
}

function rawCommits(ms: number): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (key, value) VALUES (?, ?)');
  const value = JSON.stringify(pod('p'));
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) insert.run(`/core/pods/default/p${n++}`, value);
  const perSecond = n / ((performance.now() - start) / 1000);
  db.close();
  return perSecond;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

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

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

try {
  const raw = rawCommits(2500);
  const sqlite = new SqliteStore(join(dir, 'store.db'));
  const s = await measure('sqlite', sqlite, 2500);
  await sqlite.close();
  const memory = new MemoryStore();
  const m = await measure('memory', memory, 1000);
  await memory.close();

  const rows: [string, string, string, string][] = [
    ['', 'raw sqlite', 'SqliteStore', 'MemoryStore'],
    ['single-row commits / create per s', fmt(raw), fmt(s.create), fmt(m.create)],
    ['get per s', '', fmt(s.get), fmt(m.get)],
    ['list of 1000 objects per s', '', fmt(s.list), fmt(m.list)],
    ['watch delivery p50, 100 watchers (ms)', '', s.watch.p50.toFixed(3), m.watch.p50.toFixed(3)],
    ['watch delivery p99, 100 watchers (ms)', '', s.watch.p99.toFixed(3), m.watch.p99.toFixed(3)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  console.log(`\nSqliteStore.create / raw commits = ${(s.create / raw).toFixed(2)}  (WAL, synchronous=FULL, in ${tmpdir()})`);
  console.log(`watch samples: sqlite ${s.watch.samples}, memory ${m.watch.samples}; latency is from the start of create() to each handler call`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
