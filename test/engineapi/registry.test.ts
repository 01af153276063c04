// docker push, pull, tag, login and run with the real docker CLI against `berth engine`, and Debian's
// registry (docker-registry 2.8) on loopback; skopeo reads what berth pushed and berth pulls what
// skopeo pushed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { EngineProcess } from './harness.js';
import { haveBusybox } from '../engine/busybox.js';
import { RegistryProcess, registryUnavailable, rootUnavailable } from '../engine/registry/registryd.js';
import { ISSUER, SERVICE, TokenServer } from '../engine/registry/tokenserver.js';

const skip = rootUnavailable() ?? registryUnavailable() ?? (haveBusybox() ? undefined : 'busybox-static not installed');
const SKOPEO = '/usr/bin/skopeo';

let engine: EngineProcess;
let reg: RegistryProcess;

before(async () => {
  if (skip) return;
  reg = await RegistryProcess.start();
  engine = new EngineProcess();
  await engine.start();
  await engine.loadBusybox();
});

after(async () => {
  if (skip) return;
  await engine?.cleanup();
  await reg?.stop();
});

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

test('docker push, rmi, pull and run through berth against a real registry', async (t) => {
  if (skip) return t.skip(skip);
  const name = `${reg.host}/x/bb:1`;
  assert.equal((await engine.docker(['tag', 'busybox', name])).code, 0);
  const pushed = await engine.docker(['push', name]);
  assert.equal(pushed.code, 0, pushed.stderr + engine.log);
  assert.match(pushed.stdout, new RegExp(`The push refers to repository \\[${reg.host}/x/bb\\]`));
  assert.match(pushed.stdout, /: Pushed/);
  const m = /1: digest: (sha256:[a-f0-9]{64}) size: (\d+)/.exec(pushed.stdout);
  assert.ok(m, pushed.stdout);

  // pushing again finds every layer there
  const again = await engine.docker(['push', name]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /Layer already exists/);
  assert.ok(again.stdout.includes(`1: digest: ${m[1]} size: ${m[2]}`));

  // the registry has exactly what was announced
  const res = await fetch(`http://${reg.host}/v2/x/bb/manifests/1`, { headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' } });
  assert.equal(res.headers.get('docker-content-digest'), m[1]);
  const man = (await res.json()) as { config: { digest: string }; layers: { mediaType: string }[] };
  const id = (await engine.docker(['image', 'inspect', '--format', '{{.Id}}', 'busybox'])).stdout.trim();
  assert.equal(man.config.digest, id);
  assert.equal(man.layers[0]!.mediaType, 'application/vnd.docker.image.rootfs.diff.tar.gzip');

  assert.equal((await engine.docker(['rmi', name])).code, 0);
  assert.equal((await engine.docker(['rmi', 'busybox'])).code, 0);
  const pulled = await engine.docker(['pull', name]);
  assert.equal(pulled.code, 0, pulled.stderr + engine.log);
  assert.match(pulled.stdout, /1: Pulling from x\/bb/);
  assert.match(pulled.stdout, /Pull complete/);
  assert.ok(pulled.stdout.includes(`Digest: ${m[1]}`), pulled.stdout);
  assert.ok(pulled.stdout.includes(`Status: Downloaded newer image for ${name}`), pulled.stdout);
  assert.equal((await engine.docker(['image', 'inspect', '--format', '{{.Id}}', name])).stdout.trim(), id);
  const digests = (await engine.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', name])).stdout.trim();
  assert.deepEqual(JSON.parse(digests), [`${reg.host}/x/bb@${m[1]}`]);

  const up = await engine.docker(['pull', name]);
  assert.ok(up.stdout.includes(`Status: Image is up to date for ${name}`), up.stdout);

  const ran = await engine.docker(['run', '--rm', '--network', 'none', name, 'echo', 'hello from the registry']);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout.trim(), 'hello from the registry');

  // by digest, into a fresh name
  assert.equal((await engine.docker(['rmi', name])).code, 0);
  const byDigest = await engine.docker(['pull', `${reg.host}/x/bb@${m[1]}`]);
  assert.equal(byDigest.code, 0, byDigest.stderr);
  assert.ok(byDigest.stdout.includes(`${reg.host}/x/bb@${m[1]}: Pulling from x/bb`), byDigest.stdout);
  assert.equal((await engine.docker(['image', 'inspect', '--format', '{{.Id}}', `${reg.host}/x/bb@${m[1]}`])).stdout.trim(), id);
  await engine.docker(['tag', id, 'busybox']);
});

test('pull errors in dockerd words: unknown tag, unknown repository, unreachable registry', async (t) => {
  if (skip) return t.skip(skip);
  const tag = await engine.docker(['pull', `${reg.host}/x/bb:nope`]);
  assert.equal(tag.code, 1);
  assert.match(tag.stderr, new RegExp(`Error response from daemon: manifest for ${reg.host}/x/bb:nope not found: manifest unknown: manifest unknown`));
  const repo = await engine.docker(['pull', `${reg.host}/no/such:1`]);
  assert.equal(repo.code, 1);
  assert.match(repo.stderr, /Error response from daemon: (manifest for .*no\/such:1 not found: manifest unknown|repository .*no\/such not found: name unknown)/);
  const down = await engine.docker(['pull', '127.0.0.1:1/x/bb:1']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /Error response from daemon: Get "http:\/\/127\.0\.0\.1:1\/v2\/": dial tcp 127\.0\.0\.1:1: connect: connection refused/);
  const push = await engine.docker(['push', `${reg.host}/not/here:1`]);
  assert.equal(push.code, 1);
  assert.match(push.stdout + push.stderr, /An image does not exist locally with the tag: 127\.0\.0\.1:\d+\/not\/here/);
});

test('skopeo reads what berth pushed; berth pulls what skopeo pushed', async (t) => {
  if (skip) return t.skip(skip);
  if (!existsSync(SKOPEO)) return t.skip('skopeo not installed');
  const name = `${reg.host}/interop/bb:v1`;
  await engine.docker(['tag', 'busybox', name]);
  const pushed = await engine.docker(['push', name]);
  assert.equal(pushed.code, 0, pushed.stderr);
  const inspect = await run(SKOPEO, ['inspect', '--tls-verify=false', `docker://${name}`]);
  assert.equal(inspect.code, 0, inspect.stderr);
  const info = JSON.parse(inspect.stdout) as { Digest: string; Architecture: string; Os: string; Layers: string[] };
  assert.equal(info.Os, 'linux');
  assert.equal(info.Architecture, 'amd64');
  assert.ok(pushed.stdout.includes(`digest: ${info.Digest}`));
  const copied = await run(SKOPEO, ['copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${name}`, `docker://${reg.host}/interop/copy:v2`]);
  assert.equal(copied.code, 0, copied.stderr);
  const pulled = await engine.docker(['pull', `${reg.host}/interop/copy:v2`]);
  assert.equal(pulled.code, 0, pulled.stderr);
  const ran = await engine.docker(['run', '--rm', '--network', 'none', `${reg.host}/interop/copy:v2`, 'true']);
  assert.equal(ran.code, 0, ran.stderr);
});

test('docker login, then push to a registry with Basic auth (htpasswd)', async (t) => {
  if (skip) return t.skip(skip);
  const basic = await RegistryProcess.start({ htpasswd: { user: 'alice', password: 's3cret' } });
  try {
    const name = `${basic.host}/team/bb:1`;
    await engine.docker(['tag', 'busybox', name]);
    const anon = await engine.docker(['push', name]);
    assert.equal(anon.code, 1);
    assert.match(anon.stdout + anon.stderr, /no basic auth credentials/);
    const bad = await engine.docker(['login', basic.host, '-u', 'alice', '--password-stdin'], { input: 'wrong\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`login attempt to http://${basic.host}/v2/ failed with status: 401 Unauthorized`));
    const good = await engine.docker(['login', basic.host, '-u', 'alice', '--password-stdin'], { input: 's3cret\n' });
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /Login Succeeded/);
    const pushed = await engine.docker(['push', name]);
    assert.equal(pushed.code, 0, pushed.stderr + pushed.stdout);
    assert.match(pushed.stdout, /1: digest: sha256:/);
    await engine.docker(['rmi', name]);
    const pulled = await engine.docker(['pull', name]);
    assert.equal(pulled.code, 0, pulled.stderr);
    await engine.docker(['logout', basic.host]);
  } finally {
    await basic.stop();
  }
});

test('docker login and push through the Bearer token flow', async (t) => {
  if (skip) return t.skip(skip);
  const tokens = await TokenServer.start(engine.dir, { bob: 'hunter2' });
  const tok = await RegistryProcess.start({ token: { realm: tokens.realm, service: SERVICE, issuer: ISSUER, certFile: tokens.certFile } });
  try {
    const name = `${tok.host}/bob/bb:1`;
    await engine.docker(['tag', 'busybox', name]);
    const anon = await engine.docker(['push', name]);
    assert.equal(anon.code, 1);
    assert.match(anon.stdout + anon.stderr, /unauthorized: authentication required/);
    const bad = await engine.docker(['login', tok.host, '-u', 'bob', '--password-stdin'], { input: 'nope\n' });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`Get "http://${tok.host}/v2/": unauthorized: incorrect username or password`));
    const good = await engine.docker(['login', tok.host, '-u', 'bob', '--password-stdin'], { input: 'hunter2\n' });
    assert.equal(good.code, 0, good.stderr);
    const pushed = await engine.docker(['push', name]);
    assert.equal(pushed.code, 0, pushed.stderr + pushed.stdout);
    const granted = tokens.requests.filter((r) => r.authorized);
    assert.ok(granted.some((r) => r.scopes.includes('repository:bob/bb:pull,push')), JSON.stringify(tokens.requests));
    await engine.docker(['rmi', name]);
    const pulled = await engine.docker(['pull', name]);
    assert.equal(pulled.code, 0, pulled.stderr);
    // anonymous pull gets a token without access: the registry refuses
    await engine.docker(['logout', tok.host]);
    await engine.docker(['rmi', name]);
    const denied = await engine.docker(['pull', name]);
    assert.equal(denied.code, 1);
    assert.match(denied.stderr, /unauthorized: authentication required/);
  } finally {
    await tok.stop();
    await tokens.close();
  }
});

test('berth pull and berth push print the same progress the docker CLI shows', async (t) => {
  if (skip) return t.skip(skip);
  const MAIN = join(new URL('.', import.meta.url).pathname, '../../src/cli/main.js');
  const name = `${reg.host}/cli/bb:1`;
  await engine.docker(['tag', 'busybox', name]);
  const pushed = await run(process.execPath, [MAIN, 'push', '--host', `unix://${engine.socket}`, name]);
  assert.equal(pushed.code, 0, pushed.stderr);
  assert.match(pushed.stdout, /The push refers to repository \[127\.0\.0\.1:\d+\/cli\/bb\]\n[0-9a-f]{12}: Preparing\n/);
  assert.match(pushed.stdout, /1: digest: sha256:[0-9a-f]{64} size: \d+/);
  await engine.docker(['rmi', name]);
  const pulled = await run(process.execPath, [MAIN, 'pull', '--host', `unix://${engine.socket}`, name]);
  assert.equal(pulled.code, 0, pulled.stderr);
  assert.match(pulled.stdout, /1: Pulling from cli\/bb\n/);
  assert.ok(pulled.stdout.includes(`Status: Downloaded newer image for ${name}`), pulled.stdout);
  const missing = await run(process.execPath, [MAIN, 'pull', '--host', `unix://${engine.socket}`, `${reg.host}/cli/bb:nope`]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /manifest for .*cli\/bb:nope not found: manifest unknown: manifest unknown/);
});

test('X-Registry-Auth that is not base64 JSON is a 400', async (t) => {
  if (skip) return t.skip(skip);
  writeFileSync(join(engine.dir, 'x'), '');
  const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--unix-socket', engine.socket, '-X', 'POST', '-H', 'X-Registry-Auth: !!!notjson', `http://d/images/create?fromImage=${reg.host}/x/bb&tag=1`]);
  assert.equal(r.stdout, '400');
});
