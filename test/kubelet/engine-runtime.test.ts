// The kubelet's runtime over the real engine: a sandbox holds the pod's network (an IP on the
// default bridge), app containers join it, exec runs in them, stop is SIGTERM then SIGKILL, and
// removing the sandbox leaves nothing behind on the host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Engine } from '../../src/engine/engine.js';
import { EngineRuntime } from '../../src/kubelet/engine-runtime.js';
import type { ContainerConfig, PodSandboxConfig } from '../../src/kubelet/runtime.js';
import { loadBusybox } from '../engine/busybox.js';
import { childCgroups, createCgroup, removeCgroup } from '../../src/engine/cgroups.js';
import { canRunContainers, hostLinks, hostState, natChainsExist, removeTestBridges } from '../engine/hoststate.js';

const skip = canRunContainers();
if (skip) process.stdout.write(`# skipping engine runtime tests: ${skip}\n`);
let dir = '';
let engine: Engine;
let rt: EngineRuntime;
let links: Set<string>;
let nat = false;

before(async () => {
  if (skip) return;
  links = hostLinks();
  nat = natChainsExist();
  dir = mkdtempSync('/tmp/berth-kubelet-rt-');
  engine = await Engine.open({ dataDir: join(dir, 'engine') });
  await loadBusybox(engine);
  rt = new EngineRuntime(engine);
});

after(async () => {
  if (skip) return;
  for (const c of engine.containers.list()) await engine.containers.remove(c.id, { force: true, volumes: true }).catch(() => undefined);
  engine.close();
  rmSync(dir, { recursive: true, force: true });
  removeTestBridges(links, nat);
});

const sandboxConfig = (uid: string): PodSandboxConfig => ({
  metadata: { name: 'web', namespace: 'default', uid, attempt: 0 },
  hostname: 'web',
  portMappings: [],
  labels: { 'io.kubernetes.pod.name': 'web', 'io.kubernetes.pod.namespace': 'default', 'io.kubernetes.pod.uid': uid, app: 'web' },
  annotations: { 'kubernetes.io/config.seen': 'x' },
  hostNetwork: false,
  hostIPC: false,
  hostPID: false,
});

const containerConfig = (name: string, command: string[], extra: Partial<ContainerConfig> = {}): ContainerConfig => ({
  metadata: { name, attempt: 0 },
  image: 'busybox',
  command,
  args: [],
  workingDir: '',
  envs: [{ key: 'GREETING', value: 'hello' }],
  mounts: [],
  labels: { 'io.kubernetes.container.name': name, 'io.kubernetes.pod.uid': 'u1' },
  annotations: { 'io.kubernetes.container.restartCount': '0' },
  stdin: false,
  stdinOnce: false,
  tty: false,
  linux: { resources: {}, securityContext: {} },
  ...extra,
});

