// A real `berth server` with simulated nodes in its process, pods created through Deployments over
// HTTPS until every one is Running and Ready: bench/cluster.ts reports it, and bench/simulate.ts
// runs it as its peer (the real server's wall time per write, measured in the same run, against
// the simulator's cost model).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { HttpClient, loadKubeconfig } from '../src/client/http.js';
import { startBerthServer } from './lib.js';

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

export interface RealClusterOptions {
  nodes: number;
  pods: number;
  deployments: number;
  /** The simulated nodes' sandbox start and container ready delays (berth sim nodes' flags; '0' for none). */
  startDelay?: string;
  readyDelay?: string;
  /** Progress lines on stderr every 10 s. */
  progress?: boolean;
}

export interface RealClusterRun {
  nodesReadyS: number;
  /** From the first Deployment's create to the last pod Ready. */
  totalS: number;
  /** Pods bound per second, first bind to last. */
  schedulingPerS: number;
  /** Store writes meanwhile (the store's revisions: every object the cluster wrote, events and leases too). */
  writes: number;
  /** The wall time per store write, ms (totalS over writes: every process's work, as the simulator's cost model counts it). */
  msPerWrite: number;
  rssMiB: number;
  peakMiB: number;
  /** The server's CPU time meanwhile, all threads. */
  cpuS: number;
}

export async function runRealCluster(o: RealClusterOptions): Promise<RealClusterRun> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-cluster-'));
  const proc = await startBerthServer(['--max-old-space-size=8192'], [
    '--data-dir', join(dir, 'server'), '--port', '0', '--host', '127.0.0.1', '--sim-nodes', String(o.nodes),
    '--sim-start-delay', o.startDelay ?? '0', '--sim-ready-delay', o.readyDelay ?? '0',
  ]);
  const client = new HttpClient(loadKubeconfig(join(dir, 'server', 'admin.kubeconfig')), 16);
  try {
    // Wait for every simulated node to be registered and Ready.
    const t0 = performance.now();
    for (;;) {
      const list = await client.request('GET', '/api/v1/nodes');
      const ready = list.body.items.filter((n: any) => n.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True')).length;
      if (ready >= o.nodes) break;
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

    // A list's resourceVersion is the store's revision when it was read: the writes in between.
    const revision = async () => Number((await client.request('GET', '/api/v1/namespaces/bench/configmaps?limit=1')).body.metadata.resourceVersion);
    const rev0 = await revision();
    const start = performance.now();
    const cpuStart = cpuSecondsOf(proc.pid!);
    const per = Math.ceil(o.pods / o.deployments);
    for (let d = 0; d < o.deployments; d++) {
      const name = `app-${d}`;
      const r = await client.request('POST', '/apis/apps/v1/namespaces/bench/deployments', {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
        spec: {
          replicas: Math.min(per, o.pods - d * per),
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1', resources: { requests: { cpu: '10m', memory: '16Mi' } } }] } },
        },
      });
      if (r.status !== 201) throw new Error(`create deployment: ${r.status} ${JSON.stringify(r.body)}`);
    }
    let peak = memoryOf(proc.pid!);
    let lastReport = 0;
    while (ready.size < o.pods) {
      await new Promise((r) => setTimeout(r, 250));
      const m = memoryOf(proc.pid!);
      if (m.peakMiB > peak.peakMiB) peak = m;
      const s = (performance.now() - start) / 1000;
      if (o.progress && s - lastReport >= 10) {
        lastReport = s;
        console.error(`  ${s.toFixed(0)} s: ${scheduled.size} scheduled, ${ready.size} ready, rss ${m.rssMiB.toFixed(0)} MiB`);
      }
      if (s > 1800) throw new Error(`not done after 30 min: ${ready.size}/${o.pods} ready`);
    }
    const totalS = (performance.now() - start) / 1000;
    const cpuS = cpuSecondsOf(proc.pid!) - cpuStart;
    const writes = (await revision()) - rev0;
    watch.stop();
    const mem = memoryOf(proc.pid!);
    return {
      nodesReadyS, totalS, schedulingPerS: scheduled.size / Math.max(0.001, (lastBound - firstBound) / 1000),
      writes, msPerWrite: (totalS * 1000) / writes, rssMiB: mem.rssMiB, peakMiB: Math.max(peak.peakMiB, mem.peakMiB), cpuS,
    };
  } finally {
    client.close();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
