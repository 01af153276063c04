// The scheduler's view of the cluster: per-node aggregates (requested resources, pods, host ports)
// kept up to date incrementally as pods and nodes come and go (upstream's scheduler cache and
// NodeInfo), plus the cluster-wide indexes the plugins need so that one decision never scans every
// pod: pods with affinity, pods with required anti-affinity, claim users per node, and per-node
// counts of pods matching a label selector (built the first time a selector is asked about).
import type { Node, PersistentVolume, PersistentVolumeClaim, Taint } from 'kubernetes-types/core/v1.js';
import type { StorageClass } from 'kubernetes-types/storage/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { matches, selectorToString, type Labels, type Selector } from '../model/labels.js';
import { IndexBuckets } from './indexbuckets.js';
import { NodeTable } from './nodetable.js';
import type { AffinityTerm, PodInfo } from './podinfo.js';
import { addResources, emptyResources, resourceValue, toResources, type Resources } from './resources.js';

/** What the decision function reads. Every method is a query: the decision never changes the snapshot. */
export interface Snapshot {
  /** Nodes that exist, sorted by name. */
  readonly nodes: readonly NodeInfo[];
  node(name: string): NodeInfo | undefined;
  /** Scheduled pods with terms that score other pods: required affinity, preferred affinity or anti-affinity. */
  podsWithScoringTerms(): Iterable<PodInfo>;
  /** The required anti-affinity terms of scheduled pods, equal terms together, with how many pods on each node carry them. */
  requiredAntiAffinityTerms(): Iterable<TermUse>;
  namespaceLabels(ns: string): Labels | undefined;
  pvc(ns: string, name: string): PersistentVolumeClaim | undefined;
  /** A PersistentVolume by name (VolumeBinding: a bound claim's volume and its node affinity). */
  pv(name: string): PersistentVolume | undefined;
  /** Every PersistentVolume (VolumeBinding: the pre-made volumes a claim may be bound to). */
  persistentVolumes(): Iterable<PersistentVolume>;
  /** A StorageClass by name (VolumeBinding: its binding mode, provisioner and allowed topologies). */
  storageClass(name: string): StorageClass | undefined;
  /** The PodDisruptionBudgets (preemption spares the pods whose eviction would break one); absent: none. */
  disruptionBudgets?(): Iterable<PodDisruptionBudget>;
  /** Nodes with scheduled pods that mount this claim, with how many such pods each. */
  claimUsers(ns: string, claim: string): ReadonlyMap<string, number> | undefined;
  /** Pods of the namespace that the selector matches, counted per node name (terminating ones only when asked). */
  matchingByNode(ns: string, selector: Selector, selectorKey: string, includeTerminating: boolean): ReadonlyMap<string, number>;
  /**
   * The same non-terminating pods summed per value of a node label over the nodes that exist
   * ('' for nodes without the label): a topology spread constraint's domain totals when every node counts.
   */
  matchingByDomain(ns: string, selector: Selector, selectorKey: string, topologyKey: string): ReadonlyMap<string, number>;
  /**
   * Optional, beside nodeTable: matchingByNode's non-terminating counts by row of the table t
   * (nodeTable()'s, current): what topology spreading reads per examined node, without a lookup by name.
   */
  matchingByRow?(ns: string, selector: Selector, selectorKey: string, t: NodeTable): Int32Array;
  /**
   * Optional: the nodes' numbers as typed arrays, row i for nodes[i], current with every node.
   * The decision then settles most nodes from it; without it, it reads every NodeInfo.
   */
  nodeTable?(): NodeTable;
}

/** matchingByDomain from per-node counts. */
export function domainTotals(snap: Snapshot, perNode: ReadonlyMap<string, number>, topologyKey: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, cnt] of perNode) {
    const n = snap.node(name);
    if (n) bump(out, n.labels[topologyKey] ?? '', cnt);
  }
  return out;
}

/** One distinct required anti-affinity term and where the pods carrying it are. */
export interface TermUse {
  term: AffinityTerm;
  nodes: ReadonlyMap<string, number>;
}

