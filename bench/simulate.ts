// Simulated nodes and pods per wall-clock second: a Deployment rollout on N simulated nodes
// through the real API semantics, controllers and scheduler, in the deterministic simulator.
// Usage: node dist/bench/simulate.js [--nodes N] [--pods P] [--seed S] [--rollout-at SECONDS]
// Work takes virtual time by the simulator's cost model (SimCosts, calibrated on Berth's real server),
// so virtual time is what the cluster would take: virtual ÷ wall > 1 is faster than real time.
// The peer, in the same run: Berth's real server doing a smaller job of the same kind (its wall
// time per write, against the cost model's), which scales the ratio to this machine's speed now.
// Default size runs in a minute or two on a shared 2-core machine; the full size is printed.
import { spawnSync } from 'node:child_process';
import { PerformanceObserver, constants as perfConstants, type PerformanceEntry } from 'node:perf_hooks';
import { defaultCosts, Simulation } from '../src/sim/simulator.js';
import { rolloutsComplete } from '../src/verify/invariants/workloads.js';
import { SIM_NODE_FLAGS } from '../src/sim/node-flags.js';
import { berthNodeArgs } from './lib.js';
import { runRealCluster } from './real-cluster.js';

// Run under the Node flags `berth sim run` has (its young generation matters here: the simulation
// makes many short-lived objects); flags given to this script come after them, and win.
const flags = [...berthNodeArgs(), ...SIM_NODE_FLAGS];
if (!flags.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const nodes = arg('nodes', 200);
const pods = arg('pods', 6000);
const seed = arg('seed', 1);
const deployments = Math.max(1, Math.ceil(pods / 5000));
const per = Math.ceil(pods / deployments);
const container = (image: string) => [{ name: 'app', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }];
const workload = [];
for (let d = 0; d < deployments; d++) {
  workload.push({
    at: 1000,
    apply: {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: `app-${d}`, namespace: 'default' },
      spec: { replicas: per, selector: { matchLabels: { app: `app-${d}` } }, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, template: { metadata: { labels: { app: `app-${d}` } }, spec: { containers: container('app:1') } } },
    },
  });
}
// The rollout should start once the first version is up (the report says if it may not have been):
// the simulator runs the workload at these virtual times. By default a minute plus 2 ms a pod, which
// leaves the creation room (the API server, shared by everyone, takes ~0.2 ms a write and a pod
// takes a handful of writes); --rollout-at moves it.
const rolloutAt = arg('rollout-at', 60 + Math.ceil(pods * 0.002)) * 1000;
for (let d = 0; d < deployments; d++) {
  workload.push({ at: rolloutAt, patch: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: `app-${d}`, patch: { spec: { template: { spec: { containers: container('app:2') } } } } } });
}
// Time in garbage collection, minor (scavenges) and major: at full size a tenth of the wall time.
// (Entries are taken at the end: the run seldom yields to the event loop that delivers them.)
const gc = { minor: 0, major: 0 };
const gcCount = (entries: PerformanceEntry[]) => {
  for (const e of entries as (PerformanceEntry & { detail?: { kind?: number } })[]) {
    if (e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) gc.minor += e.duration;
    else gc.major += e.duration;
  }
};
// The peer: Berth's real server (HTTPS, SQLite, its controllers and simulated nodes in process) on
// this machine now, its wall time per write, before the simulation and after. The cost model's
// figures were measured on this machine once; a shared machine's speed moves (by a factor of
// two within an hour, seen), which moves the simulation's wall time and the real server's alike.
// Sized like the simulation, within 200-1,000 nodes and 6,000-30,000 pods: smaller, its start-up
// is a good part of its time (0.57 ms a write at 1,000 pods against 0.27 at 6,000 and at 30,000).
const peerPods = Math.max(6000, Math.min(pods, 30_000));
const peerSize = { nodes: Math.max(200, Math.min(nodes, 1000)), pods: peerPods, deployments: Math.ceil(peerPods / 1000) };
const peerBefore = await runRealCluster(peerSize);
const gcObserver = new PerformanceObserver((list) => gcCount(list.getEntries()));
gcObserver.observe({ entryTypes: ['gc'] });
const t0 = performance.now();
const mem0 = process.memoryUsage().rss;
let lines = 0;
// Phases, from the trace's virtual timestamps: the creation ends with the last pod status written
// before the rollout; the rollout runs from its patch to convergence.
let created = { virtualMs: 0, wall: 0 };
let rolloutWall: number | undefined;
const statusLine = /kubelets\/kubelet-pods: update pods\/status/;
let shown = 0;
const line = (l: string) => {
  lines++;
  const v = parseFloat(l) * 1000;
  // Progress on stderr every virtual minute: a full-size run takes a while.
  if (v >= shown + 60_000) {
    shown = v - (v % 60_000);
    process.stderr.write(`  ... ${(v / 1000).toFixed(0)} s virtual after ${((performance.now() - t0) / 1000).toFixed(0)} s wall, rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB\n`);
  }
  if (v < rolloutAt) {
    if (statusLine.test(l)) created = { virtualMs: v, wall: performance.now() };
  } else rolloutWall ??= performance.now();
};
const sim = new Simulation({
  name: 'bench-rollout',
  cluster: { nodes, cpu: '64', memory: '256Gi', pods: Math.max(110, Math.ceil((pods * 1.5) / nodes)) },
  workload: workload as never,
  faults: {},
  properties: [],
  until: rolloutAt + 3600_000,
  events: false,
  stopWhenConverged: true,
  maxSteps: Number.MAX_SAFE_INTEGER,
}, seed, { line }, { state: [], step: [], decision: [], goal: [rolloutsComplete] });
const r = await sim.run();
const end = performance.now();
await new Promise((resolve) => setTimeout(resolve, 10));
gcCount(gcObserver.takeRecords());
gcObserver.disconnect();
const peerAfter = await runRealCluster(peerSize);
const wall = (end - t0) / 1000;
const peak = process.resourceUsage().maxRSS * 1024; // the peak
const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const ratio = (virtualMs: number, wallMs: number) => `${(virtualMs / wallMs).toFixed(2)}x`;
const createV = created.virtualMs - 1000;
const createW = created.wall - t0;
const rollV = r.convergedAtMs !== undefined ? r.convergedAtMs - rolloutAt : undefined;
const rollW = end - (rolloutWall ?? end);
// A node the API refused never registers, and the run goes on without it: say so rather than
// report a cluster smaller than asked for as its full size.
if (r.nodes !== nodes) process.stdout.write(`ONLY ${r.nodes} of the ${nodes} nodes registered: the figures below are not for the size asked\n`);
process.stdout.write(
  `simulated ${nodes} nodes, ${pods} pods (${deployments} Deployments) created then rolled out: ${r.steps} steps, ${r.writes} writes, ` +
  `${s(r.elapsedMs)} virtual in ${wall.toFixed(1)} s wall (virtual/wall ${ratio(r.elapsedMs, end - t0)}; faster than real time when > 1)\n` +
  `  creation: ${s(createV)} virtual (1 s to the last pod status) in ${s(createW)} wall: ${ratio(createV, createW)}` +
  `${rolloutAt - created.virtualMs < 1000 ? ' (pods were still starting when the rollout began: see --rollout-at)' : ''}\n` +
  (rollV !== undefined
    ? `  rollout:  ${s(rollV)} virtual (patch at ${rolloutAt / 1000} s to complete) in ${s(rollW)} wall: ${ratio(rollV, rollW)}\n` +
      `  both:     ${ratio(createV + rollV, createW + rollW)} (leaving out the idle stretch between them, where only leases renew)\n`
    : `  rollout NOT converged: ${r.unmetGoals.slice(0, 3).join('; ')}\n`) +
  `  ${(r.steps / wall).toFixed(0)} steps/s, ${(r.writes / wall).toFixed(0)} writes/s wall, ${((pods * 2) / wall).toFixed(0)} pods started/s (both versions)\n` +
  // Virtual time is mostly the API server's time per write (one server, every write queues for
  // it): the wall time a write costs here, all the work it sets off included, sets the ratio.
  `  ${((end - t0) / r.writes).toFixed(3)} ms wall per write, against the ${defaultCosts.apiWriteMs} ms of server time a write takes in virtual time\n` +
  `  garbage collection: ${s(gc.minor + gc.major)} (${((100 * (gc.minor + gc.major)) / (end - t0)).toFixed(1)}% of wall; scavenges ${s(gc.minor)}, the rest ${s(gc.major)})\n` +
  `  rss ${(peak / 2 ** 20).toFixed(0)} MiB (grew ${((peak - mem0) / 2 ** 20).toFixed(0)} MiB); ${lines} trace lines\n` +
  `peer: Berth's real server (${peerSize.nodes} simulated nodes, ${peerSize.pods} pods through ${peerSize.deployments} Deployments, bench/cluster.ts) ` +
  `before and after: ${peerBefore.msPerWrite.toFixed(3)} and ${peerAfter.msPerWrite.toFixed(3)} ms wall per write (${peerBefore.writes} and ${peerAfter.writes} writes)\n` +
  (rollV !== undefined
    ? `  by the real server's speed in this run: busy phases ${ratio(((createV + rollV) * (peerBefore.msPerWrite + peerAfter.msPerWrite)) / 2 / defaultCosts.apiWriteMs, createW + rollW)} ` +
      `(the virtual time scaled by its time per write against the cost model's ${defaultCosts.apiWriteMs} ms: there, the API server's queue sets the pace)\n`
    : '') +
  `full size (issue 7): node --max-old-space-size=16384 dist/bench/simulate.js --nodes 10000 --pods 300000\n`,
);
