// Readers for the two installed packages that carry upstream's API types:
//  - kubernetes-types (*.d.ts): every field with its doc comment (paragraph breaks kept) and its
//    TypeScript type, whose imports name the exact upstream package of each referenced type.
//  - @kubernetes/client-node (dist/gen/models): generated from release-1.36's OpenAPI; each class
//    has attributeTypeMap {name, baseName, type, format}; the .d.ts adds required-ness and the
//    descriptions of non-$ref fields (newlines folded to spaces).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Reads the `/** ... *\/` comment body as text, keeping blank-line paragraph breaks. */
function docText(lines) {
  const out = [];
  for (let l of lines) {
    l = l.replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '').replace(/^\s*\*\s?/, '');
    out.push(l);
  }
  while (out.length && out[0].trim() === '') out.shift();
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  return out.join('\n');
}

/** Splits a .d.ts body into declarations with their preceding doc comment. */
function scanDecls(text) {
  const lines = text.split('\n');
  const decls = [];
  let doc = null;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (/^\s*\/\*\*/.test(line)) {
      const body = [line];
      while (!/\*\//.test(lines[i])) body.push(lines[++i]);
      if (body.length > 1 && body[0].trim() === '/**') body[0] = '';
      doc = docText(body.length === 1 ? [line] : body);
      continue;
    }
    decls.push({ line, doc, index: i });
    if (line.trim() !== '') doc = null;
  }
  return { lines, decls };
}

// ---------------------------------------------------------------------------------------------
// kubernetes-types

