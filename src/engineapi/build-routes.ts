// POST /build (the classic builder endpoint: a tar context in, a JSON progress stream out) and
// POST /build/prune, as moby's api/server/router/build has them. An error before any output is
// an HTTP error; after that it is the stream's last message, as dockerd writes it.
import type { Engine } from '../engine/engine.js';
import type { JSONMessage } from '../engine/archive.js';
import { invalidParameter, messageOf } from '../engine/errors.js';
import { Builder, StepFailedError, type BuildOptions } from '../engine/build/builder.js';
import { BuildContext } from '../engine/build/context.js';
import { DockerfileError } from '../engine/build/parser.js';
import { boolValue, compareVersions, writeJSON, type ApiServer } from './http.js';

const builders = new WeakMap<Engine, Builder>();

/** The engine's builder (one per engine: its cache is shared by all builds). */
export function builderOf(engine: Engine): Builder {
  let b = builders.get(engine);
  if (!b) {
    b = new Builder(engine);
    builders.set(engine, b);
  }
  return b;
}

function jsonParam<T>(q: URLSearchParams, key: string, what: string): T | undefined {
  const v = q.get(key);
  if (!v) return undefined;
  try {
    return JSON.parse(v) as T;
  } catch (e) {
    throw invalidParameter(`error reading ${what}: ${messageOf(e)}`);
  }
}

/** The query as newImageBuildOptions reads it. */
export function buildOptions(q: URLSearchParams, version: string): BuildOptions {
  const args = jsonParam<Record<string, string | null>>(q, 'buildargs', 'build args') ?? {};
  const labels = jsonParam<Record<string, string>>(q, 'labels', 'labels') ?? {};
  if (q.get('remote')) throw invalidParameter(`remote build contexts are not supported: berth builds have no network access`);
  const builderVersion = q.get('version') ?? '';
  if (builderVersion !== '' && builderVersion !== '1') {
    if (builderVersion === '2') throw invalidParameter('buildkit is not enabled on daemon');
    throw invalidParameter(`invalid version ${builderVersion}`);
  }
  return {
    dockerfile: q.get('dockerfile') || 'Dockerfile',
    tags: q.getAll('t'),
    buildArgs: new Map(Object.entries(args)),
    noCache: boolValue(q, 'nocache'),
    target: q.get('target') ?? '',
    labels,
    platform: compareVersions(version, '1.32') >= 0 ? q.get('platform') ?? '' : '',
    explain: boolValue(q, 'explain'),
    aux: compareVersions(version, '1.30') >= 0,
  };
}

/** streamformatter.FormatError: a step's exit code rides along in errorDetail. */
export function errorMessage(e: unknown): JSONMessage {
  const message = messageOf(e);
  if (e instanceof StepFailedError) return { errorDetail: { code: e.code, message } as { message: string }, error: message };
  return { errorDetail: { message }, error: message };
}

export function registerBuildRoutes(api: ApiServer, engine: Engine): void {
  api.post('/build', async (ctx) => {
    const q = ctx.query;
    const opts = buildOptions(q, ctx.version);
    const quiet = boolValue(q, 'q');
    const builder = builderOf(engine);
    // rm/forcerm concern intermediate containers: berth's build steps leave none behind
    const context = await BuildContext.fromTar(ctx.req, builder.tmpRoot);
    const held: JSONMessage[] = [];
    let started = false;
    const write = (m: JSONMessage) => {
      if (!started) {
        ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
        started = true;
      }
      ctx.res.write(JSON.stringify(m) + '\r\n');
    };
    const send = (m: JSONMessage) => (quiet ? held.push(m) : write(m));
    try {
      const r = await builder.build(context, opts, send);
      if (quiet) write({ stream: `${r.imageID}\n` });
    } catch (e) {
      if (!started && held.length === 0) throw e;
      for (const m of held) write(m);
      const line = e instanceof DockerfileError ? e.line : (e as { line?: unknown }).line;
      if (opts.explain && typeof line === 'number' && line > 0) write({ stream: `[error] Dockerfile:${line}\n` });
      write(errorMessage(e));
    } finally {
      // the unpacked context goes in the background, off the answer's critical path
      void context.closeLater().catch(() => undefined);
    }
    ctx.res.end();
  });

  api.post('/build/prune', async (ctx) => {
    const ks = ctx.query.get('keep-storage') ?? '0';
    if (!/^-?\d+$/.test(ks)) throw invalidParameter(`keep-storage is in bytes and expects an integer, got ${ks}`);
    const builder = builderOf(engine);
    const deleted = builder.cache.list().map((e) => e.image);
    const before = new Map(engine.layers.list().map((l) => [l.chainID, l.size]));
    builder.cache.clear();
    const removed = engine.images.collectLayers();
    const reclaimed = removed.reduce((n, c) => n + (before.get(c) ?? 0), 0);
    writeJSON(ctx.res, 200, { CachesDeleted: deleted.length ? [...new Set(deleted)] : null, SpaceReclaimed: reclaimed });
  });
}
