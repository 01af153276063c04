// One API request in, one response out, with no sockets: path dispatch, media negotiation, and
// rendering (object, Table, PartialObjectMetadata, YAML). The HTTP server adapts it to the wire.
import { stringify as toYaml } from 'yaml';
import type { KubeList, KubeObject, Instant } from '../model/object.js';
import type { ResourceType } from '../model/registry.js';
import { errors, StatusError } from '../model/status.js';
import { openAPIV2, openAPIV3, openAPIV3Root } from '../model/openapi/index.js';
import { parsePath, type ResourceRequest } from './paths.js';
import { decodeBody, negotiate, parseMediaRanges, type Into, type Rendering } from './media.js';
import { deleteOptions, listOptions, writeOptions } from './options.js';
import type { Body, Rest } from './rest.js';
import * as mm from './metamodel.js';
import * as discovery from './discovery.js';
import { alwaysAllow, review, REVIEW_KINDS } from './reviews.js';
import { startWatch, type WatchEvent, type WatchTiming, defaultWatchTiming } from './watch.js';
import { evict } from './eviction.js';
import { createToken } from './tokenrequest.js';
import { jwks, openIDConfiguration } from './satoken.js';
import { ApiMetrics, requestKind } from './metrics.js';

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  accept?: string;
  contentType?: string;
  body?: Buffer;
  user?: UserInfo;
  userAgent?: string;
}

export interface StreamSink {
  write(chunk: string): void;
  end(): void;
}

export type ApiResponse =
  | { status: number; contentType: string; body: string; warnings?: string[]; headers?: Record<string, string> }
  | { status: number; contentType: string; stream: (sink: StreamSink) => Promise<() => void> };

export interface HandlerOptions {
  /** host:port clients reach this server at, for /api's serverAddressByClientCIDRs. */
  serverAddress: string;
  watchTiming?: WatchTiming;
}

const JSON_TYPE = 'application/json';

export class ApiHandler {
  private readonly timing: WatchTiming;
  constructor(private readonly rest: Rest, private readonly opts: HandlerOptions) {
    this.timing = opts.watchTiming ?? defaultWatchTiming;
  }

  /** What /metrics reports (metrics.ts). */
  readonly metrics = new ApiMetrics();

  async handle(req: ApiRequest): Promise<ApiResponse> {
    const t0 = performance.now();
    const kind = requestKind(req.method);
    this.metrics.inflight[kind]++;
    let answer: ApiResponse;
    try {
      answer = await this.dispatch(req);
    } catch (e) {
      const se = e instanceof StatusError ? e : errors.internal(e);
      if (!(e instanceof StatusError)) process.emitWarning(`berth apiserver: ${(e as Error)?.stack ?? String(e)}`);
      answer = json(se.code, se.toStatus());
    } finally {
      this.metrics.inflight[kind]--;
    }
    // a watch or stream is counted as it starts; its latency is not a request's
    this.metrics.observe(req, answer.status, 'stream' in answer ? undefined : (performance.now() - t0) / 1000);
    return answer;
  }

  /** GET /metrics: the exposition, with the objects stored of each resource counted now. */
  private async metricsText(): Promise<ApiResponse> {
    const objects: [string, number][] = [];
    const seen = new Set<string>();
    for (const t of this.rest.registry.all()) {
      if (t.storedAs || !t.verbs.includes('list')) continue;
      const name = t.group ? `${t.plural}.${t.group}` : t.plural;
      if (seen.has(name)) continue;
      seen.add(name);
      objects.push([name, await this.rest.count(t)]);
    }
    return { status: 200, contentType: 'text/plain; version=0.0.4; charset=utf-8', body: this.metrics.render(objects) };
  }

