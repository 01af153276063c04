import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { definitions, definitionNameFor, pruneUnknownFields, resolve, unknownFields, type Schema } from '../../../src/model/openapi/index.js';

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { app: 'web', 'anything/goes': 'x' }, annotations: { 'x.io/y': '{"a":1}' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1' } } }] },
    },
  },
});

test('a valid object has no unknown fields', () => {
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', deployment()), []);
});

test('unknown fields are named as upstream\'s strict decoder names them', () => {
  const d = deployment() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  d.spec.replicaz = 3;
  d.spec.template.spec.containers[0].imagee = 'x';
  d.spec.template.spec.containers.push({ name: 'b', image: 'b', ports: [{ containerPort: 1, porotocol: 'TCP' }] });
  d.extra = true;
  // In document order: spec.replicaz was added after spec.template.
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', d), [
    'spec.template.spec.containers[0].imagee',
    'spec.template.spec.containers[1].ports[0].porotocol',
    'spec.replicaz',
    'extra',
  ]);
});

test('free-form maps and values are not descended into', () => {
  assert.deepEqual(unknownFields('', 'v1', 'ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', labels: { a: 'b' } }, data: { 'x.y': 'z', anything: '1' }, binaryData: { f: 'AA==' } }), []);
  assert.deepEqual(unknownFields('apps', 'v1', 'ControllerRevision', { revision: 1, data: { whatever: { deep: [1, { x: 2 }] } } }), []);
  assert.deepEqual(unknownFields('', 'v1', 'Secret', { stringData: { k: 'v' }, data: { k: 'dg==' }, tpye: 'Opaque' }), ['tpye']);
  // map[string]Struct values are typed: their unknown fields are named through the key.
  const crd = {
    spec: {
      group: 'example.com', names: { kind: 'W', plural: 'ws' }, scope: 'Namespaced',
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: {
        type: 'object', 'x-kubernetes-preserve-unknown-fields': true,
        properties: { spec: { type: 'object', typo: 1, default: { free: 'form' }, items: { anything: true } } },
      } } }],
    },
  };
  assert.deepEqual(unknownFields('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', crd), ['spec.versions[0].schema.openAPIV3Schema.properties.spec.typo']);
});

test('kinds without a schema report nothing; non-objects are left to type checking', () => {
  assert.deepEqual(unknownFields('example.com', 'v1', 'Widget', { anything: 1 }), []);
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', 'not an object'), []);
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', { spec: [] }), []);
});

test('reporting stops at 100 fields, as upstream\'s decoder does', () => {
  const o: Record<string, number> = {};
  for (let i = 0; i < 150; i++) o[`f${i}`] = i;
  assert.equal(unknownFields('', 'v1', 'Pod', o).length, 100);
});

// Property: objects built from a kind's own schema have no unknown fields; adding one key at any
// object position is reported at exactly that path.
function arbitraryFor(schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const s = resolve(schema)!;
  if (s.properties && depth > 0) {
    const keys = Object.keys(s.properties);
    return fc.subarray(keys, { maxLength: Math.min(4, keys.length) }).chain((ks) =>
      ks.length ? fc.record(Object.fromEntries(ks.map((k) => [k, arbitraryFor(s.properties![k]!, depth - 1)]))) : fc.constant({}),
    );
  }
  if (s.type === 'array' && s.items && depth > 0) return fc.array(arbitraryFor(s.items, depth - 1), { maxLength: 2 });
  if (s.additionalProperties && depth > 0) return fc.dictionary(fc.string({ minLength: 1, maxLength: 5 }), arbitraryFor(s.additionalProperties, depth - 1), { maxKeys: 2 });
  if (s.type === 'integer') return fc.integer();
  if (s.type === 'boolean') return fc.boolean();
  return fc.string({ maxLength: 4 });
}

function objectPositions(v: unknown, schema: Schema, path: string, out: Array<{ path: string; obj: Record<string, unknown> }>) {
  const s = resolve(schema);
  if (!s) return;
  if (Array.isArray(v) && s.items) v.forEach((x, i) => objectPositions(x, s.items!, `${path}[${i}]`, out));
  else if (v && typeof v === 'object' && !Array.isArray(v) && s.properties) {
    out.push({ path, obj: v as Record<string, unknown> });
    for (const [k, x] of Object.entries(v)) objectPositions(x, s.properties[k]!, path ? `${path}.${k}` : k, out);
  }
}

test('property: schema-built objects are clean, and an injected key is found where it was put', () => {
  for (const [group, version, kind] of [['apps', 'v1', 'Deployment'], ['', 'v1', 'Pod'], ['', 'v1', 'Service'], ['batch', 'v1', 'CronJob']] as const) {
    const root: Schema = { $ref: definitionNameFor(group, version, kind)! };
    assert.ok(definitions[root.$ref!]);
    fc.assert(
      fc.property(arbitraryFor(root, 6), fc.nat(), (obj, pick) => {
        assert.deepEqual(unknownFields(group, version, kind, obj), []);
        const positions: Array<{ path: string; obj: Record<string, unknown> }> = [];
        objectPositions(obj, root, '', positions);
        const at = positions[pick % positions.length]!;
        at.obj['zz-unknown'] = 1;
        assert.deepEqual(unknownFields(group, version, kind, obj), [at.path ? `${at.path}.zz-unknown` : 'zz-unknown']);
      }),
      { numRuns: 60 },
    );
  }
});

