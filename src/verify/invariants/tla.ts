// Seed 004 §16.1's TLA+ module KubernetesConsistency (P-7, P-8, P-9), with the parts the seed
// leaves out written down. In TLA+ terms:
//
//   CONSTANTS Nodes, MaxReplicaCount, MaxChanges, MaxFailures, MaxTerm
//   Records == [term: Nat, desired: 1..MaxReplicaCount]       \* a replicated write of the desired count
//   Init == nodeState = [n \in Nodes |-> "Running"] /\ etcdLog = <<>> /\ currentTerm = 0
//           /\ commitIndex = 0 /\ controller = [desiredReplicas |-> 1, actualReplicas |-> 0]
//   SetDesired(r)  == changes < MaxChanges /\ etcdLog' = Append(etcdLog, [term |-> currentTerm, desired |-> r])
//   Commit         == commitIndex < Len(etcdLog) /\ commitIndex' = commitIndex + 1
//                     /\ controller.desiredReplicas' = etcdLog[commitIndex + 1].desired
//   Elect          == currentTerm < MaxTerm /\ currentTerm' = currentTerm + 1
//                     /\ etcdLog' = SubSeq(etcdLog, 1, commitIndex)     \* a new leader drops uncommitted entries
//   NodeFail(n)    == nodeState[n] = "Running" /\ failures < MaxFailures /\ nodeState'[n] = "Failed"
//                     /\ actualReplicas' = Max(0, actualReplicas - 1)   \* a replica on it is lost
//   NodePartition(n) == nodeState[n] = "Running" /\ failures < MaxFailures /\ nodeState'[n] = "Unknown"
//   NodeRecover(n) == nodeState[n] # "Running" /\ nodeState'[n] = "Running"
//   ScaleUp        == actualReplicas < desiredReplicas /\ \E n: nodeState[n] = "Running" /\ actualReplicas' = actualReplicas + 1
//   ScaleDown      == actualReplicas > desiredReplicas /\ actualReplicas' = actualReplicas - 1
//   Next == \E r: SetDesired(r) \/ Commit \/ Elect \/ \E n: NodeFail(n) \/ NodePartition(n) \/ NodeRecover(n) \/ ScaleUp \/ ScaleDown
//   Spec == Init /\ [][Next]_vars /\ WF(Commit) /\ WF(ScaleUp) /\ WF(ScaleDown) /\ \A n: WF(NodeRecover(n))
//
// The budgets (MaxChanges, MaxFailures, MaxTerm) are the quiescence assumption the seed's
// EventualConsistency needs: a desired state that changes forever is never reached (spec §5).
export type NodeStatus = 'Running' | 'Failed' | 'Unknown';

export interface KcRecord {
  term: number;
  desired: number;
}

export interface KcState {
  nodeState: Record<string, NodeStatus>;
  etcdLog: KcRecord[];
  currentTerm: number;
  commitIndex: number;
  controller: { desiredReplicas: number; actualReplicas: number };
  changes: number;
  failures: number;
}

export interface KcConstants {
  nodes: string[];
  maxReplicaCount: number;
  maxChanges: number;
  maxFailures: number;
  maxTerm: number;
}

export const kcInit = (k: KcConstants): KcState => ({
  nodeState: Object.fromEntries(k.nodes.map((n) => [n, 'Running' as NodeStatus])),
  etcdLog: [],
  currentTerm: 0,
  commitIndex: 0,
  controller: { desiredReplicas: 1, actualReplicas: 0 },
  changes: 0,
  failures: 0,
});

export interface KcStep {
  label: string;
  next: KcState;
  /** An environment or fault step (no fairness); the rest are the system's, weakly fair. */
  env: boolean;
}

