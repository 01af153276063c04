// The served OpenAPI documents: swagger 2.0 at /openapi/v2, and OpenAPI 3.0 per group/version
// under /openapi/v3 with a root index of hashed URLs, in upstream's shapes. Documents are rendered
// once per registry state and kept as serialized JSON with their hash (the ETag and `?hash=`).
import { createHash } from 'node:crypto';
import type { Registry } from '../registry.js';
import { definitions, reachable, DELETE_OPTIONS, WATCH_EVENT, type GroupVersionKind, type Schema } from './definitions.js';
import { groupVersionPaths, gvPrefix, type Operation, type Param, type PathItem } from './operations.js';

export interface OpenAPIDocument {
  /** The document, serialized with sorted keys. */
  readonly json: string;
  /** Uppercase hex SHA-512 of `json`: upstream's `?hash=` and ETag. */
  readonly hash: string;
}

export interface OpenAPIOptions {
  /** info.version of the v2 document: the server's gitVersion. */
  version?: string;
}

/** The release whose API the schemas describe (the client-node models were generated from it). */
export const SCHEMA_VERSION = 'v1.36.0';

const INT_OR_STRING = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const BEARER = { description: 'Bearer Token authentication', in: 'header', name: 'authorization', type: 'apiKey' };
const OBJECT_MEDIA = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
const STREAM_MEDIA = [...OBJECT_MEDIA, 'application/json;stream=watch', 'application/vnd.kubernetes.protobuf;stream=watch'];
const PATCH_MEDIA = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml'];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function sortKeys(v: unknown): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: { [k: string]: Json } = {};
    for (const k of Object.keys(v).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v as Json;
}

class Serialized implements OpenAPIDocument {
  readonly hash: string;
  constructor(readonly json: string) {
    this.hash = createHash('sha512').update(json).digest('hex').toUpperCase();
  }

  /** JSON.stringify(document) yields the document itself (serve `.json` to skip the round trip). */
  toJSON(): unknown {
    return JSON.parse(this.json);
  }
}

function serialize(doc: unknown): OpenAPIDocument {
  return new Serialized(JSON.stringify(sortKeys(doc)));
}

/** DeleteOptions and WatchEvent are registered in every served group version, as upstream lists them. */
function sharedGVKs(registry: Registry, kind: string): GroupVersionKind[] {
  const gvs = new Map<string, GroupVersionKind>([['/v1', { group: '', kind, version: 'v1' }]]);
  for (const { group, version } of registry.groupVersions()) gvs.set(`${group}/${version}`, { group, kind, version });
  return [...gvs.values()].sort((a, b) => (a.group === b.group ? cmp(a.version, b.version) : cmp(a.group, b.group)));
}
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function withSharedGVKs(registry: Registry, name: string, schema: Schema): Schema {
  if (name === DELETE_OPTIONS || name === WATCH_EVENT) {
    return { ...schema, 'x-kubernetes-group-version-kind': sharedGVKs(registry, name.slice(name.lastIndexOf('.') + 1)) };
  }
  return schema;
}

function operationsSchemas(items: PathItem[]): Set<string> {
  const names: string[] = [];
  for (const item of items) {
    for (const op of item.operations) {
      if (op.body) names.push(op.body.schema);
      for (const r of op.responses) if (r.schema) names.push(r.schema);
    }
  }
  return reachable(names);
}

function allPaths(registry: Registry): PathItem[] {
  return registry.groupVersions().flatMap(({ group, version }) => groupVersionPaths(registry, group, version));
}

// ---------------------------------------------------------------------------------------------
// Swagger 2.0

function v2Schema(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'default') continue; // upstream's v2 document carries no defaults
    if (k === '$ref') out.$ref = `#/definitions/${v as string}`;
    else if (k === 'items' || k === 'additionalProperties') out[k] = v2Schema(v as Schema);
    else if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, ps]) => [p, v2Schema(ps)]));
    else out[k] = v;
  }
  return out;
}

