// `berth check PROPERTY --scope ...`: model-check the real controllers (or a seeded-bug variant)
// over every interleaving of a small scope, or seed 004's KubernetesConsistency module.
import { check, formatResult, type Model } from '../verify/checker.js';
import { ClusterModel, SCOPES } from '../verify/cluster-model.js';
import { kubernetesConsistency, DEFAULT_KC } from '../verify/tla-model.js';
import { MUTANTS, type MutantName } from '../verify/mutants/index.js';
import { tuneForCheck } from '../verify/jit.js';
import { UsageError, flagHelp, parseFlags, type FlagSpec } from './flags.js';

const checkFlags = {
  scope: { type: 'string', default: 'rollout', help: `the cluster model: ${Object.keys(SCOPES).join(', ')}, or tla (seed 004 §16.1)` },
  replicas: { type: 'number', default: 0, help: 'replicas in the scope (default: the scope\'s own: 3 for rollout and statefulset, 2 for foreground; MaxReplicaCount for tla)' },
  nodes: { type: 'number', default: 2, help: 'nodes in the scope' },
  mutant: { type: 'string', default: '', help: `check a seeded-bug controller instead of the real one: ${Object.keys(MUTANTS).join(', ')}` },
  'max-depth': { type: 'number', default: 0, help: 'stop exploring below this depth (0: no bound)' },
  'max-states': { type: 'number', default: 500000, help: 'stop after this many states' },
} satisfies FlagSpec;

export const checkUsage = `Usage: berth check PROPERTY [--scope rollout|statefulset|foreground|tla] [options]

PROPERTY is "all" (every property of the scope), a safety property of the scope (rolling-update,
node-capacity, finalizers, statefulset-identity, statefulset-ordering, foreground-deletion;
TypeInvariant, SafetyProperty for tla) or its liveness goal (rollout-complete, statefulset-ready,
foreground-complete; EventualConsistency for tla). Every reachable state is explored breadth-first;
a violation prints the shortest trace that reaches it. Exits 1 on a violation.

${flagHelp(checkFlags)}
`;

export async function checkCommand(args: string[]): Promise<number> {
  const prop = args[0];
  if (!prop || prop.startsWith('--')) throw new UsageError('check needs a property (or "all")');
  const f = parseFlags(args.slice(1), checkFlags);
  if (f.mutant && !(f.mutant in MUTANTS)) throw new UsageError(`unknown mutant "${f.mutant}"; known: ${Object.keys(MUTANTS).join(', ')}`);
  tuneForCheck();
  let model: Model<unknown>;
  if (f.scope === 'tla') {
    model = kubernetesConsistency({ ...DEFAULT_KC, nodes: Array.from({ length: f.nodes }, (_, i) => `n${i + 1}`), ...(f.replicas ? { maxReplicaCount: f.replicas } : {}) }) as Model<unknown>;
  } else {
    const make = SCOPES[f.scope];
    if (!make) throw new UsageError(`unknown scope "${f.scope}"; known: ${Object.keys(SCOPES).join(', ')}, tla`);
    model = new ClusterModel(make(f.replicas || undefined, f.nodes), (f.mutant || undefined) as MutantName | undefined) as unknown as Model<unknown>;
  }
  const known = [...model.invariants.map((i) => i.name), ...(model.steps ?? []).map((s) => s.name), ...(model.goal ? [model.goal.name] : [])];
  if (prop !== 'all' && !known.includes(prop)) throw new UsageError(`property "${prop}" is not checked in this scope; known: all, ${known.join(', ')}`);
  if (prop !== 'all') {
    const base = model;
    model = {
      name: base.name,
      init: () => base.init(),
      next: (s) => base.next(s),
      hash: (s) => base.hash(s),
      ...(base.describe ? { describe: (s: unknown) => base.describe!(s) } : {}),
      invariants: base.invariants.filter((i) => i.name === prop),
      steps: (base.steps ?? []).filter((s) => s.name === prop),
      ...(base.goal?.name === prop ? { goal: base.goal } : {}),
    };
  }
  const r = await check(model, {
    ...(f['max-depth'] ? { maxDepth: f['max-depth'] } : {}),
    maxStates: f['max-states'],
  });
  process.stdout.write(formatResult(r) + '\n');
  return r.violations.length ? 1 : 0;
}
