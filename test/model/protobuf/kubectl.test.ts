// The bodies the real kubectl sends as application/vnd.kubernetes.protobuf, captured from a local
// HTTP server, must decode to the JSON kubectl itself prints for the same command with
// `-o json --dry-run=client`. Discovery and OpenAPI come from the fake API server of the OpenAPI
// tests; this server answers the writes and forwards every read to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeKubernetesProtobuf } from '../../../src/model/protobuf/index.js';
import { startFakeServer } from '../openapi/fake-apiserver.js';

const run = promisify(execFile);

interface Captured {
  method: string;
  path: string;
  contentType: string;
  body: Buffer;
}

/** An object `expose` and `autoscale` read before they write. */
const DEPLOYMENT = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', uid: 'b2a6d1c4-0000-4000-8000-000000000001', resourceVersion: '7' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', ports: [{ containerPort: 80, protocol: 'TCP' }] }] } },
  },
};

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

async function kubectlAvailable(): Promise<boolean> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

test('kubectl protobuf request bodies decode to the JSON kubectl prints', { timeout: 300_000 }, async (t) => {
  if (!(await kubectlAvailable())) {
    t.skip('kubectl is not installed');
    return;
  }
  const fake = await startFakeServer();
  const captured: Captured[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      const body = await readBody(req);
      const path = req.url ?? '/';
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (req.method === 'GET' && path.startsWith('/apis/apps/v1/namespaces/default/deployments/web')) return json(200, DEPLOYMENT);
      if (req.method === 'GET') {
        const r = await fetch(fake.url + path, { headers: { accept: req.headers.accept ?? '*/*' } });
        res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') ?? 'application/json' });
        return res.end(Buffer.from(await r.arrayBuffer()));
      }
      const contentType = req.headers['content-type'] ?? '';
      captured.push({ method: req.method ?? '', path, contentType, body });
      // Answer with the object itself, as a create does, so that kubectl finishes normally.
      let obj: Record<string, unknown>;
      try {
        obj = contentType.startsWith('application/vnd.kubernetes.protobuf') ? decodeKubernetesProtobuf(body).object : JSON.parse(body.toString('utf8'));
      } catch (e) {
        return json(400, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: (e as Error).message, reason: 'BadRequest', code: 400 });
      }
      if (obj.kind === 'TokenRequest') obj = { ...obj, status: { token: 'token', expirationTimestamp: '2030-01-01T00:00:00Z' } };
      if (obj.kind === 'SelfSubjectReview') obj = { ...obj, status: { userInfo: { username: 'alice' } } };
      json(201, obj);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'berth-kubectl-pb-'));
  const binFile = join(dir, 'blob.bin');
  await writeFile(binFile, Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]));
  const kubectl = async (args: string[]) =>
    (await run('kubectl', ['--server', url, '--cache-dir', join(dir, 'cache'), ...args], { env: { ...process.env, KUBECONFIG: '/dev/null' }, timeout: 60_000 })).stdout;

  /** Runs a command, returns what it POSTed as protobuf, decoded. */
  const capture = async (args: string[]) => {
    const before = captured.length;
    await kubectl(args);
    const posts = captured.slice(before);
    assert.equal(posts.length, 1, `one write for kubectl ${args.join(' ')}`);
    const p = posts[0]!;
    assert.equal(p.method, 'POST');
    assert.equal(p.contentType, 'application/vnd.kubernetes.protobuf');
    return decodeKubernetesProtobuf(p.body);
  };
  const dryRunJson = async (args: string[]) => {
    const dash = args.indexOf('--');
    const [head, tail] = dash < 0 ? [args, []] : [args.slice(0, dash), args.slice(dash)];
    return JSON.parse(await kubectl([...head, '-o', 'json', '--dry-run=client', ...tail])) as unknown;
  };

  try {
    const commands: string[][] = [
      ['create', 'namespace', 'team-a'],
      ['create', 'configmap', 'c', '--from-literal=a=1', `--from-file=blob=${binFile}`],
      ['create', 'secret', 'generic', 's', '--from-literal=p=q'],
      ['create', 'secret', 'docker-registry', 'd', '--docker-username=u', '--docker-password=p', '--docker-server=registry.example'],
      ['create', 'service', 'nodeport', 'n', '--tcp=80:8080'],
      ['create', 'service', 'clusterip', 'ci', '--tcp=5678:http'],
      ['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3', '--port=80'],
      ['create', 'job', 'j', '--image=busybox', '--', 'echo', 'hi'],
      ['create', 'cronjob', 'cj', '--image=busybox', '--schedule=*/5 * * * *'],
      ['create', 'ingress', 'ing', '--rule=foo.com/bar=svc1:8080,tls=my-cert', '--class=nginx', '--default-backend=defaultsvc:http'],
      ['create', 'role', 'r', '--verb=get,list', '--resource=pods,deployments.apps'],
      ['create', 'rolebinding', 'rb', '--role=r', '--user=alice', '--serviceaccount=default:sa'],
      ['create', 'clusterrole', 'cr', '--verb=get', '--non-resource-url=/logs/*'],
      ['create', 'clusterrolebinding', 'crb', '--clusterrole=cr', '--group=devs'],
      ['create', 'quota', 'q', '--hard=cpu=1,memory=1G,pods=2', '--scopes=BestEffort'],
      ['create', 'poddisruptionbudget', 'pdb', '--selector=app=web', '--min-available=50%'],
      ['create', 'serviceaccount', 'sa'],
      ['create', 'priorityclass', 'pc', '--value=1000', '--description=high', '--preemption-policy=Never'],
      ['autoscale', 'deployment', 'web', '--min=2', '--max=5', '--cpu-percent=80'],
    ];
    for (const args of commands) {
      await t.test(`kubectl ${args.slice(0, 3).join(' ')}`, async () => {
        const decoded = await capture(args);
        assert.deepEqual(decoded.object, await dryRunJson(args));
      });
    }

    await t.test('kubectl create token: a TokenRequest to the serviceaccount subresource', async () => {
      const decoded = await capture(['create', 'token', 'sa', '--duration=10m', '--audience=api']);
      assert.equal(captured.at(-1)!.path.split('?')[0], '/api/v1/namespaces/default/serviceaccounts/sa/token');
      assert.deepEqual(decoded.object, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { creationTimestamp: null },
        spec: { audiences: ['api'], expirationSeconds: 600 },
        status: { token: '', expirationTimestamp: null },
      });
    });

    await t.test('kubectl auth can-i: a SelfSubjectAccessReview', async () => {
      const before = captured.length;
      await kubectl(['auth', 'can-i', 'list', 'pods', '--namespace=team-a']).catch(() => '');
      const p = captured[before]!;
      assert.equal(p.contentType, 'application/vnd.kubernetes.protobuf');
      const decoded = decodeKubernetesProtobuf(p.body).object;
      assert.equal(decoded.kind, 'SelfSubjectAccessReview');
      assert.deepEqual((decoded.spec as { resourceAttributes: unknown }).resourceAttributes, { namespace: 'team-a', verb: 'list', resource: 'pods' });
    });

    await t.test('kubectl auth whoami: a SelfSubjectReview (authentication.k8s.io/v1, newer than the 1.17 tables)', async () => {
      const decoded = await capture(['auth', 'whoami']);
      assert.deepEqual(decoded.object, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        metadata: { creationTimestamp: null },
        status: { userInfo: {} },
      });
    });
  } finally {
    server.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  }
});