/** Next, as the list of enabled steps. `variant` swaps in a deliberately wrong action for tests. */
export function kcNext(k: KcConstants, s: KcState, variant?: 'overshoot' | 'no-scale-down'): KcStep[] {
  const out: KcStep[] = [];
  const c = s.controller;
  const put = (label: string, env: boolean, change: Partial<KcState>) => out.push({ label, env, next: { ...s, ...change } });
  if (s.changes < k.maxChanges) {
    for (let r = 1; r <= k.maxReplicaCount; r++) put(`SetDesired(${r})`, true, { etcdLog: [...s.etcdLog, { term: s.currentTerm, desired: r }], changes: s.changes + 1 });
  }
  if (s.commitIndex < s.etcdLog.length) {
    put('Commit', false, { commitIndex: s.commitIndex + 1, controller: { ...c, desiredReplicas: s.etcdLog[s.commitIndex]!.desired } });
  }
  if (s.currentTerm < k.maxTerm) put('Elect', true, { currentTerm: s.currentTerm + 1, etcdLog: s.etcdLog.slice(0, s.commitIndex) });
  for (const n of k.nodes) {
    const st = s.nodeState[n];
    if (st === 'Running' && s.failures < k.maxFailures) {
      put(`NodeFail(${n})`, true, { nodeState: { ...s.nodeState, [n]: 'Failed' }, failures: s.failures + 1, controller: { ...c, actualReplicas: Math.max(0, c.actualReplicas - 1) } });
      put(`NodePartition(${n})`, true, { nodeState: { ...s.nodeState, [n]: 'Unknown' }, failures: s.failures + 1 });
    }
    if (st !== 'Running') put(`NodeRecover(${n})`, false, { nodeState: { ...s.nodeState, [n]: 'Running' } });
  }
  const anyRunning = k.nodes.some((n) => s.nodeState[n] === 'Running');
  const upGuard = variant === 'overshoot' ? c.actualReplicas <= c.desiredReplicas : c.actualReplicas < c.desiredReplicas;
  if (upGuard && anyRunning) put('ScaleUp', false, { controller: { ...c, actualReplicas: c.actualReplicas + 1 } });
  if (variant !== 'no-scale-down' && c.actualReplicas > c.desiredReplicas) put('ScaleDown', false, { controller: { ...c, actualReplicas: c.actualReplicas - 1 } });
  return out;
}

const isNat = (x: unknown): x is number => Number.isInteger(x) && (x as number) >= 0;

/** TypeInvariant (P-7). */
export function kcTypeViolations(k: KcConstants, s: KcState): string[] {
  const out: string[] = [];
  for (const n of k.nodes) if (!['Running', 'Failed', 'Unknown'].includes(s.nodeState[n] as string)) out.push(`nodeState[${n}] = ${s.nodeState[n]}`);
  if (Object.keys(s.nodeState).some((n) => !k.nodes.includes(n))) out.push('nodeState has keys outside Nodes');
  for (const r of s.etcdLog) if (!isNat(r.term) || !(r.desired >= 1 && r.desired <= k.maxReplicaCount)) out.push(`etcdLog holds ${JSON.stringify(r)}, not a Record`);
  if (!isNat(s.currentTerm)) out.push(`currentTerm = ${s.currentTerm}`);
  if (!(isNat(s.commitIndex) && s.commitIndex <= s.etcdLog.length)) out.push(`commitIndex ${s.commitIndex} outside 0..${s.etcdLog.length}`);
  const c = s.controller;
  if (!(Number.isInteger(c.desiredReplicas) && c.desiredReplicas >= 1 && c.desiredReplicas <= k.maxReplicaCount)) out.push(`desiredReplicas ${c.desiredReplicas} outside 1..${k.maxReplicaCount}`);
  if (!(isNat(c.actualReplicas) && c.actualReplicas <= k.maxReplicaCount)) out.push(`actualReplicas ${c.actualReplicas} outside 0..${k.maxReplicaCount}`);
  return out;
}

/** SafetyProperty == [](actualReplicas <= MaxReplicaCount) (P-8). */
export const kcSafetyViolations = (k: KcConstants, s: KcState): string[] =>
  s.controller.actualReplicas <= k.maxReplicaCount ? [] : [`actualReplicas ${s.controller.actualReplicas} > MaxReplicaCount ${k.maxReplicaCount}`];

/** EventualConsistency == <>[](actualReplicas = desiredReplicas) (P-9): the goal's unmet part. */
export const kcGoalUnmet = (s: KcState): string[] =>
  s.controller.actualReplicas === s.controller.desiredReplicas ? [] : [`actualReplicas ${s.controller.actualReplicas} ≠ desiredReplicas ${s.controller.desiredReplicas}`];

export const kcHash = (s: KcState): string =>
  `${Object.values(s.nodeState).join(',')}|${s.etcdLog.map((r) => `${r.term}:${r.desired}`).join(',')}|${s.currentTerm}|${s.commitIndex}|${s.controller.desiredReplicas}|${s.controller.actualReplicas}|${s.changes}|${s.failures}`;

export const kcDescribe = (s: KcState): string =>
  `nodes {${Object.entries(s.nodeState).map(([n, v]) => `${n}: ${v}`).join(', ')}} log [${s.etcdLog.map((r) => `${r.term}:${r.desired}`).join(' ')}] term ${s.currentTerm} commit ${s.commitIndex} desired ${s.controller.desiredReplicas} actual ${s.controller.actualReplicas}`;
