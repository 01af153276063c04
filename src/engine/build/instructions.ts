// Typed Dockerfile instructions from parsed nodes, and their grouping into stages, as buildkit's
// frontend/dockerfile/instructions does it (flags, argument counts, HEALTHCHECK options, stage
// names), with upstream's messages. Pure.
import { DockerfileError, INSTRUCTIONS, chompHeredoc, goQuote, parse, parseHeredoc, type Heredoc, type KeyValue, type Node } from './parser.js';

interface Base {
  /** the instruction as written (trimmed logical line), for "Step n/m : ..." */
  code: string;
  line: number;
  endLine: number;
}

export interface SourceContent {
  path: string;
  data: string;
  expand: boolean;
}

export interface InlineFile {
  name: string;
  data: string;
  chomp: boolean;
}

export interface HealthConfig {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

export interface CmdLine {
  cmdLine: string[] | null;
  prependShell: boolean;
  files: InlineFile[];
}

export type Instruction = Base &
  (
    | { kind: 'env'; pairs: KeyValue[] }
    | { kind: 'label'; pairs: KeyValue[] }
    | { kind: 'maintainer'; maintainer: string }
    | { kind: 'add'; srcs: string[]; contents: SourceContent[]; dest: string; chown: string; chmod: string; link: boolean; checksum: string; keepGitDir: boolean }
    | { kind: 'copy'; srcs: string[]; contents: SourceContent[]; dest: string; chown: string; chmod: string; from: string; link: boolean }
    | { kind: 'onbuild'; expression: string }
    | { kind: 'workdir'; path: string }
    | ({ kind: 'run' } & CmdLine)
    | ({ kind: 'cmd' } & CmdLine)
    | ({ kind: 'entrypoint' } & CmdLine)
    | { kind: 'healthcheck'; health: HealthConfig }
    | { kind: 'expose'; ports: string[] }
    | { kind: 'user'; user: string }
    | { kind: 'volume'; volumes: string[] }
    | { kind: 'stopsignal'; signal: string }
    | { kind: 'arg'; args: { key: string; value?: string }[] }
    | { kind: 'shell'; shell: string[] }
  );

export interface Stage extends Base {
  /** lower-cased `AS` name, or "" */
  name: string;
  baseName: string;
  platform: string;
  commands: Instruction[];
}

export interface Dockerfile {
  stages: Stage[];
  metaArgs: Extract<Instruction, { kind: 'arg' }>[];
  escapeToken: string;
  warnings: string[];
}

class FlagError extends Error {}

/** BFlags: `--name=value` flags of one instruction, checked against what it accepts. */
class Flags {
  private readonly defs = new Map<string, 'bool' | 'string'>();
  private readonly values = new Map<string, string>();
  constructor(private readonly raw: string[]) {}
  bool(name: string): () => boolean {
    this.defs.set(name, 'bool');
    return () => this.values.get(name) === 'true';
  }
  str(name: string): () => string {
    this.defs.set(name, 'string');
    return () => this.values.get(name) ?? '';
  }
  parse(): void {
    const used = new Set<string>();
    for (const a of this.raw) {
      if (!a.startsWith('--')) throw new FlagError(`Arg should start with -- : ${a}`);
      if (a === '--') return;
      let name = a.slice(2);
      let value = '';
      const eq = name.indexOf('=');
      if (eq >= 0) {
        value = name.slice(eq + 1);
        name = name.slice(0, eq);
      }
      const type = this.defs.get(name);
      if (!type) throw new FlagError(`Unknown flag: ${name}`);
      if (used.has(name)) throw new FlagError(`Duplicate flag specified: ${name}`);
      used.add(name);
      if (type === 'bool') {
        if (eq >= 0 && value === '') throw new FlagError(`Missing a value on flag: ${name}`);
        const lower = value.toLowerCase();
        if (lower === '') this.values.set(name, 'true');
        else if (lower === 'true' || lower === 'false') this.values.set(name, lower);
        else throw new FlagError(`Expecting boolean value for flag ${name}, not: ${value}`);
      } else {
        if (eq < 0) throw new FlagError(`Missing a value on flag: ${name}`);
        this.values.set(name, value);
      }
    }
  }
}

// ---- Go durations (HEALTHCHECK options) --------------------------------------------------------

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** time.ParseDuration, in nanoseconds. */
export function parseGoDuration(s: string): number {
  const orig = s;
  const bad = () => new Error(`time: invalid duration ${goQuote(orig)}`);
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw bad();
  let total = 0;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') throw bad();
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    const unit = UNITS[u[0]];
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(u[0])} in duration ${goQuote(orig)}`);
    s = s.slice(u[0].length);
    total += Number(m[1] || '0') * unit + (m[2] ? Number(`0.${m[2]}`) * unit : 0);
  }
  return Math.round(neg ? -total : total);
}

/** time.Duration.String. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const neg = ns < 0;
  let u = Math.abs(ns);
  let out: string;
  const frac = (v: number, unit: number) => {
    const whole = Math.floor(v / unit);
    const rest = v % unit;
    if (rest === 0) return String(whole);
    const digits = String(unit).length - 1;
    return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
  };
  if (u < 1e9) {
    if (u < 1e3) out = `${u}ns`;
    else if (u < 1e6) out = `${frac(u, 1e3)}µs`;
    else out = `${frac(u, 1e6)}ms`;
  } else {
    const h = Math.floor(u / 3600e9);
    u -= h * 3600e9;
    const m = Math.floor(u / 60e9);
    u -= m * 60e9;
    out = `${frac(u, 1e9)}s`;
    if (h > 0) out = `${h}h${m}m${out}`;
    else if (m > 0) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

// ---- instructions ------------------------------------------------------------------------------

const errAtLeastOne = (c: string) => new Error(`${c} requires at least one argument`);
const errExactlyOne = (c: string) => new Error(`${c} requires exactly one argument`);
const errNoDest = (c: string) => new Error(`${c} requires at least two arguments, but only one was provided. Destination could not be determined`);

const handleJSONArgs = (args: string[], json: boolean) => (json ? args : [args.join(' ')]);

function sourcesAndDest(n: Node, command: string): { srcs: string[]; contents: SourceContent[]; dest: string } {
  const dest = n.args[n.args.length - 1]!;
  if (parseHeredoc(dest)) throw new Error(`${command} cannot accept a heredoc as a destination`);
  const lookup = new Map(n.heredocs.map((h) => [h.name, h]));
  const srcs: string[] = [];
  const contents: SourceContent[] = [];
  for (const s of n.args.slice(0, -1)) {
    const h = parseHeredoc(s);
    if (h) {
      const doc = lookup.get(h.name);
      let data = doc?.content ?? '';
      if (h.chomp) data = chompHeredoc(data);
      contents.push({ path: h.name, data, expand: h.expand });
    } else srcs.push(s);
  }
  return { srcs, contents, dest };
}

function cmdLine(n: Node, emptyAsNil: boolean): CmdLine {
  const files = n.heredocs.map((h: Heredoc) => ({ name: h.name, data: h.content, chomp: h.chomp }));
  let cmd: string[] | null = handleJSONArgs(n.args, n.json);
  if (emptyAsNil && cmd.length === 0) cmd = null;
  return { cmdLine: cmd, prependShell: !n.json, files };
}

const VALID_STAGE = /^[a-z][a-z0-9-_.]*$/;

function stageName(args: string[]): string {
  if (args.length === 3 && args[1]!.toLowerCase() === 'as') {
    const name = args[2]!.toLowerCase();
    if (!VALID_STAGE.test(name)) throw new Error(`invalid name for build stage: ${goQuote(args[2]!)}, name can't start with a number or contain symbols`);
    return name;
  }
  if (args.length !== 1) throw new Error('FROM requires either one or three arguments');
  return '';
}

