// End to end: the kubelet's cgroup hierarchy on this host's cgroupfs. A Guaranteed, a Burstable
// and a BestEffort pod land in ROOT/kubepods/pod<uid>, ROOT/kubepods/burstable/pod<uid> and
// ROOT/kubepods/besteffort/pod<uid> with upstream's limits (cpu.shares, cpu.cfs_quota_us,
// memory.limit_in_bytes, read from /sys/fs/cgroup), the tiers and node allocatable are set, each
// container (and the sandbox) sits in its pod's cgroup as its own /proc/self/cgroup shows, and
// deleting the pods removes their cgroups.
import { restrictOomScoreAdj } from '../../src/kubelet/engine-runtime.js';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { eventually, kubectl, which } from './cluster.js';
import { startNodeServer, type NodeServer } from './node.js';
import { canRunContainers, cgroupTree } from '../engine/hoststate.js';
import { cgroupVersion } from '../../src/engine/cgroups.js';

const skip = canRunContainers() ?? (which('kubectl') ? undefined : 'needs kubectl') ?? (cgroupVersion() === 1 ? undefined : 'reads cgroup v1 files (this host runs cgroup v2)');
if (skip) process.stdout.write(`# skipping kubelet cgroup end-to-end test: ${skip}\n`);

let node: NodeServer;

/**
 * A Guaranteed pod's containers ask for oom_score_adj -997, which only a runtime holding
 * CAP_SYS_RESOURCE may set; without it the kubelet's runtime raises the score to its own (as
 * containerd's restrict_oom_score_adj), so the pod runs either way. The server runs as this
 * process does, with its capabilities and score.
 */
const guaranteedScore = String(restrictOomScoreAdj(-997));

before(async () => {
  if (skip) return;
  node = await startNodeServer('cgroups');
});

after(async () => {
  if (skip) return;
  await node?.stop();
});

const Mi = 1024 * 1024;
const UNLIMITED = '9223372036854771712';

const PODS = `
apiVersion: v1
kind: Pod
metadata: {name: gu}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, '3600']
    resources: {requests: {cpu: 200m, memory: 64Mi}, limits: {cpu: 200m, memory: 64Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: bu}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: one
    image: busybox:1.36
    command: [sleep, '3600']
    resources: {requests: {cpu: 100m}, limits: {cpu: 300m, memory: 32Mi}}
  - name: two
    image: busybox:1.36
    command: [sleep, '3600']
    resources: {requests: {cpu: 50m, memory: 8Mi}, limits: {cpu: 100m, memory: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: be}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: busybox:1.36
    command: [sleep, '3600']
`;

