// Runs a real `berth server` process for end-to-end tests and drives it with real clients.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const berthMain = join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export interface ServerProcess {
  proc: ChildProcess;
  dataDir: string;
  kubeconfig: string;
  port: number;
  /** Stops the server with SIGTERM and waits for it. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
}

export function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export async function startServer(opts: { dataDir?: string; extraArgs?: string[] } = {}): Promise<ServerProcess> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'berth-e2e-'));
  const proc = spawn(process.execPath, ['--enable-source-maps', berthMain, 'server', '--data-dir', dataDir, '--port', '0', '--host', '127.0.0.1', ...(opts.extraArgs ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 60_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on https:\/\/[^:]+:(\d+)/.exec(out);
      if (m && out.includes('admin kubeconfig')) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${err}`));
    });
  });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  return {
    proc,
    dataDir,
    kubeconfig: join(dataDir, 'admin.kubeconfig'),
    port,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against the server; never throws on a non-zero exit. */
export function kubectl(kubeconfig: string, args: string[], input?: string, timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolveRun) => {
    const p = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(input ?? '');
  });
}

/** Starts a long-running kubectl (get --watch, wait) and collects its output. */
export function kubectlBackground(kubeconfig: string, args: string[]): { out: () => string; done: Promise<Run>; kill(): void } {
  const p = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<Run>((r) => p.on('close', (code) => r({ code: code ?? -1, stdout, stderr })));
  return { out: () => stdout, done, kill: () => p.kill('SIGTERM') };
}

export async function eventually(check: () => Promise<boolean> | boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
