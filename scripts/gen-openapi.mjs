#!/usr/bin/env node
// Writes src/model/openapi/definitions.json: upstream-named OpenAPI v2 definitions for every kind in
// src/model/registry.ts, their lists, the meta and subresource kinds, and everything they reference.
//
// Field sets, types, formats and required-ness come from @kubernetes/client-node (release-1.36);
// descriptions and exact reference types from kubernetes-types; patch/list metadata and Go-struct
// facts from the table in scripts/gen-openapi/facts.mjs. Each schema also carries the `default` that
// upstream's OpenAPI v3 shows (`{}` for struct values, zero values for non-omitempty scalars, and
// +default markers); the v2 document drops it, as upstream's does.
//
// Run after a build (it reads the registry from dist/): ./node_modules/.bin/tsc -p . && node scripts/gen-openapi.mjs
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readClientNode, readKubernetesTypes, packageOfModule } from './gen-openapi/sources.mjs';
import { createWalker, SPECIAL } from './gen-openapi/walk.mjs';
import { FIELD_DOCS, FIELD_FACTS, QUANTITY_FIELDS, TYPE_FACTS } from './gen-openapi/facts.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const verbose = process.argv.includes('--verbose');

let Registry;
try {
  ({ Registry } = await import(pathToFileURL(join(root, 'dist/src/model/registry.js')).href));
} catch {
  console.error('gen-openapi: dist/src/model/registry.js is missing; build first (./node_modules/.bin/tsc -p .)');
  process.exit(1);
}

const kt = readKubernetesTypes(join(root, 'node_modules/kubernetes-types'));
// The 1.36 models, installed under an alias: the test client itself is pinned to 1.4.0 for Node 20.
const cn = readClientNode(join(root, 'node_modules/kubernetes-models-1.36/dist/gen/models'));
const notes = [];
const walker = createWalker({ kt, cn, facts: { quantityFields: QUANTITY_FIELDS }, log: (s) => notes.push(s) });

// ---- roots and the GVKs upstream attaches to them
const gvks = new Map();
const addRoot = (name, group, version, kind) => {
  if (!gvks.has(name)) gvks.set(name, []);
  const list = gvks.get(name);
  if (!list.some((g) => g.group === group && g.version === version && g.kind === kind)) list.push({ group, kind, version });
};
const pkgOf = (group, version) => packageOfModule(`${group ? group.split('.')[0] : 'core'}/${version}`);
for (const t of new Registry().all()) {
  const pkg = pkgOf(t.group, t.version);
  addRoot(`${pkg}.${t.kind}`, t.group, t.version, t.kind);
  if (t.verbs.includes('list')) addRoot(`${pkg}.${t.listKind}`, t.group, t.version, t.listKind);
}
addRoot(`${META}.Status`, '', 'v1', 'Status');
addRoot(`${META}.APIResourceList`, '', 'v1', 'APIResourceList');
addRoot('io.k8s.api.autoscaling.v1.Scale', 'autoscaling', 'v1', 'Scale');
addRoot('io.k8s.api.policy.v1.Eviction', 'policy', 'v1', 'Eviction');
addRoot('io.k8s.api.core.v1.Binding', '', 'v1', 'Binding');
addRoot('io.k8s.api.authentication.v1.TokenRequest', 'authentication.k8s.io', 'v1', 'TokenRequest');
// DeleteOptions and WatchEvent carry one GVK per served group version; the module adds those from
// the registry at run time, so here they are roots without one.
const roots = [...gvks.keys(), `${META}.DeleteOptions`, `${META}.WatchEvent`, `${META}.Patch`];

const defs = walker.closure(roots);

// ---- apply facts
const zeroOf = (s) => (s.type === 'string' ? '' : s.type === 'integer' || s.type === 'number' ? 0 : s.type === 'boolean' ? false : undefined);
const isObjectRef = (s) => s && s.$ref && !(s.$ref in SPECIAL);
const problems = [];

for (const [name, def] of defs) {
  for (const [f, facts] of Object.entries(FIELD_FACTS[name] ?? {})) {
    if (!def.properties?.[f]) problems.push(`fact for missing field ${name}.${f}`);
  }
  const isKind = gvks.has(name);
  const props = def.properties ?? {};
  for (const [f, s] of Object.entries(props)) {
    const facts = FIELD_FACTS[name]?.[f] ?? {};
    const doc = FIELD_DOCS[`${name}.${f}`];
    if (doc && !s.description) s.description = doc;
    if (facts.patchStrategy) s['x-kubernetes-patch-strategy'] = facts.patchStrategy;
    if (facts.patchMergeKey) s['x-kubernetes-patch-merge-key'] = facts.patchMergeKey;
    if (facts.listType) {
      if (s.type !== 'array') problems.push(`listType on non-array ${name}.${f}`);
      s['x-kubernetes-list-type'] = facts.listType;
    }
    if (facts.listMapKeys) s['x-kubernetes-list-map-keys'] = facts.listMapKeys;
    if (facts.mapType) s['x-kubernetes-map-type'] = facts.mapType;
    if ((facts.patchStrategy || facts.listType) && s.type !== 'array' && !facts.patchStrategy?.includes('retainKeys') && facts.patchStrategy !== 'replace') {
      problems.push(`list fact on non-array ${name}.${f}`);
    }

    // OpenAPI v3 defaults, as openapi-gen derives them from the Go field.
    const required = def.required?.includes(f);
    if ('default' in facts) s.default = facts.default;
    else if (isObjectRef(s)) {
      const structValue =
        facts.value ||
        (f === 'metadata' && (s.$ref === `${META}.ObjectMeta` || s.$ref === `${META}.ListMeta`)) ||
        (isKind && (f === 'spec' || f === 'status'));
      if (structValue) s.default = {};
    } else if (s.type && s.type !== 'array' && s.type !== 'object' && s.format !== 'byte') {
      if ((required && !facts.noZero) || facts.zero) s.default = zeroOf(s);
    }
    for (const inner of [s.items, s.additionalProperties]) {
      if (!inner) continue;
      if (isObjectRef(inner)) inner.default = {};
      else if (inner.type && inner.type !== 'array' && inner.type !== 'object' && inner.format !== 'byte') inner.default = zeroOf(inner);
    }
  }
  if (def.properties && Object.keys(def.properties).length === 0) delete def.properties;
  const tf = TYPE_FACTS[name];
  if (tf?.mapType) def['x-kubernetes-map-type'] = tf.mapType;
  if (tf?.unions) def['x-kubernetes-unions'] = tf.unions;
  if (gvks.has(name)) def['x-kubernetes-group-version-kind'] = gvks.get(name);
}
for (const name of [...Object.keys(FIELD_FACTS), ...Object.keys(TYPE_FACTS)]) {
  if (!defs.has(name)) problems.push(`fact for definition outside the closure: ${name}`);
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}

// ---- write, with every object's keys sorted (as upstream's JSON is)
const sortKeys = (v) => {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
    return out;
  }
  return v;
};
const out = sortKeys(Object.fromEntries(defs));
const file = join(root, 'src/model/openapi/definitions.json');
writeFileSync(file, JSON.stringify(out, null, 1) + '\n');
if (verbose) console.log(notes.join('\n'));
let undocumented = 0;
for (const def of defs.values()) for (const p of Object.values(def.properties ?? {})) if (!p.description) undocumented++;
console.log(`gen-openapi: ${defs.size} definitions -> ${file.slice(root.length + 1)} (${undocumented} fields without description)`);
