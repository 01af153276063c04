// API server benchmark: a real `berth server` process on the SQLite store, driven over HTTPS with
// the admin certificate, beside raw better-sqlite3 commits with the same durability in the same run.
// Run: node dist/bench/api.js
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpClient, loadKubeconfig } from '../src/client/http.js';
import { fmt, percentile, pod, printTable, rawSqliteCommits, startBerthServer } from './lib.js';

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-api-'));

async function startServer() {
  // The API server alone, as kube-apiserver is measured: no controllers or scheduler reacting to the
  // pods, with bin/berth's Node flags (BERTH_BENCH_SERVER_NODE_ARGS adds more, e.g. --cpu-prof).
  const proc = await startBerthServer([], ['--data-dir', join(dir, 'server'), '--port', '0', '--host', '127.0.0.1', '--controllers=false']);
  return { proc, kubeconfig: join(dir, 'server', 'admin.kubeconfig') };
}

/** Runs `op` from `concurrency` loops for about ms; returns completed operations per second and latencies. */
async function load(ms: number, concurrency: number, op: (i: number) => Promise<void>) {
  const lat: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - start < ms) {
        const t0 = performance.now();
        await op(next++);
        lat.push(performance.now() - t0);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  return { perSecond: lat.length / ((performance.now() - start) / 1000), p50: percentile(lat, 50), p99: percentile(lat, 99) };
}

function podIn(ns: string, name: string) {
  const p = pod(name);
  p.metadata.namespace = ns;
  delete p.metadata.uid;
  delete p.metadata.creationTimestamp;
  delete p.metadata.ownerReferences;
  return p;
}

async function expect(status: number, p: Promise<{ status: number; body: unknown }>) {
  const r = await p;
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
}

const server = await startServer();
const client = new HttpClient(loadKubeconfig(server.kubeconfig), 128);
try {
  for (const ns of ['bench', 'list', 'watched']) {
    await expect(201, client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
    // With no controllers, nothing makes a namespace's default ServiceAccount, and the admission
    // of a pod refuses it without one (as upstream's does): made here, as the controller would.
    await expect(201, client.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default' } }));
  }
  // The disk's commit rate drifts from second to second on this kind of machine: three rounds of
  // raw commits alternate with three of API creates, and the medians are compared.
  const raws: number[] = [];
  const creates: Awaited<ReturnType<typeof load>>[] = [];
  let created = 0;
  for (let round = 0; round < 3; round++) {
    raws.push(rawSqliteCommits(dir, 2000));
    creates.push(await load(3000, 16, () => expect(201, client.request('POST', '/api/v1/namespaces/bench/pods', podIn('bench', `p${created++}`)))));
  }
  const median = <T>(xs: T[], by: (x: T) => number) => [...xs].sort((a, b) => by(a) - by(b))[1]!;
  const raw = median(raws, (x) => x);
  const create = median(creates, (x) => x.perSecond);
  for (let i = 0; i < 100; i++) await expect(201, client.request('POST', '/api/v1/namespaces/list/pods', podIn('list', `p${i}`)));
  const get = await load(3000, 16, (i) => expect(200, client.request('GET', `/api/v1/namespaces/list/pods/p${i % 100}`)));
  const list = await load(3000, 4, () => expect(200, client.request('GET', '/api/v1/namespaces/list/pods')));

  // Watch delivery: 100 watches over HTTPS, 300 paced writes; latency from issuing a write to each watcher's receipt.
  const watchers = 100;
  const writes = 300;
  const issued = new Map<string, number>();
  const samples: number[] = [];
  const streams = Array.from({ length: watchers }, () =>
    client.watch('/api/v1/namespaces/watched/pods?watch=true&resourceVersion=0', (ev) => {
      if (ev.type === 'ADDED') samples.push(performance.now() - issued.get(ev.object.metadata.name)!);
    }, () => undefined),
  );
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < writes; i++) {
    issued.set(`w${i}`, performance.now());
    await expect(201, client.request('POST', '/api/v1/namespaces/watched/pods', podIn('watched', `w${i}`)));
    await new Promise((r) => setTimeout(r, 5));
  }
  const deadline = Date.now() + 10_000;
  while (samples.length < watchers * writes && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const s of streams) s.stop();
  samples.sort((a, b) => a - b);

  printTable([
    ['', 'per second', 'p50 ms', 'p99 ms'],
    ['raw sqlite single-row commits (WAL, synchronous=FULL; median of 3)', fmt(raw), '', ''],
    ['API create (HTTPS, 16 in flight; median of 3)', fmt(create.perSecond), create.p50.toFixed(2), create.p99.toFixed(2)],
    ['API get', fmt(get.perSecond), get.p50.toFixed(2), get.p99.toFixed(2)],
    ['API list of 100 pods', fmt(list.perSecond), list.p50.toFixed(2), list.p99.toFixed(2)],
    [`watch delivery, ${watchers} watchers x ${writes} writes`, '', percentile(samples, 50).toFixed(2), percentile(samples, 99).toFixed(2)],
  ]);
  console.log(`\nrounds: raw ${raws.map(fmt).join(', ')}; API creates ${creates.map((c) => fmt(c.perSecond)).join(', ')}`);
  console.log(`API creates / raw SQLite commits = ${(create.perSecond / raw).toFixed(2)}  (goal >= 0.30)`);
  console.log(`watch deliveries seen: ${samples.length} of ${watchers * writes}; p99 ${percentile(samples, 99).toFixed(1)} ms (goal < 50 ms)`);
} finally {
  client.close();
  server.proc.kill('SIGTERM');
  await new Promise((r) => server.proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
