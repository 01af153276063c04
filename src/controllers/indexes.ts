// The indexes a cache of the API keeps for controllers (client-go's informer indexers): by uid, by
// owner, by controller, objects without a controller per namespace, and pods by node. The real
// informers (runtime.ts) and the simulator's caches (sim/cache.ts) both extend this class.
import type { ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { GroupCounts, labelsKey, sameLabels, type Counted, type PodGroups } from './pod-groups.js';

/** A cached object and the resource it belongs to. */
export interface Located {
  resource: ResourceRef;
  object: KubeObject;
}

const grKeys = new WeakMap<ResourceRef, string>();

/** A resource in any version (remembered per ResourceRef object: the indexes ask on every event). */
export function groupResourceKey(r: ResourceRef): string {
  let k = grKeys.get(r);
  if (k === undefined) grKeys.set(r, (k = `${r.group}/${r.resource}`));
  return k;
}

function bucket<K, V>(m: Map<K, V>, k: K, make: () => V): V {
  let v = m.get(k);
  if (v === undefined) m.set(k, (v = make()));
  return v;
}

/** Removes key from the map under outer, and that map once empty. */
function unbucket<K, V>(outer: Map<K, Map<string, V>>, k: K, key: string): void {
  const m = outer.get(k);
  if (m?.delete(key) && m.size === 0) outer.delete(k);
}

function controllerUid(o: KubeObject): string | undefined {
  const refs = o.metadata.ownerReferences;
  if (refs) for (const r of refs) if (r.controller) return r.uid;
  return undefined;
}

const isPods = (r: ResourceRef) => r.group === '' && r.resource === 'pods';
const nodeOf = (r: ResourceRef, o: KubeObject) => (isPods(r) ? (o.spec as { nodeName?: string } | undefined)?.nodeName : undefined);

/**
 * Which indexes a cache keeps: all of them, or only pods by node (a process whose readers ask for
 * nothing else: the simulated kubelets). Each kept index costs upkeep on every event.
 */
export type IndexScope = 'all' | 'nodes';

export class ObjectIndexes {
  constructor(private readonly scope: IndexScope = 'all') {}

  // protected: only the cache that holds the objects keeps its indexes
  private readonly uids = new Map<string, Located>();
  private readonly owners = new Map<string, Map<string, Located>>();
  /** controller uid -> group/resource -> uid -> object: what a workload controller reads on every sync. */
  private readonly controlled = new Map<string, Map<string, Map<string, KubeObject>>>();
  /** group/resource -> namespace -> uid -> object, for objects without a controller. */
  private readonly orphans = new Map<string, Map<string, Map<string, KubeObject>>>();
  /** node name -> uid -> pod */
  private readonly nodePods = new Map<string, Map<string, KubeObject>>();
  /** controller uid -> labels key -> counts of its pods with those labels (pod-groups.ts). */
  private readonly groups = new Map<string, Map<string, GroupCounts>>();
  /** pod uid -> where it is counted, and what was counted */
  private readonly counted = new Map<string, Counted>();

  private groupPod(controller: string, pod: KubeObject, into?: Counted): void {
    const { key, labels } = labelsKey(pod);
    const byKey = bucket(this.groups, controller, () => new Map<string, GroupCounts>());
    const c = bucket(byKey, key, () => new GroupCounts(controller, key, labels)).add(pod, into);
    if (!into) this.counted.set(pod.metadata.uid!, c);
  }

  /** Takes the pod's counts back; with keep, its record stays for groupPod to fill again. */
  private ungroupPod(uid: string, keep = false): Counted | undefined {
    const c = this.counted.get(uid);
    if (!c) return undefined;
    if (!keep) this.counted.delete(uid);
    const g = c.group;
    g.remove(c);
    if (g.pods === 0) unbucket(this.groups, g.owner, g.key);
    return c;
  }

  protected indexObject(resource: ResourceRef, o: KubeObject): void {
    if (this.scope === 'nodes') return this.indexNode(resource, o);
    const uid = o.metadata.uid!;
    const located = { resource, object: o };
    this.uids.set(uid, located);
    for (const ref of o.metadata.ownerReferences ?? []) bucket(this.owners, ref.uid, () => new Map<string, Located>()).set(uid, located);
    const gr = groupResourceKey(resource);
    const c = controllerUid(o);
    if (c !== undefined) {
      bucket(bucket(this.controlled, c, () => new Map<string, Map<string, KubeObject>>()), gr, () => new Map<string, KubeObject>()).set(uid, o);
      if (isPods(resource)) this.groupPod(c, o);
    } else bucket(bucket(this.orphans, gr, () => new Map<string, Map<string, KubeObject>>()), o.metadata.namespace ?? '', () => new Map<string, KubeObject>()).set(uid, o);
    const node = isPods(resource) ? (o.spec as { nodeName?: string } | undefined)?.nodeName : undefined;
    if (node) bucket(this.nodePods, node, () => new Map<string, KubeObject>()).set(uid, o);
  }

  protected unindexObject(resource: ResourceRef, o: KubeObject): void {
    if (this.scope === 'nodes') return this.unindexNode(resource, o);
    const uid = o.metadata.uid!;
    this.uids.delete(uid);
    for (const ref of o.metadata.ownerReferences ?? []) unbucket(this.owners, ref.uid, uid);
    const gr = groupResourceKey(resource);
    const c = controllerUid(o);
    if (c !== undefined) {
      const byResource = this.controlled.get(c);
      if (byResource) {
        unbucket(byResource, gr, uid);
        if (byResource.size === 0) this.controlled.delete(c);
      }
      if (isPods(resource)) this.ungroupPod(uid);
    } else this.orphans.get(gr)?.get(o.metadata.namespace ?? '')?.delete(uid);
    const node = isPods(resource) ? (o.spec as { nodeName?: string } | undefined)?.nodeName : undefined;
    if (node) unbucket(this.nodePods, node, uid);
  }

  /**
   * An update that keeps the object's place in every index (the same owners, controller,
   * namespace and node), as most updates do (status writes): its entries are replaced where they
   * are, cheaper than removing and adding them. False, with nothing changed, when a place differs.
   */
  protected replaceIndexed(resource: ResourceRef, old: KubeObject, o: KubeObject): boolean {
    if (this.scope === 'nodes') {
      if (old.metadata.uid !== o.metadata.uid || nodeOf(resource, old) !== nodeOf(resource, o)) return false;
      this.indexNode(resource, o);
      return true;
    }
    const uid = o.metadata.uid!;
    if (old.metadata.uid !== uid || old.metadata.namespace !== o.metadata.namespace) return false;
    const refs = o.metadata.ownerReferences ?? [];
    const oldRefs = old.metadata.ownerReferences ?? [];
    if (refs.length !== oldRefs.length) return false;
    for (let i = 0; i < refs.length; i++) if (refs[i]!.uid !== oldRefs[i]!.uid || !refs[i]!.controller !== !oldRefs[i]!.controller) return false;
    const pods = isPods(resource);
    const node = pods ? (o.spec as { nodeName?: string } | undefined)?.nodeName : undefined;
    if (pods && (old.spec as { nodeName?: string } | undefined)?.nodeName !== node) return false;
    const located = { resource, object: o };
    this.uids.set(uid, located);
    for (const ref of refs) this.owners.get(ref.uid)!.set(uid, located);
    const gr = groupResourceKey(resource);
    const c = controllerUid(o);
    if (c !== undefined) {
      this.controlled.get(c)!.get(gr)!.set(uid, o);
      if (pods) {
        const prev = this.ungroupPod(uid, true);
        if (prev && sameLabels(old, o) && prev.group.pods > 0) prev.group.add(o, prev);
        else this.groupPod(c, o, prev);
      }
    } else this.orphans.get(gr)!.get(o.metadata.namespace ?? '')!.set(uid, o);
    if (node) this.nodePods.get(node)!.set(uid, o);
    return true;
  }

  byUid(uid: string): Located | undefined {
    this.kept('byUid');
    return this.uids.get(uid);
  }

  dependentsOf(uid: string): Located[] {
    this.kept('dependentsOf');
    return [...(this.owners.get(uid)?.values() ?? [])];
  }

  controlledBy(uid: string, r: ResourceRef): KubeObject[] {
    this.kept('controlledBy');
    return [...(this.controlled.get(uid)?.get(groupResourceKey(r))?.values() ?? [])];
  }

  uncontrolled(r: ResourceRef, namespace: string): KubeObject[] {
    this.kept('uncontrolled');
    return [...(this.orphans.get(groupResourceKey(r))?.get(namespace)?.values() ?? [])];
  }

  /** The pods this uid controls, grouped by their labels, with their counts (pod-groups.ts). */
  podGroups(controllerUid: string): PodGroups {
    this.kept('podGroups');
    const out = new Map<string, ReturnType<GroupCounts['view']>>();
    for (const [k, g] of this.groups.get(controllerUid) ?? []) out.set(k, g.view());
    return out;
  }

  /** A read of an index this cache does not keep is a mistake to see at once, not an empty answer. */
  private kept(what: string): void {
    if (this.scope !== 'all') throw new Error(`${what}: this cache keeps only pods by node`);
  }

  private indexNode(resource: ResourceRef, o: KubeObject): void {
    const node = nodeOf(resource, o);
    if (node) bucket(this.nodePods, node, () => new Map<string, KubeObject>()).set(o.metadata.uid!, o);
  }

  private unindexNode(resource: ResourceRef, o: KubeObject): void {
    const node = nodeOf(resource, o);
    if (node) unbucket(this.nodePods, node, o.metadata.uid!);
  }

  podsOnNode(nodeName: string): KubeObject[] {
    return [...(this.nodePods.get(nodeName)?.values() ?? [])];
  }
}
