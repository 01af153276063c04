// Running host tools (runc, mount, tar, ip, CNI plugins) and reading the kernel's tables. Node has
// no mount(2), setns(2) or ioctl(2), so the engine drives the small standard tools that do.
import { spawn, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer | Readable;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs a program to completion, collecting its output; never throws for a non-zero exit. */
export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const so: SpawnOptions = { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] };
    if (opts.env) so.env = opts.env;
    if (opts.cwd) so.cwd = opts.cwd;
    const child = spawn(cmd, args, so);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | undefined;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code: code ?? 128, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
    if (opts.input !== undefined) {
      const stdin = child.stdin!;
      stdin.on('error', () => {}); // the tool may exit before reading everything; its exit code says why
      if (typeof opts.input === 'string' || Buffer.isBuffer(opts.input)) stdin.end(opts.input);
      else opts.input.pipe(stdin);
    }
  });
}

export class ToolError extends Error {
  constructor(
    readonly tool: string,
    readonly result: RunResult,
  ) {
    super(`${tool}: ${(result.stderr || result.stdout).trim() || `exit status ${result.code}`}`);
  }
}

/** Runs a program and throws ToolError unless it exits 0; returns its stdout. */
export async function check(cmd: string, args: string[], opts: RunOptions = {}): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new ToolError(cmd, r);
  return r.stdout;
}

export interface MountEntry {
  mountPoint: string;
  fsType: string;
  source: string;
}

const unescapeMount = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The mount table as this process sees it (/proc/self/mountinfo). */
export function mounts(): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    if (!line) continue;
    const f = line.split(' ');
    const dash = f.indexOf('-');
    out.push({ mountPoint: unescapeMount(f[4]!), fsType: f[dash + 1]!, source: unescapeMount(f[dash + 2] ?? '') });
  }
  return out;
}

export function isMounted(path: string): boolean {
  return mounts().some((m) => m.mountPoint === path);
}

/** Unmounts everything at or under `path`, deepest first; quiet when nothing is mounted there. */
export async function unmountAll(path: string): Promise<void> {
  const under = mounts()
    .map((m) => m.mountPoint)
    .filter((p) => p === path || p.startsWith(path + '/'))
    .sort((a, b) => b.length - a.length);
  for (const p of under) {
    const r = await run('umount', [p]);
    if (r.code !== 0 && isMounted(p)) await check('umount', ['-l', p]);
  }
}

export function processAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a process still runs: it exists and has not exited (a zombie, state Z or X in
 * /proc/PID/stat, has exited and waits only to be reaped, yet answers signal 0).
 */
export function processRunning(pid: number): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The kernel's start time of a process (field 22 of /proc/PID/stat), to tell a reused PID apart. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}
