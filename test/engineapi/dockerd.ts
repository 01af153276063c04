// A real dockerd (Debian docker.io) as a reference peer: started with --iptables=false and
// --bridge=none on its own socket, data root and exec root (with its own containerd under the exec
// root), so it touches nothing of the host's, and torn down with everything it made.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readFileSync, readdirSync, rmSync, rmdirSync, writeFileSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { DockerClient } from './harness.js';

const CGROUP_SUBSYSTEMS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'devices', 'freezer', 'blkio', 'pids', 'systemd', 'unified', 'net_cls', 'perf_event', 'hugetlb'];

/** Why dockerd cannot run here, or undefined when it can. */
export function dockerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to run dockerd';
  if (!existsSync('/usr/sbin/dockerd') && !existsSync('/usr/bin/dockerd')) return 'needs dockerd (Debian docker.io)';
  if (!existsSync('/usr/bin/containerd')) return 'needs containerd (Debian containerd, a dependency of docker.io)';
  return undefined;
}

export class DockerdProcess extends DockerClient {
  proc: ChildProcess | undefined;
  private cgroupsBefore = new Set<string>();

  constructor() {
    super('/tmp/berth-dockerd-');
  }

  get logFile(): string {
    return join(this.dir, 'dockerd.log');
  }

  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  async start(): Promise<void> {
    for (const s of CGROUP_SUBSYSTEMS) if (existsSync(`/sys/fs/cgroup/${s}/docker`)) this.cgroupsBefore.add(s);
    const cfg = join(this.dir, 'daemon.json');
    writeFileSync(cfg, '{}\n'); // not the host's /etc/docker/daemon.json
    const out = openSync(this.logFile, 'a');
    const bin = existsSync('/usr/sbin/dockerd') ? '/usr/sbin/dockerd' : '/usr/bin/dockerd';
    const p = spawn(
      bin,
      ['--config-file', cfg, '--iptables=false', '--ip-masq=false', '--bridge=none', '-H', `unix://${this.socket}`, '--data-root', join(this.dir, 'data'), '--exec-root', join(this.dir, 'exec'), '--pidfile', join(this.dir, 'dockerd.pid')],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.proc = p;
    for (let i = 0; i < 300; i++) {
      if (p.exitCode !== null) throw new Error(`dockerd exited ${p.exitCode}: ${this.log().split('\n').slice(-15).join('\n')}`);
      if (existsSync(this.socket) && (await this.docker(['version', '--format', '{{.Server.APIVersion}}'], { timeoutMs: 5000 })).code === 0) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`dockerd did not come up in 30 s: ${this.log().split('\n').slice(-15).join('\n')}`);
  }

  /** Removes every container, volume, custom network and image, then stops dockerd and removes its directories. */
  async cleanup(): Promise<void> {
    const p = this.proc;
    if (p && p.exitCode === null) {
      const ids = (await this.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (ids.length) await this.docker(['rm', '-f', '-v', ...ids]);
      const nets = (await this.docker(['network', 'ls', '-q', '--filter', 'type=custom'])).stdout.split('\n').filter(Boolean);
      if (nets.length) await this.docker(['network', 'rm', ...nets]);
      const vols = (await this.docker(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean);
      if (vols.length) await this.docker(['volume', 'rm', '-f', ...vols]);
      const containerdPid = readPid(join(this.dir, 'exec', 'containerd', 'containerd.pid'));
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      // dockerd stops the containerd it started; make sure of it
      if (containerdPid && isAlive(containerdPid)) {
        process.kill(containerdPid, 'SIGTERM');
        for (let i = 0; i < 50 && isAlive(containerdPid); i++) await new Promise((r) => setTimeout(r, 100));
      }
    }
    this.proc = undefined;
    unmountUnder(this.dir);
    rmSync(this.dir, { recursive: true, force: true });
    for (const s of CGROUP_SUBSYSTEMS) {
      const d = `/sys/fs/cgroup/${s}/docker`;
      if (this.cgroupsBefore.has(s) || !existsSync(d)) continue;
      try {
        for (const sub of readdirSync(d, { withFileTypes: true })) if (sub.isDirectory()) rmdirSync(join(d, sub.name));
        rmdirSync(d);
      } catch {
        // still in use by something else: leave it
      }
    }
  }
}

function readPid(p: string): number | undefined {
  try {
    const n = Number(readFileSync(p, 'utf8').trim());
    return n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Unmounts whatever is still mounted under a directory (deepest first). */
export function unmountUnder(dir: string): void {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!.replace(/\\040/g, ' '))
    .filter((m) => m === dir || m.startsWith(dir + '/'))
    .sort((a, b) => b.length - a.length);
  for (const m of points) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'ignore' });
    } catch {
      // already gone
    }
  }
}
