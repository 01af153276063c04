// `berth sim nodes`: KWOK-style simulated nodes that join a cluster through a kubeconfig, register,
// heartbeat, and run whatever pods are bound to them (without running anything).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Taint } from 'kubernetes-types/core/v1.js';
import { HttpClient, loadKubeconfig } from '../client/http.js';
import { RemoteClient } from '../client/remote.js';
import { SimNodes, parseTaint, type SimNodesOptions } from '../sim/nodes.js';
import { CommandError, UsageError, flagHelp, parseDuration, parseFlags, type FlagSpec } from './flags.js';
import { runUntilSignal } from './server.js';
import { Simulation } from '../sim/simulator.js';
import { parseScenario, ScenarioError } from '../sim/scenario.js';
import { properties, splitProperties } from '../verify/invariants/index.js';

const simFlags = {
  count: { type: 'number', default: 1, help: 'how many nodes' },
  kubeconfig: { type: 'string', default: '', help: 'kubeconfig of the cluster to join (default $KUBECONFIG, then ~/.kube/config)' },
  'name-prefix': { type: 'string', default: 'sim-node-', help: 'node names are this prefix and an index' },
  'first-index': { type: 'number', default: 0, help: 'index of the first node (also picks its pod CIDR and address)' },
  cpu: { type: 'string', default: '4', help: 'cpu capacity of each node' },
  memory: { type: 'string', default: '16Gi', help: 'memory capacity of each node' },
  pods: { type: 'number', default: 110, help: 'pod capacity of each node' },
  labels: { type: 'string', default: '', help: 'extra node labels, k=v[,k=v...]' },
  taints: { type: 'string', default: '', help: 'node taints, k=v:Effect[,k=v:Effect...]' },
  'start-delay': { type: 'string', default: '0.5s', help: "how long a pod's sandbox takes to come up (ContainerCreating until then)" },
  'ready-delay': { type: 'string', default: '1s', help: 'from a container starting to its readiness probe passing' },
  'run-time': { type: 'string', default: '1s', help: 'how long containers of restartPolicy Never/OnFailure pods run before they succeed' },
  'node-lease-duration-seconds': { type: 'number', default: 40, help: "the node Lease's duration (kubelet's nodeLeaseDurationSeconds); renewed every quarter of it" },
} satisfies FlagSpec;

export const simUsage = `Usage: berth sim nodes [--count N] [--kubeconfig FILE] [options]
       berth sim run SCENARIO.yaml [--seed N] [--trace full|actions|none]

sim run: a deterministic simulation of the scenario (examples/sim/*.yaml): the real API, controllers
and scheduler with simulated kubelets under a virtual clock; one seed fixes every interleaving and
fault, so the same seed prints the same trace byte for byte. Exits 1 when a property is violated or
the cluster does not converge.

Pods bound to a simulated node are synced by the kubelet's own logic over an in-memory runtime:
ContainerCreating for --start-delay, init containers in order, then Running, and Ready after
--ready-delay; containers that exit are restarted with CrashLoopBackOff; pods with restartPolicy
Never or OnFailure succeed after --run-time. Per pod, the annotations
sim.berth.dev/run-seconds and sim.berth.dev/exit-code set how long its containers run and how
they exit; sim.berth.dev/ready: "false" fails its readiness probe (Running, not Ready) until the
annotation goes. SIGINT or SIGTERM stops the nodes: they stop heartbeating, as a failed node would.

${flagHelp(simFlags)}
`;

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of s.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new UsageError(`invalid label "${kv}": want key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

export function simNodesOptions(args: string[]): { options: SimNodesOptions; kubeconfig: string } {
  const f = parseFlags(args, simFlags);
  let taints: Taint[];
  try {
    taints = f.taints.split(',').filter(Boolean).map(parseTaint);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const leaseSeconds = f['node-lease-duration-seconds'];
  if (leaseSeconds < 1) throw new UsageError('--node-lease-duration-seconds must be at least 1');
  const kubeconfig = f.kubeconfig || process.env.KUBECONFIG?.split(':')[0] || join(homedir(), '.kube', 'config');
  return {
    kubeconfig,
    options: {
      count: f.count,
      namePrefix: f['name-prefix'],
      firstIndex: f['first-index'],
      cpu: f.cpu,
      memory: f.memory,
      pods: f.pods,
      labels: parseLabels(f.labels),
      taints,
      timing: {
        startDelayMs: parseDuration(f['start-delay']),
        readyDelayMs: parseDuration(f['ready-delay']),
        runMs: parseDuration(f['run-time']),
        leaseDurationSeconds: leaseSeconds,
        leaseRenewMs: leaseSeconds * 250,
      },
    },
  };
}

const runFlags = {
  seed: { type: 'number', default: 1, help: 'the seed of every choice' },
  trace: { type: 'string', default: 'actions', help: 'full (also every watch event), actions (writes, reconciles, faults) or none (the verdict only)' },
} satisfies FlagSpec;

export async function simRunCommand(args: string[]): Promise<number> {
  const file = args[0];
  if (!file || file.startsWith('--')) throw new UsageError('sim run needs a scenario file');
  const f = parseFlags(args.slice(1), runFlags);
  if (!['full', 'actions', 'none'].includes(f.trace)) throw new UsageError('--trace: full, actions or none');
  if (!existsSync(file)) throw new CommandError(`scenario ${file} not found`);
  let scenario;
  let props;
  try {
    scenario = parseScenario(readFileSync(file, 'utf8'));
    props = splitProperties(properties(scenario.properties));
  } catch (e) {
    if (e instanceof ScenarioError || e instanceof Error) throw new CommandError(`${file}: ${e.message}`);
    throw e;
  }
  const out: string[] = [];
  const flush = () => {
    if (out.length) process.stdout.write(out.join('\n') + '\n');
    out.length = 0;
  };
  const sim = new Simulation(scenario, f.seed, {
    line: (l) => {
      if (f.trace === 'none') return;
      out.push(l);
      if (out.length >= 1000) flush();
    },
  }, props);
  sim.verbose = f.trace === 'full';
  const r = await sim.run();
  flush();
  const lines = [
    `scenario ${r.scenario} seed ${r.seed}: ${r.steps} steps, ${r.writes} writes, ${(r.elapsedMs / 1000).toFixed(3)} s virtual`,
    ...r.violations.map((v) => `violation: ${v}`),
    ...r.unmetGoals.map((g) => `not converged: ${g}`),
    r.violations.length || r.unmetGoals.length ? 'verdict: FAIL' : `verdict: PASS${r.convergedAtMs !== undefined ? ` (converged at ${(r.convergedAtMs / 1000).toFixed(3)} s)` : ''}`,
    `trace sha256 ${r.traceHash}`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
  return r.violations.length || r.unmetGoals.length ? 1 : 0;
}

export async function simCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'run') return simRunCommand(rest);
  if (sub !== 'nodes') throw new UsageError(sub ? `unknown sim command "${sub}"` : 'missing sim command');
  const { options, kubeconfig } = simNodesOptions(rest);
  if (!existsSync(kubeconfig)) throw new CommandError(`kubeconfig ${kubeconfig} not found; pass --kubeconfig`);
  const client = new RemoteClient(new HttpClient(loadKubeconfig(kubeconfig)));
  const nodes = new SimNodes(client, options);
  await nodes.start();
  const names = nodes.names;
  process.stdout.write(`berth: ${names.length} simulated node(s) running: ${names.length > 3 ? `${names.slice(0, 3).join(', ')}, ...` : names.join(', ')}\n`);
  await runUntilSignal(async () => nodes.stop());
  return 0;
}
