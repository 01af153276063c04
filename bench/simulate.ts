// Simulated nodes and pods per wall-clock second: a Deployment rollout on N simulated nodes
// through the real API semantics, controllers and scheduler, in the deterministic simulator.
// Usage: node dist/bench/simulate.js [--nodes N] [--pods P] [--seed S]
// Default size runs in minutes on a shared 2-core machine; the issue's full size is printed.
import { Simulation } from '../src/sim/simulator.js';
import { rolloutsComplete } from '../src/verify/invariants/workloads.js';

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
// The rollout starts once the first version is up: the simulator runs the workload at these virtual times.
const rolloutAt = 30 * 60_000;
for (let d = 0; d < deployments; d++) {
  workload.push({ at: rolloutAt, patch: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'default', name: `app-${d}`, patch: { spec: { template: { spec: { containers: container('app:2') } } } } } });
}
const t0 = performance.now();
const mem0 = process.memoryUsage().rss;
let lines = 0;
const sim = new Simulation({
  name: 'bench-rollout',
  cluster: { nodes, cpu: '64', memory: '256Gi', pods: Math.max(110, Math.ceil((pods * 1.5) / nodes)) },
  workload: workload as never,
  faults: {},
  properties: [],
  until: rolloutAt + 3600_000,
  stepMs: 0,
  events: false,
  stopWhenConverged: true,
}, seed, { line: () => { lines++; } }, { state: [], step: [], decision: [], goal: [rolloutsComplete] });
const r = await sim.run();
const wall = (performance.now() - t0) / 1000;
const peak = process.memoryUsage().rss;
process.stdout.write(
  `simulated ${nodes} nodes, ${pods} pods (${deployments} Deployments) created then rolled out: ${r.steps} steps, ${r.writes} writes in ${wall.toFixed(1)} s wall, ` +
  `${(r.elapsedMs / 1000).toFixed(0)} s virtual${r.convergedAtMs !== undefined ? `, rollout complete at ${(r.convergedAtMs / 1000).toFixed(1)} s virtual (rollout began at ${rolloutAt / 1000} s)` : `, NOT converged: ${r.unmetGoals.slice(0, 3).join('; ')}`}\n` +
  // Actors take no virtual time here (stepMs 0): virtual time is the kubelets' delays and the idle wait
  // before the rollout, which the simulator skips; wall time is the honest cost.

  `  ${(r.writes / wall).toFixed(0)} writes/s, ${((pods * 2) / wall).toFixed(0)} pods started/s (both versions), ${(nodes / wall).toFixed(1)} nodes/s wall\n` +
  `  rss ${(peak / 2 ** 20).toFixed(0)} MiB (grew ${((peak - mem0) / 2 ** 20).toFixed(0)} MiB); ${lines} trace lines\n` +
  `full size (issue 7): node dist/bench/simulate.js --nodes 10000 --pods 300000\n`,
);
