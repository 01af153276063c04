// The container lifecycle of seed 004 (§9.1 FSA, §19.2 Rust FSM; spec A-1, P-1..P-3), written here
// as data, independently of the engine's state machine, so the engine can be judged by it:
//   (created, start) → running     (running, pause) → paused     (running, stop) → exited(0)
//   (running, kill) → exited(137)  (paused, unpause|resume) → running   (exited, remove) → dead
// anything else is refused with "Invalid transition: <State> -> <Cmd>", the state unchanged;
// exited and dead carry an exit time. And the Kubernetes side of the same lifecycle, over pods: a
// container that terminated runs again only as a new instance (its restartCount goes up).
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Command, LifecycleState, Result } from '../../engine/lifecycle.js';
import type { KubeObject } from '../../model/object.js';
import { nameOf, type ClusterState, type StepProperty } from './state.js';

const TABLE: Record<string, Record<string, { to: string; exitCode?: number }>> = {
  created: { start: { to: 'running' } },
  running: { pause: { to: 'paused' }, stop: { to: 'exited', exitCode: 0 }, kill: { to: 'exited', exitCode: 137 } },
  paused: { unpause: { to: 'running' }, resume: { to: 'running' } },
  exited: { remove: { to: 'dead' } },
  dead: {},
};

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const shown = (s: LifecycleState) => (s.status === 'exited' ? `Exited(${s.exitCode})` : cap(s.status));

export interface LifecycleStep {
  before: LifecycleState;
  cmd: Command;
  result: Result;
}

/** The seed's validate(): exited or dead ⇒ an exit time (P-2). */
export function lifecycleStateViolations(s: LifecycleState): string[] {
  return (s.status === 'exited' || s.status === 'dead') && s.finishedAt === undefined ? [`${shown(s)} without an exit time`] : [];
}

/** Each step of a run of a container state machine against the seed's table (P-1, P-3). */
export function containerLifecycleViolations(steps: LifecycleStep[]): string[] {
  const out: string[] = [];
  steps.forEach(({ before, cmd, result }, i) => {
    const at = `step ${i + 1} (${shown(before)} -> ${cap(cmd.op)})`;
    const row = TABLE[before.status]?.[cmd.op];
    if (row) {
      if (!result.ok) out.push(`${at}: refused (${result.error.message}), the seed allows it`);
      else {
        if (result.state.status !== row.to) out.push(`${at}: went to ${shown(result.state)}, the seed says ${cap(row.to)}`);
        if (row.exitCode !== undefined && result.state.exitCode !== row.exitCode) out.push(`${at}: exit code ${result.state.exitCode}, the seed says ${row.exitCode}`);
      }
    } else if (result.ok) {
      out.push(`${at}: allowed (to ${shown(result.state)}), the seed refuses it`);
    } else {
      const want = `Invalid transition: ${shown(before)} -> ${cap(cmd.op)}`;
      if (result.error.message !== want) out.push(`${at}: refused with "${result.error.message}", the seed says "${want}"`);
      if (result.state !== before && JSON.stringify(result.state) !== JSON.stringify(before)) out.push(`${at}: refused but the state changed`);
    }
    for (const v of lifecycleStateViolations(result.state)) out.push(`${at}: ${v}`);
  });
  return out;
}

type PodObj = KubeObject & Pod;

/** Pods across a step: a terminated container instance never runs again; a new one has a higher restartCount. */
export const podContainerLifecycle: StepProperty = {
  kind: 'step',
  name: 'container-lifecycle',
  cite: 'seed 004 §9.1, §19.2 (exited is final for an instance; a restart is a new instance)',
  resources: ['pods'],
  check(before: ClusterState, after: ClusterState): string[] {
    const out: string[] = [];
    const prev = new Map((before.list('pods') as PodObj[]).map((p) => [p.metadata.uid, p]));
    for (const p of after.list('pods') as PodObj[]) {
      const q = prev.get(p.metadata.uid);
      if (!q) continue;
      for (const c of p.status?.containerStatuses ?? []) {
        const old = q.status?.containerStatuses?.find((x) => x.name === c.name);
        if (!old) continue;
        const restarts = c.restartCount ?? 0;
        const oldRestarts = old.restartCount ?? 0;
        if (restarts < oldRestarts) out.push(`pod ${nameOf(p)} container ${c.name}: restartCount went from ${oldRestarts} to ${restarts}`);
        if (old.state?.terminated && !c.state?.terminated && restarts === oldRestarts) {
          out.push(`pod ${nameOf(p)} container ${c.name}: terminated instance ${c.containerID ?? ''} ran again without a restart`);
        }
      }
    }
    return out;
  },
};
