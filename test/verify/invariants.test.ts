// Every property of the invariant library, shown holding and shown violated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../src/model/object.js';
import { stateOf } from '../../src/verify/invariants/state.js';
import { rollingUpdate, rolloutsComplete, statefulSetIdentity, statefulSetOrdering } from '../../src/verify/invariants/workloads.js';
import { containerLifecycleViolations, podContainerLifecycle, type LifecycleStep } from '../../src/verify/invariants/lifecycle.js';
import { readWriteOnce } from '../../src/verify/invariants/storage.js';
import { jobSafety, jobsTerminate } from '../../src/verify/invariants/job.js';
import { nodeCapacity } from '../../src/verify/invariants/capacity.js';
import { finalizers } from '../../src/verify/invariants/finalizers.js';
import { foregroundDeletion, noOrphans } from '../../src/verify/invariants/gc.js';
import { leaderExclusionViolations, leaseTimingViolations, runElection, SEED_LEASE } from '../../src/verify/invariants/leader.js';
import { applyGitOps, gitDiff, idempotenceViolations, type GitOp } from '../../src/verify/invariants/gitops.js';
import { PROPERTIES } from '../../src/verify/invariants/index.js';
import { initialState, seedTransition, dockerTransition, type Command, type LifecycleState } from '../../src/engine/lifecycle.js';
import { statefulSetController } from '../../src/controllers/statefulset.js';
import { SnapshotView } from '../../src/controllers/snapshot.js';
import { R } from '../../src/model/api.js';

const T = Date.parse('2026-01-01T00:00:00Z');
const ts = (ms = 0) => new Date(T + ms).toISOString().replace('.000Z', 'Z');
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', uid: `uid-${name}`, ...extra });
const owner = (kind: string, name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: kind === 'ReplicaSet' || kind === 'Deployment' || kind === 'StatefulSet' ? 'apps/v1' : 'v1', kind, name, uid: `uid-${name}`, controller: true, ...extra });
const readyPod = (name: string, rs: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'v1', kind: 'Pod', metadata: meta(name, { ownerReferences: [owner('ReplicaSet', rs)] }),
  spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '500m' } } }], ...extra },
  status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: ts() }] },
});
const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } });
const deployment = (image: string): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: meta('web', { generation: 2 }),
  spec: { replicas: 3, selector: { matchLabels: { app: 'web' } }, template: template(image), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } },
  status: { observedGeneration: 2, updatedReplicas: 3, availableReplicas: 3, replicas: 3 },
});
const rs = (name: string, image: string, replicas: number): KubeObject => ({
  apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta(name, { ownerReferences: [owner('Deployment', 'web')] }),
  spec: { replicas, selector: { matchLabels: { app: 'web' } }, template: template(image) },
});

test('every property in the library cites its seed section', () => {
  for (const p of PROPERTIES) assert.match(p.cite, /seed \d+/, p.name);
  assert.equal(new Set(PROPERTIES.map((p) => p.name)).size, PROPERTIES.length);
});

test('rolling-update: holds within surge and availability; fails above surge and below availability', () => {
  const d = deployment('v2');
  const ok = stateOf(T, { deployments: [d], replicasets: [rs('old', 'v1', 1), rs('new', 'v2', 3)], pods: [readyPod('a', 'old'), readyPod('b', 'new'), readyPod('c', 'new'), readyPod('d', 'new')] });
  assert.deepEqual(rollingUpdate.check(ok), []);
  const over = stateOf(T, { deployments: [d], replicasets: [rs('old', 'v1', 2), rs('new', 'v2', 3)], pods: ['a', 'b'].map((n) => readyPod(n, 'old')).concat(['c', 'd', 'e'].map((n) => readyPod(n, 'new'))) });
  assert.match(rollingUpdate.check(over).join(), /INV-RU-1: 5 pods > replicas 3 \+ maxSurge 1/);
  const unready = { ...readyPod('a', 'old'), status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } };
  const under = stateOf(T, { deployments: [d], replicasets: [rs('old', 'v1', 1), rs('new', 'v2', 3)], pods: [unready, readyPod('c', 'new'), readyPod('d', 'new')] });
  assert.match(rollingUpdate.check(under).join(), /INV-RU-2: 2 available < replicas 3/);
  assert.match(rolloutsComplete.unmet(under).join(), /2 updated, 2 available/);
  // Scaling up from nothing is not a rollout: INV-RU-2 is not judged without old pods.
  const starting = stateOf(T, { deployments: [d], replicasets: [rs('new', 'v2', 3)], pods: [readyPod('c', 'new')] });
  assert.deepEqual(rollingUpdate.check(starting), []);
  const done = stateOf(T, { deployments: [d], replicasets: [rs('old', 'v1', 0), rs('new', 'v2', 3)], pods: ['c', 'd', 'e'].map((n) => readyPod(n, 'new')) });
  assert.deepEqual(rolloutsComplete.unmet(done), []);
});

