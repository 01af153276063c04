// The pure half of the classic builder's dispatchers (moby builder/dockerfile/dispatchers.go,
// buildargs.go): build-argument scoping across FROM, which words get variables expanded, how each
// metadata instruction changes the image config, and the "created_by" text each step records.
import type { ContainerConfig } from '../images.js';
import { parseSignal } from '../signals.js';
import { formatGoDuration, type HealthConfig, type Instruction } from './instructions.js';
import { Lex, envMap } from './lex.js';
import { goQuote } from './parser.js';

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Proxy variables usable without an ARG, and left out of cache keys unless declared. */
export const BUILTIN_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

/** buildArgs: --build-arg values, the ARGs declared before FROM, and those of the current stage. */
export class BuildArgs {
  private allowed = new Map<string, string | undefined>();
  private readonly meta = new Map<string, string | undefined>();
  readonly referenced = new Set<string>();

  constructor(readonly fromOptions: ReadonlyMap<string, string | null>) {}

  /** A copy for a new stage: the stage's own declarations start empty; meta ARGs carry over. */
  forStage(): BuildArgs {
    const b = new BuildArgs(this.fromOptions);
    for (const [k, v] of this.meta) b.meta.set(k, v);
    for (const k of this.referenced) b.referenced.add(k);
    return b;
  }

  private value(key: string, mapping: Map<string, string | undefined>): string | undefined {
    const o = this.fromOptions.get(key);
    if (o !== undefined && o !== null) return o;
    if (!mapping.has(key)) return undefined;
    const d = mapping.get(key);
    if (d === undefined) return this.meta.get(key);
    return d;
  }

  addArg(key: string, value: string | undefined): void {
    this.referenced.add(key);
    this.allowed.set(key, value);
  }

  addMetaArg(key: string, value: string | undefined): void {
    this.meta.set(key, value);
  }

  /** Declared (or built-in proxy) arguments that have a value, by name. */
  allAllowed(): Map<string, string> {
    const m = new Map<string, string>();
    for (const [k, v] of this.fromOptions) if (v !== null && BUILTIN_ARGS.has(k)) m.set(k, v);
    for (const k of this.allowed.keys()) {
      const v = this.value(k, this.allowed);
      if (v !== undefined) m.set(k, v);
    }
    return m;
  }

  allMeta(): Map<string, string> {
    const m = new Map<string, string>();
    for (const k of this.meta.keys()) {
      const v = this.value(k, this.meta);
      if (v !== undefined) m.set(k, v);
    }
    return m;
  }

  /** `k=v` for the allowed arguments the environment does not already set (FilterAllowed), sorted. */
  filterAllowed(env: readonly string[]): string[] {
    const keys = new Set(env.map((e) => e.split('=')[0]!));
    return [...this.allAllowed()].filter(([k]) => !keys.has(k)).map(([k, v]) => `${k}=${v}`).sort();
  }

  isReferencedOrNotBuiltin(key: string): boolean {
    return this.allowed.has(key) || !BUILTIN_ARGS.has(key);
  }

  /** The "[Warning] One or more build-args [...] were not consumed" line, if any. */
  unusedWarning(referenced: ReadonlySet<string>): string | undefined {
    const left = [...this.fromOptions.keys()].filter((k) => !referenced.has(k) && !BUILTIN_ARGS.has(k)).sort();
    return left.length ? `[Warning] One or more build-args [${left.join(' ')}] were not consumed\n` : undefined;
  }
}

/** The environment words are expanded against: the config's Env first, then allowed args. */
export function expansionEnv(config: ContainerConfig, args: BuildArgs): string[] {
  const env = config.Env ?? [];
  return [...env, ...args.filterAllowed(env)];
}

/** Expands the words of instructions that support it (SupportsSingleWordExpansion); others unchanged. */
export function expand(ins: Instruction, env: readonly string[], escapeToken: string): Instruction {
  const lex = new Lex(escapeToken);
  const m = envMap(env);
  const w = (s: string) => lex.processWord(s, m);
  switch (ins.kind) {
    case 'env':
    case 'label':
      return { ...ins, pairs: ins.pairs.map((p) => ({ ...p, key: w(p.key), value: w(p.value) })) };
    case 'add':
      return { ...ins, srcs: ins.srcs.map(w), dest: w(ins.dest), chown: w(ins.chown), chmod: w(ins.chmod), checksum: w(ins.checksum) };
    case 'copy':
      return { ...ins, srcs: ins.srcs.map(w), dest: w(ins.dest), chown: w(ins.chown), chmod: w(ins.chmod), from: w(ins.from) };
    case 'workdir':
      return { ...ins, path: w(ins.path) };
    case 'expose':
      // the one instruction where a variable may become several words
      return { ...ins, ports: ins.ports.flatMap((p) => lex.processWords(p, m)) };
    case 'user':
      return { ...ins, user: w(ins.user) };
    case 'volume':
      return { ...ins, volumes: ins.volumes.map(w) };
    case 'stopsignal':
      return { ...ins, signal: w(ins.signal) };
    case 'arg':
      return { ...ins, args: ins.args.map((a) => (a.value === undefined ? { key: w(a.key) } : { key: w(a.key), value: w(a.value) })) };
    default:
      return ins;
  }
}

