// Runs `berth engine` as its own process on a temporary socket and drives it with the real docker
// CLI (the 28.x client at /usr/local/bin/docker), for the engine API's end-to-end tests.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { busyboxArchive } from '../engine/busybox.js';

export const DOCKER = existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';
const MAIN = resolve(new URL('.', import.meta.url).pathname, '../../src/cli/main.js');

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The docker CLI pointed at one daemon's socket, with its own HOME and config directory. */
export class DockerClient {
  readonly dir: string;
  readonly socket: string;

  constructor(prefix: string) {
    this.dir = mkdtempSync(prefix);
    this.socket = join(this.dir, 'docker.sock');
  }

  docker(args: string[], opts: { input?: string | Buffer; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Result> {
    return new Promise((resolve) => {
      const child = execFile(
        DOCKER,
        args,
        { env: { PATH: process.env['PATH'] ?? '', HOME: this.dir, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.dir, 'cfg'), ...(opts.env ?? {}) }, timeout: opts.timeoutMs ?? 60_000, killSignal: 'SIGKILL', maxBuffer: 64 << 20, encoding: 'buffer' },
        (err, stdout, stderr) => {
          const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
          resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
        },
      );
      if (opts.input !== undefined) child.stdin!.end(opts.input);
      else child.stdin!.end();
    });
  }

  /** The docker CLI under a pseudo-terminal (util-linux script), for -it; keystrokes follow the shell's `/ # ` prompts. */
  dockerTTY(args: string[], keys: { after: number; text: string }[], env: Record<string, string> = {}): Promise<Result> {
    const cmd = `stty rows 40 cols 100; ${[DOCKER, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')}`;
    return new Promise((resolve) => {
      const child = spawn('script', ['-qefc', cmd, '/dev/null'], { env: { PATH: process.env['PATH'] ?? '', HOME: this.dir, DOCKER_HOST: `unix://${this.socket}`, DOCKER_CONFIG: join(this.dir, 'cfg'), SHELL: '/bin/sh', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
      // Each line is typed a while after the shell's next prompt: typed any earlier, it can reach
      // the terminal before the CLI has put it in raw mode (seen against dockerd on a busy machine).
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      const prompts = () => (out.match(/\/ # /g) ?? []).length;
      const next = () => {
        if (timer || sent >= keys.length || prompts() <= sent) return;
        timer = setTimeout(() => {
          timer = undefined;
          child.stdin!.write(keys[sent++]!.text);
          next();
        }, keys[sent]!.after);
      };
      child.stdout!.on('data', next);
      const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (code) => {
        clearTimeout(kill);
        clearTimeout(timer);
        child.stdin!.destroy();
        resolve({ code: code ?? 1, stdout: out, stderr: err });
      });
    });
  }
}

export class EngineProcess extends DockerClient {
  proc: ChildProcess | undefined;
  log = '';

  constructor() {
    super('/tmp/berth-api-test-');
  }

  get dataDir(): string {
    return join(this.dir, 'data');
  }

  async start(): Promise<void> {
    rmSync(this.socket, { force: true });
    const p = spawn(process.execPath, ['--enable-source-maps', MAIN, 'engine', '--data-dir', this.dataDir, '--socket', this.socket], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    this.proc = p;
    for (let i = 0; i < 200; i++) {
      if (existsSync(this.socket) && (await this.docker(['version', '--format', '{{.Server.APIVersion}}'])).code === 0) return;
      if (p.exitCode !== null) throw new Error(`engine exited: ${this.log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`engine did not come up: ${this.log}`);
  }

  /** Ends the engine: SIGTERM (orderly) or SIGKILL (a crash); containers keep running either way. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill(signal);
    await exited;
    this.proc = undefined;
  }

  async loadBusybox(): Promise<void> {
    const tar = join(this.dir, 'busybox.tar');
    writeFileSync(tar, await busyboxArchive());
    const r = await this.docker(['load', '-i', tar]);
    if (r.code !== 0) throw new Error(r.stderr);
  }

  async cleanup(): Promise<void> {
    if (this.proc) {
      const ids = (await this.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', '-v', ...ids]);
      const nets = (await this.docker(['network', 'ls', '-q', '--filter', 'type=custom'])).stdout.split('\n').filter(Boolean);
      if (nets.length) await this.docker(['network', 'rm', ...nets]);
      await this.stop();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