/** Terms are equal when they select the same pods over the same topology. */
export function termSignature(t: AffinityTerm): string {
  return `${t.topologyKey}\u0000${t.selectorKey}\u0000${[...t.namespaces].sort().join(',')}\u0000${t.namespaceSelector.nothing ? '-' : selectorToString(t.namespaceSelector)}`;
}

const hostPortKey = (protocol: string, port: number) => `${protocol}/${port}`;

/** One node and what is placed on it. */
export class NodeInfo {
  node!: Node;
  labels: Labels = {};
  taints: Taint[] = [];
  unschedulable = false;
  allocatable: Resources = emptyResources();
  allowedPods = 0;
  readonly requested: Resources = emptyResources();
  readonly nonZero = { milliCPU: 0, memory: 0 };
  readonly pods = new Map<string, PodInfo>();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** protocol/port -> host IP -> pods using it */
  readonly usedPorts = new Map<string, Map<string, number>>();
  /** The snapshot's table this node has a row in (never a clone's), and the row. */
  table: NodeTable | undefined;
  row = -1;

  constructor(readonly name: string, node?: Node) {
    if (node) this.setNode(node);
  }

  get exists(): boolean {
    return this.node !== undefined;
  }

  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata?.labels ?? {};
    this.taints = node.spec?.taints ?? [];
    this.unschedulable = !!node.spec?.unschedulable;
    const alloc = (node.status?.allocatable ?? node.status?.capacity ?? {}) as Record<string, unknown>;
    this.allocatable = toResources(alloc);
    this.allowedPods = alloc.pods === undefined ? 0 : resourceValue('pods', alloc.pods);
    this.writeThrough();
  }

  addPod(p: PodInfo): void {
    this.update(p, 1);
    this.pods.set(p.key, p);
    this.writeThrough();
  }

  removePod(p: PodInfo): void {
    this.update(p, -1);
    this.pods.delete(p.key);
    this.writeThrough();
  }

  /** A new version of a pod that counts the same: put in its place (last, as a remove and add would). */
  replacePod(prev: PodInfo, p: PodInfo): void {
    this.pods.delete(prev.key);
    this.pods.set(p.key, p);
  }

  private writeThrough(): void {
    const t = this.table;
    if (t !== undefined && t.live) t.write(this.row, this);
  }

  private update(p: PodInfo, sign: 1 | -1): void {
    addResources(this.requested, p.requests, sign);
    this.nonZero.milliCPU += sign * p.nonZero.milliCPU;
    this.nonZero.memory += sign * p.nonZero.memory;
    if (p.hasAffinity) this.podsWithAffinity += sign;
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity += sign;
    for (const hp of p.hostPorts) {
      const k = hostPortKey(hp.protocol, hp.port);
      let ips = this.usedPorts.get(k);
      if (!ips) this.usedPorts.set(k, (ips = new Map()));
      const n = (ips.get(hp.hostIP) ?? 0) + sign;
      if (n > 0) ips.set(hp.hostIP, n);
      else ips.delete(hp.hostIP);
      if (ips.size === 0) this.usedPorts.delete(k);
    }
  }

  /** HostPortInfo.CheckConflict: the same protocol and port on the same IP, or on 0.0.0.0 either side. */
  portInUse(protocol: string, port: number, hostIP: string): boolean {
    const ips = this.usedPorts.get(hostPortKey(protocol, port));
    if (!ips) return false;
    if (hostIP === '0.0.0.0') return ips.size > 0;
    return ips.has(hostIP) || ips.has('0.0.0.0');
  }

  /** A copy whose pod set can be changed freely (preemption's what-if). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name, this.node);
    for (const p of this.pods.values()) c.addPod(p);
    return c;
  }
}

interface MatchIndex {
  ns: string;
  selector: Selector;
  live: Map<string, number>;
  all: Map<string, number>;
  /** topologyKey -> label value -> live count, over existing nodes; kept while the nodes' labels stay. */
  domains: Map<string, Map<string, number>>;
  /** live by row of the table rowsOf, kept while that table is live (built when first asked). */
  rows: Int32Array | undefined;
  rowsOf: NodeTable | undefined;
  used: number;
}

