// The Job and TTL-after-finished controllers: pure reconciles stepped against real API semantics,
// the termination property of seed 004 §4.2 (a Job ends Complete or Failed, never both) over
// random interleavings, and a Job run through the running controller with the test as kubelet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import {
  backoffRemaining, completionIndex, jobController, reconcileOrphanPod, trackingFinalizer, type Job,
} from '../../src/controllers/job.js';
import { reconcileTtlAfterFinished, ttlAfterFinishedController } from '../../src/controllers/ttlafterfinished.js';
import { Registry } from '../../src/model/registry.js';
import { garbageCollector } from '../../src/controllers/gc.js';
import { storedResources } from '../../src/controllers/manager.js';
import { ApiWorld } from './api-world.js';
import { eventually, testCluster } from './harness.js';
import { setPod } from './kubelet.js';

const job = (spec: Record<string, unknown> = {}, name = 'pi'): KubeObject => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: 'default' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl' }] } }, ...spec },
});
const world = () => new ApiWorld([R.jobs, R.pods]).init();
const ctl = jobController();
const get = async (w: ApiWorld, name = 'pi') => (await w.client.get(R.jobs, 'default', name)) as Job;
const pods = async (w: ApiWorld) => (await w.list(R.pods, 'default')).sort((a, b) => (a.metadata.creationTimestamp! + a.metadata.name! < b.metadata.creationTimestamp! + b.metadata.name! ? -1 : 1));
const active = async (w: ApiWorld) => (await pods(w)).filter((p) => ['Pending', 'Running'].includes((p.status as any)?.phase) && !p.metadata.deletionTimestamp);
const conditions = (j: Job) => (j.status?.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`);
const eventsOf = (d: { actions: { kind: string; object?: KubeObject }[] }) =>
  d.actions.filter((a) => a.kind === 'create' && a.object?.kind === 'Event').map((a) => `${a.object!.type} ${a.object!.reason}: ${a.object!.message}`);

async function settle(w: ApiWorld, name = 'pi', rounds = 4) {
  const seen: string[] = [];
  for (let i = 0; i < rounds; i++) seen.push(...eventsOf((await w.reconcile(ctl, `default/${name}`)).decision));
  return seen;
}

test('parallelism pods at a time, each with the tracking finalizer; outcomes are counted through uncountedTerminatedPods', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ completions: 3, parallelism: 2 }));
    const first = await w.reconcile(ctl, 'default/pi');
    const ps = await pods(w);
    assert.equal(ps.length, 2);
    const uid = (await get(w)).metadata.uid!;
    for (const p of ps) {
      assert.match(p.metadata.name!, /^pi-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.deepEqual(p.metadata.finalizers, [trackingFinalizer]);
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-name'], 'pi');
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/controller-uid'], uid);
      assert.deepEqual(p.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [['Job', 'pi', true]]);
    }
    assert.deepEqual(eventsOf(first.decision).sort(), ps.map((p) => `Normal SuccessfulCreate: Created pod: ${p.metadata.name}`).sort());
    let s = (await get(w)).status!;
    assert.deepEqual([s.active, s.ready, s.terminating, s.startTime, s.uncountedTerminatedPods], [2, 0, 0, '2026-01-01T00:00:00Z', {}]);
    assert.deepEqual((await w.reconcile(ctl, 'default/pi')).decision, { actions: [] }, 'nothing changed, nothing written');

    // One succeeds: its uid goes to uncounted, the finalizer comes off, the counter moves, a replacement starts.
    await w.setPod('default', ps[0]!.metadata.name!, { phase: 'Succeeded' });
    const obs = ctl.observe('default/pi', await w.view());
    const d = ctl.reconcile(obs, w.t);
    const writes = d.actions.filter((a) => !(a.kind === 'create' && a.object.kind === 'Event')).map((a) => `${a.kind} ${a.resource.resource}${a.kind === 'update' || a.kind === 'patch' ? ` ${(a as any).subresource ?? ''}` : ''}`);
    assert.deepEqual(writes, ['create pods', 'update jobs status', 'patch pods ', 'patch jobs status'], 'record, release, then count');
    const recorded = (d.actions.find((a) => a.kind === 'update') as unknown as { object: Job }).object.status!;
    assert.deepEqual(recorded.uncountedTerminatedPods, { succeeded: [ps[0]!.metadata.uid] });
    for (const a of d.actions) if (!(a.kind === 'create' && a.object.kind === 'Event')) assert.ok(await w.apply(a));
    s = (await get(w)).status!;
    assert.equal(s.succeeded, 1);
    assert.deepEqual(s.uncountedTerminatedPods, {});
    assert.equal((await w.client.get(R.pods, 'default', ps[0]!.metadata.name!)).metadata.finalizers?.length ?? 0, 0);
    assert.equal((await active(w)).length, 2);
  } finally {
    await w.close();
  }
});

test('completion: SuccessCriteriaMet, then Complete with completionTime and a Completed event', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ completions: 2, parallelism: 2 }));
    await w.reconcile(ctl, 'default/pi');
    w.t += 3000;
    for (const p of await active(w)) await w.setPod('default', p.metadata.name!, { phase: 'Succeeded' });
    const events = await settle(w);
    const j = await get(w);
    assert.deepEqual(conditions(j), ['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
    assert.equal(j.status!.conditions![1]!.message, 'Reached expected number of succeeded pods');
    assert.equal(j.status!.completionTime, '2026-01-01T00:00:03Z');
    assert.deepEqual([j.status!.succeeded, j.status!.active, j.status!.failed], [2, 0, undefined]);
    assert.deepEqual(events, ['Normal Completed: Job completed']);
    assert.deepEqual((await w.reconcile(ctl, 'default/pi')).decision.actions, [], 'a finished Job is left alone');
  } finally {
    await w.close();
  }
});

test('failed pods are replaced after an exponential back-off: 10 s, then 20 s', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ completions: 1, backoffLimit: 6 }));
    await w.reconcile(ctl, 'default/pi');
    const fail = async () => {
      const [p] = await active(w);
      await w.setPod('default', p!.metadata.name!, { phase: 'Failed' });
      return (await w.reconcile(ctl, 'default/pi')).decision;
    };
    let d = await fail();
    assert.equal(d.requeueAfterMs, 10_000);
    assert.equal((await active(w)).length, 0);
    await w.reconcile(ctl, 'default/pi');
    w.t += 4000;
    assert.equal((await w.reconcile(ctl, 'default/pi')).decision.requeueAfterMs, 6000);
    w.t += 6000;
    await w.reconcile(ctl, 'default/pi');
    assert.equal((await active(w)).length, 1, 'replaced once the back-off is over');
    d = await fail();
    assert.equal(d.requeueAfterMs, 20_000);
    assert.equal((await get(w)).status!.failed, 2);
  } finally {
    await w.close();
  }
});

test('the back-off doubles from 10 s and is capped at 10 minutes', () => {
  assert.equal(backoffRemaining(0, 0, 0), 0);
  assert.equal(backoffRemaining(1, 0, 0), 10_000);
  assert.equal(backoffRemaining(3, 0, 5000), 35_000);
  assert.equal(backoffRemaining(7, 0, 0), 600_000);
  assert.equal(backoffRemaining(30, 0, 0), 600_000);
  assert.equal(backoffRemaining(2, 0, 25_000), 0);
});

test('backoffLimit: FailureTarget first, Failed once no pod is left running, with a BackoffLimitExceeded warning', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ completions: 3, parallelism: 2, backoffLimit: 0 }));
    await w.reconcile(ctl, 'default/pi');
    const [a] = await active(w);
    await w.setPod('default', a!.metadata.name!, { phase: 'Failed' });
    const events = await settle(w);
    const j = await get(w);
    assert.deepEqual(conditions(j), ['FailureTarget=True:BackoffLimitExceeded', 'Failed=True:BackoffLimitExceeded']);
    assert.equal(j.status!.conditions![1]!.message, 'Job has reached the specified backoff limit');
    assert.equal(j.status!.completionTime, undefined);
    assert.deepEqual([j.status!.failed, j.status!.active, j.status!.succeeded], [2, 0, undefined], 'the still-running pod was deleted and counts as failed');
    assert.ok(events.includes('Warning BackoffLimitExceeded: Job has reached the specified backoff limit'));
    assert.equal((await active(w)).length, 0);
  } finally {
    await w.close();
  }
});

test('podFailurePolicy: FailJob on a matching exit code fails the Job at once; Ignore keeps a failure out of the count; others count', async () => {
  const w = await world();
  /** The pod failed as a kubelet reports it: its container's exit code, and conditions. */
  const failWith = async (exitCode: number, conditions: { type: string; status: string }[] = []) => {
    const [p] = await active(w);
    await w.setPod('default', p!.metadata.name!, { phase: 'Failed' });
    const cur = await w.client.get(R.pods, 'default', p!.metadata.name!);
    const st = cur.status as any;
    st.containerStatuses[0].state.terminated.exitCode = exitCode;
    st.conditions = [...(st.conditions ?? []), ...conditions.map((c) => ({ ...c, lastTransitionTime: '2026-01-01T00:00:00Z' }))];
    await w.client.update(R.pods, 'default', { ...cur, status: st }, { subresource: 'status' });
    return p!.metadata.name!;
  };
  const policy = { rules: [
    { action: 'FailJob', onExitCodes: { containerName: 'pi', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
  ] };
  try {
    await w.client.create(R.jobs, 'default', job({ completions: 1, backoffLimit: 1, podFailurePolicy: policy }));
    await w.reconcile(ctl, 'default/pi');
    // disrupted: ignored, not counted, replaced
    await failWith(1, [{ type: 'DisruptionTarget', status: 'True' }]);
    await settle(w);
    w.t += 60_000;
    await settle(w);
    let j = await get(w);
    assert.deepEqual(conditions(j), []);
    assert.equal(j.status!.failed ?? 0, 0, 'an ignored failure is not counted');
    assert.equal((await active(w)).length, 1, 'replaced');
    // exit code 1 matches no rule: counted (backoffLimit 1 still holds)
    await failWith(1);
    await settle(w);
    w.t += 60_000;
    await settle(w);
    assert.equal((await get(w)).status!.failed, 1);
    // exit code 42: the Job fails now, with upstream's reason and message
    const name = await failWith(42);
    const events = await settle(w);
    j = await get(w);
    assert.deepEqual(conditions(j), ['FailureTarget=True:PodFailurePolicy', 'Failed=True:PodFailurePolicy']);
    assert.equal(j.status!.conditions![1]!.message, `Container pi for pod default/${name} failed with exit code 42 matching FailJob rule at index 0`);
    assert.ok(events.some((e) => e.startsWith('Warning PodFailurePolicy: Container pi for pod')));
  } finally {
    await w.close();
  }
});

test('backoffLimitPerIndex: an index past its limit fails for good; the Job fails once every index is settled (or too many failed)', async () => {
  const w = await world();
  const ofIndex = async (ix: number) => (await active(w)).find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === String(ix));
  try {
    await w.client.create(R.jobs, 'default', job({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 1 }));
    await settle(w);
    assert.equal((await get(w)).spec.backoffLimit, 2147483647, 'no limit for the Job as a whole');
    assert.equal((await active(w)).length, 3);
    assert.equal((await ofIndex(1))!.metadata.annotations!['batch.kubernetes.io/job-index-failure-count'], '0');
    // index 1 fails: replaced after its own back-off, with its failure count
    await w.setPod('default', (await ofIndex(1))!.metadata.name!, { phase: 'Failed' });
    await settle(w);
    assert.equal(await ofIndex(1), undefined, 'waiting out the back-off');
    w.t += 10_000;
    await settle(w);
    const again = await ofIndex(1);
    assert.equal(again!.metadata.annotations!['batch.kubernetes.io/job-index-failure-count'], '1');
    // the second failure is past the limit: the index has failed, and is not run again
    await w.setPod('default', again!.metadata.name!, { phase: 'Failed' });
    w.t += 60_000;
    await settle(w);
    assert.equal((await get(w)).status!.failedIndexes, '1');
    assert.equal(await ofIndex(1), undefined);
    assert.deepEqual(conditions(await get(w)), []);
    for (const ix of [0, 2]) await w.setPod('default', (await ofIndex(ix))!.metadata.name!, { phase: 'Succeeded' });
    const events = await settle(w);
    const j = await get(w);
    assert.deepEqual(conditions(j), ['FailureTarget=True:FailedIndexes', 'Failed=True:FailedIndexes']);
    assert.equal(j.status!.conditions![1]!.message, 'Job has failed indexes');
    assert.deepEqual([j.status!.completedIndexes, j.status!.failedIndexes, j.status!.failed], ['0,2', '1', 2]);
    assert.ok(events.includes('Warning FailedIndexes: Job has failed indexes'));

    // maxFailedIndexes: the Job fails as soon as more indexes than that have failed
    await w.client.create(R.jobs, 'default', job({ completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 0, maxFailedIndexes: 0 }, 'strict'));
    await settle(w, 'strict');
    const first = (await active(w)).find((p) => p.metadata.name!.startsWith('strict-0-'));
    await w.setPod('default', first!.metadata.name!, { phase: 'Failed' });
    await settle(w, 'strict');
    assert.deepEqual(conditions(await get(w, 'strict')), ['FailureTarget=True:MaxFailedIndexesExceeded', 'Failed=True:MaxFailedIndexesExceeded']);
  } finally {
    await w.close();
  }
});

test('activeDeadlineSeconds: looked at again when due, then DeadlineExceeded', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ activeDeadlineSeconds: 30 }));
    const { decision } = await w.reconcile(ctl, 'default/pi');
    assert.equal(decision.requeueAfterMs, 30_000);
    await w.setPod('default', (await active(w))[0]!.metadata.name!, { phase: 'Running' });
    w.t += 30_000;
    await settle(w);
    const j = await get(w);
    assert.deepEqual(conditions(j), ['FailureTarget=True:DeadlineExceeded', 'Failed=True:DeadlineExceeded']);
    assert.equal(j.status!.conditions![0]!.message, 'Job was active longer than specified deadline');
  } finally {
    await w.close();
  }
});

test('Indexed: one pod per index, named, annotated, labelled and given a hostname; completedIndexes', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ completions: 3, parallelism: 3, completionMode: 'Indexed' }));
    await w.reconcile(ctl, 'default/pi');
    const ps = await pods(w);
    assert.deepEqual(ps.map(completionIndex).sort(), [0, 1, 2]);
    for (const p of ps) {
      const ix = completionIndex(p);
      assert.match(p.metadata.name!, new RegExp(`^pi-${ix}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], String(ix));
      assert.equal((p.spec as any).hostname, `pi-${ix}`);
      assert.deepEqual((p.spec as any).containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } }]);
    }
    const byIndex = (i: number) => ps.find((p) => completionIndex(p) === i)!.metadata.name!;
    await w.setPod('default', byIndex(0), { phase: 'Succeeded' });
    await w.setPod('default', byIndex(2), { phase: 'Succeeded' });
    await settle(w);
    assert.equal((await get(w)).status!.completedIndexes, '0,2');
    w.t += 1000;
    await w.setPod('default', byIndex(1), { phase: 'Failed' });
    await settle(w);
    const again = (await active(w)).map(completionIndex);
    assert.deepEqual(again, [], 'the failed index waits out its back-off');
    w.t += 10_000;
    await settle(w);
    assert.deepEqual((await active(w)).map(completionIndex), [1], 'only the failed index runs again');
    await w.setPod('default', (await active(w))[0]!.metadata.name!, { phase: 'Succeeded' });
    await settle(w);
    const j = await get(w);
    assert.equal(j.status!.completedIndexes, '0-2');
    assert.deepEqual(conditions(j), ['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
  } finally {
    await w.close();
  }
});

