// The pure pod-sync decision: sandbox creation, init containers in order, restart policies,
// CrashLoopBackOff timing, probes, deletion, and the status it computes, as upstream's kubelet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Container } from 'kubernetes-types/core/v1.js';
import { deepEqual } from '../../src/model/object.js';
import { cleanupOrphan, goDuration, podUpdateNeedsSync, statusChanged, syncPod, type ObservedContainer, type ObservedSandbox, type PodObj, type PodObservation, type SyncAction } from '../../src/kubelet/sync.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');

function pod(spec: { containers?: Partial<Container>[]; initContainers?: Partial<Container>[]; restartPolicy?: string }, extra: Partial<PodObj['metadata']> = {}): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', creationTimestamp: '2025-01-01T00:00:00Z', ...extra },
    spec: {
      containers: (spec.containers ?? [{ name: 'app' }]).map((c) => ({ image: 'busybox', ...c }) as Container),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map((c) => ({ image: 'busybox', ...c }) as Container) } : {}),
      restartPolicy: spec.restartPolicy ?? 'Always',
      nodeName: 'n1',
    },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: '2025-01-01T00:00:00Z' }] },
  } as PodObj;
}

const sandbox = (extra: Partial<ObservedSandbox> = {}): ObservedSandbox => ({ id: 'sb1', attempt: 0, ready: true, ip: '172.17.0.9', createdAt: T0, ...extra });

let seq = 0;
function ctr(name: string, state: ObservedContainer['state'], extra: Partial<ObservedContainer> = {}): ObservedContainer {
  seq++;
  return {
    id: `c${seq}`,
    name,
    kind: 'app',
    attempt: 0,
    sandboxId: 'sb1',
    state,
    createdAt: T0 + seq,
    startedAt: T0 + seq,
    ...(state === 'exited' ? { finishedAt: T0 + 1000 + seq } : {}),
    exitCode: 0,
    reason: state === 'exited' ? 'Completed' : '',
    message: '',
    image: 'docker.io/library/busybox:latest',
    imageRef: 'sha256:abc',
    hash: '',
    ...extra,
  };
}

function obs(p: PodObj, sandboxes: ObservedSandbox[], containers: ObservedContainer[], more: Partial<PodObservation> = {}): PodObservation {
  return { pod: p, sandboxes, containers, probes: {}, backoff: {}, failures: {}, hostIP: '10.0.0.1', runtimeName: 'berth', hashes: {}, ...more };
}

const kinds = (a: SyncAction[]) => a.map((x) => (x.kind === 'startContainer' ? `start:${x.name}#${x.attempt}` : x.kind === 'killContainer' ? `kill:${x.name}` : x.kind));
const cond = (s: ReturnType<typeof syncPod>['status'], type: string) => s.conditions?.find((c) => c.type === type);

test('a new pod: its sandbox first, the containers waiting in ContainerCreating', () => {
  const d = syncPod(obs(pod({}), [], []), T0);
  assert.deepEqual(d.actions, [{ kind: 'createSandbox', attempt: 0 }]);
  assert.equal(d.status.phase, 'Pending');
  assert.deepEqual(d.status.containerStatuses![0]!.state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(cond(d.status, 'PodReadyToStartContainers')?.status, 'False');
  assert.equal(cond(d.status, 'Ready')?.message, 'containers with unready status: [app]');
  assert.equal(d.status.startTime, '2025-01-01T00:00:00Z');
  assert.equal(d.status.podIP, undefined);
});

test('init containers run one at a time, in order, each to success', () => {
  const p = pod({ initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }, { name: 'b' }] });
  let d = syncPod(obs(p, [sandbox()], []), T0);
  assert.deepEqual(kinds(d.actions), ['start:i1#0']);
  assert.equal(d.status.phase, 'Pending');
  assert.equal(cond(d.status, 'Initialized')?.message, 'containers with incomplete status: [i1 i2]');
  assert.equal(cond(d.status, 'Initialized')?.reason, 'ContainersNotInitialized');
  assert.deepEqual(d.status.containerStatuses![0]!.state, { waiting: { reason: 'PodInitializing' } });
  assert.equal(d.status.podIP, '172.17.0.9');

  const i1 = ctr('i1', 'running', { kind: 'init' });
  d = syncPod(obs(p, [sandbox()], [i1]), T0);
  assert.deepEqual(d.actions, [], 'a running init container is waited for');

  const i1done = { ...i1, state: 'exited' as const, finishedAt: T0 + 5, reason: 'Completed' };
  d = syncPod(obs(p, [sandbox()], [i1done]), T0);
  assert.deepEqual(kinds(d.actions), ['start:i2#0']);
  assert.equal(d.status.initContainerStatuses![0]!.state?.terminated?.reason, 'Completed');

  const i2done = ctr('i2', 'exited', { kind: 'init' });
  d = syncPod(obs(p, [sandbox()], [i1done, i2done]), T0);
  assert.deepEqual(kinds(d.actions), ['start:a#0', 'start:b#0']);
  assert.equal(cond(d.status, 'Initialized')?.status, 'True');
});

