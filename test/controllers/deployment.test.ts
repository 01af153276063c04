// The Deployment controller as a pure function (observation in, actions out), and short runs of
// it with the ReplicaSet controller on the in-process API (test/controllers/world.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { deepClone } from '../../src/model/object.js';
import { computeHash } from '../../src/model/hash.js';
import { reconcileDeployment, deploymentController, type DeploymentObservation } from '../../src/controllers/deployment.js';
import { replicaSetController } from '../../src/controllers/replicaset.js';
import { resolveFenceposts, maxSurge, maxUnavailable, type DeploymentObject, type ReplicaSetObject } from '../../src/controllers/deployment-util.js';
import { rolloutComplete } from '../../src/verify/invariants/workloads.js';
import type { Action } from '../../src/controllers/runtime.js';
import { keyOf } from '../../src/controllers/runtime.js';
import { NS, Runner, World } from './world.js';

const NOW = Date.parse('2026-01-01T01:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

const template = (image: string) => ({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image }] } });

function deployment(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}, status: Record<string, unknown> = {}): DeploymentObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', uid: 'd-uid', resourceVersion: '10', generation: 1, ...meta },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: template('nginx:1'),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...spec,
    } as DeploymentObject['spec'],
    status: { observedGeneration: 1, ...status },
  } as DeploymentObject;
}

/** A ReplicaSet of the deployment for `image`, settled with `available` of `replicas` pods available. */
function replicaSet(image: string, replicas: number, opts: { available?: number; revision?: number; created?: number; statusReplicas?: number; generation?: number; observed?: number; annotations?: Record<string, string> } = {}): ReplicaSetObject {
  const t = template(image);
  const hash = computeHash(t);
  const labels = { app: 'web', 'pod-template-hash': hash };
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name: `web-${hash}`, namespace: 'default', uid: `rs-${image}`, resourceVersion: '20', generation: opts.generation ?? 1,
      creationTimestamp: iso(opts.created ?? NOW - 3_600_000), labels,
      annotations: { 'deployment.kubernetes.io/revision': String(opts.revision ?? 1), ...(opts.annotations ?? {}) },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }],
    },
    spec: { replicas, selector: { matchLabels: labels }, template: { ...t, metadata: { labels } } },
    status: {
      replicas: opts.statusReplicas ?? replicas,
      readyReplicas: opts.available ?? replicas,
      availableReplicas: opts.available ?? replicas,
      observedGeneration: opts.observed ?? opts.generation ?? 1,
    },
  } as ReplicaSetObject;
}

const obs = (d: DeploymentObject, rss: ReplicaSetObject[], extra: Partial<DeploymentObservation> = {}): DeploymentObservation => ({ deployment: d, replicaSets: rss, pods: {}, ...extra });
const rsWrites = (as: Action[]) => as
  .filter((a) => (a.kind === 'update' || a.kind === 'create') && a.resource === R.replicasets)
  .map((a) => [(a as { kind: string }).kind, (a as { object: KubeObject }).object.metadata.name, ((a as { object: KubeObject }).object.spec as { replicas: number }).replicas]);
const events = (as: Action[]) => as.filter((a) => a.kind === 'create' && a.bestEffort).map((a) => `${((a as { object: unknown }).object as { reason: string }).reason}: ${((a as { object: unknown }).object as { message: string }).message}`);
const newStatus = (as: Action[]) => (as.find((a) => a.kind === 'update' && a.resource === R.deployments && a.subresource === 'status') as { object: DeploymentObject } | undefined)?.object.status;

test('maxSurge rounds up, maxUnavailable rounds down, both zero makes maxUnavailable 1', () => {
  assert.deepEqual(resolveFenceposts('25%', '25%', 10), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts('25%', '25%', 1), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(0, '10%', 5), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts('0%', 0, 7), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(2, '50%', 3), { surge: 2, unavailable: 1 });
  assert.equal(maxUnavailable(deployment({ replicas: 2, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 5 } } })), 2);
  assert.equal(maxUnavailable(deployment({ replicas: 0 })), 0);
  assert.equal(maxSurge(deployment({ strategy: { type: 'Recreate' } })), 0);
});

