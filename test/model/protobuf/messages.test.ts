import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Registry, apiVersionOf, isStoredResource } from '../../../src/model/registry.js';
import { messageForKind } from '../../../src/model/protobuf/index.js';
import { messageTable, SCALARS, specialForm } from '../../../src/model/protobuf/schema.js';
import raw from '../../../src/model/protobuf/messages.json' with { type: 'json' };

const run = promisify(execFile);
// dist/test/model/protobuf/ -> the repository root.
const root = fileURLToPath(new URL('../../../../', import.meta.url));

test('every served kind, its list and its subresources have a protobuf message', () => {
  for (const t of new Registry().all()) {
    const v = apiVersionOf(t);
    assert.ok(messageForKind(v, t.kind), `${v} ${t.kind}`);
    if (isStoredResource(t) && t.verbs.includes('list')) assert.ok(messageForKind(v, t.listKind), `${v} ${t.listKind}`);
    for (const s of t.subresources) assert.ok(messageForKind(apiVersionOf(s), s.kind), `${t.plural}/${s.name}: ${apiVersionOf(s)} ${s.kind}`);
    assert.equal(messageForKind(v, 'DeleteOptions'), 'k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  }
  assert.equal(messageForKind('autoscaling/v2', 'HorizontalPodAutoscaler'), 'k8s.io.api.autoscaling.v2.HorizontalPodAutoscaler');
  assert.equal(messageForKind('scheduling.k8s.io/v1', 'PriorityClass'), 'k8s.io.api.scheduling.v1.PriorityClass');
  assert.equal(messageForKind('v1', 'Widget'), undefined);
});

test('every field type a table names is a scalar, a special form or a table', () => {
  const tables = (raw as { messages: Record<string, unknown> }).messages;
  for (const name of Object.keys(tables)) {
    for (const [n, f] of Object.entries(messageTable(name)!)) {
      for (const type of f.map ? [f.map.key, f.map.value] : [f.type]) {
        assert.ok(SCALARS.has(type) || specialForm(type) || messageTable(type), `${name} field ${n} (${f.name}): ${type}`);
      }
      if (f.inline) assert.ok(messageTable(f.type) && !f.repeated, `${name}.${f.name} inline`);
      if (f.omitEmpty) assert.ok(SCALARS.has(f.type) && !f.repeated, `${name}.${f.name} omitEmpty`);
    }
  }
});

test('messages.json is what scripts/gen-protobuf.mjs makes from the upstream sources', async (t) => {
  const src = '/tmp/aptsrc/cli/cli/vendor/k8s.io';
  if (!existsSync(src)) {
    t.skip(`${src} is absent (cd /tmp/aptsrc && apt-get source docker.io)`);
    return;
  }
  const { stdout } = await run(process.execPath, ['scripts/gen-protobuf.mjs', '--check', src], { cwd: root });
  assert.match(stdout, /is up to date/);
});
