// A simulated node's container runtime: the kubelet's Runtime interface (kubelet/runtime.ts) kept
// in memory, so simulated nodes run the same pod-sync decision as real ones (sim/pods.ts) and the
// real Kubelet can drive a node that runs nothing. Nothing is pulled or executed: a container is a
// record whose life follows its program (run for a while and exit with a code, or run until
// stopped), measured on an injected clock, so the deterministic simulator can own time.
import * as crypto from 'node:crypto';
import type {
  Container,
  ContainerConfig,
  ContainerFilter,
  ContainerStatus,
  ExecSyncResult,
  ImageInfo,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxStatus,
  Runtime,
} from '../kubelet/runtime.js';
import { LABEL_CONTAINER_KIND, LABEL_POD_UID, ANNOTATION_CONTAINER_HASH, RuntimeError } from '../kubelet/runtime.js';
import { containerKind, type ObservedContainer, type ObservedSandbox } from '../kubelet/sync.js';
import type { Instant } from '../model/object.js';
import { annotatedRunMs, simExitCode } from './kubelet.js';

/** What a simulated container does once started. */
export interface SimProgram {
  /** It exits on its own this long after starting; undefined: it runs until stopped. */
  runMs?: number;
  exitCode: number;
}

interface SimSandbox {
  id: string;
  config: PodSandboxConfig;
  createdAt: Instant;
  /** RunPodSandbox returns at this time (the simulated network set-up); until then it is not listed. */
  readyAt: Instant;
  stopped: boolean;
  ip?: string;
}

interface SimContainer {
  id: string;
  sandboxId: string;
  config: ContainerConfig;
  imageRef: string;
  program: SimProgram;
  createdAt: Instant;
  startedAt?: Instant;
  /** When a stop ends it (the stop signal honoured); its exit code is then stopCode. */
  stopAt?: Instant;
}

const ns = (ms: Instant) => BigInt(Math.round(ms)) * 1_000_000n;
// One-shot where Node has it (20.12 on): a Hash object per id (three per pod) is a native object
// with a weak handle for the GC to process; in a 2,000-node run's profile each id took ~8 us that way.
const sha: (s: string) => string =
  typeof crypto.hash === 'function' ? (s) => crypto.hash('sha256', s, 'hex') : (s) => crypto.createHash('sha256').update(s).digest('hex');

function ipv4(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}

