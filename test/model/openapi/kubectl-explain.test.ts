// The real kubectl reads our OpenAPI v3 documents: `kubectl explain` resolves the kind through
// discovery, fetches /openapi/v3, follows the hash-pinned URL of the group/version and renders the
// schema with its own templates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeServer, type FakeServer } from './fake-apiserver.js';

function findKubectl(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const p = join(dir, 'kubectl');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function kubectl(bin: string, server: FakeServer, home: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  const kubeconfig = join(home, 'config');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: berth\n  cluster:\n    server: ${server.url}\ncontexts:\n- name: berth\n  context:\n    cluster: berth\n    user: berth\ncurrent-context: berth\nusers:\n- name: berth\n  user: {}\n`,
  );
  return new Promise((resolve) => {
    execFile(
      bin,
      [...args, '--kubeconfig', kubeconfig, '--cache-dir', join(home, 'cache')],
      { env: { PATH: process.env.PATH ?? '', HOME: home }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}

const bin = findKubectl();

test('kubectl explain reads the v3 documents', async (t) => {
  if (!bin) {
    t.skip('kubectl is not on PATH');
    return;
  }
  const server = await startFakeServer();
  const home = mkdtempSync(join(tmpdir(), 'berth-kubectl-'));
  try {
    await t.test('deployment.spec.strategy --recursive', async () => {
      const r = await kubectl(bin, server, home, ['explain', 'deployment.spec.strategy', '--recursive']);
      console.log(r.stdout + r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^GROUP:\s+apps$/m);
      assert.match(r.stdout, /^KIND:\s+Deployment$/m);
      assert.match(r.stdout, /^VERSION:\s+v1$/m);
      assert.match(r.stdout, /^FIELD: strategy <DeploymentStrategy>$/m);
      assert.match(r.stdout, /The deployment strategy to use to replace existing pods with new ones\./);
      assert.match(r.stdout, /^\s+rollingUpdate\s+<RollingUpdateDeployment>$/m);
      assert.match(r.stdout, /^\s+maxSurge\s+<IntOrString>$/m);
      assert.match(r.stdout, /^\s+maxUnavailable\s+<IntOrString>$/m);
      assert.match(r.stdout, /^\s+type\s+<string>$/m);
      // It went through the v3 root and the hash-pinned group/version document.
      assert.ok(server.requests.some((p) => p.split('?')[0] === '/openapi/v3'), server.requests.join('\n'));
      assert.ok(server.requests.some((p) => /^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}(&|$)/.test(p)), server.requests.join('\n'));
    });

    await t.test('deployments.spec.template.spec.containers.ports', async () => {
      const r = await kubectl(bin, server, home, ['explain', 'deployments.spec.template.spec.containers.ports']);
      console.log(r.stdout + r.stderr);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^FIELD: ports <\[\]ContainerPort>$/m);
      assert.match(r.stdout, /List of ports to expose from the container\./);
      assert.match(r.stdout, /^\s+containerPort\s+<integer> -required-$/m);
      assert.match(r.stdout, /^\s+protocol\s+<string>$/m);
    });

    await t.test('a core kind: pod.spec.volumes.configMap.items', async () => {
      const r = await kubectl(bin, server, home, ['explain', 'pod.spec.volumes.configMap.items']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^KIND:\s+Pod$/m);
      assert.match(r.stdout, /^FIELD: items <\[\]KeyToPath>$/m);
      assert.match(r.stdout, /^\s+key\s+<string> -required-$/m);
    });

    await t.test('kubectl apply --validate=strict finds server-side field validation in the v3 document', async () => {
      // When the PATCH operation lists fieldValidation, kubectl leaves unknown fields to the server
      // (and a client dry run passes); otherwise it would validate client-side against /openapi/v2.
      const manifest = join(home, 'deployment.yaml');
      writeFileSync(
        manifest,
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: default\nspec:\n  replicaz: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx\n',
      );
      const before = server.requests.length;
      const r = await kubectl(bin, server, home, ['apply', '--dry-run=client', '--validate=strict', '-f', manifest]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /deployment\.apps\/web created \(dry run\)/);
      const asked = server.requests.slice(before).map((p) => p.split('?')[0]);
      assert.ok(!asked.includes('/openapi/v2'), asked.join('\n'));
    });

    await t.test('an unknown field is refused as upstream refuses it', async () => {
      const r = await kubectl(bin, server, home, ['explain', 'deployment.spec.replicaz']);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /field "replicaz" does not exist/);
    });
  } finally {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }
});
