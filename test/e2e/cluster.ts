// Runs a real `berth server` process for end-to-end tests and drives it with real clients.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { get } from 'node:http';
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
  return { dataDir, kubeconfig: join(dataDir, 'admin.kubeconfig'), port, ...stoppable(proc) };
}

/** stop (SIGTERM) and kill (SIGKILL), each resolving once the process has exited. */
function stoppable(proc: ChildProcess): { proc: ChildProcess; stop(): Promise<void>; kill(): Promise<void> } {
  const exited = new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
  const end = async (signal: NodeJS.Signals) => {
    proc.kill(signal);
    await exited;
  };
  return { proc, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
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

/** Polls until check returns something truthy, and returns that. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false> | T | undefined | null | false, ms = 10_000, what = 'condition'): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface SimNodesProcess {
  proc: ChildProcess;
  /** SIGTERM: the nodes stop heartbeating and tending their pods, as failed nodes would. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash of the machine. */
  kill(): Promise<void>;
}

/** Runs `berth sim nodes` against a server with its kubeconfig; resolves once the nodes run. */
export async function startSimNodes(kubeconfig: string, args: string[]): Promise<SimNodesProcess> {
  const proc = spawn(process.execPath, ['--enable-source-maps', berthMain, 'sim', 'nodes', '--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  await new Promise<void>((resolveStarted, reject) => {
    const timer = setTimeout(() => reject(new Error(`berth sim nodes did not start: ${err}`)), 30_000);
    proc.stdout!.on('data', (d) => {
      out += d;
      if (/simulated node\(s\) running/.test(out)) {
        clearTimeout(timer);
        resolveStarted();
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth sim nodes exited with ${code}: ${err}`));
    });
  });
  return stoppable(proc);
}

/** The body of a plain HTTP GET; fails on a connection error or after timeoutMs without an answer. */
export function fetchText(url: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    get(url, { timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .on('timeout', function (this: { destroy(e: Error): void }) {
        this.destroy(new Error('timeout'));
      });
  });
}