test('suspend: no pods and a Suspended condition; resuming starts pods and restarts the clock', async () => {
  const w = await world();
  try {
    await w.client.create(R.jobs, 'default', job({ suspend: true, parallelism: 2, completions: 2 }));
    const events = await settle(w);
    let j = await get(w);
    assert.equal((await pods(w)).length, 0);
    assert.deepEqual(conditions(j), ['Suspended=True:JobSuspended']);
    assert.equal(j.status!.startTime, undefined);
    assert.deepEqual(events, ['Normal Suspended: Job suspended']);
    w.t += 60_000;
    await w.client.update(R.jobs, 'default', { ...j, spec: { ...j.spec, suspend: false } });
    const resumed = await settle(w);
    j = await get(w);
    assert.equal((await active(w)).length, 2);
    assert.deepEqual(conditions(j), ['Suspended=False:JobResumed']);
    assert.equal(j.status!.startTime, '2026-01-01T00:01:00Z');
    assert.ok(resumed.includes('Normal Resumed: Job resumed'));
    // Suspending again deletes the running pods.
    await w.client.update(R.jobs, 'default', { ...j, spec: { ...j.spec, suspend: true } });
    await settle(w);
    assert.equal((await active(w)).length, 0);
  } finally {
    await w.close();
  }
});

