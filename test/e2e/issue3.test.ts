// Issue 3's "Must show", end to end: the real kubectl against `berth server` with simulated nodes
// (`--sim-nodes`, and `berth sim nodes` processes for nodes that must be tainted or must die).
// Nothing here plays the kubelet: the simulated nodes run the pods, the controllers and the
// scheduler in the server do the rest. Watchers (informers over the HTTPS client) record every
// state the API shows, and the checks are made over those recorded states.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { eventually, kubectl, removeDir, startServer, startSimNodes, which, type ServerProcess, type SimNodesProcess } from './cluster.js';
import { HttpClient, loadKubeconfig } from '../../src/client/http.js';
import { RemoteClient } from '../../src/client/remote.js';
import { Informer, type InformerEvent } from '../../src/client/informer.js';
import { R, type ResourceRef } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';
import { labelSelectorAsSelector, matches } from '../../src/model/labels.js';
import { isPodActive, isPodAvailable } from '../../src/controllers/pods.js';
import { aboveMinAvailable, rolloutBounds, rolloutCounts, withinSurge, type RolloutCounts } from '../../src/verify/invariants/workloads.js';
import type { DeploymentObject, ReplicaSetObject } from '../../src/controllers/deployment-util.js';

const skip = which('kubectl') ? false : 'kubectl is not installed';
type PodObj = KubeObject & Pod;

const cond = (p: KubeObject, type: string) => ((p.status as Pod['status'])?.conditions ?? []).find((c) => c.type === type);
const isReady = (p: KubeObject) => cond(p, 'Ready')?.status === 'True';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clientFor(s: ServerProcess): RemoteClient {
  return new RemoteClient(new HttpClient(loadKubeconfig(s.kubeconfig)));
}

