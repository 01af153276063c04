// The builder: a Dockerfile's stages run as seed 003's state-transition system. Each step's key
// is (parent image, instruction signature); a hit moves to the cached image, a miss executes the
// step (RUN in runc, COPY/ADD/WORKDIR as computed layers, the rest as config changes), commits a
// new image configuration and records it. Progress is the classic builder's stream ("Step n/m",
// " ---> Using cache", " ---> <id>"). Images are deterministic: layer times are clamped to the
// build's epoch and `created` is that epoch (see epochOf).
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, posix } from 'node:path';
import type { JSONMessage } from '../archive.js';
import { MEDIA, hexOf, type ContentStore } from '../content.js';
import { EngineError, invalidParameter, isEngineError, messageOf, notFound } from '../errors.js';
import type { ContainerConfig, ImageJSON, ImageStore } from '../images.js';
import { chainIDs, type LayerStore } from '../layers.js';
import { familiarString, parseNormalizedNamed, tagNameOnly, type NamedRef } from '../reference.js';
import type { Runc } from '../runtime.js';
import { parseGroup, parsePasswd, processEnv, resolveUser, type OciMount } from '../spec.js';
import { BuildCache, type Signature, type StepKind } from './cache.js';
import { SourceRoot, sourceChecksums, sourceHash, type SourceInfo, type FileEntry } from './context.js';
import type { BuildContext } from './context.js';
import { BuildArgs, applyMetadata, beginStageConfig, expand, expansionEnv, nopCommentString, normalizeWorkdir, prependEnvOnCmd, resolveCmdLine, shellOf } from './dispatch.js';
import { findStage, parseDockerfile, parseTrigger, type Instruction, type Stage } from './instructions.js';
import { Lex, LexError } from './lex.js';
import { DockerfileError, parseHeredoc, chompHeredoc } from './parser.js';
import { storeLayer, writeItems, writeUpperDir, type LayerItem } from './layer.js';
import { mountChain, runStep } from './run.js';

export interface BuildOptions {
  /** path of the Dockerfile inside the context */
  dockerfile: string;
  tags: string[];
  /** --build-arg: null when named without a value */
  buildArgs: Map<string, string | null>;
  noCache: boolean;
  target: string;
  labels: Record<string, string>;
  platform: string;
  /** print, for each step, cache hit or miss and why */
  explain: boolean;
  /** emit {"aux":{"ID":...}} at the end of each stage (API >= 1.30) */
  aux: boolean;
}

export interface BuilderDeps {
  dataDir: string;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
  runc: Runc;
}

export interface BuildResult {
  imageID: string;
  tags: NamedRef[];
}

/** A RUN that exited non-zero: the stream's errorDetail carries the code. */
export class StepFailedError extends EngineError {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super('system', message);
  }
}

type Out = (m: JSONMessage) => void;

interface State {
  imageID: string;
  image: ImageJSON;
  runConfig: ContainerConfig;
  cmdSet: boolean;
  args: BuildArgs;
  maintainer?: string;
  created: string;
  epoch: Date;
  /** the first step of this stage that missed */
  missedAt?: number;
}

const SCRATCH: ImageJSON = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
const EPOCH0 = '1970-01-01T00:00:00Z';
const short = (id: string) => (id ? hexOf(id).slice(0, 12) : '');
const isURL = (s: string) => /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//.test(s) || /^git@/.test(s);
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/**
 * The build's time: SOURCE_DATE_EPOCH when given as a build argument, else the base image's
 * `created` (1970-01-01 for scratch). It is both the images' `created` and the clamp for layer
 * modification times, so identical inputs give identical image IDs.
 */
function epochOf(base: ImageJSON, buildArgs: Map<string, string | null>): { created: string; epoch: Date } {
  const sde = buildArgs.get('SOURCE_DATE_EPOCH');
  if (sde && /^\d+$/.test(sde)) {
    const d = new Date(Number(sde) * 1000);
    return { created: d.toISOString().replace('.000Z', 'Z'), epoch: d };
  }
  const created = base.created && !Number.isNaN(Date.parse(base.created)) ? base.created : EPOCH0;
  return { created, epoch: new Date(Math.floor(Date.parse(created) / 1000) * 1000) };
}

