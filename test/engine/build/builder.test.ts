// The builder against a real engine (runc, overlayfs): seed 003's cache rules, each asserted on
// the explanation output, plus determinism, multi-stage builds, layers and failures.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { Engine } from '../../../src/engine/engine.js';
import { Builder, type BuildOptions } from '../../../src/engine/build/builder.js';
import { BuildContext } from '../../../src/engine/build/context.js';
import { loadBusybox } from '../busybox.js';
import { canRunContainers } from '../hoststate.js';

const skip = canRunContainers();
const root = mkdtempSync('/tmp/berth-build-test-');

interface Env {
  engine: Engine;
  builder: Builder;
}

async function newEngine(name: string): Promise<Env> {
  const engine = await Engine.open({ dataDir: join(root, name) });
  await loadBusybox(engine);
  const builder = new Builder(engine);
  return { engine, builder };
}

let ctxN = 0;
function contextDir(files: Record<string, string>): string {
  const dir = join(root, `ctx-${ctxN++}`);
  mkdirSync(dir, { recursive: true });
  writeFiles(dir, files);
  return dir;
}
function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [p, c] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), c);
  }
}

interface Built {
  id: string;
  out: string;
  /** per step number: "hit" or the miss reason */
  explain: Map<number, string>;
}

async function build(env: Env, dir: string, o: Partial<BuildOptions> & { args?: Record<string, string> } = {}): Promise<Built> {
  let out = '';
  const r = await env.builder.build(
    BuildContext.fromDir(dir),
    { dockerfile: 'Dockerfile', tags: ['test:latest'], buildArgs: new Map(Object.entries(o.args ?? {})), noCache: false, target: '', labels: {}, platform: '', explain: true, aux: true, ...o },
    (m) => (out += m.stream ?? ''),
  );
  const explain = new Map<number, string>();
  for (const m of out.matchAll(/^\[cache\] Step (\d+)\/\d+: (.*)$/gm)) explain.set(Number(m[1]), m[2]!);
  return { id: r.imageID, out, explain };
}

const hits = (b: Built) => [...b.explain].filter(([, v]) => v === 'hit').map(([k]) => k);
const misses = (b: Built) => [...b.explain].filter(([, v]) => v !== 'hit').map(([k]) => k);

/** The files of an image (path -> mode owner content) through a container-less read of its layers. */
async function imageFiles(env: Env, ref: string): Promise<Map<string, string>> {
  const { saveImages } = await import('../../../src/engine/archive.js');
  const chunks: Buffer[] = [];
  const { Writable } = await import('node:stream');
  await saveImages({ content: env.engine.content, layers: env.engine.layers, images: env.engine.images, event: () => {} }, [ref], new Writable({ write: (c, _e, cb) => (chunks.push(c as Buffer), cb()) }));
  const img = env.engine.images.get(ref);
  const files = new Map<string, string>();
  const archive = Buffer.concat(chunks);
  const blobs = new Map<string, Buffer>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, s, next) => {
      const parts: Buffer[] = [];
      s.on('data', (d: unknown) => void parts.push(d as Buffer));
      s.on('end', () => {
        blobs.set(h.name, Buffer.concat(parts));
        next();
      });
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(archive);
  await done;
  for (const l of img.layers) {
    const layer = blobs.get(`blobs/sha256/${l.diffID.slice(7)}`)!;
    const lx = tar.extract();
    const ld = new Promise<void>((resolve, reject) => {
      lx.on('entry', (h, s, next) => {
        const parts: Buffer[] = [];
        s.on('data', (d: unknown) => void parts.push(d as Buffer));
        s.on('end', () => {
          const name = h.name.replace(/\/$/, '');
          const base = name.split('/').pop()!;
          if (base.startsWith('.wh.')) files.delete(name.replace(/\.wh\.([^/]*)$/, '$1'));
          else files.set(name, `${h.type} ${(h.mode ?? 0).toString(8)} ${h.uid}:${h.gid} ${h.mtime?.toISOString()} ${h.type === 'symlink' ? h.linkname : Buffer.concat(parts).toString()}`);
          next();
        });
      });
      lx.on('finish', resolve);
      lx.on('error', reject);
    });
    lx.end(layer);
    await ld;
  }
  return files;
}

let A: Env;
let B: Env;

before(async () => {
  if (skip) return;
  A = await newEngine('a');
  B = await newEngine('b');
});

after(() => {
  A?.engine.close();
  B?.engine.close();
  rmSync(root, { recursive: true, force: true });
});

