// Pod startup latency: `berth server --kubelet` (API server, scheduler, kubelet on berth's engine,
// pods on the berth0 bridge) beside a bare `docker run -d` against dockerd (Debian docker.io,
// --bridge=none) in the same run, over the same busybox image. For each of N pods (default 50):
// from the create call to the watch event that shows it Running (what the SLO measures,
// "creation to Running as seen through a watch"); for docker, the CLI's `run -d` until it returns
// (the container is running then). The two take turns, one each per round. Needs root.
// Run: node dist/bench/pods.js   (PODS=n to change the count)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { removeCgroup } from '../src/engine/cgroups.js';
import { R } from '../src/model/api.js';
import type { KubeObject } from '../src/model/object.js';
import { HttpClient, loadKubeconfig } from '../src/client/http.js';
import { RemoteClient } from '../src/client/remote.js';
import { startServer, kubectl } from '../test/e2e/cluster.js';
import { preloadBusybox } from '../test/kubelet/preload.js';
import { busyboxArchive } from '../test/engine/busybox.js';
import { canRunContainers, hostLinks, natChainsExist, removeTestBridges } from '../test/engine/hoststate.js';
import { DockerdProcess, dockerdUnavailable } from '../test/engineapi/dockerd.js';
import { percentile, printTable } from './lib.js';

const N = Number(process.env['PODS'] ?? 50);
const cannot = canRunContainers();
if (cannot) {
  console.log(`pod startup benchmark skipped: ${cannot}`);
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'berth-bench-pods-'));
const links = hostLinks();
const nat = natChainsExist();
await preloadBusybox(dir);
// its own cgroup root, removed at the end (a stopped kubelet leaves its hierarchy, as upstream's)
const cgroupRoot = `/${basename(dir)}`;
const server = await startServer({ dataDir: dir, extraArgs: ['--kubelet', `--cgroup-root=${cgroupRoot}`] });
const client = new RemoteClient(new HttpClient(loadKubeconfig(server.kubeconfig)));
let dockerSkipped = dockerdUnavailable() ?? '';
const d = dockerSkipped ? undefined : new DockerdProcess();

/** When each pod was first seen Running by one watch over all pods. */
const running = new Map<string, number>();
const waiters = new Map<string, () => void>();
const watch = client.watch(R.pods, 'default', { resourceVersion: '0' }, {
  event(ev) {
    const p = ev.object as KubeObject & { status?: { phase?: string } };
    const name = p.metadata.name!;
    if (p.status?.phase === 'Running' && !running.has(name)) {
      running.set(name, performance.now());
      waiters.get(name)?.();
    }
  },
  end() {},
});

function podObject(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { bench: 'pods' } },
    spec: { terminationGracePeriodSeconds: 0, containers: [{ name: 'c', image: 'busybox:1.36', imagePullPolicy: 'IfNotPresent', command: ['sleep', '3600'] }] },
  } as KubeObject;
}

async function podStartup(i: number): Promise<number> {
  const name = `bench-${i}`;
  const seen = new Promise<void>((r) => waiters.set(name, r));
  const t0 = performance.now();
  await client.create(R.pods, 'default', podObject(name));
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000).unref());
  if ((await Promise.race([seen, timeout])) === 'timeout') throw new Error(`pod ${name} not Running after 60 s`);
  return running.get(name)! - t0;
}

async function dockerRun(i: number): Promise<number> {
  const t0 = performance.now();
  const r = await d!.docker(['run', '-d', '--name', `bench-${i}`, 'busybox:1.36', 'sleep', '3600']);
  if (r.code !== 0) throw new Error(`docker run: ${r.stderr}`);
  return performance.now() - t0;
}

const berth: number[] = [];
const docker: number[] = [];
try {
  if (d) {
    try {
      await d.start();
      const tar = join(dir, 'busybox.tar');
      writeFileSync(tar, await busyboxArchive([{ tags: ['busybox:1.36'] }]));
      const l = await d.docker(['load', '-i', tar]);
      if (l.code !== 0) throw new Error(l.stderr);
    } catch (e) {
      dockerSkipped = `dockerd failed to start: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  // one warm-up of each (the first sandbox builds the pause image)
  await podStartup(-1);
  if (!dockerSkipped) await dockerRun(-1);
  for (let i = 0; i < N; i++) {
    berth.push(await podStartup(i));
    if (!dockerSkipped) docker.push(await dockerRun(i));
  }
} finally {
  watch.stop();
  await kubectl(server.kubeconfig, ['delete', 'pods', '-l', 'bench=pods', '--grace-period=0', '--wait=true', '--timeout=120s'], undefined, 130_000);
  await server.stop();
  await d?.cleanup();
  await removeCgroup(cgroupRoot);
  removeTestBridges(links, nat);
  rmSync(dir, { recursive: true, force: true });
}

const f = (n: number) => n.toFixed(0);
const st = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? 0 };
};
const b = st(berth);
const rows = [['', 'p50 ms', 'p99 ms', 'max ms', 'n']];
rows.push(['berth: pod create → Running (watch)', f(b.p50), f(b.p99), f(b.max), String(berth.length)]);
if (docker.length) {
  const k = st(docker);
  rows.push(['dockerd: docker run -d (CLI, --bridge=none)', f(k.p50), f(k.p99), f(k.max), String(docker.length)]);
  printTable(rows);
  console.log(`\nberth p50 / docker run p50: ${(b.p50 / k.p50).toFixed(2)} (goal <= 2)   berth p99: ${f(b.p99)} ms (goal < 1000; Kubernetes SLO 5000)`);
} else {
  printTable(rows);
  console.log(`\nberth p99: ${f(b.p99)} ms (goal < 1000; Kubernetes SLO 5000); dockerd not measured: ${dockerSkipped}`);
}