test('sidecars (init containers with restartPolicy Always): started in order, waited for until started, kept running, stopped when the pod finishes', () => {
  const p = pod({ initContainers: [{ name: 'proxy', restartPolicy: 'Always', startupProbe: { exec: { command: ['true'] } } }, { name: 'setup' }], containers: [{ name: 'a' }], restartPolicy: 'Never' });
  let d = syncPod(obs(p, [sandbox()], []), T0);
  assert.deepEqual(kinds(d.actions), ['start:proxy#0']);
  // running, but its startup probe has not passed: the next init container waits, the pod is Pending
  const proxy = ctr('proxy', 'running', { kind: 'init' });
  d = syncPod(obs(p, [sandbox()], [proxy]), T0);
  assert.deepEqual(d.actions, []);
  assert.equal(d.status.phase, 'Pending');
  assert.equal(d.status.initContainerStatuses![0]!.started, false);
  assert.equal(cond(d.status, 'Initialized')?.message, 'containers with incomplete status: [proxy setup]');
  // started: the regular init container runs next (and is not ready while it runs), then the app
  const started = { probes: { [proxy.id]: { startup: 'Success' as const } } };
  d = syncPod(obs(p, [sandbox()], [proxy], started), T0);
  assert.deepEqual(kinds(d.actions), ['start:setup#0']);
  assert.equal(d.status.initContainerStatuses![0]!.ready, true);
  const setupRunning = ctr('setup', 'running', { kind: 'init' });
  d = syncPod(obs(p, [sandbox()], [proxy, setupRunning], started), T0);
  assert.equal(d.status.initContainerStatuses![1]!.ready, false);
  const setup = ctr('setup', 'exited', { kind: 'init' });
  d = syncPod(obs(p, [sandbox()], [proxy, setup], started), T0);
  assert.deepEqual(kinds(d.actions), ['start:a#0']);
  assert.equal(cond(d.status, 'Initialized')?.status, 'True');
  assert.equal(d.status.initContainerStatuses![1]!.ready, true, 'a regular init container is ready once it has succeeded');
  // the sidecar exits while the app runs: restarted, whatever the pod's policy (Never), and its
  // readiness counts for the pod's
  const app = ctr('a', 'running');
  const proxyDead = { ...proxy, state: 'exited' as const, finishedAt: T0 + 50, exitCode: 2, reason: 'Error' };
  d = syncPod(obs(p, [sandbox()], [proxyDead, setup, app]), T0 + 100);
  assert.deepEqual(kinds(d.actions), ['start:proxy#1']);
  assert.equal(d.status.phase, 'Running');
  assert.equal(cond(d.status, 'ContainersReady')?.message, 'containers with unready status: [proxy]');
  // the app container ends: the pod is finished by the app alone and its sidecar is stopped
  const proxy1 = ctr('proxy', 'running', { kind: 'init', attempt: 1 });
  const appDone = { ...app, state: 'exited' as const, finishedAt: T0 + 200 };
  d = syncPod(obs(p, [sandbox()], [proxy1, setup, appDone], { probes: { [proxy1.id]: { startup: 'Success' } } }), T0 + 300);
  assert.equal(d.status.phase, 'Succeeded');
  assert.deepEqual(kinds(d.actions), ['kill:proxy', 'stopSandbox']);
});