const DOCKERFILE = [
  'FROM busybox', //                               1
  'WORKDIR /app', //                               2
  'COPY config.txt ./', //                         3
  'RUN cat config.txt > /built.txt', //            4
  'ARG VERSION=1', //                              5
  'RUN echo plain > /plain.txt', //                6 (does not read VERSION, but sees it: in scope)
  'COPY src/ /src/', //                            7
  'RUN echo "v=$VERSION" > /version.txt', //       8
  'ENV MODE=prod', //                              9
  'CMD ["cat", "/version.txt"]', //               10
].join('\n');

test('a first build misses everywhere; an unchanged rebuild hits every step with the same ID', { skip }, async () => {
  const dir = contextDir({ Dockerfile: DOCKERFILE, 'config.txt': 'c1\n', 'src/main.txt': 'main\n' });
  const first = await build(A, dir);
  assert.deepEqual(misses(first), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(first.explain.get(2), 'miss: no earlier build of this step');
  assert.match(first.explain.get(3)!, /^miss: parent changed \(step 2 missed\)$/);
  const again = await build(A, dir);
  assert.deepEqual(hits(again), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal((again.out.match(/ ---> Using cache/g) ?? []).length, 9);
  assert.equal(again.id, first.id);
  assert.doesNotMatch(again.out, /Running in/);
});

test('touching one copied file misses from that COPY on and nowhere earlier', { skip }, async () => {
  const dir = contextDir({ Dockerfile: DOCKERFILE, 'config.txt': 'c1\n', 'src/main.txt': 'main\n' });
  const base = await build(A, dir);
  writeFiles(dir, { 'src/main.txt': 'main changed\n' });
  const b = await build(A, dir);
  assert.deepEqual(hits(b), [2, 3, 4, 5, 6]);
  assert.match(b.explain.get(7)!, /^miss: file src\/main\.txt changed \(sha256:[0-9a-f]{12} -> sha256:[0-9a-f]{12}\)$/);
  assert.equal(b.explain.get(8), 'miss: parent changed (step 7 missed)');
  assert.notEqual(b.id, base.id);
  // the same content again: the old chain is still cached
  writeFiles(dir, { 'src/main.txt': 'main\n' });
  assert.equal((await build(A, dir)).id, base.id);
});

test('a file added to a copied directory, and a changed mode, are key changes', { skip }, async () => {
  const dir = contextDir({ Dockerfile: DOCKERFILE, 'config.txt': 'c1\n', 'src/main.txt': 'main\n' });
  await build(A, dir);
  writeFiles(dir, { 'src/extra.txt': 'x\n' });
  assert.equal((await build(A, dir)).explain.get(7), 'miss: file src/extra.txt added');
  execFileSync('chmod', ['0600', join(dir, 'src/extra.txt')]);
  assert.match((await build(A, dir)).explain.get(7)!, /^miss: file src\/extra\.txt changed/);
});

test('changing a build arg misses only the RUN steps that see it', { skip }, async () => {
  const dir = contextDir({ Dockerfile: DOCKERFILE, 'config.txt': 'c1\n', 'src/main.txt': 'main\n' });
  await build(A, dir, { args: { VERSION: '1' } });
  const b = await build(A, dir, { args: { VERSION: '2' } });
  // steps before the ARG and the ARG itself hit; the first RUN in its scope misses for the arg
  assert.deepEqual(hits(b), [2, 3, 4, 5]);
  assert.equal(b.explain.get(6), 'miss: build arg VERSION changed ("1" -> "2")');
  assert.equal(b.explain.get(7), 'miss: parent changed (step 6 missed)');
  const files = await imageFiles(A, 'test:latest');
  assert.match(files.get('version.txt')!, /v=2\n$/);
  // an arg nothing declares is not part of any key, and is reported unused
  const c = await build(A, dir, { args: { VERSION: '2', UNUSED: 'x' } });
  assert.deepEqual(misses(c), []);
  assert.match(c.out, /\[Warning\] One or more build-args \[UNUSED\] were not consumed/);
});

test('ARG before FROM reaches FROM only; a RUN before the ARG is untouched by it', { skip }, async () => {
  const dir = contextDir({
    Dockerfile: ['ARG BASE=busybox', 'FROM $BASE', 'RUN echo "[$BASE]" > /early.txt', 'ARG BASE', 'ARG X=1', 'RUN echo "$BASE $X" > /late.txt'].join('\n'),
  });
  await build(A, dir);
  const files = await imageFiles(A, 'test:latest');
  assert.match(files.get('early.txt')!, /\[\]\n$/);
  assert.match(files.get('late.txt')!, /busybox 1\n$/);
  const b = await build(A, dir, { args: { X: '2' } });
  assert.equal(b.explain.get(3), 'hit');
  assert.equal(b.explain.get(6), 'miss: build arg X changed ("1" -> "2")');
});

test('multi-stage: COPY --from misses only when the copied content changes; other stages keep their caches', { skip }, async () => {
  const df = [
    'FROM busybox AS builder', //                      1
    'COPY app.txt /src/app.txt', //                    2
    'RUN tr a-z A-Z < /src/app.txt > /out.txt', //     3
    'COPY notes.txt /notes.txt', //                    4
    'FROM busybox AS unused', //                       (skipped)
    'RUN exit 1',
    'FROM busybox', //                                 5
    'RUN echo final > /final.txt', //                  6
    'COPY --from=builder /out.txt /app/out.txt', //    7
    'CMD ["cat", "/app/out.txt"]', //                  8
  ].join('\n');
  const dir = contextDir({ Dockerfile: df, 'app.txt': 'hello\n', 'notes.txt': 'n1\n' });
  const first = await build(A, dir);
  assert.doesNotMatch(first.out, /exit 1/, 'the unused stage is skipped');
  assert.match(first.out, /Step 8\/8 : CMD/);
  // a change in the builder stage that does not change /out.txt
  writeFiles(dir, { 'notes.txt': 'n2\n' });
  const b = await build(A, dir);
  assert.deepEqual(hits(b), [2, 3, 6, 7, 8]);
  assert.match(b.explain.get(4)!, /^miss: file notes\.txt changed/);
  assert.equal(b.id, first.id, 'the final image is the same');
  // a change that does change it
  writeFiles(dir, { 'app.txt': 'world\n' });
  const c = await build(A, dir);
  assert.match(c.explain.get(2)!, /^miss: file app\.txt changed/);
  assert.equal(c.explain.get(6), 'hit', 'the final stage before the COPY --from is untouched');
  assert.match(c.explain.get(7)!, /^miss: file out\.txt changed/);
  const files = await imageFiles(A, 'test:latest');
  assert.match(files.get('app/out.txt')!, /WORLD\n$/);
  // --target builds the named stage
  const t = await build(A, dir, { target: 'builder', tags: ['test:builder'] });
  assert.match(t.out, /Step 4\/4 : COPY notes.txt/);
  assert.ok((await imageFiles(A, 'test:builder')).has('out.txt'));
});

test('--no-cache misses everywhere and still gives the same image', { skip }, async () => {
  const dir = contextDir({ Dockerfile: DOCKERFILE, 'config.txt': 'c1\n', 'src/main.txt': 'main\n' });
  const a = await build(A, dir);
  const b = await build(A, dir, { noCache: true });
  assert.deepEqual(hits(b), []);
  assert.equal(b.explain.get(2), 'miss: --no-cache');
  assert.equal(b.id, a.id);
});

test('identical inputs on two engines give identical image IDs (DET-1)', { skip }, async () => {
  const files = { Dockerfile: DOCKERFILE + '\nRUN mkdir -p /d/e && echo x > /d/e/f && rm /app/config.txt', 'config.txt': 'c1\n', 'src/main.txt': 'main\n' };
  const a = await build(A, contextDir(files), { noCache: true });
  const b = await build(B, contextDir(files));
  assert.equal(a.id, b.id);
  assert.deepEqual(A.engine.images.get(a.id).config, B.engine.images.get(b.id).config);
});

test('the image: config from the instructions, history, layers with whiteouts, clamped times', { skip }, async () => {
  const df = [
    'FROM busybox',
    'LABEL a=1 "b c"="d e"',
    'ENV P=/x Q="y z"',
    'ENV R=$P/r',
    'EXPOSE 80 53/udp',
    'USER nobody',
    'USER root',
    'VOLUME /data',
    'STOPSIGNAL SIGTERM',
    'HEALTHCHECK --interval=30s --retries=3 CMD true',
    'ENTRYPOINT ["/bin/sh", "-c"]',
    'COPY --chown=nobody:nogroup --chmod=0640 f.txt /etc/f.txt',
    'RUN rm /etc/group && mkdir /empty && true',
    'RUN true',
    'WORKDIR /w/x',
  ].join('\n');
  const dir = contextDir({ Dockerfile: df, 'f.txt': 'file\n' });
  const b = await build(A, dir);
  const img = A.engine.images.get(b.id);
  const c = img.config.config!;
  assert.deepEqual(c.Labels, { a: '1', 'b c': 'd e' });
  assert.deepEqual(c.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'P=/x', 'Q=y z', 'R=/x/r']);
  assert.deepEqual(c.ExposedPorts, { '53/udp': {}, '80/tcp': {} });
  assert.equal(c.User, 'root');
  assert.deepEqual(c.Volumes, { '/data': {} });
  assert.equal(c.StopSignal, 'SIGTERM');
  assert.deepEqual(c.Healthcheck, { Test: ['CMD-SHELL', 'true'], Interval: 30e9, Retries: 3 });
  assert.deepEqual(c.Entrypoint, ['/bin/sh', '-c']);
  assert.equal(c.Cmd, null, 'ENTRYPOINT resets an inherited CMD');
  assert.equal(c.WorkingDir, '/w/x');
  const hist = img.config.history!.slice(1);
  assert.deepEqual(hist.map((h) => h.created_by), [
    '/bin/sh -c #(nop)  LABEL a=1 b c=d e',
    '/bin/sh -c #(nop)  ENV P=/x Q=y z',
    '/bin/sh -c #(nop)  ENV R=/x/r',
    '/bin/sh -c #(nop)  EXPOSE 53/udp 80',
    '/bin/sh -c #(nop)  USER nobody',
    '/bin/sh -c #(nop)  USER root',
    '/bin/sh -c #(nop)  VOLUME [/data]',
    '/bin/sh -c #(nop)  STOPSIGNAL SIGTERM',
    `/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "true"] "30s" "0s" "0s" "0s" '\\x03'}`,
    '/bin/sh -c #(nop)  ENTRYPOINT ["/bin/sh" "-c"]',
    hist[10]!.created_by!,
    '/bin/sh -c rm /etc/group && mkdir /empty && true',
    '/bin/sh -c true',
    '/bin/sh -c #(nop) WORKDIR /w/x',
  ]);
  assert.match(hist[10]!.created_by!, /^\/bin\/sh -c #\(nop\) COPY --chown=nobody:nogroup file:[0-9a-f]{64} in \/etc\/f\.txt $/);
  assert.deepEqual(hist.map((h) => !!h.empty_layer), [true, true, true, true, true, true, true, true, true, true, false, false, true, false]);
  assert.equal(img.config.rootfs!.diff_ids!.length, 4, 'busybox + COPY + RUN + WORKDIR');
  assert.ok(hist.every((h) => h.created === '2024-01-01T00:00:00Z'));
  const files = await imageFiles(A, b.id);
  assert.equal(files.get('etc/f.txt'), 'file 640 65534:65534 2024-01-01T00:00:00.000Z file\n');
  assert.equal(files.has('etc/group'), false, 'the whiteout removed it');
  assert.match(files.get('empty')!, /^directory 755 0:0 2024-01-01T00:00:00.000Z/);
  assert.match(files.get('w/x')!, /^directory 755 0:0/);
});

test('FROM scratch: COPY --from an image, RUN without a shell; runc mount points are not changes', { skip }, async () => {
  const df = ['FROM scratch', 'COPY --from=busybox /bin/busybox /bin/busybox', 'RUN ["/bin/busybox", "touch", "/made"]', 'CMD ["/bin/busybox", "ls", "/"]'].join('\n');
  const b = await build(A, contextDir({ Dockerfile: df }));
  const files = await imageFiles(A, b.id);
  assert.deepEqual([...files.keys()].sort(), ['bin', 'bin/busybox', 'made']);
  const img = A.engine.images.get(b.id);
  assert.equal(img.config.created, '1970-01-01T00:00:00Z', 'scratch: the epoch');
  assert.deepEqual(img.config.config!.Env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
});

test('RUN in exec form, with SHELL, heredocs and a shebang script', { skip }, async () => {
  const df = [
    'FROM busybox',
    'RUN ["/bin/sh", "-c", "echo exec > /exec.txt"]',
    'SHELL ["/bin/sh", "-ec"]',
    'RUN <<EOF',
    'echo one > /h1.txt',
    'echo two >> /h1.txt',
    'EOF',
    'RUN <<EOF',
    '#!/bin/sh',
    'echo script > /h2.txt',
    'EOF',
    'COPY <<EOT /h3.txt',
    'inline $HOME',
    'EOT',
  ].join('\n');
  const b = await build(A, contextDir({ Dockerfile: df }));
  const files = await imageFiles(A, b.id);
  assert.match(files.get('exec.txt')!, /exec\n$/);
  assert.match(files.get('h1.txt')!, /one\ntwo\n$/);
  assert.match(files.get('h2.txt')!, /script\n$/);
  assert.match(files.get('h3.txt')!, /^file 644 0:0 .* inline \n$/);
  const hist = A.engine.images.get(b.id).config.history!.map((h) => h.created_by);
  assert.ok(hist.includes('/bin/sh -ec echo one > /h1.txt\necho two >> /h1.txt\n'));
});

test('ADD unpacks a local tar; a URL is refused', { skip }, async () => {
  const dir = contextDir({ Dockerfile: 'FROM busybox\nADD files.tar.gz /opt/\n', 'x/a.txt': 'A\n' });
  execFileSync('tar', ['-czf', join(dir, 'files.tar.gz'), '-C', join(dir, 'x'), 'a.txt']);
  const b = await build(A, dir);
  assert.match((await imageFiles(A, b.id)).get('opt/a.txt')!, /A\n$/);
  const url = contextDir({ Dockerfile: 'FROM busybox\nADD https://example.com/x.tgz /opt/\n' });
  await assert.rejects(build(A, url), /ADD failed: cannot download https:\/\/example\.com\/x\.tgz: berth builds have no network access/);
});

test('bad input: a missing COPY source, a failing RUN (nothing tagged), an unknown base, a parse error', { skip }, async () => {
  const missing = contextDir({ Dockerfile: 'FROM busybox\nCOPY nope.txt /\n' });
  await assert.rejects(build(A, missing, { tags: ['bad:1'] }), /^EngineError: COPY failed: file not found in build context or excluded by \.dockerignore: stat nope\.txt: file does not exist$/);
  const failing = contextDir({ Dockerfile: 'FROM busybox\nRUN echo partial > /p.txt\nRUN echo out; exit 3\n' });
  await assert.rejects(build(A, failing, { tags: ['bad:2'] }), (e: Error & { code?: number }) => {
    assert.equal(e.message, "The command '/bin/sh -c echo out; exit 3' returned a non-zero code: 3");
    assert.equal(e.code, 3);
    return true;
  });
  assert.equal(A.engine.images.find('bad:2'), undefined);
  // the step before the failure is cached
  await assert.rejects(build(A, failing), /non-zero code: 3/);
  const nobase = contextDir({ Dockerfile: 'FROM nothere:1\n' });
  await assert.rejects(build(A, nobase), /pull access denied for nothere/);
  const parse = contextDir({ Dockerfile: 'FROM busybox\nRUN true\nFOO bar\n' });
  await assert.rejects(build(A, parse), { line: 3, message: 'dockerfile parse error on line 3: unknown instruction: FOO (did you mean FROM?)' } as object);
  const noTarget = contextDir({ Dockerfile: 'FROM busybox AS a\n' });
  await assert.rejects(build(A, noTarget, { target: 'b' }), /failed to reach build target b in Dockerfile/);
  const multi = contextDir({ Dockerfile: 'FROM busybox\nCOPY a b /x\n', a: '', b: '' });
  await assert.rejects(build(A, multi), /When using COPY with more than one source file, the destination must be a directory and end with a \//);
});

test('ONBUILD triggers run in the child build', { skip }, async () => {
  await build(A, contextDir({ Dockerfile: 'FROM busybox\nONBUILD RUN echo triggered > /t.txt\n' }), { tags: ['onbuild:base'] });
  const b = await build(A, contextDir({ Dockerfile: 'FROM onbuild:base\nCMD ["x"]\n' }));
  assert.match(b.out, /# Executing 1 build trigger\n/);
  assert.match((await imageFiles(A, b.id)).get('t.txt')!, /triggered\n$/);
  assert.equal(A.engine.images.get(b.id).config.config!.OnBuild ?? null, null);
});

test('the cache is durable: a new builder over the same data directory hits', { skip }, async () => {
  const dir = contextDir({ Dockerfile: DOCKERFILE, 'config.txt': 'durable\n', 'src/main.txt': 'main\n' });
  const a = await build(A, dir);
  const again = new Builder(A.engine);
  const b = await build({ engine: A.engine, builder: again }, dir);
  assert.deepEqual(misses(b), []);
  assert.equal(b.id, a.id);
});
