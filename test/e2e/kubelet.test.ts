// End to end: the real kubectl against `berth server --kubelet`, whose pods are runc containers
// in berth's engine. A pod runs with an IP; a Deployment of busybox httpd behind a readiness
// probe becomes available and serves; a failing liveness probe restarts its container; a
// crashing container backs off 10 s, then 20 s (CrashLoopBackOff); ConfigMap values reach env
// and files; deleting everything leaves no containers, mounts, namespaces or pod cgroups behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { eventually, fetchText, kubectl, removeDir, which, type ServerProcess } from './cluster.js';
import { startNodeServer, type NodeServer } from './node.js';
import { canRunContainers, cgroupTree, hostState } from '../engine/hoststate.js';
import { preloadBusybox } from '../kubelet/preload.js';
import { netnsName } from '../../src/engine/network.js';
import { Engine } from '../../src/engine/engine.js';
import { parseNormalizedNamed } from '../../src/engine/reference.js';
import { push } from '../../src/engine/registry/push.js';
import { registryDeps } from '../../src/engine/registry/registry.js';
import { RegistryProcess, registryUnavailable } from '../engine/registry/registryd.js';

const skip = canRunContainers() ?? (which('kubectl') ? undefined : 'needs kubectl');
if (skip) process.stdout.write(`# skipping kubelet end-to-end tests: ${skip}\n`);

let node: NodeServer;
let s: ServerProcess;
let dir = '';
let clean: ReturnType<typeof hostState>;

before(async () => {
  if (skip) return;
  node = await startNodeServer('kubelet');
  s = node.server;
  dir = node.dataDir;
  clean = hostState(join(dir, 'engine'));
});

after(async () => {
  if (skip) return;
  await node?.stop();
});

