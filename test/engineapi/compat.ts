// The docker compatibility comparison: the same docker CLI commands, in the same order, against
// `berth engine` and against a real dockerd (Debian docker.io, --iptables=false --bridge=none, its
// own socket, data root and exec root), with the outputs normalized (ids, times, durations, the
// per-daemon ports, subnets and directories masked) and compared step by step. Differences that
// are known and explained are listed in docs/docker-compat.md; anything else is a finding.
// Run: scripts/docker-compat.sh   (the test compat.test.ts runs the same thing)
import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { busyboxArchive } from '../engine/busybox.js';
import { freePort, freeSubnets, hostLinks, hostState, natChainsExist, removeTestBridges, type HostState } from '../engine/hoststate.js';
import { DockerdProcess } from './dockerd.js';
import { EngineProcess, type DockerClient, type Result } from './harness.js';
import { removeCgroup } from '../../src/engine/cgroups.js';

export type TargetName = 'berth' | 'dockerd';

/** What a step sees of the daemon it runs against. */
export interface StepCtx {
  target: TargetName;
  vars: Record<string, string>;
  /** ${NAME} placeholders replaced by this daemon's values */
  sub(s: string): string;
  docker(args: string[], opts?: { input?: string; env?: Record<string, string> }): Promise<Result>;
  /** values a step keeps for later steps on the same daemon */
  saved: Record<string, string>;
}

export interface Step {
  id: string;
  args?: string[];
  input?: string;
  env?: Record<string, string>;
  /** run under a pseudo-terminal, typing these keys */
  tty?: { after: number; text: string }[];
  /** an HTTP GET from the host instead of a docker command */
  http?: string;
  /** a step made of several actions; its result is what is compared */
  fn?: (c: StepCtx) => Promise<Result>;
  /** retry (up to 5 s) until the normalized stdout matches */
  until?: RegExp;
  /** compare JSON output: 'pretty' values with sorted keys, or only its 'shape' (key paths and types) */
  json?: 'pretty' | 'shape';
  /** the order of lines carries no meaning (map iteration) */
  sortLines?: boolean;
  /** parts of the result not compared */
  ignore?: ('code' | 'stdout' | 'stderr')[];
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

export interface StepResult {
  step: Step;
  command: string;
  berth: Outcome;
  dockerd: Outcome;
  same: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** docs/docker-compat.md, from dist/test/engineapi or test/engineapi alike */
export const KNOWN_FILE = resolve(HERE, HERE.includes('/dist/') ? '../../../docs/docker-compat.md' : '../../docs/docker-compat.md');

/** The step ids docs/docker-compat.md lists as known differences (table rows starting with `id`). */
export function knownDifferences(text = readFileSync(KNOWN_FILE, 'utf8')): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\|\s*`([a-z0-9-]+)`\s*\|\s*(.*?)\s*\|?\s*$/.exec(line);
    if (m) out.set(m[1]!, m[2]!);
  }
  return out;
}

// ---- normalization --------------------------------------------------------------------------

export interface Normalizer {
  /** per-daemon values, put back as ${NAME} */
  vars: Record<string, string>;
  /** known image IDs (64 hex, no prefix) → a stable name */
  images: Record<string, string>;
}

const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g;
const AGO = /\b(\d+ (second|minute|hour|day|week|month|year)s?|About an? (minute|hour)|Less than a second) ago\b/g;
const UP = /\bUp (\d+ (second|minute|hour)s?|About an? (minute|hour)|Less than a second)\b/g;

export function normalize(text: string, n: Normalizer): string {
  let s = text.replace(/\r\n/g, '\n').replace(/\r/g, '\n');
  const vars = Object.entries(n.vars).filter(([, v]) => v).sort((a, b) => b[1].length - a[1].length);
  for (const [k, v] of vars) s = s.split(v).join(`\${${k}}`);
  for (const [id, name] of Object.entries(n.images)) {
    s = s.split(id).join(`<image:${name}>`).split(id.slice(0, 12)).join(`<image12:${name}>`);
  }
  s = s
    .replace(/sha256:[0-9a-f]{64}/g, 'sha256:<digest>')
    .replace(/\b[0-9a-f]{64}\b/g, '<id>')
    .replace(/\b[0-9a-f]{12}\b/g, '<id12>')
    .replace(TIME, '<time>')
    .replace(AGO, '<ago>')
    .replace(UP, 'Up <duration>')
    .replace(/\b([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, '<mac>')
    .replace(/ {2,}/g, '  ')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
  return s;
}

/** JSON with sorted keys, one value per line, so that a difference names its field. */
export function prettyJSON(text: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)), null, 1);
  } catch {
    return text;
  }
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}

/** The key paths of a JSON document with their value types (arrays merged into `[]`). */
export function jsonShape(text: string): string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return text;
  }
  const out = new Set<string>();
  const walk = (v: unknown, path: string) => {
    if (Array.isArray(v)) {
      out.add(`${path}: array`);
      for (const x of v) walk(x, `${path}[]`);
    } else if (v && typeof v === 'object') {
      out.add(`${path}: object`);
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
    } else out.add(`${path}: ${v === null ? 'null' : typeof v}`);
  };
  walk(doc, '');
  return [...out].sort().join('\n');
}

// ---- running ----------------------------------------------------------------------------------