const MAX_INDEXES = 512;

/** The scheduler cache: the snapshot, kept current by the runner from informer events. */
export class ClusterSnapshot implements Snapshot {
  private readonly infos = new Map<string, NodeInfo>();
  private sorted: NodeInfo[] | undefined;
  private table: NodeTable | undefined;
  private readonly podNode = new Map<string, PodInfo>();
  private readonly withScoring = new Set<PodInfo>();
  private readonly antiTerms = new Map<string, { term: AffinityTerm; nodes: Map<string, number> }>();
  private readonly nsLabels = new Map<string, Labels>();
  private readonly claims = new Map<string, PersistentVolumeClaim>();
  private readonly volumes = new Map<string, PersistentVolume>();
  private readonly classes = new Map<string, StorageClass>();
  private readonly budgets = new Map<string, PodDisruptionBudget>();
  private readonly users = new Map<string, Map<string, number>>();
  private readonly indexes = new Map<string, MatchIndex>();
  private readonly buckets = new IndexBuckets<MatchIndex>();
  private uses = 0;

  get nodes(): readonly NodeInfo[] {
    if (!this.sorted) {
      this.sorted = [...this.infos.values()].filter((n) => n.exists).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
    return this.sorted;
  }

  /** Built when first asked for after the node list changed (so adding many nodes costs no rebuild each). */
  nodeTable(): NodeTable {
    if (!this.table) {
      const nodes = this.nodes;
      const t = new NodeTable(nodes.length, nodes);
      for (let i = 0; i < nodes.length; i++) {
        const n = nodes[i]!;
        n.table = t;
        n.row = i;
        t.write(i, n);
      }
      this.table = t;
    }
    return this.table;
  }

  /** Nodes came or went: the sorted list and the table follow when next asked for. */
  private nodesChanged(): void {
    this.sorted = undefined;
    if (this.table) this.table.live = false;
    this.table = undefined;
  }

  node(name: string): NodeInfo | undefined {
    const n = this.infos.get(name);
    return n?.exists ? n : undefined;
  }

  /** The NodeInfo of a name, existing or not yet (pods can name a node before the node is seen). */
  private info(name: string): NodeInfo {
    let n = this.infos.get(name);
    if (!n) this.infos.set(name, (n = new NodeInfo(name)));
    return n;
  }

  setNode(node: Node): void {
    const info = this.info(node.metadata!.name!);
    const added = !info.exists;
    const labels = info.labels;
    info.setNode(node);
    if (added) this.nodesChanged();
    if (added || !sameLabels(labels, info.labels)) {
      this.forgetDomains();
      this.table?.labelsChanged();
    }
  }

  removeNode(name: string): void {
    const info = this.infos.get(name);
    if (!info) return;
    if (info.pods.size === 0) this.infos.delete(name);
    else (info as { node: Node | undefined }).node = undefined;
    this.nodesChanged();
    this.forgetDomains();
  }

  /** Domain totals follow node labels: a node coming, going or relabelled rebuilds them when next asked. */
  private forgetDomains(): void {
    for (const idx of this.indexes.values()) idx.domains.clear();
  }

  /** Places a pod (bound or assumed); replaces an earlier version of the same pod. */
  addPod(p: PodInfo): void {
    const prev = this.podNode.get(p.key);
    if (prev !== undefined && countsSame(prev, p)) {
      // Most pod events are status writes: nothing counted changes, so nothing is recounted.
      this.podNode.delete(p.key);
      this.podNode.set(p.key, p);
      this.infos.get(p.nodeName)!.replacePod(prev, p);
      if (this.withScoring.delete(prev)) this.withScoring.add(p);
      return;
    }
    this.removePod(p.key);
    const info = this.info(p.nodeName);
    info.addPod(p);
    this.podNode.set(p.key, p);
    if (hasScoringTerms(p)) this.withScoring.add(p);
    this.useAntiTerms(p, 1);
    for (const c of p.claims) {
      const k = `${p.namespace}/${c}`;
      let m = this.users.get(k);
      if (!m) this.users.set(k, (m = new Map()));
      m.set(p.nodeName, (m.get(p.nodeName) ?? 0) + 1);
    }
    this.buckets.forEach(p.namespace, p.labels, (idx) => this.indexPod(idx, p, 1));
  }

  removePod(key: string): PodInfo | undefined {
    const p = this.podNode.get(key);
    if (!p) return undefined;
    this.podNode.delete(key);
    const info = this.infos.get(p.nodeName);
    if (info) {
      info.removePod(p);
      if (!info.exists && info.pods.size === 0) this.infos.delete(p.nodeName);
    }
    this.withScoring.delete(p);
    this.useAntiTerms(p, -1);
    for (const c of p.claims) {
      const k = `${p.namespace}/${c}`;
      const m = this.users.get(k);
      if (!m) continue;
      const n = (m.get(p.nodeName) ?? 0) - 1;
      if (n > 0) m.set(p.nodeName, n);
      else m.delete(p.nodeName);
      if (m.size === 0) this.users.delete(k);
    }
    this.buckets.forEach(p.namespace, p.labels, (idx) => this.indexPod(idx, p, -1));
    return p;
  }

  private useAntiTerms(p: PodInfo, sign: 1 | -1): void {
    for (const term of p.requiredAntiAffinity) {
      const sig = termSignature(term);
      let use = this.antiTerms.get(sig);
      if (!use) this.antiTerms.set(sig, (use = { term, nodes: new Map() }));
      bump(use.nodes, p.nodeName, sign);
      if (use.nodes.size === 0) this.antiTerms.delete(sig);
    }
  }

  pod(key: string): PodInfo | undefined {
    return this.podNode.get(key);
  }

  get podCount(): number {
    return this.podNode.size;
  }

  setNamespace(name: string, labels: Labels | undefined): void {
    this.nsLabels.set(name, labels ?? {});
  }

  removeNamespace(name: string): void {
    this.nsLabels.delete(name);
  }

  setPVC(pvc: PersistentVolumeClaim): void {
    this.claims.set(`${pvc.metadata!.namespace}/${pvc.metadata!.name}`, pvc);
  }

  removePVC(ns: string, name: string): void {
    this.claims.delete(`${ns}/${name}`);
  }

  setPV(pv: PersistentVolume): void {
    this.volumes.set(pv.metadata!.name!, pv);
  }

  removePV(name: string): void {
    this.volumes.delete(name);
  }

  setDisruptionBudget(pdb: PodDisruptionBudget): void {
    this.budgets.set(`${pdb.metadata!.namespace}/${pdb.metadata!.name}`, pdb);
  }

  removeDisruptionBudget(ns: string, name: string): void {
    this.budgets.delete(`${ns}/${name}`);
  }

  disruptionBudgets(): Iterable<PodDisruptionBudget> {
    return this.budgets.values();
  }

  setStorageClass(sc: StorageClass): void {
    this.classes.set(sc.metadata!.name!, sc);
  }

  removeStorageClass(name: string): void {
    this.classes.delete(name);
  }

  podsWithScoringTerms(): Iterable<PodInfo> {
    return this.withScoring;
  }

  requiredAntiAffinityTerms(): Iterable<TermUse> {
    return this.antiTerms.values();
  }

  namespaceLabels(ns: string): Labels | undefined {
    return this.nsLabels.get(ns);
  }

  pvc(ns: string, name: string): PersistentVolumeClaim | undefined {
    return this.claims.get(`${ns}/${name}`);
  }

  pv(name: string): PersistentVolume | undefined {
    return this.volumes.get(name);
  }

  persistentVolumes(): Iterable<PersistentVolume> {
    return this.volumes.values();
  }

  storageClass(name: string): StorageClass | undefined {
    return this.classes.get(name);
  }

  claimUsers(ns: string, claim: string): ReadonlyMap<string, number> | undefined {
    return this.users.get(`${ns}/${claim}`);
  }

  matchingByNode(ns: string, selector: Selector, selectorKey: string, includeTerminating: boolean): ReadonlyMap<string, number> {
    const idx = this.index(ns, selector, selectorKey);
    return includeTerminating ? idx.all : idx.live;
  }

  matchingByDomain(ns: string, selector: Selector, selectorKey: string, topologyKey: string): ReadonlyMap<string, number> {
    const idx = this.index(ns, selector, selectorKey);
    let d = idx.domains.get(topologyKey);
    if (!d) idx.domains.set(topologyKey, (d = domainTotals(this, idx.live, topologyKey)));
    return d;
  }

  matchingByRow(ns: string, selector: Selector, selectorKey: string, t: NodeTable): Int32Array {
    const idx = this.index(ns, selector, selectorKey);
    if (idx.rowsOf !== t || !t.live) {
      const rows = new Int32Array(t.size);
      for (const [name, cnt] of idx.live) {
        const n = this.infos.get(name);
        if (n !== undefined && n.table === t) rows[n.row] = cnt;
      }
      idx.rows = rows;
      idx.rowsOf = t;
    }
    return idx.rows!;
  }

  private index(ns: string, selector: Selector, selectorKey: string): MatchIndex {
    const k = `${ns}\u0000${selectorKey}`;
    let idx = this.indexes.get(k);
    if (!idx) idx = this.buildIndex(k, ns, selector);
    idx.used = ++this.uses;
    return idx;
  }

  private buildIndex(k: string, ns: string, selector: Selector): MatchIndex {
    if (this.indexes.size >= MAX_INDEXES) {
      let oldest: string | undefined;
      let least = Infinity;
      for (const [key, v] of this.indexes) if (v.used < least) [least, oldest] = [v.used, key];
      this.buckets.delete(this.indexes.get(oldest!)!);
      this.indexes.delete(oldest!);
    }
    const idx: MatchIndex = { ns, selector, live: new Map(), all: new Map(), domains: new Map(), rows: undefined, rowsOf: undefined, used: 0 };
    for (const p of this.podNode.values()) this.indexPod(idx, p, 1);
    this.indexes.set(k, idx);
    this.buckets.add(idx);
    return idx;
  }

  private indexPod(idx: MatchIndex, p: PodInfo, sign: 1 | -1): void {
    if (p.namespace !== idx.ns || !matches(idx.selector, p.labels)) return;
    bump(idx.all, p.nodeName, sign);
    if (p.terminating) return;
    bump(idx.live, p.nodeName, sign);
    const t = idx.rowsOf;
    if (t !== undefined && t.live) {
      const n = this.infos.get(p.nodeName);
      if (n !== undefined && n.table === t) idx.rows![n.row]! += sign;
    }
    if (idx.domains.size === 0) return;
    const n = this.node(p.nodeName);
    if (n) for (const [key, d] of idx.domains) bump(d, n.labels[key] ?? '', sign);
  }
}

/**
 * Whether two versions of a placed pod count alike everywhere in the cache: all it counts comes
 * from the spec and labels (requests, ports, claims, terms), the node and whether it terminates;
 * the store shares an unchanged spec and labels between versions, so identity says it cheaply.
 */
function countsSame(a: PodInfo, b: PodInfo): boolean {
  return a.spec === b.spec && a.labels === b.labels && a.nodeName === b.nodeName && a.terminating === b.terminating && a.uid === b.uid && a.namespace === b.namespace;
}

function sameLabels(a: Labels, b: Labels): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (a[k] !== b[k]) return false;
  return true;
}

function bump(m: Map<string, number>, key: string, by: number): void {
  const n = (m.get(key) ?? 0) + by;
  if (n) m.set(key, n);
  else m.delete(key);
}

/** Terms that move other pods' scores (PodsWithAffinity, less the pods with only required anti-affinity, which never score). */
export function hasScoringTerms(p: PodInfo): boolean {
  return p.requiredAffinity.length > 0 || p.preferredAffinity.length > 0 || p.preferredAntiAffinity.length > 0;
}
