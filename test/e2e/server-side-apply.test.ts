// `kubectl apply --server-side` against a real `berth server`: create, re-apply, conflicts between
// managers and --force-conflicts, removal of what an applier stops applying, dry runs, and the
// managedFields kubectl shows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubectl, removeDir, startServer, which, type ServerProcess } from './cluster.js';

const deployment = (o: { image?: string; replicas?: number; tier?: boolean; envB?: boolean } = {}) => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
${o.tier === false ? '' : '    tier: front\n'}spec:
${o.replicas === undefined ? '' : `  replicas: ${o.replicas}\n`}  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${o.image ?? 'nginx:1.25'}
        ports:
        - containerPort: 80
        env:
        - name: A
          value: "1"
${o.envB === false ? '' : '        - name: B\n          value: "2"\n'}`;

interface Entry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1: Record<string, unknown>;
}

describe('kubectl apply --server-side against berth server', { skip: which('kubectl') ? false : 'kubectl is not installed' }, () => {
  let s: ServerProcess;
  const k = (args: string[], input?: string) => kubectl(s.kubeconfig, ['-n', 'ssa', ...args], input);
  const ok = async (args: string[], input?: string) => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const get = async () => JSON.parse(await ok(['get', 'deployment', 'web', '-o', 'json', '--show-managed-fields'])) as {
    metadata: { resourceVersion: string; labels?: Record<string, string>; managedFields?: Entry[] };
    spec: { replicas: number; template: { spec: { containers: { image: string; env: unknown[] }[] } } };
  };

  before(async () => {
    s = await startServer();
    await kubectl(s.kubeconfig, ['create', 'namespace', 'ssa']);
  });
  after(async () => {
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('creates by apply, owns exactly what it applied, and changes nothing when applied again', async () => {
    assert.match(await ok(['apply', '--server-side', '-f', '-'], deployment({ replicas: 2 })), /deployment.apps\/web serverside-applied/);
    const d = await get();
    const mine = d.metadata.managedFields!.find((e) => e.manager === 'kubectl')!;
    assert.equal(mine.operation, 'Apply');
    assert.deepEqual(Object.keys(mine.fieldsV1).sort(), ['f:metadata', 'f:spec']);
    const spec = mine.fieldsV1['f:spec'] as Record<string, unknown>;
    assert.deepEqual(spec['f:replicas'], {});
    assert.equal(spec['f:strategy'], undefined, 'defaults are nobody\'s');
    // the controller's status writes are its own entry
    const status = d.metadata.managedFields!.find((e) => e.subresource === 'status');
    assert.equal(status?.manager, 'kube-controller-manager');
    assert.deepEqual(status?.fieldsV1['f:metadata'], { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } }, 'the revision annotation comes with its status write');
    await ok(['apply', '--server-side', '-f', '-'], deployment({ replicas: 2 }));
    assert.equal((await get()).metadata.resourceVersion, d.metadata.resourceVersion, 'the same configuration writes nothing');
  });

  it('another manager conflicts on what it would change, and takes it with --force-conflicts', async () => {
    const r = await k(['apply', '--server-side', '--field-manager=ci', '-f', '-'], deployment({ replicas: 3, image: 'nginx:1.26' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Apply failed with 2 conflicts: conflicts with "kubectl":\n- \.spec\.replicas\n- \.spec\.template\.spec\.containers\[name="web"\]\.image/);
    assert.equal((await get()).spec.replicas, 2, 'a refused apply changes nothing');
    await ok(['apply', '--server-side', '--field-manager=ci', '--force-conflicts', '-f', '-'], deployment({ replicas: 3, image: 'nginx:1.26' }));
    const d = await get();
    assert.equal(d.spec.replicas, 3);
    assert.equal(d.spec.template.spec.containers[0]!.image, 'nginx:1.26');
    const kubectlSpec = d.metadata.managedFields!.find((e) => e.manager === 'kubectl')!.fieldsV1['f:spec'] as Record<string, unknown>;
    assert.equal(kubectlSpec['f:replicas'], undefined, 'forced away from kubectl');
  });

  it('an updater owns what it changed: kubectl scale and label, then an apply conflicts with them', async () => {
    await ok(['scale', 'deployment', 'web', '--replicas=5']);
    await ok(['label', 'deployment', 'web', 'team=blue']);
    const d = await get();
    const label = d.metadata.managedFields!.find((e) => e.manager === 'kubectl-label')!;
    assert.equal(label.operation, 'Update');
    assert.deepEqual(label.fieldsV1, { 'f:metadata': { 'f:labels': { 'f:team': {} } } });
    const r = await k(['apply', '--server-side', '--field-manager=ci', '-f', '-'], deployment({ replicas: 3, image: 'nginx:1.26' }));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /conflict with "kubectl" using apps\/v1: \.spec\.replicas|conflict with "kubectl-scale" using apps\/v1: \.spec\.replicas/);
  });

  it('removes what an applier no longer applies, unless someone else still owns it', async () => {
    // ci owns replicas (it forced them), tier and env B together with kubectl
    await ok(['apply', '--server-side', '--field-manager=ci', '--force-conflicts', '-f', '-'], deployment({ image: 'nginx:1.26', tier: false, envB: false }));
    let d = await get();
    assert.equal(d.metadata.labels?.tier, 'front', 'kubectl still applies tier');
    assert.equal(d.spec.template.spec.containers[0]!.env.length, 2, 'kubectl still applies B');
    await ok(['apply', '--server-side', '--force-conflicts', '-f', '-'], deployment({ image: 'nginx:1.26', tier: false, envB: false }));
    d = await get();
    assert.equal(d.metadata.labels?.tier, undefined);
    assert.deepEqual(d.spec.template.spec.containers[0]!.env, [{ name: 'A', value: '1' }]);
    assert.equal(d.metadata.labels?.team, 'blue', 'never applied: kept');
  });

  it('applies status through the status subresource, as its own manager', async () => {
    const svc = `apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  ports: [{port: 80}]
  selector: {app: web}
