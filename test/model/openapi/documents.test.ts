import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Registry } from '../../../src/model/registry.js';
import { openAPIV2, openAPIV3, openAPIV3Root, v3PathKey } from '../../../src/model/openapi/index.js';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

function refs(v: unknown, out: string[] = []): string[] {
  if (Array.isArray(v)) v.forEach((x) => refs(x, out));
  else if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (k === '$ref' && typeof x === 'string') out.push(x);
      else refs(x, out);
    }
  }
  return out;
}

function operations(doc: Obj): Array<{ path: string; method: string; op: Obj }> {
  const out = [];
  for (const [path, item] of Object.entries(doc.paths as Obj)) {
    for (const method of METHODS) if (item[method]) out.push({ path, method, op: item[method] as Obj });
  }
  return out;
}

/** kubectl's supportsQueryParamV3: the first PATCH operation for the GVK (any path order) must list the parameter. */
function supportsQueryParam(doc: Obj, gvk: { group: string; version: string; kind: string }, param: string, order: string[]): boolean {
  for (const path of order) {
    const op = (doc.paths as Obj)[path].patch as Obj | undefined;
    if (!op) continue;
    const g = op['x-kubernetes-group-version-kind'];
    if (!g || g.group !== gvk.group || g.version !== gvk.version || g.kind !== gvk.kind) continue;
    return (op.parameters ?? []).some((p: Obj) => p.name === param);
  }
  return false;
}

