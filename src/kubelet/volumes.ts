// The pod's directory on the node (upstream's <root>/pods/<uid>/): its volumes, written from the
// plans of container-config.ts, and its kubelet-managed /etc/hosts. Files of configMap, secret,
// downwardAPI and projected volumes go through the atomic writer upstream uses: a timestamped
// directory, a `..data` symlink swapped in one rename, and top-level links through `..data`, so a
// container never sees half an update. Secrets, projected volumes and Memory emptyDirs are tmpfs.
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Volume } from 'kubernetes-types/core/v1.js';
import { check, isMounted, mounts, unmountAll } from '../engine/sys.js';
import { pluginDir, type VolumeFile, type VolumePlan } from './container-config.js';

export class PodDirs {
  private seq = 0;
  constructor(readonly root: string) {
    mkdirSync(join(root, 'pods'), { recursive: true });
  }

  podDir(uid: string): string {
    return join(this.root, 'pods', uid);
  }

  etcHostsPath(uid: string): string {
    return join(this.podDir(uid), 'etc-hosts');
  }

  volumePath(uid: string, v: Volume): string {
    return join(this.podDir(uid), 'volumes', pluginDir(v), v.name);
  }

  /** The uids with a directory here (pods this node ran). */
  knownPods(): string[] {
    try {
      return readdirSync(join(this.root, 'pods'));
    } catch {
      return [];
    }
  }

  writeEtcHosts(uid: string, content: string): void {
    mkdirSync(this.podDir(uid), { recursive: true });
    const p = this.etcHostsPath(uid);
    if (existsSync(p) && readFileSync(p, 'utf8') === content) return;
    writeFileSync(`${p}.tmp`, content, { mode: 0o644 });
    renameSync(`${p}.tmp`, p);
  }

  /** Makes one volume exist as planned; returns its host path. */
  async setUp(uid: string, v: Volume, plan: VolumePlan): Promise<string> {
    if (plan.kind === 'hostPath') {
      await hostPath(plan.path, plan.type);
      return plan.path;
    }
    const dir = this.volumePath(uid, v);
    mkdirSync(dir, { recursive: true, mode: 0o777 });
    if (plan.kind === 'emptyDir') {
      if (plan.medium === 'Memory' && !isMounted(dir)) await check('mount', ['-t', 'tmpfs', '-o', `mode=0777${plan.sizeLimitBytes ? `,size=${plan.sizeLimitBytes}` : ''}`, 'tmpfs', dir]);
      chmodSync(dir, 0o777);
      return dir;
    }
    if (plan.tmpfs && !isMounted(dir)) await check('mount', ['-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', dir]);
    this.writeAtomically(dir, plan.files);
    return dir;
  }

  /** AtomicWriter.Write: a no-op when nothing changed. */
  private writeAtomically(dir: string, files: VolumeFile[]): void {
    const data = join(dir, '..data');
    let current: string | undefined;
    try {
      current = readlinkSync(data);
    } catch {
      current = undefined;
    }
    if (current && sameFiles(join(dir, current), files)) return;
    const ts = `..${new Date().toISOString().replace(/[-:]/g, '_').replace('.', '_')}.${process.pid}.${this.seq++}`;
    const tsDir = join(dir, ts);
    mkdirSync(tsDir, { mode: 0o755 });
    for (const f of files) {
      const p = join(tsDir, f.path);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, f.data, { mode: f.mode });
      chmodSync(p, f.mode);
    }
    const tmpLink = join(dir, '..data_tmp');
    rmSync(tmpLink, { force: true });
    symlinkSync(ts, tmpLink);
    renameSync(tmpLink, data);
    // top-level entries point through ..data; stale ones go
    const tops = new Set(files.map((f) => f.path.split('/')[0]!));
    for (const t of tops) {
      const link = join(dir, t);
      let ok = false;
      try {
        ok = lstatSync(link).isSymbolicLink() && readlinkSync(link) === join('..data', t);
      } catch {
        ok = false;
      }
      if (!ok) {
        rmSync(link, { recursive: true, force: true });
        symlinkSync(join('..data', t), link);
      }
    }
    for (const e of readdirSync(dir)) {
      if (e === '..data' || e === ts) continue;
      if (e.startsWith('..') || !tops.has(e)) rmSync(join(dir, e), { recursive: true, force: true });
    }
  }

  /** Whether anything is still mounted in the pod's directory (its tmpfs volumes; podVolumesExist). */
  hasMounts(uid: string): boolean {
    const dir = this.podDir(uid);
    return mounts().some((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));
  }

  /** Unmounts and removes everything of a pod (its containers are gone). */
  async tearDown(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    if (!existsSync(dir)) return;
    await unmountAll(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

function sameFiles(dir: string, files: VolumeFile[]): boolean {
  try {
    const count = (d: string): number => readdirSync(d, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? count(join(d, e.name)) : 1), 0);
    if (count(dir) !== files.length) return false;
    return files.every((f) => {
      const p = join(dir, f.path);
      return (statSync(p).mode & 0o7777) === f.mode && readFileSync(p).equals(f.data);
    });
  } catch {
    return false;
  }
}

/** hostPath types (hostpath.go's checkType): make what DirectoryOrCreate/FileOrCreate ask, check the rest. */
async function hostPath(path: string, type: string): Promise<void> {
  let st: ReturnType<typeof statSync> | undefined;
  try {
    st = statSync(path);
  } catch {
    st = undefined;
  }
  const fail = (what: string) => {
    throw new Error(`hostPath type check failed: ${path} is not a ${what}`);
  };
  switch (type) {
    case '':
      return;
    case 'DirectoryOrCreate':
      if (!st) mkdirSync(path, { recursive: true, mode: 0o755 });
      else if (!st.isDirectory()) fail('directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) fail('directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else if (!st.isFile()) fail('file');
      return;
    case 'File':
      if (!st?.isFile()) fail('file');
      return;
    case 'Socket':
      if (!st?.isSocket()) fail('socket');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) fail('character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) fail('block device');
      return;
  }
}
