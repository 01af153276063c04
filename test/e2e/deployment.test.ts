// Deployments with the real kubectl against a real `berth server`: rollout status, scale, set
// image (a strategic merge patch) watched for seed 003's bounds, history, undo, pause/resume,
// restart, delete. No node runs pods yet, so the test plays the kubelet: it marks pods ready
// through the status subresource over HTTPS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, kubectl, removeDir, startServer, which, type ServerProcess } from './cluster.js';
import { HttpClient, loadKubeconfig } from '../../src/client/http.js';
import { RemoteClient } from '../../src/client/remote.js';
import { R } from '../../src/model/api.js';
import type { DeploymentObject } from '../../src/controllers/deployment-util.js';
import { startFakeKubelet, type FakeKubelet } from '../controllers/fake-kubelet.js';
import { watchRollout } from '../controllers/rollout-watch.js';

const manifest = (image: string) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: roll
spec:
  replicas: 3
  selector:
    matchLabels:
      app: web
  strategy:
    rollingUpdate:
      maxSurge: 1
      maxUnavailable: 0
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${image}
`;

describe('Deployments with kubectl against berth server', { skip: which('kubectl') ? false : 'kubectl is not installed' }, () => {
  let s: ServerProcess;
  let kubelet: FakeKubelet;
  let client: RemoteClient;
  const ok = async (args: string[], input?: string, timeoutMs?: number) => {
    const r = await kubectl(s.kubeconfig, ['-n', 'roll', ...args], input, timeoutMs);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const pods = async () => (await client.list(R.pods, 'roll')).items.filter((p) => !p.metadata.deletionTimestamp);
  const replicaSets = async () => (await client.list(R.replicasets, 'roll')).items;

  before(async () => {
    s = await startServer();
    client = new RemoteClient(new HttpClient(loadKubeconfig(s.kubeconfig)));
    await client.create(R.namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'roll' } });
    kubelet = await startFakeKubelet(client, { delayMs: 50, namespace: 'roll' });
  });
  after(async () => {
    kubelet?.stop();
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('apply, then rollout status succeeds', async () => {
    assert.match(await ok(['apply', '-f', '-'], manifest('nginx:1.25')), /deployment.apps\/web created/);
    const out = await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
    assert.match(out, /deployment "web" successfully rolled out/);
    assert.match(await ok(['get', 'deployment', 'web']), /\nweb\s+3\/3\s+3\s+3\s+\d+s\n/);
    const rs = await ok(['get', 'rs', '-o', 'name']);
    assert.match(rs, /^replicaset.apps\/web-[bcdfghjklmnpqrstvwxz2456789]+\n$/);
  });

  it('scale to 10 and to 0', async () => {
    await ok(['scale', 'deployment/web', '--replicas=10']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
    assert.equal((await pods()).length, 10);
    await ok(['scale', 'deployment/web', '--replicas=0']);
    await eventually(async () => (await pods()).length === 0, 20_000, 'no pods');
    assert.match(await ok(['get', 'deployment', 'web']), /\nweb\s+0\/0\s+0\s+0\s+\d+s\n/);
    await ok(['scale', 'deployment/web', '--replicas=3']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
  });

  it('set image rolls out within maxSurge and maxUnavailable in every watched state', async () => {
    const watch = await watchRollout(client, 'roll');
    try {
      await ok(['set', 'image', 'deployment/web', 'web=nginx:1.26']);
      watch.arm((await client.get(R.deployments, 'roll', 'web')) as DeploymentObject);
      const out = await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
      assert.match(out, /successfully rolled out/);
      watch.disarm();
    } finally {
      watch.stop();
    }
    assert.ok(watch.states.some((c) => c.total === 4), 'the surge pod was seen');
    assert.deepEqual(watch.violations, []);
    const images = (await pods()).map((p) => (p.spec as { containers: { image: string }[] }).containers[0]!.image);
    assert.deepEqual(images, ['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);
    const events = await ok(['get', 'events', '--field-selector', 'reason=ScalingReplicaSet', '-o', 'jsonpath={.items[*].message}']);
    assert.match(events, /Scaled up replica set web-\w+ from 0 to 1/);
    assert.match(events, /Scaled down replica set web-\w+ from 3 to 2/);
  });

  it('rollout history lists the revisions; undo goes back to the previous one', async () => {
    const history = await ok(['rollout', 'history', 'deployment/web']);
    assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n/);
    const rev1 = await ok(['rollout', 'history', 'deployment/web', '--revision=1']);
    assert.match(rev1, /Image:\s+nginx:1\.25/);
    assert.match(await ok(['rollout', 'undo', 'deployment/web']), /deployment.apps\/web rolled back/);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
    const d = JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.25');
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    assert.match(await ok(['rollout', 'history', 'deployment/web']), /\n2\s+<none>\n3\s+<none>\n/);
    assert.equal((await replicaSets()).length, 2);
  });

  it('pause holds a template change; resume rolls it out', async () => {
    await ok(['rollout', 'pause', 'deployment/web']);
    await ok(['set', 'image', 'deployment/web', 'web=nginx:1.27']);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await replicaSets()).length, 2, 'no new ReplicaSet while paused');
    const paused = JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json']));
    assert.ok(paused.status.conditions.some((c: { reason: string }) => c.reason === 'DeploymentPaused'));
    await ok(['rollout', 'resume', 'deployment/web']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
    assert.equal((await replicaSets()).length, 3);
  });

  it('rollout restart rolls the pods', async () => {
    const before = new Set((await pods()).map((p) => p.metadata.name));
    await ok(['rollout', 'restart', 'deployment/web']);
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
    const after = await pods();
    assert.equal(after.length, 3);
    assert.ok(after.every((p) => !before.has(p.metadata.name)), 'every pod was replaced');
    assert.equal((await replicaSets()).length, 4);
  });

  it('kubectl create deployment, then rollout status', async () => {
    assert.match(await ok(['create', 'deployment', 'api', '--image=nginx', '--replicas=3']), /deployment.apps\/api created/);
    assert.match(await ok(['rollout', 'status', 'deployment/api', '--timeout=60s'], undefined, 70_000), /deployment "api" successfully rolled out/);
    assert.match(await ok(['get', 'rs', '-l', 'app=api']), /\napi-\w+\s+3\s+3\s+3\s+\d+s\n/);
    await ok(['delete', 'deployment', 'api']);
  });

  it('delete removes the ReplicaSets and pods', async () => {
    await ok(['delete', 'deployment', 'web']);
    await eventually(async () => (await replicaSets()).length === 0 && (await pods()).length === 0, 20_000, 'garbage collection');
  });
});
