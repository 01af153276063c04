// Cluster benchmark (issue 3): a real `berth server` with N simulated nodes in its process, P pods
// created through Deployments over HTTPS; time until every pod is Running and Ready, scheduling
// and end-to-end pods/s, and the server's memory. Anchors, not peers (there is no KWOK here):
// KWOK reports 20 pods/s; the goal is >= 1,000 pods/s end to end on this 2-core machine.
// Run: node dist/bench/cluster.js [nodes] [pods] [deployments]   (defaults 1000 30000 30)
import { runRealCluster } from './real-cluster.js';
import { fmt, printTable } from './lib.js';

const [nodes, pods, deployments] = [Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 30000), Number(process.argv[4] ?? 30)];

// The simulated nodes run pods as KWOK's default stages do: Running and Ready as soon as bound
// (so one status write per pod). BERTH_BENCH_SIM_DELAYS="<start> <ready>" (e.g. "0.5s 1s", the
// defaults of berth sim nodes) measures with delays instead.
// The server runs with bin/berth's Node flags; BERTH_BENCH_SERVER_NODE_ARGS adds more (e.g. --cpu-prof).
const [startDelay, readyDelay] = (process.env.BERTH_BENCH_SIM_DELAYS ?? '0 0').split(' ');
const r = await runRealCluster({ nodes, pods, deployments, startDelay, readyDelay, progress: true });
printTable([
  ['', 'value'],
  [`simulated nodes registered and Ready (s)`, r.nodesReadyS.toFixed(1)],
  ['simulated pod start / ready delay', `${startDelay} / ${readyDelay}`],
  [`pods (through ${deployments} Deployments)`, String(pods)],
  ['time until all Running and Ready (s)', r.totalS.toFixed(1)],
  ['end-to-end pods/s', fmt(pods / r.totalS)],
  ['scheduling pods/s (first to last bind)', fmt(r.schedulingPerS)],
  ['store writes (per pod)', `${r.writes} (${(r.writes / pods).toFixed(1)})`],
  ['wall time per write (ms)', r.msPerWrite.toFixed(3)],
  ['server RSS now / peak (MiB)', `${r.rssMiB.toFixed(0)} / ${r.peakMiB.toFixed(0)}`],
  ['server CPU per pod (ms; all threads)', ((r.cpuS * 1000) / pods).toFixed(2)],
]);
console.log(`\nend-to-end ${fmt(pods / r.totalS)} pods/s = ${(pods / r.totalS / 20).toFixed(0)}x KWOK's reported 20 pods/s (goal >= 1,000 pods/s)`);