test('swagger 2.0 document: info, definitions, and every $ref resolving', () => {
  const doc = JSON.parse(openAPIV2(new Registry()).json) as Obj;
  assert.equal(doc.swagger, '2.0');
  assert.deepEqual(doc.info, { title: 'Kubernetes', version: 'v1.36.0' });
  assert.equal(JSON.parse(openAPIV2(new Registry(), { version: 'v1.32.4' }).json).info.version, 'v1.32.4');
  for (const r of refs(doc)) {
    assert.match(r, /^#\/definitions\//);
    assert.ok(doc.definitions[r.slice('#/definitions/'.length)], r);
  }
  const withDefault: string[] = [];
  const noDefaults = (sch: Obj, where: string) => {
    if ('default' in sch) withDefault.push(where);
    if (sch.items) noDefaults(sch.items, `${where}[]`);
    if (sch.additionalProperties) noDefaults(sch.additionalProperties, `${where}{}`);
    for (const [k, p] of Object.entries((sch.properties ?? {}) as Obj)) noDefaults(p, `${where}.${k}`);
  };
  for (const [name, sch] of Object.entries(doc.definitions as Obj)) noDefaults(sch, name);
  assert.deepEqual(withDefault, [], 'v2 carries no defaults');
  const spec = doc.definitions['io.k8s.api.apps.v1.DeploymentSpec'];
  assert.deepEqual(spec.properties.template, {
    $ref: '#/definitions/io.k8s.api.core.v1.PodTemplateSpec',
    description: spec.properties.template.description,
  });
  assert.deepEqual(doc.definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
});

test('swagger 2.0 paths: every resource verb, unique operationIds, PATCH with fieldValidation', () => {
  const registry = new Registry();
  const doc = JSON.parse(openAPIV2(registry).json) as Obj;
  const ops = operations(doc);
  const ids = ops.map((o) => o.op.operationId);
  assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  for (const t of registry.all()) {
    const mine = ops.filter((o) => {
      const g = o.op['x-kubernetes-group-version-kind'];
      return g && g.group === t.group && g.version === t.version && g.kind === t.kind;
    });
    const actions = new Set(mine.map((o) => o.op['x-kubernetes-action']));
    const expected: Record<string, string> = { get: 'get', list: 'list', create: 'post', update: 'put', patch: 'patch', delete: 'delete', deletecollection: 'deletecollection', watch: 'watch' };
    for (const v of t.verbs) assert.ok(actions.has(expected[v]!), `${t.kind}: no ${v} operation`);
    for (const o of mine.filter((x) => x.method === 'patch')) {
      assert.ok(o.op.parameters.some((p: Obj) => p.name === 'fieldValidation' && p.in === 'query'), `${o.path} patch lacks fieldValidation`);
      assert.deepEqual(o.op.consumes, ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/apply-patch+yaml']);
    }
  }
  const dep = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}'];
  assert.equal(dep.patch.operationId, 'patchAppsV1NamespacedDeployment');
  assert.equal(dep.get.operationId, 'readAppsV1NamespacedDeployment');
  assert.equal(dep.put.operationId, 'replaceAppsV1NamespacedDeployment');
  assert.equal(dep.delete.operationId, 'deleteAppsV1NamespacedDeployment');
  assert.deepEqual(dep.parameters.map((p: Obj) => p.name), ['name', 'namespace', 'pretty']);
  assert.deepEqual(dep.patch.parameters.map((p: Obj) => p.name), ['body', 'dryRun', 'fieldManager', 'fieldValidation', 'force']);
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods'].get.operationId, 'listCoreV1NamespacedPod');
  assert.equal(doc.paths['/api/v1/pods'].get.operationId, 'listCoreV1PodForAllNamespaces');
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods'].delete.operationId, 'deleteCoreV1CollectionNamespacedPod');
  assert.equal(doc.paths['/api/v1/watch/namespaces/{namespace}/pods/{name}'].get['x-kubernetes-action'], 'watch');
  assert.equal(doc.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].get.operationId, 'readRbacAuthorizationV1ClusterRole');
  assert.deepEqual(doc.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}'].get.tags, ['rbacAuthorization_v1']);
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/eviction'].post.operationId, 'createCoreV1NamespacedPodEviction');
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token'].post.operationId, 'createCoreV1NamespacedServiceAccountToken');
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/bindings'].post.operationId, 'createCoreV1NamespacedBinding');
  assert.equal(doc.paths['/api/v1/namespaces/{name}/finalize'].put.operationId, 'replaceCoreV1NamespaceFinalize');
  const scale = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale'];
  assert.equal(scale.put.operationId, 'replaceAppsV1NamespacedDeploymentScale');
  assert.deepEqual(scale.get['x-kubernetes-group-version-kind'], { group: 'autoscaling', kind: 'Scale', version: 'v1' });
  assert.deepEqual(scale.get.responses['200'].schema, { $ref: '#/definitions/io.k8s.api.autoscaling.v1.Scale' });
  assert.equal(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}/log'], undefined, 'streaming subresources are not listed');
});

test('DeleteOptions and WatchEvent carry one GVK per served group version', () => {
  const registry = new Registry();
  const doc = JSON.parse(openAPIV2(registry).json) as Obj;
  for (const kind of ['DeleteOptions', 'WatchEvent']) {
    const gvks = doc.definitions[`io.k8s.apimachinery.pkg.apis.meta.v1.${kind}`]['x-kubernetes-group-version-kind'] as Obj[];
    assert.deepEqual(gvks[0], { group: '', kind, version: 'v1' });
    for (const { group, version } of registry.groupVersions()) assert.ok(gvks.some((g) => g.group === group && g.version === version && g.kind === kind));
    assert.equal(gvks.length, registry.groupVersions().length);
  }
});

test('v3 root lists every group/version with the hash of its document', () => {
  const registry = new Registry();
  const root = JSON.parse(openAPIV3Root(registry).json) as Obj;
  assert.deepEqual(Object.keys(root), ['paths']);
  assert.equal(Object.keys(root.paths).length, registry.groupVersions().length);
  for (const { group, version } of registry.groupVersions()) {
    const key = v3PathKey(group, version);
    const doc = openAPIV3(registry, group, version)!;
    const hash = createHash('sha512').update(doc.json).digest('hex').toUpperCase();
    assert.equal(doc.hash, hash);
    assert.deepEqual(root.paths[key], { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` });
  }
  assert.ok(root.paths['api/v1']);
  assert.ok(root.paths['apis/apps/v1']);
  assert.equal(openAPIV3(registry, 'apps', 'v2'), undefined);
  assert.equal(openAPIV3(registry, 'nope.example.com', 'v1'), undefined);
});

test('v3 documents: 3.0.0 shape, resolving refs, kubectl finds fieldValidation on every PATCH', () => {
  const registry = new Registry();
  for (const { group, version } of registry.groupVersions()) {
    const doc = JSON.parse(openAPIV3(registry, group, version)!.json) as Obj;
    assert.equal(doc.openapi, '3.0.0');
    assert.equal(doc.info.title, 'Kubernetes');
    for (const r of refs(doc)) {
      assert.match(r, /^#\/components\/schemas\//);
      assert.ok(doc.components.schemas[r.slice('#/components/schemas/'.length)], `${group}/${version}: ${r}`);
    }
    const paths = Object.keys(doc.paths);
    assert.ok(paths.every((p) => p.startsWith(`/${v3PathKey(group, version)}/`)), `${group}/${version} has foreign paths`);
    for (const t of registry.all().filter((x) => x.group === group && x.version === version && x.verbs.includes('patch'))) {
      const gvk = { group, version, kind: t.kind };
      // Go map iteration order is random: every order must agree.
      assert.ok(supportsQueryParam(doc, gvk, 'fieldValidation', paths), `${t.kind}`);
      assert.ok(supportsQueryParam(doc, gvk, 'fieldValidation', [...paths].reverse()), `${t.kind} (reversed)`);
    }
    for (const { op, method } of operations(doc)) {
      if (method !== 'patch') continue;
      assert.deepEqual(Object.keys(op.requestBody.content).sort(), ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']);
      assert.deepEqual(op.parameters.map((p: Obj) => p.name), ['dryRun', 'fieldManager', 'fieldValidation', 'force']);
      assert.deepEqual(op.parameters[2].schema, { type: 'string', uniqueItems: true });
    }
  }
});

test('v3 schemas follow upstream conventions: allOf-wrapped refs, defaults, oneOf scalars', () => {
  const doc = JSON.parse(openAPIV3(new Registry(), 'apps', 'v1')!.json) as Obj;
  const s = doc.components.schemas;
  assert.deepEqual(s['io.k8s.api.apps.v1.DeploymentSpec'].properties.template, {
    allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodTemplateSpec' }],
    default: {},
    description: 'Template describes the pods that will be created. The only allowed template.spec.restartPolicy value is "Always".',
  });
  assert.deepEqual(s['io.k8s.api.apps.v1.DeploymentList'].properties.items.items, {
    allOf: [{ $ref: '#/components/schemas/io.k8s.api.apps.v1.Deployment' }],
    default: {},
  });
  assert.deepEqual(s['io.k8s.api.apps.v1.DeploymentSpec'].required, ['selector', 'template']);
  assert.deepEqual(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].oneOf, [{ type: 'integer' }, { type: 'string' }]);
  assert.equal(s['io.k8s.apimachinery.pkg.util.intstr.IntOrString'].format, 'int-or-string');
  assert.deepEqual(s['io.k8s.apimachinery.pkg.api.resource.Quantity'].oneOf, [{ type: 'string' }, { type: 'number' }]);
  assert.deepEqual(s['io.k8s.api.core.v1.ResourceRequirements'].properties.limits.additionalProperties, { $ref: '#/components/schemas/io.k8s.apimachinery.pkg.api.resource.Quantity' });
  assert.deepEqual(s['io.k8s.api.apps.v1.Deployment']['x-kubernetes-group-version-kind'], [{ group: 'apps', kind: 'Deployment', version: 'v1' }]);
  assert.ok(s['io.k8s.api.autoscaling.v1.Scale'], 'the scale subresource kind is in apps/v1');
  assert.equal(s['io.k8s.api.batch.v1.Job'], undefined, 'other groups stay out');
  const list = doc.paths['/apis/apps/v1/namespaces/{namespace}/deployments'].get;
  assert.ok(list.responses['200'].content['application/json;stream=watch']);
  assert.equal(doc.paths['/apis/apps/v1/'].get.operationId, 'getAppsV1APIResources');
});

test('a document serializes to itself, so JSON.stringify(doc) serves it too', () => {
  const doc = openAPIV3(new Registry(), 'apps', 'v1')!;
  assert.equal(JSON.stringify(doc), doc.json);
  assert.equal(JSON.stringify(openAPIV3Root(new Registry())), openAPIV3Root(new Registry()).json);
});

test('documents are cached per registry state and change when the registry does', () => {
  const registry = new Registry();
  const a = openAPIV3Root(registry);
  assert.equal(openAPIV3Root(registry), a);
  assert.equal(openAPIV2(registry), openAPIV2(registry));
  const other = new Registry();
  assert.equal(openAPIV3Root(other).hash, a.hash, 'same registry contents, same hash');
  const crd = registry.byKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')!;
  registry.add({ ...crd, verbs: ['get', 'list'], subresources: [] });
  const b = openAPIV3Root(registry);
  assert.notEqual(b.hash, a.hash);
  const ext = JSON.parse(openAPIV3(registry, 'apiextensions.k8s.io', 'v1')!.json) as Obj;
  assert.equal(ext.paths['/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}'].patch, undefined);
});