const k = (args: string[], input?: string) => kubectl(s.kubeconfig, args, input);
const json = async (args: string[]) => {
  const r = await k([...args, '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, any>;
};

test('kubectl run: the node is Ready, the pod Runs with an IP on the bridge', { skip }, async () => {
  const nodes = await json(['get', 'nodes']);
  assert.equal(nodes.items.length, 1);
  const node = nodes.items[0];
  assert.equal(node.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
  assert.equal(node.status.capacity.pods, '110');
  assert.match(node.status.capacity.memory, /^\d+Ki$/);
  assert.match(node.status.nodeInfo.containerRuntimeVersion, /^berth:\/\//);
  const lease = await json(['get', 'lease', '-n', 'kube-node-lease', node.metadata.name]);
  assert.equal(lease.spec.holderIdentity, node.metadata.name);

  const t0 = Date.now();
  const r = await k(['run', 'bb', '--image=busybox:1.36', '--', 'sleep', '3600']);
  assert.equal(r.code, 0, r.stderr);
  const pod = await eventually(async () => {
    const p = await json(['get', 'pod', 'bb']);
    return p.status.phase === 'Running' && p.status.containerStatuses?.[0]?.ready ? p : undefined;
  }, 30_000, 'pod bb Running');
  process.stdout.write(`# kubectl run → Running and Ready, seen by polling kubectl: ${Date.now() - t0} ms (first sandbox includes building the pause image)\n`);
  assert.match(pod.status.podIP, /^172\.17\.\d+\.\d+$/);
  assert.equal(pod.status.hostIP, node.status.addresses.find((a: any) => a.type === 'InternalIP').address);
  assert.equal(pod.status.qosClass, 'BestEffort');
  const cs = pod.status.containerStatuses[0];
  assert.equal(cs.image, 'docker.io/library/busybox:1.36');
  assert.match(cs.containerID, /^berth:\/\/[0-9a-f]{64}$/);
  assert.deepEqual(pod.status.conditions.map((c: any) => `${c.type}=${c.status}`), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
  const table = await k(['get', 'pod', 'bb', '-o', 'wide']);
  assert.match(table.stdout, /bb\s+1\/1\s+Running\s+0/);
});

test('probes, restarts, back-off, ConfigMaps and a Deployment behind a readiness probe', { skip }, async () => {
  const manifests = `
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg}
data: {greeting: hello}
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - {name: c, image: "busybox:1.36", command: [sh, -c, "echo dying; exit 2"]}
---
apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: "busybox:1.36"
    command: [sleep, "3600"]
    livenessProbe: {exec: {command: [sh, -c, "test ! -e /tmp/x && touch /tmp/x"]}, periodSeconds: 1, failureThreshold: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: cm}
spec:
  restartPolicy: Never
  volumes: [{name: v, configMap: {name: cfg, items: [{key: greeting, path: sub/g.txt}]}}]
  initContainers:
  - {name: init, image: "busybox:1.36", command: [sh, -c, "exit 0"]}
  containers:
  - name: c
    image: "busybox:1.36"
    env:
    - {name: G, valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}}
    - {name: H, value: "$(G)-x"}
    - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    volumeMounts: [{name: v, mountPath: /cfg}]
    command: [sh, -c, 'test "$G" = hello && test "$H" = hello-x && test "$POD" = cm && test "$(cat /cfg/sub/g.txt)" = hello']
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: httpd
        image: "busybox:1.36"
        command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && exec httpd -f -p 8080 -h /www']
        ports: [{containerPort: 8080, name: http}]
        readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 1}
`;
  const created = Date.now();
  const r = await k(['apply', '-f', '-'], manifests);
  assert.equal(r.code, 0, r.stderr);
  // the crashing pod's restarts, timed as a watcher sees them
  const restarts: number[] = [];
  const watchRestarts = (async () => {
    let last = 0;
    while (restarts.length < 3 && Date.now() - created < 90_000) {
      const p = await json(['get', 'pod', 'crash']).catch(() => undefined);
      const n = p?.status?.containerStatuses?.[0]?.restartCount ?? 0;
      if (n > last) {
        for (let i = last; i < n; i++) restarts.push(Date.now());
        last = n;
      }
      await new Promise((res) => setTimeout(res, 300));
    }
  })();

  // the Deployment: available, and each pod serves its own hostname on its IP
  const t1 = Date.now();
  const rollout = await kubectl(s.kubeconfig, ['rollout', 'status', 'deploy/web', '--timeout=60s'], undefined, 70_000);
  assert.equal(rollout.code, 0, rollout.stderr + rollout.stdout);
  process.stdout.write(`# Deployment of 3 httpd pods with a readiness probe: apply → rollout complete in ${Date.now() - t1} ms\n`);
  const pods = await json(['get', 'pods', '-l', 'app=web']);
  assert.equal(pods.items.length, 3);
  for (const p of pods.items) assert.equal((await fetchText(`http://${p.status.podIP}:8080/`)).trim(), p.metadata.name);

  // ConfigMap values and a downward-API field in env, a key as a file, after an init container
  const cm = await eventually(async () => {
    const p = await json(['get', 'pod', 'cm']);
    return p.status.phase === 'Succeeded' || p.status.phase === 'Failed' ? p : undefined;
  }, 30_000, 'pod cm finished');
  assert.equal(cm.status.phase, 'Succeeded', JSON.stringify(cm.status.containerStatuses));
  assert.equal(cm.status.initContainerStatuses[0].state.terminated.reason, 'Completed');

  // the liveness probe fails once /tmp/x exists: the container restarts, and passes again
  const live = await eventually(async () => {
    const p = await json(['get', 'pod', 'live']);
    return p.status.containerStatuses?.[0]?.restartCount >= 1 ? p : undefined;
  }, 40_000, 'liveness restart');
  assert.equal(live.status.containerStatuses[0].lastState.terminated.exitCode, 137);
  const ev = await k(['get', 'events', '--field-selector', 'involvedObject.name=live']);
  assert.match(ev.stdout, /Liveness probe failed/);
  assert.match(ev.stdout, /failed liveness probe, will be restarted/);

  // CrashLoopBackOff with growing delays: immediately, then ~10 s, then ~20 s
  await watchRestarts;
  assert.equal(restarts.length, 3, `restarts seen: ${restarts.length}`);
  const crash = await json(['get', 'pod', 'crash']);
  const st = crash.status.containerStatuses[0];
  assert.equal(st.lastState.terminated.exitCode, 2);
  const gap1 = restarts[1]! - restarts[0]!;
  const gap2 = restarts[2]! - restarts[1]!;
  assert.ok(gap1 >= 9_000 && gap1 < 16_000, `first back-off ${gap1} ms`);
  assert.ok(gap2 >= 19_000 && gap2 < 27_000, `second back-off ${gap2} ms`);
  const waiting = await eventually(async () => {
    const p = await json(['get', 'pod', 'crash']);
    return p.status.containerStatuses[0].state.waiting?.reason === 'CrashLoopBackOff' ? p.status.containerStatuses[0].state.waiting : undefined;
  }, 10_000, 'CrashLoopBackOff');
  assert.match(waiting.message, /^back-off (20s|40s) restarting failed container=c pod=crash_default\(/);
});

test('Secret values appear as env and as files (a tmpfs volume, one file per key, modes as asked)', { skip }, async () => {
  assert.equal((await k(['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=pass=s3cr3t'])).code, 0);
  const pod = `
apiVersion: v1
kind: Pod
metadata: {name: sec}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: busybox:1.36
    command: [sleep, "3600"]
    env:
    - {name: DB_USER, valueFrom: {secretKeyRef: {name: creds, key: user}}}
    envFrom:
    - {prefix: S_, secretRef: {name: creds}}
    volumeMounts: [{name: s, mountPath: /etc/creds, readOnly: true}]
  volumes:
  - {name: s, secret: {secretName: creds, defaultMode: 0400, items: [{key: pass, path: password}]}}
`;
  assert.equal((await k(['apply', '-f', '-'], pod)).code, 0);
  await eventually(async () => (await json(['get', 'pod', 'sec'])).status.phase === 'Running', 30_000, 'pod sec Running');
  const out = await k(['exec', 'sec', '--', 'sh', '-c', 'echo "$DB_USER $S_user $S_pass"; cat /etc/creds/password; echo; stat -L -c %a /etc/creds/password; grep " /etc/creds " /proc/mounts | cut -d" " -f3']);
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stdout, 'admin admin s3cr3t\ns3cr3t\n400\ntmpfs\n');
  assert.equal((await k(['delete', 'pod', 'sec', '--grace-period=1'])).code, 0);
  assert.equal((await k(['delete', 'secret', 'creds'])).code, 0);
});

test('an image the node lacks is pulled from a registry (Debian\'s registry 2.8 on loopback)', { skip: skip ?? registryUnavailable() }, async () => {
  const registry = await RegistryProcess.start();
  const src = mkdtempSync('/tmp/berth-e2e-push-');
  try {
    // Another engine pushes busybox; the kubelet's engine has never seen this name.
    await preloadBusybox(src, ['busybox:1.36']);
    const engine = await Engine.open({ dataDir: join(src, 'engine') });
    const image = `${registry.host}/e2e/pulled:1`;
    try {
      engine.images.tag(engine.images.get('busybox:1.36').id, parseNormalizedNamed(image));
      await push(registryDeps(engine), parseNormalizedNamed(image), () => undefined);
    } finally {
      engine.close();
    }
    const r = await k(['run', 'pulled', `--image=${image}`, '--', 'sleep', '3600']);
    assert.equal(r.code, 0, r.stderr);
    await eventually(async () => (await json(['get', 'pod', 'pulled'])).status.phase === 'Running', 30_000, 'pod pulled Running');
    const events = await k(['get', 'events', '--field-selector', 'involvedObject.name=pulled', '-o', 'jsonpath={range .items[*]}{.reason} {end}']);
    assert.match(events.stdout, /Pulling/);
    assert.match(events.stdout, /Pulled/);
    // an image nobody has: ErrImagePull, then ImagePullBackOff
    assert.equal((await k(['run', 'missing', `--image=${registry.host}/e2e/nope:1`])).code, 0);
    await eventually(async () => {
      const w = (await json(['get', 'pod', 'missing'])).status.containerStatuses?.[0]?.state?.waiting;
      return w && /ErrImagePull|ImagePullBackOff/.test(w.reason) ? w : undefined;
    }, 30_000, 'pod missing waiting on its image');
    assert.equal((await k(['delete', 'pod', 'pulled', 'missing', '--grace-period=1'])).code, 0);
  } finally {
    await registry.stop();
    removeDir(src);
  }
});

test('a restarted server adopts the running pods: same containers, no restarts', { skip }, async () => {
  const before = await json(['get', 'pods']);
  const ids = (o: Record<string, any>) => Object.fromEntries(o.items.filter((p: any) => p.status.phase === 'Running').map((p: any) => [p.metadata.name, `${p.status.containerStatuses[0].containerID} ${p.status.containerStatuses[0].restartCount}`]));
  const running = ids(before);
  delete running['crash'];
  delete running['live'];
  assert.ok(Object.keys(running).length >= 4, JSON.stringify(running));
  s = await node.restart();
  await new Promise((r) => setTimeout(r, 3000));
  const after = ids(await json(['get', 'pods']));
  for (const [name, id] of Object.entries(running)) assert.equal(after[name], id, `pod ${name} after the restart`);
  const bb = await json(['get', 'pod', 'bb']);
  assert.equal(bb.status.conditions.find((c: any) => c.type === 'Ready').status, 'True');
});

test('deleting everything leaves nothing behind', { skip }, async () => {
  // other engines may run on this machine: what must be gone is what belonged to ours
  const ids = readdirSync(join(dir, 'engine', 'containers')).filter((d) => /^[0-9a-f]{64}$/.test(d));
  assert.ok(ids.length >= 5, `containers before deletion: ${ids.length}`);
  for (const args of [['delete', 'deploy', 'web'], ['delete', 'pod', '--all', '--grace-period=1', '--wait=true', '--timeout=60s'], ['delete', 'configmap', 'cfg']]) {
    const r = await kubectl(s.kubeconfig, args, undefined, 70_000);
    assert.equal(r.code, 0, r.stderr);
  }
  await eventually(async () => (await json(['get', 'pods'])).items.length === 0, 30_000, 'no pods');
  await eventually(() => readdirSync(join(dir, 'engine', 'containers')).length === 0, 30_000, 'no containers in the engine');
  await eventually(() => readdirSync(join(dir, 'kubelet', 'pods')).length === 0, 10_000, 'no pod directories');
  const now = hostState(join(dir, 'engine'));
  assert.deepEqual(now.mounts, clean.mounts);
  assert.deepEqual(now.leases, clean.leases);
  assert.deepEqual(now.cgroups.filter((c) => ids.some((id) => c.endsWith(`/${id}`))), []);
  assert.deepEqual(now.netns.filter((n) => ids.some((id) => n === netnsName(id))), []);
  assert.deepEqual(hostState(join(dir, 'kubelet')).mounts, []);
  // the pods' cgroups went with them; the QoS tiers stay for the next pods
  await eventually(() => cgroupTree(node.cgroupRoot).filter((c) => /\/pod[0-9a-f-]+(\/|$)/.test(c)).length === 0, 10_000, 'no pod cgroups');
  assert.deepEqual([...new Set(cgroupTree(node.cgroupRoot).map((c) => c.split(':')[1]))], [node.cgroupRoot, `${node.cgroupRoot}/kubepods`, `${node.cgroupRoot}/kubepods/besteffort`, `${node.cgroupRoot}/kubepods/burstable`]);
});
