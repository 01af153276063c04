// One simulated process's cache of the API (what its informers hold), with the indexes
// controllers read through ClusterView: by uid, by owner, by controller, uncontrolled objects, pods
// by node. Fed event by event by the simulator, synchronously; a relist replaces one resource.
import type { ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { groupResourceKey, type ClusterView } from '../controllers/runtime.js';
import { ObjectIndexes, type IndexScope } from '../controllers/indexes.js';

export type CacheEvent = { type: 'add' | 'update' | 'delete'; resource: ResourceRef; object: KubeObject; old?: KubeObject };

const objKey = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);

function bucket<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

export class SimCache extends ObjectIndexes implements ClusterView {
  /** group/resource → key → object (versions of one resource share objects, as upstream's storage does). */
  private readonly items = new Map<string, Map<string, KubeObject>>();
  private readonly versions = new Map<string, string>();

  /**
   * indexes: 'none' for a cache read only by get, list and count (the simulator's record of the
   * API's state, which no controller observes): it keeps no indexes, whose upkeep on every write
   * is most of a cache's cost, and its index reads (byUid, controlledBy, ...) find nothing;
   * 'nodes' keeps only pods by node (other index reads throw); 'all' every index.
   */
  constructor(indexes: IndexScope | 'none' = 'all') {
    super(indexes === 'none' ? 'all' : indexes);
    this.indexed = indexes !== 'none';
  }
  private readonly indexed: boolean;

  /** Applies one event; returns the object it replaced, if any. */
  apply(ev: CacheEvent, revision?: number): KubeObject | undefined {
    const gr = groupResourceKey(ev.resource);
    const m = bucket(this.items, gr, () => new Map<string, KubeObject>());
    const k = objKey(ev.object);
    const old = m.get(k);
    if (!this.indexed) {
      if (ev.type === 'delete') m.delete(k);
      else m.set(k, ev.object);
    } else if (old && ev.type !== 'delete' && this.replaceIndexed(ev.resource, old, ev.object)) m.set(k, ev.object);
    else {
      if (old) this.unindexObject(ev.resource, old);
      if (ev.type === 'delete') m.delete(k);
      else {
        m.set(k, ev.object);
        this.indexObject(ev.resource, ev.object);
      }
    }
    if (revision !== undefined) this.versions.set(gr, String(revision));
    return old;
  }

  /** Replaces one resource's objects (a relist); returns the events a relisting informer reports. */
  replace(resource: ResourceRef, objects: KubeObject[], revision: number): CacheEvent[] {
    const gr = groupResourceKey(resource);
    const before = this.items.get(gr) ?? new Map<string, KubeObject>();
    const fresh = new Map(objects.map((o) => [objKey(o), o]));
    const out: CacheEvent[] = [];
    for (const [k, o] of before) if (!fresh.has(k)) out.push({ type: 'delete', resource, object: o });
    for (const [k, o] of fresh) {
      const old = before.get(k);
      if (!old) out.push({ type: 'add', resource, object: o });
      else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) out.push({ type: 'update', resource, object: o, old });
    }
    for (const ev of out) this.apply(ev);
    this.versions.set(gr, String(revision));
    return out;
  }

  get(r: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.items.get(groupResourceKey(r))?.get(namespace ? `${namespace}/${name}` : name);
  }

  list(r: ResourceRef, namespace?: string): KubeObject[] {
    const m = this.items.get(groupResourceKey(r));
    if (!m) return [];
    if (namespace === undefined) return [...m.values()];
    // not a copy of the whole resource first: pods are listed by namespace
    const out: KubeObject[] = [];
    for (const o of m.values()) if (o.metadata.namespace === namespace) out.push(o);
    return out;
  }

  resourceVersion(r: ResourceRef): string {
    return this.versions.get(groupResourceKey(r)) ?? '0';
  }

  /** How many objects of a resource the cache holds. */
  count(r: ResourceRef): number {
    return this.items.get(groupResourceKey(r))?.size ?? 0;
  }
}
