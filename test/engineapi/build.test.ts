// `docker build` (the real docker CLI, classic builder) and `berth build` against `berth engine`:
// progress as dockerd prints it, cache hits on rebuild, a changed file and a build arg missing
// where seed 003 says, multi-stage builds, identical IDs, errors with lines, and running the image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import tar from 'tar-stream';
import { join, resolve } from 'node:path';
import { request } from 'node:http';
import { EngineProcess, type Result } from './harness.js';
import { canRunContainers } from '../engine/hoststate.js';
import { busyboxArchive } from '../engine/busybox.js';
import { DockerdProcess, dockerdUnavailable } from './dockerd.js';

const skip = canRunContainers();
const eng = new EngineProcess();
const root = mkdtempSync('/tmp/berth-build-api-');
const MAIN = resolve(new URL('.', import.meta.url).pathname, '../../src/cli/main.js');

before(async () => {
  if (skip) return;
  await eng.start();
  await eng.loadBusybox();
});

after(async () => {
  await eng.cleanup();
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function context(files: Record<string, string>): string {
  const dir = join(root, `c${n++}`);
  write(dir, files);
  return dir;
}
function write(dir: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

const build = (args: string[]) => eng.docker(['build', ...args], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 });
const ok = async (args: string[]): Promise<string> => {
  const r = await build(args);
  assert.equal(r.code, 0, `docker build ${args.join(' ')}: ${r.stderr}\n${r.stdout}`);
  return r.stdout;
};
const builtID = (out: string) => /Successfully built ([0-9a-f]{12})/.exec(out)?.[1];
/** The step numbers whose output says " ---> Using cache". */
const cached = (out: string) =>
  out
    .split(/^Step /m)
    .slice(1)
    .filter((s) => s.includes(' ---> Using cache'))
    .map((s) => Number(/^(\d+)\//.exec(s)![1]));

function berth(args: string[]): Promise<Result> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, 'build', '-H', eng.socket, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

const APP = ['FROM busybox', 'WORKDIR /app', 'COPY greeting.txt .', 'ARG WHO=world', 'RUN echo "hello $WHO" > /app/who.txt', 'COPY run.sh /app/', 'CMD ["sh", "/app/run.sh"]'].join('\n');
const APP_FILES = { Dockerfile: APP, 'greeting.txt': 'greetings\n', 'run.sh': 'cat /app/greeting.txt /app/who.txt\n', '.dockerignore': 'secret*\n', 'secret.txt': 'no\n' };

test('docker build, then the image runs; progress as the classic builder prints it', { skip }, async () => {
  const dir = context(APP_FILES);
  const out = await ok(['-t', 'app:1', dir]);
  assert.match(out, /^Sending build context to Docker daemon/m);
  assert.match(out, /^Step 1\/7 : FROM busybox\n ---> [0-9a-f]{12}\nStep 2\/7 : WORKDIR \/app\n ---> [0-9a-f]{12}\n/m);
  assert.match(out, /Step 5\/7 : RUN echo "hello \$WHO" > \/app\/who.txt\n ---> Running in ([0-9a-f]{12})\n ---> Removed intermediate container \1\n ---> [0-9a-f]{12}\n/);
  assert.match(out, /Successfully built [0-9a-f]{12}\nSuccessfully tagged app:1\n/);
  const run = await eng.docker(['run', '--rm', 'app:1']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout, 'greetings\nhello world\n');
  const inspect = JSON.parse((await eng.docker(['image', 'inspect', 'app:1'])).stdout) as { Config: { Cmd: string[]; WorkingDir: string } }[];
  assert.deepEqual(inspect[0]!.Config.Cmd, ['sh', '/app/run.sh']);
  assert.equal(inspect[0]!.Config.WorkingDir, '/app');
  // .dockerignore kept secret.txt out of the context
  const ls = await eng.docker(['run', '--rm', 'app:1', 'ls', '/app']);
  assert.equal(ls.stdout, 'greeting.txt\nrun.sh\nwho.txt\n');
});

test('an unchanged rebuild uses the cache for every step and gives the same ID', { skip }, async () => {
  const dir = context(APP_FILES);
  const a = await ok(['-t', 'app:2', dir]);
  const b = await ok(['-t', 'app:2', dir]);
  assert.deepEqual(cached(b), [2, 3, 4, 5, 6, 7]);
  assert.equal(builtID(b), builtID(a));
  assert.doesNotMatch(b, /Running in/);
  // and with --no-cache, still the same image
  const c = await ok(['--no-cache', '-t', 'app:2', dir]);
  assert.deepEqual(cached(c), []);
  assert.equal(builtID(c), builtID(a));
});

test('a changed file misses from its COPY on; a build arg only from the RUN that sees it', { skip }, async () => {
  const dir = context(APP_FILES);
  await ok(['-t', 'app:3', dir]);
  write(dir, { 'run.sh': 'echo changed\n' });
  assert.deepEqual(cached(await ok(['-t', 'app:3', dir])), [2, 3, 4, 5]);
  assert.deepEqual(cached(await ok(['--build-arg', 'WHO=berth', '-t', 'app:3', dir])), [2, 3, 4]);
  assert.equal((await eng.docker(['run', '--rm', 'app:3', 'cat', '/app/who.txt'])).stdout, 'hello berth\n');
});

test('multi-stage with COPY --from and --target', { skip }, async () => {
  const df = ['FROM busybox AS build', 'COPY src.txt /src.txt', 'RUN rev /src.txt > /out.txt', 'FROM busybox', 'COPY --from=build /out.txt /out.txt', 'CMD ["cat", "/out.txt"]'].join('\n');
  const dir = context({ Dockerfile: df, 'src.txt': 'abc\n' });
  await ok(['-t', 'ms:1', dir]);
  assert.equal((await eng.docker(['run', '--rm', 'ms:1'])).stdout, 'cba\n');
  const t = await ok(['--target', 'build', '-t', 'ms:build', dir]);
  assert.match(t, /Step 3\/3 : RUN rev/);
  assert.equal((await eng.docker(['run', '--rm', 'ms:build', 'cat', '/out.txt'])).stdout, 'cba\n');
});

test('quiet builds print only the image ID', { skip }, async () => {
  const dir = context(APP_FILES);
  const r = await build(['-q', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
});

test('errors: a parse error names its line; a failing RUN stops the build with its code; a missing file', { skip }, async () => {
  const parse = await build(['-t', 'bad:1', context({ Dockerfile: 'FROM busybox\nRUN true\nXYZZY bar\n' })]);
  assert.equal(parse.code, 1);
  assert.match(parse.stderr, /Error response from daemon: dockerfile parse error on line 3: unknown instruction: XYZZY\n/);
  const failing = await build(['-t', 'bad:2', context({ Dockerfile: 'FROM busybox\nRUN echo before; exit 3\nCMD x\n' })]);
  assert.equal(failing.code, 3);
  assert.match(failing.stdout, /before\n/);
  assert.match(failing.stderr, /The command '\/bin\/sh -c echo before; exit 3' returned a non-zero code: 3/);
  assert.notEqual((await eng.docker(['image', 'inspect', 'bad:2'])).code, 0, 'nothing half-built is tagged');
  const missing = await build([context({ Dockerfile: 'FROM busybox\nCOPY secret.txt /\n', '.dockerignore': 'secret.txt\n', 'secret.txt': 'x' })]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /COPY failed: file not found in build context or excluded by \.dockerignore: stat secret\.txt: file does not exist/);
});

test('berth build --explain: hit or miss per step and why; errors point at the Dockerfile line', { skip }, async () => {
  const dir = context(APP_FILES);
  const first = await berth(['-t', 'explain:1', '--explain', dir]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /\[cache\] Step 2\/7: (miss|hit)/);
  write(dir, { 'greeting.txt': 'changed\n' });
  const second = await berth(['-t', 'explain:1', '--explain', '--build-arg', 'WHO=x', dir]);
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /\[cache\] Step 2\/7: hit\n ---> Using cache\n/);
  assert.match(second.stdout, /\[cache\] Step 3\/7: miss: file greeting\.txt changed \(sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}\)\n/);
  assert.match(second.stdout, /\[cache\] Step 5\/7: miss: parent changed \(step 3 missed\)\n/);
  const third = await berth(['-t', 'explain:1', '--explain', '--build-arg', 'WHO=y', dir]);
  assert.match(third.stdout, /\[cache\] Step 4\/7: hit\n/);
  assert.match(third.stdout, /\[cache\] Step 5\/7: miss: build arg WHO changed \("x" -> "y"\)\n/);
  const bad = await berth([context({ Dockerfile: 'FROM busybox\nRUN true\nRUN exit 4\n' })]);
  assert.equal(bad.code, 4);
  assert.match(bad.stderr, /berth build: The command '\/bin\/sh -c exit 4' returned a non-zero code: 4\n --> Dockerfile:3\n/);
  const parse = await berth([context({ Dockerfile: 'FROM busybox\nCOPYY a b\n' })]);
  assert.equal(parse.code, 1);
  assert.match(parse.stderr, /dockerfile parse error on line 2: unknown instruction: COPYY \(did you mean COPY\?\)\n --> Dockerfile:2\n {6}1 \| FROM busybox\n>>> {3}2 \| COPYY a b\n$/);
});

test('POST /build/prune empties the build cache', { skip }, async () => {
  const dir = context(APP_FILES);
  await ok(['-t', 'prune:1', dir]);
  const body = await new Promise<string>((done, fail) => {
    const req = request({ socketPath: eng.socket, path: '/v1.50/build/prune?keep-storage=0', method: 'POST' }, (res) => {
      let b = '';
      res.on('data', (d: Buffer) => (b += d.toString()));
      res.on('end', () => done(b));
    });
    req.on('error', fail);
    req.end();
  });
  const r = JSON.parse(body) as { CachesDeleted: string[] | null; SpaceReclaimed: number };
  assert.ok((r.CachesDeleted ?? []).length > 0);
  assert.deepEqual(cached(await ok(['-t', 'prune:1', dir])), []);
  assert.equal((await eng.docker(['run', '--rm', 'prune:1'])).stdout, 'greetings\nhello world\n', 'tagged images keep their layers');
});

// ---- the same Dockerfile on a real dockerd ------------------------------------------------------

/**
 * The merged filesystem of a `docker save` archive: path -> "type permissions uid:gid content". Times
 * are left out (berth clamps them to the build's epoch), and so are the file-type bits Go's tar
 * writer puts into the mode field (tar-stream keeps only the permissions; the typeflag says the type).
 */
async function savedFilesystem(client: { docker: EngineProcess['docker'] }, ref: string, dir: string): Promise<{ files: Map<string, string>; config: Record<string, unknown> }> {
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `${ref.replace(/[:/]/g, '_')}.tar`);
  const r = await client.docker(['save', '-o', out, ref]);
  assert.equal(r.code, 0, r.stderr);
  const unpack = join(dir, `${ref.replace(/[:/]/g, '_')}-x`);
  mkdirSync(unpack, { recursive: true });
  execFileSync('tar', ['-xf', out, '-C', unpack]);
  const manifest = JSON.parse(readFileSync(join(unpack, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];
  const config = JSON.parse(readFileSync(join(unpack, manifest[0]!.Config), 'utf8')) as { config: Record<string, unknown> };
  const files = new Map<string, string>();
  for (const layer of manifest[0]!.Layers) {
    const ex = tar.extract();
    const done = new Promise<void>((resolveP, reject) => {
      ex.on('entry', (h, s, next) => {
        const parts: Buffer[] = [];
        s.on('data', (d: unknown) => void parts.push(d as Buffer));
        s.on('end', () => {
          const name = h.name.replace(/^\.\//, '').replace(/\/$/, '');
          const base = name.split('/').pop()!;
          if (base === '.wh..wh..opq') {
            const d = name.slice(0, -base.length - 1);
            for (const k of [...files.keys()]) if (k.startsWith(d + '/')) files.delete(k);
          } else if (base.startsWith('.wh.')) {
            const gone = name.replace(/\.wh\.([^/]*)$/, '$1');
            for (const k of [...files.keys()]) if (k === gone || k.startsWith(gone + '/')) files.delete(k);
          } else if (name) {
            files.set(name, `${h.type} ${((h.mode ?? 0) & 0o7777).toString(8)} ${h.uid}:${h.gid} ${h.type === 'symlink' || h.type === 'link' ? h.linkname : Buffer.concat(parts).toString('base64')}`);
          }
          next();
        });
      });
      ex.on('finish', () => resolveP());
      ex.on('error', reject);
    });
    createReadStream(join(unpack, layer)).pipe(ex);
    await done;
  }
  return { files, config: config.config };
}

test('the same Dockerfile built by dockerd gives the same filesystem and config', { skip: skip ?? dockerdUnavailable() }, async () => {
  const df = [
    'FROM busybox',
    'LABEL org.example.name=compare version="1.0"',
    'ENV APP_HOME=/srv/app MODE=test',
    'WORKDIR $APP_HOME',
    'COPY data/ ./data/',
    'COPY --chown=nobody:nogroup owned.txt /srv/owned.txt',
    'ARG LEVEL=3',
    'RUN mkdir -p /var/lib/thing && echo "level $LEVEL" > /var/lib/thing/level && chmod 0600 /var/lib/thing/level && rm /etc/group && ln -s /srv/app/data/a.txt /link',
    'RUN rm -rf /var/www && mkdir -p /var/www && echo fresh > /var/www/index.html',
    'EXPOSE 8080 9090/udp',
    'USER nobody',
    'ENTRYPOINT ["/bin/sh", "-c"]',
    'CMD ["cat /srv/app/data/a.txt"]',
  ].join('\n');
  const dir = context({ Dockerfile: df, 'data/a.txt': 'A\n', 'data/sub/b.txt': 'B\n', 'owned.txt': 'mine\n' });
  execFileSync('chmod', ['0750', join(dir, 'data/sub')]);
  const dockerd = new DockerdProcess();
  try {
    await dockerd.start();
    const bb = join(root, 'busybox.tar');
    writeFileSync(bb, await busyboxArchive());
    assert.equal((await dockerd.docker(['load', '-i', bb])).code, 0);
    const ref = await dockerd.docker(['build', '-t', 'cmp:1', dir], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 180_000 });
    assert.equal(ref.code, 0, ref.stderr + ref.stdout);
    await ok(['-t', 'cmp:1', dir]);
    const theirs = await savedFilesystem(dockerd, 'cmp:1', join(root, 'dockerd'));
    const ours = await savedFilesystem(eng, 'cmp:1', join(root, 'berth'));
    const diff: string[] = [];
    for (const k of new Set([...theirs.files.keys(), ...ours.files.keys()])) {
      if (theirs.files.get(k) !== ours.files.get(k)) diff.push(`${k}: dockerd ${theirs.files.get(k)?.slice(0, 40)} berth ${ours.files.get(k)?.slice(0, 40)}`);
    }
    assert.deepEqual(diff, []);
    for (const key of ['Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'ExposedPorts', 'Labels']) {
      assert.deepEqual(ours.config[key] ?? null, theirs.config[key] ?? null, key);
    }
  } finally {
    await dockerd.cleanup();
  }
});
