// Enforces DESIGN.md's layer rule on our own source: a folder under src/ imports only from
// itself and from folders of a strictly lower layer (seed 004 §5.3: L(s) > L(t) ⟹ s may use t).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');

export const LAYERS: Record<string, number> = {
  model: 0,
  store: 1,
  engine: 1,
  apiserver: 2,
  client: 2,
  engineapi: 2, // the Docker Engine API over the engine, beside the Kubernetes API server
  controllers: 3,
  scheduler: 3,
  kubelet: 3,
  sim: 4,
  verify: 4,
  cli: 5,
  web: 5,
};

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

const importRe = /(?:^|[^\w.])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[^\w.])import\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|[^\w.])import\s+['"]([^'"]+)['"]/gm;

export function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs: string[] = [];
  for (const m of text.matchAll(importRe)) specs.push((m[1] ?? m[2] ?? m[3])!);
  return specs;
}

test('every folder under src/ has a layer', () => {
  for (const name of readdirSync(src)) {
    if (!statSync(join(src, name)).isDirectory()) continue;
    assert.ok(name in LAYERS, `src/${name} is not in the layer map of test/layers.test.ts (DESIGN.md, "Layers")`);
  }
});

test('no folder imports from its own layer or above', () => {
  const violations: string[] = [];
  for (const file of tsFiles(src)) {
    const from = relative(src, file).split(sep)[0]!;
    for (const spec of importsOf(file)) {
      if (!spec.startsWith('.')) continue;
      const target = relative(src, resolve(dirname(file), spec)).split(sep)[0]!;
      if (target === from) continue;
      const lf = LAYERS[from], lt = LAYERS[target];
      if (lt === undefined || lf === undefined || lt >= lf) {
        violations.push(`${relative(root, file)} imports ${spec} (${from}=${lf} -> ${target}=${lt})`);
      }
    }
  }
  assert.deepEqual(violations, []);
});

test('the import scanner sees every import form', () => {
  const sample = join(root, 'test', 'fixtures', 'layers-sample.ts.txt');
  assert.deepEqual(importsOf(sample).sort(), ['../a.js', '../b.js', '../c.js', '../d.js', '../e.js'].sort());
});
