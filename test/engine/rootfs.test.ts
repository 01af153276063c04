// The container filesystem helpers behind docker cp, diff and export, on plain directories (and one real overlay mount, as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync, existsSync, lstatSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { PassThrough, Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { execFileSync } from 'node:child_process';
import { archiveName, changes, dirSize, extractTar, goFileMode, hostPath, makeInitLayer, opaqueDirs, resolveInScope, statPath, tarPath } from '../../src/engine/rootfs.js';

const root = () => mkdtempSync(join(tmpdir(), 'berth-rootfs-'));

test('paths resolve inside the view: absolute links restart at its root, ".." stops there, mounts map by longest destination', () => {
  const r = root();
  try {
    mkdirSync(join(r, 'etc'));
    writeFileSync(join(r, 'etc', 'passwd'), 'root:x:0:0::/root:/bin/sh\n');
    symlinkSync('/', join(r, 'up'));
    symlinkSync('../../../../etc', join(r, 'climb'));
    symlinkSync('loop2', join(r, 'loop1'));
    symlinkSync('loop1', join(r, 'loop2'));
    const view = { root: r, mounts: [{ destination: '/vol', source: '/srv/v' }, { destination: '/vol/inner', source: '/srv/i' }] };
    assert.equal(resolveInScope(view, '/up/up/etc/passwd', true), '/etc/passwd');
    assert.equal(resolveInScope(view, '/climb/passwd', true), '/etc/passwd');
    assert.equal(resolveInScope(view, '/up', false), '/up');
    assert.equal(resolveInScope(view, '/missing/x/../y', true), '/missing/y');
    assert.throws(() => resolveInScope(view, '/loop1/x', true), /too many links/);
    assert.equal(hostPath(view, '/vol/a'), '/srv/v/a');
    assert.equal(hostPath(view, '/vol/inner/a'), '/srv/i/a');
    assert.equal(hostPath(view, '/volume'), join(r, 'volume'));
    const { stat } = statPath({ root: r, mounts: [] }, '/up', 'c1');
    assert.deepEqual([stat.name, stat.mode, stat.linkTarget], ['up', 2 ** 27 + 0o777, '/']);
    assert.equal(goFileMode(lstatSync(join(r, 'etc'))), 2 ** 31 + (lstatSync(join(r, 'etc')).mode & 0o777));
    assert.throws(() => statPath({ root: r, mounts: [] }, '/nope', 'c1'), /Could not find the file \/nope in container c1/);
    assert.deepEqual(['/tmp/d', '/tmp/d/', '/tmp/d/.', '/'].map(archiveName), ['d', 'd', '.', '/']);
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test('a path as a tar round-trips through extraction; entries that climb out are refused and the rest of the body is read', async () => {
  const src = root();
  const dst = root();
  try {
    mkdirSync(join(src, 'd', 'sub'), { recursive: true });
    writeFileSync(join(src, 'd', 'sub', 'f'), 'data\n', { mode: 0o640 });
    symlinkSync('sub/f', join(src, 'd', 'link'));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    await tarPath({ root: src, mounts: [] }, '/d', 'renamed', { user: () => undefined, group: () => undefined }, out);
    await extractTar({ root: dst, mounts: [] }, '/', Readable.from([Buffer.concat(chunks)]), { noOverwriteDirNonDir: true });
    assert.equal(readFileSync(join(dst, 'renamed', 'sub', 'f'), 'utf8'), 'data\n');
    assert.equal(lstatSync(join(dst, 'renamed', 'sub', 'f')).mode & 0o777, 0o640);
    assert.equal(lstatSync(join(dst, 'renamed', 'link')).isSymbolicLink(), true);
    // a directory over the file: refused with noOverwriteDirNonDir
    const pack = tarStream.pack();
    pack.entry({ name: 'renamed/sub/f/', type: 'directory' });
    pack.finalize();
    await assert.rejects(extractTar({ root: dst, mounts: [] }, '/', Readable.from(pack), { noOverwriteDirNonDir: true }), /cannot overwrite non-directory "\/renamed\/sub\/f" with directory/);
    const bad = tarStream.pack();
    bad.entry({ name: '../escape' }, 'x');
    bad.entry({ name: 'after' }, 'y'.repeat(100_000));
    bad.finalize();
    const body = Readable.from(bad);
    await assert.rejects(extractTar({ root: dst, mounts: [] }, '/', body, { noOverwriteDirNonDir: false }), /is outside of/);
    assert.ok(body.readableEnded, 'the rest of the archive was read');
    assert.ok(!existsSync(join(dst, '..', 'escape')) && !existsSync(join(dst, 'after')));
  } finally {
    rmSync(src, { recursive: true, force: true });
    rmSync(dst, { recursive: true, force: true });
  }
});

const layer = (dir: string, opaque: string[] = []) => ({ dir, opaque: new Set(opaque) });

test("changes: the layers' trees compared as dockerd does, every directory above a change changed, a directory's time no change", () => {
  const r = root();
  try {
    const upper = join(r, 'upper');
    const lower = join(r, 'lower');
    for (const d of ['etc', 'usr/lib', 'var', 'home', 'tmp']) {
      mkdirSync(join(lower, d), { recursive: true });
      mkdirSync(join(upper, d), { recursive: true });
    }
    writeFileSync(join(lower, 'etc', 'conf'), 'old');
    writeFileSync(join(upper, 'etc', 'conf'), 'new');
    writeFileSync(join(lower, 'etc', 'same'), 'same');
    writeFileSync(join(upper, 'etc', 'same'), 'same');
    writeFileSync(join(upper, 'usr', 'lib', 'added'), 'x');
    const t = new Date('2024-01-01T00:00:00Z');
    const t2 = new Date('2025-01-01T00:00:00Z');
    for (const f of ['etc/conf', 'etc/same']) utimesSync(join(lower, f), t, t);
    utimesSync(join(upper, 'etc', 'conf'), t2, t2);
    utimesSync(join(upper, 'etc', 'same'), t, t);
    // a directory's time alone is no change; its mode is
    utimesSync(join(upper, 'home'), t2, t2);
    chmodSync(join(upper, 'tmp'), 0o700);
    mkdirSync(join(upper, 'new', 'sub'), { recursive: true });
    assert.deepEqual(changes([layer(upper), layer(lower)]), [
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/conf', Kind: 0 },
      { Path: '/new', Kind: 1 },
      { Path: '/new/sub', Kind: 1 },
      { Path: '/tmp', Kind: 0 },
      { Path: '/usr', Kind: 0 },
      { Path: '/usr/lib', Kind: 0 },
      { Path: '/usr/lib/added', Kind: 1 },
    ]);
    // an opaque directory below hides what is under it in the layers further down
    const bottom = join(r, 'bottom');
    mkdirSync(join(bottom, 'var'), { recursive: true });
    writeFileSync(join(bottom, 'var', 'hidden'), 'h');
    writeFileSync(join(upper, 'var', 'hidden'), 'h');
    assert.deepEqual(changes([layer(upper), layer(lower, ['/var']), layer(bottom)]).filter((c) => c.Path.startsWith('/var')), [
      { Path: '/var', Kind: 0 },
      { Path: '/var/hidden', Kind: 1 },
    ]);
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test('changes: a directory removed and made again over a real overlay (opaque) is compared entry by entry', { skip: process.getuid?.() !== 0 ? 'needs root (an overlay mount, and its trusted.* attributes)' : undefined }, async () => {
  const r = root();
  const merged = join(r, 'merged');
  try {
    const lower = join(r, 'lower');
    const upper = join(r, 'upper');
    for (const d of ['lower/var/www', 'lower/etc', 'upper', 'work', 'merged']) mkdirSync(join(r, d), { recursive: true });
    writeFileSync(join(lower, 'var', 'old'), 'o');
    execFileSync('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${join(r, 'work')}`, merged]);
    // what `rm -rf /var && mkdir -p /var/www /var/new` in a container does to its writable layer
    rmSync(join(merged, 'var'), { recursive: true });
    mkdirSync(join(merged, 'var', 'www'), { recursive: true });
    mkdirSync(join(merged, 'var', 'new'));
    mkdirSync(join(merged, 'etc', 'fresh'));
    rmSync(join(merged, 'etc', 'fresh'), { recursive: true });
    mkdirSync(join(merged, 'etc', 'again'));
    execFileSync('umount', [merged]);
    const opaque = await opaqueDirs(upper);
    assert.deepEqual([...opaque], ['/var']);
    assert.deepEqual(changes([{ dir: upper, opaque }, layer(lower)]), [
      { Path: '/etc', Kind: 0 },
      { Path: '/etc/again', Kind: 1 },
      { Path: '/var', Kind: 0 },
      { Path: '/var/new', Kind: 1 },
      { Path: '/var/old', Kind: 2 },
    ]);
  } finally {
    try {
      execFileSync('umount', [merged], { stdio: 'ignore' });
    } catch {
      // not mounted
    }
    rmSync(r, { recursive: true, force: true });
  }
});

test('the init layer: files always, directories only where the image has none, made once', () => {
  const r = root();
  try {
    const image = join(r, 'image');
    mkdirSync(join(image, 'proc'), { recursive: true });
    const init = join(r, 'init');
    makeInitLayer(init, [image]);
    assert.ok(!existsSync(join(init, 'proc')));
    for (const p of ['sys', 'dev/pts', 'dev/shm', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'dev/console', '.dockerenv']) assert.ok(existsSync(join(init, p)), p);
    assert.equal(lstatSync(join(init, 'etc', 'mtab')).isSymbolicLink(), true);
    writeFileSync(join(init, 'etc', 'hosts'), 'kept');
    makeInitLayer(init, [image]);
    assert.equal(readFileSync(join(init, 'etc', 'hosts'), 'utf8'), 'kept');
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});

test('disk usage as dockerd counts it: files and links, a hard-linked file once, no directories', () => {
  const r = root();
  try {
    mkdirSync(join(r, 'a', 'b'), { recursive: true });
    writeFileSync(join(r, 'a', 'b', 'f'), 'x'.repeat(1000));
    linkSync(join(r, 'a', 'b', 'f'), join(r, 'hard'));
    symlinkSync('a/b/f', join(r, 'soft'));
    assert.equal(dirSize(r), 1000 + 'a/b/f'.length);
    assert.equal(dirSize(join(r, 'missing')), 0);
  } finally {
    rmSync(r, { recursive: true, force: true });
  }
});
