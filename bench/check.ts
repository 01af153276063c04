// States explored per second by the model checker: the rollout model over the real controllers
// and API (2 nodes, 3 replicas, one rollout; then 5 replicas for the sustained rate), and seed
// 004's KubernetesConsistency module.
// Usage: node dist/bench/check.js [--replicas N]
import { check } from '../src/verify/checker.js';
import { ClusterModel, rolloutScope } from '../src/verify/cluster-model.js';
import { kubernetesConsistency } from '../src/verify/tla-model.js';
import { spawnSync } from 'node:child_process';
import { CHECK_NODE_FLAGS } from '../src/verify/jit.js';
import { berthNodeArgs } from './lib.js';

// As `berth check` runs: under every flag bin/berth starts it with, its own (src/verify/jit.ts) and
// the server's (its young generation's size changes a check's speed too).
const flags = [...berthNodeArgs(), ...CHECK_NODE_FLAGS];
if (!flags.every((f) => process.execArgv.includes(f))) {
  const r = spawnSync(process.execPath, [...flags, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const i = process.argv.indexOf('--replicas');
const replicas = i > 0 ? Number(process.argv[i + 1]) : 3;
const GOAL = 100_000;
// Two rates, as TLC prints two ("states generated", its s/min, and "distinct states found", its
// ds/min): every successor computed, duplicates included (the initial states and the transitions;
// this checker leaves out stuttering steps, which TLC generates, so it counts fewer), and the
// distinct states. The goal is held against both: the stricter is the distinct rate.
const line = (name: string, r: Awaited<ReturnType<typeof check>>) => {
  const rate = r.states / (r.ms / 1000);
  const generated = r.generated / (r.ms / 1000);
  process.stdout.write(`${name}: ${r.states} distinct states, ${r.generated} states generated in ${(r.ms / 1000).toFixed(2)} s = ` +
    `${Math.round(rate)} distinct states/s (${(rate / GOAL).toFixed(3)}x the 100,000 states/s goal), ${Math.round(generated)} states generated/s (${(generated / GOAL).toFixed(3)}x); ` +
    `${r.bounded ? 'bounded' : 'complete'}, ${r.violations.length} violations, liveness ${r.liveness}\n`);
};
const mem0 = process.memoryUsage().rss;
line(`rollout model (${replicas} replicas, 2 nodes, real controllers and API)`, await check(new ClusterModel(rolloutScope(replicas, 2))));
// The run above is the whole check as `berth check` does it once, JIT warm-up included (about half
// of it at 3 replicas); the same check again in this process, with a fresh model and empty memos,
// shows the rate once the code is compiled.
line('  the same, again in this process (compiled code, fresh model and memos)', await check(new ClusterModel(rolloutScope(replicas, 2))));
// At 3 replicas the whole check is 11,378 states, over in well under a second: start-up, warm-up
// and the memos' first real runs are most of it, so its rate says little of the exploration's.
// The rate the exploration keeps up is the same model at a scope too large to finish, cut at a
// million states (`berth check all --replicas 5 --max-states 1000000`): the rate to hold against the goal.
if (replicas < 5) {
  line('rollout model (5 replicas, 2 nodes), the first 1,000,000 states (the sustained rate)', await check(new ClusterModel(rolloutScope(5, 2)), { maxStates: 1_000_000 }));
}
line('KubernetesConsistency (seed 004 §16.1, 2 nodes, MaxReplicaCount 3)', await check(kubernetesConsistency()));
line('KubernetesConsistency (3 nodes, MaxReplicaCount 5, 3 changes)', await check(kubernetesConsistency({ nodes: ['n1', 'n2', 'n3'], maxReplicaCount: 5, maxChanges: 3, maxFailures: 2, maxTerm: 2 })));
process.stdout.write(`rss grew ${((process.memoryUsage().rss - mem0) / 2 ** 20).toFixed(0)} MiB\n`);