test('a pod whose Job is gone gives up its tracking finalizer', () => {
  const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'pi-x', namespace: 'default', uid: 'p', finalizers: [trackingFinalizer] } };
  assert.deepEqual(reconcileOrphanPod({ kind: 'orphan', pod }).actions.map((a) => [a.kind, (a as any).patch]), [
    ['patch', { metadata: { '$deleteFromPrimitiveList/finalizers': [trackingFinalizer] } }],
  ]);
  const running = { metadata: { name: 'pi', namespace: 'default', uid: 'j' }, spec: {} } as Job;
  assert.deepEqual(reconcileOrphanPod({ kind: 'orphan', pod, job: running }).actions, [], 'the Job controller still counts it');
});

test('ttlSecondsAfterFinished: the finished Job is deleted in the foreground once the time is up', () => {
  const finished = {
    apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'u' }, spec: { ttlSecondsAfterFinished: 100 },
    status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  } as unknown as Job;
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  assert.deepEqual(reconcileTtlAfterFinished({ job: finished }, t0 + 40_000), { actions: [], requeueAfterMs: 60_000 });
  assert.deepEqual(reconcileTtlAfterFinished({ job: finished }, t0 + 100_000).actions, [
    { kind: 'delete', resource: R.jobs, namespace: 'default', name: 'pi', options: { propagationPolicy: 'Foreground', preconditions: { uid: 'u' } } },
  ]);
  const running = { ...finished, status: {} } as Job;
  assert.deepEqual(reconcileTtlAfterFinished({ job: running }, t0 + 1e9), { actions: [] });
});

