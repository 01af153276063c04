// The registry client against Debian's registry on loopback, below the Engine API: chunked
// uploads that resume from the registry's Range after a broken PATCH, a restart when the registry
// dropped the upload, linux/amd64 chosen from a hand-made multi-arch index, and a corrupted blob
// refused with nothing stored.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore, MEDIA, sha256 } from '../../../src/engine/content.js';
import { LayerStore } from '../../../src/engine/layers.js';
import { ImageStore } from '../../../src/engine/images.js';
import { loadImages, type JSONMessage } from '../../../src/engine/archive.js';
import { parseNormalizedNamed } from '../../../src/engine/reference.js';
import { DistributionMetadata } from '../../../src/engine/registry/metadata.js';
import { pull } from '../../../src/engine/registry/pull.js';
import { push } from '../../../src/engine/registry/push.js';
import { openRepository, type RegistryDeps } from '../../../src/engine/registry/registry.js';
import { busyboxArchive, haveBusybox } from '../busybox.js';
import { freePort, RegistryProcess, registryUnavailable, rootUnavailable } from './registryd.js';

const skip = rootUnavailable() ?? registryUnavailable() ?? (haveBusybox() ? undefined : 'busybox-static not installed');

let reg: RegistryProcess;
const dirs: string[] = [];

function stores(): RegistryDeps {
  const dir = mkdtempSync('/tmp/berth-regclient-');
  dirs.push(dir);
  const content = new ContentStore(join(dir, 'image'));
  const layers = new LayerStore(join(dir, 'layers'));
  const images = new ImageStore(content, layers, () => []);
  return { content, layers, images, event: () => {}, metadata: new DistributionMetadata(join(dir, 'distribution')) };
}

/** A store holding busybox plus a ~300 KB random layer, tagged `name`. */
async function loaded(name: string, seed = 0): Promise<RegistryDeps> {
  const d = stores();
  const noise = Buffer.alloc(300 << 10);
  for (let i = 0; i < noise.length; i++) noise[i] = ((i + seed * 7919) * 2654435761) >>> 24;
  const archive = await busyboxArchive([{ tags: [name], extraLayers: [{ 'noise.bin': noise.toString('latin1') }] }]);
  await loadImages(d, Readable.from([archive]), () => {}, true);
  return d;
}

/** A TCP proxy in front of the registry that breaks one connection when the n-th PATCH begins. */
class CuttingProxy {
  readonly requests: string[] = [];
  private patches = 0;
  cuts = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly upstream: number,
    /** which PATCH to break (1-based) */
    private readonly nth: number,
    /** bytes of that PATCH to let through before the cut (0: none of it reaches the registry) */
    private readonly passBytes: number,
  ) {}

  async start(): Promise<void> {
    this.port = await freePort();
    this.server = createServer((client: Socket) => {
      const up = connect(this.upstream, '127.0.0.1');
      this.sockets.add(client).add(up);
      let cut = false;
      let passing = -1;
      client.on('data', (d: Buffer) => {
        if (cut) return;
        const text = d.toString('latin1');
        for (const m of text.matchAll(/(GET|HEAD|PUT|PATCH|POST|DELETE) (\/v2\/\S*) HTTP\/1\.1/g)) this.requests.push(`${m[1]} ${m[2]!.split('?')[0]}`);
        if (passing >= 0) {
          const take = d.subarray(0, passing);
          up.write(take);
          passing -= take.length;
          if (passing <= 0) this.cut(client, up, () => (cut = true));
          return;
        }
        const at = text.indexOf('PATCH /v2/');
        if (at >= 0 && ++this.patches === this.nth) {
          // headers go through with the first bytes of the body when passBytes > 0
          const headEnd = text.indexOf('\r\n\r\n', at);
          const keep = this.passBytes > 0 && headEnd >= 0 ? headEnd + 4 + this.passBytes : at;
          up.write(d.subarray(0, Math.min(keep, d.length)));
          if (this.passBytes > 0 && keep > d.length) {
            passing = keep - d.length;
            return;
          }
          this.cut(client, up, () => (cut = true));
          return;
        }
        up.write(d);
      });
      up.on('data', (d: Buffer) => {
        if (!cut) client.write(d);
      });
      client.on('error', () => up.destroy());
      up.on('error', () => client.destroy());
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', () => r()));
  }

  private cut(client: Socket, up: Socket, mark: () => void): void {
    mark();
    this.cuts++;
    // let the registry take what it got, then drop both sides
    setTimeout(() => {
      client.destroy();
      up.destroy();
    }, 100);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server!.close(() => r()));
  }
}

before(async () => {
  if (skip) return;
  reg = await RegistryProcess.start();
});