test('statefulset identity and ordering: the real controller holds; a decision creating ordinal 2 before 1 is Ready fails', () => {
  const set: KubeObject = {
    apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: meta('db', { generation: 1 }),
    spec: { replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } },
  };
  const stsPod = (i: number, ready: boolean): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod',
    metadata: meta(`db-${i}`, { labels: { app: 'db', 'statefulset.kubernetes.io/pod-name': `db-${i}` }, ownerReferences: [owner('StatefulSet', 'db')] }),
    spec: { hostname: `db-${i}`, containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  });
  const pods = [stsPod(0, true), stsPod(1, false)];
  assert.deepEqual(statefulSetIdentity.check(stateOf(T, { statefulsets: [set], pods })), []);
  const dup = { ...stsPod(1, true), metadata: { ...stsPod(1, true).metadata, name: 'db-1', uid: 'other' } };
  assert.match(statefulSetIdentity.check(stateOf(T, { statefulsets: [set], pods: [...pods, dup] })).join(), /share ordinal 1/);
  const c = statefulSetController();
  const view = new SnapshotView([{ resource: R.statefulsets, object: set }, ...pods.map((object) => ({ resource: R.pods, object }))]);
  const obs = c.observe('default/db', view);
  const decision = c.reconcile(obs, T);
  assert.deepEqual(statefulSetOrdering.check(obs, decision), []);
  const bad = { actions: [{ kind: 'create' as const, resource: R.pods, namespace: 'default', object: stsPod(2, false) }] };
  assert.match(statefulSetOrdering.check(obs, bad).join(), /db-2 created while db-1 is not Running and Ready/);
});

const run = (transition: typeof seedTransition, cmds: Command['op'][]): LifecycleStep[] => {
  let s: LifecycleState = initialState(T);
  return cmds.map((op, i) => {
    const before = s;
    const result = transition(s, { op } as Command, T + i + 1);
    s = result.state;
    return { before, cmd: { op } as Command, result };
  });
};

test('container lifecycle: the engine\'s seed table follows the seed; the Docker table is seen to depart from it', () => {
  const ops: Command['op'][] = ['remove', 'start', 'pause', 'stop', 'unpause', 'kill', 'start', 'remove', 'remove', 'start'];
  assert.deepEqual(containerLifecycleViolations(run(seedTransition, ops)), []);
  // Real Docker restarts an exited container: not the seed's table, and the property says so.
  const docker = run((s, c, now) => dockerTransition(s, c, now, 'abc'), ['start', 'stop', 'start']);
  assert.match(containerLifecycleViolations(docker).join(), /step 3 \(Exited\(0\) -> Start\): allowed/);
  const noExitTime: LifecycleStep = { before: { status: 'running', exitCode: 0, createdAt: T }, cmd: { op: 'stop' }, result: { ok: true, state: { status: 'exited', exitCode: 0, createdAt: T } } };
  assert.match(containerLifecycleViolations([noExitTime]).join(), /without an exit time/);
});

test('container lifecycle over pods: a terminated instance does not run again without a restart', () => {
  const pod = (state: object, restartCount: number): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta('p'), status: { containerStatuses: [{ name: 'c', restartCount, state }] } });
  const term = pod({ terminated: { exitCode: 1 } }, 0);
  assert.deepEqual(podContainerLifecycle.check(stateOf(T, { pods: [term] }), stateOf(T, { pods: [pod({ running: {} }, 1)] })), []);
  assert.match(podContainerLifecycle.check(stateOf(T, { pods: [term] }), stateOf(T, { pods: [pod({ running: {} }, 0)] })).join(), /ran again without a restart/);
});

