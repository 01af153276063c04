// The real kubectl against a real `berth server` process: the flows users run every day.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, kubectl, kubectlBackground, removeDir, startServer, which, type ServerProcess } from './cluster.js';

const manifests = (image: string, extraEnv = '') => `
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  mode: production
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels:
    app: web
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: ${image}
        ports:
        - containerPort: 80
        env:
        - name: MODE
          value: production${extraEnv}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 80
`;

const hasKubectl = which('kubectl');

describe('kubectl against berth server', { skip: hasKubectl ? false : 'kubectl is not installed' }, () => {
  let s: ServerProcess;
  const k = (args: string[], input?: string) => kubectl(s.kubeconfig, args, input);
  const ok = async (args: string[], input?: string) => {
    const r = await k(args, input);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
    return r.stdout;
  };

  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s?.stop();
    if (s) removeDir(s.dataDir);
  });

  it('apply a multi-document manifest, twice, then with a change merged strategically', async () => {
    const first = await ok(['apply', '-f', '-'], manifests('nginx:1.25'));
    assert.match(first, /namespace\/shop created/);
    assert.match(first, /deployment.apps\/web created/);
    assert.match(first, /service\/web created/);
    const second = await ok(['apply', '-f', '-'], manifests('nginx:1.25'));
    assert.match(second, /deployment.apps\/web unchanged/);
    assert.match(second, /configmap\/settings unchanged/);
    // Someone adds an env var out of band; the next apply changes only the image.
    await ok(['-n', 'shop', 'set', 'env', 'deployment/web', 'EXTRA=1']);
    const third = await ok(['apply', '-f', '-'], manifests('nginx:1.26'));
    assert.match(third, /deployment.apps\/web configured/);
    const d = JSON.parse(await ok(['-n', 'shop', 'get', 'deployment', 'web', '-o', 'json']));
    const c = d.spec.template.spec.containers[0];
    assert.equal(c.image, 'nginx:1.26');
    assert.deepEqual(c.env, [{ name: 'MODE', value: 'production' }, { name: 'EXTRA', value: '1' }]);
    assert.equal(d.metadata.generation, 3);
    assert.ok(d.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']);
  });

  it('get in every output format', async () => {
    const table = await ok(['-n', 'shop', 'get', 'deployments']);
    assert.match(table, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\n/);
    // The deployment controller is rolling out nginx:1.26 and no kubelet makes pods ready here.
    assert.match(table, /\nweb\s+0\/2\s+\d\s+0\s+\d+s\n/);
    const wide = await ok(['-n', 'shop', 'get', 'deployments', '-o', 'wide']);
    assert.match(wide, /CONTAINERS\s+IMAGES\s+SELECTOR/);
    assert.match(wide, /web\s+nginx:1\.26\s+app=web/);
    const svc = await ok(['-n', 'shop', 'get', 'svc', 'web']);
    assert.match(svc, /web\s+ClusterIP\s+10\.96\.\d+\.\d+\s+<none>\s+80\/TCP/);
    const yaml = await ok(['-n', 'shop', 'get', 'configmap', 'settings', '-o', 'yaml']);
    assert.match(yaml, /mode: production/);
    assert.deepEqual((await ok(['-n', 'shop', 'get', 'deploy,svc', '-o', 'name'])).trim().split('\n'), ['deployment.apps/web', 'service/web']);
    assert.equal(await ok(['-n', 'shop', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.template.spec.containers[0].image}']), 'nginx:1.26');
    const all = await ok(['get', 'namespaces']);
    assert.match(all, /default\s+Active/);
    assert.match(all, /shop\s+Active/);
  });

  it('describe', async () => {
    const out = await ok(['-n', 'shop', 'describe', 'deployment', 'web']);
    assert.match(out, /Name:\s+web/);
    assert.match(out, /Namespace:\s+shop/);
    assert.match(out, /Replicas:\s+2 desired/);
    assert.match(out, /StrategyType:\s+RollingUpdate/);
    assert.match(out, /Image:\s+nginx:1\.26/);
  });

  it('label, annotate, and patch with all three patch types', async () => {
    await ok(['-n', 'shop', 'label', 'configmap', 'settings', 'tier=backend']);
    await ok(['-n', 'shop', 'annotate', 'configmap', 'settings', 'owner=team-a']);
    const cm = JSON.parse(await ok(['-n', 'shop', 'get', 'cm', 'settings', '-o', 'json']));
    assert.equal(cm.metadata.labels.tier, 'backend');
    assert.equal(cm.metadata.annotations.owner, 'team-a');
    assert.equal(await ok(['-n', 'shop', 'get', 'cm', '-l', 'tier=backend', '-o', 'name']), 'configmap/settings\n');

    await ok(['-n', 'shop', 'patch', 'deployment', 'web', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}']);
    await ok(['-n', 'shop', 'patch', 'deployment', 'web', '--type=merge', '-p', '{"metadata":{"labels":{"patched":"merge"}}}']);
    await ok(['-n', 'shop', 'patch', 'deployment', 'web', '--type=json', '-p', '[{"op":"replace","path":"/spec/replicas","value":3}]']);
    const d = JSON.parse(await ok(['-n', 'shop', 'get', 'deployment', 'web', '-o', 'json']));
    assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
    assert.equal(d.spec.template.spec.containers[0].env.length, 2);
    assert.equal(d.metadata.labels.patched, 'merge');
    assert.equal(d.spec.replicas, 3);
  });

  it('replace and scale', async () => {
    const cm = JSON.parse(await ok(['-n', 'shop', 'get', 'cm', 'settings', '-o', 'json']));
    cm.data.mode = 'staging';
    await ok(['replace', '-f', '-'], JSON.stringify(cm));
    assert.equal(await ok(['-n', 'shop', 'get', 'cm', 'settings', '-o', 'jsonpath={.data.mode}']), 'staging');
    const stale = await k(['replace', '-f', '-'], JSON.stringify(cm));
    assert.notEqual(stale.code, 0);
    assert.match(stale.stderr, /the object has been modified/);
    assert.match(await ok(['-n', 'shop', 'scale', 'deployment', 'web', '--replicas=5']), /deployment.apps\/web scaled/);
    assert.equal(await ok(['-n', 'shop', 'get', 'deploy', 'web', '-o', 'jsonpath={.spec.replicas}']), '5');
  });

  it('get --watch sees changes; wait --for=delete returns when the object goes', async () => {
    await ok(['-n', 'shop', 'create', 'configmap', 'watched', '--from-literal=a=1']);
    const w = kubectlBackground(s.kubeconfig, ['-n', 'shop', 'get', 'configmap', 'watched', '--watch', '-o', 'name']);
    await eventually(() => w.out().includes('configmap/watched'), 10_000, 'the initial watch line');
    const waiter = kubectlBackground(s.kubeconfig, ['-n', 'shop', 'wait', '--for=delete', 'configmap/watched', '--timeout=30s']);
    await new Promise((r) => setTimeout(r, 500));
    await ok(['-n', 'shop', 'label', 'configmap', 'watched', 'x=y']);
    await eventually(() => w.out().split('\n').filter(Boolean).length >= 2, 10_000, 'a second watch line');
    await ok(['-n', 'shop', 'delete', 'configmap', 'watched']);
    const r = await waiter.done;
    assert.equal(r.code, 0, r.stderr);
    w.kill();
    await w.done;
  });

  it('delete with each propagation policy: background, foreground and orphan cascade as upstream', async () => {
    const pair = (p: string) => `
apiVersion: v1
kind: ConfigMap
metadata:
  name: ${p}-owner
  namespace: shop
---
`;
    const dependent = (p: string, uid: string) => JSON.stringify({
      apiVersion: 'v1', kind: 'ConfigMap',
      metadata: { name: `${p}-dep`, namespace: 'shop', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: `${p}-owner`, uid, blockOwnerDeletion: true }] },
    });
    for (const policy of ['background', 'foreground', 'orphan']) {
      await ok(['apply', '-f', '-'], pair(policy));
      const uid = await ok(['-n', 'shop', 'get', 'cm', `${policy}-owner`, '-o', 'jsonpath={.metadata.uid}']);
      await ok(['apply', '-f', '-'], dependent(policy, uid));
      // kubectl waits for the owner to be gone; the garbage collector makes that happen.
      assert.match(await ok(['-n', 'shop', 'delete', 'cm', `${policy}-owner`, `--cascade=${policy}`, '--timeout=30s']), /deleted/);
      const owner = await k(['-n', 'shop', 'get', 'cm', `${policy}-owner`]);
      assert.match(owner.stderr, /NotFound/);
    }
    // Foreground: the dependent went before the owner; background: it goes after; orphan: it stays, released.
    await eventually(async () => (await k(['-n', 'shop', 'get', 'cm', 'background-dep'])).code !== 0, 10_000, 'the background dependent to go');
    assert.match((await k(['-n', 'shop', 'get', 'cm', 'foreground-dep'])).stderr, /NotFound/);
    const orphan = JSON.parse(await ok(['-n', 'shop', 'get', 'cm', 'orphan-dep', '-o', 'json']));
    assert.equal(orphan.metadata.ownerReferences, undefined);
  });

  it('api-resources and explain', async () => {
    const res = await ok(['api-resources']);
    assert.match(res, /^NAME\s+SHORTNAMES\s+APIVERSION\s+NAMESPACED\s+KIND/);
    assert.match(res, /\ndeployments\s+deploy\s+apps\/v1\s+true\s+Deployment\n/);
    assert.match(res, /\npods\s+po\s+v1\s+true\s+Pod\n/);
    const explain = await ok(['explain', 'deployment.spec.strategy']);
    assert.match(explain, /GROUP:\s+apps/);
    assert.match(explain, /FIELD: strategy <DeploymentStrategy>/);
    assert.match(explain, /rollingUpdate\s+<RollingUpdateDeployment>/);
  });

  it('bad input gets upstream-shaped errors', async () => {
    const badYaml = await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: [oops\n');
    assert.notEqual(badYaml.code, 0);
    const unknownField = await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\n  namespace: shop\nbogus: 1\n');
    assert.notEqual(unknownField.code, 0);
    assert.match(unknownField.stderr, /unknown field "bogus"/);
    const badName = await k(['-n', 'shop', 'create', 'configmap', 'Bad_Name']);
    assert.notEqual(badName.code, 0);
    assert.match(badName.stderr, /is invalid: metadata.name: Invalid value: "Bad_Name"/);
    const missing = await k(['-n', 'shop', 'get', 'configmap', 'missing']);
    assert.match(missing.stderr, /Error from server \(NotFound\): configmaps "missing" not found/);
    const unknownType = await k(['get', 'widgets']);
    assert.match(unknownType.stderr, /the server doesn't have a resource type "widgets"/);
  });

  it("kubectl's create generators (sent as protobuf) and auth", async () => {
    await ok(['-n', 'shop', 'create', 'secret', 'generic', 'creds', '--from-literal=user=admin']);
    assert.equal(Buffer.from(await ok(['-n', 'shop', 'get', 'secret', 'creds', '-o', 'jsonpath={.data.user}']), 'base64').toString(), 'admin');
    await ok(['-n', 'shop', 'create', 'service', 'nodeport', 'np', '--tcp=80:8080']);
    assert.match(await ok(['-n', 'shop', 'get', 'svc', 'np']), /np\s+NodePort\s+10\.96\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP/);
    await ok(['-n', 'shop', 'create', 'cronjob', 'tick', '--image=busybox', '--schedule=*/5 * * * *']);
    await ok(['-n', 'shop', 'create', 'role', 'reader', '--verb=get', '--resource=pods']);
    await ok(['-n', 'shop', 'create', 'serviceaccount', 'robot']);
    assert.equal((await ok(['auth', 'can-i', 'create', 'pods'])).trim(), 'yes');
    assert.match(await ok(['auth', 'whoami']), /Username\s+kubernetes-admin/);
  });

  it('create a namespace and delete it, with its content', async () => {
    await ok(['create', 'namespace', 'scratch']);
    assert.match(await ok(['get', 'namespace', 'scratch']), /scratch\s+Active/);
    await ok(['-n', 'scratch', 'create', 'configmap', 'inside', '--from-literal=a=b']);
    await ok(['-n', 'scratch', 'create', 'deployment', 'app', '--image=busybox']);
    assert.match(await ok(['delete', 'namespace', 'scratch', '--timeout=60s']), /namespace "scratch" deleted/);
    const gone = await k(['get', 'namespace', 'scratch']);
    assert.match(gone.stderr, /namespaces "scratch" not found/);
  });
});

