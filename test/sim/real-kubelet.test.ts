// The Runtime interface shared by both node kinds: the real Kubelet (registration, pod workers,
// the pure sync decision, events, status writes) driving a simulated node's in-memory runtime.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { unmountAll } from '../../src/engine/sys.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { testCluster, eventually } from '../controllers/harness.js';
import { rootCACertPublisher } from '../../src/controllers/rootcacertpublisher.js';
import { serviceAccountController } from '../../src/controllers/serviceaccount.js';
import { Kubelet } from '../../src/kubelet/kubelet.js';
import { SimRuntime } from '../../src/sim/runtime.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';

/** A test cluster with these controllers and the real Kubelet on a SimRuntime as node `name`; taken down after the test. */
async function simKubelet(t: TestContext, controllers: Parameters<typeof testCluster>[0], name: string, podCIDR: string, nodeIP: string) {
  const c = await testCluster(controllers);
  const dir = mkdtempSync(join(tmpdir(), 'berth-simkubelet-'));
  const runtime = new SimRuntime({ podCIDR, clock: () => Date.now() });
  const kubelet = new Kubelet(c.client, { nodeName: name, dataDir: dir, runtime, nodeIP, resyncMs: 500 });
  await kubelet.start();
  t.after(async () => {
    kubelet.stop();
    await c.stop();
    // a volume the stopped kubelet had no time to take down must not outlive the test
    await unmountAll(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  return { c, dir, runtime };
}

test('the real Kubelet runs pods on a SimRuntime: init containers, Running and Ready, restarts, events, deletion', async (t) => {
  const { c, runtime } = await simKubelet(t, [], 'sim-k', '10.250.3.0/24', '172.31.0.9');
  const node = await c.client.get(R.nodes, undefined, 'sim-k');
  assert.equal((node.status as { nodeInfo: { containerRuntimeVersion: string } }).nodeInfo.containerRuntimeVersion, 'berth-sim://0.1.0');

  const pod = (name: string, annotations: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations },
    // no API token volume here (it needs a tmpfs mount, so root): the test below has one
    spec: { nodeName: 'sim-k', automountServiceAccountToken: false, initContainers: [{ name: 'setup', image: 'any/image:1' }], containers: [{ name: 'app', image: 'any/image:1' }], terminationGracePeriodSeconds: 5 },
  });
  await c.client.create(R.pods, 'default', pod('web'));
  const get = async (name: string) => (await c.client.get(R.pods, 'default', name)) as KubeObject & Pod;
  await eventually(async () => (await get('web')).status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') === true, 10_000);
  const st = (await get('web')).status!;
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '10.250.3.2');
  assert.equal(st.hostIP, '172.31.0.9');
  assert.equal(st.initContainerStatuses![0]!.state!.terminated!.reason, 'Completed');
  assert.match(st.containerStatuses![0]!.containerID!, /^berth-sim:\/\//);
  assert.match(st.containerStatuses![0]!.imageID!, /^sha256:[0-9a-f]{64}$/);
  // the kubelet's own events, from its own code path
  type Ev = { involvedObject: { name: string }; reason: string };
  const reasons = async () => (await c.client.list(R.events, 'default')).items.map((e) => e as unknown as Ev).filter((e) => e.involvedObject.name === 'web').map((e) => e.reason);
  const expected = ['Pulling', 'Pulled', 'Created', 'Started'];
  await eventually(async () => {
    const seen = await reasons();
    return expected.every((r) => seen.includes(r));
  }, 5000);

  // a container that exits after a second is restarted by the kubelet (restartCount rises)
  await c.client.create(R.pods, 'default', pod('blinks', { 'sim.berth.dev/run-seconds': '1', 'sim.berth.dev/exit-code': '3' }));
  await eventually(async () => ((await get('blinks')).status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1, 10_000);
  const last = (await get('blinks')).status!.containerStatuses![0]!.lastState!.terminated!;
  assert.equal(last.exitCode, 3);

  // deletion: stopped, removed from the API, and nothing of it left in the runtime
  await c.client.delete(R.pods, 'default', 'web');
  await c.client.delete(R.pods, 'default', 'blinks');
  await eventually(async () => (await c.client.list(R.pods, 'default')).items.length === 0, 10_000);
  await eventually(async () => runtime.podUids().length === 0 && (await runtime.listContainers()).length === 0, 10_000);
});

test('the real Kubelet projects the API token volume: a pod-bound token from the TokenRequest API, the cluster CA, the namespace', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root: projected volumes are tmpfs mounts');
    return;
  }
  const { c, dir } = await simKubelet(t, [rootCACertPublisher('-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n'), serviceAccountController()], 'sim-t', '10.250.4.0/24', '172.31.0.10');
  await c.client.create(R.pods, 'default', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api', namespace: 'default' }, spec: { nodeName: 'sim-t', containers: [{ name: 'app', image: 'any/image:1' }] } });
  const pod = (await c.client.get(R.pods, 'default', 'api')) as KubeObject & Pod;
  await eventually(async () => ((await c.client.get(R.pods, 'default', 'api')) as KubeObject & Pod).status?.phase === 'Running', 10_000);
  const volDir = join(dir, 'pods', pod.metadata.uid!, 'volumes', 'kubernetes.io~projected');
  const [vol] = readdirSync(volDir);
  assert.match(vol!, /^kube-api-access-/);
  const files = (f: string) => readFileSync(join(volDir, vol!, f), 'utf8');
  assert.equal(files('namespace'), 'default');
  assert.match(files('ca.crt'), /BEGIN CERTIFICATE/);
  const claims = JSON.parse(Buffer.from(files('token').split('.')[1]!, 'base64url').toString());
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.deepEqual(claims['kubernetes.io'].pod, { name: 'api', uid: pod.metadata.uid });
  assert.equal(claims['kubernetes.io'].node.name, 'sim-t');
  // deleted: the kubelet unmounts and removes the pod's directory
  await c.client.delete(R.pods, 'default', 'api');
  await eventually(async () => !existsSync(join(dir, 'pods', pod.metadata.uid!)), 10_000);
});
