// The image store: references, docker load/save/import, tags, rmi's rules, and layers unpacked
// for overlayfs (whiteouts included).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import tar from 'tar-stream';
import { ContentStore } from '../../src/engine/content.js';
import { LayerStore } from '../../src/engine/layers.js';
import { ImageStore, type ImageUser } from '../../src/engine/images.js';
import { importImage, loadImages, saveImages, type JSONMessage } from '../../src/engine/archive.js';
import { familiarString, parseAnyReference, parseNormalizedNamed, refString } from '../../src/engine/reference.js';
import { EngineError } from '../../src/engine/errors.js';
import { busyboxArchive, busyboxRootfs, haveBusybox, layerTar, sha256 } from './busybox.js';

const isRoot = process.getuid?.() === 0;

test('references normalize the Docker way', () => {
  const cases: [string, string, string][] = [
    ['busybox', 'docker.io/library/busybox', 'busybox'],
    ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['me/app:v1', 'docker.io/me/app:v1', 'me/app:v1'],
    ['localhost:5000/app', 'localhost:5000/app', 'localhost:5000/app'],
    ['index.docker.io/library/redis:7', 'docker.io/library/redis:7', 'redis:7'],
    ['quay.io/a/b/c:t', 'quay.io/a/b/c:t', 'quay.io/a/b/c:t'],
  ];
  for (const [input, full, familiar] of cases) {
    const r = parseNormalizedNamed(input);
    assert.equal(refString(r), full, input);
    assert.equal(familiarString(r), familiar, input);
  }
  const errs: [string, string][] = [
    ['Busybox', 'invalid reference format: repository name must be lowercase'],
    ['busy box', 'invalid reference format'],
    ['a'.repeat(64), `invalid repository name (${'a'.repeat(64)}), cannot specify 64-byte hexadecimal strings`],
    ['', 'invalid reference format'],
  ];
  for (const [input, msg] of errs) {
    assert.throws(() => parseNormalizedNamed(input), (e: EngineError) => e.kind === 'invalidParameter' && e.message === msg, input);
  }
  assert.deepEqual(parseAnyReference('a'.repeat(64)), { kind: 'digest', digest: `sha256:${'a'.repeat(64)}` });
});

interface Harness {
  dir: string;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  users: ImageUser[];
  events: string[];
  deps: Parameters<typeof loadImages>[0];
}

function harness(): Harness {
  const dir = mkdtempSync('/tmp/berth-img-test-');
  const content = new ContentStore(join(dir, 'image'));
  const layers = new LayerStore(join(dir, 'layers'));
  const users: ImageUser[] = [];
  const events: string[] = [];
  const images = new ImageStore(content, layers, () => users, (a, id) => events.push(`${a} ${id}`));
  return { dir, content, layers, images, users, events, deps: { content, layers, images, event: (a, id) => events.push(`${a} ${id}`) } };
}

async function load(h: Harness, archive: Buffer, quiet = true): Promise<JSONMessage[]> {
  const out: JSONMessage[] = [];
  await loadImages(h.deps, Readable.from([archive]), (m) => out.push(m), quiet);
  return out;
}

const skipReason = !isRoot ? 'needs root (layers are unpacked with their owners and device nodes)' : !haveBusybox() ? 'needs busybox-static' : undefined;