function v2Param(p: Param): Record<string, unknown> {
  return { description: p.description, in: p.in, name: p.name, type: p.type, uniqueItems: true, ...(p.required ? { required: true } : {}) };
}

function v2Operation(op: Operation): Record<string, unknown> {
  const params: Record<string, unknown>[] = [];
  if (op.body) params.push({ in: 'body', name: 'body', required: op.body.required, schema: { $ref: `#/definitions/${op.body.schema}` } });
  params.push(...op.params.map(v2Param));
  const responses: Record<string, unknown> = {};
  for (const r of op.responses) responses[r.code] = { description: r.description, ...(r.schema ? { schema: { $ref: `#/definitions/${r.schema}` } } : {}) };
  return {
    consumes: op.method === 'patch' ? PATCH_MEDIA : ['*/*'],
    description: op.description,
    operationId: op.operationId,
    ...(params.length ? { parameters: params } : {}),
    produces: op.streaming ? STREAM_MEDIA : OBJECT_MEDIA,
    responses,
    schemes: ['https'],
    tags: [op.tag],
    'x-kubernetes-action': op.action,
    ...(op.gvk ? { 'x-kubernetes-group-version-kind': op.gvk } : {}),
  };
}

function renderV2(registry: Registry, version: string): OpenAPIDocument {
  const items = allPaths(registry);
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    if (item.params.length) entry.parameters = item.params.map(v2Param);
    for (const op of item.operations) entry[op.method] = v2Operation(op);
    paths[item.path] = entry;
  }
  const defs: Record<string, unknown> = {};
  for (const name of [...operationsSchemas(items)].sort()) defs[name] = v2Schema(withSharedGVKs(registry, name, definitions[name]!));
  return serialize({
    definitions: defs,
    info: { title: 'Kubernetes', version },
    paths,
    security: [{ BearerToken: [] }],
    securityDefinitions: { BearerToken: BEARER },
    swagger: '2.0',
  });
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0

function v3Schema(s: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === '$ref') continue;
    if (k === 'items' || k === 'additionalProperties') out[k] = v3Schema(v as Schema);
    else if (k === 'properties') out[k] = Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([p, ps]) => [p, v3Schema(ps)]));
    else out[k] = v;
  }
  if (s.$ref === undefined) return out;
  const ref = { $ref: `#/components/schemas/${s.$ref}` };
  // OpenAPI 3.0 ignores siblings of $ref, so upstream wraps the reference when it has any.
  return Object.keys(out).length ? { allOf: [ref], ...out } : ref;
}

/** The v3 form of a definition: upstream gives int-or-string and Quantity oneOf types in v3. */
function v3Definition(name: string, s: Schema): Record<string, unknown> {
  if (name === INT_OR_STRING) return { description: s.description, format: 'int-or-string', oneOf: [{ type: 'integer' }, { type: 'string' }] };
  if (name === QUANTITY) return { description: s.description, oneOf: [{ type: 'string' }, { type: 'number' }] };
  return v3Schema(s);
}

function v3Param(p: Param): Record<string, unknown> {
  return { description: p.description, in: p.in, name: p.name, ...(p.required ? { required: true } : {}), schema: { type: p.type, uniqueItems: true } };
}