/** Upstream's OpenAPI package prefix for a kubernetes-types module path like 'apps/v1'. */
export function packageOfModule(mod) {
  if (mod === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (mod === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (mod === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (mod === 'util/intstr') return 'io.k8s.apimachinery.pkg.util.intstr';
  if (mod === 'version') return 'io.k8s.apimachinery.pkg.version';
  if (mod.startsWith('apiextensions/')) return `io.k8s.apiextensions-apiserver.pkg.apis.${mod.replace('/', '.')}`;
  if (mod.startsWith('apiregistration/')) return `io.k8s.kube-aggregator.pkg.apis.${mod.replace('/', '.')}`;
  return `io.k8s.api.${mod.replace('/', '.')}`;
}

/** Parses a field type text of kubernetes-types into a small type tree. */
export function parseKtType(t) {
  t = t.trim();
  let m;
  if ((m = /^Array<(.*)>$/s.exec(t))) return { array: parseKtType(m[1]) };
  if ((m = /^\{\s*\[name: string\]:\s*(.*?);?\s*\}$/s.exec(t))) return { map: parseKtType(m[1]) };
  if (t === 'number | string') return { named: 'IntOrString' };
  if (t === 'string' || /^"[^"]*"$/.test(t)) return { scalar: 'string' };
  if (t === 'number') return { scalar: 'number' };
  if (t === 'boolean') return { scalar: 'boolean' };
  if (/^[A-Za-z0-9_]+$/.test(t)) return { named: t };
  throw new Error(`unparsed kubernetes-types type: ${t}`);
}

/**
 * Returns Map<upstreamName, {module, name, doc, fields: Map<json, {optional, type, doc}>, alias?}>
 * and an index kind -> [upstreamName].
 */
export function readKubernetesTypes(root) {
  const defs = new Map();
  const files = [];
  const walk = (d) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (n.endsWith('.d.ts') && n !== 'index.d.ts') files.push(p);
    }
  };
  walk(root);
  files.sort();
  for (const file of files) {
    const mod = relative(root, file).replace(/\.d\.ts$/, '');
    const pkg = packageOfModule(mod);
    const text = readFileSync(file, 'utf8');
    const imports = new Map();
    for (const m of text.matchAll(/^import \{([^}]*)\} from "([^"]+)";/gm)) {
      const target = join(mod, '..', m[2]).replace(/\\/g, '/');
      for (const n of m[1].split(',').map((s) => s.trim()).filter(Boolean)) imports.set(n, packageOfModule(target));
    }
    const resolveNamed = (name) => (imports.has(name) ? `${imports.get(name)}.${name}` : `${pkg}.${name}`);
    const { lines, decls } = scanDecls(text);
    for (let k = 0; k < decls.length; k++) {
      const { line, doc, index } = decls[k];
      let m;
      if ((m = /^export type (\w+) = (.*);$/.exec(line))) {
        defs.set(`${pkg}.${m[1]}`, { module: mod, name: m[1], doc: doc ?? '', alias: m[2], fields: new Map() });
        continue;
      }
      if (!(m = /^export interface (\w+) \{$/.exec(line))) continue;
      const def = { module: mod, name: m[1], doc: doc ?? '', fields: new Map() };
      defs.set(`${pkg}.${m[1]}`, def);
      // Fields until the closing brace at column 0.
      let fieldDoc = null;
      for (let i = index + 1; i < lines.length && lines[i] !== '}'; i++) {
        const l = lines[i];
        if (/^\s*\/\*\*/.test(l)) {
          const body = [l];
          while (!/\*\//.test(lines[i])) body.push(lines[++i]);
          if (body.length > 1 && body[0].trim() === '/**') body[0] = '';
          fieldDoc = docText(body.length === 1 ? [l] : body);
          continue;
        }
        const fm = /^    (?:readonly )?("?[$\w-]+"?)(\??): (.*)$/.exec(l);
        if (!fm) continue;
        let typeText = fm[3];
        while (!typeText.endsWith(';') || (typeText.split('{').length !== typeText.split('}').length)) typeText += '\n' + lines[++i];
        typeText = typeText.replace(/;$/, '');
        const type = parseKtType(typeText);
        const qualify = (t) =>
          t.array ? { array: qualify(t.array) } : t.map ? { map: qualify(t.map) } : t.named ? { named: t.named, ref: t.named === 'IntOrString' ? 'io.k8s.apimachinery.pkg.util.intstr.IntOrString' : resolveNamed(t.named) } : t;
        def.fields.set(fm[1].replace(/"/g, ''), { optional: fm[2] === '?', type: qualify(type), doc: fieldDoc ?? '' });
        fieldDoc = null;
      }
    }
  }
  return defs;
}

// ---------------------------------------------------------------------------------------------
// @kubernetes/client-node

/** Returns Map<className, {doc, fields: [{json, type, format, optional, doc}]}>. */
export function readClientNode(dir) {
  const classes = new Map();
  const unescape = (s) => s.replace(/\\(["'\\])/g, '$1');
  for (const f of readdirSync(dir).sort()) {
    if (!f.endsWith('.js') || f === 'all.js' || f === 'ObjectSerializer.js') continue;
    const name = f.replace(/\.js$/, '');
    const js = readFileSync(join(dir, f), 'utf8');
    const m = /\.attributeTypeMap = (\[[\s\S]*?\]);/.exec(js);
    if (!m) continue;
    const attrs = JSON.parse(m[1]);
    const dts = readFileSync(join(dir, `${name}.d.ts`), 'utf8');
    const { decls } = scanDecls(dts);
    let classDoc = '';
    const propDocs = new Map();
    const optional = new Map();
    for (const { line, doc } of decls) {
      if (line.startsWith('export declare class ')) classDoc = doc ?? '';
      const pm = /^    '([^']+)'(\??): /.exec(line);
      if (pm) {
        optional.set(pm[1], pm[2] === '?');
        if (doc) propDocs.set(pm[1], unescape(doc));
      }
    }
    classes.set(name, {
      doc: unescape(classDoc),
      fields: attrs.map((a) => ({
        json: a.baseName,
        type: a.type,
        format: a.format,
        optional: optional.get(a.name) ?? true,
        doc: propDocs.get(a.name) ?? '',
      })),
    });
  }
  return classes;
}
