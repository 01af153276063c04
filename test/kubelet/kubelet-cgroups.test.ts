// The kubelet's runner carrying out the cgroup decisions, over an in-memory cgroup manager and a
// simulated runtime (no root needed): node allocatable and the tiers at start, an orphan from
// before the start removed, each pod's cgroup made with its limits before its sandbox, the
// sandbox and containers given it as their parent, the burstable tier following its pods, and the
// cgroups of deleted and finished pods removed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { testCluster, eventually } from '../controllers/harness.js';
import { Kubelet } from '../../src/kubelet/kubelet.js';
import { MemoryCgroupManager } from '../../src/kubelet/cgroup-manager.js';
import { SimRuntime } from '../../src/sim/runtime.js';
import type { PodSandboxConfig } from '../../src/kubelet/runtime.js';
import { R } from '../../src/model/api.js';
import type { KubeObject } from '../../src/model/object.js';

const Mi = 1024 * 1024;

test('the kubelet keeps its pods in their QoS cgroups: made before the sandbox, the parent of every container, gone with the pod', async (t) => {
  const c = await testCluster([]);
  const dir = mkdtempSync(join(tmpdir(), 'berth-kubelet-cgroups-'));
  const sandboxParents = new Map<string, string | undefined>();
  const containerParents: (string | undefined)[] = [];
  const cgroups = new MemoryCgroupManager('/berth');
  class Recording extends SimRuntime {
    override async runPodSandbox(config: PodSandboxConfig): Promise<string> {
      // the pod's cgroup exists before its sandbox is made
      assert.ok(config.cgroupParent && cgroups.exists(config.cgroupParent), `no cgroup ${config.cgroupParent} yet`);
      sandboxParents.set(config.metadata.name, config.cgroupParent);
      return super.runPodSandbox(config);
    }
  }
  const runtime = new Recording({
    podCIDR: '10.250.4.0/24',
    clock: () => Date.now(),
    program: (sb) => {
      containerParents.push(sb.cgroupParent);
      return { exitCode: 0, ...(sb.annotations['sim.berth.dev/run-seconds'] ? { runMs: Number(sb.annotations['sim.berth.dev/run-seconds']) * 1000 } : {}) };
    },
  });
  // a pod cgroup left from before (its pod deleted while the kubelet was away)
  await cgroups.create('/berth/kubepods/burstable/podorphan', { cpuShares: 100 });
  const kubelet = new Kubelet(c.client, { nodeName: 'cg-node', dataDir: dir, runtime, nodeIP: '172.31.0.10', resyncMs: 300, cgroups });
  await kubelet.start();
  t.after(async () => {
    kubelet.stop();
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  assert.ok(cgroups.exists('/berth/kubepods') && cgroups.exists('/berth/kubepods/burstable') && cgroups.exists('/berth/kubepods/besteffort'));
  assert.equal(cgroups.cgroups.get('/berth/kubepods/besteffort')?.cpuShares, 2);
  assert.ok(cgroups.cgroups.get('/berth/kubepods')!.cpuShares! >= 2048);
  await eventually(async () => !cgroups.exists('/berth/kubepods/burstable/podorphan'), 5000);

  const pod = (name: string, resources: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}, annotations: Record<string, string> = {}): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', annotations },
    // no token volume: this in-process cluster has no CA to publish (see README)
    spec: { nodeName: 'cg-node', terminationGracePeriodSeconds: 1, automountServiceAccountToken: false, containers: [{ name: 'app', image: 'any/image:1', ...(resources ? { resources } : {}) }], ...extra },
  });
  const created = await Promise.all([
    c.client.create(R.pods, 'default', pod('gu', { requests: { cpu: '500m', memory: '64Mi' }, limits: { cpu: '500m', memory: '64Mi' } })),
    c.client.create(R.pods, 'default', pod('bu', { requests: { cpu: '250m' }, limits: { cpu: '1', memory: '32Mi' } })),
    c.client.create(R.pods, 'default', pod('be', undefined)),
  ]);
  const uid = Object.fromEntries(created.map((p) => [p.metadata.name!, p.metadata.uid!]));
  const get = async (name: string) => (await c.client.get(R.pods, 'default', name)) as KubeObject & Pod;
  await eventually(async () => (await Promise.all(['gu', 'bu', 'be'].map(get))).every((p) => p.status?.phase === 'Running'), 10_000);
  assert.deepEqual(cgroups.cgroups.get(`/berth/kubepods/pod${uid['gu']}`), { cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, memory: 64 * Mi });
  assert.deepEqual(cgroups.cgroups.get(`/berth/kubepods/burstable/pod${uid['bu']}`), { cpuShares: 256, cpuQuota: 100000, cpuPeriod: 100000, memory: 32 * Mi });
  assert.deepEqual(cgroups.cgroups.get(`/berth/kubepods/besteffort/pod${uid['be']}`), { cpuShares: 2 });
  assert.deepEqual(Object.fromEntries(sandboxParents), {
    gu: `/berth/kubepods/pod${uid['gu']}`,
    bu: `/berth/kubepods/burstable/pod${uid['bu']}`,
    be: `/berth/kubepods/besteffort/pod${uid['be']}`,
  });
  assert.deepEqual([...containerParents].sort(), Object.values(Object.fromEntries(sandboxParents)).sort());
  // the burstable tier's shares follow its pods' CPU requests
  assert.equal(cgroups.cgroups.get('/berth/kubepods/burstable')?.cpuShares, 256);

  // a pod that finishes (restartPolicy Never) loses its cgroup though its object stays
  await c.client.create(R.pods, 'default', pod('job', { requests: { cpu: '100m' } }, { restartPolicy: 'Never' }, { 'sim.berth.dev/run-seconds': '0.2' }));
  await eventually(async () => (await get('job')).status?.phase === 'Succeeded', 10_000);
  const jobUid = (await get('job')).metadata.uid!;
  await eventually(async () => !cgroups.exists(`/berth/kubepods/burstable/pod${jobUid}`), 5000);

  // deleted pods: their cgroups go, and the tier is set for the pods left
  for (const name of ['gu', 'bu', 'be', 'job']) await c.client.delete(R.pods, 'default', name);
  await eventually(async () => (await c.client.list(R.pods, 'default')).items.length === 0, 10_000);
  await eventually(async () => cgroups.podCgroups().size === 0, 5000);
  await eventually(async () => cgroups.cgroups.get('/berth/kubepods/burstable')?.cpuShares === 2, 5000);
  for (const u of Object.values(uid)) assert.ok(cgroups.log.includes(`create ${sandboxParents.get(Object.keys(uid).find((k) => uid[k] === u)!)}`));

  // a node that takes its pods with it removes the hierarchy
  await kubelet.removeCgroups();
  assert.equal(cgroups.cgroups.size, 0);
});
