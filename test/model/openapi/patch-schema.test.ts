import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchSchemaFor } from '../../../src/model/openapi/index.js';
import type { PatchSchema } from '../../../src/model/patch/schema.js';

function at(root: PatchSchema | undefined, path: string): PatchSchema | undefined {
  let s = root;
  for (const part of path.split('.')) s = part === '[]' ? s?.items() : s?.field(part);
  return s;
}

test('Deployment: containers, env, ports and volumes merge as upstream declares', () => {
  const d = patchSchemaFor('apps', 'v1', 'Deployment');
  assert.ok(d);
  const containers = at(d, 'spec.template.spec.containers')!;
  assert.equal(containers.patchStrategy, 'merge');
  assert.equal(containers.patchMergeKey, 'name');
  assert.equal(containers.listType, 'map');
  assert.deepEqual(containers.listMapKeys, ['name']);
  const env = at(d, 'spec.template.spec.containers.[].env')!;
  assert.deepEqual([env.patchStrategy, env.patchMergeKey], ['merge', 'name']);
  const ports = at(d, 'spec.template.spec.containers.[].ports')!;
  assert.deepEqual([ports.patchStrategy, ports.patchMergeKey], ['merge', 'containerPort']);
  assert.deepEqual(ports.listMapKeys, ['containerPort', 'protocol']);
  const volumes = at(d, 'spec.template.spec.volumes')!;
  assert.deepEqual([volumes.patchStrategy, volumes.patchMergeKey], ['merge,retainKeys', 'name']);
  assert.deepEqual([at(d, 'spec.template.spec.initContainers')!.patchMergeKey, at(d, 'spec.template.spec.containers.[].volumeMounts')!.patchMergeKey], ['name', 'mountPath']);
  assert.equal(at(d, 'spec.strategy')!.patchStrategy, 'retainKeys');
  assert.equal(at(d, 'spec.template.spec.tolerations')!.listType, 'atomic');
  assert.equal(at(d, 'spec.template.spec.tolerations')!.patchStrategy, undefined);
  assert.deepEqual([at(d, 'metadata.finalizers')!.patchStrategy, at(d, 'metadata.finalizers')!.listType], ['merge', 'set']);
  assert.equal(at(d, 'metadata.ownerReferences')!.patchMergeKey, 'uid');
  assert.equal(at(d, 'status.conditions')!.patchMergeKey, 'type');
});

test('fields resolve through refs, items and map values; unknown fields have no schema', () => {
  const pod = patchSchemaFor('', 'v1', 'Pod')!;
  assert.equal(at(pod, 'spec.containers.[].resources.limits.[]')?.patchStrategy, undefined);
  assert.ok(at(pod, 'spec.containers.[].resources.limits.[]'), 'map values have a (Quantity) schema');
  assert.equal(at(pod, 'spec.nope'), undefined);
  assert.equal(at(pod, 'spec.containers.[].name.foo'), undefined, 'scalars have no fields');
  assert.equal(at(pod, 'metadata.labels.[]')?.field('x'), undefined);
  const svc = patchSchemaFor('', 'v1', 'Service')!;
  assert.deepEqual([at(svc, 'spec.ports')!.patchMergeKey, at(svc, 'spec.ports')!.listMapKeys], ['port', ['port', 'protocol']]);
  const cr = patchSchemaFor('apps', 'v1', 'ControllerRevision')!;
  assert.equal(at(cr, 'data.anything'), undefined, 'RawExtension is free-form: JSON merge semantics');
  assert.equal(patchSchemaFor('example.com', 'v1', 'Widget'), undefined);
  assert.equal(patchSchemaFor('apps', 'v1', 'Nope'), undefined);
  assert.equal(at(patchSchemaFor('policy', 'v1', 'PodDisruptionBudget'), 'spec.selector')!.patchStrategy, 'replace');
  assert.equal(at(patchSchemaFor('', 'v1', 'Node'), 'status.addresses')!.patchMergeKey, 'type');
});
