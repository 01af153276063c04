// Image build benchmark: berth's builder (through `berth engine`'s classic /build endpoint) against
// a real dockerd's classic builder (Debian docker.io, started here), both driven by the same docker
// CLI with DOCKER_BUILDKIT=0, on the same Dockerfile and context, in the same run:
//   cold      `docker build --no-cache` (every step executes)
//   warm      an unchanged rebuild (every step a cache hit)
//   one file  a rebuild after one small copied file was rewritten (misses from that COPY on)
// The daemons take turns, one build each per round, so that they share whatever load this machine
// has; the step output is checked, so that a "warm" sample that missed is reported, not averaged in.
// Then layer hashing: berth's layer Hasher (src/engine/content.ts, what the builder's layer writer
// streams every layer through) over a 200 MB file, beside `sha256sum` of the same file.
// Prints medians, p90s and ratios (dockerd time / berth time). Needs root.
// Run: scripts/bench.sh build   (ITERATIONS=n to change the sample count)
import { spawn } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Hasher } from '../src/engine/content.js';
import { busyboxArchive } from '../test/engine/busybox.js';
import { canRunContainers, hostLinks, natChainsExist, removeTestBridges } from '../test/engine/hoststate.js';
import { DockerdProcess, dockerdUnavailable, unmountUnder } from '../test/engineapi/dockerd.js';
import { EngineProcess, type DockerClient } from '../test/engineapi/harness.js';
import { printTable, stats, type Stats } from './lib.js';

const ITERATIONS = Number(process.env['ITERATIONS'] ?? 5);
const WARMUP = 1;
const HASH_MB = 200;
const HASH_SAMPLES = 3;
const TAG = 'berth-bench-build:latest';

// ---- measuring --------------------------------------------------------------------------------


// ---- the build --------------------------------------------------------------------------------

const DOCKERFILE = [
  'FROM busybox',
  'ENV APP_HOME=/srv/app MODE=bench',
  'LABEL org.example.bench=build org.example.size=medium',
  'WORKDIR $APP_HOME',
  'ENV GREETING=hello',
  'COPY data/ ./data/',
  `RUN sh -c 'for i in $(seq 200); do echo $i > /tmp/f$i; done'`,
  'RUN ls -R /srv/app/data | wc -l > /srv/count && cat /srv/app/data/small/f000.txt > /srv/first.txt',
  'CMD ["sh"]',
].join('\n');
const STEPS = DOCKERFILE.split('\n').length;
/** The step the one-file change first misses at: the COPY. */
const COPY_STEP = DOCKERFILE.split('\n').findIndex((l) => l.startsWith('COPY')) + 1;
const SMALL_FILES = 300;

/** The build context: the Dockerfile, a few hundred small files in nested directories, one 20 MB file. */
function makeContext(dir: string): string {
  const ctx = join(dir, 'context');
  mkdirSync(join(ctx, 'data', 'small'), { recursive: true });
  writeFileSync(join(ctx, 'Dockerfile'), DOCKERFILE + '\n');
  for (let i = 0; i < SMALL_FILES; i++) {
    const sub = i < 100 ? 'small' : `small/d${i % 10}`;
    mkdirSync(join(ctx, 'data', sub), { recursive: true });
    writeFileSync(join(ctx, 'data', sub, `f${String(i).padStart(3, '0')}.txt`), `file ${i}\n`.repeat(1 + (i % 40)));
  }
  // incompressible, as real binaries mostly are
  writeFileSync(join(ctx, 'data', 'blob.bin'), randomBytes(20 << 20));
  return ctx;
}

interface Step {
  no: number;
  cached: boolean;
}

