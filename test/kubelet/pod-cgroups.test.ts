// The kubelet's cgroup decisions (pod-cgroups.ts), pure: names of the hierarchy and of a pod's
// cgroup by QoS class, ResourceConfigForPod over containers, init containers, sidecars, pod-level
// resources and overhead, the QoS tiers and node allocatable, the pod cgroup step of a sync, and
// which orphaned pod cgroups go.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../src/model/object.js';
import type { ObservedContainer } from '../../src/kubelet/sync.js';
import {
  activePods,
  cgroupLayout,
  killPodActions,
  nodeAllocatableConfig,
  orphanedPodCgroups,
  podCgroupName,
  podCgroupStep,
  podUIDOf,
  possiblyRunningPods,
  qosTierConfigs,
  resourceConfigForPod,
} from '../../src/kubelet/pod-cgroups.js';

type PodObj = KubeObject & Pod;
const Mi = 1024 * 1024;

function pod(uid: string, containers: Partial<Container>[], extra: Record<string, unknown> = {}, status?: Pod['status']): PodObj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `p-${uid}`, namespace: 'default', uid },
    spec: { containers: containers.map((c, i) => ({ name: `c${i}`, image: 'busybox', ...c })), ...extra },
    ...(status ? { status } : {}),
  } as PodObj;
}
const res = (requests?: Record<string, string>, limits?: Record<string, string>) => ({ resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) } });
const guaranteed = (cpu: string, mem: string) => res({ cpu, memory: mem }, { cpu, memory: mem });

test('the hierarchy under a cgroup root, and each QoS class\'s pod cgroup', () => {
  assert.deepEqual(cgroupLayout('/'), { nodeAllocatable: '/kubepods', burstable: '/kubepods/burstable', bestEffort: '/kubepods/besteffort' });
  assert.deepEqual(cgroupLayout('/berth/'), { nodeAllocatable: '/berth/kubepods', burstable: '/berth/kubepods/burstable', bestEffort: '/berth/kubepods/besteffort' });
  const l = cgroupLayout('/berth');
  assert.equal(podCgroupName(l, pod('g1', [guaranteed('250m', '64Mi')])), '/berth/kubepods/podg1');
  assert.equal(podCgroupName(l, pod('b1', [res({ cpu: '100m' })])), '/berth/kubepods/burstable/podb1');
  assert.equal(podCgroupName(l, pod('e1', [{}])), '/berth/kubepods/besteffort/pode1');
  assert.equal(podUIDOf('pod0b6d5c55-1c1e-4a36-9a0f-6f8d2c2f0f5e'), '0b6d5c55-1c1e-4a36-9a0f-6f8d2c2f0f5e');
  assert.equal(podUIDOf('burstable'), undefined);
  assert.equal(podUIDOf('pod'), undefined);
  assert.equal(podUIDOf('0123abc'), undefined);
});

test('ResourceConfigForPod: Guaranteed gets shares, quota and memory from the sums', () => {
  const p = pod('g', [guaranteed('250m', '64Mi'), guaranteed('500m', '32Mi')]);
  assert.deepEqual(resourceConfigForPod(p), { cpuShares: 768, cpuQuota: 75000, cpuPeriod: 100000, memory: 96 * Mi });
  assert.deepEqual(resourceConfigForPod(p, { enforceCPULimits: false }), { cpuShares: 768, cpuQuota: -1, cpuPeriod: 100000, memory: 96 * Mi });
  // the smallest quota is 1 ms
  assert.equal(resourceConfigForPod(pod('t', [guaranteed('1m', '8Mi')])).cpuQuota, 1000);
});

