// The kubelet: the thin runner around the pure pod-sync decision (sync.ts). It registers its
// Node and renews its Lease, watches the pods bound to it, and for each pod observes the runtime,
// asks syncPod what to do, writes the pod's status when it changed and carries out the actions
// against the runtime. Pods are synced one at a time each (a worker per pod), again whenever a
// container of theirs starts or exits, a probe result changes, a back-off ends, or every resync
// period. Stopping the kubelet stops its heartbeat and leaves containers running, as upstream.
import type { ConfigMap, Container as PodContainer, Node, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Volume } from 'kubernetes-types/core/v1.js';
import { readFileSync } from 'node:fs';
import { R, type ApiClient } from '../model/api.js';
import { rfc3339, rfc3339Micro, type KubeObject } from '../model/object.js';
import { StatusError } from '../model/status.js';
import { parseQuantity } from '../model/quantity.js';
import { Informer } from '../client/informer.js';
import { EventRecorder, type EventObject } from '../client/events.js';
import { ConfigError, containerConfig, containerHash, etcHosts, sandboxConfig, volumePlan, type ConfigLookups, type NodeFacts, type VolumePaths } from './container-config.js';
import { leaseObject, LEASE_DURATION_SECONDS, LEASE_RENEW_MS, machineFacts, NODE_LEASE_NAMESPACE, nodeObject, nodeStatus, STATUS_REPORT_MS, type MachineFacts } from './node.js';
import { Prober, type ProbeKind, type ProbeOutcome } from './prober.js';
import { LABEL_CONTAINER_KIND, LABEL_POD_UID, ANNOTATION_CONTAINER_HASH, RuntimeError, type Runtime } from './runtime.js';
import { cleanupOrphan, podUpdateNeedsSync, statusChanged, syncPod, type BackoffEntry, containerKind, specOf, type ObservedContainer, type ObservedSandbox, type PodObj, type StartFailure, type SyncAction } from './sync.js';
import { activePods, killPodActions, nodeAllocatableConfig, orphanedPodCgroups, podCgroupName, podCgroupStep, possiblyRunningPods, qosTierConfigs, resourceConfigForPod } from './pod-cgroups.js';
import type { PodCgroupManager } from './cgroup-manager.js';
import { PodDirs } from './volumes.js';
import { MAX_JITTER_MS, TokenManager } from './tokens.js';
import { runHook } from './hooks.js';
import { parseResolvConf, podDNSConfig } from './dns/config.js';
import { serviceEnv } from './proxy/envvars.js';
import type { ServiceObj } from './proxy/rules.js';

export interface KubeletOptions {
  nodeName: string;
  /** The kubelet's root: pods/<uid>/ volumes and hosts files. */
  dataDir: string;
  runtime: Runtime;
  /** The node's InternalIP (default: the first non-loopback IPv4 address). */
  nodeIP?: string;
  /** The port its streaming server (server.ts) listens on, published as the Node's kubeletEndpoint. */
  port?: number;
  /** Every pod is synced at least this often. */
  resyncMs?: number;
  /** The cluster DNS Service's address for ClusterFirst pods (--cluster-dns); absent: pods get the host's resolvers. */
  clusterDNS?: string[];
  clusterDomain?: string;
  /**
   * The pod and QoS cgroups (cgroups-per-qos): each pod in its own cgroup under its QoS tier, its
   * sandbox and containers inside. Absent (simulated nodes): none, containers where the runtime puts them.
   */
  cgroups?: PodCgroupManager;
  log?: (msg: string) => void;
}

/** How often the QoS tiers are set again without a pod coming or going (periodicQOSCgroupUpdateInterval). */
const QOS_UPDATE_MS = 60_000;

/** minimumGracePeriodInSeconds: what is left for the stop signal after a preStop hook. */
const MIN_GRACE_AFTER_HOOK = 2;

const ns2ms = (ns: bigint) => Number(ns / 1_000_000n);

interface PodWorker {
  busy: boolean;
  again: boolean;
  timer?: NodeJS.Timeout;
  backoff: Record<string, BackoffEntry>;
  failures: Record<string, StartFailure>;
}