/** Stages the target needs: itself and, transitively, those it starts FROM or COPY --from. */
function neededStages(stages: Stage[], target: number, metaEnv: Map<string, string>, escape: string): Set<number> {
  const lex = new Lex(escape);
  const need = new Set<number>();
  const visit = (i: number) => {
    if (need.has(i)) return;
    need.add(i);
    const s = stages[i]!;
    let base = s.baseName;
    try {
      base = lex.processWord(s.baseName, metaEnv);
    } catch {
      // reported when the stage runs
    }
    const byName = stages.findIndex((x, j) => j < i && x.name !== '' && x.name === base.toLowerCase());
    if (byName >= 0) visit(byName);
    for (const c of s.commands) {
      if (c.kind !== 'copy' || !c.from) continue;
      let from = c.from;
      try {
        from = lex.processWord(c.from, metaEnv);
      } catch {
        // likewise
      }
      const j = findStage(stages.slice(0, i), from);
      if (j >= 0) visit(j);
    }
  };
  visit(target);
  return need;
}

function parseChmod(s: string): number | undefined {
  if (s === '') return undefined;
  if (!/^[0-7]{1,4}$/.test(s)) throw invalidParameter(`invalid chmod parameter: '${s}'. it should be octal string and between 0 and 07777`);
  return parseInt(s, 8);
}

export class Builder {
  readonly cache: BuildCache;
  private readonly tmp: string;
  private readonly empty: string;

  constructor(private readonly d: BuilderDeps) {
    this.cache = new BuildCache(join(d.dataDir, 'build'));
    this.tmp = join(d.dataDir, 'build', 'tmp');
    this.empty = join(d.dataDir, 'build', 'empty');
    mkdirSync(this.tmp, { recursive: true });
    mkdirSync(this.empty, { recursive: true });
  }

  get tmpRoot(): string {
    return this.tmp;
  }

  /** Validates the -t names before anything runs (NewTagger). */
  static tagsOf(names: string[]): NamedRef[] {
    const out: NamedRef[] = [];
    const seen = new Set<string>();
    for (const n of names) {
      if (!n) continue;
      const ref = parseNormalizedNamed(n);
      if (ref.digest) throw invalidParameter('build tag cannot contain a digest');
      const t = tagNameOnly(ref);
      const key = familiarString(t);
      if (!seen.has(key)) {
        seen.add(key);
        out.push(t);
      }
    }
    return out;
  }

