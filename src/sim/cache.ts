// One simulated process's cache of the API (what its informers hold), with the indexes
// controllers read through ClusterView: by uid, by owner, by controller, uncontrolled objects, pods
// by node. Fed event by event by the simulator, synchronously; a relist replaces one resource.
import type { ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { groupResourceKey, type ClusterView } from '../controllers/runtime.js';
import { ObjectIndexes, type IndexScope } from '../controllers/indexes.js';

export type CacheEvent = { type: 'add' | 'update' | 'delete'; resource: ResourceRef; object: KubeObject; old?: KubeObject };

const objKey = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);

/** By namespace ('' for cluster-scoped objects, as objKey has them), then name. */
type ByName = Map<string, Map<string, KubeObject>>;

function bucket<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

export class SimCache extends ObjectIndexes implements ClusterView {
  /**
   * group/resource → namespace → name → object (versions of one resource share objects, as
   * upstream's storage does). Keyed by the object's own name strings, not a "namespace/name" made
   * per event: a string made anew is hashed anew, and every process's cache looks up every event.
   */
  private readonly items = new Map<string, ByName>();
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
    const meta = ev.object.metadata;
    const m = bucket(bucket(this.items, gr, (): ByName => new Map()), meta.namespace || '', () => new Map<string, KubeObject>());
    const k = meta.name!;
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

  /** The cache has read up to revision, of a resource whose events there it did not need (a narrower watch). */
  advance(r: ResourceRef, revision: number): void {
    this.versions.set(groupResourceKey(r), String(revision));
  }

  /** Replaces one resource's objects (a relist); returns the events a relisting informer reports. */
  replace(resource: ResourceRef, objects: KubeObject[], revision: number): CacheEvent[] {
    const gr = groupResourceKey(resource);
    const before = new Map<string, KubeObject>();
    for (const m of this.items.get(gr)?.values() ?? []) for (const o of m.values()) before.set(objKey(o), o);
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
    return this.items.get(groupResourceKey(r))?.get(namespace || '')?.get(name);
  }

  list(r: ResourceRef, namespace?: string): KubeObject[] {
    const byNs = this.items.get(groupResourceKey(r));
    if (!byNs) return [];
    // ('' holds the cluster-scoped objects, which no namespace lists)
    if (namespace) return [...(byNs.get(namespace)?.values() ?? [])];
    if (namespace === '') return [...(byNs.get('')?.values() ?? [])].filter((o) => o.metadata.namespace === '');
    const out: KubeObject[] = [];
    for (const m of byNs.values()) for (const o of m.values()) out.push(o);
    return out;
  }

  resourceVersion(r: ResourceRef): string {
    return this.versions.get(groupResourceKey(r)) ?? '0';
  }

  /** How many objects of a resource the cache holds. */
  count(r: ResourceRef): number {
    let n = 0;
    for (const m of this.items.get(groupResourceKey(r))?.values() ?? []) n += m.size;
    return n;
  }
}