function ipString(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * A free address of a pod CIDR as host-local IPAM picks one: the first free after the last one
 * handed out (`after`), wrapping around, skipping the network and gateway addresses.
 */
export function freePodIP(cidr: string, used: ReadonlySet<string>, after?: string): string | undefined {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = ipv4(base!);
  const prefix = Number(bits) >= 24 ? base!.slice(0, base!.lastIndexOf('.') + 1) : undefined;
  const first = start % 256;
  const n = size - 3;
  const from = after !== undefined ? ipv4(after) - start + 1 : 2;
  for (let k = 0; k < n; k++) {
    const i = 2 + ((((from - 2 + k) % n) + n) % n);
    // within a /24 or smaller only the last octet changes
    const ip = prefix !== undefined ? prefix + (first + i) : ipString(start + i);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}

const matches = (labels: Record<string, string>, sel?: Record<string, string>) => !sel || Object.entries(sel).every(([k, v]) => labels[k] === v);

export interface SimRuntimeOptions {
  /** The node's pod CIDR, where sandboxes get their addresses. */
  podCIDR: string;
  clock: () => Instant;
  /** What a container started through the Runtime interface runs (default: annotationProgram). */
  program?: (sandbox: PodSandboxConfig, config: ContainerConfig) => SimProgram;
}

/**
 * What a container created through the Runtime interface runs, from its pod's annotations (the
 * sandbox's): `sim.berth.dev/run-seconds` and `sim.berth.dev/exit-code`; init containers exit 0 at
 * once. (The sim's own pod worker also knows the pod's restartPolicy: sim/pods.ts simProgram.)
 */
export function annotationProgram(sandbox: PodSandboxConfig, config: ContainerConfig): SimProgram {
  if (config.labels[LABEL_CONTAINER_KIND] === 'init') return { runMs: 0, exitCode: 0 };
  const run = annotatedRunMs(sandbox.annotations);
  return { ...(run !== undefined ? { runMs: run } : {}), exitCode: simExitCode(sandbox.annotations) };
}

export class SimRuntime implements Runtime {
  private readonly sandboxes = new Map<string, SimSandbox>();
  private readonly containers = new Map<string, SimContainer>();
  /** Sandboxes and containers by pod uid, so a pod's sync does not walk the node. */
  private readonly byPod = new Map<string, { sandboxes: Set<string>; containers: Set<string> }>();
  private readonly ips = new Set<string>();
  private lastIP?: string;
  private readonly images = new Set<string>();
  private readonly listeners = new Set<(id: string, labels: Record<string, string>) => void>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly opts: SimRuntimeOptions) {}

  // ---- the synchronous core (what the simulator drives at its own instants) ---------------------

  private pod(uid: string) {
    let p = this.byPod.get(uid);
    if (!p) this.byPod.set(uid, (p = { sandboxes: new Set(), containers: new Set() }));
    return p;
  }

  /** A sandbox for the pod, listed from `readyAt` on. Throws when the node's range is full. */
  runSandbox(config: PodSandboxConfig, now: Instant, setUpMs = 0, ip?: string): string {
    const uid = config.metadata.uid;
    const id = sha(`sandbox/${uid}/${config.metadata.attempt}`);
    if (!config.hostNetwork) {
      if (!ip) {
        ip = freePodIP(this.opts.podCIDR, this.ips, this.lastIP);
        if (!ip) throw new RuntimeError('FailedCreatePodSandBox', `failed to allocate for range 0: no IP addresses available in range set: ${this.opts.podCIDR}`);
        this.lastIP = ip;
      }
      this.ips.add(ip);
    }
    this.sandboxes.set(id, { id, config, createdAt: now, readyAt: now + setUpMs, stopped: false, ...(ip ? { ip } : {}) });
    this.pod(uid).sandboxes.add(id);
    return id;
  }

  stopSandbox(id: string, now: Instant): void {
    const s = this.sandboxes.get(id);
    if (!s || s.stopped) return;
    s.stopped = true;
    if (s.ip) this.ips.delete(s.ip);
    // the pod's containers, not the node's
    for (const cid of this.byPod.get(s.config.metadata.uid)?.containers ?? []) {
      if (this.containers.get(cid)?.sandboxId === id) this.stop(cid, now, 0);
    }
  }

  removeSandbox(id: string): void {
    const s = this.sandboxes.get(id);
    if (!s) return;
    if (!s.stopped && s.ip) this.ips.delete(s.ip);
    this.sandboxes.delete(id);
    const p = this.byPod.get(s.config.metadata.uid);
    p?.sandboxes.delete(id);
    for (const cid of [...(p?.containers ?? [])]) if (this.containers.get(cid)?.sandboxId === id) this.remove(cid);
    if (p && !p.sandboxes.size && !p.containers.size) this.byPod.delete(s.config.metadata.uid);
  }

  /** A created container; `start` runs it. */
  create(sandboxId: string, config: ContainerConfig, program: SimProgram, now: Instant, id?: string): string {
    const s = this.sandboxes.get(sandboxId);
    if (!s) throw new RuntimeError('CreateContainerError', `pod sandbox ${sandboxId} not found`);
    id ??= sha(`container/${sandboxId}/${config.metadata.name}/${config.metadata.attempt}`);
    this.containers.set(id, { id, sandboxId, config, program, imageRef: this.imageID(config.image), createdAt: now });
    this.pod(s.config.metadata.uid).containers.add(id);
    return id;
  }

  start(id: string, now: Instant): void {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('RunContainerError', `container ${id} not found`);
    if (c.startedAt === undefined) c.startedAt = now;
  }

  /** Sends the stop signal; the container is gone `durationMs` later (the simulated shutdown), exiting 0. */
  stop(id: string, now: Instant, durationMs: number): void {
    const c = this.containers.get(id);
    if (!c || this.state(c, now) === 'exited') return;
    const at = now + durationMs;
    if (c.stopAt === undefined || at < c.stopAt) c.stopAt = at;
  }

  remove(id: string): void {
    const c = this.containers.get(id);
    if (!c) return;
    this.containers.delete(id);
    const uid = this.sandboxes.get(c.sandboxId)?.config.metadata.uid ?? c.config.labels[LABEL_POD_UID];
    if (uid) this.byPod.get(uid)?.containers.delete(id);
  }

  /** When the container ends (or ended), and how; undefined while it runs on. */
  private end(c: SimContainer): { at: Instant; code: number } | undefined {
    if (c.startedAt === undefined) return c.stopAt !== undefined ? { at: c.stopAt, code: 0 } : undefined;
    const own = c.program.runMs !== undefined ? c.startedAt + c.program.runMs : Infinity;
    if (c.stopAt !== undefined && c.stopAt < own) return { at: c.stopAt, code: 0 };
    return Number.isFinite(own) ? { at: own, code: c.program.exitCode } : undefined;
  }

  private state(c: SimContainer, now: Instant): 'created' | 'running' | 'exited' {
    const e = this.end(c);
    if (e && e.at <= now) return 'exited';
    return c.startedAt === undefined ? 'created' : 'running';
  }

  /** The next instant something of this pod changes by itself (a container ends, a sandbox comes up). */
  nextChange(uid: string, now: Instant): Instant | undefined {
    let next = Infinity;
    const p = this.byPod.get(uid);
    for (const id of p?.containers ?? []) {
      const e = this.end(this.containers.get(id)!);
      if (e && e.at > now) next = Math.min(next, e.at);
    }
    for (const id of p?.sandboxes ?? []) {
      const s = this.sandboxes.get(id)!;
      if (s.readyAt > now) next = Math.min(next, s.readyAt);
    }
    return Number.isFinite(next) ? next : undefined;
  }

  /** The pod's sandboxes and containers as the kubelet's sync sees them at `now`. */
  observe(uid: string, now: Instant): { sandboxes: ObservedSandbox[]; containers: ObservedContainer[] } {
    const p = this.byPod.get(uid);
    const sandboxes: ObservedSandbox[] = [];
    const containers: ObservedContainer[] = [];
    for (const id of p?.sandboxes ?? []) {
      const s = this.sandboxes.get(id)!;
      if (s.readyAt > now) continue;
      sandboxes.push({ id, attempt: s.config.metadata.attempt, ready: !s.stopped, ...(s.ip ? { ip: s.ip } : {}), createdAt: s.createdAt });
    }
    for (const id of p?.containers ?? []) {
      const c = this.containers.get(id)!;
      const state = this.state(c, now);
      const e = state === 'exited' ? this.end(c)! : undefined;
      containers.push({
        id,
        name: c.config.metadata.name,
        kind: containerKind(c.config.labels[LABEL_CONTAINER_KIND]),
        attempt: c.config.metadata.attempt,
        sandboxId: c.sandboxId,
        state,
        createdAt: c.createdAt,
        ...(c.startedAt !== undefined ? { startedAt: c.startedAt } : {}),
        ...(e ? { finishedAt: e.at } : {}),
        exitCode: e?.code ?? 0,
        reason: e ? (e.code === 0 ? 'Completed' : 'Error') : '',
        message: '',
        image: c.config.image,
        imageRef: c.imageRef,
        hash: c.config.annotations[ANNOTATION_CONTAINER_HASH] ?? '',
      });
    }
    return { sandboxes, containers };
  }

  /** Whether the runtime holds anything of this pod. */
  has(uid: string): boolean {
    return this.byPod.has(uid);
  }

  /** Every pod uid the runtime holds something of. */
  podUids(): string[] {
    return [...this.byPod.keys()];
  }

  /** Claims an address a pod already has (adoption after a restart), so no other pod is given it. */
  reserveIP(ip: string): void {
    this.ips.add(ip);
  }

  private imageID(image: string): string {
    return `sha256:${sha(`image/${image}`)}`;
  }

  // ---- the Runtime interface (what the real Kubelet drives, on the clock) -------------------------

  version(): { runtimeName: string; runtimeVersion: string } {
    return { runtimeName: 'berth-sim', runtimeVersion: '0.1.0' };
  }

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    return this.runSandbox(config, this.opts.clock());
  }

  async stopPodSandbox(id: string): Promise<void> {
    this.stopSandbox(id, this.opts.clock());
  }

  async removePodSandbox(id: string): Promise<void> {
    this.removeSandbox(id);
  }

  private sandboxOf(s: SimSandbox): PodSandbox {
    return { id: s.id, metadata: s.config.metadata, state: s.stopped ? 'SANDBOX_NOTREADY' : 'SANDBOX_READY', createdAt: ns(s.createdAt), labels: s.config.labels, annotations: s.config.annotations };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const s = this.sandboxes.get(id);
    if (!s) throw new RuntimeError('NotFound', `pod sandbox ${id} not found`);
    return { ...this.sandboxOf(s), ...(s.ip ? { network: { ip: s.ip, additionalIps: [] } } : {}) };
  }

  async listPodSandbox(filter?: { labelSelector?: Record<string, string> }): Promise<PodSandbox[]> {
    const now = this.opts.clock();
    return [...this.sandboxes.values()].filter((s) => s.readyAt <= now && matches(s.config.labels, filter?.labelSelector)).map((s) => this.sandboxOf(s));
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const program = (this.opts.program ?? annotationProgram)(sandboxConfig, config);
    return this.create(podSandboxId, config, program, this.opts.clock());
  }

  async startContainer(id: string): Promise<void> {
    const now = this.opts.clock();
    this.start(id, now);
    this.wake(id, now);
  }

  async stopContainer(id: string, _timeoutSeconds: number): Promise<void> {
    const now = this.opts.clock();
    this.stop(id, now, 0);
    this.emit(id);
  }

  async removeContainer(id: string): Promise<void> {
    this.remove(id);
  }

  private containerOf(c: SimContainer, now: Instant): Container {
    const state = this.state(c, now);
    return {
      id: c.id,
      podSandboxId: c.sandboxId,
      metadata: c.config.metadata,
      image: c.config.image,
      imageRef: c.imageRef,
      state: state === 'running' ? 'CONTAINER_RUNNING' : state === 'exited' ? 'CONTAINER_EXITED' : 'CONTAINER_CREATED',
      createdAt: ns(c.createdAt),
      labels: c.config.labels,
      annotations: c.config.annotations,
    };
  }

  async listContainers(filter?: ContainerFilter): Promise<Container[]> {
    const now = this.opts.clock();
    return [...this.containers.values()]
      .filter((c) => (!filter?.podSandboxId || c.sandboxId === filter.podSandboxId) && matches(c.config.labels, filter?.labelSelector))
      .map((c) => this.containerOf(c, now));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.containers.get(id);
    if (!c) throw new RuntimeError('NotFound', `container ${id} not found`);
    const now = this.opts.clock();
    const e = this.state(c, now) === 'exited' ? this.end(c) : undefined;
    return {
      ...this.containerOf(c, now),
      startedAt: c.startedAt !== undefined ? ns(c.startedAt) : 0n,
      finishedAt: e ? ns(e.at) : 0n,
      exitCode: e?.code ?? 0,
      reason: e ? (e.code === 0 ? 'Completed' : 'Error') : '',
      message: '',
    };
  }

  /** Every command succeeds at once with no output: exec probes and hooks pass. */
  async execSync(id: string, _cmd: string[], _timeoutSeconds: number): Promise<ExecSyncResult> {
    const c = this.containers.get(id);
    if (!c || this.state(c, this.opts.clock()) !== 'running') throw new RuntimeError('NotFound', `container ${id} is not running`);
    return { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0, timedOut: false };
  }

  private imageInfo(image: string): ImageInfo {
    return { id: this.imageID(image), repoTags: [image], repoDigests: [], size: 0, config: { entrypoint: [], cmd: ['/simulated'], user: '', workingDir: '', env: [] } };
  }

  async listImages(): Promise<ImageInfo[]> {
    return [...this.images].map((i) => this.imageInfo(i));
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    return this.images.has(image) ? this.imageInfo(image) : undefined;
  }

  /** Any image name is accepted. */
  async pullImage(image: string): Promise<string> {
    this.images.add(image);
    return this.imageID(image);
  }

  onContainerEvent(listener: (containerId: string, labels: Record<string, string>) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
      if (!this.listeners.size) this.close();
    };
  }

  private emit(id: string): void {
    const c = this.containers.get(id);
    if (c) for (const l of this.listeners) l(id, c.config.labels);
  }

  /** Through the Runtime interface only: tells the kubelet when a started container exits on its own. */
  private wake(id: string, now: Instant): void {
    const e = this.containers.get(id) && this.end(this.containers.get(id)!);
    if (!this.listeners.size || !e) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.emit(id);
    }, Math.max(0, e.at - now));
    t.unref();
    this.timers.add(t);
  }

  /** Stops the exit timers of the Runtime interface. */
  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