  private async dispatch(req: ApiRequest): Promise<ApiResponse> {
    const path = req.path;
    if (/^\/(healthz|livez|readyz)(\/.*)?$/.test(path)) return health(path, req.query.has('verbose'));
    if (path === '/version' || path === '/version/') return json(200, discovery.SERVER_VERSION);
    if (path === '/metrics') return req.method === 'GET' || req.method === 'HEAD' ? this.metricsText() : notFoundText();
    // the service-account issuer's discovery documents (ServiceAccountIssuerDiscovery)
    if (path === '/.well-known/openid-configuration' || path === '/openid/v1/jwks') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return notFoundText();
      const signer = this.rest.deps.signer;
      if (path === '/openid/v1/jwks') return { status: 200, contentType: 'application/jwk-set+json', body: JSON.stringify(jwks(signer.keys)), headers: { 'Cache-Control': 'public, max-age=3600' } };
      return { status: 200, contentType: JSON_TYPE, body: JSON.stringify(openIDConfiguration(signer.issuer, `https://${this.opts.serverAddress}/openid/v1/jwks`, signer.keys)), headers: { 'Cache-Control': 'public, max-age=3600' } };
    }
    if (path === '/openapi/v2') return this.openapiV2(req);
    if (path === '/openapi/v3' || path === '/openapi/v3/') return document(openAPIV3Root(this.rest.registry), false);
    if (path.startsWith('/openapi/v3/')) {
      const gv = path.slice('/openapi/v3/'.length);
      const m = /^api\/(v1)$|^apis\/([^/]+)\/([^/]+)$/.exec(gv);
      const doc = m && (m[1] ? openAPIV3(this.rest.registry, '', m[1]) : openAPIV3(this.rest.registry, m[2]!, m[3]!));
      if (!doc) return notFoundText();
      // A request naming the current hash may be cached forever, as upstream allows.
      return document(doc, req.query.get('hash') === doc.hash);
    }

