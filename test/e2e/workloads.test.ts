// StatefulSets, Jobs and Services' endpoints through the real kubectl against a real
// `berth server`: the controllers in the server do the work, and the test plays the kubelet by
// writing pod status with `kubectl patch --subresource=status`, as a node would report it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, kubectl, removeDir, startServer, which, type ServerProcess } from './cluster.js';

const manifest = `
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  clusterIP: None
  selector:
    app: web
  ports:
  - name: http
    port: 80
    targetPort: http
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - name: http
          containerPort: 8080
  volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      resources:
        requests:
          storage: 1Gi
---
apiVersion: batch/v1
kind: Job
metadata:
  name: pi
spec:
  completions: 4
  parallelism: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: pi
        image: perl
`;

const hasKubectl = which('kubectl');

describe('workload controllers through kubectl', { skip: hasKubectl ? false : 'kubectl is not installed' }, () => {
  let s: ServerProcess;
  let stop = false;
  let kubelet: Promise<void> | undefined;
  const ok = async (args: string[], input?: string) => {
    const r = await kubectl(s.kubeconfig, args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  /** The kubelet's part: pending pods start (and become ready), job pods then succeed. */
  async function playKubelet(): Promise<void> {
    let ip = 10;
    while (!stop) {
      const r = await kubectl(s.kubeconfig, ['get', 'pods', '-o', 'json']);
      if (r.code === 0) {
        for (const p of JSON.parse(r.stdout).items as { metadata: { name: string; labels?: Record<string, string> }; status?: { phase?: string; podIP?: string } }[]) {
          const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
          const phase = p.status?.phase;
          let status: Record<string, unknown> | undefined;
          if (phase === 'Pending') {
            const addr = `10.244.1.${ip++}`;
            status = {
              phase: 'Running', podIP: addr, podIPs: [{ ip: addr }], startTime: now,
              conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }, { type: 'ContainersReady', status: 'True', lastTransitionTime: now }],
            };
          } else if (phase === 'Running' && p.metadata.labels?.['job-name']) {
            status = { phase: 'Succeeded', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }] };
          }
          if (status) await kubectl(s.kubeconfig, ['patch', 'pod', p.metadata.name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
        }
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  before(async () => {
    s = await startServer();
    kubelet = playKubelet();
  });
  after(async () => {
    stop = true;
    await kubelet;
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('kubectl get sts: the StatefulSet becomes ready, its pods and claims named by ordinal', async () => {
    assert.match(await ok(['apply', '-f', '-'], manifest), /statefulset.apps\/web created/);
    await eventually(async () => /\nweb\s+3\/3\s+\d+s\n/.test(await ok(['get', 'sts'])), 30_000, 'READY 3/3');
    const table = await ok(['get', 'sts']);
    assert.match(table, /^NAME\s+READY\s+AGE\n/);
    const wide = await ok(['get', 'sts', 'web', '-o', 'wide']);
    assert.match(wide, /CONTAINERS\s+IMAGES/);
    assert.match(wide, /web\s+3\/3\s+\S+\s+nginx\s+nginx:1\.25/);
    const pods = (await ok(['get', 'pods', '-l', 'app=web', '-o', 'name'])).trim().split('\n').sort();
    assert.deepEqual(pods, ['pod/web-0', 'pod/web-1', 'pod/web-2']);
    const pvcs = (await ok(['get', 'pvc', '-o', 'name'])).trim().split('\n').sort();
    assert.deepEqual(pvcs, ['persistentvolumeclaim/data-web-0', 'persistentvolumeclaim/data-web-1', 'persistentvolumeclaim/data-web-2']);
    const revs = await ok(['get', 'controllerrevisions']);
    assert.match(revs, /^NAME\s+CONTROLLER\s+REVISION\s+AGE\n/);
    assert.match(revs, /\nweb-\w+\s+statefulset.apps\/web\s+1\s+/);
  });

  it('kubectl get endpoints and endpointslices: the ready pods behind the Service', async () => {
    await eventually(async () => /\nweb\s+10\.244\.1\.\d+:8080,10\.244\.1\.\d+:8080,10\.244\.1\.\d+:8080\s+\d+s\n/.test(await ok(['get', 'endpoints', 'web'])), 20_000, 'three endpoints');
    assert.match(await ok(['get', 'endpoints']), /^NAME\s+ENDPOINTS\s+AGE\n/);
    const ep = JSON.parse(await ok(['get', 'endpoints', 'web', '-o', 'json']));
    assert.deepEqual(ep.subsets[0].addresses.map((a: { hostname: string }) => a.hostname).sort(), ['web-0', 'web-1', 'web-2']);
    assert.deepEqual(ep.metadata.labels, { 'service.kubernetes.io/headless': '' });
    const slices = await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web']);
    assert.match(slices, /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE\n/);
    assert.match(slices, /\nweb-\w{5}\s+IPv4\s+8080\s+10\.244\.1\.\d+,10\.244\.1\.\d+,10\.244\.1\.\d+\s+/);
    // The API server's own endpoints are untouched by the controllers.
    assert.match(await ok(['get', 'endpoints', 'kubernetes']), /\nkubernetes\s+[\d.]+:\d+\s+/);
  });

  it('kubectl get jobs: completions=4, parallelism=2 runs to Complete', async () => {
    await eventually(async () => /\npi\s+Complete\s+4\/4\s+/.test(await ok(['get', 'jobs'])), 30_000, 'the Job to complete');
    const table = await ok(['get', 'jobs']);
    assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\n/);
    const job = JSON.parse(await ok(['get', 'job', 'pi', '-o', 'json']));
    assert.deepEqual(job.status.conditions.map((c: { type: string; reason: string }) => `${c.type}/${c.reason}`), ['SuccessCriteriaMet/CompletionsReached', 'Complete/CompletionsReached']);
    assert.equal(job.status.succeeded, 4);
    const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=pi', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
    assert.equal(events.split('\n').filter((l) => l === 'SuccessfulCreate').length, 4);
    assert.ok(events.includes('Completed'));
  });

  it('scale to 0: web-2, web-1, web-0 go in reverse order; the claims stay', async () => {
    const watch: string[] = [];
    await ok(['scale', 'sts', 'web', '--replicas=0']);
    await eventually(async () => {
      const names = (await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].metadata.name}'])).trim();
      if (names && watch[watch.length - 1] !== names) watch.push(names);
      return names === '';
    }, 30_000, 'the pods to go');
    // Every snapshot is a prefix of the ordinals: the highest always goes first.
    for (const snap of watch) {
      const ords = snap.split(' ').map((n) => Number(n.split('-')[1])).sort();
      assert.deepEqual(ords, ords.map((_, i) => i), `pods ${snap} are not web-0..web-${ords.length - 1}`);
    }
    assert.equal((await ok(['get', 'pvc', '-o', 'name'])).trim().split('\n').length, 3);
    assert.match(await ok(['get', 'sts', 'web']), /\nweb\s+0\/0\s+/);
  });
});