test('rwo-exclusive: one node per ReadWriteOnce claim, one pod per ReadWriteOncePod claim', () => {
  const claim = (name: string, mode: string): KubeObject => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: meta(name), spec: { accessModes: [mode] } });
  const user = (name: string, node: string, c: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta(name), spec: { nodeName: node, containers: [], volumes: [{ name: 'v', persistentVolumeClaim: { claimName: c } }] }, status: { phase: 'Running' } });
  const claims = [claim('data', 'ReadWriteOnce'), claim('solo', 'ReadWriteOncePod')];
  assert.deepEqual(readWriteOnce.check(stateOf(T, { persistentvolumeclaims: claims, pods: [user('a', 'n1', 'data'), user('b', 'n1', 'data'), user('c', 'n2', 'solo')] })), []);
  assert.match(readWriteOnce.check(stateOf(T, { persistentvolumeclaims: claims, pods: [user('a', 'n1', 'data'), user('b', 'n2', 'data')] })).join(), /data \(ReadWriteOnce\) mounted on nodes n1, n2/);
  assert.match(readWriteOnce.check(stateOf(T, { persistentvolumeclaims: claims, pods: [user('a', 'n1', 'solo'), user('b', 'n1', 'solo')] })).join(), /solo \(ReadWriteOncePod\)/);
});

test('job: consistent while it runs, terminates; both conditions, surplus successes and unfinished jobs are caught', () => {
  const job = (status: object): KubeObject => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta('j'), spec: { completions: 2 }, status });
  const complete = job({ succeeded: 2, conditions: [{ type: 'Complete', status: 'True' }] });
  assert.deepEqual(jobSafety.check(stateOf(T, { jobs: [complete] })), []);
  assert.deepEqual(jobsTerminate.unmet(stateOf(T, { jobs: [complete] })), []);
  const both = job({ succeeded: 3, conditions: [{ type: 'Complete', status: 'True' }, { type: 'Failed', status: 'True' }] });
  const v = jobSafety.check(stateOf(T, { jobs: [both] })).join('\n');
  assert.match(v, /both Complete and Failed/);
  assert.match(v, /3 succeeded > completions 2/);
  assert.match(jobsTerminate.unmet(stateOf(T, { jobs: [job({ active: 1 })] })).join(), /has not ended/);
});

test('node-capacity: requests fit the node; one pod too many or too large is caught', () => {
  const node: KubeObject = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'n1' }, status: { allocatable: { cpu: '1', memory: '1Gi', pods: '2' } } };
  assert.deepEqual(nodeCapacity.check(stateOf(T, { nodes: [node], pods: [readyPod('a', 'x'), readyPod('b', 'x')] })), []);
  const v = nodeCapacity.check(stateOf(T, { nodes: [node], pods: [readyPod('a', 'x'), readyPod('b', 'x'), readyPod('c', 'x')] })).join('\n');
  assert.match(v, /3 pods > 2 allowed/);
  assert.match(v, /cpu requests 1500 > allocatable 1000/);
});

test('finalizers: an object leaves only when deleting or free of finalizers; deletionTimestamp stays', () => {
  const cm = (m: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('c', m) });
  const s = (o?: KubeObject) => stateOf(T, { configmaps: o ? [o] : [] });
  assert.deepEqual(finalizers.check(s(cm({})), s()), []);
  assert.deepEqual(finalizers.check(s(cm({ finalizers: ['x'], deletionTimestamp: ts() })), s()), []);
  assert.match(finalizers.check(s(cm({ finalizers: ['x'] })), s()).join(), /disappeared with finalizers \[x\] and no deletionTimestamp/);
  assert.match(finalizers.check(s(cm({ deletionTimestamp: ts(), finalizers: ['x'] })), s(cm({ finalizers: ['x'] }))).join(), /deletionTimestamp was cleared/);
  assert.match(finalizers.check(s(cm({ deletionTimestamp: ts(), finalizers: ['x'] })), s(cm({ deletionTimestamp: ts(), finalizers: ['x', 'y'] }))).join(), /\[y\] added while being deleted/);
});

