// Seed 004 §16.1's KubernetesConsistency module (invariants/tla.ts) as a model for the checker.
import type { Model } from './checker.js';
import { kcDescribe, kcGoalUnmet, kcInit, kcNext, kcSafetyViolations, kcTypeViolations, type KcConstants, type KcState } from './invariants/tla.js';
import { Interner } from './memo.js';
import { TupleBuffer, TupleTable } from './tuples.js';

export const DEFAULT_KC: KcConstants = { nodes: ['n1', 'n2'], maxReplicaCount: 3, maxChanges: 2, maxFailures: 2, maxTerm: 1 };

export function kubernetesConsistency(k: KcConstants = DEFAULT_KC, variant?: 'overshoot' | 'no-scale-down'): Model<KcState> {
  return {
    name: `KubernetesConsistency(${k.nodes.length} nodes, MaxReplicaCount ${k.maxReplicaCount}${variant ? `, variant ${variant}` : ''})`,
    init: () => [kcInit(k)],
    // Its environment steps (SetDesired, Elect, failures) may or may not happen: faults to the checker.
    next: (s) => kcNext(k, s, variant).map((x) => ({ label: x.label, next: x.next, env: x.env, fault: x.env })),
    hash: kcInterned(),
    invariants: [
      { name: 'TypeInvariant', check: (s) => kcTypeViolations(k, s) },
      { name: 'SafetyProperty', check: (s) => kcSafetyViolations(k, s) },
    ],
    goal: { name: 'EventualConsistency', unmet: kcGoalUnmet },
    describe: kcDescribe,
  };
}

/**
 * kcHash's distinctions as an interned tuple of integers (ids 0, 1, …): the checker keeps a state's
 * id by a small integer in a typed array, where a string was built per step and looked up in a Map
 * as large as the states. The node statuses in nodeState's order, the log, the counters: counts
 * first, so a tuple parses one way; a number that is not an int32 is refused (TupleTable).
 */
export function kcInterned(): (s: KcState) => number {
  const forms = new TupleTable();
  const statuses = new Interner<string>();
  const t = new TupleBuffer();
  return (s) => {
    t.reset();
    const nodes = Object.values(s.nodeState);
    t.push(nodes.length);
    for (let i = 0; i < nodes.length; i++) t.push(statuses.id(nodes[i]!));
    t.push(s.etcdLog.length);
    for (let i = 0; i < s.etcdLog.length; i++) {
      t.push(s.etcdLog[i]!.term);
      t.push(s.etcdLog[i]!.desired);
    }
    t.push(s.currentTerm);
    t.push(s.commitIndex);
    t.push(s.controller.desiredReplicas);
    t.push(s.controller.actualReplicas);
    t.push(s.changes);
    t.push(s.failures);
    return forms.id(t.t, t.n);
  };
}