test('a failed init container: restarted with back-off under Always, the pod Failed under Never', () => {
  const failed = ctr('i1', 'exited', { kind: 'init', exitCode: 1, reason: 'Error' });
  const always = syncPod(obs(pod({ initContainers: [{ name: 'i1' }] }), [sandbox()], [failed]), T0 + 2000);
  assert.deepEqual(kinds(always.actions), ['start:i1#1']);
  assert.equal(always.status.phase, 'Pending');
  const never = syncPod(obs(pod({ initContainers: [{ name: 'i1' }], restartPolicy: 'Never' }), [sandbox()], [failed]), T0 + 2000);
  assert.equal(never.status.phase, 'Failed');
  assert.ok(never.actions.some((a) => a.kind === 'stopSandbox'));
  assert.ok(!never.actions.some((a) => a.kind === 'startContainer'));
});

test('running containers: Running and Ready; a readiness probe gates Ready; a startup probe gates started', () => {
  const c = ctr('app', 'running');
  let d = syncPod(obs(pod({}), [sandbox()], [c]), T0 + 10);
  assert.deepEqual(d.actions, []);
  assert.equal(d.status.phase, 'Running');
  assert.equal(cond(d.status, 'Ready')?.status, 'True');
  assert.equal(d.status.containerStatuses![0]!.ready, true);
  assert.equal(d.status.containerStatuses![0]!.containerID, `berth://${c.id}`);
  assert.equal(d.status.containerStatuses![0]!.image, 'docker.io/library/busybox:latest');

  const probed = pod({ containers: [{ name: 'app', readinessProbe: { exec: { command: ['true'] } }, startupProbe: { exec: { command: ['true'] } } }] });
  d = syncPod(obs(probed, [sandbox()], [c]), T0 + 10);
  assert.equal(d.status.containerStatuses![0]!.ready, false);
  assert.equal(d.status.containerStatuses![0]!.started, false);
  assert.equal(cond(d.status, 'ContainersReady')?.reason, 'ContainersNotReady');
  d = syncPod(obs(probed, [sandbox()], [c], { probes: { [c.id]: { startup: 'Success', readiness: 'Success' } } }), T0 + 10);
  assert.equal(d.status.containerStatuses![0]!.ready, true);
  assert.equal(d.status.containerStatuses![0]!.started, true);
  assert.equal(cond(d.status, 'Ready')?.status, 'True');
});

test('a failing liveness probe kills the container with upstream\'s message; a changed spec restarts it', () => {
  const c = ctr('app', 'running', { hash: 'h1' });
  const p = pod({ containers: [{ name: 'app', livenessProbe: { exec: { command: ['false'] } } }] });
  p.spec!.terminationGracePeriodSeconds = 7;
  let d = syncPod(obs(p, [sandbox()], [c], { probes: { [c.id]: { liveness: 'Failure' } }, hashes: { app: 'h1' } }), T0);
  assert.deepEqual(d.actions, [{ kind: 'killContainer', id: c.id, name: 'app', gracePeriodSeconds: 7, message: 'Container app failed liveness probe, will be restarted' }]);
  d = syncPod(obs(p, [sandbox()], [c], { hashes: { app: 'h2' } }), T0);
  assert.equal((d.actions[0] as { message: string }).message, 'Container app definition changed, will be restarted');
});