test('foreground deletion and orphans: an owner waits for blocking dependents; dangling dependents are orphans', () => {
  const owner0: KubeObject = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: meta('rs', { deletionTimestamp: ts(), finalizers: ['foregroundDeletion'] }) };
  const dep = (block: boolean): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: meta('p', { ownerReferences: [owner('ReplicaSet', 'rs', { blockOwnerDeletion: block })] }) });
  const before = stateOf(T, { replicasets: [owner0], pods: [dep(true)] });
  assert.deepEqual(foregroundDeletion.check(before, stateOf(T, { replicasets: [], pods: [] })), []);
  assert.match(foregroundDeletion.check(before, stateOf(T, { replicasets: [], pods: [dep(true)] })).join(), /deleted in the foreground before its blocking dependent pods default\/p/);
  assert.deepEqual(foregroundDeletion.check(stateOf(T, { replicasets: [owner0], pods: [dep(false)] }), stateOf(T, { replicasets: [], pods: [dep(false)] })), []);
  assert.deepEqual(noOrphans.unmet(before), []);
  assert.match(noOrphans.unmet(stateOf(T, { replicasets: [], pods: [dep(false)] })).join(), /every owner is gone \(ReplicaSet\/rs\)/);
});

test('leader election: the seed\'s 15/10/2 s lease keeps one leader under pauses and clock offsets', () => {
  assert.deepEqual(leaseTimingViolations(SEED_LEASE), []);
  const trace = runElection({
    durationMs: 120_000,
    candidates: [
      { id: 'a', offsetMs: 0, paused: [[20_000, 45_000]] },
      { id: 'b', offsetMs: 30_000, paused: [[70_000, 90_000]] },
      { id: 'c', offsetMs: -7_000 },
    ],
  });
  assert.deepEqual(leaderExclusionViolations(trace), []);
  // The lease did change hands (the pauses forced takeovers), so the run says something.
  assert.ok(trace.some((s) => s.what.startsWith('b takes over') || s.what.startsWith('c takes over')));
  assert.ok(trace.filter((s) => s.leaders.length === 1).length > 10);
});

test('leader election: two leaders when expiry trusts another machine\'s clock, or the deadline outlasts the lease', () => {
  const skewed = runElection({ durationMs: 60_000, expiry: 'renewTime', candidates: [{ id: 'a', paused: [[10_000, 60_000]] }, { id: 'b', offsetMs: 7_500 }] });
  assert.match(leaderExclusionViolations(skewed).join(), /a and b both lead/);
  const timing = { leaseDurationMs: 10_000, renewDeadlineMs: 15_000, retryPeriodMs: 2_000 };
  assert.equal(leaseTimingViolations(timing).length, 1);
  const long = runElection({ durationMs: 60_000, timing, candidates: [{ id: 'a', paused: [[10_000, 60_000]] }, { id: 'b' }] });
  assert.match(leaderExclusionViolations(long).join(), /both lead/);
  // Clock rates matter even with local observation: b's clock runs twice as fast.
  const drift = runElection({ durationMs: 60_000, candidates: [{ id: 'a', paused: [[10_000, 60_000]] }, { id: 'b', rate: 2 }] });
  assert.match(leaderExclusionViolations(drift).join(), /both lead/);
});

test('gitops: d(g, R(d(g,k))(k)) = ∅ for the merge-patch reconcile; a reconcile that never removes fields is not idempotent', () => {
  const cm = (name: string, data: Record<string, string | null>, extra: Record<string, unknown> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default', ...extra }, data } as KubeObject);
  const g = [cm('a', { x: '1', y: '2' }), cm('b', { z: '3' })];
  const k = [cm('a', { x: '0' }, { uid: 'u1', resourceVersion: '7' }), cm('stale', { q: '1' })];
  const d = gitDiff(g, k);
  assert.deepEqual(d.map((o) => `${o.op} ${o.key}`), ['update v1/ConfigMap/default/a', 'create v1/ConfigMap/default/b', 'delete v1/ConfigMap/default/stale']);
  assert.deepEqual(idempotenceViolations(g, k), []);
  // Server-side fields Git does not set (uid, resourceVersion) are not differences.
  assert.deepEqual(gitDiff(g, applyGitOps(k, d)), []);
  // A list Git shortens must be replaced, not merged into.
  const dep = (args: string[]): KubeObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'default' }, spec: { template: { spec: { containers: [{ name: 'c', args }] } } } } as KubeObject);
  const appendOnly = (k0: KubeObject[], ops: GitOp[]) => applyGitOps(k0, ops.map((op) => (op.op === 'delete' ? { ...op, op: 'update' as const, patch: {} } : op)));
  assert.deepEqual(idempotenceViolations([dep(['a'])], [dep(['a', 'b'])]), []);
  assert.match(idempotenceViolations(g, k, appendOnly).join(), /still: delete v1\/ConfigMap\/default\/stale/);
});