    const info = parsePath(req.method, path, req.query.get('watch') === 'true' || req.query.get('watch') === '1');
    const registry = this.rest.registry;
    switch (info.type) {
      case 'discovery': {
        const agg = aggregatedWanted(req.accept);
        if (agg) {
          return {
            status: 200,
            contentType: `application/json;g=apidiscovery.k8s.io;v=${agg};as=APIGroupDiscoveryList`,
            body: JSON.stringify(discovery.aggregatedDiscovery(registry, info.path, agg)),
          };
        }
        return json(200, info.path === 'api' ? discovery.apiVersions(this.opts.serverAddress) : discovery.apiGroupList(registry));
      }
      case 'discovery-group': {
        const g = discovery.apiGroupDoc(registry, info.group);
        return g ? json(200, g) : notFoundText();
      }
      case 'discovery-version': {
        const l = discovery.apiResourceList(registry, info.group, info.version);
        return l ? json(200, l) : notFoundText();
      }
      case 'resource':
        return this.resource(req, info);
      default:
        return notFoundText();
    }
  }

  private openapiV2(req: ApiRequest): ApiResponse {
    const wantsJson = parseMediaRanges(req.accept).some((r) => r.type === JSON_TYPE || r.type === '*/*' || r.type === 'application/*');
    if (!wantsJson) throw errors.notAcceptable('only application/json is served for /openapi/v2');
    return document(openAPIV2(this.rest.registry, { version: discovery.SERVER_VERSION.gitVersion }), false);
  }

  private async resource(req: ApiRequest, r: ResourceRequest): Promise<ApiResponse> {
    const rest = this.rest;
    const t = rest.resource(r.group, r.version, r.resource);
    if (t.namespaced && r.namespace === undefined && r.name !== undefined && !(t.kind === 'Binding')) {
      // A namespaced object addressed without a namespace: upstream has no such route.
      throw errors.pathNotFound();
    }
    if (!t.namespaced && r.namespace !== undefined) throw errors.pathNotFound();
    const ns = r.namespace;
    const q = req.query;
    const read = r.verb === 'get' || r.verb === 'list' || r.verb === 'watch';
    const rendering = negotiate(req.accept, read && !r.subresource);
    const body = (): Body => {
      if (!req.body || req.body.length === 0) throw errors.badRequest('the body of the request was empty');
      return decodeBody(req.contentType, req.body, intoKind(t, r.subresource));
    };
    const writes = () => {
      const o = writeOptions(q);
      if (req.userAgent) o.userAgent = req.userAgent;
      return o;
    };
    const out = (status: number, obj: unknown, warnings: string[] = []): ApiResponse =>
      render(status, obj, rendering, t, q, warnings, this.rest.deps.clock.now());

    if (REVIEW_KINDS.has(`${t.group}/${t.kind}`)) {
      if (r.verb !== 'create') throw errors.methodNotSupported({ group: t.group, name: t.plural }, r.verb);
      const anonymous = { username: 'system:anonymous', groups: ['system:unauthenticated'] };
      return out(201, review(t, ns, body().value, req.user ?? anonymous, alwaysAllow));
    }

    // Binding: POST .../pods/<name>/binding or .../bindings.
    if ((r.subresource === 'binding' && t.kind === 'Pod') || (t.kind === 'Binding' && r.verb === 'create')) {
      if (r.verb !== 'create') throw errors.methodNotSupported({ group: '', name: 'bindings' }, r.verb);
      const b = body();
      const podName = r.name ?? ((b.value as { metadata?: { name?: string } })?.metadata?.name ?? '');
      return out(201, await rest.bind(ns ?? 'default', podName, b, writeOptions(q)));
    }
    if (t.kind === 'Binding') throw errors.methodNotSupported({ group: '', name: 'bindings' }, r.verb);

    if (r.subresource === 'eviction' && t.group === '' && t.kind === 'Pod') {
      if (r.verb !== 'create') throw errors.methodNotSupported({ group: '', name: 'pods/eviction' }, r.verb);
      return out(201, await evict(rest, ns!, r.name!, body().value, q));
    }

    if (r.subresource === 'token' && t.group === '' && t.kind === 'ServiceAccount') {
      if (r.verb !== 'create') throw errors.methodNotSupported({ group: t.group, name: `${t.plural}/token` }, r.verb);
      return out(201, await createToken(rest, ns!, r.name!, body().value));
    }

    if (r.subresource) {
      const name = r.name!;
      switch (r.verb) {
        case 'get':
          return out(200, await rest.getSubresource(t, ns, name, r.subresource));
        case 'update': {
          const w = await rest.writeSubresource(t, ns, name, r.subresource, body(), writes());
          return out(200, w.object, w.warnings);
        }
        case 'patch': {
          const w = await rest.writeSubresource(t, ns, name, r.subresource, body(), writes(), patchType(req.contentType));
          return out(200, w.object, w.warnings);
        }
        default:
          throw errors.methodNotSupported({ group: t.group, name: `${t.plural}/${r.subresource}` }, r.verb);
      }
    }

    const verbAllowed = t.verbs.includes(r.verb);
    if (!verbAllowed) throw errors.methodNotSupported({ group: t.group, name: t.plural }, r.verb);
    switch (r.verb) {
      case 'get':
        return out(200, await rest.get(t, ns, r.name!));
      case 'list':
        return out(200, await rest.list(t, ns, listOptions(q)));
      case 'watch':
        return this.watch(t, ns, req, rendering);
      case 'create': {
        if (r.name !== undefined) throw errors.methodNotSupported({ group: t.group, name: t.plural }, 'create');
        const w = await rest.create(t, ns, body(), { ...writes(), ...(req.user ? { user: req.user } : {}) });
        return out(201, w.object, w.warnings);
      }
      case 'update': {
        const w = await rest.update(t, ns, r.name!, body(), writes());
        return out(w.created ? 201 : 200, w.object, w.warnings);
      }
      case 'patch': {
        const w = await rest.patch(t, ns, r.name!, patchType(req.contentType), body(), writes());
        return out(w.created ? 201 : 200, w.object, w.warnings);
      }
      case 'delete': {
        const opts = deleteOptions(q, req.body?.length ? decodeBody(req.contentType, req.body, DELETE_OPTIONS).value : undefined);
        const d = await rest.delete(t, ns, r.name!, opts);
        const accepted = d.pending && opts.orphanDependents === false;
        return out(accepted ? 202 : 200, d.object);
      }
      case 'deletecollection': {
        const opts = deleteOptions(q, req.body?.length ? decodeBody(req.contentType, req.body, DELETE_OPTIONS).value : undefined);
        return out(200, await rest.deleteCollection(t, ns, listOptions(q), opts));
      }
    }
  }

  private async watch(t: ResourceType, ns: string | undefined, req: ApiRequest, rendering: Rendering): Promise<ApiResponse> {
    const opts = listOptions(req.query);
    const now = () => this.rest.deps.clock.now();
    const includeObject = req.query.get('includeObject') ?? 'Metadata';
    const encode = (ev: WatchEvent): string => {
      let object: unknown = ev.object;
      if (ev.type !== 'ERROR' && ev.type !== 'BOOKMARK') {
        if (rendering.as === 'Table') object = tableOf(t, [ev.object as KubeObject], undefined, rendering.version, includeObject, now());
        else if (rendering.as === 'PartialObjectMetadata') object = partial(ev.object as KubeObject, rendering.version);
      }
      return `${JSON.stringify({ type: ev.type, object })}\n`;
    };
    // Validate the request (selectors, versions) before answering 200.
    mm.selectorFilter(t, opts.labelSelector, opts.fieldSelector);
    return {
      status: 200,
      contentType: JSON_TYPE,
      stream: async (sink) => {
        const h = await startWatch(this.rest, t, ns, opts, { send: (ev) => sink.write(encode(ev)), end: () => sink.end() }, this.timing);
        return () => h.stop();
      },
    };
  }
}

// ---- rendering -------------------------------------------------------------------------------