test('ResourceConfigForPod: Burstable gets a quota only when every container limits CPU, a memory limit only when every one limits memory', () => {
  const all = pod('b', [res({ cpu: '100m' }, { cpu: '200m', memory: '64Mi' }), res({ cpu: '100m' }, { cpu: '300m', memory: '32Mi' })]);
  assert.deepEqual(resourceConfigForPod(all), { cpuShares: 204, cpuQuota: 50000, cpuPeriod: 100000, memory: 96 * Mi });
  const noCpuLimit = pod('b', [res({ cpu: '100m' }, { memory: '64Mi' }), res({ cpu: '100m' }, { cpu: '300m', memory: '32Mi' })]);
  assert.deepEqual(resourceConfigForPod(noCpuLimit), { cpuShares: 204, memory: 96 * Mi });
  const oneLimitless = pod('b', [res({ memory: '10Mi' }), res({ cpu: '100m' }, { cpu: '300m', memory: '32Mi' })]);
  assert.deepEqual(resourceConfigForPod(oneLimitless), { cpuShares: 102 });
  // requests only: shares from them (a limit without a request has been defaulted to it by the API server)
  assert.deepEqual(resourceConfigForPod(pod('b', [res({ cpu: '1500m', memory: '1Gi' })])), { cpuShares: 1536 });
});

test('ResourceConfigForPod: BestEffort gets the minimum shares and nothing else', () => {
  assert.deepEqual(resourceConfigForPod(pod('e', [{}, {}])), { cpuShares: 2 });
});

test('init containers set a floor; sidecars add up with the app containers and count before later init containers', () => {
  const init = pod('i', [res({ cpu: '100m' }, { cpu: '100m', memory: '16Mi' })], { initContainers: [{ name: 'setup', image: 'busybox', ...res({ cpu: '500m' }, { cpu: '1', memory: '64Mi' }) }] });
  assert.deepEqual(resourceConfigForPod(init), { cpuShares: 512, cpuQuota: 100000, cpuPeriod: 100000, memory: 64 * Mi });
  const sidecar = pod('s', [res({ cpu: '100m' }, { cpu: '100m', memory: '16Mi' })], {
    initContainers: [
      { name: 'proxy', image: 'busybox', restartPolicy: 'Always', ...res({ cpu: '100m' }, { cpu: '200m', memory: '16Mi' }) },
      { name: 'setup', image: 'busybox', ...res({ cpu: '150m' }, { cpu: '150m', memory: '8Mi' }) },
    ],
  });
  // requests: max(100+100, 100+150) = 250m; limits: max(100+200, 200+150) = 350m, max(32Mi, 24Mi)
  assert.deepEqual(resourceConfigForPod(sidecar), { cpuShares: 256, cpuQuota: 35000, cpuPeriod: 100000, memory: 32 * Mi });
  // a sidecar without limits leaves the pod's CPU and memory unlimited
  const loose = pod('l', [res({ cpu: '100m' }, { cpu: '100m', memory: '16Mi' })], { initContainers: [{ name: 'proxy', image: 'busybox', restartPolicy: 'Always', ...res({ cpu: '100m' }) }] });
  assert.deepEqual(resourceConfigForPod(loose), { cpuShares: 204 });
});