function httpGet(url: string): Promise<Result> {
  return new Promise((resolve) => {
    const req = get(url, { timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, stdout: body, stderr: '' }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (e) => resolve({ code: -1, stdout: '', stderr: e.message }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Target {
  name: TargetName;
  client: DockerClient;
  vars: Record<string, string>;
  norm: Normalizer;
  saved: Record<string, string>;
}

function ctxFor(t: Target): StepCtx {
  const sub = (s: string) => s.replace(/\$\{([A-Z0-9_]+)\}/g, (m, k: string) => t.vars[k] ?? m);
  return {
    target: t.name,
    vars: t.vars,
    sub,
    saved: t.saved,
    docker: (args, opts = {}) => t.client.docker(args.map(sub), { ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.env ? { env: opts.env } : {}) }),
  };
}

async function runOnce(step: Step, t: Target): Promise<Result> {
  const c = ctxFor(t);
  if (step.fn) return step.fn(c);
  if (step.http) return httpGet(c.sub(step.http));
  const args = (step.args ?? []).map(c.sub);
  if (step.tty) return t.client.dockerTTY(args, step.tty, step.env ?? {});
  return t.client.docker(args, { ...(step.input !== undefined ? { input: step.input } : {}), ...(step.env ? { env: step.env } : {}) });
}

/**
 * What a session through a pty printed, without the shell's prompts, the echo of typed lines and
 * terminal control sequences: those depend on when the keystrokes arrive relative to the line
 * editor's cursor query, which is timing, not behaviour.
 */
export function ttyOutput(text: string): string {
  return text
    .replace(/\r/g, '')
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^\/ #( |$)/.test(l))
    .join('\n');
}

function shape(step: Step, text: string, n: Normalizer): string {
  let s = step.tty ? ttyOutput(text) : text;
  if (step.json === 'pretty') s = prettyJSON(s);
  if (step.json === 'shape') s = jsonShape(normalize(s, n));
  s = normalize(s, n);
  if (step.sortLines) s = s.split('\n').sort().join('\n');
  return s;
}

async function runStep(step: Step, t: Target): Promise<Outcome> {
  for (let i = 0; ; i++) {
    const r = await runOnce(step, t);
    const out = { code: r.code, stdout: shape(step, r.stdout, t.norm), stderr: shape(step, r.stderr, t.norm) };
    if (!step.until || step.until.test(out.stdout) || i >= 50) return out;
    await sleep(100);
  }
}

export function same(step: Step, a: Outcome, b: Outcome): boolean {
  const ig = step.ignore ?? [];
  return (ig.includes('code') || a.code === b.code) && (ig.includes('stdout') || a.stdout === b.stdout) && (ig.includes('stderr') || a.stderr === b.stderr);
}

/** A line diff (dockerd's lines as -, berth's as +), from the longest common subsequence. */
export function lineDiff(a: string, b: string): string[] {
  const x = a.split('\n');
  const y = b.split('\n');
  const L: number[][] = Array.from({ length: x.length + 1 }, () => new Array<number>(y.length + 1).fill(0));
  for (let i = x.length - 1; i >= 0; i--) for (let j = y.length - 1; j >= 0; j--) L[i]![j] = x[i] === y[j] ? L[i + 1]![j + 1]! + 1 : Math.max(L[i + 1]![j]!, L[i]![j + 1]!);
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < x.length || j < y.length) {
    if (i < x.length && j < y.length && x[i] === y[j]) {
      i++;
      j++;
    } else if (j < y.length && (i >= x.length || L[i]![j + 1]! >= L[i + 1]![j]!)) out.push(`+ ${y[j++]}`);
    else out.push(`- ${x[i++]}`);
  }
  return out;
}

export function describe(r: StepResult): string {
  const lines = [`[${r.step.id}] docker ${r.command}`];
  const ig = r.step.ignore ?? [];
  if (!ig.includes('code') && r.berth.code !== r.dockerd.code) lines.push(`  exit code: dockerd ${r.dockerd.code}, berth ${r.berth.code}`);
  for (const part of ['stdout', 'stderr'] as const) {
    if (ig.includes(part) || r.berth[part] === r.dockerd[part]) continue;
    lines.push(`  ${part} (- dockerd, + berth):`);
    for (const l of lineDiff(r.dockerd[part], r.berth[part])) lines.push(`    ${l}`);
  }
  return lines.join('\n');
}

// ---- the scenario -----------------------------------------------------------------------------

const NONE = ['--network', 'none'];
/** The cgroup parent the scenario's --cgroup-parent steps use (both daemons; removed afterwards). */
export const COMPAT_CGROUP_PARENT = '/berth-compat-cgroup-parent';
const INSPECT_FIELDS = [
  '{{.Name}} {{.Path}} {{.Args}} {{.State.Status}} {{.State.Running}} {{.State.Paused}} {{.State.ExitCode}} {{.RestartCount}}',
  '{{.Config.Image}} {{.Config.Cmd}} {{.Config.Entrypoint}} {{.Config.Env}} {{.Config.WorkingDir}} {{.Config.User}} {{.Config.Labels}} {{.Config.Tty}} {{.Config.OpenStdin}}',
  '{{.HostConfig.NetworkMode}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.NanoCpus}} {{.HostConfig.PortBindings}} {{.HostConfig.Binds}}',
  '{{range .Mounts}}{{.Type}}:{{.Name}}:{{.Destination}}:{{.Driver}}:{{.RW}} {{end}}',
].join('\n');

/**
 * The moment a step begins, as --since takes it (seconds with a fraction): a whole-second window
 * would take in the step before's events on one daemon and not on the other.
 */
const nowSince = () => (Date.now() / 1000).toFixed(3);

/** A host directory tree as lines: path, type, mode, size and content of small files (what `docker cp` made). */
function treeOf(dir: string, rel = ''): string[] {
  const out: string[] = [];
  const st = statSync(join(dir, rel));
  const mode = (st.mode & 0o7777).toString(8);
  if (st.isDirectory()) {
    out.push(`${rel || '.'}/ ${mode}`);
    for (const k of readdirSync(join(dir, rel)).sort()) out.push(...treeOf(dir, rel ? `${rel}/${k}` : k));
  } else out.push(`${rel} ${mode} ${st.size} ${JSON.stringify(readFileSync(join(dir, rel), 'utf8').slice(0, 40))}`);
  return out;
}

/** The container's changes are made once it has started: wait for its marker file. */
async function runCpBox(c: StepCtx, name: string, extra: string[], script: string): Promise<Result> {
  const r = await c.docker(['run', '-d', '--name', name, ...NONE, ...extra, 'busybox', 'sh', '-c', `${script}; touch /ready; sleep 3600`]);
  for (let i = 0; i < 50 && r.code === 0; i++) {
    if ((await c.docker(['exec', name, 'test', '-f', '/ready'])).code === 0) break;
    await sleep(100);
  }
  return r;
}

export function scenario(): Step[] {
  const eventsPast: Step['fn'] = async (c) => {
    const since = nowSince();
    await c.docker(['run', '--name', 'evt', ...NONE, 'busybox', 'true']);
    await c.docker(['stop', 'evt']);
    await c.docker(['rm', 'evt']);
    const until = Math.floor(Date.now() / 1000) + 1;
    return c.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'container=evt', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.exitCode}}']);
  };
  const eventsStream: Step['fn'] = async (c) => {
    const until = Math.floor(Date.now() / 1000) + 4;
    const stream = c.docker(['events', '--until', String(until), '--filter', 'type=container', '--filter', 'container=evs', '--format', '{{.Action}} {{.Actor.Attributes.image}}']);
    await sleep(500);
    await c.docker(['run', '--rm', '--name', 'evs', ...NONE, 'busybox', 'true']);
    return stream;
  };
  const eventsOther: Step['fn'] = async (c) => {
    const since = nowSince();
    await c.docker(['volume', 'create', 'evvol']);
    await c.docker(['volume', 'rm', 'evvol']);
    await c.docker(['network', 'create', '--subnet', '${SUBNET3}.0/24', 'evnet']);
    await c.docker(['network', 'rm', 'evnet']);
    await c.docker(['tag', 'busybox', 'evimg:1']);
    await c.docker(['rmi', 'evimg:1']);
    const until = Math.floor(Date.now() / 1000) + 1;
    return c.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=volume', '--filter', 'type=network', '--filter', 'type=image', '--format', '{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}} {{.Actor.Attributes.driver}}']);
  };
  const eventsNetwork: Step['fn'] = async (c) => {
    const since = nowSince();
    await c.docker(['run', '--rm', '--name', 'evn', '--network', 'appnet', 'busybox', 'true']);
    await c.docker(['run', '--rm', '--name', 'evn', ...NONE, 'busybox', 'true']);
    const until = Math.floor(Date.now() / 1000) + 1;
    return c.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=network', '--filter', 'network=appnet', '--filter', 'network=none', '--format', '{{.Action}} {{.Actor.Attributes.name}} {{.Actor.Attributes.type}}']);
  };
  const connectStopped: Step['fn'] = async (c) => {
    const out: string[] = [];
    const err: string[] = [];
    for (const args of [
      ['network', 'connect', 'net2', 'ex3'],
      ['network', 'connect', 'nosuchnet', 'ex3'],
      ['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} [{{$v.IPAddress}}] {{$v.Aliases}}\n{{end}}', 'ex3'],
      ['network', 'disconnect', 'nosuchnet', 'ex3'],
      ['network', 'disconnect', 'net2', 'ex3'],
      ['network', 'disconnect', 'net2', 'ex3'],
      ['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}\n{{end}}', 'ex3'],
    ]) {
      const r = await c.docker(args);
      out.push(`${args.slice(0, 2).join(' ')}: ${r.code} ${r.stdout.trim()}`);
      if (r.stderr.trim()) err.push(r.stderr.trim());
    }
    return { code: 0, stdout: out.join('\n') + '\n', stderr: err.join('\n') };
  };
  const runThenGone: Step['fn'] = async (c) => {
    const r = await c.docker(['run', '--rm', '--name', 'rmme', ...NONE, 'busybox', 'echo', 'removed after']);
    const ps = await c.docker(['ps', '-a', '--filter', 'name=rmme', '--format', '{{.Names}}']);
    return { code: r.code, stdout: r.stdout + `ps: [${ps.stdout.trim()}]\n`, stderr: r.stderr + ps.stderr };
  };
  const waitRunning: Step['fn'] = async (c) => {
    await c.docker(['run', '-d', '--name', 'waiter', ...NONE, 'busybox', 'sh', '-c', 'sleep 0.5; exit 4']);
    const w = await c.docker(['wait', 'waiter']);
    await c.docker(['rm', 'waiter']);
    return w;
  };
  const cgroupParentInspect: Step['fn'] = async (c) => {
    const id = (await c.docker(['create', ...NONE, '--cgroup-parent', 'rel/x/', 'busybox', 'true'])).stdout.trim();
    const r = await c.docker(['inspect', '-f', '{{json .HostConfig.CgroupParent}}', id]);
    await c.docker(['rm', id]);
    return r;
  };
  const updateStopped: Step['fn'] = async (c) => {
    await c.docker(['stop', '-t', '0', 'upd']);
    const u = await c.docker(['update', '--memory', '40m', '--cpu-shares', '256', 'upd']);
    await c.docker(['start', 'upd']);
    const limits = await c.docker(['exec', 'upd', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.shares']);
    return { code: u.code, stdout: u.stdout + limits.stdout, stderr: u.stderr + limits.stderr };
  };
  const killSignal: Step['fn'] = async (c) => {
    await c.docker(['start', 'lc']);
    const k = await c.docker(['kill', '-s', 'USR1', 'lc']);
    await c.docker(['wait', 'lc']);
    const st = await c.docker(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'lc']);
    return { code: k.code, stdout: k.stdout + st.stdout, stderr: k.stderr + st.stderr };
  };

  return [
    // version negotiation
    { id: 'version', args: ['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.Os}}/{{.Server.Arch}}'] },
    { id: 'version-pinned', env: { DOCKER_API_VERSION: '1.40' }, args: ['version', '--format', '{{.Client.APIVersion}} {{.Server.APIVersion}}'] },
    { id: 'version-too-new', env: { DOCKER_API_VERSION: '1.99' }, args: ['ps'] },
    { id: 'version-too-old', env: { DOCKER_API_VERSION: '1.18' }, args: ['ps'] },
    { id: 'version-older-ps', env: { DOCKER_API_VERSION: '1.30' }, args: ['ps', '-a'] },

    // images
    { id: 'load', args: ['load', '-i', '${TAR}'] },
    { id: 'load-again', args: ['load', '-i', '${TAR}'] },
    { id: 'load-bad', args: ['load'], input: 'not a tar archive' },
    { id: 'images', args: ['images'] },
    { id: 'images-format', args: ['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}} {{.CreatedSince}}'] },
    { id: 'images-q', args: ['images', '-q', '--no-trunc'] },
    { id: 'image-inspect', args: ['image', 'inspect', '-f', '{{.Id}} {{.RepoTags}} {{.RepoDigests}} {{.Os}}/{{.Architecture}} {{.Config.Cmd}} {{.Config.Entrypoint}} {{.Config.Env}} {{len .RootFS.Layers}} {{.Size}} {{.Created}}', 'busybox'] },
    { id: 'image-inspect-shape', args: ['image', 'inspect', 'busybox'], json: 'shape' },
    { id: 'image-inspect-shape-pinned', env: { DOCKER_API_VERSION: '1.41' }, args: ['image', 'inspect', 'busybox'], json: 'shape' },
    { id: 'tag', args: ['tag', 'busybox', 'example.com/team/box:v1'] },
    { id: 'tag-missing', args: ['tag', 'nosuch', 'x:1'] },
    { id: 'images-reference', args: ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=example.com/*/*'] },
    { id: 'images-dangling', args: ['images', '-q', '--filter', 'dangling=true'] },
    { id: 'rmi-tag', args: ['rmi', 'example.com/team/box:v1'] },
    { id: 'rmi-missing', args: ['rmi', 'nosuch:1'] },

    // run
    { id: 'run-echo', args: ['run', '--rm', ...NONE, 'busybox', 'echo', 'hello'] },
    { id: 'run-env-user-workdir', args: ['run', '--rm', ...NONE, '-e', 'A=1', '--user', 'nobody', '--workdir', '/tmp/w', 'busybox', 'sh', '-c', 'echo $A $(id -u):$(id -g) $(pwd) $HOME; ls -ld /tmp/w'] },
    { id: 'run-env-list', args: ['run', '--rm', ...NONE, '-e', 'A=1', '-e', 'PATH=/bin', 'busybox', 'env'], sortLines: false },
    { id: 'run-hostname', args: ['run', '--rm', ...NONE, '--hostname', 'h1', 'busybox', 'sh', '-c', 'hostname; cat /etc/hostname; cat /etc/hosts'] },
    { id: 'run-groups', args: ['run', '--rm', ...NONE, '-u', 'nobody', '--group-add', '0', 'busybox', 'id'] },
    { id: 'run-entrypoint', args: ['run', '--rm', ...NONE, '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint'] },
    { id: 'run-entrypoint-empty', args: ['run', '--rm', ...NONE, '--entrypoint', '', 'busybox', 'echo', 'x'] },
    { id: 'run-memory-cpus', args: ['run', '--rm', ...NONE, '--memory', '32m', '--cpus', '0.5', 'busybox', 'sh', '-c', 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us'] },
    { id: 'run-exit-code', args: ['run', '--name', 'ex3', ...NONE, 'busybox', 'sh', '-c', 'echo bye; echo err >&2; exit 3'] },
    { id: 'run-d', args: ['run', '-d', '--name', 'svc', ...NONE, '--restart', 'unless-stopped', '-v', 'data1:/data', '--label', 'tier=web', 'busybox', 'sleep', '1000'] },
    { id: 'run-d-inspect', args: ['inspect', '-f', INSPECT_FIELDS, 'svc'] },
    { id: 'run-rm', fn: runThenGone },
    { id: 'run-volume', args: ['run', '--rm', ...NONE, '-v', 'data1:/data', 'busybox', 'sh', '-c', 'echo v > /data/f; ls /data; cat /data/f'] },
    { id: 'run-bind', args: ['run', '--rm', ...NONE, '-v', '${DIR}/bind:/b', 'busybox', 'sh', '-c', 'echo b > /b/f; cat /b/f; ls -ld /b | cut -c1-10'] },
    { id: 'run-bind-ro', args: ['run', '--rm', ...NONE, '-v', '${DIR}/bind:/b:ro', 'busybox', 'sh', '-c', 'cat /b/f; echo x > /b/g || echo denied'] },
    { id: 'run-tmpfs', args: ['run', '--rm', ...NONE, '--tmpfs', '/t:size=1m', 'busybox', 'sh', '-c', 'grep " /t " /proc/mounts'] },
    { id: 'run-stdin', args: ['run', '--rm', '-i', ...NONE, 'busybox', 'sh', '-c', 'cat; echo done'], input: 'in\n' },
    { id: 'run-restart', args: ['run', '-d', '--name', 'rs', ...NONE, '--restart', 'on-failure:2', 'busybox', 'sh', '-c', 'echo try; exit 1'] },
    { id: 'run-restart-count', args: ['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', 'rs'], until: /^2 exited 1/ },
    { id: 'run-restart-logs', args: ['logs', 'rs'] },
    { id: 'run-it', args: ['run', '-it', '--rm', ...NONE, 'busybox', 'sh'], tty: [{ after: 1000, text: 'tty; echo $((6*7)); stty size\n' }, { after: 500, text: 'exit 4\n' }] },
    { id: 'run-name-conflict', args: ['run', '--name', 'svc', ...NONE, 'busybox', 'true'] },
    { id: 'run-unknown-image', args: ['run', '--rm', '--pull', 'never', 'nosuchimage'] },
    { id: 'run-bad-memory', args: ['run', '--rm', ...NONE, '--memory', '1k', 'busybox', 'true'] },
    { id: 'run-bad-cpus', args: ['run', '--rm', ...NONE, '--cpus', '64', 'busybox', 'true'] },
    { id: 'run-bad-restart', args: ['run', '-d', ...NONE, '--restart', 'always', '--rm', 'busybox', 'true'] },
    { id: 'run-bad-restart-name', args: ['create', ...NONE, '--restart', 'sometimes', 'busybox', 'true'] },
    { id: 'run-bad-mount', args: ['run', '--rm', ...NONE, '--mount', 'type=bind,source=/nonexistent,target=/x', 'busybox', 'true'] },
    { id: 'run-bad-cmd', args: ['run', '--rm', ...NONE, 'busybox', 'nosuchcmd'] },
    { id: 'run-bad-user', args: ['run', '--rm', ...NONE, '--user', 'nobody2', 'busybox', 'true'] },
    { id: 'run-bad-network', args: ['run', '--rm', '--network', 'nosuchnet', 'busybox', 'true'] },
    { id: 'run-bad-name', args: ['run', '--rm', ...NONE, '--name', 'bad name', 'busybox', 'true'] },
    { id: 'run-bad-cpuset', args: ['run', '--rm', ...NONE, '--cpuset-cpus', '99', 'busybox', 'true'] },
    { id: 'run-bad-cpuset-format', args: ['run', '--rm', ...NONE, '--cpuset-cpus', '1-x', 'busybox', 'true'] },
    { id: 'run-bad-workdir', args: ['run', '--rm', ...NONE, '--workdir', 'rel', 'busybox', 'true'] },

    // cgroups: --cgroup-parent and docker update
    { id: 'cgroup-parent-run', args: ['run', '--rm', ...NONE, '--cgroup-parent', `${COMPAT_CGROUP_PARENT}/a`, 'busybox', 'sh', '-c', 'grep -E "^[0-9]+:(cpu|memory|pids):" /proc/self/cgroup'] },
    { id: 'cgroup-parent-inspect', fn: cgroupParentInspect },
    { id: 'cgroup-parent-file', args: ['run', '--rm', ...NONE, '--cgroup-parent', `${COMPAT_CGROUP_PARENT}/a/cpu.shares`, 'busybox', 'true'] },
    { id: 'update-run', args: ['run', '-d', '--name', 'upd', ...NONE, '--memory', '32m', '--cpus', '0.5', 'busybox', 'sleep', '1000'] },
    { id: 'update', args: ['update', '--memory', '48m', '--cpu-shares', '512', '--pids-limit', '100', '--restart', 'on-failure:3', 'upd'] },
    { id: 'update-cgroups', args: ['exec', 'upd', 'cat', '/sys/fs/cgroup/memory/memory.limit_in_bytes', '/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/pids/pids.max', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us'] },
    { id: 'update-inspect', args: ['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.CpuShares}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}} {{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'upd'] },
    { id: 'update-conflict-cpus', args: ['update', '--cpu-quota', '20000', 'upd'] },
    { id: 'update-over-swap', args: ['update', '--memory', '128m', 'upd'] },
    { id: 'update-bad-memory', args: ['update', '--memory', '1k', 'upd'] },
    { id: 'update-missing', args: ['update', '--memory', '48m', 'nosuch'] },
    { id: 'update-stopped', fn: updateStopped },

    // networks
    { id: 'network-create', args: ['network', 'create', '--subnet', '${SUBNET}.0/24', 'appnet'] },
    { id: 'network-create-dup', args: ['network', 'create', 'appnet'] },
    { id: 'network-create-overlap', args: ['network', 'create', '--subnet', '${SUBNET}.0/16', 'net3'] },
    { id: 'network-ls', args: ['network', 'ls', '--filter', 'type=custom'] },
    { id: 'network-ls-format', args: ['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}} {{.IPv6}} {{.Internal}}', '--filter', 'name=appnet'] },
    { id: 'network-inspect', args: ['network', 'inspect', '-f', '{{.Name}} {{.Driver}} {{.Scope}} {{(index .IPAM.Config 0).Subnet}} {{(index .IPAM.Config 0).Gateway}} {{.IPAM.Driver}} {{.Internal}} {{.Attachable}} {{.EnableIPv6}} {{.Options}} {{.Labels}}', 'appnet'] },
    { id: 'network-inspect-shape', args: ['network', 'inspect', 'appnet'], json: 'shape' },
    { id: 'network-srv', args: ['run', '-d', '--name', 'srv', '--network', 'appnet', 'busybox', 'sh', '-c', 'echo pong > /tmp/i && exec httpd -f -p 80 -h /tmp'] },
    { id: 'network-dns', args: ['run', '--rm', '--network', 'appnet', 'busybox', 'wget', '-qO-', 'http://srv/i'] },
    { id: 'network-ip', args: ['run', '--rm', '--network', 'appnet', 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0 | cut -d" " -f2,6,7; ip route'] },
    { id: 'network-resolv', args: ['run', '--rm', '--network', 'appnet', 'busybox', 'cat', '/etc/resolv.conf'] },
    { id: 'run-p', args: ['run', '-d', '--name', 'web', '--network', 'appnet', '-p', '${PORT}:80', 'busybox', 'sh', '-c', 'echo hello-web > /tmp/index.html && exec httpd -f -p 80 -h /tmp'] },
    { id: 'run-p-http', http: 'http://127.0.0.1:${PORT}/', until: /hello-web/ },
    { id: 'port', args: ['port', 'web'] },
    { id: 'port-one', args: ['port', 'web', '80/tcp'] },
    { id: 'run-p-clash', args: ['run', '-d', '--name', 'clash', '--network', 'appnet', '-p', '${PORT}:80', 'busybox', 'sleep', '10'] },
    { id: 'network-containers', args: ['network', 'inspect', '-f', '{{range .Containers}}{{.Name}} {{.IPv4Address}}\n{{end}}', 'appnet'], sortLines: true },
    { id: 'network-rm-busy', args: ['network', 'rm', 'appnet'] },
    { id: 'network-rm-builtin', args: ['network', 'rm', 'none'] },
    { id: 'network-create-2', args: ['network', 'create', '--subnet', '${SUBNET2}.0/24', 'net2'] },
    { id: 'network-connect', args: ['network', 'connect', 'net2', 'srv'] },
    { id: 'network-connect-ip', args: ['exec', 'srv', 'sh', '-c', 'ip -4 -o addr | cut -d" " -f2,6'] },
    { id: 'network-connect-inspect', args: ['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}} {{$v.Gateway}}\n{{end}}', 'srv'] },
    { id: 'network-connect-again', args: ['network', 'connect', 'net2', 'srv'] },
    { id: 'network-connect-dns', args: ['run', '--rm', '--network', 'net2', 'busybox', 'wget', '-qO-', 'http://srv/i'] },
    { id: 'network-disconnect', args: ['network', 'disconnect', 'net2', 'srv'] },
    { id: 'network-disconnect-ip', args: ['exec', 'srv', 'sh', '-c', 'ip -4 -o addr | cut -d" " -f2,6'] },
    { id: 'network-disconnect-again', args: ['network', 'disconnect', 'net2', 'srv'] },
    { id: 'network-connect-missing', args: ['network', 'connect', 'nosuchnet', 'srv'] },
    { id: 'network-connect-none', args: ['network', 'connect', 'appnet', 'svc'] },
    { id: 'network-connect-host', args: ['network', 'connect', 'host', 'srv'] },
    { id: 'network-connect-stopped', fn: connectStopped },
    { id: 'network-events', fn: eventsNetwork },
    { id: 'network-rm-2', args: ['network', 'rm', 'net2'] },

    // ps
    { id: 'ps-a', args: ['ps', '-a'] },
    { id: 'ps-format', args: ['ps', '-a', '--format', '{{.Names}}\t{{.Image}}\t{{.Command}}\t{{.Status}}\t{{.Ports}}\t{{.Networks}}\t{{.Mounts}}\t{{.Labels}}\t{{.State}}'] },
    { id: 'ps-filter-status', args: ['ps', '-a', '--filter', 'status=exited', '--format', '{{.Names}} {{.Status}}'] },
    { id: 'ps-filter-name', args: ['ps', '--filter', 'name=svc', '--format', '{{.Names}}'] },
    { id: 'ps-filter-exited', args: ['ps', '-a', '--filter', 'exited=3', '--format', '{{.Names}}'] },
    { id: 'ps-filter-ancestor', args: ['ps', '-a', '--filter', 'ancestor=busybox', '--format', '{{.Names}}'] },
    { id: 'ps-filter-network', args: ['ps', '--filter', 'network=appnet', '--format', '{{.Names}}'] },
    { id: 'ps-filter-volume', args: ['ps', '-a', '--filter', 'volume=data1', '--format', '{{.Names}}'] },
    { id: 'ps-filter-label', args: ['ps', '-a', '--filter', 'label=tier=web', '--format', '{{.Names}}'] },
    { id: 'ps-filter-publish', args: ['ps', '--filter', 'publish=80', '--format', '{{.Names}}'] },
    { id: 'ps-filter-bad', args: ['ps', '--filter', 'nosuch=1'] },
    { id: 'ps-last', args: ['ps', '-a', '-n', '2', '--format', '{{.Names}}'] },
    { id: 'ps-quiet', args: ['ps', '-q'], sortLines: true },

    // logs
    // one stderr line first: the order between the two streams is only defined across a pause
    { id: 'logs-run', args: ['run', '-d', '--name', 'talker', ...NONE, 'busybox', 'sh', '-c', 'echo err >&2; for i in 1 2 3; do sleep 0.3; echo line $i; done'] },
    { id: 'logs-follow', args: ['logs', '-f', 'talker'] },
    { id: 'logs-tail', args: ['logs', '--tail', '2', 'talker'] },
    { id: 'logs-timestamps', args: ['logs', '-t', '--tail', '1', 'talker'] },
    { id: 'logs-since', args: ['logs', '--since', '2020-01-01T00:00:00Z', 'talker'] },
    { id: 'logs-missing', args: ['logs', 'nosuch'] },

    // exec
    { id: 'exec-box', args: ['run', '-d', '--name', 'box', ...NONE, 'busybox', 'sleep', '1000'] },
    { id: 'exec', args: ['exec', 'box', 'sh', '-c', 'echo $PATH $HOME; id'] },
    { id: 'exec-opts', args: ['exec', '-e', 'X=1', '-w', '/tmp', '-u', 'nobody', 'box', 'sh', '-c', 'echo $X $(pwd) $(id -u)'] },
    { id: 'exec-stdin', args: ['exec', '-i', 'box', 'cat'], input: 'piped\n' },
    { id: 'exec-exit', args: ['exec', 'box', 'sh', '-c', 'echo out; exit 7'] },
    { id: 'exec-nosuch', args: ['exec', 'box', 'nosuch'] },
    { id: 'exec-it', args: ['exec', '-it', 'box', 'sh'], tty: [{ after: 1000, text: 'stty size; echo in-exec\n' }, { after: 500, text: 'exit 5\n' }] },
    { id: 'exec-detach', args: ['exec', '-d', 'box', 'touch', '/tmp/x'] },
    { id: 'exec-detach-check', args: ['exec', 'box', 'ls', '/tmp'], until: /x/ },
    { id: 'exec-stopped', args: ['exec', 'ex3', 'true'] },
    { id: 'top', args: ['top', 'box', '-o', 'comm,args'] },
    { id: 'top-stopped', args: ['top', 'ex3'] },

    // lifecycle
    { id: 'lc-run', args: ['run', '-d', '--name', 'lc', ...NONE, 'busybox', 'sleep', '1000'] },
    { id: 'pause', args: ['pause', 'lc'] },
    { id: 'pause-state', args: ['inspect', '-f', '{{.State.Status}} {{.State.Paused}} {{.State.Running}}', 'lc'] },
    { id: 'pause-ps', args: ['ps', '--filter', 'status=paused', '--format', '{{.Names}} {{.Status}}'] },
    { id: 'pause-again', args: ['pause', 'lc'] },
    { id: 'start-paused', args: ['start', 'lc'] },
    { id: 'rm-paused', args: ['rm', 'lc'] },
    { id: 'exec-paused', args: ['exec', 'lc', 'true'] },
    { id: 'unpause', args: ['unpause', 'lc'] },
    { id: 'unpause-again', args: ['unpause', 'lc'] },
    { id: 'rm-running', args: ['rm', 'lc'] },
    { id: 'stop', args: ['stop', '-t', '1', 'lc'] },
    { id: 'stop-state', args: ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Running}}', 'lc'] },
    { id: 'stop-again', args: ['stop', 'lc'] },
    { id: 'kill-stopped', args: ['kill', 'lc'] },
    { id: 'pause-stopped', args: ['pause', 'lc'] },
    { id: 'start', args: ['start', 'lc'] },
    { id: 'start-again', args: ['start', 'lc'] },
    { id: 'restart', args: ['restart', '-t', '0', 'lc'] },
    { id: 'restart-state', args: ['inspect', '-f', '{{.State.Status}} {{.RestartCount}}', 'lc'] },
    { id: 'kill', args: ['kill', 'lc'] },
    { id: 'kill-state', args: ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'lc'] },
    { id: 'kill-signal', fn: killSignal },
    { id: 'kill-bad-signal', args: ['kill', '-s', 'NOSUCH', 'lc'] },
    { id: 'start-attach', args: ['start', '-a', 'ex3'] },
    { id: 'restart-exited', args: ['restart', 'ex3'] },
    { id: 'rm-f', args: ['rm', '-f', 'lc'] },
    { id: 'rm-gone', args: ['inspect', 'lc'] },
    { id: 'rm-missing', args: ['rm', 'nosuch'] },
    { id: 'wait', args: ['wait', 'ex3'] },
    { id: 'wait-running', fn: waitRunning },
    { id: 'wait-missing', args: ['wait', 'nosuch'] },
    { id: 'start-missing', args: ['start', 'nosuch'] },
    { id: 'stop-missing', args: ['stop', 'nosuch'] },

    // inspect
    { id: 'inspect-create', args: ['create', '--name', 'full', '--network', 'appnet', '-e', 'A=1', '-u', 'nobody', '-w', '/tmp', '--entrypoint', 'sh', '--restart', 'on-failure:3', '--memory', '64m', '--cpus', '0.5', '-v', 'vol1:/data', '-p', '${PORT2}:81', '--label', 'k=v', 'busybox', '-c', 'sleep 1000'] },
    { id: 'inspect-fields', args: ['inspect', '-f', INSPECT_FIELDS, 'full'] },
    { id: 'inspect-config', args: ['inspect', '-f', '{{json .Config}}', 'full'], json: 'pretty' },
    { id: 'inspect-hostconfig', args: ['inspect', '-f', '{{json .HostConfig}}', 'full'], json: 'pretty' },
    { id: 'inspect-mounts', args: ['inspect', '-f', '{{json .Mounts}}', 'svc'], json: 'pretty' },
    { id: 'inspect-state', args: ['inspect', '-f', '{{json .State}}', 'ex3'], json: 'pretty' },
    { id: 'inspect-network-settings', args: ['inspect', '-f', '{{json .NetworkSettings.Networks}}', 'srv'], json: 'pretty' },
    { id: 'inspect-shape', args: ['inspect', 'svc'], json: 'shape' },
    { id: 'inspect-shape-pinned', env: { DOCKER_API_VERSION: '1.41' }, args: ['inspect', 'svc'], json: 'shape' },
    { id: 'inspect-missing', args: ['inspect', 'nosuch'] },
    { id: 'inspect-type', args: ['inspect', '--type', 'container', '-f', '{{.Name}}', 'svc'] },

    // volumes
    { id: 'volume-create', args: ['volume', 'create', '--label', 'k=v', 'vol2'] },
    { id: 'volume-ls', args: ['volume', 'ls'] },
    { id: 'volume-ls-filter', args: ['volume', 'ls', '--filter', 'label=k=v'] },
    { id: 'volume-ls-dangling', args: ['volume', 'ls', '-q', '--filter', 'dangling=true'] },
    { id: 'volume-inspect', args: ['volume', 'inspect', 'vol2'], json: 'pretty' },
    { id: 'volume-rm-busy', args: ['volume', 'rm', 'data1'] },
    { id: 'volume-rm', args: ['volume', 'rm', 'vol2'] },
    { id: 'volume-inspect-missing', args: ['volume', 'inspect', 'vol2'] },

    // events
    { id: 'events-past', fn: eventsPast },
    { id: 'events-stream', fn: eventsStream },
    { id: 'events-objects', fn: eventsOther },

    // docker cp, diff, export
    { id: 'cp-box', fn: (c) => runCpBox(c, 'cpbox', ['-v', '/data'], 'echo hi > /tmp/x; mkdir /tmp/d; echo a > /tmp/d/a; chmod 600 /tmp/d/a; ln -s /etc/passwd /tmp/lnk; ln -s /tmp/d /tmp/dlink; rm /bin/zcat; touch /etc/newfile') },
    { id: 'diff', args: ['diff', 'cpbox'], sortLines: true },
    { id: 'diff-none', fn: async (c) => {
      await c.docker(['create', '--name', 'cpnone', ...NONE, 'busybox', 'true']);
      const r = await c.docker(['diff', 'cpnone']);
      await c.docker(['rm', 'cpnone']);
      return r;
    } },
    { id: 'diff-missing', args: ['diff', 'nosuch'] },
    // what dockerd's overlay2 compares (the container's tree against its parent's, mounted): a
    // directory's time is no change, its mode is; a file's time is; every directory above a change
    // is changed; a directory of the image removed and made again (opaque in the writable layer)
    // is compared entry by entry
    { id: 'diff-kinds', sortLines: true, fn: async (c) => {
      await c.docker(['run', '--name', 'dk', ...NONE, 'busybox', 'sh', '-c',
        'echo x >> /etc/passwd; mkdir /var/www/sub; touch /home; chmod 700 /tmp; echo -n > /x; touch -d 2020-01-01 /bin/ls; mkdir -p /root/a/b; rm /etc/group; echo >> /etc/passwd; rm -rf /var && mkdir -p /var/www /var/new && touch /var/new/f']);
      const r = await c.docker(['diff', 'dk']);
      await c.docker(['rm', 'dk']);
      return r;
    } },
    { id: 'cp-from-dir', fn: async (c) => {
      const dst = c.sub('${DIR}/cpout');
      rmSync(dst, { recursive: true, force: true });
      const r = await c.docker(['cp', 'cpbox:/tmp/d', dst]);
      return { ...r, stdout: r.stdout + treeOf(dst).join('\n') };
    } },
    { id: 'cp-from-contents', fn: async (c) => {
      const dst = c.sub('${DIR}/cpout2');
      rmSync(dst, { recursive: true, force: true });
      mkdirSync(dst);
      const r = await c.docker(['cp', 'cpbox:/tmp/d/.', dst]);
      return { ...r, stdout: r.stdout + treeOf(dst).join('\n') };
    } },
    { id: 'cp-from-link', fn: async (c) => {
      const dst = c.sub('${DIR}/cpout3');
      rmSync(dst, { recursive: true, force: true });
      const r = await c.docker(['cp', '-L', 'cpbox:/tmp/dlink', dst]);
      return { ...r, stdout: r.stdout + treeOf(dst).join('\n') };
    } },
    { id: 'cp-from-missing', args: ['cp', 'cpbox:/nope', '${DIR}/zz'] },
    { id: 'cp-from-no-container', args: ['cp', 'nosuch:/tmp', '${DIR}/zz'] },
    { id: 'cp-to-file', fn: async (c) => {
      writeFileSync(c.sub('${DIR}/hf'), 'hello\n');
      const r = await c.docker(['cp', c.sub('${DIR}/hf'), 'cpbox:/tmp/newname']);
      const cat = await c.docker(['exec', 'cpbox', 'sh', '-c', 'cat /tmp/newname; ls -ln /tmp/newname | cut -c1-10']);
      return { code: r.code || cat.code, stdout: r.stdout + cat.stdout, stderr: r.stderr + cat.stderr };
    } },
    { id: 'cp-to-dir', fn: async (c) => {
      const src = c.sub('${DIR}/cpsrc');
      rmSync(src, { recursive: true, force: true });
      mkdirSync(join(src, 'sub'), { recursive: true });
      writeFileSync(join(src, 'sub', 'f'), 'in a dir\n');
      const r = await c.docker(['cp', src, 'cpbox:/tmp/']);
      const ls = await c.docker(['exec', 'cpbox', 'sh', '-c', 'find /tmp/cpsrc | sort; cat /tmp/cpsrc/sub/f']);
      return { code: r.code || ls.code, stdout: r.stdout + ls.stdout, stderr: r.stderr + ls.stderr };
    } },
    { id: 'cp-to-volume', fn: async (c) => {
      const r = await c.docker(['cp', c.sub('${DIR}/hf'), 'cpbox:/data/']);
      const cat = await c.docker(['exec', 'cpbox', 'cat', '/data/hf']);
      return { code: r.code || cat.code, stdout: r.stdout + cat.stdout, stderr: r.stderr + cat.stderr };
    } },
    { id: 'cp-to-not-dir', args: ['cp', '${DIR}/hf', 'cpbox:/tmp/x/y'] },
    { id: 'cp-to-missing-parent', args: ['cp', '${DIR}/hf', 'cpbox:/nope/y'] },
    // (the CLI logs its broken pipe once or twice, as the daemon's answer races its upload: left out)
    { id: 'cp-to-dir-over-file', fn: async (c) => {
      const r = await c.docker(['cp', c.sub('${DIR}/cpsrc'), 'cpbox:/tmp/x']);
      return { ...r, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('time=')).join('\n') };
    } },
    { id: 'cp-stdout', fn: async (c) => {
      const r = await c.docker(['cp', 'cpbox:/tmp/x', '-']);
      const entries = execFileSync('tar', ['tvf', '-'], { input: r.stdout, encoding: 'utf8' });
      return { code: r.code, stdout: entries.replace(/ \d{4}-\d\d-\d\d \d\d:\d\d /g, ' <time> '), stderr: r.stderr };
    } },
    { id: 'cp-stopped', fn: async (c) => {
      await c.docker(['stop', '-t', '0', 'cpbox']);
      const dst = c.sub('${DIR}/cpstopped');
      rmSync(dst, { force: true });
      const out = await c.docker(['cp', 'cpbox:/tmp/x', dst]);
      const into = await c.docker(['cp', c.sub('${DIR}/hf'), 'cpbox:/tmp/fromhost']);
      const vol = await c.docker(['cp', c.sub('${DIR}/hf'), 'cpbox:/data/again']);
      await c.docker(['start', 'cpbox']);
      const cat = await c.docker(['exec', 'cpbox', 'cat', '/tmp/fromhost', '/data/again']);
      return { code: out.code || into.code || vol.code || cat.code, stdout: readFileSync(dst, 'utf8') + cat.stdout, stderr: out.stderr + into.stderr + vol.stderr + cat.stderr };
    } },
    { id: 'cp-read-only', fn: async (c) => {
      await runCpBox(c, 'cpro', ['--read-only', '-v', '/vol'], 'true');
      const root = await c.docker(['cp', c.sub('${DIR}/hf'), 'cpro:/etc/']);
      const vol = await c.docker(['cp', c.sub('${DIR}/hf'), 'cpro:/vol/']);
      const cat = await c.docker(['exec', 'cpro', 'cat', '/vol/hf']);
      await c.docker(['rm', '-f', '-v', 'cpro']);
      return { code: root.code, stdout: vol.stdout + cat.stdout, stderr: root.stderr + vol.stderr };
    } },
    { id: 'export', fn: async (c) => {
      const file = c.sub('${DIR}/export.tar');
      const r = await c.docker(['export', '-o', file, 'cpbox']);
      const names = r.code === 0 ? execFileSync('tar', ['tf', file], { encoding: 'utf8' }).split('\n').filter((l) => l && !/^(bin|usr\/bin|usr\/sbin|sbin)\/./.test(l)) : [];
      return { code: r.code, stdout: names.sort().join('\n'), stderr: r.stderr };
    } },
    { id: 'export-missing', args: ['export', 'nosuch'] },
    { id: 'cp-rm', args: ['rm', '-f', '-v', 'cpbox'] },

    // docker commit
    { id: 'commit-box', fn: (c) => runCpBox(c, 'cmbox', [], 'echo hi > /tmp/x; rm /bin/zcat; mkdir -p /opt/app && echo app > /opt/app/f') },
    { id: 'commit', args: ['commit', '-m', 'a message', '-a', 'someone', '-c', 'ENV X=1', '-c', 'CMD ["cat", "/tmp/x"]', 'cmbox', 'committed:1'] },
    { id: 'commit-run', args: ['run', '--rm', ...NONE, 'committed:1'] },
    { id: 'commit-files', args: ['run', '--rm', ...NONE, 'committed:1', 'sh', '-c', 'ls /bin/zcat; cat /opt/app/f; echo $X; ls -a / | grep -c dockerenv'] },
    { id: 'commit-inspect', args: ['image', 'inspect', '-f', '{{.Author}}|{{.Comment}}|{{.Config.Cmd}}|{{.Config.Env}}|{{len .RootFS.Layers}}', 'committed:1'] },
    // (Container and ContainerConfig left the API in 1.45)
    { id: 'commit-inspect-pinned', env: { DOCKER_API_VERSION: '1.41' }, args: ['image', 'inspect', '-f', '{{.Container}}|{{.ContainerConfig.Cmd}}', 'committed:1'] },
    { id: 'commit-history', args: ['history', '--no-trunc', '--format', '{{.CreatedBy}}|{{.Comment}}', 'committed:1'] },
    { id: 'commit-state', args: ['inspect', '-f', '{{.State.Status}} {{.State.Paused}}', 'cmbox'] },
    { id: 'commit-untagged', fn: async (c) => {
      const r = await c.docker(['commit', '--pause=false', 'cmbox']);
      const dangling = await c.docker(['images', '-q', '--filter', 'dangling=true']);
      // the image it printed is the one dangling image
      return { code: r.code, stdout: String(dangling.stdout.trim() !== '' && r.stdout.includes(dangling.stdout.trim())), stderr: r.stderr };
    } },
    { id: 'commit-missing', args: ['commit', 'nosuch'] },
    { id: 'commit-bad-ref', args: ['commit', 'cmbox', 'BAD:ref'] },
    { id: 'commit-bad-change', args: ['commit', '-c', 'FROM busybox', 'cmbox'] },
    { id: 'commit-rm', fn: async (c) => {
      const r = await c.docker(['rm', '-f', 'cmbox']);
      const i = await c.docker(['rmi', 'committed:1']);
      const d = await c.docker(['image', 'prune', '-f']);
      return { code: r.code || i.code || d.code, stdout: '', stderr: r.stderr + i.stderr + d.stderr };
    } },

    // disk usage
    { id: 'df-box', fn: async (c) => {
      const r = await runCpBox(c, 'dfbox', ['-v', 'dfvol:/data'], 'dd if=/dev/zero of=/data/f bs=1k count=100 2>/dev/null; dd if=/dev/zero of=/big bs=1k count=50 2>/dev/null');
      const idle = await c.docker(['create', '--name', 'dfidle', ...NONE, 'busybox', 'true']);
      return { code: r.code || idle.code, stdout: '', stderr: r.stderr + idle.stderr };
    } },
    { id: 'ps-size', args: ['ps', '-a', '-s', '--filter', 'name=df', '--format', '{{.Names}} {{.Size}}'], sortLines: true },
    { id: 'system-df', args: ['system', 'df'] },
    // (dockerd lists volumes in no fixed order)
    { id: 'system-df-v', args: ['system', 'df', '-v'], sortLines: true },
    { id: 'system-df-json', args: ['system', 'df', '--format', '{{json .}}'], sortLines: true },
    { id: 'df-rm', fn: async (c) => {
      const r = await c.docker(['rm', '-f', '-v', 'dfbox', 'dfidle']);
      const v = await c.docker(['volume', 'rm', 'dfvol']);
      return { code: r.code || v.code, stdout: r.stdout + v.stdout, stderr: r.stderr + v.stderr };
    } },

    // swarm: never a swarm node here, so as dockerd before `docker swarm init`
    { id: 'swarm-node-ls', args: ['node', 'ls'] },
    { id: 'swarm-service-ls', args: ['service', 'ls'] },
    { id: 'swarm-service-inspect', args: ['service', 'inspect', 'nosuch'] },
    { id: 'swarm-service-ps', args: ['service', 'ps', 'nosuch'] },
    { id: 'swarm-secret-ls', args: ['secret', 'ls'] },
    { id: 'swarm-config-ls', args: ['config', 'ls'] },
    { id: 'swarm-leave', args: ['swarm', 'leave'] },
    { id: 'swarm-unlock-key', args: ['swarm', 'unlock-key'] },

    // removal
    { id: 'rmi-in-use', args: ['rmi', 'busybox'] },
    { id: 'rm-all', args: ['rm', '-f', '-v', 'svc', 'srv', 'web', 'clash', 'box', 'talker', 'ex3', 'rs', 'full', 'upd'] },
    { id: 'network-rm', args: ['network', 'rm', 'appnet'] },
    { id: 'volume-rm-after', args: ['volume', 'rm', 'data1', 'vol1'] },
    { id: 'ps-empty', args: ['ps', '-a'] },
    { id: 'rmi', args: ['rmi', 'busybox'] },
    { id: 'images-empty', args: ['images'] },
  ];
}

// ---- the whole comparison -------------------------------------------------------------------

export interface CompatReport {
  results: StepResult[];
  differences: StepResult[];
  /** differences not listed in docs/docker-compat.md */
  unlisted: StepResult[];
  /** listed differences that no longer differ */
  stale: string[];
  /** what berth left on the host, when anything */
  leaks: string[];
}

/** The reference dockerd could not be started here (the comparison cannot run). */
export class PeerUnavailable extends Error {}

export interface CompatOptions {
  /** only the steps whose ids match (the set-up steps they need are the caller's business) */
  only?: RegExp;
  log?: (line: string) => void;
}

/** Starts both daemons, runs the scenario against each, compares, and cleans up everything. */
export async function runCompat(opts: CompatOptions = {}): Promise<CompatReport> {
  const log = opts.log ?? (() => {});
  const shared = mkdtempSync('/tmp/berth-compat-');
  const links = hostLinks();
  const nat = natChainsExist();
  const berth = new EngineProcess();
  const dockerd = new DockerdProcess();
  let before: HostState | undefined;
  const results: StepResult[] = [];
  try {
    const tar = join(shared, 'busybox.tar');
    const archive = await busyboxArchive();
    writeFileSync(tar, archive);
    const imageId = imageIdOf(archive);
    await Promise.all([
      berth.start(),
      dockerd.start().catch((e: unknown) => {
        throw new PeerUnavailable(`dockerd did not start: ${e instanceof Error ? e.message : String(e)}`);
      }),
    ]);
    before = hostState(berth.dataDir);
    // Ports and subnets that nothing on the host uses already (a killed earlier run may have left
    // bridges and NAT rules behind); they are masked in the comparison.
    const [sb1, sb2, sb3] = freeSubnets(3);
    const [sd1, sd2, sd3] = freeSubnets(3, [sb1!]);
    const pb = freePort(18080);
    const pb2 = freePort(pb + 1);
    const pd = freePort(28080);
    const pd2 = freePort(pd + 1);
    const targets: Target[] = [
      { name: 'dockerd', client: dockerd, vars: { DIR: dockerd.dir, TAR: tar, PORT: String(pd), PORT2: String(pd2), SUBNET: sd1!, SUBNET2: sd2!, SUBNET3: sd3!, MAXAPI: '1.41' }, norm: { vars: {}, images: {} }, saved: {} },
      { name: 'berth', client: berth, vars: { DIR: berth.dir, TAR: tar, PORT: String(pb), PORT2: String(pb2), SUBNET: sb1!, SUBNET2: sb2!, SUBNET3: sb3!, MAXAPI: '1.50' }, norm: { vars: {}, images: {} }, saved: {} },
    ];
    for (const t of targets) {
      mkdirSync(join(t.vars['DIR']!, 'bind'), { recursive: true });
      // each daemon's own maximum API version is masked: berth speaks the current one, this dockerd 1.41
      t.norm = { vars: { ...t.vars }, images: { [imageId]: 'busybox' } };
    }
    for (const step of scenario()) {
      if (opts.only && !opts.only.test(step.id)) continue;
      const [d, b] = [await runStep(step, targets[0]!), await runStep(step, targets[1]!)];
      const r: StepResult = { step, command: commandOf(step), berth: b, dockerd: d, same: same(step, b, d) };
      results.push(r);
      log(`${r.same ? 'same' : 'DIFF'}  ${step.id}`);
    }
  } finally {
    await berth.cleanup().catch((e: unknown) => log(`berth cleanup: ${String(e)}`));
    await dockerd.cleanup().catch((e: unknown) => log(`dockerd cleanup: ${String(e)}`));
    // both daemons leave a container's cgroup parent in place
    await removeCgroup(COMPAT_CGROUP_PARENT);
    removeTestBridges(links, nat);
    rmSync(shared, { recursive: true, force: true });
  }
  const leaks: string[] = [];
  if (before) {
    const afterState = hostState(berth.dataDir);
    for (const k of Object.keys(before) as (keyof HostState)[]) {
      const extra = afterState[k].filter((x) => !before![k].includes(x));
      if (extra.length) leaks.push(`${k}: ${extra.join(', ')}`);
    }
  }
  const known = knownDifferences();
  const differences = results.filter((r) => !r.same);
  const ran = new Set(results.map((r) => r.step.id));
  return {
    results,
    differences,
    unlisted: differences.filter((r) => !known.has(r.step.id)),
    stale: [...known.keys()].filter((id) => ran.has(id) && !differences.some((r) => r.step.id === id)),
    leaks,
  };
}

function commandOf(step: Step): string {
  if (step.http) return `(host) GET ${step.http}`;
  if (step.fn) return `(several commands: ${step.id})`;
  const env = Object.entries(step.env ?? {}).map(([k, v]) => `${k}=${v} `).join('');
  return `${env}${(step.args ?? []).map((a) => (/[\s'"{}$|;&]/.test(a) ? `'${a}'` : a)).join(' ')}${step.tty ? '   (through a pty)' : ''}`;
}

/** The image ID a docker-archive's single image gets: the digest of its config. */
function imageIdOf(archive: Buffer): string {
  // the config is the one .json entry that is not manifest.json; find it by its name
  const text = archive.toString('latin1');
  const m = /([0-9a-f]{64})\.json/.exec(text);
  if (!m) throw new Error('no config in the busybox archive');
  return m[1]!;
}

/** The command-line entry: prints every step, the differences, and exits non-zero on unlisted ones. */
export async function main(argv = process.argv.slice(2)): Promise<number> {
  const only = argv[0] ? new RegExp(argv[0]) : undefined;
  const report = await runCompat({ ...(only ? { only } : {}), log: (l) => console.log(l) });
  const known = knownDifferences();
  console.log(`\n${report.results.length} steps, ${report.differences.length} differ (${report.differences.length - report.unlisted.length} listed in docs/docker-compat.md)\n`);
  for (const r of report.differences) {
    console.log(describe(r));
    console.log(known.has(r.step.id) ? `  listed: ${known.get(r.step.id)}\n` : '  NOT LISTED\n');
  }
  if (report.stale.length) console.log(`listed but no longer different: ${report.stale.join(', ')}`);
  if (report.leaks.length) console.log(`berth left behind: ${report.leaks.join('; ')}`);
  return report.unlisted.length || report.leaks.length ? 1 : 0;
}
