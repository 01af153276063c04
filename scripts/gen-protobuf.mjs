#!/usr/bin/env node
// Writes src/model/protobuf/messages.json: the field-number tables the Kubernetes protobuf decoder
// needs, for the messages reachable from the kinds in src/model/registry.ts, their lists, the
// subresource kinds, autoscaling/v1 and v2 HorizontalPodAutoscaler, scheduling.k8s.io/v1
// PriorityClass and the meta/v1 kinds.
//
// Sources: a directory of upstream k8s.io sources (generated.proto files and the types.go beside
// them), given on the command line, plus the facts in scripts/gen-protobuf/newer.mjs for what that
// copy is too old to have. Protobuf field numbers are never reused or renumbered upstream, so an
// old copy's numbers stay right. The result is cross-checked against
// src/model/openapi/definitions.json and every disagreement is printed.
//
// Run after a build (it reads the registry from dist/):
//   ./node_modules/.bin/tsc -p . && node scripts/gen-protobuf.mjs /tmp/aptsrc/cli/cli/vendor/k8s.io
// With --check it writes nothing and fails if messages.json differs from what it would write.
// where the directory is Debian's docker.io source package (`apt-get source docker.io`), which
// vendors Kubernetes 1.17's k8s.io/api and k8s.io/apimachinery.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isScalar, parseGoStructs, parseProto } from './gen-protobuf/parse.mjs';
import { ADDITIONS, ALIASES, REMOVED } from './gen-protobuf/newer.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const checkOnly = process.argv.includes('--check');
const srcDir = process.argv.slice(2).find((a) => !a.startsWith('--'));
if (!srcDir || !statSync(srcDir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error('usage: node scripts/gen-protobuf.mjs [--check] <dir with k8s.io/api and k8s.io/apimachinery sources>');
  process.exit(2);
}
let Registry;
try {
  ({ Registry } = await import(pathToFileURL(join(root, 'dist/src/model/registry.js')).href));
} catch {
  console.error('gen-protobuf: dist/src/model/registry.js is missing; build first (./node_modules/.bin/tsc -p .)');
  process.exit(1);
}

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
const EXT = 'k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.v1';

/**
 * Messages whose JSON form is not an object of their fields; the decoder converts each by its
 * form. The JSONSchemaPropsOr* wrappers are decoded as messages first, so they keep their tables.
 */
const SPECIAL = {
  'k8s.io.apimachinery.pkg.api.resource.Quantity': 'quantity',
  [`${META}.Time`]: 'time',
  [`${META}.MicroTime`]: 'microTime',
  [`${META}.Duration`]: 'duration',
  [`${META}.FieldsV1`]: 'rawJSON',
  [`${META}.Verbs`]: 'items',
  'k8s.io.api.authentication.v1.ExtraValue': 'items',
  'k8s.io.api.authorization.v1.ExtraValue': 'items',
  'k8s.io.api.certificates.v1.ExtraValue': 'items',
  'k8s.io.apimachinery.pkg.util.intstr.IntOrString': 'intOrString',
  'k8s.io.apimachinery.pkg.runtime.RawExtension': 'rawJSON',
  [`${EXT}.JSON`]: 'rawJSON',
  [`${EXT}.JSONSchemaPropsOrArray`]: 'schemaOrArray',
  [`${EXT}.JSONSchemaPropsOrBool`]: 'schemaOrBool',
  [`${EXT}.JSONSchemaPropsOrStringArray`]: 'schemaOrStringArray',
};
/** Specials whose own fields are not followed (their JSON form is a scalar or raw JSON). */
const OPAQUE = new Set(Object.entries(SPECIAL).filter(([, f]) => !f.startsWith('schemaOr')).map(([n]) => n));

// ---- read the sources
function walk(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name === 'generated.proto') out.push(p);
  }
  return out;
}

/** package -> Map<message short name, { fields }> */
const packages = new Map();
/** package -> Map<struct name, Map<number, go facts>> */
const goFacts = new Map();

for (const file of walk(srcDir).sort()) {
  const parsed = parseProto(readFileSync(file, 'utf8'), file);
  packages.set(parsed.package, parsed.messages);
  const structs = new Map();
  const dir = dirname(file);
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.go') || f.endsWith('_test.go') || f.startsWith('zz_') || f.endsWith('.pb.go')) continue;
    for (const [k, v] of parseGoStructs(readFileSync(join(dir, f), 'utf8'))) structs.set(k, v);
  }
  goFacts.set(parsed.package, structs);
}

