// The real kubectl against `berth server --sim-nodes 3`: nodes register and are Ready, bare pods
// are scheduled onto them and run with pod IPs, an oversized pod tells why, and `berth sim nodes`
// joins more nodes over HTTPS with the kubeconfig.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { berthMain, eventually, kubectl, removeDir, startServer, which, type ServerProcess } from './cluster.js';

const pods = `
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources: {requests: {cpu: 500m, memory: 256Mi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-2
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources: {requests: {cpu: 500m, memory: 256Mi}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-3
  labels: {app: web}
spec:
  containers:
  - name: web
    image: nginx:1.27
    resources: {requests: {cpu: 500m, memory: 256Mi}}
`;

const huge = `
apiVersion: v1
kind: Pod
metadata:
  name: huge
spec:
  containers:
  - name: big
    image: anything/at-all:latest
    resources: {requests: {cpu: "64"}}
`;

describe('simulated nodes with the real kubectl', { skip: which('kubectl') ? false : 'kubectl is not installed' }, () => {
  let server: ServerProcess;
  before(async () => {
    server = await startServer({ extraArgs: ['--store', 'memory', '--sim-nodes', '3'] });
  });
  after(async () => {
    await server?.stop();
    if (server) removeDir(server.dataDir);
  });

  it('lists and describes Ready nodes', async () => {
    let out = '';
    await eventually(async () => {
      out = (await kubectl(server.kubeconfig, ['get', 'nodes'])).stdout;
      return out.split('\n').filter((l) => /^sim-node-\d\s+Ready\s/.test(l)).length === 3;
    }, 15_000, 'three Ready nodes');
    assert.match(out, /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION/);
    assert.match(out, /sim-node-0\s+Ready\s+<none>\s+\S+\s+v1\.32\.0\+berth/);
    const wide = (await kubectl(server.kubeconfig, ['get', 'nodes', '-o', 'wide'])).stdout;
    assert.match(wide, /sim-node-0\s+Ready\s+<none>\s+\S+\s+v1\.32\.0\+berth\s+172\.16\.0\.2\s+<none>\s+Berth simulated node\s+berth-sim\s+berth-sim:\/\/0\.1\.0/);
    const d = await kubectl(server.kubeconfig, ['describe', 'node', 'sim-node-1']);
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /^Name:\s+sim-node-1$/m);
    assert.match(d.stdout, /kubernetes\.io\/hostname=sim-node-1/);
    assert.match(d.stdout, /^Taints:\s+<none>$/m);
    assert.match(d.stdout, /^\s+Ready\s+True\s+.*KubeletReady\s+kubelet is posting ready status$/m);
    assert.match(d.stdout, /^\s+MemoryPressure\s+False\s+.*KubeletHasSufficientMemory/m);
    assert.match(d.stdout, /^Capacity:\n\s+cpu:\s+4\n/m);
    assert.match(d.stdout, /^PodCIDR:\s+10\.244\.1\.0\/24$/m);
    assert.match(d.stdout, /^\s+InternalIP:\s+172\.16\.0\.3$/m);
    const leases = await kubectl(server.kubeconfig, ['get', 'leases', '-n', 'kube-node-lease']);
    assert.equal(leases.stdout.split('\n').filter((l) => /^sim-node-\d\s+sim-node-\d/.test(l)).length, 3, leases.stdout);
  });

  it('schedules bare pods onto the nodes, where they run with pod IPs', async () => {
    const applied = await kubectl(server.kubeconfig, ['apply', '-f', '-'], pods);
    assert.equal(applied.code, 0, applied.stderr);
    const wait = await kubectl(server.kubeconfig, ['wait', '--for=condition=Ready', 'pod', '-l', 'app=web', '--timeout=30s'], undefined, 40_000);
    assert.equal(wait.code, 0, wait.stderr);
    const wide = (await kubectl(server.kubeconfig, ['get', 'pods', '-o', 'wide'])).stdout;
    const rows = wide.split('\n').filter((l) => l.startsWith('web-'));
    assert.equal(rows.length, 3, wide);
    const nodes = new Set<string>();
    for (const r of rows) {
      const m = /^web-\d\s+1\/1\s+Running\s+0\s+\S+\s+(10\.244\.\d+\.\d+)\s+(sim-node-\d)\s+<none>\s+<none>$/.exec(r);
      assert.ok(m, `unexpected row: ${r}`);
      nodes.add(m[2]!);
    }
    assert.equal(nodes.size, 3, 'spread over the three nodes');
    const d = (await kubectl(server.kubeconfig, ['describe', 'pod', 'web-1'])).stdout;
    assert.match(d, /^Node:\s+sim-node-\d\/172\.16\.0\.\d+$/m);
    assert.match(d, /Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default\/web-1 to sim-node-\d/);
    assert.match(d, /node\.kubernetes\.io\/unreachable:NoExecute op=Exists for 300s/);
    const node = [...nodes][0]!;
    const nd = (await kubectl(server.kubeconfig, ['describe', 'node', node])).stdout;
    assert.match(nd, /Non-terminated Pods:\s+\(1 in total\)/);
    assert.match(nd, /^\s+cpu\s+500m \(12%\)\s+0 \(0%\)$/m);
  });

  it('reports why a pod fits on no node', async () => {
    assert.equal((await kubectl(server.kubeconfig, ['apply', '-f', '-'], huge)).code, 0);
    const want = '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.';
    let d = '';
    await eventually(async () => {
      d = (await kubectl(server.kubeconfig, ['describe', 'pod', 'huge'])).stdout;
      return d.includes('FailedScheduling');
    }, 10_000, 'a FailedScheduling event');
    assert.match(d, /^Status:\s+Pending$/m);
    assert.match(d, /^\s+PodScheduled\s+False\s*$/m);
    assert.ok(d.includes(`Warning  FailedScheduling  `) && d.includes(want), d);
    const get = (await kubectl(server.kubeconfig, ['get', 'pod', 'huge', '-o', 'jsonpath={.status.conditions[0].reason}/{.status.conditions[0].message}'])).stdout;
    assert.equal(get, `Unschedulable/${want}`);
  });

  it('joins more nodes with berth sim nodes over the kubeconfig', async () => {
    const proc = spawn(process.execPath, [berthMain, 'sim', 'nodes', '--count', '2', '--name-prefix', 'remote-', '--first-index', '20', '--kubeconfig', server.kubeconfig, '--labels', 'pool=remote', '--taints', 'dedicated=remote:NoSchedule'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number>((r) => proc.once('exit', (c) => r(c ?? -1)));
    try {
      await eventually(async () => {
        const o = (await kubectl(server.kubeconfig, ['get', 'nodes', '-l', 'pool=remote'])).stdout;
        return o.split('\n').filter((l) => /^remote-2\d\s+Ready\s/.test(l)).length === 2;
      }, 15_000, 'two remote nodes Ready');
      assert.match(out, /2 simulated node\(s\) running: remote-20, remote-21/);
      const d = (await kubectl(server.kubeconfig, ['describe', 'node', 'remote-20'])).stdout;
      assert.match(d, /^Taints:\s+dedicated=remote:NoSchedule$/m);
      assert.match(d, /^PodCIDR:\s+10\.244\.20\.0\/24$/m);
    } finally {
      proc.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