type JobStep = { kind: 'reconcile'; limit: number } | { kind: 'run' | 'succeed' | 'fail'; pick: number } | { kind: 'tick'; s: number };
const jobStep: fc.Arbitrary<JobStep> = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 1, max: 6 }).map((limit) => ({ kind: 'reconcile' as const, limit })) },
  { weight: 2, arbitrary: fc.nat(8).map((pick) => ({ kind: 'run' as const, pick })) },
  { weight: 2, arbitrary: fc.nat(8).map((pick) => ({ kind: 'succeed' as const, pick })) },
  { weight: 2, arbitrary: fc.nat(8).map((pick) => ({ kind: 'fail' as const, pick })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map((s) => ({ kind: 'tick' as const, s })) },
);

test('property (seed 004 §4.2): a Job terminates, Complete or Failed and never both; counts never go back; at most parallelism pods run', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.record({ completions: fc.integer({ min: 1, max: 4 }), parallelism: fc.integer({ min: 1, max: 3 }), backoffLimit: fc.integer({ min: 0, max: 3 }), indexed: fc.boolean() }),
      fc.array(jobStep, { minLength: 5, maxLength: 40 }),
      async (spec, steps) => {
        const w = await world();
        const log: string[] = [JSON.stringify(spec)];
        try {
          await w.client.create(R.jobs, 'default', job({ completions: spec.completions, parallelism: spec.parallelism, backoffLimit: spec.backoffLimit, ...(spec.indexed ? { completionMode: 'Indexed' } : {}) }));
          let last = { succeeded: 0, failed: 0 };
          const check = async () => {
            const j = await get(w);
            const types = new Set((j.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type));
            assert.ok(!(types.has('Complete') && types.has('Failed')), `Complete and Failed at once\n${log.join('\n')}`);
            assert.ok(!(types.has('SuccessCriteriaMet') && types.has('FailureTarget')), log.join('\n'));
            const s = { succeeded: j.status?.succeeded ?? 0, failed: j.status?.failed ?? 0 };
            assert.ok(s.succeeded >= last.succeeded && s.failed >= last.failed, `counts went back\n${log.join('\n')}`);
            last = s;
            assert.ok((await active(w)).length <= spec.parallelism, `more than parallelism pods\n${log.join('\n')}`);
            return types;
          };
          for (const s of steps) {
            log.push(JSON.stringify(s));
            if (s.kind === 'reconcile') await w.reconcile(ctl, 'default/pi', s.limit);
            else if (s.kind === 'tick') w.t += s.s * 1000;
            else {
              const act = await active(w);
              const p = act[s.pick % Math.max(act.length, 1)];
              if (p) await w.setPod('default', p.metadata.name!, { phase: s.kind === 'run' ? 'Running' : s.kind === 'succeed' ? 'Succeeded' : 'Failed' });
            }
            await check();
          }
          // From here the kubelet only ever succeeds: the Job must end, in one terminal state.
          for (let i = 0; i < 60; i++) {
            await w.reconcile(ctl, 'default/pi');
            for (const p of await active(w)) await w.setPod('default', p.metadata.name!, { phase: 'Succeeded' });
            const types = await check();
            if (types.has('Complete') || types.has('Failed')) {
              const j = await get(w);
              if (types.has('Complete')) assert.ok((j.status?.succeeded ?? 0) >= spec.completions, log.join('\n'));
              else assert.ok((j.status?.failed ?? 0) > spec.backoffLimit, log.join('\n'));
              return;
            }
            w.t += 60_000;
          }
          assert.fail(`the Job never finished\n${log.join('\n')}\n${JSON.stringify((await get(w)).status)}`);
        } finally {
          await w.close();
        }
      },
    ),
    { numRuns: 30 },
  );
});