after(async () => {
  if (skip) return;
  await reg.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test('chunked push resumes from the Range the registry reports after a broken PATCH', async (t) => {
  if (skip) return t.skip(skip);
  const proxy = new CuttingProxy(reg.port, 2, 0);
  await proxy.start();
  try {
    const name = `127.0.0.1:${proxy.port}/resume/bb:1`;
    const d = await loaded(name);
    const out: JSONMessage[] = [];
    const [res] = await push(d, parseNormalizedNamed(name), (m) => out.push(m), { chunkSize: 64 << 10, retryDelay: 10 });
    assert.equal(proxy.cuts, 1);
    // the upload went on where the registry stood: a status GET, no second POST for that blob
    assert.ok(proxy.requests.some((r) => /^GET \/v2\/resume\/bb\/blobs\/uploads\/.+/.test(r)), proxy.requests.join('\n'));
    assert.ok(!out.some((m) => m.status?.startsWith('Retrying')), JSON.stringify(out));
    assert.ok(out.some((m) => m.status === 'Pushed'));
    // what the registry holds pulls back to the same image
    const fresh = stores();
    const img = await pull(fresh, parseNormalizedNamed(`${reg.host}/resume/bb:1`), () => {});
    assert.equal(img!.id, d.images.get(name).id);
    assert.equal(res!.Digest, fresh.images.repoDigests(img!)[0]!.split('@')[1]);
  } finally {
    await proxy.close();
  }
});

test('a PATCH broken mid-chunk makes the registry drop the upload; the push starts that blob over', async (t) => {
  if (skip) return t.skip(skip);
  const proxy = new CuttingProxy(reg.port, 2, 20_000);
  await proxy.start();
  try {
    const name = `127.0.0.1:${proxy.port}/restart/bb:1`;
    const d = await loaded(name);
    const out: JSONMessage[] = [];
    await push(d, parseNormalizedNamed(name), (m) => out.push(m), { chunkSize: 64 << 10, retryDelay: 10 });
    assert.equal(proxy.cuts, 1);
    assert.ok(out.some((m) => m.status?.startsWith('Retrying in')), JSON.stringify(out));
    const fresh = stores();
    const img = await pull(fresh, parseNormalizedNamed(`${reg.host}/restart/bb:1`), () => {});
    assert.equal(img!.id, d.images.get(name).id);
  } finally {
    await proxy.close();
  }
});

test('a multi-arch index: pull picks linux/amd64 and records the index digest', async (t) => {
  if (skip) return t.skip(skip);
  const name = `${reg.host}/multi/bb:amd64`;
  const d = await loaded(name);
  const [res] = await push(d, parseNormalizedNamed(name), () => {});
  const repo = openRepository(parseNormalizedNamed(name), undefined, ['pull', 'push']);
  const amd = await repo.getManifest(res!.Digest);
  // an arm64 sibling: same layers, its own config
  const armConfig = Buffer.from(JSON.stringify({ architecture: 'arm64', os: 'linux', rootfs: { type: 'layers', diff_ids: d.images.get(name).config.rootfs!.diff_ids }, config: {} }));
  const up = await repo.startUpload();
  assert.notEqual(up, 'mounted');
  if (up !== 'mounted') await repo.complete(up, sha256(armConfig), armConfig);
  const amdDoc = JSON.parse(amd.bytes.toString()) as { layers: unknown[] };
  const armManifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: sha256(armConfig), size: armConfig.length }, layers: amdDoc.layers }));
  const armDigest = await repo.putManifest(sha256(armManifest), armManifest, MEDIA.ociManifest);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociIndex,
      manifests: [
        { mediaType: MEDIA.ociManifest, digest: armDigest, size: armManifest.length, platform: { architecture: 'arm64', os: 'linux' } },
        { mediaType: MEDIA.dockerManifest, digest: res!.Digest, size: amd.bytes.length, platform: { architecture: 'amd64', os: 'linux' } },
      ],
    }),
  );
  const indexDigest = await repo.putManifest('multi', index, MEDIA.ociIndex);
  const fresh = stores();
  const out: JSONMessage[] = [];
  const img = await pull(fresh, parseNormalizedNamed(`${reg.host}/multi/bb:multi`), (m) => out.push(m));
  assert.equal(img!.id, d.images.get(name).id);
  assert.equal(img!.config.architecture, 'amd64');
  assert.deepEqual(fresh.images.repoDigests(img!), [`${reg.host}/multi/bb@${indexDigest}`]);
  assert.ok(out.some((m) => m.status === `Digest: ${indexDigest}`));

  // an index with nothing for this platform
  const armOnly = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: armDigest, size: armManifest.length, platform: { architecture: 'arm64', os: 'linux' } }] }));
  await repo.putManifest('armonly', armOnly, MEDIA.ociIndex);
  await assert.rejects(pull(stores(), parseNormalizedNamed(`${reg.host}/multi/bb:armonly`), () => {}), /no matching manifest for linux\/amd64 in the manifest list entries/);
});

test('a blob whose bytes do not match its digest is refused and nothing is stored', async (t) => {
  if (skip) return t.skip(skip);
  const name = `${reg.host}/corrupt/bb:1`;
  // a layer of its own: the registry keeps one copy of a blob for every repository
  const d = await loaded(name, 4);
  await push(d, parseNormalizedNamed(name), () => {});
  const img = d.images.get(name);
  const noiseDiff = img.layers[1]!.diffID;
  const blob = d.metadata.get(noiseDiff).find((m) => m.sourceRepository === `${reg.host}/corrupt/bb`)!.digest;
  writeFileSync(reg.blobPath(blob), Buffer.from('not the layer you are looking for'));
  const fresh = stores();
  await assert.rejects(pull(fresh, parseNormalizedNamed(name), () => {}, { retryDelay: 10 }), /filesystem layer verification failed for digest sha256:/);
  assert.equal(fresh.images.list().length, 0);
  assert.equal(fresh.layers.list().filter((l) => l.diffID === noiseDiff).length, 0);
});

test('pull by digest checks the manifest bytes against the digest', async (t) => {
  if (skip) return t.skip(skip);
  const name = `${reg.host}/bydigest/bb:1`;
  const d = await loaded(name);
  const [res] = await push(d, parseNormalizedNamed(name), () => {});
  const fresh = stores();
  const img = await pull(fresh, parseNormalizedNamed(`${reg.host}/bydigest/bb@${res!.Digest}`), () => {});
  assert.equal(img!.id, d.images.get(name).id);
  const wrong = 'sha256:' + '0'.repeat(64);
  await assert.rejects(pull(stores(), parseNormalizedNamed(`${reg.host}/bydigest/bb@${wrong}`), () => {}), /manifest for .*bydigest\/bb@sha256:0+ not found: manifest unknown/);
});
