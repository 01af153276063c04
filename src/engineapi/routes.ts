// The Docker Engine API routes over the engine: system, images, containers, exec, volumes,
// networks. Request parameters, response shapes, stream framing and errors as dockerd has them
// (moby api/server/router/*).
import { hostname, release, cpus, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { execFileSync } from 'node:child_process';
import type { Engine } from '../engine/engine.js';
import { ENGINE_VERSION } from '../engine/engine.js';
import { invalidParameter, messageOf, notImplemented } from '../engine/errors.js';
import { Filters } from '../engine/filters.js';
import { eventMatches, EVENT_FILTERS, type EventMessage } from '../engine/events.js';
import { importImage, loadImages, saveImages, type JSONMessage } from '../engine/archive.js';
import { withTag } from '../engine/reference.js';
import { listContainers } from '../engine/list.js';
import { isRunning } from '../engine/lifecycle.js';
import { rfc3339NanoFixed, type LogEntry } from '../engine/logs.js';
import type { CreateRequest, EndpointSettings, HostConfig } from '../engine/config.js';
import type { ExecCreateRequest } from '../engine/exec.js';
import type { Container, WaitCondition } from '../engine/containers.js';
import { dirSize, drain } from '../engine/rootfs.js';
import { commitContainer } from '../engine/commit.js';
import type { ContainerConfig } from '../engine/images.js';
import { API_VERSION, MIN_API_VERSION, boolValue, boolOr, compareVersions, upgraded, writeJSON, type ApiServer, type Ctx } from './http.js';
import { registerBuildRoutes } from './build-routes.js';
import { registerSwarmRoutes } from './swarm-routes.js';
import { containerInspect, containerSummary, frame, imageInspect, imageSummary, networkJSON, type ShapeDeps } from './shapes.js';
import { pullRoute, registerRegistryRoutes } from './registry-routes.js';

/** A JSON message stream (dockerd's streamformatter: one object per line, "\r\n"). */
function jsonStream(res: ServerResponse): (m: JSONMessage) => void {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  return (m) => res.write(JSON.stringify(m) + '\r\n');
}

/** "seconds[.nanos]" (what the CLI sends for --since/--until) as nanoseconds. */
function parseTimestamp(v: string | null): bigint | undefined {
  if (v === null || v === '') return undefined;
  const m = /^(-?\d+)(?:\.(\d{1,9}))?$/.exec(v);
  if (!m) throw invalidParameter(`failed to parse value as time or duration: "${v}"`);
  return BigInt(m[1]!) * 1_000_000_000n + BigInt((m[2] ?? '').padEnd(9, '0') || '0');
}

const DETACH_KEYS = Buffer.from([0x10, 0x11]); // ctrl-p, ctrl-q

/** term.ToBytes: "ctrl-p,ctrl-q" → bytes. */
function detachKeys(spec: string | null | undefined): Buffer {
  if (!spec) return DETACH_KEYS;
  const out: number[] = [];
  for (const k of spec.split(',')) {
    const key = k.trim().toLowerCase();
    if (key.length === 1) out.push(key.charCodeAt(0));
    else if (key.startsWith('ctrl-')) {
      const ch = key.slice(5);
      const map: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
      if (ch.length === 1 && ch >= 'a' && ch <= 'z') out.push(ch.charCodeAt(0) - 96);
      else if (ch in map) out.push(map[ch]!);
      else throw invalidParameter(`Invalid escape keys (${spec}) provided`);
    } else throw invalidParameter(`Invalid escape keys (${spec}) provided`);
  }
  return Buffer.from(out);
}

/** Feeds stdin through, watching for the detach sequence (which is not passed on). */
function stdinPump(keys: Buffer, write: (b: Buffer) => void, onDetach: () => void): (d: Buffer) => void {
  let matched = 0;
  return (d) => {
    let start = 0;
    for (let i = 0; i < d.length; i++) {
      if (d[i] === keys[matched]) {
        matched++;
        if (matched === keys.length) {
          const before = d.subarray(start, i - keys.length + 1);
          if (before.length > 0) write(before);
          onDetach();
          return;
        }
      } else if (matched > 0) {
        // a partial sequence that did not complete is passed on
        write(keys.subarray(0, matched));
        matched = d[i] === keys[0] ? 1 : 0;
      }
    }
    const keep = d.subarray(start, d.length - matched);
    if (keep.length > 0) write(keep);
  };
}

export function registerRoutes(api: ApiServer, engine: Engine): void {
  const shapes: ShapeDeps = { images: engine.images, layers: engine.layers, networks: engine.network, execIDs: (id) => engine.execs.idsFor(id) };
  registerRegistryRoutes(api, engine);

  // ---- system ---------------------------------------------------------------------------------

  const ping = (ctx: Ctx) => {
    ctx.res.setHeader('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.res.setHeader('Pragma', 'no-cache');
    ctx.res.setHeader('Builder-Version', '1');
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': ctx.req.method === 'HEAD' ? 0 : 2 });
    ctx.res.end(ctx.req.method === 'HEAD' ? undefined : 'OK');
  };
  api.get('/_ping', ping);
  api.head('/_ping', ping);
  registerBuildRoutes(api, engine);
  registerSwarmRoutes(api);

  const runcVersion = (() => {
    try {
      return /runc version (\S+)/.exec(execFileSync('runc', ['--version']).toString())?.[1] ?? '';
    } catch {
      return '';
    }
  })();
  const archive = { content: engine.content, layers: engine.layers, images: engine.images, event: (a: string, id: string, attrs: Record<string, string>) => engine.events.log('image', a, id, attrs) };

  api.get('/version', (ctx) => {
    writeJSON(ctx.res, 200, {
      Platform: { Name: 'Berth Engine' },
      Components: [
        {
          Name: 'Engine',
          Version: ENGINE_VERSION,
          Details: { ApiVersion: API_VERSION, Arch: 'amd64', BuildTime: '', Experimental: 'false', GitCommit: '', GoVersion: `node${process.version}`, KernelVersion: release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux' },
        },
        { Name: 'runc', Version: runcVersion, Details: { GitCommit: '' } },
      ],
      Version: ENGINE_VERSION,
      ApiVersion: API_VERSION,
      MinAPIVersion: MIN_API_VERSION,
      GitCommit: '',
      GoVersion: `node${process.version}`,
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: release(),
      BuildTime: '',
    });
  });

  api.get('/info', (ctx) => {
    const cs = engine.containers.list();
    const running = cs.filter((c) => c.rec.State.status === 'running' || c.rec.State.status === 'restarting').length;
    const paused = cs.filter((c) => c.rec.State.status === 'paused').length;
    const osRelease = (() => {
      try {
        return /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
      } catch {
        return 'Linux';
      }
    })();
    writeJSON(ctx.res, 200, {
      ID: engine.dataDir,
      Containers: cs.length,
      ContainersRunning: running,
      ContainersPaused: paused,
      ContainersStopped: cs.length - running - paused,
      Images: engine.images.list().length,
      Driver: 'overlay2',
      DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Native Overlay Diff', 'true']],
      Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'null'], Authorization: null, Log: ['json-file', 'none'] },
      MemoryLimit: true,
      SwapLimit: true,
      KernelMemory: false,
      CpuCfsPeriod: true,
      CpuCfsQuota: true,
      CPUShares: true,
      CPUSet: true,
      PidsLimit: true,
      IPv4Forwarding: true,
      BridgeNfIptables: true,
      BridgeNfIp6tables: true,
      Debug: false,
      NFd: 0,
      OomKillDisable: true,
      NGoroutines: 0,
      SystemTime: new Date().toISOString(),
      LoggingDriver: 'json-file',
      CgroupDriver: 'cgroupfs',
      CgroupVersion: '1',
      NEventsListener: 0,
      KernelVersion: release(),
      OperatingSystem: osRelease,
      OSVersion: '',
      OSType: 'linux',
      Architecture: 'x86_64',
      IndexServerAddress: 'https://index.docker.io/v1/',
      RegistryConfig: { AllowNondistributableArtifactsCIDRs: [], AllowNondistributableArtifactsHostnames: [], InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: {}, Mirrors: [] },
      NCPU: cpus().length,
      MemTotal: totalmem(),
      GenericResources: null,
      DockerRootDir: engine.dataDir,
      HttpProxy: '',
      HttpsProxy: '',
      NoProxy: '',
      Name: hostname(),
      Labels: [],
      ExperimentalBuild: false,
      ServerVersion: ENGINE_VERSION,
      Runtimes: { runc: { path: 'runc' } },
      DefaultRuntime: 'runc',
      Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
      LiveRestoreEnabled: true,
      Isolation: '',
      InitBinary: '',
      ContainerdCommit: { ID: '', Expected: '' },
      RuncCommit: { ID: '', Expected: '' },
      InitCommit: { ID: '', Expected: '' },
      SecurityOptions: [],
      Warnings: null,
    });
  });

  api.get('/events', async (ctx) => {
    const since = parseTimestamp(ctx.query.get('since'));
    const until = parseTimestamp(ctx.query.get('until'));
    const f = Filters.parse(ctx.query.get('filters'));
    f.validate([...EVENT_FILTERS]);
    for (const t of f.get('type')) {
      if (!['container', 'image', 'volume', 'network', 'daemon', 'plugin', 'service', 'node', 'secret', 'config'].includes(t)) throw invalidParameter(`Invalid filter 'type=${t}'`);
    }
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const send = (e: EventMessage) => res.write(JSON.stringify(e) + '\n');
    for (const e of engine.events.past(since, until, f)) send(e);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    if (until !== undefined && until <= nowNs) {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const off = engine.events.subscribe((e) => {
        if (until !== undefined && BigInt(e.timeNano) > until) return;
        if (eventMatches(f, e)) send(e);
      });
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        off();
        if (timer) clearTimeout(timer);
        res.end();
        resolve();
      };
      if (until !== undefined) timer = setTimeout(done, Number((until - nowNs) / 1_000_000n));
      ctx.req.socket.on('close', done);
    });
  });

  // ---- images ---------------------------------------------------------------------------------

  api.get('/images/json', (ctx) => {
    const f = Filters.parse(ctx.query.get('filters'));
    f.validate(['before', 'dangling', 'label', 'reference', 'since', 'until']);
    const all = engine.images.list();
    const ref = (key: string) => (f.get(key)[0] ? engine.images.get(f.get(key)[0]!) : undefined);
    const before = ref('before');
    const since = ref('since');
    const created = (id: string) => Date.parse(engine.images.byID(id)?.config.created ?? '0') || 0;
    const out = all
      .filter((img) => {
        const tags = engine.images.repoTags(img);
        if (f.contains('dangling')) {
          const want = f.get('dangling')[0];
          if (want !== 'true' && want !== 'false' && want !== '1' && want !== '0') throw invalidParameter(`Invalid filter 'dangling=${want}'`);
          if ((tags.length === 0) !== (want === 'true' || want === '1')) return false;
        }
        if (!f.matchKVList('label', img.config.config?.Labels ?? {})) return false;
        if (before && created(img.id) >= created(before.id)) return false;
        if (since && created(img.id) <= created(since.id)) return false;
        if (f.contains('reference')) {
          const names = [...tags, ...engine.images.repoDigests(img)];
          const ok = f.get('reference').some((pat) => names.some((n) => globMatch(pat, n) || globMatch(pat, n.split(':')[0]!)));
          if (!ok) return false;
        }
        return true;
      })
      .sort((a, b) => created(b.id) - created(a.id))
      .map((img) => {
        const summary = imageSummary(img, engine.images, -1);
        if (f.contains('reference')) {
          // only the references that matched are listed, as dockerd does
          const keep = (n: string) => f.get('reference').some((pat) => globMatch(pat, n) || globMatch(pat, n.split(/[:@]/)[0]!));
          summary['RepoTags'] = (summary['RepoTags'] as string[]).filter(keep);
          summary['RepoDigests'] = (summary['RepoDigests'] as string[]).filter(keep);
        }
        return summary;
      });
    writeJSON(ctx.res, 200, out);
  });

  api.post('/images/load', async (ctx) => {
    const quiet = boolValue(ctx.query, 'quiet');
    // dockerd answers 200 at once; a failure arrives in the stream, as the CLI expects
    const send = jsonStream(ctx.res);
    try {
      await loadImages(archive, ctx.req, send, quiet);
    } catch (e) {
      send({ errorDetail: { message: messageOf(e) }, error: messageOf(e) });
    }
    ctx.res.end();
  });

  const save = async (ctx: Ctx, names: string[]) => {
    // resolve first so that an unknown name is an error response, not a broken tar
    for (const n of names) engine.images.get(n);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await saveImages(archive, names, ctx.res);
  };
  api.get('/images/get', (ctx) => save(ctx, ctx.query.getAll('names')));

  api.post('/images/create', async (ctx) => {
    const q = ctx.query;
    const fromSrc = q.get('fromSrc');
    const fromImage = q.get('fromImage');
    if (fromImage) return pullRoute(ctx, engine);
    if (fromSrc === null) throw invalidParameter('either fromSrc or fromImage must be specified');
    if (fromSrc !== '-') throw notImplemented('importing from a URL is not supported: no network access');
    const changes = q.getAll('changes');
    const send = jsonStream(ctx.res);
    try {
      await importImage(
        archive,
        ctx.req,
        { repo: q.get('repo') ?? '', tag: q.get('tag') ?? '', message: q.get('message') ?? '', changes, src: '-', dockerVersion: ENGINE_VERSION },
        send,
      );
    } catch (e) {
      send({ errorDetail: { message: messageOf(e) }, error: messageOf(e) });
    }
    ctx.res.end();
  });

  api.post('/images/prune', (ctx) => {
    const f = Filters.parse(ctx.query.get('filters'));
    f.validate(['dangling', 'label', 'until']);
    const danglingOnly = !f.contains('dangling') || f.get('dangling').some((x) => x === 'true' || x === '1');
    const used = new Set(engine.containers.list().map((c) => c.rec.Image));
    const deleted: unknown[] = [];
    let reclaimed = 0;
    for (const img of engine.images.list()) {
      if (used.has(img.id)) continue;
      if (danglingOnly && engine.images.repoTags(img).length > 0) continue;
      if (!f.matchKVList('label', img.config.config?.Labels ?? {})) continue;
      const size = img.layers.reduce((n, l) => n + l.size, 0);
      try {
        deleted.push(...engine.images.delete(img.id, true, true));
        reclaimed += size;
      } catch {
        // in use or referenced: kept, as dockerd keeps it
      }
    }
    writeJSON(ctx.res, 200, { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed });
  });

  api.get('/images/{name*}/json', (ctx) => writeJSON(ctx.res, 200, imageInspect(engine.images.get(ctx.params['name']!), engine.images, engine.layers, ctx.version)));
  api.get('/images/{name*}/get', (ctx) => save(ctx, [ctx.params['name']!]));
  api.get('/images/{name*}/history', (ctx) => {
    const img = engine.images.get(ctx.params['name']!);
    const hist = img.config.history ?? [];
    let layer = img.layers.length - 1;
    const out = [...hist].reverse().map((h, i) => {
      const size = h.empty_layer ? 0 : img.layers[layer--]?.size ?? 0;
      return {
        Id: i === 0 ? img.id : '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: i === 0 ? engine.images.repoTags(img) : null,
        Size: size,
        Comment: h.comment ?? '',
      };
    });
    writeJSON(ctx.res, 200, out);
  });
  api.post('/images/{name*}/tag', (ctx) => {
    const repo = ctx.query.get('repo') ?? '';
    const tag = ctx.query.get('tag') ?? '';
    const ref = withTag(repo, tag);
    engine.images.tagByName(ctx.params['name']!, ref);
    ctx.res.writeHead(201);
    ctx.res.end();
  });
  api.delete('/images/{name*}', (ctx) => {
    const force = boolValue(ctx.query, 'force');
    const prune = !boolValue(ctx.query, 'noprune');
    const name = ctx.params['name']!.trim();
    if (name === '') throw invalidParameter('image name cannot be blank');
    writeJSON(ctx.res, 200, engine.images.delete(name, force, prune));
  });

  // ---- containers -----------------------------------------------------------------------------

  /** A container's sizes as dockerd lists them: SizeRw left out when 0 (omitempty). */
  const sizes = (c: Container) => {
    const { SizeRw, SizeRootFs } = engine.containers.sizes(c);
    return { ...(SizeRw ? { SizeRw } : {}), SizeRootFs };
  };

  // docker system df: what images, containers, volumes and the build cache take on disk
  api.get('/system/df', (ctx) => {
    const types = ctx.query.getAll('type');
    for (const t of types) if (!['container', 'image', 'volume', 'build-cache'].includes(t)) throw invalidParameter(`unknown object type: ${t}`);
    const want = (t: string) => types.length === 0 || types.includes(t);
    // newest first, as docker ps lists them
    const containers = listContainers(engine.containers, engine.images, { all: true, limit: -1, filters: Filters.parse(null) });
    const images = engine.images.list();
    const users = new Map<string, number>();
    for (const c of containers) users.set(c.rec.Image, (users.get(c.rec.Image) ?? 0) + 1);
    const layerUsers = new Map<string, number>();
    for (const img of images) for (const l of img.layers) layerUsers.set(l.chainID, (layerUsers.get(l.chainID) ?? 0) + 1);
    const old = compareVersions(ctx.version, '1.42') < 0;
    const out: Record<string, unknown> = {};
    if (want('image')) {
      out['LayersSize'] = engine.layers.list().reduce((n, l) => n + l.size, 0);
      out['Images'] = images.map((img) => ({
        ...imageSummary(img, engine.images, users.get(img.id) ?? 0),
        SharedSize: img.layers.reduce((n, l) => n + ((layerUsers.get(l.chainID) ?? 0) > 1 ? l.size : 0), 0),
      }));
    }
    if (want('container')) out['Containers'] = containers.map((c) => ({ ...containerSummary(c, shapes), ...sizes(c) }));
    if (want('volume')) {
      out['Volumes'] = engine.volumes.list().map((v) => ({ ...v, UsageData: { RefCount: engine.containers.volumeUsers(v.Name).length, Size: dirSize(v.Mountpoint) } }));
    }
    // the classic builder's cache is images (listed above), as dockerd's classic builder has it
    if (want('build-cache')) out['BuildCache'] = old ? null : [];
    if (old) out['BuilderSize'] = 0;
    writeJSON(ctx.res, 200, out);
  });

  api.get('/containers/json', (ctx) => {
    const q = ctx.query;
    const limit = q.has('limit') && q.get('limit') !== '' ? Number(q.get('limit')) : -1;
    const list = listContainers(engine.containers, engine.images, { all: boolValue(q, 'all'), limit: Number.isNaN(limit) ? -1 : limit, filters: Filters.parse(q.get('filters')) });
    const size = boolValue(q, 'size');
    writeJSON(ctx.res, 200, list.map((c) => ({ ...containerSummary(c, shapes), ...(size ? sizes(c) : {}) })));
  });

  api.post('/containers/create', async (ctx) => {
    const body = await ctx.json<Record<string, unknown> & { HostConfig?: CreateRequest['hostConfig']; NetworkingConfig?: CreateRequest['networkingConfig'] }>();
    if (!body || typeof body !== 'object') throw invalidParameter('Config cannot be empty in order to create a container');
    const { HostConfig, NetworkingConfig, ...config } = body;
    const name = ctx.query.get('name') ?? '';
    const r = await engine.containers.create({ name, config, ...(HostConfig ? { hostConfig: HostConfig } : {}), networkingConfig: NetworkingConfig ?? null });
    writeJSON(ctx.res, 201, { Id: r.Id, Warnings: r.Warnings });
  });

  api.post('/containers/prune', async (ctx) => {
    const f = Filters.parse(ctx.query.get('filters'));
    f.validate(['label', 'label!', 'until']);
    const deleted: string[] = [];
    for (const c of engine.containers.list()) {
      if (isRunning(c.rec.State)) continue;
      if (!f.matchKVList('label', c.rec.Config.Labels ?? {})) continue;
      await engine.containers.remove(c.id, {}).then(() => deleted.push(c.id), () => undefined);
    }
    writeJSON(ctx.res, 200, { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: 0 });
  });

  api.get('/containers/{id}/json', (ctx) => writeJSON(ctx.res, 200, containerInspect(engine.containers.get(ctx.params['id']!), shapes)));

  // docker cp: a path's stat in a header (base64 JSON), the path as a tar, a tar into a directory
  const archivePath = (ctx: Ctx): string => {
    const path = ctx.query.get('path');
    if (!path) throw invalidParameter('path cannot be empty');
    return path;
  };
  const statHeader = (stat: unknown) => ({ 'X-Docker-Container-Path-Stat': Buffer.from(JSON.stringify(stat)).toString('base64') });
  api.head('/containers/{id}/archive', async (ctx) => {
    const stat = await engine.containers.statPath(ctx.params['id']!, archivePath(ctx));
    ctx.res.writeHead(200, statHeader(stat));
    ctx.res.end();
  });
  api.get('/containers/{id}/archive', async (ctx) => {
    await engine.containers.archivePath(ctx.params['id']!, archivePath(ctx), (stat) => {
      ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar', ...statHeader(stat) });
      return ctx.res;
    });
  });
  api.put('/containers/{id}/archive', async (ctx) => {
    try {
      await engine.containers.extractToDir(ctx.params['id']!, archivePath(ctx), ctx.req, { noOverwriteDirNonDir: boolValue(ctx.query, 'noOverwriteDirNonDir'), copyUIDGID: boolValue(ctx.query, 'copyUIDGID') });
    } catch (e) {
      // the client is still sending the archive: read it out, so that it gets the error, not a broken pipe
      await drain(ctx.req);
      throw e;
    }
    ctx.res.writeHead(200);
    ctx.res.end();
  });

  api.post('/commit', async (ctx) => {
    const q = ctx.query;
    const body = (await ctx.body()).toString().trim();
    let config: ContainerConfig | null = null;
    try {
      if (body) config = JSON.parse(body) as ContainerConfig | null;
    } catch (e) {
      throw invalidParameter(messageOf(e));
    }
    const id = await commitContainer(archive, engine.containers, q.get('container') ?? '', {
      repo: q.get('repo') ?? '', tag: q.get('tag') ?? '', author: q.get('author') ?? '', comment: q.get('comment') ?? '',
      pause: boolOr(q, 'pause', true), changes: q.getAll('changes'), config, dockerVersion: ENGINE_VERSION,
    });
    writeJSON(ctx.res, 201, { Id: id });
  });

  api.get('/containers/{id}/changes', async (ctx) => writeJSON(ctx.res, 200, await engine.containers.changes(ctx.params['id']!)));

  api.get('/containers/{id}/export', async (ctx) => {
    engine.containers.get(ctx.params['id']!);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    await engine.containers.export(ctx.params['id']!, ctx.res);
  });

  api.get('/containers/{id}/top', async (ctx) => writeJSON(ctx.res, 200, await engine.containers.top(ctx.params['id']!, ctx.query.get('ps_args') || '-ef')));

  api.get('/containers/{id}/logs', async (ctx) => {
    const q = ctx.query;
    const stdout = boolValue(q, 'stdout');
    const stderr = boolValue(q, 'stderr');
    if (!stdout && !stderr) throw invalidParameter('Bad parameters: you must choose at least one stream');
    const c = engine.containers.get(ctx.params['id']!);
    const tailRaw = q.get('tail') ?? 'all';
    const tail = tailRaw === 'all' || tailRaw === '' ? undefined : Number(tailRaw);
    const since = parseTimestamp(q.get('since'));
    const until = parseTimestamp(q.get('until'));
    const timestamps = boolValue(q, 'timestamps');
    const tty = !!c.rec.Config.Tty;
    const res = ctx.res;
    const ac = new AbortController();
    ctx.req.socket.on('close', () => ac.abort());
    let headersDone = false;
    const head = () => {
      if (headersDone) return;
      headersDone = true;
      res.writeHead(200, { 'Content-Type': compareVersion(ctx.version, '1.42') >= 0 && !tty ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream' });
      res.flushHeaders();
    };
    const write = (e: LogEntry) => {
      if ((e.stream === 'stdout' && !stdout) || (e.stream === 'stderr' && !stderr)) return;
      const line = timestamps ? Buffer.concat([Buffer.from(rfc3339NanoFixed(e.timeNano) + ' '), e.line]) : e.line;
      head();
      res.write(tty ? line : frame(e.stream === 'stdout' ? 1 : 2, line));
    };
    const opts = { ...(since !== undefined && since > 0n ? { since } : {}), ...(until !== undefined && until > 0n ? { until } : {}), ...(tail !== undefined && !Number.isNaN(tail) ? { tail } : {}), follow: boolValue(q, 'follow') };
    const p = engine.containers.logs(c.id, opts, write, ac.signal);
    head();
    await p;
    res.end();
  });

  api.get('/containers/{id}/stats', async (ctx) => {
    const c = engine.containers.get(ctx.params['id']!);
    const stream = boolOr(ctx.query, 'stream', true);
    const oneShot = boolValue(ctx.query, 'one-shot');
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    const running = () => c.rec.State.status === 'running' || c.rec.State.status === 'paused';
    const sample = () => statsJSON(c, running() ? engine.containers.stats(c.id) : undefined);
    let pre = sample();
    if (!stream) {
      if (!oneShot && running()) await sleep(1000);
      const cur = sample();
      res.end(JSON.stringify({ ...cur, preread: pre.read, precpu_stats: oneShot ? emptyCpu() : pre.cpu_stats }) + '\n');
      return;
    }
    let closed = false;
    ctx.req.socket.on('close', () => (closed = true));
    res.write(JSON.stringify({ ...pre, preread: '0001-01-01T00:00:00Z', precpu_stats: emptyCpu() }) + '\n');
    while (!closed && !c.removed) {
      await sleep(1000);
      const cur = sample();
      res.write(JSON.stringify({ ...cur, preread: pre.read, precpu_stats: pre.cpu_stats }) + '\n');
      pre = cur;
    }
    res.end();
  });

  api.post('/containers/{id}/resize', async (ctx) => {
    const h = Number(ctx.query.get('h'));
    const w = Number(ctx.query.get('w'));
    if (!Number.isInteger(h) || !Number.isInteger(w) || h < 0 || w < 0) throw invalidParameter(`strconv.Atoi: parsing "${ctx.query.get('h')}": invalid syntax`);
    await engine.containers.resize(ctx.params['id']!, h, w);
    ctx.res.writeHead(200);
    ctx.res.end();
  });

  const noContent = (ctx: Ctx) => {
    ctx.res.writeHead(204);
    ctx.res.end();
  };

  api.post('/containers/{id}/start', async (ctx) => {
    await engine.containers.start(ctx.params['id']!);
    noContent(ctx);
  });
  const timeoutParam = (ctx: Ctx): number | undefined => {
    const t = ctx.query.get('t');
    if (t === null || t === '') return undefined;
    if (!/^-?\d+$/.test(t)) throw invalidParameter(`strconv.Atoi: parsing "${t}": invalid syntax`);
    return Number(t);
  };
  api.post('/containers/{id}/stop', async (ctx) => {
    const sig = ctx.query.get('signal') || undefined;
    await engine.containers.stop(ctx.params['id']!, { ...(timeoutParam(ctx) !== undefined ? { timeout: timeoutParam(ctx)! } : {}), ...(sig ? { signal: sig } : {}) });
    noContent(ctx);
  });
  api.post('/containers/{id}/restart', async (ctx) => {
    await engine.containers.restart(ctx.params['id']!, timeoutParam(ctx), ctx.query.get('signal') || undefined);
    noContent(ctx);
  });
  api.post('/containers/{id}/kill', async (ctx) => {
    await engine.containers.kill(ctx.params['id']!, ctx.query.get('signal') || undefined);
    noContent(ctx);
  });
  api.post('/containers/{id}/pause', async (ctx) => {
    await engine.containers.pause(ctx.params['id']!);
    noContent(ctx);
  });
  api.post('/containers/{id}/unpause', async (ctx) => {
    await engine.containers.unpause(ctx.params['id']!);
    noContent(ctx);
  });
  api.post('/containers/{id}/update', async (ctx) => {
    const body = await ctx.json<HostConfig>();
    writeJSON(ctx.res, 200, await engine.containers.update(ctx.params['id']!, body ?? {}));
  });

  api.post('/containers/{id}/rename', (ctx) => {
    engine.containers.rename(ctx.params['id']!, ctx.query.get('name') ?? '');
    noContent(ctx);
  });
  api.post('/containers/{id}/wait', async (ctx) => {
    const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalidParameter(`invalid condition: "${cond}"`);
    const c = engine.containers.get(ctx.params['id']!);
    const res = ctx.res;
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    const ac = new AbortController();
    ctx.req.socket.on('close', () => ac.abort());
    try {
      const r = await engine.containers.wait(c.id, cond, ac.signal);
      res.end(JSON.stringify({ Error: r.Error, StatusCode: r.StatusCode }) + '\n');
    } catch (e) {
      res.end(JSON.stringify({ Error: { Message: messageOf(e) }, StatusCode: -1 }) + '\n');
    }
  });
  api.delete('/containers/{id}', async (ctx) => {
    if (boolValue(ctx.query, 'link')) throw invalidParameter('Conflict, cannot remove the default link name of the container');
    await engine.containers.remove(ctx.params['id']!, { force: boolValue(ctx.query, 'force'), volumes: boolValue(ctx.query, 'v') });
    noContent(ctx);
  });

  api.hijack('/containers/{id}/attach', async (ctx) => {
    const q = ctx.query;
    const c = engine.containers.get(ctx.params['id']!);
    if (!ctx.upgrade) throw invalidParameter(`error attaching to container ${ctx.params['id']}, hijack connection missing`);
    const keys = detachKeys(q.get('detachKeys'));
    const opts = { stdin: boolValue(q, 'stdin'), stdout: boolValue(q, 'stdout'), stderr: boolValue(q, 'stderr') };
    const session = engine.containers.attach(c.id, opts);
    const sock = ctx.upgrade.socket;
    const tty = !!c.rec.Config.Tty;
    upgraded(sock, compareVersion(ctx.version, '1.42') >= 0 && !tty ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream');
    const send = (stream: 'stdout' | 'stderr', data: Buffer) => {
      if (!sock.writable) return;
      sock.write(tty ? data : frame(stream === 'stdout' ? 1 : 2, data));
    };
    if (boolValue(q, 'logs')) {
      await engine.containers.logs(c.id, {}, (e) => {
        if ((e.stream === 'stdout' && opts.stdout) || (e.stream === 'stderr' && opts.stderr)) send(e.stream, e.line);
      });
    }
    if (!boolValue(q, 'stream')) {
      session.detach();
      sock.end();
      return;
    }
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      session.detach();
      sock.end();
    };
    session.output.on('data', (ch: { stream: 'stdout' | 'stderr'; data: Buffer }) => send(ch.stream, ch.data));
    session.output.on('end', end);
    if (opts.stdin) {
      const pump = stdinPump(keys, (b) => session.writeStdin(b), () => {
        session.detach();
        sock.end();
      });
      if (ctx.upgrade.head.length) pump(ctx.upgrade.head);
      sock.on('data', pump);
      sock.on('end', () => session.closeStdin());
    }
    sock.on('close', () => {
      if (!ended) session.detach();
      ended = true;
    });
    sock.resume();
  });

  // ---- exec -----------------------------------------------------------------------------------

  api.post('/containers/{id}/exec', async (ctx) => {
    const body = await ctx.json<ExecCreateRequest>();
    const id = engine.execs.create(ctx.params['id']!, body);
    writeJSON(ctx.res, 201, { Id: id });
  });

  api.hijack('/exec/{id}/start', async (ctx) => {
    const body = await ctx.json<{ Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null }>();
    const e = engine.execs.get(ctx.params['id']!);
    if (body.Detach || !ctx.upgrade) {
      engine.execs.start(e.ID, { detach: true });
      if (ctx.upgrade) {
        ctx.upgrade.socket.end(`HTTP/1.1 200 OK\r\nContent-Length: 0\r\nApi-Version: ${API_VERSION}\r\n\r\n`);
        return;
      }
      ctx.res.writeHead(200);
      ctx.res.end();
      return;
    }
    const inst = engine.execs.start(e.ID, { detach: false });
    if (body.ConsoleSize && e.config.Tty) void engine.execs.resize(e.ID, body.ConsoleSize[0], body.ConsoleSize[1]).catch(() => undefined);
    const sock = ctx.upgrade.socket;
    const tty = !!e.config.Tty;
    upgraded(sock, compareVersion(ctx.version, '1.42') >= 0 && !tty ? 'application/vnd.docker.multiplexed-stream' : 'application/vnd.docker.raw-stream');
    inst.output.on('data', (ch: { stream: 'stdout' | 'stderr'; data: Buffer }) => {
      if (sock.writable) sock.write(tty ? ch.data : frame(ch.stream === 'stdout' ? 1 : 2, ch.data));
    });
    inst.output.on('end', () => sock.end());
    if (e.config.AttachStdin) {
      const keys = detachKeys(e.config.DetachKeys);
      const pump = stdinPump(keys, (b) => engine.execs.write(e.ID, b), () => sock.end());
      if (ctx.upgrade.head.length) pump(ctx.upgrade.head);
      sock.on('data', pump);
      sock.on('end', () => engine.execs.closeStdin(e.ID));
    }
    sock.resume();
  });

  api.post('/exec/{id}/resize', async (ctx) => {
    await engine.execs.resize(ctx.params['id']!, Number(ctx.query.get('h')), Number(ctx.query.get('w')));
    ctx.res.writeHead(200);
    ctx.res.end();
  });

  api.get('/exec/{id}/json', (ctx) => writeJSON(ctx.res, 200, engine.execs.inspect(ctx.params['id']!)));

  // ---- volumes --------------------------------------------------------------------------------

  api.get('/volumes', (ctx) => {
    const f = Filters.parse(ctx.query.get('filters'));
    writeJSON(ctx.res, 200, { Volumes: engine.volumes.filter(f), Warnings: null });
  });
  api.post('/volumes/create', async (ctx) => {
    const b = await ctx.json<{ Name?: string; Driver?: string; DriverOpts?: Record<string, string> | null; Labels?: Record<string, string> | null }>();
    const name = b.Name || randomHex();
    writeJSON(ctx.res, 201, engine.volumes.create(name, b.Driver || 'local', b.Labels ?? null, b.DriverOpts ?? null));
  });
  api.post('/volumes/prune', (ctx) => {
    const f = Filters.parse(ctx.query.get('filters'));
    f.validate(['label', 'label!', 'all']);
    const all = f.get('all').some((x) => x === 'true' || x === '1');
    const deleted: string[] = [];
    for (const v of engine.volumes.list()) {
      if (engine.containers.volumeUsers(v.Name).length) continue;
      if (!all && !/^[a-f0-9]{64}$/.test(v.Name)) continue;
      if (!f.matchKVList('label', v.Labels ?? {})) continue;
      engine.volumes.remove(v.Name);
      deleted.push(v.Name);
    }
    writeJSON(ctx.res, 200, { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: 0 });
  });
  api.get('/volumes/{name}', (ctx) => writeJSON(ctx.res, 200, engine.volumes.get(ctx.params['name']!)));
  api.delete('/volumes/{name}', (ctx) => {
    engine.volumes.remove(ctx.params['name']!, boolValue(ctx.query, 'force'));
    noContent(ctx);
  });

  // ---- networks -------------------------------------------------------------------------------

  api.get('/networks', (ctx) => {
    const f = Filters.parse(ctx.query.get('filters'));
    writeJSON(ctx.res, 200, engine.network.filter(f).map((n) => networkJSON(n, engine.network, false)));
  });
  api.post('/networks/create', async (ctx) => {
    const b = await ctx.json<Parameters<Engine['network']['create']>[0]>();
    writeJSON(ctx.res, 201, engine.network.create(b));
  });
  api.post('/networks/prune', async (ctx) => {
    const deleted: string[] = [];
    for (const n of engine.network.list()) {
      if (['bridge', 'host', 'none'].includes(n.Name) || engine.network.endpointsOf(n).length) continue;
      await engine.network.remove(n.Id);
      deleted.push(n.Name);
    }
    writeJSON(ctx.res, 200, { NetworksDeleted: deleted.length ? deleted : null });
  });
  api.get('/networks/{id}', (ctx) => writeJSON(ctx.res, 200, networkJSON(engine.network.get(ctx.params['id']!), engine.network)));
  api.delete('/networks/{id}', async (ctx) => {
    await engine.network.remove(ctx.params['id']!);
    noContent(ctx);
  });
  api.post('/networks/{id}/connect', async (ctx) => {
    const b = await ctx.json<{ Container?: string; EndpointConfig?: EndpointSettings | null }>();
    await engine.containers.connect(b.Container ?? '', ctx.params['id']!, b.EndpointConfig ?? {});
    ctx.res.writeHead(200);
    ctx.res.end();
  });
  api.post('/networks/{id}/disconnect', async (ctx) => {
    const b = await ctx.json<{ Container?: string; Force?: boolean }>();
    await engine.containers.disconnect(b.Container ?? '', ctx.params['id']!, !!b.Force);
    ctx.res.writeHead(200);
    ctx.res.end();
  });
}

function compareVersion(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 2; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) < (pb[i] ?? 0) ? -1 : 1;
  return 0;
}

