// The build context's tar, indexed without unpacking and unpacked later: the index answers as the
// unpacked directory does, checksums included; members that would escape are refused by both; a
// context past the memory budget is spooled to disk and removed with the context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { FsTree, BuildContext, type Tree } from '../../../src/engine/build/context.js';
import { indexTar, unpackTar } from '../../../src/engine/build/untar.js';

type Member = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; body?: string; linkname?: string; mode?: number };

async function tarOf(members: Member[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const ended = new Promise<void>((r) => pack.on('end', () => r()));
  for (const m of members) {
    const h = { name: m.name, type: m.type ?? 'file', mode: m.mode ?? (m.type === 'directory' ? 0o755 : 0o644), mtime: new Date(1_700_000_000_000), ...(m.linkname ? { linkname: m.linkname } : {}) };
    await new Promise<void>((resolve, reject) => pack.entry(h, m.type === 'file' || !m.type ? (m.body ?? '') : '', (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await ended;
  return Buffer.concat(chunks);
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const members: Member[] = [
  { name: 'Dockerfile', body: 'FROM scratch\n' },
  { name: 'src/', type: 'directory', mode: 0o750 },
  { name: 'src/a.txt', body: 'alpha', mode: 0o600 },
  { name: 'src/deep/b.txt', body: 'beta' },
  { name: 'src/link', type: 'symlink', linkname: 'a.txt' },
  { name: 'src/hard', type: 'link', linkname: 'src/a.txt' },
];

function listing(tree: Tree, root: string, at = root): string[] {
  const out: string[] = [];
  for (const name of tree.readdir(at).sort()) {
    const abs = join(at, name);
    const st = tree.lstat(abs)!;
    const extra = st.type === 'file' ? tree.checksum(abs, st) : st.type === 'symlink' ? tree.readlink(abs) : '';
    out.push(`${abs.slice(root.length)} ${st.type} ${st.mode.toString(8)} ${st.type === 'file' ? st.size : ''} ${extra}`);
    if (st.type === 'directory') out.push(...listing(tree, root, abs));
  }
  return out;
}

test('the index answers lstat, readdir, readlink and checksums as the unpacked directory does', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-untar-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = await tarOf(members);
  const { index, raw } = await indexTar(Readable.from([bytes]), dir, { readableBytes: 1024, spool: `${dir}.tar` });
  const known = await unpackTar(raw.stream(), dir);
  const fromIndex = listing(index, dir);
  assert.deepEqual(fromIndex, listing(new FsTree(), dir));
  assert.deepEqual(listing(new FsTree(known), dir), fromIndex);
  assert.ok(fromIndex.includes(`/src/a.txt file 600 5 ${sha('alpha')}`), fromIndex.join('\n'));
  assert.ok(fromIndex.includes(`/src/hard file 600 5 ${sha('alpha')}`));
  assert.ok(fromIndex.includes('/src/link symlink 777  a.txt'));
  assert.equal(index.content(join(dir, 'Dockerfile'))?.toString(), 'FROM scratch\n');
  assert.equal(readFileSync(join(dir, 'src/deep/b.txt'), 'utf8'), 'beta');
});

test('members that would leave the context are refused, indexed or unpacked', async () => {
  for (const bad of [[{ name: '../evil', body: 'x' }], [{ name: 'up', type: 'symlink', linkname: '/etc' } as Member, { name: 'up/passwd', body: 'x' }]]) {
    const bytes = await tarOf(bad as Member[]);
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-untar-')));
    try {
      await assert.rejects(indexTar(Readable.from([bytes]), dir, { readableBytes: 1024, spool: `${dir}.tar` }), /Member name contains '\.\.'|leads outside the context/);
      await assert.rejects(unpackTar(Readable.from([bytes]), dir), /Member name contains '\.\.'|leads outside the context/);
      assert.ok(!existsSync('/evil') && !existsSync(join(dir, '..', 'evil')));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('a context past the memory budget is spooled to disk, read back from there, and removed with the context', async (t) => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-untar-')));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bytes = await tarOf([{ name: 'big', body: 'z'.repeat(100_000) }]);
  const { raw } = await indexTar(Readable.from([bytes.subarray(0, 5000), bytes.subarray(5000)]), dir, { readableBytes: 10, spool: `${dir}.tar`, memoryBytes: 4096 });
  assert.ok(existsSync(`${dir}.tar`));
  await unpackTar(raw.stream(), dir);
  assert.equal(readFileSync(join(dir, 'big'), 'utf8').length, 100_000);
  raw.dispose();
  assert.ok(!existsSync(`${dir}.tar`));
});

test('BuildContext: a gzip context is read in process; the Dockerfile without unpacking; sources resolve from the index and after unpacking alike', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const ctx = await BuildContext.fromTar(Readable.from([gzipSync(await tarOf(members))]), tmp);
  assert.deepEqual(await ctx.readDockerfile('Dockerfile'), { name: 'Dockerfile', text: 'FROM scratch\n' });
  assert.ok(!existsSync(join(ctx.dir, 'Dockerfile')), 'nothing unpacked yet');
  const before = ctx.source.resolve('src').map((i) => i.entries.map((e) => [e.rel, e.type, e.mode, e.checksum]));
  await ctx.materialize();
  assert.ok(existsSync(join(ctx.dir, 'src/deep/b.txt')));
  assert.deepEqual(ctx.source.resolve('src').map((i) => i.entries.map((e) => [e.rel, e.type, e.mode, e.checksum])), before);
  await assert.rejects(BuildContext.fromTar(Readable.from([Buffer.from('not a tar at all'.repeat(40))]), tmp), /Error processing tar file\(exit status 1\)/);
  ctx.close();
});

test('a wildcard match that is a symlink is followed inside the context, never out of it, indexed or unpacked', async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'berth-ctx-'));
  t.after(() => rmSync(tmp, { recursive: true, force: true }));
  const ctx = await BuildContext.fromTar(
    Readable.from([await tarOf([{ name: 'a.txt', body: 'alpha' }, { name: 'l.txt', type: 'symlink', linkname: 'a.txt' }, { name: 'out.txt', type: 'symlink', linkname: '/etc/hostname' }])]),
    tmp,
  );
  for (const phase of ['indexed', 'unpacked']) {
    if (phase === 'unpacked') await ctx.materialize();
    const [l] = ctx.source.resolve('l*.txt');
    assert.deepEqual([l!.isDir, l!.entries.map((e) => [e.type, e.checksum])], [false, [['file', sha('alpha')]]], phase);
    assert.throws(() => ctx.source.resolve('out*.txt'), /file not found in build context/, phase);
  }
  ctx.close();
});