/** Each "Step n/m" of the classic builder's output, and whether it said " ---> Using cache". */
function steps(out: string): Step[] {
  return out
    .split(/^Step /m)
    .slice(1)
    .map((s) => ({ no: Number(/^(\d+)\//.exec(s)?.[1] ?? 0), cached: s.includes(' ---> Using cache') }));
}

type Kind = 'cold' | 'warm' | 'change';

class Daemon {
  readonly samples: Record<Kind, number[]> = { cold: [], warm: [], change: [] };
  readonly anomalies: string[] = [];
  constructor(
    readonly name: string,
    readonly client: DockerClient,
  ) {}

  async build(kind: Kind, ctx: string, record: boolean): Promise<void> {
    const args = ['build', ...(kind === 'cold' ? ['--no-cache'] : []), '-t', TAG, ctx];
    const t0 = performance.now();
    const r = await this.client.docker(args, { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 600_000 });
    const ms = performance.now() - t0;
    if (r.code !== 0) throw new Error(`${this.name}: docker ${args.join(' ')}: exit ${r.code}: ${r.stderr}\n${r.stdout.slice(-2000)}`);
    const s = steps(r.stdout);
    if (s.length !== STEPS) throw new Error(`${this.name}: expected ${STEPS} steps, saw ${s.length}:\n${r.stdout.slice(-2000)}`);
    // what the cache should have done: nothing (cold), everything after FROM (warm), everything before the COPY (change)
    const want = (no: number) => (kind === 'cold' ? false : kind === 'warm' ? no > 1 : no > 1 && no < COPY_STEP);
    const wrong = s.filter((x) => x.no > 1 && x.cached !== want(x.no)).map((x) => `step ${x.no} ${x.cached ? 'hit' : 'missed'}`);
    if (wrong.length) this.anomalies.push(`${kind} build: ${wrong.join(', ')}`);
    if (record) this.samples[kind].push(ms);
  }

  async load(tar: string): Promise<void> {
    const r = await this.client.docker(['load', '-i', tar]);
    if (r.code !== 0) throw new Error(`${this.name}: docker load: ${r.stderr}`);
  }

  /** The bench's image and every image it left dangling. */
  async removeImages(): Promise<void> {
    await this.client.docker(['image', 'rm', '-f', TAG]);
    const dangling = (await this.client.docker(['images', '-q', '--filter', 'dangling=true'])).stdout.split('\n').filter(Boolean);
    if (dangling.length) await this.client.docker(['image', 'rm', '-f', ...new Set(dangling)]);
  }
}

// ---- layer hashing ----------------------------------------------------------------------------

/** A file of `mb` MiB of random bytes, written in 8 MiB pieces. */
function bigFile(path: string, mb: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let i = 0; i < mb; i += 8) writeSync(fd, randomBytes(Math.min(8, mb - i) << 20));
  } finally {
    closeSync(fd);
  }
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });

/** The file streamed through berth's Hasher, as the layer writer streams a layer. */
async function hashBerth(path: string): Promise<{ ms: number; digest: string }> {
  const t0 = performance.now();
  const h = new Hasher();
  await pipeline(createReadStream(path), h, discard());
  const digest = h.digest();
  return { ms: performance.now() - t0, digest };
}

function hashSha256sum(path: string): Promise<{ ms: number; digest: string }> {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const p = spawn('sha256sum', [path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', fail);
    p.on('close', (code) => (code === 0 ? ok({ ms: performance.now() - t0, digest: 'sha256:' + out.split(' ')[0] }) : fail(new Error(`sha256sum: exit ${code}: ${err}`))));
  });
}

// ---- the run ----------------------------------------------------------------------------------

const skip = canRunContainers();
if (skip) {
  console.log(`bench/build skipped: ${skip}`);
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'berth-bench-build-'));
const links = hostLinks();
const nat = natChainsExist();
let dockerSkipped = dockerdUnavailable() ?? '';
const eng = new EngineProcess();
const dockerd = dockerSkipped ? undefined : new DockerdProcess();
const daemons: Daemon[] = [];
const hashing: { berth: number[]; sha256sum: number[] } = { berth: [], sha256sum: [] };
try {
  const ctx = makeContext(dir);
  const tar = join(dir, 'busybox.tar');
  writeFileSync(tar, await busyboxArchive());
  await eng.start();
  const berth = new Daemon('berth', eng);
  daemons.push(berth);
  await berth.load(tar);
  if (dockerd) {
    try {
      await dockerd.start();
      const d = new Daemon('dockerd', dockerd);
      daemons.push(d);
      await d.load(tar);
    } catch (e) {
      dockerSkipped = `dockerd failed to start: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  const small = join(ctx, 'data', 'small', 'f000.txt');
  let edits = 0;
  for (let round = 0; round < WARMUP + ITERATIONS; round++) {
    const record = round >= WARMUP;
    for (const d of daemons) await d.build('cold', ctx, record);
    for (const d of daemons) await d.build('warm', ctx, record);
    // one rewrite per daemon, so each sees a file it has not built before
    for (const d of daemons) {
      writeFileSync(small, `file 0, edit ${edits++}\n`);
      await d.build('change', ctx, record);
    }
  }

  const big = join(dir, 'big.bin');
  bigFile(big, HASH_MB);
  readFileSync(big, { flag: 'r' }).length; // into the page cache, so neither side pays the first read
  for (let i = 0; i < HASH_SAMPLES; i++) {
    const a = await hashBerth(big);
    const b = await hashSha256sum(big);
    if (a.digest !== b.digest) throw new Error(`digests differ: berth ${a.digest}, sha256sum ${b.digest}`);
    hashing.berth.push(a.ms);
    hashing.sha256sum.push(b.ms);
  }
} finally {
  for (const d of daemons) await d.removeImages().catch(() => {});
  await eng.stop().catch(() => {});
  unmountUnder(eng.dir);
  await eng.cleanup().catch(() => {});
  await dockerd?.cleanup().catch(() => {});
  removeTestBridges(links, nat);
  rmSync(dir, { recursive: true, force: true });
}

const f = (n: number) => n.toFixed(0);
const label: Record<Kind, string> = { cold: 'cold (--no-cache)', warm: 'warm (all cache hits)', change: 'one copied file changed' };
const [b, d] = daemons as [Daemon, Daemon | undefined];
console.log(`Dockerfile: ${STEPS} steps; context ${SMALL_FILES} small files + one 20 MiB file; DOCKER_BUILDKIT=0 docker build; ${ITERATIONS} samples each, interleaved`);
const rows: string[][] = [['build', 'berth median ms', 'p90', 'dockerd median ms', 'p90', 'dockerd / berth', 'n']];
for (const k of ['cold', 'warm', 'change'] as Kind[]) {
  const bs = stats(b.samples[k]);
  const ds = d ? stats(d.samples[k]) : undefined;
  rows.push([label[k], f(bs.median), f(bs.p90), ds ? f(ds.median) : '-', ds ? f(ds.p90) : '-', ds ? (ds.median / bs.median).toFixed(2) : '-', String(bs.n)]);
}
printTable(rows);
if (d) {
  const warm = stats(d.samples.warm).median / stats(b.samples.warm).median;
  console.log(`warm rebuild dockerd / berth = ${warm.toFixed(2)}  (goal >= 2.00: ${warm >= 2 ? 'met' : 'not met'})`);
} else console.log(`dockerd not measured: ${dockerSkipped}`);
for (const x of daemons) for (const a of x.anomalies) console.log(`warning: ${x.name} ${a} (the cache did not do what the rules say)`);

console.log('');
const mbps = (ms: number) => HASH_MB / (ms / 1000);
const hb = stats(hashing.berth);
const hs = stats(hashing.sha256sum);
printTable([
  [`layer hashing, ${HASH_MB} MiB file (page cache)`, 'median ms', 'MiB/s', 'p90 ms', 'n'],
  ['berth Hasher (createReadStream -> Hasher)', f(hb.median), f(mbps(hb.median)), f(hb.p90), String(hb.n)],
  ['sha256sum', f(hs.median), f(mbps(hs.median)), f(hs.p90), String(hs.n)],
]);
const hr = mbps(hb.median) / mbps(hs.median);
console.log(`berth / sha256sum throughput = ${hr.toFixed(2)}  (goal: layer hashing at disk speed, ~1.00)`);