  async build(ctx: BuildContext, opts: BuildOptions, out: Out): Promise<BuildResult> {
    const tags = Builder.tagsOf(opts.tags);
    if (opts.platform) this.checkPlatform(opts.platform);
    const { name: dfName, text } = await ctx.readDockerfile(opts.dockerfile || 'Dockerfile');
    await ctx.removeIgnoredSpecials(dfName);
    const df = parseDockerfile(text);
    let stages = df.stages;
    if (stages.length === 0) throw invalidParameter('No image was generated. Is your Dockerfile empty?');
    let targetIx = stages.length - 1;
    if (opts.target) {
      targetIx = findStage(stages, opts.target);
      if (targetIx < 0 || stages[targetIx]!.name === '') throw invalidParameter(`failed to reach build target ${opts.target} in Dockerfile`);
    }
    stages = stages.slice(0, targetIx + 1).map((s) => ({ ...s, commands: [...s.commands] }));
    const noExpand = new Set<Instruction>();
    for (const k of Object.keys(opts.labels).sort()) {
      const ins: Instruction = { kind: 'label', code: `LABEL ${k}=${opts.labels[k]}`, line: 0, endLine: 0, pairs: [{ key: k, value: opts.labels[k]!, sep: '=' }] };
      noExpand.add(ins);
      stages[stages.length - 1]!.commands.push(ins);
    }
    for (const w of df.warnings) out({ stream: w + '\n' });

    const root = new BuildArgs(opts.buildArgs);
    const lex = new Lex(df.escapeToken);
    const referenced = new Set<string>();
    // meta args first: they are what FROM lines (and unused-stage analysis) see
    for (const meta of df.metaArgs) {
      for (const a of meta.args) {
        let value = a.value;
        try {
          if (value !== undefined) value = lex.processWord(value, root.allAllowed());
        } catch (e) {
          throw this.stepError(e, meta);
        }
        root.addArg(a.key, value);
        root.addMetaArg(a.key, value);
      }
    }
    const needed = neededStages(stages, stages.length - 1, root.allMeta(), df.escapeToken);
    const run = stages.map((s, i) => ({ s, i })).filter(({ i }) => needed.has(i));
    const total = df.metaArgs.length + run.length + run.reduce((n, { s }) => n + s.commands.length, 0);
    let stepNo = 1;
    const printStep = (code: string) => out({ stream: `Step ${stepNo++}/${total} : ${code}\n` });
    for (const meta of df.metaArgs) printStep(meta.code);

    const results = new Map<number, State>();
    let last: State | undefined;
    for (const { s, i } of run) {
      printStep(s.code);
      const state = await this.beginStage(s, stages, results, root, opts, df.escapeToken);
      out({ stream: ` ---> ${short(state.imageID)}\n` });
      const triggers = state.runConfig.OnBuild ?? [];
      if (triggers.length > 0) {
        out({ stream: `# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n` });
        state.runConfig.OnBuild = null;
        for (const t of triggers) {
          let ins: Instruction;
          try {
            ins = parseTrigger(t);
          } catch (e) {
            throw invalidParameter(messageOf(e));
          }
          await this.dispatch(state, ins, { stages, results, ctx, opts, out, escape: df.escapeToken, noExpand, stepNo: 0, total });
        }
      }
      for (const c of s.commands) {
        const n = stepNo;
        printStep(c.code);
        try {
          await this.dispatch(state, c, { stages, results, ctx, opts, out, escape: df.escapeToken, noExpand, stepNo: n, total });
        } catch (e) {
          // the failing instruction's line travels with the error (berth build points at it)
          if (e instanceof Error && c.line && (e as { line?: number }).line === undefined) Object.assign(e, { line: c.line, endLine: c.endLine });
          throw e;
        }
        out({ stream: ` ---> ${short(state.imageID)}\n` });
      }
      if (opts.aux && state.imageID) out({ aux: { ID: state.imageID } });
      for (const k of state.args.referenced) referenced.add(k);
      results.set(i, state);
      last = state;
    }
    for (const k of root.referenced) referenced.add(k);
    const warn = root.unusedWarning(referenced);
    if (warn) out({ stream: warn });
    if (!last || !last.imageID) throw invalidParameter('No image was generated. Is your Dockerfile empty?');
    const img = this.d.images.create(this.d.content.read(last.imageID));
    out({ stream: `Successfully built ${short(img.id)}\n` });
    for (const t of tags) {
      this.d.images.tag(img.id, t);
      out({ stream: `Successfully tagged ${familiarString(t)}\n` });
    }
    return { imageID: img.id, tags };
  }

  private checkPlatform(p: string): void {
    const [os, arch = 'amd64'] = p.toLowerCase().split('/');
    if (os !== 'linux' || (arch !== 'amd64' && arch !== 'x86_64')) {
      throw invalidParameter(`"${p}": unsupported platform: berth builds linux/amd64 images only`);
    }
  }

  private async beginStage(s: Stage, stages: Stage[], results: Map<number, State>, root: BuildArgs, opts: BuildOptions, escape: string): Promise<State> {
    let name: string;
    try {
      name = new Lex(escape).processWord(s.baseName, root.allMeta());
    } catch (e) {
      throw this.stepError(e, s);
    }
    if (s.platform) {
      let p = s.platform;
      try {
        p = new Lex(escape).processWord(s.platform, root.allMeta());
      } catch (e) {
        throw this.stepError(e, s);
      }
      if (p) this.checkPlatform(p);
    }
    let imageID = '';
    let image: ImageJSON = clone(SCRATCH);
    const stageIx = stages.findIndex((x, j) => x.name !== '' && x.name === name.toLowerCase() && results.has(j));
    if (stageIx >= 0) {
      const st = results.get(stageIx)!;
      imageID = st.imageID;
      image = clone(st.image);
    } else if (name.toLowerCase() !== 'scratch') {
      const img = this.lookupImage(name);
      imageID = img.id;
      image = clone(img.config);
    }
    const { created, epoch } = epochOf(image, opts.buildArgs);
    return { imageID, image, runConfig: beginStageConfig(image.config), cmdSet: false, args: root.forStage(), created, epoch };
  }