const MIN_DURATION = 1e6; // container.MinimumDuration: 1ms

function optInterval(name: string, v: string): number {
  if (v === '') return 0;
  const d = parseGoDuration(v);
  if (d === 0) return 0;
  if (d < MIN_DURATION) throw new Error(`Interval ${goQuote(name)} cannot be less than 1ms`);
  return d;
}

/** Levenshtein distance, for "did you mean" on unknown instructions (suggest.WrapError). */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) dp[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      dp[i]![j] = Math.min(dp[i - 1]![j]! + 1, dp[i]![j - 1]! + 1, dp[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return dp[a.length]![b.length]!;
}

function unknownInstruction(cmd: string): Error {
  const val = cmd.toLowerCase();
  let match = '';
  let min = 3;
  for (const opt of [...INSTRUCTIONS, 'maintainer'].filter((x, i, a) => a.indexOf(x) === i)) {
    const d = distance(val, opt);
    if (d < min) {
      min = d;
      match = opt;
    }
  }
  let msg = `unknown instruction: ${cmd}`;
  if (match) {
    const cased = cmd === cmd.toLowerCase() ? match : cmd === cmd.toUpperCase() ? match.toUpperCase() : match;
    msg += ` (did you mean ${cased}?)`;
  }
  return new Error(msg);
}

/** One instruction (or a FROM) from its node; errors are plain (the caller adds the line). */
export function parseInstruction(n: Node): Instruction | Omit<Stage, 'commands'> {
  const flags = new Flags(n.flags);
  const base: Base = { code: n.original.trim(), line: n.startLine, endLine: n.endLine };
  const lower = n.cmd.toLowerCase();
  const args = n.args;
  switch (lower) {
    case 'env':
    case 'label': {
      flags.parse();
      const pairs = n.pairs ?? [];
      if (pairs.length === 0) throw errAtLeastOne(lower.toUpperCase());
      if (pairs.some((p) => p.key === '')) throw new Error(`${lower.toUpperCase()} names can not be blank`);
      return { ...base, kind: lower, pairs };
    }
    case 'maintainer':
      if (args.length !== 1) throw errExactlyOne('MAINTAINER');
      flags.parse();
      return { ...base, kind: 'maintainer', maintainer: args[0]! };
    case 'add': {
      if (args.length < 2) throw errNoDest('ADD');
      const chown = flags.str('chown');
      const chmod = flags.str('chmod');
      const link = flags.bool('link');
      const keep = flags.bool('keep-git-dir');
      const checksum = flags.str('checksum');
      flags.parse();
      return { ...base, kind: 'add', ...sourcesAndDest(n, 'ADD'), chown: chown(), chmod: chmod(), link: link(), checksum: checksum(), keepGitDir: keep() };
    }
    case 'copy': {
      if (args.length < 2) throw errNoDest('COPY');
      const chown = flags.str('chown');
      const from = flags.str('from');
      const chmod = flags.str('chmod');
      const link = flags.bool('link');
      flags.parse();
      return { ...base, kind: 'copy', ...sourcesAndDest(n, 'COPY'), chown: chown(), chmod: chmod(), from: from(), link: link() };
    }
    case 'from': {
      const name = stageName(args);
      const platform = flags.str('platform');
      flags.parse();
      return { ...base, name, baseName: args[0]!, platform: platform() };
    }
    case 'onbuild': {
      if (args.length === 0) throw errAtLeastOne('ONBUILD');
      flags.parse();
      const trigger = args[0]!.trim().toUpperCase();
      if (trigger === 'ONBUILD') throw new Error('Chaining ONBUILD via `ONBUILD ONBUILD` isn\'t allowed');
      if (trigger === 'MAINTAINER' || trigger === 'FROM') throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
      let expression = n.original.replace(/^\s*ONBUILD\s*/i, '');
      for (const h of n.heredocs) expression += '\n' + h.content + h.name;
      return { ...base, kind: 'onbuild', expression };
    }
    case 'workdir':
      if (args.length !== 1) throw errExactlyOne('WORKDIR');
      flags.parse();
      return { ...base, kind: 'workdir', path: args[0]! };
    case 'run':
      flags.parse();
      return { ...base, kind: 'run', ...cmdLine(n, false) };
    case 'cmd':
      flags.parse();
      return { ...base, kind: 'cmd', ...cmdLine(n, false) };
    case 'entrypoint':
      flags.parse();
      return { ...base, kind: 'entrypoint', ...cmdLine(n, true) };
    case 'healthcheck': {
      if (args.length === 0) throw errAtLeastOne('HEALTHCHECK');
      let typ = args[0]!.toUpperCase();
      const rest = args.slice(1);
      if (typ === 'NONE') {
        if (rest.length !== 0) throw new Error('HEALTHCHECK NONE takes no arguments');
        return { ...base, kind: 'healthcheck', health: { Test: ['NONE'] } };
      }
      const interval = flags.str('interval');
      const timeout = flags.str('timeout');
      const start = flags.str('start-period');
      const startInterval = flags.str('start-interval');
      const retries = flags.str('retries');
      flags.parse();
      if (typ !== 'CMD') throw new Error(`Unknown type ${goQuote(typ)} in HEALTHCHECK (try CMD)`);
      const cmd = handleJSONArgs(rest, n.json);
      if (cmd.length === 0 || (cmd.length === 1 && cmd[0] === '' && !n.json)) throw new Error('Missing command after HEALTHCHECK CMD');
      if (!n.json) typ = 'CMD-SHELL';
      const health: HealthConfig = { Test: [typ, ...cmd] };
      const iv = optInterval('interval', interval());
      const to = optInterval('timeout', timeout());
      const sp = optInterval('start-period', start());
      const si = optInterval('start-interval', startInterval());
      if (iv) health.Interval = iv;
      if (to) health.Timeout = to;
      if (sp) health.StartPeriod = sp;
      if (si) health.StartInterval = si;
      if (retries() !== '') {
        if (!/^[+-]?\d+$/.test(retries())) throw new Error(`strconv.ParseInt: parsing ${goQuote(retries())}: invalid syntax`);
        const r = Number(retries());
        if (r < 0) throw new Error(`--retries cannot be negative (${r})`);
        if (r) health.Retries = r;
      }
      return { ...base, kind: 'healthcheck', health };
    }
    case 'expose':
      if (args.length === 0) throw errAtLeastOne('EXPOSE');
      flags.parse();
      return { ...base, kind: 'expose', ports: [...args].sort() };
    case 'user':
      if (args.length !== 1) throw errExactlyOne('USER');
      flags.parse();
      return { ...base, kind: 'user', user: args[0]! };
    case 'volume': {
      if (args.length === 0) throw errAtLeastOne('VOLUME');
      flags.parse();
      const volumes: string[] = [];
      for (const v of args) {
        if (v.trim() === '') throw new Error('VOLUME specified can not be an empty string');
        volumes.push(v.trim());
      }
      return { ...base, kind: 'volume', volumes };
    }
    case 'stopsignal':
      if (args.length !== 1) throw errExactlyOne('STOPSIGNAL');
      return { ...base, kind: 'stopsignal', signal: args[0]! };
    case 'arg': {
      if (args.length < 1) throw errAtLeastOne('ARG');
      const out: { key: string; value?: string }[] = [];
      for (const a of args) {
        const eq = a.indexOf('=');
        if (eq >= 0) {
          if (eq === 0) throw new Error('ARG names can not be blank');
          out.push({ key: a.slice(0, eq), value: a.slice(eq + 1) });
        } else out.push({ key: a });
      }
      return { ...base, kind: 'arg', args: out };
    }
    case 'shell': {
      flags.parse();
      const sh = handleJSONArgs(args, n.json);
      if (sh.length === 0 || (!n.json && sh.length === 1 && sh[0] === '')) throw errAtLeastOne('SHELL');
      if (!n.json) throw new Error(`SHELL requires the arguments to be in JSON form`);
      return { ...base, kind: 'shell', shell: sh };
    }
  }
  throw unknownInstruction(n.cmd);
}

const withLine = (e: unknown, n: { startLine: number; endLine: number }): DockerfileError => {
  if (e instanceof DockerfileError) return e;
  const msg = e instanceof FlagError || e instanceof Error ? e.message : String(e);
  return new DockerfileError(`dockerfile parse error on line ${n.startLine}: ${msg}`, n.startLine, n.endLine);
};

/** Reads a Dockerfile into stages and the ARGs before the first FROM (instructions.Parse). */
export function parseDockerfile(text: string): Dockerfile {
  let parsed;
  try {
    parsed = parse(text);
  } catch (e) {
    if (e instanceof DockerfileError) throw new DockerfileError(`dockerfile parse error on line ${e.line}: ${e.message}`, e.line, e.endLine);
    throw e;
  }
  const stages: Stage[] = [];
  const metaArgs: Extract<Instruction, { kind: 'arg' }>[] = [];
  for (const n of parsed.nodes) {
    let ins;
    try {
      ins = parseInstruction(n);
    } catch (e) {
      throw withLine(e, n);
    }
    if ('baseName' in ins) {
      stages.push({ ...ins, commands: [] });
      continue;
    }
    if (stages.length === 0) {
      if (ins.kind === 'arg') {
        metaArgs.push(ins);
        continue;
      }
      throw withLine(new Error('no build stage in current context'), n);
    }
    stages[stages.length - 1]!.commands.push(ins);
  }
  return { stages, metaArgs, escapeToken: parsed.escapeToken, warnings: parsed.warnings };
}

/** Parses an ONBUILD trigger (one instruction) as dispatchTriggeredOnBuild does. */
export function parseTrigger(expr: string): Instruction {
  const parsed = parse(expr);
  if (parsed.nodes.length !== 1) throw new Error('onbuild trigger should be a single expression');
  const ins = parseInstruction(parsed.nodes[0]!);
  if ('baseName' in ins) throw new Error(`*instructions.Stage is not a command type`);
  return ins;
}

/** The stage a name or index refers to (`--target`, `COPY --from`, `FROM stage`). */
export function findStage(stages: readonly Stage[], nameOrIndex: string): number {
  const lower = nameOrIndex.toLowerCase();
  const byName = stages.findIndex((s) => s.name !== '' && s.name === lower);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(nameOrIndex)) {
    const i = Number(nameOrIndex);
    if (i < stages.length) return i;
  }
  return -1;
}