test("fields named like Object.prototype's members are unknown, and pruned (upstream's decoder knows only declared fields)", () => {
  const d = deployment() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  d.spec.toString = { a: 1 };
  d.spec.template.spec.containers[0].constructor = 'x';
  d.spec.template.spec.containers[0].hasOwnProperty = 1;
  d.metadata.valueOf = 2;
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', d), [
    'metadata.valueOf',
    'spec.template.spec.containers[0].constructor',
    'spec.template.spec.containers[0].hasOwnProperty',
    'spec.toString',
  ]);
  pruneUnknownFields('apps', 'v1', 'Deployment', d);
  assert.deepEqual(d, deployment());
  // labels are a free-form map: the same names are ordinary keys there
  const labelled = deployment() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  labelled.metadata.labels.constructor = 'c';
  pruneUnknownFields('apps', 'v1', 'Deployment', labelled);
  assert.equal(labelled.metadata.labels.constructor, 'c');
});

// Pruning, as it was written first (delete in place throughout): the reference the pruner, which
// now gives objects below the top back as new ones where fields go, must agree with.
function pruneByDeleting(value: unknown, schema: Schema): void {
  const s = resolve(schema);
  if (!s) return;
  if (Array.isArray(value)) {
    if (s.items) for (const v of value) pruneByDeleting(v, s.items);
    return;
  }
  if (!value || typeof value !== 'object' || Object.isFrozen(value)) return;
  const o = value as Record<string, unknown>;
  const empty = (v: unknown, p: Schema) => {
    if (Array.isArray(v)) return v.length === 0;
    if (!v || typeof v !== 'object' || Object.keys(v).length) return false;
    const r = resolve(p);
    return !!r && !r.properties && !!r.additionalProperties;
  };
  if (s.properties) {
    for (const k of Object.keys(o)) {
      const p = s.properties[k];
      if (!p || o[k] === null) {
        delete o[k];
        continue;
      }
      pruneByDeleting(o[k], p);
      if (empty(o[k], p) && !s.required?.includes(k)) delete o[k];
    }
  } else if (s.additionalProperties) {
    for (const k of Object.keys(o)) {
      if (o[k] === null) delete o[k];
      else pruneByDeleting(o[k], s.additionalProperties);
    }
  }
}

test('property: pruning drops what deleting field by field would, keeps the order of the rest, and changes the top object itself', () => {
  for (const [group, version, kind] of [['', 'v1', 'Pod'], ['apps', 'v1', 'Deployment'], ['', 'v1', 'Node']] as const) {
    const root: Schema = { $ref: definitionNameFor(group, version, kind)! };
    // Schema-built objects with nulls, unknown keys, empty lists and maps put in at random places.
    const junk = fc.constantFrom<unknown>(null, [], {}, 'x');
    fc.assert(
      fc.property(arbitraryFor(root, 6), fc.array(fc.tuple(fc.nat(), fc.constantFrom('zz', 'status', 'labels', 'items', 'conditions'), junk), { maxLength: 6 }), (obj, puts) => {
        const positions: Array<{ path: string; obj: Record<string, unknown> }> = [];
        objectPositions(obj, root, '', positions);
        for (const [at, key, v] of puts) positions[at % positions.length]!.obj[key] = structuredClone(v);
        const expected = structuredClone(obj) as Record<string, unknown>;
        pruneByDeleting(expected, root);
        const top = obj as Record<string, unknown>;
        pruneUnknownFields(group, version, kind, top);
        assert.equal(JSON.stringify(top), JSON.stringify(expected));
      }),
      { numRuns: 300 },
    );
  }
  // A map's "__proto__" key (JSON.parse makes it an own key) stays an own key when its map is rebuilt.
  const pod = JSON.parse('{"metadata":{"name":"p","annotations":{"__proto__":"x","gone":null}},"spec":{"containers":[]}}');
  pruneUnknownFields('', 'v1', 'Pod', pod);
  assert.equal(Object.getPrototypeOf(pod.metadata.annotations), Object.prototype);
  assert.deepEqual(Object.keys(pod.metadata.annotations), ['__proto__']);
  assert.equal(JSON.stringify(pod.metadata.annotations), '{"__proto__":"x"}');
});

test('an unfrozen item of a frozen list is pruned where it is', () => {
  const condition = { type: 'Ready', status: 'True', lastProbeTime: null, zz: 1 };
  const pod = { metadata: { name: 'p' }, status: { conditions: Object.freeze([condition]) } };
  pruneUnknownFields('', 'v1', 'Pod', pod);
  assert.equal(pod.status.conditions[0], condition);
  assert.deepEqual(condition, { type: 'Ready', status: 'True' });
});