test('CrashLoopBackOff: at once, then 10s, 20s, 40s ... 5m, as flowcontrol.Backoff', () => {
  const p = pod({});
  let book = {};
  let t = T0;
  const delays: number[] = [];
  let attempt = 0;
  // each run lasts one second; after it exits, find when the kubelet restarts it
  for (let i = 0; i < 9; i++) {
    const exited = ctr('app', 'exited', { attempt, exitCode: 1, reason: 'Error', startedAt: t - 1000, finishedAt: t });
    let now = t;
    for (;;) {
      const d = syncPod(obs(p, [sandbox()], [exited], { backoff: book }), now);
      book = d.backoff;
      if (d.actions.some((a) => a.kind === 'startContainer')) break;
      const w = d.status.containerStatuses![0]!;
      assert.equal(w.state?.waiting?.reason, 'CrashLoopBackOff');
      assert.equal(w.lastState?.terminated?.exitCode, 1);
      assert.match(w.state!.waiting!.message!, /^back-off \S+ restarting failed container=app pod=p_ns\(u1\)$/);
      assert.ok(d.requeueAfterMs! > 0);
      now += d.requeueAfterMs!;
    }
    delays.push(now - t);
    attempt++;
    t = now + 1000;
  }
  assert.deepEqual(delays, [0, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  // a container that ran for more than 10 minutes starts over at 10 s
  const long = ctr('app', 'exited', { attempt, exitCode: 1, startedAt: t, finishedAt: t + 11 * 60_000 });
  const d = syncPod(obs(p, [sandbox()], [long], { backoff: book }), t + 11 * 60_000);
  assert.ok(d.actions.some((a) => a.kind === 'startContainer'));
  assert.equal(Object.values(d.backoff)[0]!.delayMs, 10_000);
  assert.equal(goDuration(80_000), '1m20s');
  assert.equal(goDuration(300_000), '5m0s');
});

test('restart policies: OnFailure reruns failures only; Never and OnFailure pods finish', () => {
  const ok = ctr('app', 'exited', { exitCode: 0 });
  const bad = ctr('app', 'exited', { exitCode: 3, reason: 'Error' });
  const onFailOk = syncPod(obs(pod({ restartPolicy: 'OnFailure' }), [sandbox()], [ok]), T0 + 5000);
  assert.equal(onFailOk.status.phase, 'Succeeded');
  assert.deepEqual(kinds(onFailOk.actions), ['stopSandbox']);
  assert.equal(cond(onFailOk.status, 'Ready')?.reason, 'PodCompleted');
  const onFailBad = syncPod(obs(pod({ restartPolicy: 'OnFailure' }), [sandbox()], [bad]), T0 + 5000);
  assert.deepEqual(kinds(onFailBad.actions), ['start:app#1']);
  assert.equal(onFailBad.status.phase, 'Running');
  const never = syncPod(obs(pod({ restartPolicy: 'Never' }), [sandbox()], [bad]), T0 + 5000);
  assert.equal(never.status.phase, 'Failed');
  assert.equal(never.status.containerStatuses![0]!.state?.terminated?.exitCode, 3);
  const always = syncPod(obs(pod({}), [sandbox()], [ok]), T0 + 5000);
  assert.equal(always.status.phase, 'Running');
  assert.deepEqual(kinds(always.actions), ['start:app#1']);
  // a finished pod stays finished
  const done = pod({ restartPolicy: 'Never' });
  done.status!.phase = 'Succeeded';
  assert.equal(syncPod(obs(done, [sandbox({ ready: false })], [ok]), T0).status.phase, 'Succeeded');
});

test('deletion: SIGTERM with the grace period, then the pod is removed from the API; orphans are cleaned up', () => {
  const p = pod({}, { deletionTimestamp: '2025-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 });
  const c = ctr('app', 'running');
  let d = syncPod(obs(p, [sandbox()], [c]), T0);
  assert.deepEqual(d.actions, [
    { kind: 'killContainer', id: c.id, name: 'app', gracePeriodSeconds: 30, message: 'Stopping container' },
    { kind: 'stopSandbox', id: 'sb1' },
  ]);
  d = syncPod(obs(p, [sandbox({ ready: false })], [{ ...c, state: 'exited', exitCode: 143, finishedAt: T0 + 10 }]), T0 + 20);
  assert.deepEqual(d.actions, [{ kind: 'deletePod', uid: 'u1' }]);
  assert.equal(d.status.phase, 'Failed');
  assert.deepEqual(kinds(cleanupOrphan([sandbox()], [c])), ['kill:app', 'stopSandbox', 'removeContainer', 'removeSandbox']);
});

test('a dead sandbox is replaced and its containers killed; a Never pod that ran is not restarted', () => {
  const c = ctr('app', 'running');
  const d = syncPod(obs(pod({}), [sandbox({ ready: false })], [c]), T0);
  assert.deepEqual(kinds(d.actions), ['kill:app', 'createSandbox']);
  assert.equal((d.actions[1] as { attempt: number }).attempt, 1);
  const never = syncPod(obs(pod({ restartPolicy: 'Never' }), [sandbox({ ready: false })], [{ ...c, state: 'exited', exitCode: 0 }]), T0);
  assert.ok(!never.actions.some((a) => a.kind === 'createSandbox'));
  assert.equal(never.status.phase, 'Succeeded');
});

test('start failures show as the waiting reason; image pulls back off (ImagePullBackOff)', () => {
  const p = pod({});
  const failures = { app: { reason: 'ErrImagePull', message: 'failed to pull', at: T0, image: 'busybox' } };
  let d = syncPod(obs(p, [sandbox()], [], { failures }), T0 + 1);
  assert.deepEqual(kinds(d.actions), ['start:app#0'], 'the first retry goes ahead');
  assert.deepEqual(d.status.containerStatuses![0]!.state, { waiting: { reason: 'ErrImagePull', message: 'failed to pull' } });
  d = syncPod(obs(p, [sandbox()], [], { failures: { app: { ...failures.app, at: T0 + 2 } }, backoff: d.backoff }), T0 + 3);
  assert.deepEqual(d.actions, []);
  assert.deepEqual(d.status.containerStatuses![0]!.state, { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "busybox"' } });
  assert.ok(d.requeueAfterMs! > 0 && d.requeueAfterMs! <= 20_000);
  const cfg = syncPod(obs(p, [sandbox()], [], { failures: { app: { reason: 'CreateContainerConfigError', message: 'configmap "x" not found', at: T0 } } }), T0 + 1);
  assert.equal(cfg.status.containerStatuses![0]!.state?.waiting?.reason, 'CreateContainerConfigError');
  assert.equal(cfg.status.phase, 'Pending');
});

test('an older instance is removed, the newest exited one is kept for lastState', () => {
  const old1 = ctr('app', 'exited', { attempt: 0, exitCode: 1 });
  const old2 = ctr('app', 'exited', { attempt: 1, exitCode: 1 });
  const cur = ctr('app', 'running', { attempt: 2 });
  const d = syncPod(obs(pod({}), [sandbox()], [old1, old2, cur]), T0 + 100);
  assert.deepEqual(d.actions, [{ kind: 'removeContainer', id: old1.id }]);
  const s = d.status.containerStatuses![0]!;
  assert.equal(s.restartCount, 2);
  assert.equal(s.lastState?.terminated?.containerID, `berth://${old2.id}`);
});

// ---- properties over arbitrary observations ----

const arbState = fc.constantFrom<ObservedContainer['state']>('created', 'running', 'exited', 'unknown');
const arbObservation = fc
  .record({
    policy: fc.constantFrom('Always', 'OnFailure', 'Never'),
    inits: fc.integer({ min: 0, max: 2 }),
    apps: fc.integer({ min: 1, max: 3 }),
    sandbox: fc.option(fc.record({ ready: fc.boolean(), ip: fc.boolean(), attempt: fc.integer({ min: 0, max: 3 }) }), { nil: undefined }),
    containers: fc.array(fc.record({ init: fc.boolean(), idx: fc.integer({ min: 0, max: 2 }), state: arbState, exitCode: fc.constantFrom(0, 1, 137), attempt: fc.integer({ min: 0, max: 5 }), inSandbox: fc.boolean() }), { maxLength: 6 }),
    deleting: fc.boolean(),
    phase: fc.constantFrom('Pending', 'Running', 'Succeeded', 'Failed'),
    now: fc.integer({ min: 0, max: 3_600_000 }),
  })
  .map((r) => {
    const p = pod({ restartPolicy: r.policy, initContainers: r.inits ? Array.from({ length: r.inits }, (_, i) => ({ name: `i${i}` })) : undefined, containers: Array.from({ length: r.apps }, (_, i) => ({ name: `a${i}` })) }, r.deleting ? { deletionTimestamp: '2025-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 } : {});
    p.status!.phase = r.phase;
    const sbs = r.sandbox ? [sandbox({ ready: r.sandbox.ready, ...(r.sandbox.ip ? {} : { ip: undefined }), attempt: r.sandbox.attempt })] : [];
    const cs = r.containers
      .filter((c) => (c.init ? c.idx < r.inits : c.idx < r.apps))
      .map((c) => ctr(c.init ? `i${c.idx}` : `a${c.idx}`, c.state, { kind: c.init ? 'init' : 'app', exitCode: c.exitCode, attempt: c.attempt, sandboxId: c.inSandbox && sbs.length ? 'sb1' : 'old' }));
    return { o: obs(p, sbs, cs), now: T0 + r.now };
  });

test('properties: no start without a live sandbox, none while deleting, init in order, terminal stays terminal', () => {
  fc.assert(
    fc.property(arbObservation, ({ o, now }) => {
      const d = syncPod(o, now);
      const starts = d.actions.filter((a): a is SyncAction & { kind: 'startContainer' } => a.kind === 'startContainer');
      const sb = o.sandboxes[0];
      if (starts.length) {
        assert.ok(sb && sb.ready && sb.ip, 'starts only into a ready sandbox with an address');
        assert.ok(!o.pod.metadata.deletionTimestamp, 'nothing starts while deleting');
        assert.ok(starts.every((s) => s.sandboxId === sb.id));
      }
      assert.ok(starts.filter((s) => s.container === 'init').length <= 1, 'one init container at a time');
      if (starts.some((s) => s.container === 'init')) assert.ok(!starts.some((s) => s.container === 'app'), 'apps wait for init');
      for (const s of starts.filter((x) => x.container === 'init')) {
        const idx = Number(s.name.slice(1));
        for (let i = 0; i < idx; i++) assert.ok(o.containers.some((c) => c.name === `i${i}` && c.kind === 'init' && c.sandboxId === sb!.id && c.state === 'exited' && c.exitCode === 0), 'earlier init containers succeeded');
      }
      if (o.pod.status?.phase === 'Succeeded' || o.pod.status?.phase === 'Failed') {
        assert.equal(d.status.phase, o.pod.status.phase);
        assert.equal(starts.length, 0);
      }
      if (d.actions.some((a) => a.kind === 'deletePod')) assert.ok(!o.containers.some((c) => c.state === 'running') && !o.sandboxes.some((s) => s.ready));
      // every spec container has exactly one status
      assert.equal(d.status.containerStatuses!.length, o.pod.spec!.containers.length);
      for (const c of d.status.conditions ?? []) assert.ok(c.status === 'True' || c.status === 'False');
      // deterministic
      assert.deepEqual(syncPod(o, now), d);
    }),
    { numRuns: 400 },
  );
});

test('a pod update starts a sync when spec, labels, annotations or deletion change, or a readiness gate moves; not for status alone', () => {
  const base = pod({});
  const withStatus = (p: PodObj, status: PodObj['status']): PodObj => ({ ...p, status });
  const running = withStatus(base, { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] });
  // the kubelet's own status write coming back: no sync (the same spec object, and an equal copy)
  assert.equal(podUpdateNeedsSync(running, base), false);
  assert.equal(podUpdateNeedsSync({ ...running, spec: structuredClone(base.spec) }, base), false);
  assert.equal(podUpdateNeedsSync({ ...running, metadata: { ...base.metadata, labels: {} } }, base), false, 'no labels and empty labels are alike');
  assert.equal(podUpdateNeedsSync({ ...base, spec: { ...base.spec!, activeDeadlineSeconds: 5 } }, base), true);
  assert.equal(podUpdateNeedsSync({ ...base, metadata: { ...base.metadata, labels: { a: 'b' } } }, base), true);
  assert.equal(podUpdateNeedsSync({ ...base, metadata: { ...base.metadata, annotations: { a: 'b' } } }, base), true);
  assert.equal(podUpdateNeedsSync({ ...base, metadata: { ...base.metadata, deletionTimestamp: '2025-01-01T00:01:00Z', deletionGracePeriodSeconds: 30 } }, base), true);
  const gated = { ...base, spec: { ...base.spec!, readinessGates: [{ conditionType: 'example.com/lb' }] } };
  const gate = (status: string) => withStatus(gated, { conditions: [{ type: 'example.com/lb', status }] });
  assert.equal(podUpdateNeedsSync(gate('True'), gate('False')), true, 'a readiness gate that moved');
  assert.equal(podUpdateNeedsSync(withStatus(gate('True'), { ...gate('True').status, phase: 'Running' }), gate('True')), false);
});

test('property: a status counts as changed exactly when the old status with its fields laid over it differs', () => {
  const value = fc.oneof(fc.constant(undefined), fc.constantFrom('Running', 'Pending', '10.0.0.1'), fc.array(fc.record({ type: fc.constantFrom('Ready', 'Initialized'), status: fc.constantFrom('True', 'False') }), { maxLength: 2 }));
  const status = fc.dictionary(fc.constantFrom('phase', 'podIP', 'hostIP', 'conditions', 'qosClass', 'nominatedNodeName'), value, { maxKeys: 6 });
  fc.assert(
    fc.property(fc.option(status, { nil: undefined }), status, (old, mine) => {
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, ...(old ? { status: old } : {}) } as never;
      const before = { ...(old ?? {}) };
      assert.equal(statusChanged(pod, mine as never), !deepEqual(before, { ...before, ...mine }));
    }),
    { numRuns: 3000 },
  );
});

test('a status computed again keeps the old status\'s unchanged parts (the same objects) and changes the rest', () => {
  const c = ctr('app', 'running');
  const p = pod({});
  const first = syncPod(obs(p, [sandbox()], [c]), T0 + 10).status;
  // the API's copy: frozen, as the store hands it out
  const stored = structuredClone(first);
  const deepFreeze = (v: unknown): void => {
    if (typeof v === 'object' && v !== null) {
      Object.freeze(v);
      for (const x of Object.values(v)) deepFreeze(x);
    }
  };
  deepFreeze(stored);
  const again = syncPod(obs({ ...p, status: stored }, [sandbox()], [c]), T0 + 20).status;
  assert.deepEqual(again, stored);
  for (const k of Object.keys(stored)) {
    const v = (stored as Record<string, unknown>)[k];
    if (typeof v === 'object') assert.equal((again as Record<string, unknown>)[k], v, `${k}: the old part itself`);
  }
  assert.equal(statusChanged({ ...p, status: stored }, again), false);
  // the container stops: its status and the readiness conditions change; the rest stays the old parts
  const stopped = syncPod(obs({ ...p, status: stored }, [sandbox()], [{ ...c, state: 'exited', exitCode: 1, finishedAt: T0 + 15 }]), T0 + 20).status;
  assert.notEqual(stopped.containerStatuses, stored.containerStatuses);
  assert.equal(stopped.hostIPs, stored.hostIPs);
  assert.equal(cond(stopped, 'PodScheduled'), cond(stored, 'PodScheduled'));
  assert.notEqual(cond(stopped, 'Ready'), cond(stored, 'Ready'));
  assert.equal(cond(stopped, 'Ready')?.status, 'False');
  assert.equal(statusChanged({ ...p, status: stored }, stopped), true);
});

test('ephemeral containers: started once the pod runs, never again after they end, in ephemeralContainerStatuses; readiness untouched', () => {
  const p = pod({ containers: [{ name: 'app' }] });
  (p.spec as { ephemeralContainers?: unknown[] }).ephemeralContainers = [{ name: 'debugger', image: 'busybox', targetContainerName: 'app' }];
  const app = ctr('app', 'running');
  // the sandbox still coming: nothing of it yet
  assert.deepEqual(kinds(syncPod(obs(p, [], []), T0).actions), ['createSandbox']);
  const first = syncPod(obs(p, [sandbox()], [app]), T0 + 5000);
  assert.deepEqual(first.actions.filter((a) => a.kind === 'startContainer').map((a) => [(a as { name: string }).name, (a as { container: string }).container]), [['debugger', 'ephemeral']]);
  const running = syncPod(obs(p, [sandbox()], [app, ctr('debugger', 'running', { kind: 'ephemeral' })]), T0 + 6000);
  assert.deepEqual(kinds(running.actions), []);
  assert.equal(running.status.ephemeralContainerStatuses?.[0]?.state?.running !== undefined, true);
  assert.equal(running.status.ephemeralContainerStatuses?.[0]?.ready, false);
  assert.equal(cond(running.status, 'Ready')?.status, 'True', 'the pod is ready by its own containers');
  // it ended (even failing): it stays ended
  const ended = syncPod(obs(p, [sandbox()], [app, ctr('debugger', 'exited', { kind: 'ephemeral', exitCode: 1, reason: 'Error' })]), T0 + 7000);
  assert.deepEqual(kinds(ended.actions), []);
  assert.equal(ended.status.ephemeralContainerStatuses?.[0]?.state?.terminated?.exitCode, 1);
  assert.equal(ended.status.containerStatuses?.length, 1);
  // the pod going: it is stopped with the rest
  const going = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2025-01-01T00:01:00Z' } } as PodObj;
  assert.deepEqual(kinds(syncPod(obs(going, [sandbox()], [app, ctr('debugger', 'running', { kind: 'ephemeral' })]), T0 + 8000).actions).sort(), ['kill:app', 'kill:debugger', 'stopSandbox']);
});
