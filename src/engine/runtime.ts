// The OCI runtime: runc, driven per container through a tiny detached shell "shim" that is the
// parent of `runc run`, so that the container, its output files and its exit status all outlive
// the engine (live restore). With a TTY, util-linux `script` provides the host side terminal that
// runc's foreground mode requires; resizing goes through `stty` on the container's own tty.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { check, run, ToolError } from './sys.js';

export interface RuncState {
  id: string;
  pid: number;
  status: 'creating' | 'created' | 'running' | 'paused' | 'stopped';
  bundle: string;
}

/** Single-quotes a word for sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export interface ShimOptions {
  id: string;
  /** the bundle: config.json and rootfs live here */
  bundle: string;
  /** where the shim writes init.pid, exit and runc.log, and where the stdin fifo is */
  runDir: string;
  /** where stdout and stderr go */
  ioDir: string;
  tty: boolean;
  /**
   * Keep runc's state (and with it the container's cgroups) after the exit, until `delete`: what
   * the cgroup recorded, an OOM kill among it, is then still there to read.
   */
  keep?: boolean;
  /** 'null': no stdin; 'once': the engine holds the only writer; 'open': never reaches EOF */
  stdin: 'null' | 'once' | 'open';
}

export class Runc {
  constructor(
    readonly root: string,
    readonly binary = 'runc',
  ) {}

  private args(...rest: string[]): string[] {
    return ['--root', this.root, ...rest];
  }

  /** The shim: waits on `runc run`, then records the exit status; detached from the engine. */
  shimScript(o: ShimOptions): string {
    const runArgs = [this.binary, ...this.args('--log', join(o.runDir, 'runc.log'), '--log-format', 'json', 'run', ...(o.keep ? ['--keep'] : []), '--bundle', o.bundle, '--pid-file', join(o.runDir, 'init.pid'), o.id)]
      .map(shQuote)
      .join(' ');
    const stdin = join(o.runDir, 'stdin');
    const out = `>>${shQuote(join(o.ioDir, 'stdout'))} 2>>${shQuote(join(o.ioDir, 'stderr'))}`;
    const lines = ['cd /'];
    let cmd: string;
    if (o.tty) {
      // script gives runc the terminal it insists on; its stdin never reaches EOF, as with dockerd
      cmd = `SHELL=/bin/sh script -q -e -E never -c ${shQuote(runArgs)} /dev/null 0<>${shQuote(stdin)} ${out}`;
    } else if (o.stdin === 'open') cmd = `${runArgs} 0<>${shQuote(stdin)} ${out}`;
    else if (o.stdin === 'once') cmd = `${runArgs} <${shQuote(stdin)} ${out}`;
    else cmd = `${runArgs} </dev/null ${out}`;
    lines.push(cmd);
    // written in place (a rename would cost a process on every exit): readers wait for content
    lines.push(`echo $? >${shQuote(join(o.runDir, 'exit'))}`);
    return lines.join('\n') + '\n';
  }

  /**
   * Starts the shim in its own session; returns its PID. While this engine runs, `onExit` hears of
   * the shim's end at once (an engine that comes back later watches the exit file instead).
   */
  startShim(o: ShimOptions, onExit?: (pid: number) => void): number {
    const child = spawn('/bin/sh', ['-c', this.shimScript(o)], { detached: true, stdio: 'ignore' });
    if (onExit) child.once('exit', () => onExit(child.pid!));
    child.unref();
    if (child.pid === undefined) throw new Error('failed to start the container shim');
    return child.pid;
  }

  async state(id: string): Promise<RuncState | undefined> {
    const r = await run(this.binary, this.args('state', id));
    if (r.code !== 0) return undefined;
    return JSON.parse(r.stdout) as RuncState;
  }

  async kill(id: string, signal: string, all = false): Promise<void> {
    await check(this.binary, this.args('kill', ...(all ? ['--all'] : []), id, signal));
  }

  async pause(id: string): Promise<void> {
    await check(this.binary, this.args('pause', id));
  }

  async resume(id: string): Promise<void> {
    await check(this.binary, this.args('resume', id));
  }

  /** Changes a running container's cgroup limits (OCI LinuxResources; what is absent stays). */
  async update(id: string, resources: Record<string, unknown>): Promise<void> {
    await check(this.binary, this.args('update', '--resources', '-', id), { input: JSON.stringify(resources) });
  }

  async delete(id: string): Promise<void> {
    await run(this.binary, this.args('delete', '--force', id));
  }

  /** Deletes runc's state of a container only when there is some (`runc run` removes its own on exit). */
  async deleteIfPresent(id: string): Promise<void> {
    if (existsSync(join(this.root, id))) await this.delete(id);
  }

  /** PIDs in the container (host namespace). */
  async ps(id: string): Promise<number[]> {
    const out = await check(this.binary, this.args('ps', '--format', 'json', id));
    return (JSON.parse(out) as number[] | null) ?? [];
  }

  /**
   * Starts `runc exec` of a process spec in the foreground, with pipes; with a TTY, under `script`
   * for the same reason as the shim.
   */
  exec(id: string, processFile: string, pidFile: string, tty: boolean, detach: boolean): ChildProcess {
    const args = this.args('exec', '--process', processFile, '--pid-file', pidFile, ...(detach ? ['--detach'] : []), id);
    if (tty && !detach) {
      const cmd = [this.binary, ...args].map(shQuote).join(' ');
      return spawn('script', ['-q', '-e', '-E', 'never', '-c', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, SHELL: '/bin/sh' } });
    }
    return spawn(this.binary, args, { stdio: [detach ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  }
}

/** Sets a terminal's size through the process that has it open (`stty` does the ioctl). */
export async function resizeTty(pid: number, height: number, width: number): Promise<void> {
  const tty = `/proc/${pid}/fd/0`;
  if (!existsSync(tty)) return;
  await run('stty', ['-F', tty, 'rows', String(height), 'cols', String(width)]);
}

/** runc's error from its JSON log, as dockerd relays it from containerd. */
export function runcError(runDir: string, fallback: string): string {
  const p = join(runDir, 'runc.log');
  if (!existsSync(p)) return fallback;
  let msg = '';
  for (const line of readFileSync(p, 'utf8').split('\n')) {
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      if (e.level === 'error' && e.msg) msg = e.msg;
    } catch {
      // not JSON: ignore
    }
  }
  return msg || fallback;
}

export function isToolError(e: unknown): e is ToolError {
  return e instanceof ToolError;
}
