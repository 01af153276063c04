// Field ownership (model/fieldmanager): the sets an apply and an update own, in upstream's FieldsV1
// spelling, conflicts and their words, forcing, and what an apply removes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FieldSet, pathString } from '../../src/model/fieldmanager/fieldset.js';
import { compare, fieldsOf, merge, typeErrors } from '../../src/model/fieldmanager/typed.js';
import { apply, conflictReport, decodeManagedFields, encodeManagedFields, update, type Context, type Owner } from '../../src/model/fieldmanager/manager.js';
import { patchSchemaFor } from '../../src/model/openapi/index.js';
import type { PatchSchema } from '../../src/model/patch/schema.js';

const deploymentSchema = patchSchemaFor('apps', 'v1', 'Deployment');
const ctx: Context = { schema: deploymentSchema, apiVersion: 'apps/v1', subresource: '', hasStatus: true, now: '2026-01-01T00:00:00Z' };
const later = (c: Context, s: string): Context => ({ ...c, now: `2026-01-01T00:00:${s}Z` });

const config = (image: string, replicas?: number, env: { name: string; value: string }[] = [{ name: 'A', value: '1' }]) => ({
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 80 }], env }] } },
  },
});

function applied(live: Record<string, unknown> | undefined, cfg: Record<string, unknown>, owners: Owner[], manager: string, force = false, c = ctx) {
  const r = apply(live, cfg, owners, manager, force, c);
  if ('conflicts' in r) throw new Error(`unexpected conflicts: ${conflictReport(r.conflicts).message}`);
  return r;
}

describe('field sets', () => {
  it('an applied Deployment owns what upstream lists: leaves, keyed items with ".", atomic selector, defaulted keys', () => {
    const set = fieldsOf(config('nginx', 2), deploymentSchema);
    assert.deepEqual(set.difference(FieldSet.of([['f:apiVersion'], ['f:kind'], ['f:metadata', 'f:name'], ['f:metadata', 'f:namespace']])).toFieldsV1(), {
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {}, 'f:env': { 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } }, 'f:image': {}, 'f:name': {},
                // protocol is a key with a default: the item is keyed by it though the configuration leaves it out
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('reads back what it writes, and refuses what is not FieldsV1', () => {
    const v1 = { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } }, 'f:spec': { 'f:replicas': {} } };
    const s = FieldSet.fromFieldsV1(v1)!;
    assert.deepEqual(s.toFieldsV1(), v1);
    assert.ok(s.has(['f:metadata', 'f:labels']));
    assert.ok(!s.has(['f:metadata']));
    assert.equal(FieldSet.fromFieldsV1({ 'x:bad': {} }), undefined);
    assert.equal(FieldSet.fromFieldsV1([]), undefined);
    assert.equal(FieldSet.fromFieldsV1({ '.': {} }), undefined);
  });

  it('prints paths as upstream does in conflicts', () => {
    assert.equal(pathString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image']), '.spec.template.spec.containers[name="web"].image');
    assert.equal(pathString(['f:spec', 'f:ports', 'k:{"port":80,"protocol":"TCP"}']), '.spec.ports[port=80,protocol="TCP"]');
    assert.equal(pathString(['f:metadata', 'f:finalizers', 'v:"x"']), '.metadata.finalizers[="x"]');
  });

  it('an empty map that fills is its new entries, not itself changed (status {} then written)', () => {
    const c = compare({ status: {} }, { status: { replicas: 1, conditions: [{ type: 'Available', status: 'True' }] } }, deploymentSchema);
    assert.deepEqual(c.modified.toFieldsV1(), {});
    assert.deepEqual(c.added.toFieldsV1(), {
      'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"Available"}': { '.': {}, 'f:status': {}, 'f:type': {} } }, 'f:replicas': {} },
    });
  });

  it('merges keyed lists item by item: the live items stay where they were, new ones follow the configuration', () => {
    const s = deploymentSchema!.field('spec')!.field('template')!.field('spec')!.field('containers');
    const live = [{ name: 'a', image: '1' }, { name: 'side', image: 's' }, { name: 'b', image: '2' }];
    const cfg = [{ name: 'b', image: '3' }, { name: 'c', image: '4' }];
    assert.deepEqual(merge(live, cfg, s), [{ name: 'a', image: '1' }, { name: 'side', image: 's' }, { name: 'b', image: '3' }, { name: 'c', image: '4' }]);
    // atomic lists are replaced whole; an empty configuration list merged into a keyed one changes nothing
    assert.deepEqual(merge({ args: ['x', 'y'] }, { args: ['z'] }, s!.items()), { args: ['z'] });
    assert.deepEqual(merge(live, [], s), live);
  });

  it('finds what upstream cannot read as a typed value: duplicate keys, an item without a key field that has no default', () => {
    const cfg = config('nginx', 1, [{ name: 'A', value: '1' }, { name: 'A', value: '2' }]);
    assert.deepEqual(typeErrors(cfg, deploymentSchema), ['.spec.template.spec.containers[name="web"].env: duplicate entries for key [name="A"]']);
    assert.deepEqual(typeErrors(config('nginx', 1), deploymentSchema), [], 'protocol is left out but has a default');
    // (the built-in key fields all have defaults; a schema whose key has none)
    const item: PatchSchema = { field: (n) => (n === 'id' ? { field: () => undefined, items: () => undefined } : undefined), items: () => undefined };
    const list: PatchSchema = { field: () => undefined, items: () => item, listType: 'map', listMapKeys: ['id'] };
    const root: PatchSchema = { field: (n) => (n === 'things' ? list : undefined), items: () => undefined };
    assert.deepEqual(typeErrors({ things: [{ id: 'a' }, { other: 1 }] }, root), ['.things: element 1: associative list with keys has an element that omits key field "id"']);
  });

  it('a live list with duplicate keys is one value: compared and replaced whole', () => {
    const s = deploymentSchema!.field('spec')!.field('template')!.field('spec')!.field('containers')!.items()!.field('env');
    const live = [{ name: 'A', value: '1' }, { name: 'A', value: '2' }];
    assert.deepEqual(merge(live, [{ name: 'B', value: '3' }], s), [{ name: 'B', value: '3' }]);
    assert.deepEqual(compare({ env: live }, { env: [{ name: 'A', value: '1' }] }, deploymentSchema!.field('spec')!.field('template')!.field('spec')!.field('containers')!.items()).modified.toFieldsV1(), { 'f:env': {} });
  });
});

