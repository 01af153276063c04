// The invariant library: every property by name, with the seed section it comes from. The
// simulator's scenarios and `berth check` name properties from this table.
import type { DecisionProperty, GoalProperty, Property, StateProperty, StepProperty } from './state.js';
import { rollingUpdate, rolloutsComplete, statefulSetIdentity, statefulSetOrdering } from './workloads.js';
import { podContainerLifecycle } from './lifecycle.js';
import { readWriteOnce } from './storage.js';
import { jobSafety, jobsTerminate } from './job.js';
import { nodeCapacity } from './capacity.js';
import { finalizers } from './finalizers.js';
import { foregroundDeletion, noOrphans } from './gc.js';

export * from './state.js';

export const PROPERTIES: readonly Property[] = [
  rollingUpdate,
  rolloutsComplete,
  statefulSetIdentity,
  statefulSetOrdering,
  podContainerLifecycle,
  readWriteOnce,
  jobSafety,
  jobsTerminate,
  nodeCapacity,
  finalizers,
  foregroundDeletion,
  noOrphans,
];

export function property(name: string): Property | undefined {
  return PROPERTIES.find((p) => p.name === name);
}

/** Properties by name; unknown names are an error listing the known ones. */
export function properties(names: string[]): Property[] {
  return names.map((n) => {
    const p = property(n);
    if (!p) throw new Error(`unknown property "${n}"; known: ${PROPERTIES.map((x) => x.name).join(', ')}`);
    return p;
  });
}

/** Properties by kind, as the simulator takes them. */
export function splitProperties(ps: Property[]): { state: StateProperty[]; step: StepProperty[]; decision: DecisionProperty[]; goal: GoalProperty[] } {
  return {
    state: ps.filter((p): p is StateProperty => p.kind === 'state'),
    step: ps.filter((p): p is StepProperty => p.kind === 'step'),
    decision: ps.filter((p): p is DecisionProperty => p.kind === 'decision'),
    goal: ps.filter((p): p is GoalProperty => p.kind === 'goal'),
  };
}