test('a new deployment gets a ReplicaSet named by its template hash, at full size, revision 1', () => {
  const d = deployment({}, {}, {});
  const { actions } = reconcileDeployment(obs(d, []), NOW);
  const hash = computeHash(d.spec!.template);
  const create = actions.find((a) => a.kind === 'create' && !a.bestEffort) as Action & { kind: 'create' };
  assert.equal(create.resource, R.replicasets);
  const rs = create.object as ReplicaSetObject;
  assert.equal(rs.metadata.name, `web-${hash}`);
  assert.deepEqual(rs.metadata.labels, { app: 'web', 'pod-template-hash': hash });
  assert.deepEqual(rs.metadata.annotations, { 'deployment.kubernetes.io/revision': '1', 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' });
  assert.deepEqual(rs.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(rs.spec!.selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
  assert.deepEqual(rs.spec!.template!.metadata!.labels, { app: 'web', 'pod-template-hash': hash });
  assert.equal(rs.spec!.replicas, 3);
  assert.deepEqual(events(actions), [`ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 3`]);
  const s = newStatus(actions)!;
  assert.equal(s.observedGeneration, 1);
  assert.deepEqual(s.conditions!.map((c) => [c.type, c.status, c.reason, c.message]), [
    ['Progressing', 'True', 'NewReplicaSetCreated', `Created new replica set "web-${hash}"`],
    ['Available', 'False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.'],
  ]);
  const patch = actions.find((a) => a.kind === 'patch') as Action & { kind: 'patch' };
  assert.deepEqual(patch.patch, { metadata: { annotations: { 'deployment.kubernetes.io/revision': '1' } } });
});

test('a template change starts a rollout: the new set gets the surge, then old sets shrink as availability allows', () => {
  const d = deployment({ replicas: 4, template: template('nginx:2') }, { generation: 2, annotations: { 'deployment.kubernetes.io/revision': '1' } });
  const old = replicaSet('nginx:1', 4, { revision: 1 });
  const first = reconcileDeployment(obs(d, [old]), NOW);
  const newName = `web-${computeHash(template('nginx:2'))}`;
  // maxSurge 25% of 4 = 1: the new set starts at 1. maxUnavailable 1: the old set loses one.
  assert.deepEqual(rsWrites(first.actions), [['create', newName, 1], ['update', old.metadata.name, 3]]);
  assert.deepEqual(events(first.actions), [
    `ScalingReplicaSet: Scaled up replica set ${newName} from 0 to 1`,
    `ScalingReplicaSet: Scaled down replica set ${old.metadata.name} from 4 to 3`,
  ]);
  const created = (first.actions.find((a) => a.kind === 'create' && !a.bestEffort) as { object: ReplicaSetObject }).object;
  assert.equal(created.metadata.annotations!['deployment.kubernetes.io/revision'], '2');

  // The new pod is available and the old set settled at 3: the new set grows by the surge room.
  const next = replicaSet('nginx:2', 1, { revision: 2, created: NOW });
  const shrunk = { ...replicaSet('nginx:1', 3, { revision: 1, generation: 2 }), metadata: { ...old.metadata, generation: 2, annotations: { ...old.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' } } };
  next.metadata.annotations = { ...next.metadata.annotations, 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' };
  const second = reconcileDeployment(obs(d, [shrunk, next]), NOW + 1000);
  assert.deepEqual(rsWrites(second.actions), [['update', next.metadata.name, 2]]);
});

test('a ReplicaSet whose status predates its spec holds back the new set (pods may still be coming)', () => {
  const d = deployment({ replicas: 4, template: template('nginx:2') }, { generation: 2 });
  const annotations = { 'deployment.kubernetes.io/desired-replicas': '4', 'deployment.kubernetes.io/max-replicas': '5' };
  const old = replicaSet('nginx:1', 3, { revision: 1, generation: 2, observed: 1, statusReplicas: 4, annotations });
  const next = replicaSet('nginx:2', 1, { revision: 2, created: NOW, annotations });
  const held = reconcileDeployment(obs(d, [old, next]), NOW);
  assert.deepEqual(rsWrites(held.actions), []);
  const caughtUp = reconcileDeployment(obs(d, [replicaSet('nginx:1', 3, { revision: 1, generation: 2, observed: 2, annotations }), next]), NOW);
  assert.deepEqual(rsWrites(caughtUp.actions), [['update', next.metadata.name, 2]]);
});

test('pods a ReplicaSet reports but is deleting do not count toward the scale-down budget', () => {
  // replicas 3, maxUnavailable 1: at least 2 available. The oldest set is at 0 but still reports
  // the 2 pods it has just deleted; upstream would count them and take the middle set to 0.
  const d = deployment({ replicas: 3, template: template('nginx:3'), strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 1 } } }, { generation: 3 });
  const annotations = { 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' };
  const a = replicaSet('nginx:1', 0, { revision: 1, statusReplicas: 2, available: 2, created: NOW - 7_200_000, annotations });
  const b = replicaSet('nginx:2', 2, { revision: 2, created: NOW - 3_600_000, annotations });
  const c = replicaSet('nginx:3', 2, { revision: 3, available: 1, created: NOW, annotations });
  const { actions } = reconcileDeployment(obs(d, [a, b, c]), NOW);
  assert.deepEqual(rsWrites(actions), [['update', b.metadata.name, 1]]);
});

test('Recreate: old sets go to zero first; the new set comes only once no old pod runs', () => {
  const d = deployment({ template: template('nginx:2'), strategy: { type: 'Recreate' } }, { generation: 2 });
  const old = replicaSet('nginx:1', 3, { revision: 1 });
  const first = reconcileDeployment(obs(d, [old]), NOW);
  assert.deepEqual(rsWrites(first.actions), [['update', old.metadata.name, 0]]);
  const emptied = replicaSet('nginx:1', 0, { revision: 1, statusReplicas: 0, available: 0 });
  const running = { metadata: { name: 'p', namespace: 'default', uid: 'p' }, status: { phase: 'Running' } } as KubeObject;
  const waiting = reconcileDeployment(obs(d, [emptied], { pods: { [emptied.metadata.uid!]: [running] } }), NOW);
  assert.deepEqual(rsWrites(waiting.actions), []);
  const gone = reconcileDeployment(obs(d, [emptied], { pods: { [emptied.metadata.uid!]: [] } }), NOW);
  assert.deepEqual(rsWrites(gone.actions), [['create', `web-${computeHash(template('nginx:2'))}`, 3]]);
});

test('a paused deployment creates no new set and says so; resuming says so too', () => {
  const d = deployment({ paused: true, template: template('nginx:2') }, { generation: 2 });
  const old = replicaSet('nginx:1', 3, { revision: 1, annotations: { 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' } });
  const paused = reconcileDeployment(obs(d, [old]), NOW);
  assert.deepEqual(rsWrites(paused.actions), []);
  const p = newStatus(paused.actions)!.conditions!.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([p.status, p.reason, p.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  const resumed = deployment({ template: template('nginx:2') }, { generation: 3 }, { replicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: [p] });
  const r = reconcileDeployment(obs(resumed, [old]), NOW + 5000);
  const rp = newStatus(r.actions)!.conditions!.find((c) => c.type === 'Progressing')!;
  assert.equal(rp.reason, 'NewReplicaSetCreated');
  assert.ok(rsWrites(r.actions).some(([kind]) => kind === 'create'));
});

test('scaling mid-rollout is proportional: 10 → 20 with sets of 6 and 6 becomes 13 and 12', () => {
  const annotations = { 'deployment.kubernetes.io/desired-replicas': '10', 'deployment.kubernetes.io/max-replicas': '13' };
  const d = deployment({ replicas: 20, template: template('nginx:2') }, { generation: 3 }, { replicas: 12 });
  const old = replicaSet('nginx:1', 6, { revision: 1, created: NOW - 7_200_000, annotations });
  const next = replicaSet('nginx:2', 6, { revision: 2, available: 0, created: NOW - 60_000, annotations });
  const { actions } = reconcileDeployment(obs(d, [old, next]), NOW);
  assert.deepEqual(rsWrites(actions), [['update', next.metadata.name, 13], ['update', old.metadata.name, 12]]);
  const written = actions.filter((a) => a.kind === 'update' && a.resource === R.replicasets).map((a) => (a as { object: KubeObject }).object.metadata.annotations!['deployment.kubernetes.io/max-replicas']);
  assert.deepEqual(written, ['25', '25']);
});

test('a finished rollout keeps revisionHistoryLimit old sets, deleting the oldest empty ones', () => {
  const d = deployment({ replicas: 1, revisionHistoryLimit: 1, template: template('nginx:4') }, { generation: 4 }, {
    replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1, observedGeneration: 4,
  });
  const annotations = { 'deployment.kubernetes.io/desired-replicas': '1', 'deployment.kubernetes.io/max-replicas': '2' };
  const r1 = replicaSet('nginx:1', 0, { revision: 1, annotations });
  const r2 = replicaSet('nginx:2', 0, { revision: 2, annotations });
  const r3 = replicaSet('nginx:3', 0, { revision: 3, annotations });
  const r4 = replicaSet('nginx:4', 1, { revision: 4, annotations });
  const { actions } = reconcileDeployment(obs(d, [r3, r1, r4, r2]), NOW);
  const deleted = actions.filter((a) => a.kind === 'delete').map((a) => (a as { name: string; options: unknown }).name);
  assert.deepEqual(deleted, [r1.metadata.name, r2.metadata.name]);
});

test('going back to an old template reuses its set with the next revision and remembers the old one', () => {
  const annotations = { 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' };
  const d = deployment({ template: template('nginx:1') }, { generation: 3, annotations: { 'deployment.kubernetes.io/revision': '2' } });
  const r1 = replicaSet('nginx:1', 0, { revision: 1, annotations });
  const r2 = replicaSet('nginx:2', 3, { revision: 2, annotations });
  const { actions } = reconcileDeployment(obs(d, [r1, r2]), NOW);
  const w = actions.find((a) => a.kind === 'update' && a.resource === R.replicasets) as { object: ReplicaSetObject };
  assert.equal(w.object.metadata.name, r1.metadata.name);
  assert.equal(w.object.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(w.object.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
});

test('no progress within progressDeadlineSeconds: Progressing=False ProgressDeadlineExceeded; until then, a timely requeue', () => {
  const annotations = { 'deployment.kubernetes.io/desired-replicas': '3', 'deployment.kubernetes.io/max-replicas': '4' };
  const since = NOW - 590_000;
  const progressing = { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: 'ReplicaSet "x" is progressing.', lastUpdateTime: iso(since), lastTransitionTime: iso(since) };
  const available = { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.', lastUpdateTime: iso(since), lastTransitionTime: iso(since) };
  const st = { observedGeneration: 2, replicas: 4, updatedReplicas: 1, readyReplicas: 3, availableReplicas: 3, unavailableReplicas: 1, conditions: [available, progressing] };
  const d = deployment({ template: template('nginx:2') }, { generation: 2, annotations: { 'deployment.kubernetes.io/revision': '2' } }, st);
  const old = replicaSet('nginx:1', 3, { revision: 1, annotations });
  const stuck = replicaSet('nginx:2', 1, { revision: 2, available: 0, created: since, annotations });
  stuck.status = { replicas: 1, observedGeneration: 1 };
  const early = reconcileDeployment(obs(d, [old, stuck]), NOW);
  assert.deepEqual(early.actions.filter((a) => !(a.kind === 'create' && a.bestEffort)), []);
  assert.equal(early.requeueAfterMs, 11_000);
  const late = reconcileDeployment(obs(d, [old, stuck]), NOW + 11_000);
  const c = newStatus(late.actions)!.conditions!.find((x) => x.type === 'Progressing')!;
  assert.deepEqual([c.status, c.reason, c.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "${stuck.metadata.name}" has timed out progressing.`]);
});

test('a name taken by a different ReplicaSet is a hash collision: collisionCount goes up', () => {
  const d = deployment({}, {}, {});
  const squatter = replicaSet('busybox', 1);
  squatter.metadata = { ...squatter.metadata, name: `web-${computeHash(d.spec!.template)}`, ownerReferences: [] };
  const { actions } = reconcileDeployment(obs(d, [], { named: squatter }), NOW);
  assert.deepEqual(rsWrites(actions), []);
  assert.equal(newStatus(actions)!.collisionCount, 1);
});

test('a refused ReplicaSet creation reports Progressing=False ReplicaSetCreateError and a Warning; AlreadyExists is only retried', async () => {
  const { StatusError } = await import('../../src/model/status.js');
  const { actions } = reconcileDeployment(obs(deployment(), []), NOW);
  const create = actions.find((a) => a.kind === 'create' && !a.bestEffort)!;
  const name = (create as { object: KubeObject }).object.metadata.name;
  const reported = create.onError!(new StatusError(403, 'Forbidden', 'replicasets.apps "x" is forbidden: exceeded quota'));
  const msg = `Failed to create new replica set "${name}": replicasets.apps "x" is forbidden: exceeded quota`;
  assert.deepEqual(events(reported), [`ReplicaSetCreateError: ${msg}`]);
  const c = newStatus(reported)!.conditions!.find((x) => x.type === 'Progressing')!;
  assert.deepEqual([c.status, c.reason, c.message], ['False', 'ReplicaSetCreateError', msg]);
  assert.deepEqual(create.onError!(new StatusError(409, 'AlreadyExists', 'exists')), []);
});

test('a rollout on the in-process API completes, with upstream status and conditions, and then stays still', async () => {
  const world = new World();
  await world.init();
  try {
    const dc = new Runner(deploymentController(), world);
    const rc = new Runner(replicaSetController(), world);
    const settle = async () => {
      for (let i = 0; i < 50; i++) {
        let moved = false;
        world.catchUp();
        for (const [r, keys] of [[dc, [`${NS}/web`]], [rc, world.view().list(R.replicasets, NS).map(keyOf)]] as const) {
          for (const k of keys) {
            (r as Runner<unknown>).start(k);
            while ((r as Runner<unknown>).busy) moved = (await (r as Runner<unknown>).step()) === 'done' || moved;
            world.catchUp();
          }
        }
        for (const p of world.notReady()) moved = (await world.makeReady(p)) || moved;
        await world.record();
        world.t += 1000;
        if (!moved) return;
      }
      throw new Error('no fixpoint');
    };
    const spec = deepClone(deployment({ replicas: 5 }).spec);
    await world.client.create(R.deployments, NS, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec });
    await world.record();
    await settle();
    await world.client.patch(R.deployments, NS, 'web', 'application/merge-patch+json', { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } } });
    await world.record();
    await settle();
    const s = world.latest;
    const d = s.deployments[0]! as DeploymentObject;
    assert.ok(rolloutComplete(d, s.replicaSets as ReplicaSetObject[], s.pods, world.t));
    assert.deepEqual({ ...d.status, conditions: undefined }, { observedGeneration: 2, replicas: 5, updatedReplicas: 5, readyReplicas: 5, availableReplicas: 5, conditions: undefined });
    assert.deepEqual(d.status!.conditions!.map((c) => [c.type, c.status, c.reason]), [
      ['Available', 'True', 'MinimumReplicasAvailable'],
      ['Progressing', 'True', 'NewReplicaSetAvailable'],
    ]);
    assert.equal(d.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
    assert.deepEqual(s.replicaSets.map((rs) => [rs.metadata.annotations!['deployment.kubernetes.io/revision'], (rs.spec as { replicas: number }).replicas]).sort(), [['1', 0], ['2', 5]]);
    // Nothing changed, nothing written.
    world.catchUp();
    dc.start(`${NS}/web`);
    assert.deepEqual(dc.pending, []);
    for (const rs of s.replicaSets) {
      rc.start(keyOf(rs));
      assert.deepEqual(rc.pending, []);
    }
  } finally {
    await world.close();
  }
});
