// Seed 004 §16.1's KubernetesConsistency module (invariants/tla.ts) as a model for the checker.
import type { Model } from './checker.js';
import { kcDescribe, kcGoalUnmet, kcHash, kcInit, kcNext, kcSafetyViolations, kcTypeViolations, type KcConstants, type KcState } from './invariants/tla.js';

export const DEFAULT_KC: KcConstants = { nodes: ['n1', 'n2'], maxReplicaCount: 3, maxChanges: 2, maxFailures: 2, maxTerm: 1 };

export function kubernetesConsistency(k: KcConstants = DEFAULT_KC, variant?: 'overshoot' | 'no-scale-down'): Model<KcState> {
  return {
    name: `KubernetesConsistency(${k.nodes.length} nodes, MaxReplicaCount ${k.maxReplicaCount}${variant ? `, variant ${variant}` : ''})`,
    init: () => [kcInit(k)],
    // Its environment steps (SetDesired, Elect, failures) may or may not happen: faults to the checker.
    next: (s) => kcNext(k, s, variant).map((x) => ({ label: x.label, next: x.next, env: x.env, fault: x.env })),
    hash: kcHash,
    invariants: [
      { name: 'TypeInvariant', check: (s) => kcTypeViolations(k, s) },
      { name: 'SafetyProperty', check: (s) => kcSafetyViolations(k, s) },
    ],
    goal: { name: 'EventualConsistency', unmet: kcGoalUnmet },
    describe: kcDescribe,
  };
}
