// Container engine benchmark, three runtimes in one run over the same busybox image:
//   (a) raw `runc run` of a prepared bundle (the image's root filesystem in a plain directory),
//   (b) `berth engine` through its Docker Engine API on a unix socket,
//   (c) dockerd (Debian docker.io, started here with --iptables=false --bridge=none) through the same API.
// For each: start-to-running latency (create + start of `sleep`, until start returns) and
// run-to-exit of /bin/true (create, wait, start, until the wait returns), all with no network;
// then the docker CLI end to end (`docker run --rm --network none busybox true`) against both
// daemons. The runtimes take turns, one operation each per round, so that they share whatever
// load this machine has. Prints medians, p90s and the ratios to raw runc. Needs root.
// Run: scripts/bench.sh engine   (ITERATIONS=n to change the sample count;
//      BERTH_PROFILE=dir to write a CPU profile of the engine process there)
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { busyboxArchive, busyboxRootfs } from '../test/engine/busybox.js';
import { canRunContainers, hostLinks, natChainsExist, removeTestBridges } from '../test/engine/hoststate.js';
import { DockerdProcess, dockerdUnavailable } from '../test/engineapi/dockerd.js';
import { DOCKER } from '../test/engineapi/harness.js';
import { berthNodeArgs, printTable, stats, type Stats } from './lib.js';

const ITERATIONS = Number(process.env['ITERATIONS'] ?? 20);
const WARMUP = 3;
const main = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');

// ---- measuring --------------------------------------------------------------------------------


/**
 * Runs every operation once per round, WARMUP + ITERATIONS rounds, so that all runtimes see the
 * same load on this shared machine; returns each operation's timings from the measured rounds.
 */
async function interleaved(ops: Record<string, () => Promise<number>>): Promise<Record<string, Stats>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((k) => [k, []]));
  for (let i = 0; i < WARMUP + ITERATIONS; i++) {
    for (const [k, op] of Object.entries(ops)) {
      const ms = await op();
      if (i >= WARMUP) samples[k]!.push(ms);
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, stats(v)]));
}

/** Runs a program to its exit. A detached container would hold a stderr pipe open, so `quiet` gives it none. */
function exec(cmd: string, args: string[], env?: NodeJS.ProcessEnv, quiet = false): Promise<number> {
  return new Promise((ok, fail) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', quiet ? 'ignore' : 'pipe'], ...(env ? { env } : {}) });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? ok(0) : fail(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err}`))));
  });
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

// ---- (a) raw runc -------------------------------------------------------------------------------

/** A bundle of the busybox root filesystem with runc's default spec (new namespaces, no terminal). */
async function runcBundle(dir: string, name: string, args: string[]): Promise<string> {
  const bundle = join(dir, name);
  mkdirSync(join(bundle, 'rootfs'), { recursive: true });
  const tar = join(dir, 'rootfs.tar');
  if (!existsSync(tar)) writeFileSync(tar, await busyboxRootfs());
  await exec('tar', ['-x', '-f', tar, '-C', join(bundle, 'rootfs')]);
  await exec('runc', ['spec', '--bundle', bundle]);
  const specPath = join(bundle, 'config.json');
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as { process: { args: string[]; terminal: boolean } };
  spec.process.args = args;
  spec.process.terminal = false;
  writeFileSync(specPath, JSON.stringify(spec));
  return bundle;
}

class RawRunc {
  private n = 0;
  constructor(
    private readonly root: string,
    private readonly trueBundle: string,
    private readonly sleepBundle: string,
  ) {}

  static async prepare(dir: string): Promise<RawRunc> {
    return new RawRunc(join(dir, 'runc-root'), await runcBundle(dir, 'bundle-true', ['/bin/true']), await runcBundle(dir, 'bundle-sleep', ['/bin/sleep', '1000']));
  }

  runToExit(): Promise<number> {
    return timed(() => exec('runc', ['--root', this.root, 'run', '--bundle', this.trueBundle, `bench-true-${this.n++}`]));
  }