test('pod-level resources win over the containers\', and declare the limits; overhead adds to requests and to set limits', () => {
  const p = pod('pl', [{}, res({ cpu: '100m' })], { resources: { requests: { cpu: '500m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } } });
  assert.deepEqual(resourceConfigForPod(p), { cpuShares: 512, cpuQuota: 100000, cpuPeriod: 100000, memory: 256 * Mi });
  const o = pod('o', [guaranteed('250m', '64Mi')], { overhead: { cpu: '250m', memory: '16Mi' } });
  assert.deepEqual(resourceConfigForPod(o), { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, memory: 80 * Mi });
});

test('the QoS tiers: burstable shares from the active Burstable pods\' CPU requests, best effort 2; node allocatable from the machine', () => {
  const pods = [
    pod('b1', [res({ cpu: '100m' })]),
    pod('b2', [res({ cpu: '250m' }, { cpu: '1' })]),
    pod('g', [guaranteed('1', '64Mi')]),
    pod('e', [{}]),
  ];
  assert.deepEqual(qosTierConfigs(pods), { burstable: { cpuShares: 358 }, bestEffort: { cpuShares: 2 } });
  assert.deepEqual(qosTierConfigs([pods[2]!, pods[3]!]), { burstable: { cpuShares: 2 }, bestEffort: { cpuShares: 2 } });
  assert.deepEqual(nodeAllocatableConfig({ cpuMilli: 2000, memoryBytes: 4096 * Mi, pids: 32768 }), { cpuShares: 2048, memory: 4096 * Mi, pidsLimit: 32768 });
  // finished pods do not count, nor do they keep their cgroups
  const done = pod('b3', [res({ cpu: '1' })], {}, { phase: 'Succeeded' });
  assert.deepEqual(qosTierConfigs(activePods([done, pods[0]!])).burstable, { cpuShares: 102 });
});

const ctr = (id: string, state: ObservedContainer['state']): ObservedContainer => ({ id, name: id, kind: 'app', attempt: 0, sandboxId: 's', state, createdAt: 0, exitCode: 0, reason: '', message: '', image: '', imageRef: '', hash: '' });

test('the pod cgroup step: created when missing; a pod running outside it is killed first (a Never one gets none); nothing while terminating', () => {
  const p = pod('x', [{}], { restartPolicy: 'Always' });
  assert.deepEqual(podCgroupStep(p, false, []), { kill: false, create: true });
  assert.deepEqual(podCgroupStep(p, false, [ctr('a', 'exited')]), { kill: false, create: true });
  assert.deepEqual(podCgroupStep(p, true, [ctr('a', 'running')]), { kill: false, create: false });
  assert.deepEqual(podCgroupStep(p, false, [ctr('a', 'running')]), { kill: true, create: true });
  assert.deepEqual(podCgroupStep(pod('n', [{}], { restartPolicy: 'Never' }), false, [ctr('a', 'running')]), { kill: true, create: false });
  assert.deepEqual(podCgroupStep({ ...p, metadata: { ...p.metadata, deletionTimestamp: '2024-01-01T00:00:00Z' } }, false, [ctr('a', 'running')]), { kill: false, create: false });
  assert.deepEqual(podCgroupStep(pod('f', [{}], {}, { phase: 'Failed' }), false, []), { kill: false, create: false });
  const kill = killPodActions(pod('k', [{}], { terminationGracePeriodSeconds: 7 }), [{ id: 's1', attempt: 0, ready: true, createdAt: 0 }], [ctr('a', 'running'), ctr('b', 'exited')]);
  assert.deepEqual(kill, [
    { kind: 'killContainer', id: 'a', name: 'a', gracePeriodSeconds: 7, message: 'Stopping container a' },
    { kind: 'stopSandbox', id: 's1' },
  ]);
});

test('orphaned pod cgroups: those of pods neither active nor running go; with volumes still mounted, their CPU is cut instead', () => {
  const pods = [pod('live', [{}]), pod('done', [{}], {}, { phase: 'Succeeded' })];
  const running = possiblyRunningPods(pods, ['deleted-but-running']);
  assert.deepEqual([...running].sort(), ['deleted-but-running', 'live']);
  const found = new Map([
    ['live', '/kubepods/besteffort/podlive'],
    ['done', '/kubepods/besteffort/poddone'],
    ['deleted-but-running', '/kubepods/podx'],
    ['gone', '/kubepods/burstable/podgone'],
    ['gone-tmpfs', '/kubepods/burstable/podgone-tmpfs'],
  ]);
  assert.deepEqual(orphanedPodCgroups(found, running, (uid) => uid === 'gone-tmpfs'), {
    destroy: ['/kubepods/besteffort/poddone', '/kubepods/burstable/podgone'],
    reduceCPU: ['/kubepods/burstable/podgone-tmpfs'],
  });
});
