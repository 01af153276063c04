// Seed 004 §4.2 (P-6): a Job eventually ends Complete or Failed, and on the way it never claims
// both, never counts more successes than completions, and runs no pods once it has ended.
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { JobSpec, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../../model/object.js';
import { nameOf, type ClusterState, type GoalProperty, type StateProperty } from './state.js';

type JobObj = KubeObject & { spec?: JobSpec; status?: JobStatus };
type PodObj = KubeObject & Pod;

const isTrue = (j: JobObj, type: string) => (j.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
const finished = (j: JobObj) => isTrue(j, 'Complete') || isTrue(j, 'Failed');

export function jobSafetyViolations(s: ClusterState): string[] {
  const out: string[] = [];
  const pods = s.list('pods') as PodObj[];
  for (const j of s.list('jobs') as JobObj[]) {
    const n = `job ${nameOf(j)}`;
    if (isTrue(j, 'Complete') && isTrue(j, 'Failed')) out.push(`${n}: both Complete and Failed`);
    const completions = j.spec?.completions;
    if (completions !== undefined && completions !== null && (j.status?.succeeded ?? 0) > completions) out.push(`${n}: ${j.status?.succeeded} succeeded > completions ${completions}`);
    if (isTrue(j, 'Complete') && completions !== undefined && completions !== null && (j.status?.succeeded ?? 0) < completions) {
      out.push(`${n}: Complete with ${j.status?.succeeded ?? 0} of ${completions} succeeded`);
    }
    if (finished(j)) {
      // Once ended, the Job counts no active pod (upstream deletes the rest before it says so).
      if ((j.status?.active ?? 0) > 0) out.push(`${n}: finished with status.active ${j.status?.active}`);
      const running = pods.filter((p) => p.metadata.ownerReferences?.some((r) => r.uid === j.metadata.uid && r.controller) &&
        p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata.deletionTimestamp);
      // A finished Job's pod may still show as running in the state it finished in only if it was already being removed.
      if (running.length && j.status?.completionTime) out.push(`${n}: completed while pods ${running.map(nameOf).join(', ')} still run`);
    }
  }
  return out;
}

export const jobSafety: StateProperty = {
  kind: 'state',
  name: 'job-consistent',
  cite: 'seed 004 §4.2 (Job termination), P-6',
  check: jobSafetyViolations,
};

export const jobsTerminate: GoalProperty = {
  kind: 'goal',
  name: 'job-terminates',
  cite: 'seed 004 §4.2 (termination: a Job eventually Completes or Fails), P-6',
  unmet: (s) => (s.list('jobs') as JobObj[]).filter((j) => !finished(j)).map((j) => `job ${nameOf(j)} has not ended`),
};
