// A ClusterView over a fixed set of objects: what a controller observes in unit tests, and what a
// simulator or model checker hands to observe() for one state of the world.
import type { ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import type { ClusterView, Located } from './runtime.js';
import { groupResourceKey, refKey } from './runtime.js';

export class SnapshotView implements ClusterView {
  private readonly byResource = new Map<string, Map<string, KubeObject>>();
  private readonly uids = new Map<string, Located>();
  private readonly owners = new Map<string, Located[]>();
  private readonly versions = new Map<string, string>();

  constructor(objects: Located[], resourceVersion = '0') {
    for (const l of objects) this.add(l);
    for (const k of this.byResource.keys()) this.versions.set(k, resourceVersion);
  }

  private add({ resource, object }: Located): void {
    const k = refKey(resource);
    let m = this.byResource.get(k);
    if (!m) this.byResource.set(k, (m = new Map()));
    m.set(`${object.metadata.namespace ?? ''}/${object.metadata.name}`, object);
    const located = { resource, object };
    if (object.metadata.uid) this.uids.set(object.metadata.uid, located);
    for (const ref of object.metadata.ownerReferences ?? []) {
      let l = this.owners.get(ref.uid);
      if (!l) this.owners.set(ref.uid, (l = []));
      l.push(located);
    }
  }

  get(r: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byResource.get(refKey(r))?.get(`${namespace ?? ''}/${name}`);
  }

  list(r: ResourceRef, namespace?: string): KubeObject[] {
    const all = [...(this.byResource.get(refKey(r))?.values() ?? [])];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  byUid(uid: string): Located | undefined {
    return this.uids.get(uid);
  }

  dependentsOf(uid: string): Located[] {
    return [...(this.owners.get(uid) ?? [])];
  }

  controlledBy(uid: string, r: ResourceRef): KubeObject[] {
    const k = groupResourceKey(r);
    return this.dependentsOf(uid)
      .filter((d) => groupResourceKey(d.resource) === k && d.object.metadata.ownerReferences?.find((ref) => ref.controller)?.uid === uid)
      .map((d) => d.object);
  }

  uncontrolled(r: ResourceRef, namespace: string): KubeObject[] {
    return this.list(r, namespace).filter((o) => !o.metadata.ownerReferences?.some((ref) => ref.controller));
  }

  podsOnNode(nodeName: string): KubeObject[] {
    return this.list({ group: '', version: 'v1', resource: 'pods' }).filter((o) => (o.spec as { nodeName?: string } | undefined)?.nodeName === nodeName);
  }

  resourceVersion(r: ResourceRef): string {
    return this.versions.get(refKey(r)) ?? '0';
  }
}