test('through the running controller: completions=5, parallelism=2 completes with the test as kubelet; TTL then removes it', async () => {
  const registry = new Registry();
  const c = await testCluster([jobController(), ttlAfterFinishedController(), garbageCollector(registry, storedResources(registry).map((r) => r.resource))]);
  let stop = false;
  let most = 0;
  const kubelet = (async () => {
    while (!stop) {
      const ps = (await c.client.list(R.pods, 'default')).items;
      most = Math.max(most, ps.filter((p) => ['Pending', 'Running'].includes((p.status as any)?.phase)).length);
      for (const p of ps) {
        const phase = (p.status as any)?.phase;
        if (phase === 'Pending') await setPod(c.client, 'default', p.metadata.name!, { phase: 'Running' }).catch(() => undefined);
        else if (phase === 'Running') await setPod(c.client, 'default', p.metadata.name!, { phase: 'Succeeded' }).catch(() => undefined);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  })();
  try {
    await c.client.create(R.jobs, 'default', job({ completions: 5, parallelism: 2, ttlSecondsAfterFinished: 1 }));
    const done = await eventually(async () => {
      const j = (await c.client.get(R.jobs, 'default', 'pi')) as Job;
      return conditions(j).includes('Complete=True:CompletionsReached') && j;
    }, 15_000, 'the Job to complete');
    assert.equal(done.status!.succeeded, 5);
    assert.ok(most <= 2, `at most parallelism pods at once (saw ${most})`);
    const ps = (await c.client.list(R.pods, 'default')).items;
    assert.equal(ps.length, 5);
    assert.ok(ps.every((p) => !(p.metadata.finalizers ?? []).includes(trackingFinalizer)));
    await eventually(async () => {
      try {
        await c.client.get(R.jobs, 'default', 'pi');
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'the TTL controller to delete the Job');
    await eventually(async () => (await c.client.list(R.pods, 'default')).items.length === 0, 10_000, 'its pods to go with it');
    assert.deepEqual(c.errors.filter((e) => !String(e.err).includes('the object has been modified')), []);
  } finally {
    stop = true;
    await kubelet;
    await c.stop();
  }
});