/** kubectl that must succeed; returns its stdout. */
function kubectlOk(s: () => ServerProcess) {
  return async (args: string[], input?: string, timeoutMs?: number): Promise<string> => {
    const r = await kubectl(s().kubeconfig, args, input, timeoutMs);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
}

async function getJson<T = any>(ok: ReturnType<typeof kubectlOk>, args: string[]): Promise<T> {
  return JSON.parse(await ok([...args, '-o', 'json'])) as T;
}

/** Every event one resource's watch delivers, in order (a list, then a watch from its version). */
async function recordEvents(client: RemoteClient, resource: ResourceRef, namespace: string): Promise<{ events: InformerEvent[]; informer: Informer; stop(): void }> {
  const informer = new Informer(client, resource, { namespace });
  const events: InformerEvent[] = [];
  informer.on((ev) => events.push(ev));
  await informer.start();
  return { events, informer, stop: () => informer.stop() };
}

interface RolloutState extends RolloutCounts {
  /** Counted by the Deployment's selector, whatever the ReplicaSet cache shows yet. */
  selected: number;
  selectedAvailable: number;
  violations: string[];
}

/**
 * Watches a Deployment's pods, ReplicaSets and the Deployment itself, and checks seed 003's
 * rolling-update bounds (INV-RU-1 and INV-RU-2) in every state any of the three watches shows.
 */
async function recordRollout(client: RemoteClient, namespace: string, name: string) {
  const pods = new Informer(client, R.pods, { namespace });
  const rss = new Informer(client, R.replicasets, { namespace });
  const deps = new Informer(client, R.deployments, { namespace });
  const states: RolloutState[] = [];
  // While the caches fill from their first lists they show partial states the cluster never had.
  let synced = false;
  const check = () => {
    const d = deps.get(namespace, name) as DeploymentObject | undefined;
    if (!d || !synced) return;
    const now = Date.now();
    const all = pods.list(namespace);
    const counts = rolloutCounts(d, rss.list(namespace) as ReplicaSetObject[], all, now);
    // The pods the selector picks, so a pod whose ReplicaSet this cache has not seen yet still counts.
    const sel = labelSelectorAsSelector(d.spec?.selector);
    const mine = all.filter((p) => matches(sel, p.metadata.labels ?? {}) && isPodActive(p as never));
    const selected = mine.length;
    const selectedAvailable = mine.filter((p) => isPodAvailable(p as never, d.spec?.minReadySeconds ?? 0, now)).length;
    const b = rolloutBounds(d);
    const violations: string[] = [];
    for (const [total, available] of [[counts.total, counts.available], [selected, selectedAvailable]] as const) {
      const c = { ...counts, total, available };
      if (!withinSurge(b, c)) violations.push(`INV-RU-1: ${total} pods > ${b.replicas} + maxSurge ${b.maxSurge}`);
      if (!aboveMinAvailable(b, c)) violations.push(`INV-RU-2: ${available} available < ${b.replicas} − maxUnavailable ${b.maxUnavailable}`);
    }
    states.push({ ...counts, selected, selectedAvailable, violations });
  };
  for (const i of [pods, rss, deps]) i.on(check);
  await Promise.all([deps.start(), rss.start(), pods.start()]);
  synced = true;
  check();
  return {
    states,
    last: () => states[states.length - 1],
    violations: () => states.flatMap((s, i) => s.violations.map((v) => `state ${i}: ${v}`)),
    stop: () => [pods, rss, deps].forEach((i) => i.stop()),
  };
}

const podsOf = async (ok: ReturnType<typeof kubectlOk>, selector: string): Promise<PodObj[]> =>
  (await getJson<{ items: PodObj[] }>(ok, ['get', 'pods', '-l', selector])).items;

// ---- Deployments ----------------------------------------------------------------------------

describe('issue 3: Deployments, Services and scheduling on simulated nodes', { skip }, () => {
  let s: ServerProcess;
  let client: RemoteClient;
  const ok = kubectlOk(() => s);
  const livePods = async () => (await podsOf(ok, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);

  before(async () => {
    s = await startServer({ extraArgs: ['--sim-nodes', '3'] });
    client = clientFor(s);
  });
  after(async () => {
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('kubectl create deployment web --image=nginx --replicas=3, then rollout status succeeds', async () => {
    assert.equal(await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=3']), 'deployment.apps/web created\n');
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000), /deployment "web" successfully rolled out\n$/);
    assert.match(await ok(['get', 'deployment', 'web']), /\nweb\s+3\/3\s+3\s+3\s+\d+s\n/);
    const pods = await livePods();
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      assert.equal(p.status?.phase, 'Running');
      assert.ok(isReady(p), `${p.metadata.name} is not Ready`);
      assert.match(p.spec!.nodeName!, /^sim-node-[012]$/);
    }
    assert.equal(new Set(pods.map((p) => p.status!.podIP)).size, 3, 'distinct pod IPs');
  });

  it('kubectl set image rolls out within maxSurge and maxUnavailable in every watched state', async () => {
    const rec = await recordRollout(client, 'default', 'web');
    try {
      assert.equal(await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']), 'deployment.apps/web image updated\n');
      assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000), /successfully rolled out/);
      await eventually(() => { const l = rec.last(); return !!l && l.updated === 3 && l.old === 0 && l.available === 3; }, 10_000, 'the watch to show the end of the rollout');
    } finally {
      rec.stop();
    }
    // kubectl create deployment leaves the defaults: 25% surge (rounded up: 1), 25% unavailable (rounded down: 0).
    assert.deepEqual(rec.violations(), []);
    assert.ok(rec.states.length >= 10, `only ${rec.states.length} states watched`);
    assert.ok(rec.states.some((c) => c.total === 4), 'the surge pod was seen');
    assert.ok(rec.states.some((c) => c.old > 0 && c.updated > 0), 'old and new pods were seen side by side');
    const pods = await livePods();
    assert.deepEqual(pods.map((p) => p.spec!.containers[0]!.image), ['nginx:1.27', 'nginx:1.27', 'nginx:1.27']);
    const rs = await ok(['get', 'rs', '-l', 'app=web', '--sort-by=.metadata.creationTimestamp']);
    assert.match(rs, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE\nweb-\w+\s+0\s+0\s+0\s+\d+s\nweb-\w+\s+3\s+3\s+3\s+\d+s\n$/);
    const events = await ok(['get', 'events', '--field-selector', 'reason=ScalingReplicaSet', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.match(events, /Scaled up replica set web-\w+ from 0 to 1/);
    assert.match(events, /Scaled down replica set web-\w+ from 3 to 2/);
  });

  it('kubectl rollout history lists the revisions; rollout undo goes back, also within the bounds', async () => {
    assert.match(await ok(['rollout', 'history', 'deployment/web']), /^deployment\.apps\/web \nREVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+<none>\n\n$/);
    const rev2 = await ok(['rollout', 'history', 'deployment/web', '--revision=2']);
    assert.match(rev2, /with revision #2/);
    assert.match(rev2, /Image:\s+nginx:1\.27/);
    assert.match(rev2, /pod-template-hash=\w+/);
    const rec = await recordRollout(client, 'default', 'web');
    try {
      assert.equal(await ok(['rollout', 'undo', 'deployment/web']), 'deployment.apps/web rolled back\n');
      await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
      await eventually(() => { const l = rec.last(); return !!l && l.updated === 3 && l.old === 0 && l.available === 3; }, 10_000, 'the watch to show the end of the undo');
    } finally {
      rec.stop();
    }
    assert.deepEqual(rec.violations(), []);
    assert.ok(rec.states.some((c) => c.total === 4), 'the surge pod was seen');
    const d = await getJson(ok, ['get', 'deployment', 'web']);
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx');
    assert.equal(d.metadata.annotations['deployment.kubernetes.io/revision'], '3');
    // Revision 1's template is now revision 3.
    assert.match(await ok(['rollout', 'history', 'deployment/web']), /\nREVISION\s+CHANGE-CAUSE\n2\s+<none>\n3\s+<none>\n\n$/);
    assert.deepEqual((await livePods()).map((p) => p.spec!.containers[0]!.image), ['nginx', 'nginx', 'nginx']);
  });

  it('scale to 0 removes every pod; scale to 10 spreads ten ready pods over the nodes', async () => {
    assert.equal(await ok(['scale', 'deployment/web', '--replicas=0']), 'deployment.apps/web scaled\n');
    await eventually(async () => (await podsOf(ok, 'app=web')).length === 0, 20_000, 'no pods left');
    assert.match(await ok(['get', 'deployment', 'web']), /\nweb\s+0\/0\s+0\s+0\s+\d+s\n/);
    assert.equal(await ok(['scale', 'deployment/web', '--replicas=10']), 'deployment.apps/web scaled\n');
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000), /successfully rolled out/);
    assert.match(await ok(['get', 'deployment', 'web']), /\nweb\s+10\/10\s+10\s+10\s+\d+s\n/);
    const pods = await livePods();
    assert.equal(pods.length, 10);
    assert.ok(pods.every((p) => p.status?.phase === 'Running' && isReady(p)));
    assert.equal(new Set(pods.map((p) => p.status!.podIP)).size, 10, 'distinct pod IPs');
    const perNode = new Map<string, number>();
    for (const p of pods) perNode.set(p.spec!.nodeName!, (perNode.get(p.spec!.nodeName!) ?? 0) + 1);
    assert.deepEqual([...perNode.values()].sort(), [3, 3, 4], `spread: ${JSON.stringify([...perNode])}`);
  });

  it("a Service's Endpoints follow pod readiness (sim.berth.dev/ready: a failing readiness probe)", async () => {
    assert.equal(await ok(['expose', 'deployment', 'web', '--port=80', '--target-port=8080']), 'service/web exposed\n');
    type Ep = { subsets?: { addresses?: { ip: string; targetRef?: { name: string } }[]; notReadyAddresses?: { ip: string; targetRef?: { name: string } }[]; ports: { port: number }[] }[] };
    const endpoints = () => getJson<Ep>(ok, ['get', 'endpoints', 'web']);
    const ready = (e: Ep) => (e.subsets ?? []).flatMap((x) => x.addresses ?? []).map((a) => a.ip).sort();
    const notReady = (e: Ep) => (e.subsets ?? []).flatMap((x) => x.notReadyAddresses ?? []).map((a) => a.targetRef?.name).sort();
    const pods = await livePods();
    const allIPs = pods.map((p) => p.status!.podIP!).sort();
    await eventually(async () => JSON.stringify(ready(await endpoints())) === JSON.stringify(allIPs), 10_000, 'ten ready endpoints');
    assert.deepEqual((await endpoints()).subsets![0]!.ports, [{ port: 8080, protocol: 'TCP' }]);

    const victim = pods[0]!;
    assert.equal(await ok(['annotate', 'pod', victim.metadata.name!, 'sim.berth.dev/ready=false']), `pod/${victim.metadata.name} annotated\n`);
    await eventually(async () => notReady(await endpoints()).join() === victim.metadata.name, 10_000, 'the pod among notReadyAddresses');
    const e = await endpoints();
    assert.deepEqual(ready(e), allIPs.filter((ip) => ip !== victim.status!.podIP));
    assert.match(await ok(['get', 'pod', victim.metadata.name!]), new RegExp(`\\n${victim.metadata.name}\\s+0/1\\s+Running\\s+0\\s+`));
    const p = await getJson<PodObj>(ok, ['get', 'pod', victim.metadata.name!]);
    assert.equal(cond(p, 'Ready')?.reason, 'ContainersNotReady');
    assert.equal(cond(p, 'Ready')?.message, 'containers with unready status: [nginx]');
    const slices = (await getJson<{ items: EndpointSlice[] }>(ok, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'])).items;
    const ep = slices.flatMap((sl) => sl.endpoints ?? []).find((x) => x.targetRef?.name === victim.metadata.name);
    assert.deepEqual(ep?.conditions, { ready: false, serving: false, terminating: false });
    await eventually(async () => /\nweb\s+9\/10\s+10\s+9\s+/.test(await ok(['get', 'deployment', 'web'])), 10_000, 'the Deployment 9/10 ready');

    // The probe passes again: back among the addresses.
    assert.equal(await ok(['annotate', 'pod', victim.metadata.name!, 'sim.berth.dev/ready-']), `pod/${victim.metadata.name} annotated\n`);
    await eventually(async () => {
      const now = await endpoints();
      return JSON.stringify(ready(now)) === JSON.stringify(allIPs) && notReady(now).length === 0;
    }, 10_000, 'ten ready endpoints again');
    await eventually(async () => /\nweb\s+10\/10\s+10\s+10\s+/.test(await ok(['get', 'deployment', 'web'])), 10_000, 'the Deployment 10/10 again');
  });

  it('a pod too big for any node reports the upstream message', async () => {
    const huge = 'apiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers:\n  - {name: big, image: nginx, resources: {requests: {cpu: "64"}}}\n';
    assert.equal(await ok(['apply', '-f', '-'], huge), 'pod/huge created\n');
    const want = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    await eventually(async () => (await ok(['get', 'events', '--field-selector', 'involvedObject.name=huge,reason=FailedScheduling', '-o', 'jsonpath={.items[*].message}'])) === want, 10_000, 'a FailedScheduling event');
    const p = await getJson<PodObj>(ok, ['get', 'pod', 'huge']);
    assert.equal(p.status?.phase, 'Pending');
    assert.deepEqual([cond(p, 'PodScheduled')?.status, cond(p, 'PodScheduled')?.reason, cond(p, 'PodScheduled')?.message], ['False', 'Unschedulable', want]);
    assert.match(await ok(['get', 'pod', 'huge']), /\nhuge\s+0\/1\s+Pending\s+0\s+/);
    await ok(['delete', 'pod', 'huge']);
  });

  it('deleting the Deployment removes its ReplicaSets and pods', async () => {
    assert.equal((await podsOf(ok, 'app=web')).length, 10);
    assert.equal((await getJson<{ items: unknown[] }>(ok, ['get', 'rs', '-l', 'app=web'])).items.length, 2);
    assert.equal(await ok(['delete', 'deployment', 'web']), 'deployment.apps "web" deleted\n');
    await eventually(async () => {
      const left = await kubectl(s.kubeconfig, ['get', 'rs,pods', '-l', 'app=web']);
      return left.code === 0 && left.stdout === '' && left.stderr === 'No resources found in default namespace.\n';
    }, 20_000, 'the ReplicaSets and pods gone');
    // The Service stays, with nothing behind it.
    await eventually(async () => ((await getJson<{ subsets?: unknown[] }>(ok, ['get', 'endpoints', 'web'])).subsets ?? []).length === 0, 10_000, 'empty Endpoints');
  });
});

// ---- StatefulSet, DaemonSet, Job, CronJob ---------------------------------------------------

const statefulSet = `
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  clusterIP: None
  selector: {app: nginx}
  ports: [{name: web, port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: web
  replicas: 3
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers:
      - {name: nginx, image: registry.k8s.io/nginx-slim:0.8, ports: [{name: web, containerPort: 80}], volumeMounts: [{name: data, mountPath: /usr/share/nginx/html}]}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`;

const daemonSet = `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: agent, image: busybox}]
`;

const job = `
apiVersion: batch/v1
kind: Job
metadata: {name: pi}
spec:
  completions: 5
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers: [{name: pi, image: perl}]
`;

describe('issue 3: StatefulSet, DaemonSet, Job and CronJob on simulated nodes', { skip }, () => {
  let s: ServerProcess;
  let tainted: SimNodesProcess;
  let client: RemoteClient;
  let cronCreated = 0;
  const ok = kubectlOk(() => s);

  before(async () => {
    s = await startServer({ extraArgs: ['--store', 'memory', '--sim-nodes', '3'] });
    client = clientFor(s);
    tainted = await startSimNodes(s.kubeconfig, ['--count', '1', '--name-prefix', 'tainted-', '--first-index', '10', '--taints', 'dedicated=infra:NoSchedule']);
    await eventually(async () => (await ok(['get', 'nodes'])).split('\n').filter((l) => /\sReady\s/.test(l)).length === 4, 15_000, 'four Ready nodes');
  });
  after(async () => {
    await tainted?.stop();
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  // Created first: "* * * * *" fires at the next minute, while the other tests run.
  it('kubectl create cronjob with schedule "* * * * *"', async () => {
    cronCreated = Date.now();
    assert.equal(await ok(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=* * * * *']), 'cronjob.batch/tick created\n');
    assert.match(await ok(['get', 'cronjob', 'tick']), /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE\ntick\s+\* \* \* \* \*\s+<none>\s+False\s+\d+\s+\S+\s+\d+s\n$/);
  });

  it('a StatefulSet creates web-0, web-1, web-2 in order, each after the one before is Running and Ready, with their PVCs', async () => {
    const rec = await recordEvents(client, R.pods, 'default');
    try {
      assert.equal(await ok(['apply', '-f', '-'], statefulSet), 'service/web created\nstatefulset.apps/web created\n');
      assert.match(await ok(['rollout', 'status', 'statefulset/web', '--timeout=60s'], undefined, 70_000), /roll out complete/);
    } finally {
      rec.stop();
    }
    const seen = new Map<string, KubeObject>();
    const order: string[] = [];
    for (const ev of rec.events) {
      const name = ev.object.metadata.name!;
      if (!/^web-\d$/.test(name)) continue;
      if (ev.type === 'add') {
        order.push(name);
        const ordinal = Number(name.slice(4));
        for (let j = 0; j < ordinal; j++) {
          const before = seen.get(`web-${j}`);
          assert.ok(before && (before.status as Pod['status'])?.phase === 'Running' && isReady(before), `${name} created while web-${j} was not Running and Ready`);
        }
      }
      if (ev.type === 'delete') seen.delete(name);
      else seen.set(name, ev.object);
    }
    assert.deepEqual(order, ['web-0', 'web-1', 'web-2']);
    assert.match(await ok(['get', 'statefulset', 'web']), /\nweb\s+3\/3\s+\d+s\n/);
    const pvcs = (await getJson<{ items: KubeObject[] }>(ok, ['get', 'pvc'])).items;
    assert.deepEqual(pvcs.map((c) => c.metadata.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
    for (const c of pvcs) assert.deepEqual(c.metadata.labels, { app: 'nginx' });
    const pods = await podsOf(ok, 'app=nginx');
    for (const p of pods) {
      assert.equal(p.spec!.hostname, p.metadata.name);
      assert.equal(p.spec!.subdomain, 'web');
      assert.equal(p.metadata.labels!['statefulset.kubernetes.io/pod-name'], p.metadata.name);
      assert.equal(p.spec!.volumes!.find((v) => v.name === 'data')?.persistentVolumeClaim?.claimName, `data-${p.metadata.name}`);
    }
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.kind=StatefulSet,reason=SuccessfulCreate', '--sort-by=.metadata.creationTimestamp', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    for (const n of [0, 1, 2]) {
      assert.ok(events.includes(`create Claim data-web-${n} Pod web-${n} in StatefulSet web success`), events);
      assert.ok(events.includes(`create Pod web-${n} in StatefulSet web successful`), events);
    }
  });

  it('scaling the StatefulSet to 0 deletes web-2, web-1, web-0 in reverse order, each after the one above is gone; the PVCs stay', async () => {
    const rec = await recordEvents(client, R.pods, 'default');
    try {
      assert.equal(await ok(['scale', 'statefulset', 'web', '--replicas=0']), 'statefulset.apps/web scaled\n');
      await eventually(async () => (await podsOf(ok, 'app=nginx')).length === 0, 30_000, 'the pods gone');
    } finally {
      rec.stop();
    }
    const live = new Set(rec.events.filter((e) => e.type === 'add').map((e) => e.object.metadata.name!).filter((n) => /^web-\d$/.test(n)));
    const deletionStarted: string[] = [];
    const gone: string[] = [];
    for (const ev of rec.events) {
      const name = ev.object.metadata.name!;
      if (!/^web-\d$/.test(name)) continue;
      if (ev.object.metadata.deletionTimestamp && !deletionStarted.includes(name)) {
        deletionStarted.push(name);
        // Under OrderedReady a pod is deleted only once every higher ordinal is gone.
        for (const other of live) if (Number(other.slice(4)) > Number(name.slice(4))) assert.fail(`${name} deleted while ${other} still exists`);
      }
      if (ev.type === 'delete') {
        live.delete(name);
        gone.push(name);
      }
    }
    assert.deepEqual(deletionStarted, ['web-2', 'web-1', 'web-0']);
    assert.deepEqual(gone, ['web-2', 'web-1', 'web-0']);
    assert.match(await ok(['get', 'statefulset', 'web']), /\nweb\s+0\/0\s+\d+s\n/);
    assert.deepEqual((await getJson<{ items: KubeObject[] }>(ok, ['get', 'pvc'])).items.map((c) => c.metadata.name).sort(), ['data-web-0', 'data-web-1', 'data-web-2']);
  });

  it('a DaemonSet covers every untainted node, and a node whose taint is removed', async () => {
    assert.equal(await ok(['apply', '-f', '-'], daemonSet), 'daemonset.apps/agent created\n');
    assert.match(await ok(['rollout', 'status', 'daemonset/agent', '--timeout=60s'], undefined, 70_000), /daemon set "agent" successfully rolled out/);
    assert.match(await ok(['get', 'daemonset', 'agent']), /\nagent\s+3\s+3\s+3\s+3\s+3\s+<none>\s+\d+s\n/);
    const nodesOf = async () => (await podsOf(ok, 'app=agent')).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.spec!.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms[0]?.matchFields?.[0]?.values?.[0] ?? '').sort();
    assert.deepEqual(await nodesOf(), ['sim-node-0', 'sim-node-1', 'sim-node-2']);
    for (const p of await podsOf(ok, 'app=agent')) assert.equal(p.spec!.nodeName, p.spec!.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms[0]!.matchFields![0]!.values![0]);
    assert.match(await ok(['describe', 'node', 'tainted-10']), /^Taints:\s+dedicated=infra:NoSchedule$/m);

    assert.equal(await ok(['taint', 'node', 'tainted-10', 'dedicated-']), 'node/tainted-10 untainted\n');
    await eventually(async () => (await nodesOf()).join() === 'sim-node-0,sim-node-1,sim-node-2,tainted-10', 15_000, 'a daemon pod on the untainted node');
    assert.match(await ok(['rollout', 'status', 'daemonset/agent', '--timeout=60s'], undefined, 70_000), /successfully rolled out/);
    assert.match(await ok(['get', 'daemonset', 'agent']), /\nagent\s+4\s+4\s+4\s+4\s+4\s+<none>\s+\d+s\n/);
    await ok(['delete', 'daemonset', 'agent']);
  });

  it('a Job with completions=5, parallelism=2 completes, never running more than 2 pods at once', async () => {
    const rec = await recordEvents(client, R.pods, 'default');
    try {
      assert.equal(await ok(['apply', '-f', '-'], job), 'job.batch/pi created\n');
      assert.equal(await ok(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s'], undefined, 70_000), 'job.batch/pi condition met\n');
    } finally {
      rec.stop();
    }
    const active = new Map<string, boolean>();
    let most = 0;
    for (const ev of rec.events) {
      if (ev.object.metadata.labels?.['job-name'] !== 'pi') continue;
      const phase = (ev.object.status as Pod['status'])?.phase;
      active.set(ev.object.metadata.name!, ev.type !== 'delete' && phase !== 'Succeeded' && phase !== 'Failed' && !ev.object.metadata.deletionTimestamp);
      most = Math.max(most, [...active.values()].filter(Boolean).length);
    }
    assert.equal(most, 2, 'at most (and at some point) 2 pods at once');
    assert.equal(active.size, 5);
    assert.match(await ok(['get', 'job', 'pi']), /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\npi\s+Complete\s+5\/5\s+\d+s\s+\d+s\n$/);
    const j = await getJson(ok, ['get', 'job', 'pi']);
    assert.equal(j.status.succeeded, 5);
    assert.deepEqual(j.status.conditions.map((c: { type: string; reason: string }) => `${c.type}/${c.reason}`), ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    const pods = await podsOf(ok, 'job-name=pi');
    assert.equal(pods.length, 5);
    assert.ok(pods.every((p) => p.status?.phase === 'Succeeded'));
  });

  it('the CronJob fires at the minute and its Job completes', async () => {
    // The first run is due at the next minute boundary after creation.
    const due = Math.floor(cronCreated / 60_000 + 1) * 60_000;
    const waitMs = Math.max(0, due - Date.now()) + 20_000;
    type CJ = { status?: { lastScheduleTime?: string; lastSuccessfulTime?: string } };
    const cj = await eventually(async () => {
      const c = await getJson<CJ>(ok, ['get', 'cronjob', 'tick']);
      return c.status?.lastSuccessfulTime ? c : undefined;
    }, waitMs, 'the CronJob to run a Job to completion');
    const scheduled = Date.parse(cj.status!.lastScheduleTime!);
    assert.equal(scheduled, due);
    const jobName = `tick-${scheduled / 60_000}`;
    const j = await getJson(ok, ['get', 'job', jobName]);
    assert.deepEqual(j.metadata.ownerReferences.map((o: { kind: string; name: string; controller: boolean }) => `${o.kind}/${o.name}/${o.controller}`), ['CronJob/tick/true']);
    assert.equal(j.metadata.annotations['batch.kubernetes.io/cronjob-scheduled-timestamp'], new Date(due).toISOString().replace('.000Z', 'Z'));
    assert.ok(j.status.conditions.some((c: { type: string; status: string }) => c.type === 'Complete' && c.status === 'True'));
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=tick', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}']);
    assert.ok(events.includes(`SuccessfulCreate: Created job ${jobName}`), events);
    assert.ok(events.includes(`SawCompletedJob: Saw completed job: ${jobName}, status: Complete`), events);
    assert.match(await ok(['get', 'cronjob', 'tick']), /\ntick\s+\* \* \* \* \*\s+<none>\s+False\s+0\s+\d+s\s+\S+\n$/);
  });
});

// ---- A node fails ---------------------------------------------------------------------------

const tolerant = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 6
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      - {key: node.kubernetes.io/not-ready, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      containers: [{name: web, image: nginx}]
`;

describe('issue 3: a stopped node is tainted, its pods evicted and replaced elsewhere', { skip }, () => {
  let s: ServerProcess;
  let stay: SimNodesProcess;
  let doomed: SimNodesProcess;
  const ok = kubectlOk(() => s);
  // Short timings: the node controller's grace period 4 s, Leases of 1 s renewed every 250 ms.
  const lease = ['--node-lease-duration-seconds', '1'];

  before(async () => {
    s = await startServer({ extraArgs: ['--store', 'memory', '--node-monitor-grace-period', '4s'] });
    stay = await startSimNodes(s.kubeconfig, ['--count', '2', ...lease]);
    doomed = await startSimNodes(s.kubeconfig, ['--count', '1', '--first-index', '2', ...lease]);
    await eventually(async () => (await ok(['get', 'nodes'])).split('\n').filter((l) => /^sim-node-\d\s+Ready\s/.test(l)).length === 3, 15_000, 'three Ready nodes');
  });
  after(async () => {
    await doomed?.kill();
    await stay?.stop();
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('nodes that keep renewing their Leases stay Ready under a short grace period', async () => {
    await sleep(3000);
    assert.equal((await ok(['get', 'nodes'])).split('\n').filter((l) => /^sim-node-\d\s+Ready\s/.test(l)).length, 3);
    const l = await getJson(ok, ['get', 'lease', '-n', 'kube-node-lease', 'sim-node-2']);
    assert.equal(l.spec.leaseDurationSeconds, 1);
  });

  it('stopping a node evicts its pods after their toleration, and the Deployment replaces them on the other nodes', async () => {
    assert.equal(await ok(['apply', '-f', '-'], tolerant), 'deployment.apps/web created\n');
    await ok(['rollout', 'status', 'deployment/web', '--timeout=60s'], undefined, 70_000);
    const before = await podsOf(ok, 'app=web');
    const onDoomed = before.filter((p) => p.spec!.nodeName === 'sim-node-2').map((p) => p.metadata.name!).sort();
    assert.equal(onDoomed.length, 2, `pods spread over three nodes: ${before.map((p) => p.spec!.nodeName).join(' ')}`);

    await doomed.kill();
    const killedAt = Date.now();
    await eventually(async () => /\nsim-node-2\s+NotReady\s/.test(await ok(['get', 'nodes'])), 15_000, 'sim-node-2 NotReady');
    const node = await getJson(ok, ['get', 'node', 'sim-node-2']);
    const ready = node.status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.']);
    await eventually(async () => ((await getJson(ok, ['get', 'node', 'sim-node-2'])).spec.taints ?? []).length === 2, 10_000, 'the unreachable taints');
    const tainted = await getJson(ok, ['get', 'node', 'sim-node-2']);
    assert.deepEqual(tainted.spec.taints.map((t: { key: string; effect: string }) => `${t.key}:${t.effect}`).sort(), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
    const timeAdded = Date.parse(tainted.spec.taints.find((t: { effect: string }) => t.effect === 'NoExecute').timeAdded);

    // Evicted: marked for deletion with DisruptionTarget, after 2 s of toleration. They stay
    // Terminating, as upstream's do: no kubelet is left to confirm that their containers stopped.
    const evicted = await eventually(async () => {
      const pods = (await podsOf(ok, 'app=web')).filter((p) => onDoomed.includes(p.metadata.name!));
      return pods.length === 2 && pods.every((p) => p.metadata.deletionTimestamp) ? pods : undefined;
    }, 15_000, 'the pods on sim-node-2 evicted');
    for (const p of evicted) {
      const dt = cond(p, 'DisruptionTarget');
      assert.deepEqual([dt?.status, dt?.reason, dt?.message], ['True', 'DeletionByTaintManager', 'Taint manager: deleting due to NoExecute taint']);
      assert.ok(Date.parse(dt!.lastTransitionTime!) - timeAdded >= 2000, `evicted ${dt!.lastTransitionTime} before the 2 s toleration from ${tainted.spec.taints[0].timeAdded}`);
    }
    const events = await ok(['get', 'events', '--field-selector', 'reason=TaintManagerEviction', '-o', 'jsonpath={range .items[*]}{.message}{"\\n"}{end}']);
    assert.deepEqual(events.trim().split('\n').sort(), onDoomed.map((n) => `Marking for deletion Pod default/${n}`));
    assert.match(await ok(['get', 'events', '--field-selector', 'involvedObject.name=sim-node-2,reason=NodeNotReady', '-o', 'jsonpath={.items[*].message}']), /^Node sim-node-2 status is now: NodeNotReady$/);

    // Replaced on the nodes that are alive.
    await eventually(async () => {
      const live = (await podsOf(ok, 'app=web')).filter((p) => !p.metadata.deletionTimestamp);
      return live.length === 6 && live.every((p) => p.spec!.nodeName !== 'sim-node-2' && p.status?.phase === 'Running' && isReady(p));
    }, 20_000, 'six running pods on the other nodes');
    assert.match(await ok(['get', 'deployment', 'web']), /\nweb\s+6\/6\s+6\s+6\s+\d+s\n/);
    assert.match(await ok(['get', 'pods', '-l', 'app=web']), /\sTerminating\s/);
    assert.ok(Date.now() - killedAt < 30_000);
  });
});
