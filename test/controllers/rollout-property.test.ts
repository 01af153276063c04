// Seed 003's rolling-update invariants, checked in every state of random rollouts: the Deployment
// and ReplicaSet reconciles run in random interleavings on a cache that lags the API (but always
// shows a controller its own writes), their actions land one at a time, pods become ready at
// random moments, time moves, and the template may change again mid-rollout. Every state must
// satisfy INV-RU-1 and INV-RU-2 (Recreate: no old and new pods at once), and once everything is
// allowed to run fairly the rollout completes (LIVE-RU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { R } from '../../src/model/api.js';
import { deploymentController } from '../../src/controllers/deployment.js';
import { replicaSetController } from '../../src/controllers/replicaset.js';
import { rollingUpdateViolations, rolloutComplete, rolloutCounts } from '../../src/verify/invariants/workloads.js';
import { keyOf } from '../../src/controllers/runtime.js';
import { isPodAvailable } from '../../src/controllers/pods.js';
import { NS, Runner, World } from './world.js';

type IntOrPercent = number | string;

interface Scenario {
  replicas: number;
  maxSurge: IntOrPercent;
  maxUnavailable: IntOrPercent;
  minReadySeconds: number;
  recreate: boolean;
  steps: [number, number][];
}

const zero = (v: IntOrPercent) => v === 0 || v === '0%';

function deployment(s: Scenario) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: NS },
    spec: {
      replicas: s.replicas,
      selector: { matchLabels: { app: 'web' } },
      minReadySeconds: s.minReadySeconds,
      strategy: s.recreate ? { type: 'Recreate' } : { type: 'RollingUpdate', rollingUpdate: { maxSurge: s.maxSurge, maxUnavailable: s.maxUnavailable } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx:1' }] } },
    },
  };
}

async function setImage(world: World, image: string): Promise<void> {
  await world.client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image }] } } } });
  await world.record();
}

/** How many states were checked, and how many of them were mid-rollout (old and new pods both running). */
const seen = { states: 0, mixed: 0 };

function violations(world: World): string[] {
  const s = world.latest;
  const d = s.deployments[0];
  if (!d) return [];
  const c = rolloutCounts(d, s.replicaSets, s.pods, world.t);
  seen.states++;
  if (c.old > 0 && c.updated > 0) seen.mixed++;
  return rollingUpdateViolations(d, s.replicaSets, s.pods, world.t);
}

/** Everyone runs in turn, the cache keeps up, pods become ready, time passes: until nothing moves. */
async function settle(world: World, dc: Runner<unknown>, rc: Runner<unknown>, minReadySeconds: number, onState: () => void): Promise<void> {
  for (let round = 0; round < 200; round++) {
    let moved = false;
    const drain = async (r: Runner<unknown>) => {
      while (r.busy) {
        if ((await r.step()) === 'done') {
          moved = true;
          onState();
        }
      }
    };
    await drain(dc);
    await drain(rc);
    world.catchUp();
    dc.start(`${NS}/web`);
    await drain(dc);
    for (const rs of world.view().list(R.replicasets, NS)) {
      rc.start(keyOf(rs));
      await drain(rc);
    }
    for (const p of world.notReady()) {
      if (await world.makeReady(p)) {
        await world.record();
        moved = true;
        onState();
      }
    }
    world.catchUp();
    const waiting = world.latest.pods.some((p) => !isPodAvailable(p as never, minReadySeconds, world.t));
    world.t += 1000;
    if (!moved && !waiting) return;
  }
  throw new Error('did not settle in 200 rounds');
}

async function run(s: Scenario): Promise<void> {
  const world = new World();
  await world.init();
  const dc = new Runner(deploymentController(), world);
  const rc = new Runner(replicaSetController(), world);
  const check = () => {
    const v = violations(world);
    if (v.length) throw new Error(`${v.join('; ')} at t=${world.t}\nafter:\n  ${world.log.slice(-30).join('\n  ')}`);
  };
  try {
    await world.client.create(R.deployments, NS, deployment(s));
    await world.record();
    await settle(world, dc, rc, s.minReadySeconds, () => undefined);
    assert.ok(rolloutComplete(world.latest.deployments[0]!, world.latest.replicaSets, world.latest.pods, world.t), 'the first rollout completes');

    await setImage(world, 'nginx:2');
    world.log.push('user: image nginx:2');
    let updates = 2;
    check();
    for (const [kind, n] of s.steps) {
      switch (kind) {
        case 0:
          dc.start(`${NS}/web`);
          break;
        case 1: {
          const rss = world.view().list(R.replicasets, NS);
          if (rss.length) {
            rc.start(keyOf(rss[n % rss.length]!));
          }
          break;
        }
        case 2:
        case 3:
          await (kind === 2 ? dc : rc).step();
          break;
        case 4: {
          const pods = world.notReady();
          if (pods.length && (await world.makeReady(pods[n % pods.length]!))) await world.record();
          break;
        }
        case 5:
          world.advance((['deployments', 'replicasets', 'pods'] as const)[n % 3], Math.floor(n / 3));
          break;
        case 6:
          world.t += n * 3;
          break;
        case 7:
          if (n % 3 === 0 && updates < 6) {
            updates++;
            await setImage(world, `nginx:${updates}`);
            world.log.push(`user: image nginx:${updates}`);
          }
          break;
      }
      check();
    }
    await settle(world, dc, rc, s.minReadySeconds, check);
    const last = world.latest;
    assert.ok(rolloutComplete(last.deployments[0]!, last.replicaSets, last.pods, world.t), `the rollout completes: ${JSON.stringify(last.deployments[0]!.status)}`);
  } finally {
    await world.close();
  }
}

const intOrPercent = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('0%', '10%', '25%', '50%', '100%'));
const scenario = (recreate: boolean) =>
  fc.record({
    replicas: fc.integer({ min: 1, max: 6 }),
    maxSurge: intOrPercent,
    maxUnavailable: intOrPercent,
    minReadySeconds: fc.constantFrom(0, 0, 2),
    recreate: fc.constant(recreate),
    steps: fc.array(fc.tuple(fc.integer({ min: 0, max: 7 }), fc.nat(1000)), { minLength: 10, maxLength: 250 }),
  }).filter((s) => recreate || !(zero(s.maxSurge) && zero(s.maxUnavailable)));

const runs = Number(process.env.ROLLOUT_RUNS ?? 40);

test('rolling update: total ≤ replicas + maxSurge and available ≥ replicas − maxUnavailable in every state; the rollout completes', async (t) => {
  seen.states = seen.mixed = 0;
  await fc.assert(fc.asyncProperty(scenario(false), run), { numRuns: runs, includeErrorInReport: true });
  t.diagnostic(`${runs} rollouts, ${seen.states} states checked, ${seen.mixed} with old and new pods side by side`);
  assert.ok(seen.mixed > runs, 'the rollouts interleave old and new pods');
});

test('recreate: old and new pods never run together; the rollout completes', async (t) => {
  seen.states = seen.mixed = 0;
  await fc.assert(fc.asyncProperty(scenario(true), run), { numRuns: Math.ceil(runs / 2), includeErrorInReport: true });
  t.diagnostic(`${Math.ceil(runs / 2)} rollouts, ${seen.states} states checked`);
});