function globMatch(pattern: string, s: string): boolean {
  const re = new RegExp('^' + pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]') + '$');
  return re.test(s);
}

function randomHex(): string {
  return [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function emptyCpu(): Record<string, unknown> {
  return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
}

function netStats(pid: number): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  try {
    for (const line of readFileSync(`/proc/${pid}/net/dev`, 'utf8').split('\n').slice(2)) {
      const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
      if (!m || m[1] === 'lo') continue;
      const f = m[2]!.trim().split(/\s+/).map(Number);
      out[m[1]!] = { rx_bytes: f[0]!, rx_packets: f[1]!, rx_errors: f[2]!, rx_dropped: f[3]!, tx_bytes: f[8]!, tx_packets: f[9]!, tx_errors: f[10]!, tx_dropped: f[11]! };
    }
  } catch {
    // no network namespace to read
  }
  return out;
}

function statsJSON(c: import('../engine/containers.js').Container, s: ReturnType<Engine['containers']['stats']> | undefined): Record<string, unknown> & { read: string; cpu_stats: unknown } {
  if (!s) {
    return { read: '0001-01-01T00:00:00Z', preread: '0001-01-01T00:00:00Z', pids_stats: {}, blkio_stats: {}, num_procs: 0, storage_stats: {}, cpu_stats: emptyCpu(), precpu_stats: emptyCpu(), memory_stats: {}, name: c.rec.Name, id: c.id };
  }
  return {
    read: s.read,
    pids_stats: { current: s.pids, ...(s.pidsLimit ? { limit: s.pidsLimit } : {}) },
    blkio_stats: { io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null, io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null },
    num_procs: 0,
    storage_stats: {},
    cpu_stats: {
      cpu_usage: { total_usage: s.cpuTotal, percpu_usage: s.cpuPerCpu, usage_in_kernelmode: s.cpuSystem, usage_in_usermode: s.cpuUser },
      system_cpu_usage: s.systemCpu,
      online_cpus: s.onlineCpus,
      throttling_data: { periods: s.throttling.periods, throttled_periods: s.throttling.throttledPeriods, throttled_time: s.throttling.throttledTime },
    },
    memory_stats: { usage: s.memUsage, max_usage: s.memMaxUsage, stats: s.memStats, limit: s.memLimit },
    name: c.rec.Name,
    id: c.id,
    networks: netStats(c.rec.State.Pid),
  };
}
