// The tests' own busybox image, made from Debian's busybox-static (there is no Docker Hub here):
// a root filesystem tar (the binary plus one symlink per applet), and a docker-archive around it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { loadImages } from '../../src/engine/archive.js';
import type { Engine } from '../../src/engine/engine.js';

export const BUSYBOX = '/usr/bin/busybox';

export function haveBusybox(): boolean {
  return existsSync(BUSYBOX);
}

async function packToBuffer(fill: (p: tar.Pack) => void): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', resolve);
    p.on('error', reject);
  });
  fill(p);
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

const MTIME = new Date('2024-01-01T00:00:00Z');

let rootfsCache: Buffer | undefined;

/** A busybox root filesystem: /bin/busybox, applet links in /bin, and the usual empty dirs. */
export async function busyboxRootfs(): Promise<Buffer> {
  if (rootfsCache) return rootfsCache;
  const bin = readFileSync(BUSYBOX);
  const applets = execFileSync(BUSYBOX, ['--list']).toString().split('\n').filter((a) => a && a !== 'busybox');
  rootfsCache = await packToBuffer((p) => {
    for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root', 'var', 'var/www', 'home']) {
      p.entry({ name: d, type: 'directory', mode: d === 'tmp' ? 0o1777 : 0o755, mtime: MTIME });
    }
    p.entry({ name: 'etc/passwd', mode: 0o644, mtime: MTIME }, 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n');
    p.entry({ name: 'etc/group', mode: 0o644, mtime: MTIME }, 'root:x:0:\nnogroup:x:65534:\n');
    p.entry({ name: 'bin/busybox', mode: 0o755, mtime: MTIME }, bin);
    for (const a of applets) p.entry({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox', mode: 0o777, mtime: MTIME });
  });
  return rootfsCache;
}

export const sha256 = (b: Buffer | string) => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface ArchiveImage {
  tags: string[];
  /** extra layers on top of busybox, each a map path → content */
  extraLayers?: Record<string, string>[];
  cmd?: string[];
  entrypoint?: string[];
  env?: string[];
  workdir?: string;
  stopSignal?: string;
  exposed?: string[];
  labels?: Record<string, string>;
  gzip?: boolean;
}

export async function layerTar(files: Record<string, string>): Promise<Buffer> {
  return packToBuffer((p) => {
    for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644, mtime: MTIME }, content);
  });
}

/** A docker-archive (manifest.json, config, layer tars) as `docker save` of dockerd 20.10 lays it out. */
export async function busyboxArchive(images: ArchiveImage[] = [{ tags: ['busybox:latest'] }]): Promise<Buffer> {
  const base = await busyboxRootfs();
  const built: { config: Buffer; layers: Buffer[]; tags: string[] }[] = [];
  for (const im of images) {
    const layers = [base, ...(await Promise.all((im.extraLayers ?? []).map(layerTar)))];
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: '2024-01-01T00:00:00Z',
        config: {
          Env: im.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Cmd: im.cmd ?? ['sh'],
          ...(im.entrypoint ? { Entrypoint: im.entrypoint } : {}),
          ...(im.workdir ? { WorkingDir: im.workdir } : {}),
          ...(im.stopSignal ? { StopSignal: im.stopSignal } : {}),
          ...(im.exposed ? { ExposedPorts: Object.fromEntries(im.exposed.map((p) => [p, {}])) } : {}),
          ...(im.labels ? { Labels: im.labels } : {}),
        },
        rootfs: { type: 'layers', diff_ids: layers.map((l) => sha256(l)) },
        history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'berth test fixture' })),
      }),
    );
    built.push({ config, layers, tags: im.tags });
  }
  const zlib = await import('node:zlib');
  return packToBuffer((p) => {
    const seen = new Set<string>();
    const manifest = built.map((b) => {
      const cfgName = `${sha256(b.config).slice(7)}.json`;
      if (!seen.has(cfgName)) p.entry({ name: cfgName, mode: 0o644, mtime: MTIME }, b.config);
      seen.add(cfgName);
      const layerNames = b.layers.map((l) => {
        const dir = sha256(l).slice(7);
        const name = `${dir}/layer.tar`;
        if (!seen.has(name)) {
          p.entry({ name: dir, type: 'directory', mode: 0o755, mtime: MTIME });
          p.entry({ name, mode: 0o644, mtime: MTIME }, images.some((i) => i.gzip) ? zlib.gzipSync(l) : l);
          seen.add(name);
        }
        return name;
      });
      return { Config: cfgName, RepoTags: b.tags, Layers: layerNames };
    });
    p.entry({ name: 'manifest.json', mode: 0o644, mtime: MTIME }, JSON.stringify(manifest));
  });
}

/** `docker load` of the tests' busybox archive (or the images given) into an engine, quietly. */
export async function loadBusybox(engine: Engine, images?: ArchiveImage[]): Promise<void> {
  await loadImages({ content: engine.content, layers: engine.layers, images: engine.images, event: () => {} }, Readable.from([await busyboxArchive(images)]), () => {}, true);
}