  private lookupImage(name: string) {
    let img;
    try {
      img = this.d.images.find(name);
    } catch (e) {
      throw invalidParameter(messageOf(e));
    }
    if (!img) {
      let repo = name;
      try {
        repo = familiarString(parseNormalizedNamed(name)).split(':')[0]!;
      } catch {
        // shown as given
      }
      throw notFound(`pull access denied for ${repo}, repository does not exist or may require 'docker login': berth pulls no images while building (load or build ${name} first)`);
    }
    return img;
  }

  /** An instruction's failure as the error the client sees, with the instruction's line kept. */
  private stepError(e: unknown, where: { line: number; endLine: number }): Error {
    if (isEngineError(e) || e instanceof DockerfileError) return e;
    const err = invalidParameter(e instanceof LexError ? e.message : messageOf(e));
    return Object.assign(err, { line: where.line, endLine: where.endLine });
  }

  // ---- steps ------------------------------------------------------------------------------------

  private async dispatch(
    state: State,
    raw: Instruction,
    env: { stages: Stage[]; results: Map<number, State>; ctx: BuildContext; opts: BuildOptions; out: Out; escape: string; noExpand: Set<Instruction>; stepNo: number; total: number },
  ): Promise<void> {
    let ins = raw;
    if (!env.noExpand.has(raw)) {
      try {
        ins = expand(raw, expansionEnv(state.runConfig, state.args), env.escape);
      } catch (e) {
        throw this.stepError(e, raw);
      }
    }
    const step = { out: env.out, explain: env.opts.explain, noCache: env.opts.noCache, no: env.stepNo, total: env.total };
    switch (ins.kind) {
      case 'run':
        return this.runStep(state, ins, step);
      case 'copy':
      case 'add':
        return this.copyStep(state, ins, env, step);
      case 'workdir':
        return this.workdirStep(state, ins.path, step);
      default: {
        let r;
        try {
          r = applyMetadata(ins, state.runConfig, state);
        } catch (e) {
          throw invalidParameter(messageOf(e));
        }
        if (r.note) env.out({ stream: r.note });
        state.runConfig = r.config;
        if (r.cmdSet !== undefined) state.cmdSet = r.cmdSet;
        if (r.maintainer !== undefined) state.maintainer = r.maintainer;
        const sig: Signature = { kind: 'meta', text: r.signature };
        if (this.probe(state, sig, step)) return;
        this.commit(state, sig, r.createdBy);
      }
    }
  }

  /** Looks the step up; on a hit moves the state to the cached image. Prints as the classic builder. */
  private probe(state: State, sig: Signature, step: StepCtx): boolean {
    const why = (reason: string) => step.explain && step.out({ stream: `[cache] ${stepLabel(step)}: miss: ${reason}\n` });
    if (step.noCache) {
      why('--no-cache');
      return false;
    }
    if (state.missedAt !== undefined) {
      why(`parent changed (${state.missedAt ? `step ${state.missedAt}` : 'an earlier step'} missed)`);
      return false;
    }
    const hit = this.cache.get(state.imageID, sig);
    if (hit) {
      const img = this.loadImage(hit.image);
      if (img) {
        if (step.explain) step.out({ stream: `[cache] ${stepLabel(step)}: hit\n` });
        step.out({ stream: ' ---> Using cache\n' });
        state.imageID = hit.image;
        state.image = img;
        return true;
      }
      this.cache.delete(hit);
      why('the cached image or one of its layers was removed');
    } else why(this.cache.explainMiss(state.imageID, sig));
    state.missedAt = step.no;
    return false;
  }

  private loadImage(id: string): ImageJSON | undefined {
    if (!this.d.content.has(id)) return undefined;
    const img = this.d.content.readJSON<ImageJSON>(id);
    const chain = chainIDs(img.rootfs?.diff_ids ?? []);
    return chain.every((c) => this.d.layers.has(c)) ? img : undefined;
  }