export function shellOf(c: ContainerConfig): string[] {
  return c.Shell && c.Shell.length ? [...c.Shell] : [...DEFAULT_SHELL];
}

/** The command of RUN/CMD/ENTRYPOINT with the shell prepended for the shell form. */
export function resolveCmdLine(cmdLine: string[] | null, prependShell: boolean, c: ContainerConfig): string[] | null {
  if (prependShell && cmdLine !== null) return [...shellOf(c), ...cmdLine];
  return cmdLine;
}

/** prependEnvOnCmd: `|N k=v ...` before the command, the build args that key a RUN's cache. */
export function prependEnvOnCmd(args: BuildArgs, argEnv: readonly string[], cmd: readonly string[]): string[] {
  const used = argEnv.filter((e) => args.isReferencedOrNotBuiltin(e.split('=')[0]!)).sort();
  return [`|${used.length}`, ...used, ...cmd];
}

/** The "#(nop)" history text of a metadata step (withCmdComment: two arguments, two spaces). */
export function nopComment(c: ContainerConfig, comment: string): string[] {
  return [...shellOf(c), '#(nop) ', comment];
}

/** withCmdCommentString: WORKDIR, COPY and ADD record one argument. */
export function nopCommentString(c: ContainerConfig, comment: string): string[] {
  return [...shellOf(c), '#(nop) ' + comment];
}

/** Go's %q of a []string: ["a" "b"]. */
export const goQuoteSlice = (s: readonly string[] | null | undefined) => `[${(s ?? []).map(goQuote).join(' ')}]`;

/** Go's %q of a rune (HealthConfig.Retries prints as one). */
function goQuoteRune(n: number): string {
  if (n >= 0x20 && n < 0x7f && n !== 0x27 && n !== 0x5c) return `'${String.fromCharCode(n)}'`;
  const named: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 0x27: "\\'", 0x5c: '\\\\' };
  if (named[n]) return `'${named[n]}'`;
  if (n < 0x100) return `'\\x${n.toString(16).padStart(2, '0')}'`;
  return `'\\u${n.toString(16).padStart(4, '0')}'`;
}

/** fmt.Sprintf("HEALTHCHECK %q", *HealthConfig). */
export function healthcheckComment(h: HealthConfig): string {
  const d = (n: number | undefined) => goQuote(formatGoDuration(n ?? 0));
  return `HEALTHCHECK &{${goQuoteSlice(h.Test)} ${d(h.Interval)} ${d(h.Timeout)} ${d(h.StartPeriod)} ${d(h.StartInterval)} ${goQuoteRune(h.Retries ?? 0)}}`;
}

/** nat.ParsePortSpecs for EXPOSE: "80", "80/udp", "8000-8002/tcp". */
export function exposedPorts(ports: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of ports) {
    const [portPart, proto = 'tcp'] = raw.split('/') as [string, string?];
    if (portPart.includes(':')) throw new Error(`invalid containerPort: ${raw}`);
    const m = /^(\d+)(?:-(\d+))?$/.exec(portPart);
    if (!m) throw new Error(`invalid containerPort: ${portPart}`);
    const start = Number(m[1]);
    const end = m[2] ? Number(m[2]) : start;
    if (start > 65535 || end > 65535) throw new Error(`invalid containerPort: ${portPart}`);
    if (end < start) throw new Error(`invalid range specified for container port: ${portPart}`);
    if (!['tcp', 'udp', 'sctp'].includes(proto.toLowerCase())) throw new Error(`invalid proto: ${proto}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto.toLowerCase()}`);
  }
  return out;
}