status:
  loadBalancer:
    ingress: [{ip: 192.0.2.10}]
`;
    await ok(['apply', '--server-side', '-f', '-'], svc);
    let got = JSON.parse(await ok(['get', 'service', 'lb', '-o', 'json', '--show-managed-fields']));
    assert.deepEqual(got.status.loadBalancer, {}, 'status is not applied through the main resource');
    await ok(['apply', '--server-side', '--subresource=status', '--field-manager=lb-controller', '-f', '-'], svc);
    got = JSON.parse(await ok(['get', 'service', 'lb', '-o', 'json', '--show-managed-fields']));
    assert.equal(got.status.loadBalancer.ingress[0].ip, '192.0.2.10');
    const lb = (got.metadata.managedFields as Entry[]).find((e) => e.manager === 'lb-controller')!;
    assert.deepEqual([lb.operation, lb.subresource, lb.fieldsV1], ['Apply', 'status', { 'f:status': { 'f:loadBalancer': { 'f:ingress': {} } } }]);
  });

  it('a server dry run shows the result and writes nothing; a bad request is refused in upstream words', async () => {
    const before = await get();
    const dry = JSON.parse(await ok(['apply', '--server-side', '--force-conflicts', '--dry-run=server', '-o', 'json', '-f', '-'], deployment({ image: 'nginx:1.27', tier: false, envB: false })));
    assert.equal(dry.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal((await get()).metadata.resourceVersion, before.metadata.resourceVersion);
    // kubectl always names a manager: the raw request shows the API's own answer
    const noManager = await patch('/apis/apps/v1/namespaces/ssa/deployments/web', 'application/apply-patch+yaml', deployment());
    assert.equal(noManager.code, 422);
    assert.equal(noManager.body.message, 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const forced = await patch('/apis/apps/v1/namespaces/ssa/deployments/web?force=true', 'application/merge-patch+json', '{}');
    assert.equal(forced.code, 422);
    assert.match(forced.body.message, /force: Forbidden: may not be specified for non-apply patch/);
    const created = await patch('/api/v1/namespaces/ssa/configmaps/c?fieldManager=me', 'application/apply-patch+yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {a: "1"}\n');
    assert.equal(created.code, 201, 'an apply that creates answers 201');
    const dup = await patch('/api/v1/namespaces/ssa/configmaps/c?fieldManager=me', 'application/apply-patch+yaml',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, finalizers: [a, a]}\n');
    assert.equal(dup.code, 500, 'as upstream: its typed conversion fails');
    assert.equal(dup.body.message, 'failed to create typed patch object (ssa/c; /v1, Kind=ConfigMap): .metadata.finalizers: duplicate entries for key [="a"]');
  });

  function patch(path: string, contentType: string, body: string): Promise<{ code: number; body: { message: string } }> {
    const pki = join(s.dataDir, 'pki');
    return new Promise((resolve, reject) => {
      const req = request({
        host: '127.0.0.1', port: s.port, path, method: 'PATCH', rejectUnauthorized: false,
        cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')),
        headers: { 'content-type': contentType },
      }, (res) => {
        let data = '';
        res.on('data', (d) => (data += d));
        res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(data) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
});