describe('apply and update', () => {
  it('creating by apply owns the configuration; applying it again changes nothing', () => {
    const first = applied(undefined, config('nginx:1', 2), [], 'kubectl');
    assert.equal(first.owners.length, 1);
    const again = applied(first.object, config('nginx:1', 2), first.owners, 'kubectl', false, later(ctx, '05'));
    assert.deepEqual(again.object, first.object);
    assert.equal(again.owners[0]!.time, ctx.now, 'nothing changed: the time stays');
  });

  it('a second applier conflicts on a value it would change, co-owns one it agrees with, and takes it by force', () => {
    const first = applied(undefined, config('nginx:1', 2), [], 'kubectl');
    const r = apply(first.object, config('nginx:2', 2), first.owners, 'ci', false, ctx);
    assert.ok('conflicts' in r);
    assert.deepEqual(r.conflicts.map((c) => pathString(c.path)), ['.spec.template.spec.containers[name="web"].image']);
    assert.equal(conflictReport(r.conflicts).message, 'Apply failed with 1 conflict: conflict with "kubectl": .spec.template.spec.containers[name="web"].image');
    const forced = applied(first.object, config('nginx:2', 2), first.owners, 'ci', true);
    const img = ['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"web"}', 'f:image'];
    const kubectl = forced.owners.find((o) => o.manager === 'kubectl')!;
    const ci = forced.owners.find((o) => o.manager === 'ci')!;
    assert.ok(!kubectl.set.has(img) && ci.set.has(img));
    assert.ok(kubectl.set.has(['f:spec', 'f:replicas']) && ci.set.has(['f:spec', 'f:replicas']), 'the same value: both own it');
  });

  it('an apply removes what it applied before and no longer applies, unless another manager owns it', () => {
    const first = applied(undefined, config('nginx:1', 2, [{ name: 'A', value: '1' }, { name: 'B', value: '2' }]), [], 'kubectl');
    const dropped = applied(first.object, config('nginx:1', undefined, [{ name: 'A', value: '1' }]), first.owners, 'kubectl');
    const spec = dropped.object.spec as { replicas?: number; template: { spec: { containers: { env: unknown[] }[] } } };
    assert.equal(spec.replicas, undefined);
    assert.deepEqual(spec.template.spec.containers[0]!.env, [{ name: 'A', value: '1' }]);
    // someone else changed replicas in between: it is theirs now, and stays
    const scaled = { ...first.object, spec: { ...(first.object.spec as object), replicas: 5 } };
    const owners = update(first.object, scaled, first.owners, 'kubectl-scale', { ...ctx, subresource: 'scale' });
    const kept = applied(scaled, config('nginx:1', undefined), owners, 'kubectl');
    assert.equal((kept.object.spec as { replicas: number }).replicas, 5);
  });

  it('an update takes what it changed from the others; its entry names its version and subresource', () => {
    const first = applied(undefined, config('nginx:1', 2), [], 'kubectl');
    const next = { ...first.object, spec: { ...(first.object.spec as object), replicas: 3 }, status: { replicas: 3 } };
    const owners = update(first.object, next, first.owners, 'hpa', later(ctx, '09'));
    const hpa = owners.find((o) => o.manager === 'hpa')!;
    assert.deepEqual(hpa.set.toFieldsV1(), { 'f:spec': { 'f:replicas': {} } }, 'status is not owned through the main resource');
    assert.ok(!owners.find((o) => o.manager === 'kubectl')!.set.has(['f:spec', 'f:replicas']));
    const status = update(next, { ...next, status: { replicas: 4 } }, owners, 'kube-controller-manager', { ...ctx, subresource: 'status' });
    const entries = encodeManagedFields(status);
    assert.deepEqual(entries.map((e) => [e.manager, e.operation, e.subresource ?? '']), [['kubectl', 'Apply', ''], ['kube-controller-manager', 'Update', 'status'], ['hpa', 'Update', '']]);
    assert.deepEqual(entries[1]!.fieldsV1, { 'f:status': { 'f:replicas': {} } });
    // a status write may carry metadata (the deployment controller's revision annotation): its writer owns that too
    const annotated = { ...next, metadata: { ...(first.object.metadata as object), annotations: { 'deployment.kubernetes.io/revision': '1' } }, status: { replicas: 4 } };
    const withAnnotation = update(next, annotated, owners, 'kube-controller-manager', { ...ctx, subresource: 'status' });
    assert.deepEqual(withAnnotation.find((o) => o.subresource === 'status')!.set.toFieldsV1(), {
      'f:metadata': { 'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} } }, 'f:status': { 'f:replicas': {} },
    });
    // and they read back as the same owners
    const back = decodeManagedFields(entries);
    assert.ok(Array.isArray(back));
    assert.deepEqual(encodeManagedFields(back), entries);
  });

  it('a live object never applied to gives its fields to before-first-apply, which an apply then conflicts with', () => {
    const live = { ...config('nginx:1', 2), metadata: { name: 'web', namespace: 'default', uid: 'u', resourceVersion: '7', labels: { app: 'web' } } };
    const r = apply(live, config('nginx:1', 3), [], 'kubectl', false, ctx);
    assert.ok('conflicts' in r);
    assert.equal(conflictReport(r.conflicts).message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
    const forced = applied(live, config('nginx:1', 3), [], 'kubectl', true);
    assert.deepEqual(forced.owners.map((o) => o.manager).sort(), ['before-first-apply', 'kubectl']);
    const before = forced.owners.find((o) => o.manager === 'before-first-apply')!;
    assert.ok(!before.set.has(['f:metadata', 'f:uid']) && !before.set.has(['f:metadata', 'f:resourceVersion']), 'system fields are nobody\'s');
  });

  it('several conflicts are grouped by manager, as upstream words them', () => {
    const a = applied(undefined, config('nginx:1', 2), [], 'a');
    const owners = update(a.object, { ...a.object, spec: { ...(a.object.spec as object), replicas: 4 } }, a.owners, 'b', ctx);
    const live = { ...a.object, spec: { ...(a.object.spec as object), replicas: 4 } };
    const r = apply(live, config('nginx:2', 6), owners, 'c', false, ctx);
    assert.ok('conflicts' in r);
    assert.equal(conflictReport(r.conflicts).message, [
      'Apply failed with 2 conflicts: conflicts with "a":',
      '- .spec.template.spec.containers[name="web"].image',
      'conflicts with "b" using apps/v1:',
      '- .spec.replicas',
    ].join('\n'));
  });
});
