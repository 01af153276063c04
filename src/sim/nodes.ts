// A set of simulated nodes (KWOK-style): the pure reconciles of kubelet.ts run as controllers on
// the shared runtime, one for the nodes (registration, status, Lease) and a few shards for the
// pods, against any ApiClient — in process or over HTTPS. A node can be stopped, which is a
// simulated failure: it stops renewing its Lease and stops tending its pods.
import type { Taint } from 'kubernetes-types/core/v1.js';
import { R, type ApiClient } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import { fnv32a } from '../model/hash.js';
import { ControllerRunner, SharedInformers, keyOf, splitKey, type ClusterView, type Controller, type RunnerOptions } from '../controllers/runtime.js';
import { defaultTiming, NODE_LEASE_NAMESPACE, reconcileSimNode, type SimNodeObservation, type SimNodeSpec, type SimTiming } from './kubelet.js';
import { SimPodWorkers, type SimPodObservation } from './pods.js';

export interface SimNodesOptions {
  count: number;
  namePrefix?: string;
  /** The index of the first node (names and address blocks follow from it). */
  firstIndex?: number;
  cpu?: string;
  memory?: string;
  pods?: number;
  ephemeralStorage?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  timing?: Partial<SimTiming>;
  /** How many pod controllers (each its own queue) share the pods. */
  podShards?: number;
  runner?: RunnerOptions;
}

/**
 * The /16s of 10.0.0.0/8 that pod CIDRs are cut from, in order: 10.244–10.255 first (the usual
 * cluster CIDR), then 10.112–10.243, then 10.0–10.95; never the service range 10.96.0.0/12.
 */
const POD_BLOCKS: readonly number[] = [
  ...Array.from({ length: 12 }, (_, k) => 244 + k),
  ...Array.from({ length: 132 }, (_, k) => 112 + k),
  ...Array.from({ length: 96 }, (_, k) => k),
];

/** How many nodes the simulator can give a pod CIDR of their own (a /24 each). */
export const MAX_SIM_NODES = POD_BLOCKS.length * 256;

/** Node i's pod CIDR: 10.244.0.0/24, 10.244.1.0/24, … 10.244.255.0/24, 10.245.0.0/24, … (POD_BLOCKS). */
export function podCIDROf(i: number): string {
  const block = POD_BLOCKS[Math.floor(i / 256)];
  if (!Number.isInteger(i) || i < 0 || block === undefined) throw new RangeError(`node ${i}: the simulator has pod CIDRs for ${MAX_SIM_NODES} nodes`);
  return `10.${block}.${i % 256}.0/24`;
}

/** Node i's InternalIP, in 172.16.0.0/12 (outside the pod and service ranges). */
export function nodeIPOf(i: number): string {
  const n = i + 2;
  return `172.${16 + Math.floor(n / 65536)}.${Math.floor(n / 256) % 256}.${n % 256}`;
}

const bound = (o: KubeObject) => (o.spec as { nodeName?: string } | undefined)?.nodeName;

export class SimNodes {
  readonly specs = new Map<string, SimNodeSpec>();
  private readonly stopped = new Set<string>();
  /** The nodes' runtimes and their pods' workers (the kubelet's sync over in-memory containers). */
  readonly pods = new SimPodWorkers(() => Date.now());
  readonly runner: ControllerRunner;
  private readonly shards: number;

  constructor(client: ApiClient, opts: SimNodesOptions) {
    const timing = { ...defaultTiming, ...opts.timing };
    const first = opts.firstIndex ?? 0;
    for (let i = first; i < first + opts.count; i++) {
      const name = `${opts.namePrefix ?? 'sim-node-'}${i}`;
      this.specs.set(name, {
        name,
        cpu: opts.cpu ?? '4',
        memory: opts.memory ?? '16Gi',
        pods: opts.pods ?? 110,
        ephemeralStorage: opts.ephemeralStorage ?? '100Gi',
        labels: opts.labels ?? {},
        taints: opts.taints ?? [],
        podCIDR: podCIDROf(i),
        internalIP: nodeIPOf(i),
        timing,
      });
    }
    this.shards = Math.max(1, opts.podShards ?? 4);
    this.runner = new ControllerRunner(client, new SharedInformers(client), opts.runner ?? {});
    this.runner.add(this.nodeController());
    for (let s = 0; s < this.shards; s++) this.runner.add(this.podController(s));
  }