function json(status: number, obj: unknown, warnings?: string[]): ApiResponse {
  const r: ApiResponse = { status, contentType: JSON_TYPE, body: JSON.stringify(obj) };
  if (warnings?.length) r.warnings = warnings;
  return r;
}

function document(doc: { json: string; hash: string }, immutable: boolean): ApiResponse {
  const headers: Record<string, string> = { ETag: `"${doc.hash}"` };
  if (immutable) headers['Cache-Control'] = 'public, immutable';
  return { status: 200, contentType: JSON_TYPE, body: doc.json, headers };
}

function notFoundText(): ApiResponse {
  return { status: 404, contentType: 'text/plain; charset=utf-8', body: '404 page not found\n' };
}

function health(path: string, verbose: boolean): ApiResponse {
  if (!verbose) return { status: 200, contentType: 'text/plain; charset=utf-8', body: 'ok' };
  const what = path.slice(1).split('/')[0];
  return { status: 200, contentType: 'text/plain; charset=utf-8', body: `[+]ping ok\n[+]etcd ok\n${what} check passed\n` };
}

function aggregatedWanted(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  for (const r of parseMediaRanges(accept)) {
    if (r.params['g'] === 'apidiscovery.k8s.io' && r.params['as'] === 'APIGroupDiscoveryList') {
      if (r.params['v'] === 'v2' || r.params['v'] === 'v2beta1') return r.params['v'];
    }
    if (r.type === JSON_TYPE && !r.params['as']) return undefined;
  }
  return undefined;
}

const DELETE_OPTIONS: Into = { group: 'meta.k8s.io', version: 'v1', kind: 'DeleteOptions' };

/** The kind a request body decodes into: the resource's own, or its subresource's. */
function intoKind(t: ResourceType, subresource: string | undefined): Into {
  const s = subresource ? t.subresources.find((x) => x.name === subresource) : undefined;
  return s ? { group: s.group, version: s.version, kind: s.kind } : { group: t.group, version: t.version, kind: t.kind };
}

function patchType(contentType: string | undefined): string {
  const t = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const known = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];
  if (!known.includes(t)) {
    throw new StatusError(415, 'UnsupportedMediaType', `the server does not support the patch type ${JSON.stringify(t)}: supported types are ${known.join(', ')}`);
  }
  return t;
}

function isList(o: unknown): o is KubeList {
  return typeof o === 'object' && o !== null && Array.isArray((o as KubeList).items) && typeof (o as KubeList).kind === 'string' && (o as KubeList).kind.endsWith('List');
}

function render(status: number, obj: unknown, rendering: Rendering, t: ResourceType, q: URLSearchParams, warnings: string[], now: Instant): ApiResponse {
  const isStatus = (obj as { kind?: string })?.kind === 'Status';
  if (!isStatus && rendering.as === 'Table') {
    const includeObject = q.get('includeObject') ?? 'Metadata';
    const list = isList(obj);
    const items = list ? obj.items : [obj as KubeObject];
    return json(status, tableOf(t, items, list ? obj.metadata : undefined, rendering.version, includeObject, now), warnings);
  }
  if (!isStatus && rendering.as === 'PartialObjectMetadata') {
    if (isList(obj)) {
      return json(status, {
        kind: 'PartialObjectMetadataList',
        apiVersion: `meta.k8s.io/${rendering.version}`,
        metadata: obj.metadata,
        items: obj.items.map((o) => partial(o, rendering.version)),
      }, warnings);
    }
    return json(status, partial(obj as KubeObject, rendering.version), warnings);
  }
  if (rendering.as === 'object' && rendering.format === 'yaml') {
    return { status, contentType: 'application/yaml', body: toYaml(obj), ...(warnings.length ? { warnings } : {}) };
  }
  return json(status, obj, warnings);
}

function partial(o: KubeObject, version: string) {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

function tableOf(
  t: ResourceType, items: KubeObject[], listMeta: KubeList['metadata'] | undefined,
  version: string, includeObject: string, now: Instant,
) {
  // Every column goes out, wide ones too (priority 1): kubectl hides those unless -o wide.
  const table = mm.table(t, items, true, now) as { rows: { object?: unknown }[]; metadata?: unknown; apiVersion?: string };
  table.apiVersion = `meta.k8s.io/${version}`;
  table.rows.forEach((row, i) => {
    const o = items[i]!;
    if (includeObject === 'None') delete row.object;
    else if (includeObject === 'Object') row.object = o;
    else row.object = { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
  });
  table.metadata = listMeta ? { ...listMeta } : { resourceVersion: items[0]?.metadata.resourceVersion ?? '' };
  return table;
}