export class Kubelet {
  private readonly pods: Informer;
  private readonly configMaps: Informer;
  private readonly secrets: Informer;
  private readonly services: Informer;
  private readonly byUid = new Map<string, PodObj>();
  private readonly workers = new Map<string, PodWorker>();
  private readonly dirs: PodDirs;
  private readonly prober: Prober;
  private readonly tokens: TokenManager;
  private readonly recorder: EventRecorder;
  private readonly facts: MachineFacts;
  private readonly runtimeName: string;
  private readonly runtimeVersion: string;
  private timers: NodeJS.Timeout[] = [];
  private offEvents?: () => void;
  private stopped = false;
  private eventSeq = 0;
  private lastStatusReport = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly opts: KubeletOptions,
  ) {
    this.pods = new Informer(client, R.pods, { fieldSelector: `spec.nodeName=${opts.nodeName}` });
    this.configMaps = new Informer(client, R.configmaps);
    this.secrets = new Informer(client, R.secrets);
    this.services = new Informer(client, R.services);
    this.dirs = new PodDirs(opts.dataDir);
    this.recorder = new EventRecorder(client, () => Date.now());
    this.facts = machineFacts(opts.dataDir, opts.nodeIP);
    const v = opts.runtime.version();
    this.runtimeName = v.runtimeName;
    this.runtimeVersion = `${v.runtimeName}://${v.runtimeVersion}`;
    this.prober = new Prober(opts.runtime, (uid, _id, name, kind, outcome) => this.onProbe(uid, name, kind, outcome));
    this.tokens = new TokenManager(
      (ns, _sa, request) => client.create(R.serviceaccounts, ns, request, { subresource: 'token' }),
      () => Date.now(),
      () => Math.floor(Math.random() * MAX_JITTER_MS),
      (m) => this.log(m),
    );
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  /** The node's InternalIP. */
  get nodeIP(): string {
    return this.facts.internalIP;
  }

  private log(msg: string): void {
    this.opts.log?.(`kubelet: ${msg}`);
  }

  /** Registers the node, fills the caches, adopts or cleans up what the runtime has, and starts syncing. */
  async start(): Promise<void> {
    // node allocatable and the QoS tiers before any pod is synced into them
    await this.opts.cgroups?.start(nodeAllocatableConfig({ cpuMilli: this.facts.cpus * 1000, memoryBytes: this.facts.memoryBytes, pids: this.facts.maxPIDs }));
    await this.register();
    this.pods.on((ev) => {
      const pod = ev.object as PodObj;
      if (ev.type === 'delete') this.byUid.delete(pod.metadata.uid!);
      else this.byUid.set(pod.metadata.uid!, pod);
      // (a change of status alone, such as this kubelet's own writes coming back, starts no sync)
      if (ev.type !== 'update' || !ev.old || podUpdateNeedsSync(pod, ev.old as PodObj)) this.schedule(pod.metadata.uid!);
    });
    await Promise.all([this.pods.start(), this.configMaps.start(), this.secrets.start(), this.services.start()]);
    await this.updateQOS();
    this.offEvents = this.opts.runtime.onContainerEvent((_id, labels) => {
      const uid = labels[LABEL_POD_UID];
      if (uid) this.schedule(uid);
    });
    // what the runtime runs for pods that are gone is removed; the rest is adopted by its pod's sync
    for (const uid of await this.runtimeUids()) this.schedule(uid);
    for (const uid of this.dirs.knownPods()) this.schedule(uid);
    // the cgroups of pods deleted while the kubelet was away, once what still runs of them is seen
    await this.cleanupPodCgroups();
    const resync = setInterval(() => {
      void this.runtimeUids().then((uids) => {
        for (const uid of new Set([...uids, ...this.byUid.keys()])) this.schedule(uid);
      }, () => undefined);
      void this.cleanupPodCgroups();
    }, this.opts.resyncMs ?? 10_000);
    const beat = setInterval(() => void this.heartbeat().catch((e: unknown) => this.log(`heartbeat: ${String(e)}`)), LEASE_RENEW_MS);
    this.timers.push(resync, beat);
    if (this.opts.cgroups) this.timers.push(setInterval(() => void this.updateQOS(), QOS_UPDATE_MS));
  }

  /** Stops heartbeating and syncing; containers keep running. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    for (const w of this.workers.values()) if (w.timer) clearTimeout(w.timer);
    this.offEvents?.();
    this.prober.stop();
    this.pods.stop();
    this.configMaps.stop();
    this.secrets.stop();
    this.services.stop();
  }

  // ---- cgroups ----------------------------------------------------------------------------------

  /** The pod's cgroup as the runtime's CgroupParent, when the kubelet has the hierarchy. */
  private cgroupParent(pod: PodObj): { cgroupParent?: string } {
    return this.opts.cgroups ? { cgroupParent: podCgroupName(this.opts.cgroups.layout, pod) } : {};
  }

  /** UpdateQOSCgroups: the tiers' shares from the pods now active. */
  private async updateQOS(): Promise<void> {
    const cm = this.opts.cgroups;
    if (!cm || this.stopped) return;
    const t = qosTierConfigs(activePods([...this.byUid.values()]));
    try {
      await cm.update(cm.layout.burstable, t.burstable);
      await cm.update(cm.layout.bestEffort, t.bestEffort);
    } catch (e) {
      this.log(`failed to update QoS cgroups: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The pod cgroup step of a pod's sync; true when it killed the pod's containers (to come back in its cgroup). */
  private async ensurePodCgroup(pod: PodObj, sandboxes: ObservedSandbox[], containers: ObservedContainer[], w: PodWorker): Promise<boolean> {
    const cm = this.opts.cgroups;
    if (!cm) return false;
    const name = podCgroupName(cm.layout, pod);
    const step = podCgroupStep(pod, cm.exists(name), containers);
    if (step.kill) {
      this.log(`pod ${this.podDesc(pod)} runs outside its cgroup ${name}: killing it to start it again inside`);
      await this.execute(pod, killPodActions(pod, sandboxes, containers), w);
    }
    if (step.create) {
      await this.updateQOS();
      try {
        await cm.create(name, resourceConfigForPod(pod));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        this.event(pod, 'Warning', 'FailedCreatePodContainer', `unable to ensure pod container exists: failed to create container for ${name} : ${msg}`);
        throw new Error(`failed to ensure that the pod: ${pod.metadata.uid} cgroups exist and are correctly applied: ${msg}`);
      }
    }
    return step.kill;
  }

  /** A pod whose containers are all gone: its cgroup goes, and the tiers are set for the pods left. */
  private async removePodCgroup(uid: string): Promise<void> {
    const cm = this.opts.cgroups;
    const name = cm?.podCgroups().get(uid);
    if (!cm || !name) return;
    await cm.destroy(name);
    await this.updateQOS();
  }

  /** HandlePodCleanups' cleanupOrphanedPodCgroups: pod cgroups whose pods are neither known and running nor running in the runtime. */
  private async cleanupPodCgroups(): Promise<void> {
    const cm = this.opts.cgroups;
    if (!cm || this.stopped) return;
    try {
      const found = cm.podCgroups();
      if (found.size === 0) return;
      const [sbs, cs] = await Promise.all([this.opts.runtime.listPodSandbox(), this.opts.runtime.listContainers()]);
      const running = [...sbs.filter((s) => s.state === 'SANDBOX_READY').map((s) => s.metadata.uid), ...cs.filter((c) => c.state === 'CONTAINER_RUNNING').map((c) => c.labels[LABEL_POD_UID] ?? '')];
      const { destroy, reduceCPU } = orphanedPodCgroups(found, possiblyRunningPods([...this.byUid.values()], running), (uid) => this.dirs.hasMounts(uid));
      for (const name of reduceCPU) await cm.reduceCPU(name);
      for (const name of destroy) {
        this.log(`removing the cgroup ${name} of a pod no longer running`);
        await cm.destroy(name);
      }
      if (destroy.length) await this.updateQOS();
    } catch (e) {
      this.log(`cleaning up orphaned pod cgroups: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** Removes the kubelet's whole cgroup hierarchy (the pods' containers must be gone): a node that takes its pods with it. */
  async removeCgroups(): Promise<void> {
    await this.opts.cgroups?.removeAll();
  }

  /** Unmounts and removes every pod's directory (volumes included), once the node's pods are gone. */
  async removePodDirs(): Promise<void> {
    for (const uid of this.dirs.knownPods()) {
      // one pod's busy mount must not keep the others' volumes (or the cgroups after them) in place
      await this.dirs.tearDown(uid).catch((e: unknown) => this.log(`pod ${uid}: volumes not taken down: ${e instanceof Error ? e.message : String(e)}`));
      this.tokens.forget(uid);
    }
  }

  // ---- the node ---------------------------------------------------------------------------------

  private async register(): Promise<void> {
    const name = this.opts.nodeName;
    let node: KubeObject;
    try {
      node = await this.client.create(R.nodes, undefined, nodeObject(this.facts, name, this.runtimeVersion, Date.now(), this.opts.port));
      this.log(`registered node ${name}`);
    } catch (e) {
      if (!StatusError.is(e, 'AlreadyExists')) throw e;
      node = await this.client.get(R.nodes, undefined, name);
    }
    await this.postStatus(node);
    const event = (reason: string, message: string) => this.event(node, 'Normal', reason, message);
    event('Starting', 'Starting kubelet.');
    for (const r of ['NodeHasSufficientMemory', 'NodeHasNoDiskPressure', 'NodeHasSufficientPID']) event(r, `Node ${name} status is now: ${r}`);
    event('NodeReady', `Node ${name} status is now: NodeReady`);
    await this.renewLease(node);
  }

  private async postStatus(node: KubeObject): Promise<void> {
    const status = nodeStatus(this.facts, this.opts.nodeName, this.runtimeVersion, (node as Node).status?.conditions, Date.now(), this.opts.port);
    await this.client.patch(R.nodes, undefined, this.opts.nodeName, 'application/strategic-merge-patch+json', { status }, { subresource: 'status' });
    this.lastStatusReport = Date.now();
  }

  private async renewLease(node: KubeObject): Promise<void> {
    const now = Date.now();
    try {
      await this.client.patch(R.leases, NODE_LEASE_NAMESPACE, this.opts.nodeName, 'application/merge-patch+json', {
        spec: { holderIdentity: this.opts.nodeName, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: rfc3339Micro(now) },
      });
    } catch (e) {
      if (!StatusError.is(e, 'NotFound')) throw e;
      await this.client.create(R.leases, NODE_LEASE_NAMESPACE, leaseObject(this.opts.nodeName, node.metadata.uid!, now));
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    let node: KubeObject;
    try {
      node = await this.client.get(R.nodes, undefined, this.opts.nodeName);
    } catch (e) {
      // deleted from under us: register again, as the kubelet does
      if (StatusError.is(e, 'NotFound')) return this.register();
      throw e;
    }
    await this.renewLease(node);
    const ready = (node as Node).status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True' || Date.now() - this.lastStatusReport >= STATUS_REPORT_MS) await this.postStatus(node);
  }

  private nodeFacts(): NodeFacts {
    return {
      hostIP: this.facts.internalIP,
      nodeName: this.opts.nodeName,
      allocatable: { cpu: parseQuantity(String(this.facts.cpus)), memory: parseQuantity(String(this.facts.memoryBytes)) },
      memoryCapacityBytes: this.facts.memoryBytes,
    };
  }

  // ---- events -----------------------------------------------------------------------------------

  private event(about: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string, fieldPath?: string): void {
    const m = about.metadata;
    const ns = m.namespace || 'default';
    const now = Date.now();
    const time = rfc3339(now);
    const ev: EventObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${m.name}.${(BigInt(now) * 1_000_000n + BigInt(this.eventSeq++ % 1_000_000)).toString(16)}`, namespace: ns },
      involvedObject: { apiVersion: about.apiVersion ?? 'v1', kind: about.kind ?? 'Pod', name: m.name, namespace: m.namespace, uid: m.uid, ...(fieldPath ? { fieldPath } : {}) },
      reason,
      message,
      type,
      source: { component: 'kubelet', host: this.opts.nodeName },
      firstTimestamp: time,
      lastTimestamp: time,
      count: 1,
      reportingComponent: 'kubelet',
      reportingInstance: this.opts.nodeName,
    } as EventObject;
    void this.recorder.record(ev);
  }

  // ---- pod workers ------------------------------------------------------------------------------

  private async runtimeUids(): Promise<Set<string>> {
    const [sbs, cs] = await Promise.all([this.opts.runtime.listPodSandbox(), this.opts.runtime.listContainers()]);
    return new Set([...sbs.map((s) => s.metadata.uid), ...cs.map((c) => c.labels[LABEL_POD_UID] ?? '')].filter(Boolean));
  }

  /** Syncs a pod soon (after delayMs); a sync already under way runs once more after it. */
  schedule(uid: string, delayMs = 0): void {
    if (this.stopped) return;
    let w = this.workers.get(uid);
    if (!w) this.workers.set(uid, (w = { busy: false, again: false, backoff: {}, failures: {} }));
    const worker = w;
    if (delayMs > 0) {
      if (worker.timer) clearTimeout(worker.timer);
      worker.timer = setTimeout(() => {
        worker.timer = undefined;
        this.schedule(uid);
      }, delayMs);
      worker.timer.unref();
      return;
    }
    if (worker.busy) {
      worker.again = true;
      return;
    }
    worker.busy = true;
    void (async () => {
      try {
        do {
          worker.again = false;
          let more = true;
          // a few rounds at once: each round's actions change what the next one sees
          for (let round = 0; more && round < 8 && !this.stopped; round++) more = await this.syncOnce(uid, worker);
        } while (worker.again && !this.stopped);
      } catch (e) {
        this.log(`sync of pod ${uid} failed: ${e instanceof Error ? e.message : String(e)}`);
        worker.busy = false;
        this.schedule(uid, 1000);
        return;
      }
      worker.busy = false;
      if (!this.byUid.has(uid) && !worker.timer && !(await this.runtimeUids().catch(() => new Set<string>())).has(uid)) this.workers.delete(uid);
    })();
  }

  private async observe(uid: string): Promise<{ sandboxes: ObservedSandbox[]; containers: ObservedContainer[] }> {
    const rt = this.opts.runtime;
    const sbs = await rt.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } });
    const sandboxes: ObservedSandbox[] = [];
    for (const s of sbs) {
      const st = await rt.podSandboxStatus(s.id).catch(() => undefined);
      if (!st) continue;
      sandboxes.push({ id: s.id, attempt: s.metadata.attempt, ready: st.state === 'SANDBOX_READY', ...(st.network ? { ip: st.network.ip } : {}), createdAt: ns2ms(s.createdAt) });
    }
    const containers: ObservedContainer[] = [];
    for (const c of await rt.listContainers({ labelSelector: { [LABEL_POD_UID]: uid } })) {
      const st = await rt.containerStatus(c.id).catch(() => undefined);
      if (!st) continue;
      containers.push({
        id: c.id,
        name: c.metadata.name,
        kind: containerKind(c.labels[LABEL_CONTAINER_KIND]),
        attempt: c.metadata.attempt,
        sandboxId: c.podSandboxId,
        state: st.state === 'CONTAINER_RUNNING' ? 'running' : st.state === 'CONTAINER_EXITED' ? 'exited' : st.state === 'CONTAINER_CREATED' ? 'created' : 'unknown',
        createdAt: ns2ms(st.createdAt),
        ...(st.startedAt ? { startedAt: ns2ms(st.startedAt) } : {}),
        ...(st.finishedAt ? { finishedAt: ns2ms(st.finishedAt) } : {}),
        exitCode: st.exitCode,
        reason: st.reason,
        message: st.message,
        image: st.image,
        imageRef: st.imageRef,
        hash: st.annotations[ANNOTATION_CONTAINER_HASH] ?? '',
      });
    }
    return { sandboxes, containers };
  }

  /** One decision and its execution; true when it changed something worth looking at again now. */
  private async syncOnce(uid: string, w: PodWorker): Promise<boolean> {
    const { sandboxes, containers } = await this.observe(uid);
    const pod = this.byUid.get(uid);
    if (!pod) {
      if (sandboxes.length || containers.length) {
        await this.execute(undefined, cleanupOrphan(sandboxes, containers), w);
        this.log(`removed the containers of pod ${uid} (deleted)`);
      }
      await this.dirs.tearDown(uid);
      this.tokens.forget(uid);
      await this.removePodCgroup(uid);
      return false;
    }
    if (await this.ensurePodCgroup(pod, sandboxes, containers, w)) return true;
    const live = new Set(containers.filter((c) => c.state === 'running').map((c) => c.id));
    for (const c of containers) if (c.state !== 'running') this.prober.forget(c.id);
    const probes: Record<string, ReturnType<Prober['state']>> = {};
    for (const id of live) probes[id] = this.prober.state(id);
    const hashes: Record<string, string> = {};
    for (const c of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) hashes[c.name] = containerHash(c);
    const now = Date.now();
    const d = syncPod({ pod, sandboxes, containers, probes, backoff: w.backoff, failures: w.failures, hostIP: this.facts.internalIP, runtimeName: this.runtimeName, hashes }, now);
    w.backoff = d.backoff;
    // running containers get their probes (a restarted kubelet picks them up again here)
    const ip = () => this.currentIP(uid);
    for (const c of containers) {
      if (c.state !== 'running') continue;
      // (ephemeral containers have no probes)
      const spec = c.kind === 'ephemeral' ? undefined : specOf(pod, c.kind, c.name);
      if (spec) this.prober.watch(uid, c.id, spec, ip);
    }
    if (statusChanged(pod, d.status)) await this.writeStatus(pod, d.status);
    if (d.actions.length) await this.execute(pod, d.actions, w);
    await this.refreshTokens(pod, sandboxes);
    if (d.requeueAfterMs !== undefined) this.schedule(uid, d.requeueAfterMs);
    // a pod being deleted is looked at again until it is gone; other actions settle in the next round
    return d.actions.some((a) => a.kind !== 'deletePod');
  }

  private ips = new Map<string, string>();
  private currentIP(uid: string): string | undefined {
    return this.ips.get(uid) ?? this.byUid.get(uid)?.status?.podIP;
  }

  private async writeStatus(pod: PodObj, status: Pod['status']): Promise<void> {
    try {
      // fields of the status others own (nominatedNodeName, resize) stay as they are
      const written = (await this.client.update(R.pods, pod.metadata.namespace, { ...pod, status: { ...pod.status, ...status } } as KubeObject, { subresource: 'status' })) as PodObj;
      // the next round must see what we wrote, not the cache's older copy
      if (this.byUid.get(pod.metadata.uid!)?.metadata.resourceVersion === pod.metadata.resourceVersion) this.byUid.set(pod.metadata.uid!, written);
    } catch (e) {
      if (StatusError.is(e, 'Conflict')) {
        // someone else wrote the pod: use theirs and decide again
        const fresh = (await this.client.get(R.pods, pod.metadata.namespace, pod.metadata.name!).catch(() => undefined)) as PodObj | undefined;
        if (fresh && fresh.metadata.uid === pod.metadata.uid) this.byUid.set(pod.metadata.uid!, fresh);
        this.schedule(pod.metadata.uid!, 100);
        return;
      }
      if (StatusError.is(e, 'NotFound')) return;
      throw e;
    }
  }

  private lookups(): ConfigLookups {
    return {
      configMap: (ns, name) => this.configMaps.get(ns, name) as (KubeObject & ConfigMap) | undefined,
      secret: (ns, name) => this.secrets.get(ns, name) as (KubeObject & Secret) | undefined,
      serviceAccountToken: (pod, src) => this.tokens.token(pod, src),
    };
  }

  /**
   * The token refresh of upstream's projected volumes (remounted by the volume manager): a pod
   * whose sandbox runs gets its token volumes written again when a token is due, so the file
   * always holds a token that is well within its lifetime.
   */
  private async refreshTokens(pod: PodObj, sandboxes: ObservedSandbox[]): Promise<void> {
    if (pod.metadata.deletionTimestamp || !sandboxes.some((s) => s.ready) || !this.tokens.due(pod)) return;
    const withTokens = (pod.spec?.volumes ?? []).filter((v) => v.projected?.sources?.some((s) => s.serviceAccountToken));
    await this.volumes(pod, withTokens).catch(() => undefined); // reported as FailedMount; tried again next sync
  }

  /** Sets up every volume of the pod (or those given); returns their paths, or the first failure. */
  private async volumes(pod: PodObj, only?: Volume[]): Promise<VolumePaths> {
    const paths: VolumePaths = {};
    const ip = this.currentIP(pod.metadata.uid!);
    for (const v of only ?? pod.spec?.volumes ?? []) {
      try {
        const tokenSources = (v.projected?.sources ?? []).flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken] : []));
        if (tokenSources.length) await this.tokens.ensure(pod, tokenSources);
        const plan = v.persistentVolumeClaim ? await this.claimPlan(pod, v.persistentVolumeClaim.claimName) : volumePlan(pod, v, this.lookups(), this.nodeFacts(), ip ? [ip] : []);
        paths[v.name] = await this.dirs.setUp(pod.metadata.uid!, v, plan);
      } catch (e) {
        const msg = `MountVolume.SetUp failed for volume "${v.name}" : ${e instanceof Error ? e.message : String(e)}`;
        this.event(pod, 'Warning', 'FailedMount', msg);
        throw new ConfigError(msg, 'ContainerCreating');
      }
    }
    return paths;
  }

  /** A claim's volume: the bound PersistentVolume's directory on this node (hostPath or local). */
  private async claimPlan(pod: PodObj, claimName: string): Promise<{ kind: 'hostPath'; path: string; type: string }> {
    const ns = pod.metadata.namespace!;
    let pvc: PersistentVolumeClaim;
    try {
      pvc = (await this.client.get(R.persistentvolumeclaims, ns, claimName)) as KubeObject & PersistentVolumeClaim;
    } catch (e) {
      if (StatusError.is(e, 'NotFound')) throw new Error(`persistentvolumeclaim "${claimName}" not found`);
      throw e;
    }
    const pvName = pvc.spec?.volumeName;
    if (!pvName || pvc.status?.phase !== 'Bound') throw new Error(`error processing PVC ${ns}/${claimName}: PVC is not bound`);
    const pv = (await this.client.get(R.persistentvolumes, undefined, pvName)) as KubeObject & PersistentVolume;
    const path = pv.spec?.hostPath?.path ?? pv.spec?.local?.path;
    if (!path) throw new Error(`persistentvolume "${pvName}" is neither hostPath nor local, which this kubelet cannot mount`);
    return { kind: 'hostPath', path, type: pv.spec?.hostPath ? (pv.spec.hostPath.type ?? 'DirectoryOrCreate') || 'DirectoryOrCreate' : 'Directory' };
  }

  private podDesc(pod: PodObj): string {
    return `${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`;
  }

  /** Runs the container's preStop hook, if any; returns how much of the grace period is left. */
  private async preStop(pod: PodObj, id: string, name: string, grace: number): Promise<number> {
    const spec = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
    const h = spec?.lifecycle?.preStop;
    if (!spec || !h || grace <= 0) return grace;
    const started = Date.now();
    const r = await runHook(this.opts.runtime, id, h, spec, this.currentIP(pod.metadata.uid!), this.podDesc(pod), grace);
    if (!r.ok) this.event(pod, 'Warning', 'FailedPreStopHook', r.message, this.fieldPath(pod, name));
    return Math.max(MIN_GRACE_AFTER_HOOK, grace - Math.ceil((Date.now() - started) / 1000));
  }

  private async execute(pod: PodObj | undefined, actions: SyncAction[], w: PodWorker): Promise<void> {
    const rt = this.opts.runtime;
    // kills run together (each waits out its own grace period), then the rest in order
    const kills = actions.filter((a): a is SyncAction & { kind: 'killContainer' } => a.kind === 'killContainer');
    await Promise.all(
      kills.map(async (a) => {
        if (pod) this.event(pod, 'Normal', 'Killing', a.message, this.fieldPath(pod, a.name));
        this.prober.forget(a.id);
        const grace = pod ? await this.preStop(pod, a.id, a.name, a.gracePeriodSeconds) : a.gracePeriodSeconds;
        await rt.stopContainer(a.id, grace);
      }),
    );
    for (const a of actions) {
      switch (a.kind) {
        case 'killContainer':
          break;
        case 'stopSandbox':
          await rt.stopPodSandbox(a.id);
          break;
        case 'removeSandbox':
          await rt.removePodSandbox(a.id);
          break;
        case 'removeContainer':
          this.prober.forget(a.id);
          await rt.removeContainer(a.id);
          break;
        case 'deletePod':
          if (pod) {
            await this.client.delete(R.pods, pod.metadata.namespace, pod.metadata.name!, { gracePeriodSeconds: 0, preconditions: { uid: a.uid } }).catch((e: unknown) => {
              if (!StatusError.is(e, 'NotFound') && !StatusError.is(e, 'Conflict')) throw e;
            });
          }
          break;
        case 'createSandbox':
          if (pod) await this.createSandbox(pod, a.attempt);
          break;
        case 'startContainer':
          if (pod) await this.startContainer(pod, a, w);
          break;
      }
    }
  }

  private fieldPath(pod: PodObj, name: string): string | undefined {
    const i = pod.spec?.containers.findIndex((c) => c.name === name) ?? -1;
    if (i >= 0) return `spec.containers{${name}}`;
    return (pod.spec?.initContainers ?? []).some((c) => c.name === name) ? `spec.initContainers{${name}}` : undefined;
  }

  private async createSandbox(pod: PodObj, attempt: number): Promise<void> {
    const uid = pod.metadata.uid!;
    try {
      await this.volumes(pod);
    } catch {
      // reported as FailedMount; tried again soon, as upstream's volume manager keeps trying to
      // mount (a namespace's kube-root-ca.crt, say, may be moments behind its first pod)
      this.schedule(uid, 1000);
      return;
    }
    let id: string;
    try {
      id = await this.opts.runtime.runPodSandbox(this.sandboxConfig(pod, attempt));
    } catch (e) {
      this.event(pod, 'Warning', 'FailedCreatePodSandBox', e instanceof Error ? e.message : String(e));
      throw e;
    }
    const st = await this.opts.runtime.podSandboxStatus(id);
    const ip = pod.spec?.hostNetwork ? this.facts.internalIP : st.network?.ip;
    if (ip) this.ips.set(uid, ip);
    this.dirs.writeEtcHosts(uid, etcHosts(pod, ip ? [ip] : []));
  }

  /** The sandbox config with the pod's resolv.conf (ClusterFirst and the other DNS policies). */
  private sandboxConfig(pod: PodObj, attempt: number): ReturnType<typeof sandboxConfig> {
    const base = { ...sandboxConfig(pod, attempt), ...this.cgroupParent(pod) };
    let host = { servers: [] as string[], searches: [] as string[], options: [] as string[] };
    try {
      host = parseResolvConf(readFileSync('/etc/resolv.conf', 'utf8'));
    } catch {
      // no host resolv.conf: nothing to inherit
    }
    const { config, policy, fallback } = podDNSConfig(pod, { clusterDNS: this.opts.clusterDNS ?? [], clusterDomain: this.opts.clusterDomain ?? 'cluster.local', host });
    if (fallback) this.event(pod, 'Warning', 'MissingClusterDNS', 'pod: "' + this.podDesc(pod) + '". kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.');
    // the host's own, unchanged, is what the engine writes when given nothing
    if (policy === 'Default' && !pod.spec?.dnsConfig) {
      const { dnsConfig: _unused, ...rest } = base;
      return rest;
    }
    return { ...base, dnsConfig: config };
  }

  private async startContainer(pod: PodObj, a: SyncAction & { kind: 'startContainer' }, w: PodWorker): Promise<void> {
    const rt = this.opts.runtime;
    const spec = specOf(pod, a.container, a.name);
    if (!spec) return;
    const fieldPath = this.fieldPath(pod, a.name);
    const fail = (reason: string, message: string, image?: string) => {
      w.failures[a.name] = { reason, message, at: Date.now(), ...(image !== undefined ? { image } : {}) };
      this.event(pod, 'Warning', reason === 'ErrImagePull' ? 'Failed' : 'Failed', `Error: ${reason === 'ErrImagePull' ? 'ErrImagePull' : message}`, fieldPath);
    };
    const image = spec.image ?? '';
    // imagePullPolicy against the runtime's images (EnsureImageExists)
    let info = await rt.imageStatus(image);
    const policy = spec.imagePullPolicy ?? (/:latest$|^[^:@]*$/.test(image.split('/').pop() ?? '') ? 'Always' : 'IfNotPresent');
    if (policy === 'Never' && !info) return fail('ErrImageNeverPull', `Container image "${image}" is not present with pull policy of Never`);
    if (policy === 'Always' || !info) {
      this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, fieldPath);
      const pullStart = Date.now();
      try {
        await rt.pullImage(image);
      } catch (e) {
        this.event(pod, 'Warning', 'Failed', `Failed to pull image "${image}": ${e instanceof Error ? e.message : String(e)}`, fieldPath);
        return fail('ErrImagePull', e instanceof Error ? e.message : String(e), image);
      }
      info = await rt.imageStatus(image);
      if (!info) return fail('ErrImagePull', `failed to pull and unpack image "${image}": not found after pull`, image);
      const took = `${((Date.now() - pullStart) / 1000).toFixed(3)}s`;
      this.event(pod, 'Normal', 'Pulled', `Successfully pulled image "${image}" in ${took} (${took} including waiting). Image size: ${info.size} bytes.`, fieldPath);
    } else {
      this.event(pod, 'Normal', 'Pulled', `Container image "${image}" already present on machine`, fieldPath);
    }
    // an ephemeral container aimed at another one shares that one's processes (its PID namespace)
    const target = a.container === 'ephemeral' ? (spec as { targetContainerName?: string }).targetContainerName : undefined;
    let targetId: string | undefined;
    if (target) {
      const running = await rt.listContainers({ podSandboxId: a.sandboxId, labelSelector: { [LABEL_POD_UID]: pod.metadata.uid! } });
      targetId = running.find((c) => c.metadata.name === target && c.labels[LABEL_CONTAINER_KIND] !== 'ephemeral' && c.state === 'CONTAINER_RUNNING')?.id;
      if (!targetId) return fail('CreateContainerError', `target container "${target}" is not running`);
    }
    const uid = pod.metadata.uid!;
    let id: string;
    try {
      const volumes = await this.volumes(pod);
      const ip = this.currentIP(uid);
      if (ip && !pod.spec?.hostNetwork) this.dirs.writeEtcHosts(uid, etcHosts(pod, [ip]));
      const config = containerConfig({
        pod,
        container: spec,
        kind: a.container,
        attempt: a.attempt,
        image: info,
        lookups: this.lookups(),
        node: this.nodeFacts(),
        podIPs: ip ? [ip] : [],
        volumes,
        etcHostsPath: this.dirs.etcHostsPath(uid),
        serviceEnv: serviceEnv(pod, this.services.list() as ServiceObj[]),
        ...(targetId ? { targetId } : {}),
      });
      id = await rt.createContainer(a.sandboxId, config, { ...sandboxConfig(pod, 0), ...this.cgroupParent(pod) });
    } catch (e) {
      if (e instanceof ConfigError) return fail(e.reason, e.message);
      if (e instanceof RuntimeError) return fail(e.reason, e.message);
      throw e;
    }
    this.event(pod, 'Normal', 'Created', `Created container ${a.name}`, fieldPath);
    try {
      await rt.startContainer(id);
    } catch (e) {
      return fail(e instanceof RuntimeError ? e.reason : 'RunContainerError', e instanceof Error ? e.message : String(e));
    }
    delete w.failures[a.name];
    this.event(pod, 'Normal', 'Started', `Started container ${a.name}`, fieldPath);
    const postStart = spec.lifecycle?.postStart;
    if (postStart) {
      const r = await runHook(rt, id, postStart, spec, this.currentIP(uid), this.podDesc(pod), pod.spec?.terminationGracePeriodSeconds ?? 30);
      if (!r.ok) {
        this.event(pod, 'Warning', 'FailedPostStartHook', r.message, fieldPath);
        this.event(pod, 'Normal', 'Killing', `FailedPostStartHook`, fieldPath);
        await rt.stopContainer(id, pod.spec?.terminationGracePeriodSeconds ?? 30);
        return;
      }
    }
    this.prober.watch(uid, id, spec, () => this.currentIP(uid));
  }

  private onProbe(uid: string, containerName: string, kind: ProbeKind, outcome: ProbeOutcome): void {
    const pod = this.byUid.get(uid);
    if (pod && outcome.result === 'Failure') {
      const what = kind === 'liveness' ? 'Liveness' : kind === 'readiness' ? 'Readiness' : 'Startup';
      this.event(pod, 'Warning', 'Unhealthy', `${what} probe failed: ${outcome.output.trim()}`, this.fieldPath(pod, containerName));
    }
    this.schedule(uid);
  }
}

