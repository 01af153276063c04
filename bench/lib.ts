// What every benchmark shares: a typical object, timing helpers, the raw-SQLite peer, and a table printer.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { KubeObject } from '../src/model/object.js';

/** A Pod of typical size (~1 KB of JSON). */
export function pod(name: string): KubeObject {
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
export async function rate(ms: number, op: (i: number) => unknown): Promise<number> {
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) await op(n++);
  return n / ((performance.now() - start) / 1000);
}

/** The physical limit of the embedded store: single-row INSERT commits with WAL and synchronous=FULL. */
export function rawSqliteCommits(dir: string, ms: number, value = JSON.stringify(pod('p'))): number {
  const db = new Database(join(dir, 'raw.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, key TEXT NOT NULL, value TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (key, value) VALUES (?, ?)');
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < ms) insert.run(`/core/pods/default/p${n++}`, value);
  const perSecond = n / ((performance.now() - start) / 1000);
  db.close();
  return perSecond;
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

export interface Stats {
  median: number;
  p90: number;
  n: number;
}

export function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  return { median: percentile(s, 50), p90: percentile(s, 90), n: s.length };
}

export const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(2));

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
}

/** The Node flags bin/berth runs berth with (read from it: one place), then BERTH_BENCH_SERVER_NODE_ARGS (e.g. --cpu-prof). */
export function berthNodeArgs(): string[] {
  const bin = readFileSync(resolve(dirname(fileURLToPath(import.meta.url)), '../../bin/berth'), 'utf8');
  const flags = /^exec node (.*) "\$main" "\$@"$/m.exec(bin)?.[1];
  if (flags === undefined) throw new Error('bin/berth: no "exec node ... $main" line to read the flags from');
  // ($only: the flags only some commands get)
  return [...flags.split(' ').filter((f) => !f.startsWith('$')), ...(process.env.BERTH_BENCH_SERVER_NODE_ARGS ?? '').split(' ')].filter(Boolean);
}

/**
 * Starts `berth server` (under bin/berth's Node flags, then nodeArgs) with args after "server", and
 * waits until it has written its admin kubeconfig (DATA_DIR/admin.kubeconfig): it is serving then.
 */
export async function startBerthServer(nodeArgs: string[], args: string[]): Promise<ChildProcess> {
  const main = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
  const proc = spawn(process.execPath, [...berthNodeArgs(), ...nodeArgs, main, 'server', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((ok, fail) => {
    proc.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('admin kubeconfig')) ok();
    });
    proc.once('exit', (c) => fail(new Error(`server exited ${c}`)));
  });
  return proc;
}