test('Guaranteed, Burstable and BestEffort pods in their QoS cgroups with upstream\'s limits; gone with the pods', { skip, timeout: 180_000 }, async () => {
  const k = (args: string[], input?: string) => kubectl(node.server.kubeconfig, args, input);
  const root = node.cgroupRoot;
  const cg = (controller: string, path: string, file: string) => readFileSync(`/sys/fs/cgroup/${controller}${path}/${file}`, 'utf8').trim();

  // node allocatable and the tiers exist from the start
  assert.equal(cg('cpu', `${root}/kubepods`, 'cpu.shares'), String(cpus().length * 1024));
  const memTotal = Number(/MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]) * 1024;
  assert.equal(Number(cg('memory', `${root}/kubepods`, 'memory.limit_in_bytes')), Math.floor(memTotal / 4096) * 4096);
  assert.equal(cg('cpu', `${root}/kubepods/besteffort`, 'cpu.shares'), '2');

  const r = await k(['apply', '-f', '-'], PODS);
  assert.equal(r.code, 0, r.stderr);
  const up = (p: any) => p.status.phase === 'Running' && p.status.containerStatuses?.every((c: any) => c.ready);
  const pods = await eventually(async () => {
    const out = await k(['get', 'pods', '-o', 'json']);
    const items = (JSON.parse(out.stdout) as { items: any[] }).items;
    return items.length === 3 && items.every(up) ? items : undefined;
  }, 60_000, 'the three pods Running');
  const by = Object.fromEntries(pods.map((p) => [p.metadata.name as string, p]));
  assert.deepEqual([by['gu'].status.qosClass, by['bu'].status.qosClass, by['be'].status.qosClass], ['Guaranteed', 'Burstable', 'BestEffort']);
  const podCg = {
    gu: `${root}/kubepods/pod${by['gu'].metadata.uid}`,
    bu: `${root}/kubepods/burstable/pod${by['bu'].metadata.uid}`,
    be: `${root}/kubepods/besteffort/pod${by['be'].metadata.uid}`,
  };

  // Guaranteed: shares from the requests, quota and memory from the limits
  assert.equal(cg('cpu', podCg.gu, 'cpu.shares'), '204');
  assert.equal(cg('cpu', podCg.gu, 'cpu.cfs_quota_us'), '20000');
  assert.equal(cg('cpu', podCg.gu, 'cpu.cfs_period_us'), '100000');
  assert.equal(cg('memory', podCg.gu, 'memory.limit_in_bytes'), String(64 * Mi));
  // Burstable with limits on every container: 150m of requests, 400m and 48Mi of limits
  assert.equal(cg('cpu', podCg.bu, 'cpu.shares'), '153');
  assert.equal(cg('cpu', podCg.bu, 'cpu.cfs_quota_us'), '40000');
  assert.equal(cg('memory', podCg.bu, 'memory.limit_in_bytes'), String(48 * Mi));
  // BestEffort: the minimum shares, no quota, no memory limit
  assert.equal(cg('cpu', podCg.be, 'cpu.shares'), '2');
  assert.equal(cg('cpu', podCg.be, 'cpu.cfs_quota_us'), '-1');
  assert.equal(cg('memory', podCg.be, 'memory.limit_in_bytes'), UNLIMITED);
  // the burstable tier weighs its pods' requests
  assert.equal(cg('cpu', `${root}/kubepods/burstable`, 'cpu.shares'), '153');

  // every container, and the sandbox, in its pod's cgroup; the container's own limits below
  for (const [name, path] of Object.entries(podCg)) {
    const ids = (by[name].status.containerStatuses as any[]).map((c) => (c.containerID as string).replace('berth://', ''));
    const children = readdirSync(`/sys/fs/cgroup/memory${path}`, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    for (const id of ids) assert.ok(children.includes(id), `${name}: ${id} in ${children.join(', ')}`);
    assert.equal(children.length, ids.length + 1, `${name}: its containers and the sandbox`);
    const own = await k(['exec', name, '-c', by[name].spec.containers[0].name, '--', 'cat', '/proc/self/cgroup']);
    assert.equal(own.code, 0, own.stderr);
    for (const ctl of ['cpu', 'memory', 'pids']) assert.match(own.stdout, new RegExp(`^\\d+:${ctl}:${path}/${ids[0]}$`, 'm'), `${name} ${ctl}: ${own.stdout}`);
  }
  // the Guaranteed pod's OOM score: upstream's -997, or the runtime's own where it may not go lower
  const score = await k(['exec', 'gu', '-c', by['gu'].spec.containers[0].name, '--', 'cat', '/proc/self/oom_score_adj']);
  assert.equal(score.code, 0, score.stderr);
  assert.equal(score.stdout.trim(), guaranteedScore);
  assert.ok(['-997', readFileSync('/proc/self/oom_score_adj', 'utf8').trim()].includes(guaranteedScore), guaranteedScore);
  const buId = (by['bu'].status.containerStatuses.find((c: any) => c.name === 'two').containerID as string).replace('berth://', '');
  assert.equal(cg('memory', `${podCg.bu}/${buId}`, 'memory.limit_in_bytes'), String(16 * Mi));
  assert.equal(cg('cpu', `${podCg.bu}/${buId}`, 'cpu.cfs_quota_us'), '10000');

  // deleted: the pods' cgroups go in every hierarchy, the tiers stay and burstable's shares fall back
  const d = await kubectl(node.server.kubeconfig, ['delete', 'pods', '--all', '--wait=true', '--timeout=60s'], undefined, 70_000);
  assert.equal(d.code, 0, d.stderr);
  await eventually(() => Object.values(podCg).every((p) => cgroupTree(p).length === 0), 20_000, 'pod cgroups removed');
  for (const p of Object.values(podCg)) assert.ok(!existsSync(`/sys/fs/cgroup/cpu${p}`));
  await eventually(() => cg('cpu', `${root}/kubepods/burstable`, 'cpu.shares') === '2', 10_000, 'burstable tier back to 2 shares');
});