// ---- the newer facts: whole messages, fields added to old messages, and removed fields
const expandAliases = (text) => text.replace(/\b([a-z][a-z0-9]*)\.(?=[A-Z])/g, (m, a) => (ALIASES[a] ? `${ALIASES[a]}.` : m));
for (const [pkg, text] of Object.entries(ADDITIONS)) {
  const parsed = parseProto(`package ${pkg};\n${expandAliases(text)}`, `newer.mjs ${pkg}`);
  if (!packages.has(pkg)) packages.set(pkg, new Map());
  const msgs = packages.get(pkg);
  for (const [name, add] of parsed.messages) {
    const old = msgs.get(name);
    if (!old) {
      msgs.set(name, { fields: add.fields.map((f) => ({ ...f, newer: true })) });
      continue;
    }
    for (const f of add.fields) {
      const i = old.fields.findIndex((o) => o.number === f.number);
      if (i >= 0) old.fields[i] = { ...f, newer: true };
      else old.fields.push({ ...f, newer: true });
    }
  }
}
for (const [full, numbers] of Object.entries(REMOVED)) {
  const i = full.lastIndexOf('.');
  const msg = packages.get(full.slice(0, i))?.get(full.slice(i + 1));
  if (!msg) throw new Error(`newer.mjs REMOVED names unknown message ${full}`);
  for (const n of numbers) {
    if (!msg.fields.some((f) => f.number === n)) throw new Error(`newer.mjs REMOVED: ${full} has no field ${n}`);
    msg.fields = msg.fields.filter((f) => f.number !== n);
  }
}

const all = new Map();
for (const [pkg, msgs] of packages) for (const [name, m] of msgs) all.set(`${pkg}.${name}`, { pkg, name, ...m });

/** Protobuf name resolution: innermost scope outwards. */
function resolve(type, pkg, where) {
  if (isScalar(type)) return type;
  // A leading dot (as newer upstream files write) means fully qualified.
  if (type.startsWith('.')) {
    if (all.has(type.slice(1))) return type.slice(1);
    throw new Error(`${where}: unknown type ${type}`);
  }
  const parts = pkg.split('.');
  for (let n = parts.length; n >= 0; n--) {
    const cand = [...parts.slice(0, n), type].join('.');
    if (all.has(cand)) return cand;
  }
  throw new Error(`${where}: unknown type ${type}`);
}

const capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);

/** The table entry for one field, with the Go facts from types.go or the additions' options. */
function fieldEntry(msg, f) {
  const where = `${msg.pkg}.${msg.name}.${f.name}`;
  const entry = { name: f.name };
  let go;
  if (f.newer) {
    go = {
      goName: f.opts.go ?? capitalize(f.name),
      jsonName: f.opts.json ?? f.name,
      omitempty: !!f.opts.oe,
      inline: !!f.opts.inline,
      pointer: !f.opts.oe,
    };
  } else {
    go = goFacts.get(msg.pkg)?.get(msg.name)?.get(f.number);
    if (!go) throw new Error(`${where}: no Go struct field with protobuf number ${f.number}`);
  }
  entry.name = go.inline ? f.name : go.jsonName || f.name;
  if (f.map) {
    entry.type = 'map';
    entry.map = { key: resolve(f.map.key, msg.pkg, where), value: resolve(f.map.value, msg.pkg, where) };
  } else {
    entry.type = resolve(f.type, msg.pkg, where);
  }
  if (f.repeated) entry.repeated = true;
  entry.go = go.goName;
  if (go.inline) entry.inline = true;
  // A non-pointer scalar with omitempty: gogo always writes it, encoding/json drops its zero value.
  if (!f.repeated && !f.map && isScalar(entry.type) && go.omitempty && !go.pointer) entry.omitEmpty = true;
  return entry;
}