/** normalizeWorkdir: relative paths join the current one; the result is clean and absolute. */
export function normalizeWorkdir(current: string, requested: string): string {
  if (requested.length === 0) throw new Error('cannot normalize nothing');
  const joined = requested.startsWith('/') ? requested : `${current || '/'}/${requested}`;
  const parts: string[] = [];
  for (const p of joined.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return '/' + parts.join('/');
}

export interface MetaResult {
  config: ContainerConfig;
  /** the history's created_by (the commit's Cmd joined) */
  createdBy: string;
  /** text for the step's cache signature: the commit message */
  signature: string;
  cmdSet?: boolean;
  maintainer?: string;
  /** printed before the step's result (e.g. HEALTHCHECK override note) */
  note?: string;
}

const cloneConfig = (c: ContainerConfig): ContainerConfig => JSON.parse(JSON.stringify(c)) as ContainerConfig;

/**
 * A metadata-only instruction (no filesystem change) applied to the config, with its commit
 * message. `args` is updated in place for ARG.
 */
export function applyMetadata(ins: Instruction, config: ContainerConfig, state: { cmdSet: boolean; args: BuildArgs }): MetaResult {
  const c = cloneConfig(config);
  const commit = (comment: string, extra: Partial<MetaResult> = {}): MetaResult => ({ config: c, createdBy: nopComment(c, comment).join(' '), signature: comment, ...extra });
  switch (ins.kind) {
    case 'env': {
      const env = [...(c.Env ?? [])];
      let msg = 'ENV';
      for (const p of ins.pairs) {
        const nv = `${p.key}=${p.value}`;
        msg += ' ' + nv;
        const i = env.findIndex((e) => e.split('=')[0] === p.key);
        if (i >= 0) env[i] = nv;
        else env.push(nv);
      }
      c.Env = env;
      return commit(msg);
    }
    case 'label': {
      c.Labels = { ...(c.Labels ?? {}) };
      let msg = 'LABEL';
      for (const p of ins.pairs) {
        c.Labels[p.key] = p.value;
        msg += ` ${p.key}=${p.value}`;
      }
      return commit(msg);
    }
    case 'maintainer':
      return commit(`MAINTAINER ${ins.maintainer}`, { maintainer: ins.maintainer });
    case 'onbuild':
      c.OnBuild = [...(c.OnBuild ?? []), ins.expression];
      return commit(`ONBUILD ${ins.expression}`);
    case 'cmd': {
      const cmd = resolveCmdLine(ins.cmdLine, ins.prependShell, c);
      c.Cmd = cmd;
      c.ArgsEscaped = true;
      return commit(`CMD ${goQuoteSlice(cmd)}`, { cmdSet: (ins.cmdLine ?? []).length !== 0 || state.cmdSet });
    }
    case 'entrypoint': {
      const ep = resolveCmdLine(ins.cmdLine, ins.prependShell, c);
      c.Entrypoint = ep;
      if (!state.cmdSet) c.Cmd = null;
      return commit(`ENTRYPOINT ${goQuoteSlice(ep)}`);
    }
    case 'healthcheck': {
      let note: string | undefined;
      const old = (c.Healthcheck as HealthConfig | undefined)?.Test;
      if (old && old.length > 0 && old[0] !== 'NONE') note = `Note: overriding previous HEALTHCHECK: [${old.join(' ')}]\n`;
      c.Healthcheck = ins.health;
      return commit(healthcheckComment(ins.health), note ? { note } : {});
    }
    case 'expose': {
      const ports = exposedPorts(ins.ports);
      c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
      for (const p of ports) c.ExposedPorts[p] = {};
      return commit(`EXPOSE ${ins.ports.join(' ')}`);
    }
    case 'user':
      c.User = ins.user;
      return commit(`USER ${ins.user}`);
    case 'volume': {
      c.Volumes = { ...(c.Volumes ?? {}) };
      for (const v of ins.volumes) {
        if (v === '') throw new Error('VOLUME specified can not be an empty string');
        c.Volumes[v] = {};
      }
      return commit(`VOLUME [${ins.volumes.join(' ')}]`);
    }
    case 'stopsignal':
      try {
        parseSignal(ins.signal);
      } catch (e) {
        throw new Error((e as Error).message);
      }
      c.StopSignal = ins.signal;
      return commit(`STOPSIGNAL ${ins.signal}`);
    case 'arg': {
      let msg = 'ARG ';
      ins.args.forEach((a, i) => {
        if (i > 0) msg += ' ';
        msg += a.key;
        if (a.value !== undefined) msg += '=' + a.value;
        state.args.addArg(a.key, a.value);
      });
      return commit(msg);
    }
    case 'shell':
      c.Shell = [...ins.shell];
      return commit(`SHELL [${ins.shell.join(' ')}]`);
    default:
      throw new Error(`${ins.kind} is not a metadata instruction`);
  }
}

/** Sets the default PATH when the base has none (setDefaultPath), and drops stdin flags. */
export function beginStageConfig(base: ContainerConfig | undefined): ContainerConfig {
  const c = base ? cloneConfig(base) : {};
  const env = c.Env ?? [];
  if (!env.some((e) => e.split('=')[0] === 'PATH')) c.Env = [...env, `PATH=${DEFAULT_PATH}`];
  c.OpenStdin = false;
  c.StdinOnce = false;
  return c;
}