  /** A new image configuration from the state; records it in the cache under (parent, sig). */
  private commit(state: State, sig: Signature, createdBy: string, layer?: { diffID: string; compressed: string }): void {
    const parent = state.imageID;
    const base = state.image;
    const hist: NonNullable<ImageJSON['history']>[number] = { created: state.created, created_by: createdBy };
    if (state.maintainer) hist.author = state.maintainer;
    if (!layer) hist.empty_layer = true;
    const img: ImageJSON = {
      architecture: base.architecture ?? 'amd64',
      ...(state.maintainer ? { author: state.maintainer } : {}),
      config: clone(state.runConfig),
      created: state.created,
      history: [...(base.history ?? []), hist],
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [...(base.rootfs?.diff_ids ?? []), ...(layer ? [layer.diffID] : [])] },
      ...(base.variant ? { variant: base.variant } : {}),
    };
    const desc = this.d.content.put(Buffer.from(JSON.stringify(img)), MEDIA.ociConfig);
    state.imageID = desc.digest;
    state.image = img;
    this.cache.put(parent, sig, desc.digest, layer);
    this.cache.save();
  }

  private chainOf(img: ImageJSON): string | undefined {
    return chainIDs(img.rootfs?.diff_ids ?? []).pop();
  }

  private scratchDir(prefix: string): string {
    return mkdtempSync(join(this.tmp, prefix));
  }

  /** Writes a layer from `write` on top of the state's chain; undefined when it has no entries. */
  private async layerFrom(state: State, write: (path: string) => Promise<{ diffID: string; empty: boolean }>): Promise<{ diffID: string; compressed: string } | undefined> {
    const dir = this.scratchDir('layer-');
    try {
      const file = join(dir, 'layer.tar');
      const w = await write(file);
      if (w.empty) return undefined;
      const stored = await storeLayer(this.d.content, this.d.layers, file, w.diffID, this.chainOf(state.image));
      return { diffID: stored.info.diffID, compressed: stored.compressed.digest };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async withRootfs<T>(img: ImageJSON, fn: (root: string) => T | Promise<T>): Promise<T> {
    const dir = this.scratchDir('mnt-');
    const release = await mountChain(this.d.layers, this.chainOf(img), dir, this.empty);
    try {
      return await fn(dir);
    } finally {
      await release();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async runStep(state: State, ins: Extract<Instruction, { kind: 'run' }>, step: StepCtx): Promise<void> {
    const c = state.runConfig;
    let args = resolveCmdLine(ins.cmdLine, ins.prependShell, c) ?? [];
    const mounts: OciMount[] = [];
    let script: { dir: string; name: string; data: string } | undefined;
    if (ins.files.length > 0) {
      const line = (ins.cmdLine ?? [''])[0] ?? '';
      const only = parseHeredoc(line.trim());
      const f = ins.files[0]!;
      if (only && ins.files.length === 1) {
        const data = f.chomp ? chompHeredoc(f.data) : f.data;
        if (data.startsWith('#!')) {
          // a script with its own interpreter runs as a file, as buildkit mounts it at /dev/pipes
          script = { dir: '', name: f.name, data };
          args = [posix.join('/dev/pipes', f.name)];
        } else args = [...shellOf(c), data];
      } else {
        let full = line;
        for (const file of ins.files) full += '\n' + file.data + file.name;
        args = [...shellOf(c), full];
      }
    }
    const argEnv = state.args.filterAllowed(c.Env ?? []);
    const saveCmd = argEnv.length > 0 ? prependEnvOnCmd(state.args, argEnv, args) : args;
    // the arguments in the key are those prependEnvOnCmd writes (declared ones; proxies only if declared)
    const used = Object.fromEntries(argEnv.filter((e) => state.args.isReferencedOrNotBuiltin(e.slice(0, e.indexOf('=')))).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const sig: Signature = { kind: 'run', text: args.join(' '), args: used };
    if (this.probe(state, sig, step)) return;
    const id = randomBytes(32).toString('hex');
    const dir = join(this.tmp, `run-${id.slice(0, 12)}`);
    mkdirSync(dir, { recursive: true });
    try {
      if (script) {
        script.dir = join(dir, 'pipes');
        mkdirSync(script.dir);
        writeFileSync(join(script.dir, script.name), script.data, { mode: 0o755 });
        mounts.push({ destination: '/dev/pipes', type: 'bind', source: script.dir, options: ['rbind', 'ro'] });
      }
      const user = await this.userOf(state, c.User ?? '');
      step.out({ stream: ` ---> Running in ${id.slice(0, 12)}\n` });
      const code = await runStep(this.d.runc, this.d.layers, {
        id,
        dir,
        chainID: this.chainOf(state.image),
        args,
        env: processEnv([...(c.Env ?? []), ...argEnv], id.slice(0, 12), false),
        cwd: c.WorkingDir || '/',
        user,
        hostname: id.slice(0, 12),
        mounts,
        onOutput: (b) => step.out({ stream: b.toString() }),
      }, this.empty);
      if (code !== 0) throw new StepFailedError(`The command '${args.join(' ')}' returned a non-zero code: ${code}`, code);
      const layer = await this.layerFrom(state, (file) => writeUpperDir(file, join(dir, 'upper'), state.epoch));
      step.out({ stream: ` ---> Removed intermediate container ${id.slice(0, 12)}\n` });
      this.commit(state, sig, saveCmd.join(' '), layer);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async userOf(state: State, spec: string) {
    if (spec === '' || /^\d+(:\d+)?$/.test(spec)) return resolveUser(spec, [], []);
    return this.withRootfs(state.image, (root) => {
      const read = (p: string) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : '');
      return resolveUser(spec, parsePasswd(read('etc/passwd')), parseGroup(read('etc/group')));
    });
  }

  private async workdirStep(state: State, requested: string, step: StepCtx): Promise<void> {
    let path: string;
    try {
      path = normalizeWorkdir(state.runConfig.WorkingDir ?? '', requested);
    } catch (e) {
      throw invalidParameter(messageOf(e));
    }
    state.runConfig = { ...state.runConfig, WorkingDir: path };
    const comment = `WORKDIR ${path}`;
    const sig: Signature = { kind: 'workdir', text: comment };
    if (this.probe(state, sig, step)) return;
    // the directory is made now, as the classic builder does, so RUN steps can use it
    const items = await this.withRootfs(state.image, (root) => missingDirs(root, path, 0, 0, state.epoch));
    const layer = items.length ? await this.layerFrom(state, (file) => writeItems(file, items, state.epoch)) : undefined;
    this.commit(state, sig, nopCommentString(state.runConfig, comment).join(' '), layer);
  }

  private async copyStep(
    state: State,
    ins: Extract<Instruction, { kind: 'copy' | 'add' }>,
    env: { stages: Stage[]; results: Map<number, State>; ctx: BuildContext },
    step: StepCtx,
  ): Promise<void> {
    const KIND = ins.kind.toUpperCase();
    const from = ins.kind === 'copy' ? ins.from : '';
    if (ins.kind === 'add') {
      const url = ins.srcs.find(isURL);
      if (url) throw invalidParameter(`ADD failed: cannot download ${url}: berth builds have no network access; add the file to the build context instead`);
    }
    const chmod = parseChmod(ins.chmod);
    const count = ins.srcs.length + ins.contents.length;
    if (count > 1 && !ins.dest.endsWith('/')) {
      throw invalidParameter(`When using ${KIND} with more than one source file, the destination must be a directory and end with a /`);
    }
    const dest = normalizeDest(state.runConfig.WorkingDir ?? '', ins.dest);
    /** `prepare`: what must happen before the copy itself (the context unpacked), after the cache has been asked. */
    const run = async (srcRoot: SourceRoot, prepare?: () => Promise<void>) => {
      let infos: SourceInfo[];
      try {
        infos = ins.srcs.flatMap((s) => srcRoot.resolve(s));
      } catch (e) {
        throw invalidParameter(`${KIND} failed: ${messageOf(e)}`);
      }
      const contents = ins.contents.map((c) => ({ path: c.path, data: c.expand ? new Lex('\\', { rawQuotes: true, rawEscapes: true }).processWord(c.data, expansionEnv(state.runConfig, state.args)) : c.data }));
      const files = { ...sourceChecksums(infos) };
      for (const c of contents) files[`<<${c.path}`] = `f:644:${sha256hex(c.data)}`;
      const text = [KIND, ...(from ? [`--from=${from}`] : []), ...(ins.chown ? [`--chown=${ins.chown}`] : []), ...(ins.chmod ? [`--chmod=${ins.chmod}`] : []), ...ins.srcs, ...ins.contents.map((c) => `<<${c.path}`), dest].join(' ');
      const sig: Signature = { kind: ins.kind as StepKind, text, files };
      if (this.probe(state, sig, step)) return;
      await prepare?.();
      const srcHash = sourceHash(infos, contents.map((c) => `file:${sha256hex(c.data)}`));
      const chownComment = ins.chown ? `--chown=${ins.chown} ` : '';
      const unpack = this.scratchDir('add-');
      try {
        const items = await this.withRootfs(state.image, (root) => {
          const owner = ins.chown ? chownIDs(ins.chown, root) : { uid: 0, gid: 0 };
          return copyItems(root, dest, infos, contents, { ...owner, chmod, decompress: ins.kind === 'add', epoch: state.epoch, tmp: unpack });
        });
        const layer = await this.layerFrom(state, (file) => writeItems(file, items, state.epoch));
        this.commit(state, sig, nopCommentString(state.runConfig, `${KIND} ${chownComment}${srcHash} in ${dest} `).join(' '), layer);
      } finally {
        rmSync(unpack, { recursive: true, force: true });
      }
    };
    if (!from) return run(env.ctx.source, () => env.ctx.materialize());
    const j = findStage(env.stages, from);
    let srcImage: ImageJSON;
    if (j >= 0 && env.results.has(j)) srcImage = env.results.get(j)!.image;
    else {
      let img;
      try {
        img = this.lookupImage(from);
      } catch (e) {
        throw invalidParameter(`invalid from flag value ${from}: ${messageOf(e)}`);
      }
      srcImage = img.config;
    }
    await this.withRootfs(srcImage, (root) => run(new SourceRoot(root, 'stage')));
  }
}

interface StepCtx {
  out: Out;
  explain: boolean;
  noCache: boolean;
  no: number;
  total: number;
}

const stepLabel = (s: StepCtx) => (s.no ? `Step ${s.no}/${s.total}` : 'ONBUILD trigger');

const sha256hex = (s: string) => createHash('sha256').update(s).digest('hex');

/** normalizeDest: relative destinations join the working directory; a trailing slash is kept. */
export function normalizeDest(workdir: string, requested: string): string {
  const slash = requested.endsWith('/');
  let dest = requested.startsWith('/') ? requested : posix.join('/', workdir || '/', requested);
  if (slash && !dest.endsWith('/')) dest += '/';
  return dest;
}

/** The directories on `path` that the root lacks, as layer entries. */
function missingDirs(root: string, path: string, uid: number, gid: number, epoch: Date, have = new Set<string>()): LayerItem[] {
  const out: LayerItem[] = [];
  const parts = path.split('/').filter(Boolean);
  for (let i = 1; i <= parts.length; i++) {
    const rel = parts.slice(0, i).join('/');
    if (have.has(rel)) continue;
    if (existsSync(join(root, rel))) continue;
    have.add(rel);
    out.push({ name: rel, type: 'directory', mode: 0o755, uid, gid, mtime: epoch });
  }
  return out;
}

/** parseChownFlag: user[:group], names looked up in the image's passwd and group files. */
function chownIDs(spec: string, root: string): { uid: number; gid: number } {
  const [u = '', g = u] = spec.split(':', 2);
  const read = (p: string) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : '');
  const fail = (m: string) => invalidParameter(`unable to convert uid/gid chown string to host mapping: ${m}`);
  let uid: number;
  if (/^\d+$/.test(u)) uid = Number(u);
  else {
    const e = parsePasswd(read('etc/passwd')).find((p) => p.name === u);
    if (!e) throw fail(`can't find uid for user ${u}: no such user: ${u}`);
    uid = e.uid;
  }
  let gid: number;
  if (/^\d+$/.test(g)) gid = Number(g);
  else {
    const e = parseGroup(read('etc/group')).find((x) => x.name === g);
    if (!e) throw fail(`can't find gid for group ${g}: no such group: ${g}`);
    gid = e.gid;
  }
  return { uid, gid };
}

const ARCHIVE_MAGIC: number[][] = [[0x1f, 0x8b], [0x42, 0x5a, 0x68], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]];

function isArchive(path: string): boolean {
  const head = Buffer.alloc(512);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, 512, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 6) return false;
  const fd2 = head.subarray(0, n);
  if (ARCHIVE_MAGIC.some((m) => m.every((b, i) => fd2[i] === b))) return true;
  return fd2.length >= 262 && fd2.subarray(257, 262).toString() === 'ustar';
}

interface CopyOpts {
  uid: number;
  gid: number;
  chmod: number | undefined;
  decompress: boolean;
  epoch: Date;
  tmp: string;
}

/** The layer entries a COPY/ADD writes, parents first. */
function copyItems(root: string, dest: string, infos: SourceInfo[], contents: { path: string; data: string }[], o: CopyOpts): LayerItem[] {
  const items = new Map<string, LayerItem>();
  const have = new Set<string>();
  const destIsDir = (p: string) => {
    try {
      return statSync(join(root, p)).isDirectory();
    } catch {
      return false;
    }
  };
  const addParents = (target: string) => {
    for (const it of missingDirs(root, posix.dirname(target), o.uid, o.gid, o.epoch, have)) items.set(it.name, it);
  };
  const add = (target: string, e: FileEntry) => {
    const name = target.replace(/^\/+/, '');
    if (!name) return;
    addParents('/' + name);
    const mode = o.chmod !== undefined && e.type !== 'symlink' ? o.chmod : e.mode;
    const base = { name, mode, uid: o.uid, gid: o.gid, mtime: e.mtime };
    if (e.type === 'directory') items.set(name, { ...base, type: 'directory' });
    else if (e.type === 'symlink') items.set(name, { ...base, mode: 0o777, type: 'symlink', linkname: e.linkname! });
    else items.set(name, { ...base, type: 'file', source: e.abs, size: e.size });
    have.add(name);
  };
  const destDir = dest.replace(/\/+$/, '') || '/';
  for (const info of infos) {
    if (info.isDir) {
      for (const it of missingDirs(root, destDir, o.uid, o.gid, o.epoch, have)) items.set(it.name, it);
      for (const e of info.entries) if (e.rel) add(posix.join(destDir, e.rel), e);
      continue;
    }
    const e = info.entries[0]!;
    if (o.decompress && e.type === 'file' && isArchive(e.abs)) {
      for (const it of missingDirs(root, destDir, o.uid, o.gid, o.epoch, have)) items.set(it.name, it);
      for (const x of extractArchive(e.abs, o.tmp)) {
        const name = posix.join(destDir, x.rel).replace(/^\/+/, '');
        if (!name) continue;
        for (const it of missingDirs(root, posix.dirname('/' + name), o.uid, o.gid, o.epoch, have)) items.set(it.name, it);
        items.set(name, { ...x.item, name });
        have.add(name);
      }
      continue;
    }
    const target = dest.endsWith('/') || destIsDir(dest) ? posix.join(dest, basename(info.path || e.abs)) : dest;
    add(target, e);
  }
  for (const c of contents) {
    const target = dest.endsWith('/') || destIsDir(dest) ? posix.join(dest, c.path) : dest;
    const name = target.replace(/^\/+/, '');
    addParents('/' + name);
    items.set(name, { name, type: 'file', mode: o.chmod ?? 0o644, uid: o.uid, gid: o.gid, mtime: o.epoch, data: Buffer.from(c.data) });
  }
  return [...items.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A local archive ADD unpacks: its entries with their own owners and modes. */
function extractArchive(path: string, tmp: string): { rel: string; item: LayerItem }[] {
  const dir = mkdtempSync(join(tmp, 'add-'));
  try {
    execFileSync('tar', ['-x', '-f', path, '-C', dir, '--numeric-owner', '--same-owner', '-p'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw invalidParameter(`ADD failed: failed to extract ${basename(path)}: ${messageOf(e)}`);
  }
  const entries: FileEntry[] = [];
  const out: { rel: string; item: LayerItem }[] = [];
  const root = new SourceRoot(dir, 'context').resolve('.');
  for (const info of root) entries.push(...info.entries.filter((e) => e.rel));
  for (const e of entries) {
    const lst = lstatSync(e.abs);
    const base = { name: e.rel, mode: e.mode, uid: lst.uid, gid: lst.gid, mtime: e.mtime };
    if (e.type === 'directory') out.push({ rel: e.rel, item: { ...base, type: 'directory' } });
    else if (e.type === 'symlink') out.push({ rel: e.rel, item: { ...base, type: 'symlink', linkname: e.linkname! } });
    else out.push({ rel: e.rel, item: { ...base, type: 'file', source: e.abs, size: e.size } });
  }
  return out;
}
