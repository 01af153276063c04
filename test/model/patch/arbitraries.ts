// Test-only: fast-check generators for patch properties, and helpers to walk JSON documents.
import fc from 'fast-check';
import type { Json, JsonObject } from '../../../src/model/patch/index.js';

/** Generated values made plain JSON (ordinary prototypes, no -0), as a decoded body would be. */
const plain = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> => arb.map((v) => JSON.parse(JSON.stringify(v)) as T);

/** Keys that exercise pointer escaping and prototype-sensitive names. */
const key = fc.constantFrom('a', 'b', 'c', 'x/y', '~', '__proto__', 'constructor');

/** Any JSON object, nulls included. */
export const jsonObject: fc.Arbitrary<JsonObject> = plain(fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 })) as fc.Arbitrary<JsonObject>;

const scalar = fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean());
const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    scalar,
    fc.array(tie('tree'), { maxLength: 3 }),
    fc.dictionary(key, tie('tree'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));

/** A JSON object with no null anywhere (where "null deletes" would make a diff ambiguous). */
export const nullFreeObject: fc.Arbitrary<JsonObject> = plain(fc.dictionary(key, tree, { maxKeys: 4, noNullPrototype: true })) as fc.Arbitrary<JsonObject>;

// Deployment-shaped objects fitting schema-builder's deploymentDesc: merge lists with unique
// merge keys, set-like finalizers, a retainKeys strategy, one-of volume sources, atomic lists,
// maps, and a `status` the schema does not describe.
const pick = <T>(...xs: T[]) => fc.constantFrom(...xs);
const optional = { requiredKeys: [] as [] };
const dict = fc.dictionary(pick('app', 'tier', 'env'), pick('a', 'b'), { maxKeys: 3 });

const envVar = fc.oneof(
  fc.record({ name: pick('A', 'B', 'C'), value: pick('1', '2') }, { requiredKeys: ['name'] }),
  fc.record({ name: pick('A', 'B', 'C'), valueFrom: fc.record({ fieldRef: fc.record({ fieldPath: pick('metadata.name', 'status.podIP') }) }) }),
);
const container = fc.record(
  {
    name: pick('app', 'side', 'init', 'db'),
    image: pick('nginx:1', 'nginx:2'),
    args: fc.array(pick('-v', '-q'), { maxLength: 3 }),
    env: fc.uniqueArray(envVar, { selector: (e) => e.name, maxLength: 3 }),
    ports: fc.uniqueArray(fc.record({ containerPort: pick(80, 443, 8080), protocol: pick('TCP', 'UDP') }, { requiredKeys: ['containerPort'] }), {
      selector: (p) => p.containerPort,
      maxLength: 3,
    }),
    volumeMounts: fc.uniqueArray(fc.record({ name: pick('v1', 'v2'), mountPath: pick('/a', '/b', '/c'), readOnly: fc.boolean() }, { requiredKeys: ['mountPath'] }), {
      selector: (m) => m.mountPath,
      maxLength: 3,
    }),
    resources: fc.record({ limits: fc.dictionary(pick('cpu', 'memory'), pick('1', '2Gi'), { maxKeys: 2 }) }, optional),
  },
  { requiredKeys: ['name'] },
);
const containers = fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 3 });
const volumeName = pick('v1', 'v2', 'v3');
const volume = fc.oneof(
  fc.record({ name: volumeName, emptyDir: fc.record({ medium: pick('', 'Memory') }, optional) }),
  fc.record({ name: volumeName, hostPath: fc.record({ path: pick('/x', '/y'), type: pick('Directory') }, { requiredKeys: ['path'] }) }),
  fc.record({ name: volumeName, configMap: fc.record({ name: pick('cm1', 'cm2'), optional: fc.boolean() }, optional) }),
);
const podSpec = fc.record(
  {
    containers,
    initContainers: containers,
    volumes: fc.uniqueArray(volume, { selector: (v) => v.name, maxLength: 3 }),
    nodeSelector: dict,
    tolerations: fc.array(fc.record({ key: pick('k1', 'k2'), operator: pick('Exists', 'Equal') }, optional), { maxLength: 2 }),
  },
  optional,
);
const metadata = fc.record(
  {
    name: pick('x', 'y'),
    labels: dict,
    finalizers: fc.uniqueArray(pick('f1', 'f2', 'f3', 'f4'), { maxLength: 4 }),
    ownerReferences: fc.uniqueArray(fc.record({ uid: pick('u1', 'u2', 'u3'), name: pick('o1', 'o2') }, { requiredKeys: ['uid'] }), {
      selector: (o) => o.uid,
      maxLength: 3,
    }),
  },
  optional,
);
const strategy = fc.oneof(
  fc.record({ type: fc.constant('Recreate') }),
  fc.record({ type: fc.constant('RollingUpdate'), rollingUpdate: fc.record({ maxSurge: pick('25%', '1'), maxUnavailable: pick('0', '25%') }, optional) }, optional),
);
const status = fc.record(
  {
    conditions: fc.array(fc.record({ type: pick('Ready', 'Available'), status: pick('True', 'False') }), { maxLength: 2 }),
    observed: fc.dictionary(pick('a', 'b'), fc.oneof(pick(1, 2), fc.array(pick('p', 'q'), { maxLength: 2 }), fc.record({ deep: pick('z') })), { maxKeys: 2 }),
  },
  optional,
);
export const deployment: fc.Arbitrary<JsonObject> = plain(
  fc.record(
    {
      metadata,
      spec: fc.record({ replicas: fc.integer({ min: 0, max: 3 }), strategy, template: fc.record({ metadata, spec: podSpec }, optional) }, optional),
      status,
    },
    optional,
  ),
) as fc.Arbitrary<JsonObject>;

const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');

/** Every JSON pointer into `doc` (not the root). */
export function pointers(doc: Json, prefix = ''): string[] {
  if (Array.isArray(doc)) return doc.flatMap((v, i) => [`${prefix}/${i}`, ...pointers(v, `${prefix}/${i}`)]);
  if (doc !== null && typeof doc === 'object') {
    return Object.keys(doc).flatMap((k) => [`${prefix}/${escape(k)}`, ...pointers(doc[k]!, `${prefix}/${escape(k)}`)]);
  }
  return [];
}

export function valueAt(doc: Json, pointer: string): Json {
  let v = doc;
  for (const token of pointer.split('/').slice(1)) {
    const k = unescape(token);
    v = Array.isArray(v) ? v[Number(k)]! : (v as JsonObject)[k]!;
  }
  return v;
}

export function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object') {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
}

/** Changes every object and array in `v` (and undoes it); throws if any of them is frozen. */
export function touchEverywhere(v: unknown): void {
  if (Array.isArray(v)) {
    v.forEach(touchEverywhere);
    v.push(0);
    v.pop();
  } else if (v !== null && typeof v === 'object') {
    Object.values(v).forEach(touchEverywhere);
    const o = v as Record<string, unknown>;
    o['\u0000probe'] = 1;
    delete o['\u0000probe'];
  }
}
