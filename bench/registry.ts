// Registry throughput: push and pull of a ~50 MB image (busybox plus a 48 MB layer of base64 text)
// against Debian's registry on loopback, berth's client beside skopeo copying the same image
// between the same registry and an OCI layout, in the same run, turn about. berth's push gzips
// the layer as dockerd does and its pull unpacks it into the layer store; skopeo moves the
// compressed blobs as they are, so the ratio includes that work. Needs root and docker-registry.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { ContentStore } from '../src/engine/content.js';
import { LayerStore } from '../src/engine/layers.js';
import { ImageStore } from '../src/engine/images.js';
import { loadImages } from '../src/engine/archive.js';
import { parseNormalizedNamed } from '../src/engine/reference.js';
import { DistributionMetadata } from '../src/engine/registry/metadata.js';
import { pull } from '../src/engine/registry/pull.js';
import { push } from '../src/engine/registry/push.js';
import type { RegistryDeps } from '../src/engine/registry/registry.js';
import { busyboxArchive, haveBusybox } from '../test/engine/busybox.js';
import { RegistryProcess, registryUnavailable, rootUnavailable } from '../test/engine/registry/registryd.js';
import { fmt, printTable } from './lib.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const SKOPEO = '/usr/bin/skopeo';

const why = rootUnavailable() ?? registryUnavailable() ?? (haveBusybox() ? undefined : 'busybox-static not installed') ?? (existsSync(SKOPEO) ? undefined : 'skopeo not installed');
if (why) {
  console.log(`registry benchmark skipped: ${why}`);
  process.exit(0);
}

const dir = mkdtempSync('/tmp/berth-bench-registry-');
function stores(): RegistryDeps {
  const d = mkdtempSync(join(dir, 'store-'));
  const content = new ContentStore(join(d, 'image'));
  const layers = new LayerStore(join(d, 'layers'));
  return { content, layers, images: new ImageStore(content, layers, () => []), event: () => {}, metadata: new DistributionMetadata(join(d, 'distribution')) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed(f: () => Promise<unknown> | unknown): Promise<number> {
  const t = performance.now();
  await f();
  return (performance.now() - t) / 1000;
}

const reg = await RegistryProcess.start();
try {
  const src = stores();
  const name = `${reg.host}/bench/src:1`;
  // base64 text: one byte per character in the tar, and gzip still has work to do
  const big = randomBytes(36 << 20).toString('base64');
  await loadImages(src, Readable.from([await busyboxArchive([{ tags: [name], extraLayers: [{ 'big.bin': big }] }])]), () => {}, true);
  const bytes = src.images.get(name).layers.reduce((n, l) => n + src.content.size(l.diffID), 0);
  const t: Record<string, number[]> = { 'berth push': [], 'skopeo push': [], 'berth pull': [], 'skopeo pull': [] };
  for (let r = 0; r < ROUNDS; r++) {
    // berth: push with fresh metadata (nothing known, so no mounts and no skips: every byte goes up), then pull into fresh stores
    const target = `${reg.host}/bench/berth${r}:1`;
    src.images.tag(src.images.get(name).id, parseNormalizedNamed(target));
    const pusher: RegistryDeps = { ...src, metadata: new DistributionMetadata(mkdtempSync(join(dir, 'meta-'))) };
    t['berth push']!.push(await timed(() => push(pusher, parseNormalizedNamed(target), () => {})));
    t['berth pull']!.push(await timed(() => pull(stores(), parseNormalizedNamed(target), () => {})));
    // skopeo: the same image from the registry into an OCI layout, and back into a fresh repository
    const layout = join(dir, `oci-${r}`);
    t['skopeo pull']!.push(await timed(() => execFileSync(SKOPEO, ['copy', '--quiet', '--src-tls-verify=false', `docker://${target}`, `oci:${layout}:1`])));
    // into an empty registry, so that skopeo cannot mount the blobs from the repository it read them from
    const empty = await RegistryProcess.start();
    try {
      t['skopeo push']!.push(await timed(() => execFileSync(SKOPEO, ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:1`, `docker://${empty.host}/bench/skopeo:1`])));
    } finally {
      await empty.stop();
    }
  }
  const mb = bytes / 1e6;
  console.log(`image: ${fmt(mb)} MB uncompressed, ${ROUNDS} rounds, medians`);
  printTable([
    ['operation', 'seconds', 'MB/s'],
    ...Object.entries(t).map(([k, v]) => [k, median(v).toFixed(2), fmt(mb / median(v))]),
  ]);
  console.log(`berth / skopeo time: push ${(median(t['berth push']!) / median(t['skopeo push']!)).toFixed(2)}, pull ${(median(t['berth pull']!) / median(t['skopeo pull']!)).toFixed(2)}  (berth gzips on push and unpacks on pull; skopeo copies blobs as they are)`);
} finally {
  await reg.stop();
  rmSync(dir, { recursive: true, force: true });
}