// ---- the roots
const registry = new Registry();
const groupPackage = (group, version) => {
  if (group === 'apiextensions.k8s.io') return `k8s.io.apiextensions_apiserver.pkg.apis.apiextensions.${version}`;
  return `k8s.io.api.${group ? group.split('.')[0] : 'core'}.${version}`;
};
const kinds = {};
const missingRoots = [];
const addKind = (group, version, kind, message) => {
  const gv = group ? `${group}/${version}` : version;
  if (!all.has(message)) {
    missingRoots.push(`${gv} ${kind}: no message ${message}`);
    return;
  }
  (kinds[gv] ??= {})[kind] = message;
};
for (const t of registry.all()) {
  const pkg = groupPackage(t.group, t.version);
  addKind(t.group, t.version, t.kind, `${pkg}.${t.kind}`);
  if (t.verbs.includes('list')) addKind(t.group, t.version, t.listKind, `${pkg}.${t.listKind}`);
  for (const s of t.subresources) {
    const spkg = groupPackage(s.group, s.version);
    addKind(s.group, s.version, s.kind, `${spkg}.${s.kind}`);
  }
}
for (const [group, version, kind] of [
  ['autoscaling', 'v1', 'HorizontalPodAutoscaler'],
  ['autoscaling', 'v2', 'HorizontalPodAutoscaler'],
  ['scheduling.k8s.io', 'v1', 'PriorityClass'],
]) {
  addKind(group, version, kind, `${groupPackage(group, version)}.${kind}`);
  addKind(group, version, `${kind}List`, `${groupPackage(group, version)}.${kind}List`);
}
// Every served group version also knows DeleteOptions and WatchEvent (metav1.AddToGroupVersion).
const gvs = new Set(Object.keys(kinds));
gvs.add('meta.k8s.io/v1');
for (const gv of gvs) {
  const [group, version] = gv.includes('/') ? gv.split('/') : ['', gv];
  addKind(group, version, 'DeleteOptions', `${META}.DeleteOptions`);
  addKind(group, version, 'WatchEvent', `${META}.WatchEvent`);
}
// Unversioned kinds, served as v1.
for (const k of ['Status', 'APIVersions', 'APIGroupList', 'APIGroup', 'APIResourceList']) addKind('', 'v1', k, `${META}.${k}`);
for (const k of ['PartialObjectMetadata', 'PartialObjectMetadataList']) addKind('meta.k8s.io', 'v1', k, `${META}.${k}`);

if (missingRoots.length) {
  for (const m of missingRoots) console.error(`gen-protobuf: root ${m}`);
  process.exit(1);
}

// ---- closure
const messages = {};
const queue = [...new Set(Object.values(kinds).flatMap((k) => Object.values(k)))];
const seen = new Set(queue);
while (queue.length) {
  const full = queue.shift();
  if (OPAQUE.has(full)) continue;
  const msg = all.get(full);
  const table = {};
  for (const f of [...msg.fields].sort((a, b) => a.number - b.number)) {
    const e = fieldEntry(msg, f);
    table[f.number] = e;
    for (const t of e.map ? [e.map.key, e.map.value] : [e.type]) {
      if (!isScalar(t) && !seen.has(t)) {
        seen.add(t);
        queue.push(t);
      }
    }
  }
  messages[full] = table;
}

// The decoder handles exactly these scalar types; a new one needs code there first.
const SUPPORTED = new Set(['string', 'bytes', 'bool', 'int32', 'int64', 'double']);
for (const [name, table] of Object.entries(messages)) {
  for (const e of Object.values(table)) {
    for (const t of e.map ? [e.map.key, e.map.value] : [e.type]) {
      if (isScalar(t) && !SUPPORTED.has(t)) throw new Error(`${name}.${e.name}: scalar type ${t} is not supported by src/model/protobuf`);
    }
    if (e.map && e.map.key !== 'string') throw new Error(`${name}.${e.name}: map keys must be strings`);
  }
}

const sortObj = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const special = sortObj(Object.fromEntries(Object.entries(SPECIAL).filter(([n]) => all.has(n))));
const out = {
  kinds: sortObj(Object.fromEntries(Object.entries(kinds).map(([gv, k]) => [gv, sortObj(k)]))),
  special,
  messages: sortObj(messages),
};
const target = join(root, 'src/model/protobuf/messages.json');
const text = `${JSON.stringify(out, null, 1)}\n`;
if (checkOnly) {
  // --check: the committed table must be what the sources give.
  const current = statSync(target, { throwIfNoEntry: false }) ? readFileSync(target, 'utf8') : '';
  if (current !== text) {
    console.error(`gen-protobuf: ${target} is out of date; run node scripts/gen-protobuf.mjs ${srcDir}`);
    process.exit(1);
  }
  console.log(`gen-protobuf: ${target} is up to date`);
  process.exit(0);
}
writeFileSync(target, text);

