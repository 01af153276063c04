// The generated upstream-named schemas of the built-in kinds (scripts/gen-openapi.mjs writes
// definitions.json) and lookups over them. Refs in the JSON are bare definition names; the v2 and
// v3 documents rewrite them into their own `$ref` forms.
import raw from './definitions.json' with { type: 'json' };

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/** One OpenAPI schema as stored: v2 shape, `$ref` by bare name, v3 `default`s kept. */
export interface Schema {
  type?: string;
  format?: string;
  description?: string;
  $ref?: string;
  items?: Schema;
  additionalProperties?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  default?: unknown;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  [extension: `x-${string}`]: unknown;
}

export const definitions: Readonly<Record<string, Schema>> = raw as unknown as Record<string, Schema>;

// Field names come from request bodies: `properties[name]` must find only declared fields, never
// Object.prototype's members (a body's `toString` or `constructor` field is unknown, and pruned).
const ownPropertiesOnly = (s: Schema | undefined): void => {
  if (!s) return;
  if (s.properties) {
    s.properties = Object.assign(Object.create(null) as Record<string, Schema>, s.properties);
    for (const k in s.properties) ownPropertiesOnly(s.properties[k]);
  }
  ownPropertiesOnly(s.items);
  ownPropertiesOnly(s.additionalProperties);
};
for (const name in definitions) ownPropertiesOnly(definitions[name]);

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const DELETE_OPTIONS = `${META}.DeleteOptions`;
export const WATCH_EVENT = `${META}.WatchEvent`;
export const STATUS = `${META}.Status`;
export const PATCH = `${META}.Patch`;
export const API_RESOURCE_LIST = `${META}.APIResourceList`;

const gvkKey = (g: string, v: string, k: string) => `${g}/${v}/${k}`;
const byGVK = new Map<string, string>();
for (const [name, schema] of Object.entries(definitions)) {
  for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) byGVK.set(gvkKey(gvk.group, gvk.version, gvk.kind), name);
}

/** The definition name upstream gives a group/version/kind (`io.k8s.api.apps.v1.Deployment`). */
export function definitionNameFor(group: string, version: string, kind: string): string | undefined {
  return byGVK.get(gvkKey(group, version, kind));
}

export function definitionFor(group: string, version: string, kind: string): Schema | undefined {
  const name = definitionNameFor(group, version, kind);
  return name === undefined ? undefined : definitions[name];
}

/** Follows a `$ref` (bare name) to its definition; schemas without one are returned as they are. */
export function resolve(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let hops = 0; s?.$ref !== undefined && hops < 8; hops++) s = definitions[s.$ref];
  return s;
}

/** Every definition a schema reaches through `$ref`s, itself included when named. */
export function reachable(names: Iterable<string>): Set<string> {
  const out = new Set<string>();
  const stack = [...names];
  const visit = (s: Schema | undefined) => {
    if (!s) return;
    if (s.$ref !== undefined) stack.push(s.$ref);
    visit(s.items);
    visit(s.additionalProperties);
    for (const p of Object.values(s.properties ?? {})) visit(p);
  };
  while (stack.length) {
    const name = stack.pop()!;
    if (out.has(name) || !(name in definitions)) continue;
    out.add(name);
    visit(definitions[name]);
  }
  return out;
}