function v3Operation(op: Operation): Record<string, unknown> {
  const ref = (name: string) => ({ schema: { $ref: `#/components/schemas/${name}` } });
  const responses: Record<string, unknown> = {};
  for (const r of op.responses) {
    const media = op.streaming ? STREAM_MEDIA : OBJECT_MEDIA;
    responses[r.code] = { description: r.description, ...(r.schema ? { content: Object.fromEntries(media.map((m) => [m, ref(r.schema!)])) } : {}) };
  }
  let requestBody: Record<string, unknown> | undefined;
  if (op.body) {
    const media = op.method === 'patch' ? PATCH_MEDIA : ['*/*'];
    requestBody = { content: Object.fromEntries(media.map((m) => [m, ref(op.body!.schema)])), ...(op.body.required ? { required: true } : {}) };
  }
  return {
    description: op.description,
    operationId: op.operationId,
    ...(op.params.length ? { parameters: op.params.map(v3Param) } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
    tags: [op.tag],
    'x-kubernetes-action': op.action,
    ...(op.gvk ? { 'x-kubernetes-group-version-kind': op.gvk } : {}),
  };
}

function renderV3(registry: Registry, group: string, version: string): OpenAPIDocument {
  const items = groupVersionPaths(registry, group, version);
  const paths: Record<string, unknown> = {};
  for (const item of items) {
    const entry: Record<string, unknown> = {};
    if (item.params.length) entry.parameters = item.params.map(v3Param);
    for (const op of item.operations) entry[op.method] = v3Operation(op);
    paths[item.path] = entry;
  }
  const schemas: Record<string, unknown> = {};
  for (const name of [...operationsSchemas(items)].sort()) schemas[name] = v3Definition(name, withSharedGVKs(registry, name, definitions[name]!));
  return serialize({
    components: { schemas, securitySchemes: { BearerToken: BEARER } },
    info: { title: 'Kubernetes', version: 'unversioned' },
    openapi: '3.0.0',
    paths,
    security: [{ BearerToken: [] }],
  });
}

/** `api/v1`, `apis/apps/v1`: the keys of the v3 root and the path under /openapi/v3/. */
export function v3PathKey(group: string, version: string): string {
  return gvPrefix(group, version).slice(1);
}

// ---------------------------------------------------------------------------------------------
// Caching per registry state (custom resources may be added to a registry later).

interface Rendered {
  fingerprint: string;
  v2: Map<string, OpenAPIDocument>;
  v3: Map<string, OpenAPIDocument>;
  root?: OpenAPIDocument;
}
const cache = new WeakMap<Registry, Rendered>();

function rendered(registry: Registry): Rendered {
  const fingerprint = registry
    .all()
    .map((t) => `${t.group}/${t.version}/${t.plural}/${t.kind}/${t.namespaced}/${t.verbs.join(',')}/${t.subresources.map((s) => `${s.name}:${s.verbs.join(',')}`).join(';')}`)
    .join('|');
  let r = cache.get(registry);
  if (!r || r.fingerprint !== fingerprint) {
    r = { fingerprint, v2: new Map(), v3: new Map() };
    cache.set(registry, r);
  }
  return r;
}

/** The swagger 2.0 document served at /openapi/v2. */
export function openAPIV2(registry: Registry, options: OpenAPIOptions = {}): OpenAPIDocument {
  const version = options.version ?? SCHEMA_VERSION;
  const r = rendered(registry);
  let doc = r.v2.get(version);
  if (!doc) r.v2.set(version, (doc = renderV2(registry, version)));
  return doc;
}

/** The OpenAPI 3.0 document of one served group/version (/openapi/v3/apis/<group>/<version>), if served. */
export function openAPIV3(registry: Registry, group: string, version: string): OpenAPIDocument | undefined {
  if (!registry.groupVersions().some((gv) => gv.group === group && gv.version === version)) return undefined;
  const r = rendered(registry);
  const key = `${group}/${version}`;
  let doc = r.v3.get(key);
  if (!doc) r.v3.set(key, (doc = renderV3(registry, group, version)));
  return doc;
}

/** The /openapi/v3 index: each group/version's path with the hash-pinned URL of its document. */
export function openAPIV3Root(registry: Registry): OpenAPIDocument {
  const r = rendered(registry);
  if (!r.root) {
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const { group, version } of registry.groupVersions()) {
      const key = v3PathKey(group, version);
      paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${openAPIV3(registry, group, version)!.hash}` };
    }
    r.root = serialize({ paths });
  }
  return r.root;
}