test('sandbox and containers: shared network, exec, stop, status, clean removal', { skip }, async () => {
  const before = hostState(dir);
  const sbc = sandboxConfig('u1');
  const sb = await rt.runPodSandbox(sbc);
  const st = await rt.podSandboxStatus(sb);
  assert.equal(st.state, 'SANDBOX_READY');
  assert.match(st.network?.ip ?? '', /^172\.17\.\d+\.\d+$/);
  assert.deepEqual(st.metadata, sbc.metadata);
  assert.equal(st.labels.app, 'web');
  assert.equal(st.annotations['kubernetes.io/config.seen'], 'x');
  assert.equal((await rt.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': 'u1' } })).length, 1);
  assert.ok((await rt.imageStatus('berth.dev/pause:busybox')) !== undefined, 'the pause image was built');

  const hosts = join(dir, 'hosts');
  writeFileSync(hosts, `127.0.0.1\tlocalhost\n${st.network!.ip}\tweb\n`);
  const id = await rt.createContainer(sb, containerConfig('app', ['sh', '-c', 'trap "exit 7" TERM; while true; do sleep 0.1; done'], { mounts: [{ containerPath: '/etc/hosts', hostPath: hosts, readonly: false }] }), sbc);
  const created = await rt.containerStatus(id);
  assert.equal(created.state, 'CONTAINER_CREATED');
  assert.equal(created.podSandboxId, sb);
  assert.equal(created.annotations['io.kubernetes.container.restartCount'], '0');
  await rt.startContainer(id);
  assert.equal((await rt.containerStatus(id)).state, 'CONTAINER_RUNNING');
  // the container sees the sandbox's address, the env and the kubelet's hosts file
  const ip = await rt.execSync(id, ['sh', '-c', 'ip -4 -o addr show eth0; echo $GREETING; hostname; cat /etc/hosts'], 10);
  assert.equal(ip.exitCode, 0, ip.stderr.toString());
  assert.ok(ip.stdout.toString().includes(st.network!.ip), ip.stdout.toString());
  assert.match(ip.stdout.toString(), /\nhello\nweb\n/);
  assert.match(ip.stdout.toString(), new RegExp(`${st.network!.ip.replace(/\./g, '\\.')}\\tweb`));
  const failing = await rt.execSync(id, ['sh', '-c', 'echo oops >&2; exit 4'], 10);
  assert.equal(failing.exitCode, 4);
  assert.equal(failing.stderr.toString(), 'oops\n');
  const slow = await rt.execSync(id, ['sleep', '5'], 0.3);
  assert.equal(slow.timedOut, true);

  // a second container of the pod reaches the first over localhost? both share one namespace
  const c2 = await rt.createContainer(sb, containerConfig('side', ['sh', '-c', 'ip -4 -o addr show eth0; exit 3']), sbc);
  const exitedOnce = new Promise<void>((resolve) => {
    const off = rt.onContainerEvent((cid) => {
      if (cid === c2) {
        off();
        resolve();
      }
    });
  });
  await rt.startContainer(c2);
  await exitedOnce;
  await engine.containers.wait(c2, 'not-running');
  const s2 = await rt.containerStatus(c2);
  assert.equal(s2.state, 'CONTAINER_EXITED');
  assert.equal(s2.exitCode, 3);
  assert.equal(s2.reason, 'Error');
  assert.ok(s2.finishedAt >= s2.startedAt && s2.startedAt > 0n);

  // stop: the trap turns SIGTERM into exit 7
  await rt.stopContainer(id, 5);
  const stopped = await rt.containerStatus(id);
  assert.equal(stopped.state, 'CONTAINER_EXITED');
  assert.equal(stopped.exitCode, 7);
  await rt.stopContainer(id, 5); // idempotent
  assert.deepEqual((await rt.listContainers({ podSandboxId: sb })).map((c) => c.metadata.name).sort(), ['app', 'side']);

  await rt.stopPodSandbox(sb);
  assert.equal((await rt.podSandboxStatus(sb)).state, 'SANDBOX_NOTREADY');
  await rt.removePodSandbox(sb);
  await rt.removePodSandbox(sb); // idempotent
  assert.equal((await rt.listContainers()).length, 0);
  assert.equal((await rt.listPodSandbox()).length, 0);
  assert.deepEqual(hostState(dir), before);
});

test('a sandbox config\'s cgroup parent holds the sandbox and every container of the pod', { skip }, async () => {
  const parent = `/berth-rt-test-${process.pid}/kubepods/besteffort/podu3`;
  createCgroup(parent, { cpuShares: 2 });
  try {
    const sbc = { ...sandboxConfig('u3'), cgroupParent: parent };
    const sb = await rt.runPodSandbox(sbc);
    const id = await rt.createContainer(sb, containerConfig('app', ['sleep', '100']), sbc);
    await rt.startContainer(id);
    for (const cid of [sb, id]) {
      assert.equal(engine.containers.get(cid).rec.HostConfig.CgroupParent, parent);
      assert.equal(engine.containers.get(cid).rec.CgroupsPath, `${parent}/${cid}`);
    }
    assert.deepEqual(childCgroups(parent), [sb, id].sort());
    const own = await rt.execSync(id, ['cat', '/proc/self/cgroup'], 10);
    assert.match(own.stdout.toString(), new RegExp(`^\\d+:memory:${parent}/${id}$`, 'm'));
    await rt.stopPodSandbox(sb);
    await rt.removePodSandbox(sb);
    assert.deepEqual(childCgroups(parent), []);
  } finally {
    await removeCgroup(`/berth-rt-test-${process.pid}`);
  }
});

test('a missing image fails the create with the kubelet reason; pull without a registry is ErrImagePull', { skip }, async () => {
  const sbc = sandboxConfig('u2');
  const sb = await rt.runPodSandbox(sbc);
  await assert.rejects(rt.createContainer(sb, containerConfig('x', ['true'], { image: 'nothere:1' }), sbc), { reason: 'CreateContainerError' });
  await assert.rejects(rt.pullImage('nothere:1'), { reason: 'ErrImagePull' });
  await rt.stopPodSandbox(sb);
  await rt.removePodSandbox(sb);
});
