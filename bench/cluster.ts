// Cluster benchmark (issue 3): a real `berth server` with N simulated nodes in its process, P pods
// created through Deployments over HTTPS; time until every pod is Running and Ready, scheduling
// and end-to-end pods/s, and the server's memory. Anchors, not peers (there is no KWOK here):
// KWOK reports 20 pods/s; the goal is >= 1,000 pods/s end to end on this 2-core machine.
// Run: node dist/bench/cluster.js [nodes] [pods] [deployments]   (defaults 1000 30000 30)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HttpClient, loadKubeconfig } from '../src/client/http.js';
import { berthNodeArgs, fmt, printTable } from './lib.js';

const [nodes, pods, deployments] = [Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 30000), Number(process.argv[4] ?? 30)];
const main = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-cluster-'));

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in clock ticks
}

/** The server's resident and peak memory, from /proc. */
function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { rssMiB: kib('VmRSS') / 1024, peakMiB: kib('VmHWM') / 1024 };
}

// The simulated nodes run pods as KWOK's default stages do: Running and Ready as soon as bound
// (so one status write per pod). BERTH_BENCH_SIM_DELAYS="<start> <ready>" (e.g. "0.5s 1s", the
// defaults of berth sim nodes) measures with delays instead.
const [startDelay, readyDelay] = (process.env.BERTH_BENCH_SIM_DELAYS ?? '0 0').split(' ');
// The server runs with bin/berth's Node flags; BERTH_BENCH_SERVER_NODE_ARGS adds more (e.g. --cpu-prof).
const proc = spawn(process.execPath, [
  ...berthNodeArgs(), '--max-old-space-size=8192', main, 'server', '--data-dir', join(dir, 'server'), '--port', '0', '--host', '127.0.0.1', '--sim-nodes', String(nodes),
  '--sim-start-delay', startDelay!, '--sim-ready-delay', readyDelay!,
], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
await new Promise<void>((ok, fail) => {
  proc.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('admin kubeconfig')) ok();
  });
  proc.once('exit', (c) => fail(new Error(`server exited ${c}`)));
});
const client = new HttpClient(loadKubeconfig(join(dir, 'server', 'admin.kubeconfig')), 16);

try {
  // Wait for every simulated node to be registered and Ready.
  const t0 = performance.now();
  for (;;) {
    const list = await client.request('GET', '/api/v1/nodes');
    const ready = list.body.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
    if (ready >= nodes) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const nodesReadyS = (performance.now() - t0) / 1000;
  await client.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });

  // Count pods as they are bound and as they become Ready, from a watch.
  const scheduled = new Set<string>();
  const ready = new Set<string>();
  let firstBound = 0;
  let lastBound = 0;
  const watch = client.watch('/api/v1/namespaces/bench/pods?watch=true&resourceVersion=0', (ev) => {
    const p = ev.object;
    const name = p?.metadata?.name;
    if (!name || ev.type === 'DELETED') return;
    if (p.spec?.nodeName && !scheduled.has(name)) {
      scheduled.add(name);
      if (!firstBound) firstBound = performance.now();
      lastBound = performance.now();
    }
    if (p.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')) ready.add(name);
  }, () => undefined);

  const start = performance.now();
  const cpuStart = cpuSecondsOf(proc.pid!);
  const per = Math.ceil(pods / deployments);
  for (let d = 0; d < deployments; d++) {
    const name = `app-${d}`;
    const r = await client.request('POST', '/apis/apps/v1/namespaces/bench/deployments', {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
      spec: {
        replicas: Math.min(per, pods - d * per),
        selector: { matchLabels: { app: name } },
        template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
      },
    });
    if (r.status !== 201) throw new Error(`create deployment: ${r.status} ${JSON.stringify(r.body)}`);
  }
  let peak = memoryOf(proc.pid!);
  let lastReport = 0;
  while (ready.size < pods) {
    await new Promise((r) => setTimeout(r, 250));
    const m = memoryOf(proc.pid!);
    if (m.peakMiB > peak.peakMiB) peak = m;
    const s = (performance.now() - start) / 1000;
    if (s - lastReport >= 10) {
      lastReport = s;
      console.error(`  ${s.toFixed(0)} s: ${scheduled.size} scheduled, ${ready.size} ready, rss ${m.rssMiB.toFixed(0)} MiB`);
    }
    if (s > 1800) throw new Error(`not done after 30 min: ${ready.size}/${pods} ready`);
  }
  const totalS = (performance.now() - start) / 1000;
  const serverCpuS = cpuSecondsOf(proc.pid!) - cpuStart;
  watch.stop();
  const mem = memoryOf(proc.pid!);
  printTable([
    ['', 'value'],
    [`simulated nodes registered and Ready (s)`, nodesReadyS.toFixed(1)],
    ['simulated pod start / ready delay', `${startDelay} / ${readyDelay}`],
    [`pods (through ${deployments} Deployments)`, String(pods)],
    ['time until all Running and Ready (s)', totalS.toFixed(1)],
    ['end-to-end pods/s', fmt(pods / totalS)],
    ['scheduling pods/s (first to last bind)', fmt(scheduled.size / Math.max(0.001, (lastBound - firstBound) / 1000))],
    ['server RSS now / peak (MiB)', `${mem.rssMiB.toFixed(0)} / ${peak.peakMiB.toFixed(0)}`],
    ['server CPU per pod (ms; all threads)', (serverCpuS * 1000 / pods).toFixed(2)],
  ]);
  console.log(`\nend-to-end ${fmt(pods / totalS)} pods/s = ${(pods / totalS / 20).toFixed(0)}x KWOK's reported 20 pods/s (goal >= 1,000 pods/s)`);
} finally {
  client.close();
  proc.kill('SIGTERM');
  await new Promise((r) => proc.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