// ---- cross-check against the OpenAPI definitions
const defs = JSON.parse(readFileSync(join(root, 'src/model/openapi/definitions.json'), 'utf8'));
const defName = (full) => {
  if (full.startsWith('k8s.io.apiextensions_apiserver.')) return `io.k8s.apiextensions-apiserver.${full.slice('k8s.io.apiextensions_apiserver.'.length)}`;
  return `io.k8s.${full.slice('k8s.io.'.length)}`;
};
const problems = [];
const openapiType = (t) => {
  if (t === 'string') return ['string'];
  if (t === 'bytes') return ['string'];
  if (t === 'bool') return ['boolean'];
  if (/int/.test(t)) return ['integer'];
  if (t === 'double' || t === 'float') return ['number'];
  return undefined;
};
/** omitempty fields whose zero OpenAPI default comes from a +default marker, not from the Go tag. */
const DEFAULT_MARKERS = new Set(['k8s.io.api.core.v1.LocalObjectReference name']);
const refOf = (p) => p.$ref ?? p.allOf?.[0]?.$ref;
function checkValue(where, protoType, prop) {
  const want = openapiType(protoType);
  if (want) {
    if (prop.type && !want.includes(prop.type)) problems.push(`${where}: proto ${protoType}, OpenAPI type ${prop.type}`);
    return;
  }
  if (SPECIAL[protoType] === 'items') {
    if (prop.type !== 'array') problems.push(`${where}: proto ${protoType}, OpenAPI type ${prop.type}`);
    return;
  }
  const ref = refOf(prop);
  const expected = defName(protoType);
  if (ref !== expected) problems.push(`${where}: proto ${protoType}, OpenAPI ${ref ? `$ref ${ref}` : `type ${prop.type}`}`);
}
/** The JSON properties a message contributes to its object, following inline fields. */
function jsonFields(full) {
  const out = [];
  for (const [n, e] of Object.entries(messages[full])) {
    if (e.inline) out.push(...jsonFields(e.type).map((x) => ({ ...x, via: `${e.name}.` })));
    else out.push({ n, e });
  }
  return out;
}
let checked = 0;
for (const full of Object.keys(messages)) {
  if (SPECIAL[full]) continue;
  const def = defs[defName(full)];
  if (!def) continue;
  checked++;
  const props = def.properties ?? {};
  const names = new Set();
  for (const { e, via = '' } of jsonFields(full)) {
    const where = `${full} ${via}${e.name}`;
    names.add(e.name);
    const prop = props[e.name];
    if (!prop) {
      problems.push(`${where}: no such OpenAPI property`);
      continue;
    }
    if (e.repeated) {
      if (prop.type !== 'array') problems.push(`${where}: repeated, OpenAPI type ${prop.type ?? refOf(prop)}`);
      else checkValue(where, e.type, prop.items);
    } else if (e.map) {
      if (prop.type !== 'object' || !prop.additionalProperties) problems.push(`${where}: map, OpenAPI type ${prop.type}`);
      else checkValue(where, e.map.value, prop.additionalProperties);
    } else {
      checkValue(where, e.type, prop);
      // OpenAPI v3 shows a zero default exactly for non-omitempty scalars.
      if (e.omitEmpty && !DEFAULT_MARKERS.has(`${full} ${e.name}`) && 'default' in prop && (prop.default === '' || prop.default === 0 || prop.default === false)) {
        problems.push(`${where}: omitempty by the Go facts, but OpenAPI has the zero default of a non-omitempty field`);
      }
    }
  }
  for (const p of Object.keys(props)) {
    if (p === 'apiVersion' || p === 'kind') continue;
    if (!names.has(p)) problems.push(`${full} ${p}: OpenAPI property without a proto field`);
  }
}
const unchecked = Object.keys(messages).filter((m) => !SPECIAL[m] && !defs[defName(m)]);
console.log(`gen-protobuf: wrote ${target}: ${Object.keys(messages).length} messages, ${Object.values(kinds).reduce((n, k) => n + Object.keys(k).length, 0)} kinds`);
console.log(`cross-check: ${checked} messages against OpenAPI definitions; ${unchecked.length} have no definition (${unchecked.map((m) => m.split('.').slice(-2).join('.')).join(', ')})`);
for (const p of problems) console.log(`  mismatch: ${p}`);
console.log(`cross-check: ${problems.length} mismatches`);
