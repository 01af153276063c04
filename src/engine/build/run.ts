// Running a RUN step: runc in the foreground over an overlay of the parent's layers and a fresh
// upper directory (which afterwards holds exactly the step's changes), without a network; and
// read-only mounts of a layer chain, for COPY's destination checks and COPY --from's sources.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LayerStore } from '../layers.js';
import type { Runc } from '../runtime.js';
import { runtimeSpec, type OciMount, type ResolvedUser } from '../spec.js';
import { check, run, unmountAll } from '../sys.js';

export interface RunStep {
  id: string;
  dir: string;
  chainID: string | undefined;
  args: string[];
  env: string[];
  cwd: string;
  user: ResolvedUser;
  hostname: string;
  /** extra bind mounts (a heredoc script) */
  mounts: OciMount[];
  onOutput: (chunk: Buffer) => void;
}

/** Lower directories for overlayfs (at least two: a read-only stack needs them). */
export function lowerDirs(layers: LayerStore, chainID: string | undefined, empty: string): string[] {
  mkdirSync(empty, { recursive: true });
  const lower = chainID ? layers.lowerDirs(chainID) : [];
  while (lower.length < 2) lower.push(empty);
  return lower;
}

/** Mounts a chain read-only at `dir`; returns the unmount. */
export async function mountChain(layers: LayerStore, chainID: string | undefined, dir: string, empty: string): Promise<() => Promise<void>> {
  mkdirSync(dir, { recursive: true });
  if (!chainID) return async () => {};
  await check('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lowerDirs(layers, chainID, empty).join(':')}`, dir]);
  return () => unmountAll(dir);
}

// runc makes these mount points when the image lacks them; they are not the step's changes
const RUNC_MOUNT_POINTS = ['proc', 'sys', 'dev'];

/** Runs the step; resolves with the process's exit code. The upper directory is `dir/upper`. */
export async function runStep(runc: Runc, layers: LayerStore, s: RunStep, empty: string): Promise<number> {
  const upper = join(s.dir, 'upper');
  for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(s.dir, d), { recursive: true });
  const lower = lowerDirs(layers, s.chainID, empty);
  const spec = runtimeSpec({
    root: 'rootfs',
    rootOverlay: { destination: '/', type: 'overlay', source: 'overlay', options: [`lowerdir=${lower.join(':')}`, `upperdir=${upper}`, `workdir=${join(s.dir, 'work')}`] },
    readonlyRootfs: false,
    args: s.args,
    env: s.env,
    cwd: s.cwd,
    user: s.user,
    tty: false,
    hostname: s.hostname,
    mounts: s.mounts,
    network: { kind: 'new' },
    ipc: { kind: 'new' },
    pid: { kind: 'new' },
    uts: { kind: 'new' },
    cgroupsPath: `/berth/${s.id}`,
    resources: {},
    capAdd: [],
    capDrop: [],
    privileged: false,
    shmSize: 64 * 1024 * 1024,
    sysctls: {},
  });
  writeFileSync(join(s.dir, 'config.json'), JSON.stringify(spec));
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(runc.binary, ['--root', runc.root, 'run', '--bundle', s.dir, s.id], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', s.onOutput);
    child.stderr!.on('data', s.onOutput);
    child.on('error', reject);
    child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1)));
  });
  await run(runc.binary, ['--root', runc.root, 'delete', '--force', s.id]);
  for (const point of RUNC_MOUNT_POINTS) {
    const p = join(upper, point);
    const inLower = lower.some((l) => existsSync(join(l, point)));
    if (!inLower && existsSync(p) && readdirSync(p).length === 0) rmdirSync(p);
  }
  return code;
}