test('docker load of a docker-archive: tags, layers unpacked, idempotent', { skip: skipReason }, async () => {
  const h = harness();
  try {
    const out = await load(h, await busyboxArchive());
    assert.deepEqual(out, [{ stream: 'Loaded image: busybox:latest\n' }]);
    const img = h.images.get('busybox');
    assert.deepEqual(h.images.repoTags(img), ['busybox:latest']);
    assert.equal(img.layers.length, 1);
    const diff = h.layers.diffDir(img.layers[0]!.chainID);
    assert.ok(lstatSync(join(diff, 'bin/sh')).isSymbolicLink());
    assert.equal(lstatSync(join(diff, 'bin/busybox')).size, readFileSync('/usr/bin/busybox').length);
    assert.equal(lstatSync(join(diff, 'tmp')).mode & 0o7777, 0o1777);
    // dockerd's size: regular files plus each symlink's target length ("busybox" per applet)
    const applets = execFileSync('/usr/bin/busybox', ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox').length;
    assert.equal(img.layers[0]!.size, readFileSync('/usr/bin/busybox').length + 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n'.length + 'root:x:0:\nnogroup:x:65534:\n'.length + applets * 'busybox'.length);
    // by short ID, by full ID, by sha256: prefix
    assert.equal(h.images.get(img.id.slice(7, 19)).id, img.id);
    assert.equal(h.images.get(img.id).id, img.id);
    assert.equal(h.images.get(img.id.slice(0, 20)).id, img.id);
    assert.throws(() => h.images.get('nosuch'), { message: 'No such image: nosuch:latest' });
    // loading again changes nothing and says the same
    const again = await load(h, await busyboxArchive());
    assert.deepEqual(again, [{ stream: 'Loaded image: busybox:latest\n' }]);
    assert.equal(h.images.list().length, 1);
    // progress messages when not quiet
    const loud = await load(h, await busyboxArchive([{ tags: ['busybox:v2'], gzip: true, extraLayers: [{ 'etc/motd': 'hi\n' }] }]), false);
    assert.equal(loud.filter((m) => m.status === 'Loading layer').length, 1, 'only the new layer is loaded');
    assert.equal(loud.at(-1)!.stream, 'Loaded image: busybox:v2\n');
    // the store survives a restart
    const reopened = new ImageStore(h.content, h.layers, () => []);
    assert.deepEqual(reopened.list().map((i) => i.id).sort(), h.images.list().map((i) => i.id).sort());
    assert.deepEqual(reopened.repoTags(reopened.get('busybox:v2')), ['busybox:v2']);
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
});

test('a moved tag leaves the old image dangling, and load says so', { skip: skipReason }, async () => {
  const h = harness();
  try {
    await load(h, await busyboxArchive([{ tags: ['app:1'], cmd: ['echo', 'one'] }]));
    const old = h.images.get('app:1');
    const out = await load(h, await busyboxArchive([{ tags: ['app:1'], cmd: ['echo', 'two'] }]));
    assert.deepEqual(out, [
      { stream: `The image app:1 already exists, renaming the old one with ID ${old.id} to empty string\n` },
      { stream: 'Loaded image: app:1\n' },
    ]);
    assert.deepEqual(h.images.repoTags(h.images.get(old.id)), []);
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
});

test('rmi: untag, delete with layers, and the in-use conflicts', { skip: skipReason }, async () => {
  const h = harness();
  try {
    await load(h, await busyboxArchive());
    const img = h.images.get('busybox');
    h.images.tagByName('busybox', parseNormalizedNamed('mine:1'));
    assert.deepEqual(h.images.repoTags(img), ['busybox:latest', 'mine:1']);
    // several references: removing one only untags
    assert.deepEqual(h.images.delete('mine:1', false, true), [{ Untagged: 'mine:1' }]);
    // by ID with several tags: a soft conflict
    h.images.tagByName('busybox', parseNormalizedNamed('mine:1'));
    assert.throws(() => h.images.delete(img.id.slice(7, 19), false, true), {
      message: `conflict: unable to delete ${img.id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`,
    });
    h.images.delete('mine:1', false, true);
    // a stopped container holds it (soft), a running one (hard)
    h.users.push({ id: 'f'.repeat(64), imageID: img.id, running: false });
    assert.throws(() => h.images.delete('busybox', false, true), {
      message: `conflict: unable to remove repository reference "busybox" (must force) - container ffffffffffff is using its referenced image ${img.id.slice(7, 19)}`,
    });
    h.users[0]!.running = true;
    assert.throws(() => h.images.delete(img.id, true, true), {
      message: `conflict: unable to delete ${img.id.slice(7, 19)} (cannot be forced) - image is being used by running container ffffffffffff`,
    });
    h.users.length = 0;
    const chain = img.layers[0]!.chainID;
    assert.deepEqual(h.images.delete('busybox', false, true), [{ Untagged: 'busybox:latest' }, { Deleted: img.id }, { Deleted: chain }]);
    assert.equal(h.layers.has(chain), false);
    assert.equal(h.images.list().length, 0);
    assert.throws(() => h.images.delete('busybox', false, true), { message: 'No such image: busybox:latest' });
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
});

async function collect(run: (w: Writable) => Promise<void>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(c: Buffer, _e, cb) {
      chunks.push(c);
      cb();
    },
  });
  await run(w);
  return Buffer.concat(chunks);
}

async function tarNames(b: Buffer): Promise<Map<string, Buffer>> {
  const ex = tar.extract();
  const out = new Map<string, Buffer>();
  Readable.from([b]).pipe(ex);
  for await (const e of ex) {
    const parts: Buffer[] = [];
    for await (const c of e) parts.push(c as Buffer);
    out.set(e.header.name, Buffer.concat(parts));
  }
  return out;
}

test('docker save writes docker-archive and OCI layout at once; both load back', { skip: skipReason }, async () => {
  const h = harness();
  const h2 = harness();
  const h3 = harness();
  try {
    await load(h, await busyboxArchive([{ tags: ['busybox:latest', 'busybox:1'], extraLayers: [{ 'etc/hello': 'world\n' }] }]));
    const img = h.images.get('busybox');
    const saved = await collect((w) => saveImages(h.deps, ['busybox'], w));
    const files = await tarNames(saved);
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as { Config: string; RepoTags: string[]; Layers: string[] }[];
    assert.equal(manifest.length, 1);
    assert.deepEqual(manifest[0]!.RepoTags.sort(), ['busybox:1', 'busybox:latest']);
    assert.equal(sha256(files.get(manifest[0]!.Config)!), img.id);
    for (const l of manifest[0]!.Layers) assert.equal(sha256(files.get(l)!), `sha256:${l.split('/').pop()}`);
    assert.ok(files.has('oci-layout') && files.has('index.json') && files.has('repositories'));
    // as a docker-archive
    await load(h2, saved);
    assert.equal(h2.images.get('busybox:1').id, img.id);
    // as a bare OCI layout (manifest.json removed)
    const pack = tar.pack();
    for (const [name, data] of files) if (name !== 'manifest.json' && !name.endsWith('/') && data.length > 0) pack.entry({ name }, data);
    pack.finalize();
    const oci = await collect(async (w) => {
      pack.pipe(w);
      await new Promise((r) => w.on('finish', r));
    });
    await load(h3, oci);
    assert.equal(h3.images.get('busybox:latest').id, img.id);
    await assert.rejects(collect((w) => saveImages(h.deps, ['nosuch:1'], w)), { message: 'No such image: nosuch:1' });
  } finally {
    for (const x of [h, h2, h3]) rmSync(x.dir, { recursive: true, force: true });
  }
});

test('docker import of a rootfs tar, with --change', { skip: skipReason }, async () => {
  const h = harness();
  try {
    const out: JSONMessage[] = [];
    const img = await importImage(h.deps, Readable.from([await busyboxRootfs()]), { repo: 'imported', tag: 'v1', changes: ['CMD ["echo","hi"]', 'ENV A=1 B="two words"', 'EXPOSE 80', 'WORKDIR /tmp'], dockerVersion: '20.10.24' }, (m) => out.push(m));
    assert.deepEqual(out, [{ status: img.id }]);
    assert.deepEqual(h.images.repoTags(img), ['imported:v1']);
    assert.deepEqual(img.config.config?.Cmd, ['echo', 'hi']);
    assert.deepEqual(img.config.config?.Env, ['A=1', 'B=two words']);
    assert.deepEqual(img.config.config?.ExposedPorts, { '80/tcp': {} });
    assert.equal(img.config.config?.WorkingDir, '/tmp');
    assert.equal(img.config.comment, 'Imported from -');
    assert.equal(img.layers[0]!.diffID, sha256(await busyboxRootfs()));
    await assert.rejects(importImage(h.deps, Readable.from([await busyboxRootfs()]), { changes: ['RUN x'], dockerVersion: 'x' }, () => {}), {
      message: 'run is not a valid change command',
    });
  } finally {
    rmSync(h.dir, { recursive: true, force: true });
  }
});

test('whiteouts become overlayfs whiteouts: deleted files and opaque dirs vanish in the merged view', { skip: skipReason }, async () => {
  const h = harness();
  const mnt = join(h.dir, 'mnt');
  try {
    // layer 2 deletes /etc/group and makes /var opaque (hiding /var/www)
    const l2 = await (async () => {
      const p = tar.pack();
      const chunks: Buffer[] = [];
      p.on('data', (c) => chunks.push(c as Buffer));
      p.entry({ name: 'etc/.wh.group', mode: 0o644 }, '');
      p.entry({ name: 'var', type: 'directory', mode: 0o700 });
      p.entry({ name: 'var/.wh..wh..opq', mode: 0o644 }, '');
      p.entry({ name: 'var/new', mode: 0o644 }, 'n\n');
      p.finalize();
      await new Promise<void>((r) => p.on('end', () => r()));
      return Buffer.concat(chunks);
    })();
    void layerTar;
    const archive = await busyboxArchive([{ tags: ['wh:1'] }]);
    await load(h, archive);
    const base = h.images.get('wh:1').layers[0]!;
    const top = await h.layers.register(Readable.from([l2]), undefined, base.chainID);
    const upper = join(h.dir, 'upper');
    const work = join(h.dir, 'work');
    for (const d of [mnt, upper, work]) mkdirSync(d);
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${h.layers.lowerDirs(top.chainID).join(':')},upperdir=${upper},workdir=${work}`, mnt]);
    assert.ok(existsSync(join(mnt, 'etc/passwd')));
    assert.ok(!existsSync(join(mnt, 'etc/group')), 'whiteout hides the file');
    assert.ok(!existsSync(join(mnt, 'var/www')), 'opaque dir hides lower content');
    assert.equal(readFileSync(join(mnt, 'var/new'), 'utf8'), 'n\n');
    assert.equal(lstatSync(join(mnt, 'var')).mode & 0o777, 0o700);
    writeFileSync(join(mnt, 'tmp/x'), 'y');
  } finally {
    try {
      execFileSync('umount', [mnt], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    rmSync(h.dir, { recursive: true, force: true });
  }
});