  get names(): string[] {
    return [...this.specs.keys()];
  }

  /** Registers the nodes and starts tending them; resolves once the caches are filled. */
  start(): Promise<void> {
    return this.runner.start();
  }

  /** Stops every node at once (as a process exit would): no more heartbeats or pod updates. */
  stop(): void {
    this.runner.stop();
  }

  /** Simulates the failure of one node. */
  stopNode(name: string): void {
    this.stopped.add(name);
  }

  /** Brings a stopped node back. */
  startNode(name: string): void {
    this.stopped.delete(name);
  }

  isStopped(name: string): boolean {
    return this.stopped.has(name);
  }

  private readonly shardByNode = new Map<string, number>();

  /** Every shard asks this of every pod event: hashed once per node. */
  private shardOf(node: string): number {
    let s = this.shardByNode.get(node);
    if (s === undefined) this.shardByNode.set(node, (s = fnv32a(node) % this.shards));
    return s;
  }

  nodeController(): Controller<SimNodeObservation> {
    const ours = (name: string | undefined) => (name && this.specs.has(name) ? [name] : []);
    return {
      name: 'sim-nodes',
      // Each node's writes wait on a commit; with a thousand nodes renewing Leases every 10 s, few
      // workers cannot keep up under load and Leases expire (nodes turn NotReady).
      workers: 64,
      watches: [
        // Nothing exists to watch before registration: the lease namespace's arrival (the first
        // list) starts every node off.
        { resource: R.namespaces, keys: (o) => (o.metadata.name === NODE_LEASE_NAMESPACE ? this.names : []) },
        { resource: R.nodes, keys: (o) => ours(o.metadata.name) },
        { resource: R.leases, keys: (o) => (o.metadata.namespace === NODE_LEASE_NAMESPACE ? ours(o.metadata.name) : []) },
      ],
      observe: (key, view) => {
        const spec = this.specs.get(key);
        const node = view.get(R.nodes, undefined, key);
        const lease = view.get(R.leases, NODE_LEASE_NAMESPACE, key);
        return { ...(spec ? { spec } : {}), stopped: this.stopped.has(key), ...(node ? { node } : {}), ...(lease ? { lease } : {}) };
      },
      reconcile: reconcileSimNode,
    };
  }

  podController(shard: number): Controller<SimPodObservation> {
    const mine = (node: string | undefined) => !!node && this.specs.has(node) && this.shardOf(node) === shard;
    return {
      name: `sim-pods-${shard}`,
      // Many pods move at once on a large simulated cluster; their writes share the store's commits.
      workers: 16,
      watches: [
        { resource: R.pods, keys: (o) => (mine(bound(o)) ? [keyOf(o)] : []) },
        // A node coming back (its status rewritten) resumes its pods.
        { resource: R.nodes, keys: (o, view: ClusterView) => (mine(o.metadata.name) ? view.podsOnNode(o.metadata.name!).map(keyOf) : []) },
      ],
      observe: (key, view) => {
        const { namespace, name } = splitKey(key);
        const pod = view.get(R.pods, namespace, name);
        const nodeName = pod && bound(pod);
        const spec = nodeName ? this.specs.get(nodeName) : undefined;
        return {
          key,
          ...(pod ? { pod } : {}),
          ...(spec ? { node: spec } : {}),
          stopped: !!nodeName && this.stopped.has(nodeName),
          ...(spec && !this.pods.hasRuntime(spec.name) ? { nodePods: view.podsOnNode(spec.name) } : {}),
        };
      },
      reconcile: (obs, now) => this.pods.sync(obs, now),
    };
  }
}

/** Parses `k=v:Effect` (kubectl taint syntax; `k:Effect` for an empty value). */
export function parseTaint(s: string): Taint {
  const m = /^([^=:]+)(?:=([^:]*))?:(NoSchedule|PreferNoSchedule|NoExecute)$/.exec(s);
  if (!m) throw new Error(`invalid taint "${s}": want key=value:Effect with Effect NoSchedule, PreferNoSchedule or NoExecute`);
  return { key: m[1]!, ...(m[2] ? { value: m[2] } : {}), effect: m[3]! };
}