  /** `runc run --detach` returns once the process runs; the kill and delete after it are not timed. */
  async startToRunning(): Promise<number> {
    const id = `bench-sleep-${this.n++}`;
    const ms = await timed(() => exec('runc', ['--root', this.root, 'run', '--detach', '--bundle', this.sleepBundle, id], undefined, true));
    await exec('runc', ['--root', this.root, 'kill', id, 'KILL']);
    for (let i = 0; i < 100; i++) {
      try {
        await exec('runc', ['--root', this.root, 'delete', id]);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    return ms;
  }
}

// ---- (b), (c) the Docker Engine API ------------------------------------------------------------

class EngineAPI {
  private readonly agent = new Agent({ keepAlive: true });
  constructor(readonly socket: string) {}

  call(method: string, path: string, body?: unknown, onHeaders?: () => void): Promise<{ status: number; body: string }> {
    return new Promise((ok, fail) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request({ socketPath: this.socket, path, method, agent: this.agent, headers: data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {} }, (res) => {
        onHeaders?.();
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => ok({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', fail);
      req.end(data);
    });
  }

  async expect(status: number, method: string, path: string, body?: unknown): Promise<string> {
    const r = await this.call(method, path, body);
    if (r.status !== status) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
    return r.body;
  }

  async create(cmd: string[]): Promise<string> {
    const body = await this.expect(201, 'POST', '/containers/create', { Image: 'busybox', Cmd: cmd, HostConfig: { NetworkMode: 'none' } });
    return (JSON.parse(body) as { Id: string }).Id;
  }

  /** create + start of a long-running process: the time until start returns (the container runs). */
  async startToRunning(): Promise<number> {
    const t0 = performance.now();
    const id = await this.create(['sleep', '1000']);
    await this.expect(204, 'POST', `/containers/${id}/start`);
    const ms = performance.now() - t0;
    await this.expect(204, 'DELETE', `/containers/${id}?force=1`);
    return ms;
  }

  /** create, wait (next-exit), start of /bin/true: the time until the wait returns. */
  async runToExit(): Promise<number> {
    const t0 = performance.now();
    const id = await this.create(['/bin/true']);
    let registered!: () => void;
    const headers = new Promise<void>((r) => (registered = r));
    const waited = this.call('POST', `/containers/${id}/wait?condition=next-exit`, undefined, registered);
    await headers; // the wait is registered once its headers are back, as the docker CLI relies on
    await this.expect(204, 'POST', `/containers/${id}/start`);
    const w = await waited;
    const ms = performance.now() - t0;
    if (w.status !== 200 || (JSON.parse(w.body) as { StatusCode: number }).StatusCode !== 0) throw new Error(`wait: ${w.status} ${w.body}`);
    await this.expect(204, 'DELETE', `/containers/${id}`);
    return ms;
  }

  close(): void {
    this.agent.destroy();
  }
}

function dockerCLI(socket: string, home: string): () => Promise<number> {
  const env = { PATH: process.env['PATH'] ?? '', HOME: home, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(home, 'cfg') };
  return () => timed(() => exec(DOCKER, ['run', '--rm', '--network', 'none', 'busybox', 'true'], env));
}

async function load(socket: string, home: string, tar: string): Promise<void> {
  await exec(DOCKER, ['load', '-i', tar], { PATH: process.env['PATH'] ?? '', HOME: home, DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(home, 'cfg') });
}

async function startBerth(dir: string): Promise<{ socket: string; stop: () => Promise<void> }> {
  const socket = join(dir, 'berth.sock');
  const profile = process.env['BERTH_PROFILE'];
  const nodeArgs = [...berthNodeArgs(), ...(profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(profile)] : [])];
  const p = spawn(process.execPath, [...nodeArgs, main, 'engine', '--data-dir', join(dir, 'berth'), '--socket', socket], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  p.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  for (let i = 0; i < 200 && !existsSync(socket); i++) {
    if (p.exitCode !== null) throw new Error(`berth engine exited: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!existsSync(socket)) throw new Error(`berth engine did not come up: ${log}`);
  return {
    socket,
    stop: async () => {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    },
  };
}

// ---- the run ----------------------------------------------------------------------------------

const skip = canRunContainers();
if (skip) {
  console.log(`bench/engine skipped: ${skip}`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-engine-'));
const links = hostLinks();
const nat = natChainsExist();
const tar = join(dir, 'busybox.tar');
writeFileSync(tar, await busyboxArchive());
const home = join(dir, 'home');
mkdirSync(home);

const f = (n: number) => n.toFixed(1);
let results: Record<string, Stats> = {};
let dockerSkipped = dockerdUnavailable() ?? '';
const b = await startBerth(dir);
const d = dockerSkipped ? undefined : new DockerdProcess();
try {
  const runc = await RawRunc.prepare(dir);
  await load(b.socket, home, tar);
  const berthAPI = new EngineAPI(b.socket);
  let dockerAPI: EngineAPI | undefined;
  if (d) {
    try {
      await d.start();
      await load(d.socket, home, tar);
      dockerAPI = new EngineAPI(d.socket);
    } catch (e) {
      dockerSkipped = `dockerd failed to start: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  const ops: Record<string, () => Promise<number>> = {
    'runc start': () => runc.startToRunning(),
    'runc run': () => runc.runToExit(),
    'berth start': () => berthAPI.startToRunning(),
    'berth run': () => berthAPI.runToExit(),
    'berth cli': dockerCLI(b.socket, home),
  };
  if (dockerAPI && d) {
    ops['docker start'] = () => dockerAPI.startToRunning();
    ops['docker run'] = () => dockerAPI.runToExit();
    ops['docker cli'] = dockerCLI(d.socket, home);
  }
  results = await interleaved(ops);
  berthAPI.close();
  dockerAPI?.close();
} finally {
  await b.stop();
  await d?.cleanup();
  removeTestBridges(links, nat);
  rmSync(dir, { recursive: true, force: true });
}

const r = (k: string) => results[k]!;
const rows: string[][] = [['', 'start-to-running median ms', 'p90', 'run-to-exit median ms', 'p90', 'n']];
rows.push(['raw runc run (prepared bundle)', f(r('runc start').median), f(r('runc start').p90), f(r('runc run').median), f(r('runc run').p90), String(r('runc run').n)]);
rows.push(['berth, Engine API (create+start / create+wait+start)', f(r('berth start').median), f(r('berth start').p90), f(r('berth run').median), f(r('berth run').p90), String(r('berth run').n)]);
const docker = 'docker run' in results;
if (docker) rows.push(['dockerd, Engine API (same calls)', f(r('docker start').median), f(r('docker start').p90), f(r('docker run').median), f(r('docker run').p90), String(r('docker run').n)]);
rows.push(['docker run --rm --network none busybox true: berth', '', '', f(r('berth cli').median), f(r('berth cli').p90), String(r('berth cli').n)]);
if (docker) rows.push(['docker run --rm --network none busybox true: dockerd', '', '', f(r('docker cli').median), f(r('docker cli').p90), String(r('docker cli').n)]);
printTable(rows);
const ratio = (a: string, b: string) => (r(a).median / r(b).median).toFixed(2);
console.log('');
console.log(`berth / runc:  start-to-running ${ratio('berth start', 'runc start')}, run-to-exit ${ratio('berth run', 'runc run')}  (goal <= 1.5)`);
if (docker) {
  console.log(`docker / runc: start-to-running ${ratio('docker start', 'runc start')}, run-to-exit ${ratio('docker run', 'runc run')}`);
  console.log(`docker / berth: start-to-running ${ratio('docker start', 'berth start')}, run-to-exit ${ratio('docker run', 'berth run')}, docker CLI end to end ${ratio('docker cli', 'berth cli')}`);
} else console.log(`dockerd not measured: ${dockerSkipped}`);
