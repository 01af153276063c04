// The kubelet's runtime over berth's own engine, in process (what containerd's CRI plugin is to
// containerd). A pod sandbox is a "pause" container that holds the pod's network, IPC and UTS
// namespaces on the engine's default bridge; app containers join it (NetworkMode and IpcMode
// container:<sandbox>). Everything the kubelet needs to find its containers again is in their
// labels, so a restarted kubelet (or engine) adopts what is running.
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import tar from 'tar-stream';
import { ENGINE_VERSION, type Engine } from '../engine/engine.js';
import type { Container as EngineContainer } from '../engine/containers.js';
import { importImage } from '../engine/archive.js';
import { isEngineError, messageOf } from '../engine/errors.js';
import { processRunning } from '../engine/sys.js';
import type { Image } from '../engine/images.js';
import type { MountSpec } from '../engine/mounts.js';
import { parseNormalizedNamed, refString } from '../engine/reference.js';
import { pull } from '../engine/registry/pull.js';
import { registryDeps } from '../engine/registry/registry.js';
import {
  LABEL_CONTAINER_NAME,
  LABEL_POD_NAME,
  LABEL_POD_NAMESPACE,
  LABEL_POD_UID,
  RuntimeError,
  type Container,
  type ContainerConfig,
  type ContainerFilter,
  type ContainerState,
  type ContainerStatus,
  type ExecSyncResult,
  type ImageInfo,
  type LogLine,
  type ProcessStream,
  type StreamingRuntime,
  type StreamOptions,
  type PodSandbox,
  type PodSandboxConfig,
  type PodSandboxStatus,
  type Runtime,
} from './runtime.js';

/** dockershim's type label: which of a pod's engine containers is the sandbox. */
const LABEL_TYPE = 'io.kubernetes.docker.type';
const LABEL_SANDBOX_ID = 'io.kubernetes.sandbox.id';
const LABEL_ATTEMPT = 'dev.berth.cri.attempt';
/** CRI annotations live among the engine's labels under this prefix (as dockershim kept them). */
const ANNOTATION_PREFIX = 'annotation.';

export const PAUSE_IMAGE = 'berth.dev/pause:busybox';
const BUSYBOX = '/usr/bin/busybox';
/** The sandbox's process: waits until SIGTERM or SIGINT, then exits 0 (what pause.c does). */
const PAUSE_SCRIPT = "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done";

export interface EngineRuntimeOptions {
  /** Pulls an image into the engine; absent: the engine's registry client (anonymous, as the kubelet without pull secrets). */
  pull?: (image: string) => Promise<void>;
  /** The bridge network sandboxes join. */
  network?: string;
}

const ms2ns = (ms: number | undefined) => BigInt(Math.round(ms ?? 0)) * 1_000_000n;

function splitLabels(all: Record<string, string> | null | undefined): { labels: Record<string, string>; annotations: Record<string, string> } {
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(all ?? {})) {
    if (k.startsWith(ANNOTATION_PREFIX)) annotations[k.slice(ANNOTATION_PREFIX.length)] = v;
    else if (k !== LABEL_TYPE && k !== LABEL_SANDBOX_ID && k !== LABEL_ATTEMPT) labels[k] = v;
  }
  return { labels, annotations };
}

function joinLabels(labels: Record<string, string>, annotations: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...labels };
  for (const [k, v] of Object.entries(annotations)) out[ANNOTATION_PREFIX + k] = v;
  return out;
}

/** The image as containerd's CRI reports it: fully qualified (docker.io/library/busybox:1.36). */
function normalizedImage(image: string): string {
  try {
    return refString(parseNormalizedNamed(image));
  } catch {
    return image;
  }
}

const matches = (labels: Record<string, string>, sel: Record<string, string> | undefined) => !sel || Object.entries(sel).every(([k, v]) => labels[k] === v);

/** Docker's container names are [a-zA-Z0-9][a-zA-Z0-9_.-]*: dockershim's k8s_ names fit. */
const sandboxName = (c: PodSandboxConfig) => `k8s_POD_${c.metadata.name}_${c.metadata.namespace}_${c.metadata.uid}_${c.metadata.attempt}`;
const containerName = (c: ContainerConfig, s: PodSandboxConfig) => `k8s_${c.metadata.name}_${s.metadata.name}_${s.metadata.namespace}_${s.metadata.uid}_${c.metadata.attempt}`;

export class EngineRuntime implements Runtime, StreamingRuntime {
  private pauseReady: Promise<void> | undefined;

  constructor(
    readonly engine: Engine,
    private readonly opts: EngineRuntimeOptions = {},
  ) {}

  version(): { runtimeName: string; runtimeVersion: string } {
    return { runtimeName: 'berth', runtimeVersion: ENGINE_VERSION };
  }

  // ---- the pause image ------------------------------------------------------------------------

  /** Builds the pause image from the host's busybox-static the first time a sandbox needs it. */
  ensurePauseImage(): Promise<void> {
    if (this.engine.images.find(PAUSE_IMAGE)) return Promise.resolve();
    this.pauseReady ??= this.buildPause().finally(() => {
      this.pauseReady = undefined;
    });
    return this.pauseReady;
  }

  private async buildPause(): Promise<void> {
    if (!existsSync(BUSYBOX)) throw new RuntimeError('CreatePodSandboxError', `cannot build the pause image: ${BUSYBOX} not found (install busybox-static)`);
    const mtime = new Date('2024-01-01T00:00:00Z');
    const pack = tar.pack();
    for (const d of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp']) pack.entry({ name: d, type: 'directory', mode: 0o755, mtime });
    pack.entry({ name: 'bin/busybox', mode: 0o755, mtime }, readFileSync(BUSYBOX));
    for (const a of ['sh', 'sleep']) pack.entry({ name: `bin/${a}`, type: 'symlink', linkname: 'busybox', mode: 0o777, mtime });
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const [repo, tag] = PAUSE_IMAGE.split(':') as [string, string];
    await importImage(
      { content: this.engine.content, layers: this.engine.layers, images: this.engine.images, event: (a, id, attrs) => this.engine.events.log('image', a, id, attrs) },
      Readable.from([Buffer.concat(chunks)]),
      { repo, tag, changes: [`ENTRYPOINT ${JSON.stringify(['/bin/sh', '-c', PAUSE_SCRIPT])}`], message: 'berth pause image from busybox-static', dockerVersion: ENGINE_VERSION },
      () => undefined,
    );
  }

  // ---- sandboxes ------------------------------------------------------------------------------

  async runPodSandbox(config: PodSandboxConfig): Promise<string> {
    await this.ensurePauseImage();
    const m = config.metadata;
    const labels = {
      ...joinLabels(config.labels, config.annotations),
      [LABEL_TYPE]: 'podsandbox',
      [LABEL_ATTEMPT]: String(m.attempt),
      [LABEL_POD_NAME]: m.name,
      [LABEL_POD_NAMESPACE]: m.namespace,
      [LABEL_POD_UID]: m.uid,
      [LABEL_CONTAINER_NAME]: 'POD',
    };
    const dns = config.dnsConfig;
    let id: string;
    try {
      ({ Id: id } = await this.engine.containers.create({
        name: sandboxName(config),
        config: { Image: PAUSE_IMAGE, Hostname: config.hostNetwork ? '' : config.hostname, Labels: labels },
        hostConfig: {
          NetworkMode: config.hostNetwork ? 'host' : (this.opts.network ?? 'bridge'),
          IpcMode: config.hostIPC ? 'host' : 'shareable',
          ...(config.hostPID ? { PidMode: 'host' } : {}),
          // the pod's cgroup (dockershim: LinuxPodSandboxConfig.cgroup_parent)
          ...(config.cgroupParent ? { CgroupParent: config.cgroupParent } : {}),
          ...(dns ? { Dns: dns.servers, DnsSearch: dns.searches, DnsOptions: dns.options } : {}),
          ...(config.sysctls && Object.keys(config.sysctls).length ? { Sysctls: config.sysctls } : {}),
          ...(config.portMappings.some((p) => p.hostPort > 0)
            ? {
                PortBindings: Object.fromEntries(
                  config.portMappings.filter((p) => p.hostPort > 0).map((p) => [`${p.containerPort}/${p.protocol.toLowerCase()}`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]]),
                ),
              }
            : {}),
        },
      }));
    } catch (e) {
      throw new RuntimeError('CreatePodSandboxError', `Failed to create pod sandbox: ${messageOf(e)}`);
    }
    try {
      await this.engine.containers.start(id);
    } catch (e) {
      await this.engine.containers.remove(id, { force: true }).catch(() => undefined);
      throw new RuntimeError('CreatePodSandboxError', `Failed to create pod sandbox: ${messageOf(e)}`);
    }
    return id;
  }

  private sandbox(id: string): EngineContainer {
    const c = this.engine.containers.find(id);
    if (!c || c.rec.Config.Labels?.[LABEL_TYPE] !== 'podsandbox') throw new RuntimeError('NotFound', `an error occurred when try to find sandbox: not found: ${id}`);
    return c;
  }

  private containersOf(sandboxId: string): EngineContainer[] {
    return this.engine.containers.list().filter((c) => c.rec.Config.Labels?.[LABEL_SANDBOX_ID] === sandboxId);
  }

  async stopPodSandbox(id: string): Promise<void> {
    const sb = this.engine.containers.find(id);
    if (!sb) return;
    // the kubelet has stopped them gracefully already: what is left is killed
    await Promise.all(this.containersOf(sb.id).map((c) => this.stopContainer(c.id, 0)));
    await this.stopQuietly(sb.id, 10);
  }

  async removePodSandbox(id: string): Promise<void> {
    const sb = this.engine.containers.find(id);
    if (!sb) return;
    for (const c of this.containersOf(sb.id)) await this.removeContainer(c.id);
    await this.removeQuietly(sb.id);
  }

  private toSandbox(c: EngineContainer): PodSandbox {
    const l = c.rec.Config.Labels ?? {};
    const { labels, annotations } = splitLabels(l);
    const running = c.rec.State.status === 'running' || c.rec.State.status === 'paused';
    return {
      id: c.id,
      metadata: { name: l[LABEL_POD_NAME] ?? '', namespace: l[LABEL_POD_NAMESPACE] ?? '', uid: l[LABEL_POD_UID] ?? '', attempt: Number(l[LABEL_ATTEMPT] ?? 0) },
      state: running ? 'SANDBOX_READY' : 'SANDBOX_NOTREADY',
      createdAt: ms2ns(Date.parse(c.rec.Created)),
      labels,
      annotations,
    };
  }

  async podSandboxStatus(id: string): Promise<PodSandboxStatus> {
    const c = this.sandbox(id);
    const s = this.toSandbox(c);
    const eps = Object.values(c.rec.Networks);
    const ip = eps.find((e) => e.IPAddress)?.IPAddress;
    if (c.rec.HostConfig.NetworkMode === 'host') return { ...s, network: { ip: '', additionalIps: [] } };
    return ip && s.state === 'SANDBOX_READY' ? { ...s, network: { ip, additionalIps: [] } } : s;
  }

  async listPodSandbox(filter: { labelSelector?: Record<string, string> } = {}): Promise<PodSandbox[]> {
    return this.engine.containers
      .list()
      .filter((c) => c.rec.Config.Labels?.[LABEL_TYPE] === 'podsandbox')
      .map((c) => this.toSandbox(c))
      .filter((s) => matches({ ...s.labels, [LABEL_POD_UID]: s.metadata.uid }, filter.labelSelector));
  }

  // ---- containers -----------------------------------------------------------------------------

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const sb = this.sandbox(podSandboxId);
    const img = this.engine.images.find(config.image);
    if (!img) throw new RuntimeError('CreateContainerError', `failed to get image "${config.image}": not found`);
    const sc = config.linux.securityContext;
    const res = config.linux.resources;
    const user = sc.runAsUser !== undefined ? String(sc.runAsUser) : sc.runAsUsername ?? '';
    const mounts: MountSpec[] = config.mounts.map((m) => ({
      Type: 'bind',
      Source: m.hostPath,
      Target: m.containerPath,
      ReadOnly: m.readonly,
      BindOptions: { Propagation: m.propagation === 'rshared' ? 'rshared' : m.propagation === 'rslave' ? 'rslave' : 'rprivate' },
    }));
    // the sandbox's resolv.conf and hostname, as containerd's CRI mounts them into every container
    for (const [dest, file] of [['/etc/resolv.conf', 'resolv.conf'], ['/etc/hostname', 'hostname']] as const) {
      if (!mounts.some((m) => m.Target === dest) && existsSync(join(sb.dir, file))) mounts.push({ Type: 'bind', Source: join(sb.dir, file), Target: dest, ReadOnly: false });
    }
    const hostNetwork = sb.rec.HostConfig.NetworkMode === 'host';
    try {
      const { Id } = await this.engine.containers.create({
        name: containerName(config, sandboxConfig),
        config: {
          Image: config.image,
          Entrypoint: config.command.length ? config.command : null,
          Cmd: config.args.length ? config.args : null,
          Env: config.envs.map((e) => `${e.key}=${e.value}`),
          WorkingDir: config.workingDir,
          User: user && sc.runAsGroup !== undefined ? `${user}:${sc.runAsGroup}` : sc.runAsGroup !== undefined ? `0:${sc.runAsGroup}` : user,
          Hostname: hostNetwork ? '' : sb.rec.Config.Hostname ?? '',
          Tty: config.tty,
          OpenStdin: config.stdin,
          StdinOnce: config.stdinOnce,
          ...(config.stopSignal ? { StopSignal: config.stopSignal } : {}),
          Labels: {
            ...joinLabels(config.labels, config.annotations),
            [LABEL_TYPE]: 'container',
            [LABEL_SANDBOX_ID]: sb.id,
            [LABEL_ATTEMPT]: String(config.metadata.attempt),
          },
        },
        hostConfig: {
          NetworkMode: `container:${sb.id}`,
          IpcMode: sb.rec.HostConfig.IpcMode === 'host' ? 'host' : `container:${sb.id}`,
          ...(sb.rec.HostConfig.PidMode === 'host' ? { PidMode: 'host' } : sc.namespaceOptions?.pid === 'TARGET' ? { PidMode: `container:${sc.namespaceOptions.targetId}` } : {}),
          UTSMode: hostNetwork ? 'host' : '',
          Mounts: mounts,
          // every container of the pod in the pod's cgroup, beside the sandbox (cri-dockerd's reading of the sandbox config)
          ...(sandboxConfig.cgroupParent ? { CgroupParent: sandboxConfig.cgroupParent } : {}),
          ...(res.memoryLimitInBytes ? { Memory: res.memoryLimitInBytes, MemorySwap: res.memoryLimitInBytes } : {}),
          ...(res.cpuShares ? { CpuShares: res.cpuShares } : {}),
          ...(res.cpuQuota ? { CpuQuota: res.cpuQuota, CpuPeriod: res.cpuPeriod ?? 100000 } : {}),
          ...(res.oomScoreAdj ? { OomScoreAdj: restrictOomScoreAdj(res.oomScoreAdj) } : {}),
          Privileged: !!sc.privileged,
          ReadonlyRootfs: !!sc.readonlyRootfs,
          CapAdd: sc.capabilities?.addCapabilities ?? [],
          CapDrop: sc.capabilities?.dropCapabilities ?? [],
          ...(sc.supplementalGroups?.length ? { GroupAdd: sc.supplementalGroups.map(String) } : {}),
          ...(sc.noNewPrivs ? { SecurityOpt: ['no-new-privileges'] } : {}),
        },
      });
      return Id;
    } catch (e) {
      throw new RuntimeError('CreateContainerError', messageOf(e));
    }
  }

  async startContainer(id: string): Promise<void> {
    try {
      await this.engine.containers.start(id);
    } catch (e) {
      throw new RuntimeError('RunContainerError', `failed to start container "${id}": ${messageOf(e)}`);
    }
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    await this.stopQuietly(id, timeoutSeconds);
  }

  private async stopQuietly(id: string, timeout: number): Promise<void> {
    const c = this.engine.containers.find(id);
    if (!c) return;
    try {
      await this.engine.containers.stop(c.id, { timeout: Math.max(0, timeout) });
    } catch (e) {
      // not running (304) or gone: stopped is what was asked
      if (!isEngineError(e) || (e.kind !== 'notModified' && e.kind !== 'notFound' && e.kind !== 'conflict')) throw e;
    }
  }

  private async removeQuietly(id: string): Promise<void> {
    try {
      await this.engine.containers.remove(id, { force: true, volumes: true });
    } catch (e) {
      if (!isEngineError(e) || e.kind !== 'notFound') throw e;
    }
  }

  async removeContainer(id: string): Promise<void> {
    await this.removeQuietly(id);
  }

  private toContainer(c: EngineContainer): Container {
    const l = c.rec.Config.Labels ?? {};
    const { labels, annotations } = splitLabels(l);
    const st = c.rec.State.status;
    const state: ContainerState =
      st === 'running' || st === 'paused' || st === 'restarting' ? 'CONTAINER_RUNNING' : st === 'created' ? (c.rec.State.Error ? 'CONTAINER_EXITED' : 'CONTAINER_CREATED') : st === 'exited' || st === 'dead' ? 'CONTAINER_EXITED' : 'CONTAINER_UNKNOWN';
    return {
      id: c.id,
      podSandboxId: l[LABEL_SANDBOX_ID] ?? '',
      metadata: { name: l[LABEL_CONTAINER_NAME] ?? '', attempt: Number(l[LABEL_ATTEMPT] ?? 0) },
      image: normalizedImage(c.rec.Config.Image ?? ''),
      imageRef: this.imageRef(c.rec.Image),
      state,
      createdAt: ms2ns(Date.parse(c.rec.Created)),
      labels,
      annotations,
    };
  }

  /** What pod status shows as imageID: a repo digest when the image has one, else its ID. */
  private imageRef(id: string): string {
    const img = this.engine.images.byID(id);
    return (img && this.engine.images.repoDigests(img)[0]) || id;
  }

  async listContainers(filter: ContainerFilter = {}): Promise<Container[]> {
    return this.engine.containers
      .list()
      .filter((c) => c.rec.Config.Labels?.[LABEL_TYPE] === 'container')
      .map((c) => this.toContainer(c))
      .filter((c) => (!filter.podSandboxId || c.podSandboxId === filter.podSandboxId) && matches(c.labels, filter.labelSelector));
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const c = this.engine.containers.find(id);
    if (!c || c.rec.Config.Labels?.[LABEL_TYPE] !== 'container') throw new RuntimeError('NotFound', `an error occurred when try to find container "${id}": not found`);
    const base = this.toContainer(c);
    const s = c.rec.State;
    const exited = base.state === 'CONTAINER_EXITED';
    const reason = !exited ? '' : s.OOMKilled ? 'OOMKilled' : s.Error ? 'StartError' : s.exitCode === 0 ? 'Completed' : 'Error';
    return {
      ...base,
      startedAt: c.rec.HasBeenStartedBefore ? ms2ns(s.startedAt) : 0n,
      finishedAt: exited ? ms2ns(s.finishedAt ?? s.startedAt) : 0n,
      exitCode: exited ? s.exitCode : 0,
      reason,
      message: exited ? s.Error : '',
    };
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult> {
    const execId = this.engine.execs.create(id, { AttachStdout: true, AttachStderr: true, Cmd: cmd });
    const e = this.engine.execs.start(execId, { detach: false });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    e.output.on('data', (d: { stream: string; data: Buffer }) => (d.stream === 'stderr' ? err : out).push(d.data));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await new Promise<boolean>((resolve) => {
      if (timeoutSeconds > 0) {
        timer = setTimeout(() => {
          e.child?.kill('SIGKILL');
          resolve(true);
        }, timeoutSeconds * 1000);
      }
      void e.done.then(() => resolve(false));
    });
    if (timer) clearTimeout(timer);
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: timedOut ? -1 : (e.exitCode ?? 0), timedOut };
  }

  // ---- images ---------------------------------------------------------------------------------

  private toImageInfo(img: Image): ImageInfo {
    const c = img.config.config ?? {};
    return {
      id: img.id,
      repoTags: this.engine.images.repoTags(img),
      repoDigests: this.engine.images.repoDigests(img),
      size: img.layers.reduce((n, l) => n + l.size, 0),
      config: {
        entrypoint: c.Entrypoint ?? [],
        cmd: c.Cmd ?? [],
        user: c.User ?? '',
        workingDir: c.WorkingDir ?? '',
        env: c.Env ?? [],
        ...(c.StopSignal ? { stopSignal: c.StopSignal } : {}),
      },
    };
  }

  async listImages(): Promise<ImageInfo[]> {
    return this.engine.images.list().map((i) => this.toImageInfo(i));
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    let img: Image | undefined;
    try {
      img = this.engine.images.find(image);
    } catch {
      img = undefined;
    }
    return img ? this.toImageInfo(img) : undefined;
  }

  async pullImage(image: string): Promise<string> {
    try {
      if (this.opts.pull) await this.opts.pull(image);
      else await pull(registryDeps(this.engine), parseNormalizedNamed(image), () => undefined);
    } catch (e) {
      throw new RuntimeError('ErrImagePull', `failed to pull and unpack image "${image}": ${messageOf(e)}`);
    }
    const img = this.engine.images.find(image);
    if (!img) throw new RuntimeError('ErrImagePull', `failed to pull and unpack image "${image}": not found after pull`);
    return img.id;
  }

  // ---- streaming ------------------------------------------------------------------------------

  async containerLogs(id: string, opts: { tail?: number; follow: boolean }, onLine: (l: LogLine) => void, signal?: AbortSignal): Promise<void> {
    await this.engine.containers.logs(id, { ...(opts.tail !== undefined ? { tail: opts.tail } : {}), follow: opts.follow }, (e) => onLine({ stream: e.stream, line: e.line, timeNano: e.timeNano }), signal);
  }

  async exec(id: string, cmd: string[], opts: StreamOptions): Promise<ProcessStream> {
    const execs = this.engine.execs;
    const execId = execs.create(id, { AttachStdin: opts.stdin, AttachStdout: opts.stdout, AttachStderr: opts.stderr && !opts.tty, Tty: opts.tty, Cmd: cmd });
    const e = execs.start(execId, { detach: false });
    return {
      onOutput: (l) => e.output.on('data', (d: { stream: 'stdout' | 'stderr'; data: Buffer }) => l(d.stream, d.data)),
      writeStdin: (d) => execs.write(execId, d),
      // with a TTY the terminal's EOF is a ^D the client sends; closing the pty would hang up the shell
      closeStdin: () => execs.closeStdin(execId),
      resize: (w, h) => execs.resize(execId, h, w),
      done: e.done.then(() => e.exitCode ?? undefined),
      close: () => {
        if (!e.running) return;
        if (e.pid) {
          try {
            process.kill(e.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        } else e.child?.kill('SIGKILL');
      },
    };
  }

  async attach(id: string, opts: StreamOptions): Promise<ProcessStream> {
    const c = this.engine.containers.get(id);
    // as containerd's CRI: only a running container can be attached to (kubectl then falls back to
    // its logs); a process that has exited counts as exited before the engine has handled its exit
    // (a fast command's output would otherwise be missed by an attach that sees nothing more)
    const exited = c.rec.State.status === 'exited' || (c.rec.State.status === 'running' && !processRunning(c.rec.State.Pid));
    if (c.rec.State.status !== 'running' || exited) throw new Error(`container ${id} is in ${exited ? 'CONTAINER_EXITED' : 'CONTAINER_CREATED'} state`);
    const a = this.engine.containers.attach(id, { stdin: opts.stdin, stdout: opts.stdout, stderr: opts.stderr });
    let detached = false;
    const done = new Promise<number | undefined>((resolve) => a.output.once('end', () => resolve(detached ? undefined : c.rec.State.exitCode)));
    return {
      onOutput: (l) => a.output.on('data', (d: { stream: 'stdout' | 'stderr'; data: Buffer }) => l(d.stream, d.data)),
      writeStdin: (d) => a.writeStdin(d),
      closeStdin: () => a.closeStdin(),
      resize: (w, h) => this.engine.containers.resize(id, h, w),
      done,
      close: () => {
        if (detached) return;
        detached = true;
        a.detach();
        a.output.emit('end');
      },
    };
  }

  /** From the host to the pod's IP on the bridge (upstream's CRI enters the netns; the bridge reaches the same sockets but those bound to the pod's loopback). */
  async portForward(podSandboxId: string, port: number): Promise<Socket> {
    const st = await this.podSandboxStatus(podSandboxId);
    if (st.state !== 'SANDBOX_READY') throw new Error(`failed to find sandbox "${podSandboxId}" in store: not ready`);
    const ip = st.network?.ip || '127.0.0.1';
    return new Promise((resolve, reject) => {
      const sock = connect({ host: ip, port });
      const fail = (err: Error) => reject(new Error(`failed to connect to ${ip}:${port} of pod sandbox "${podSandboxId}": ${err.message}`));
      sock.once('error', fail);
      sock.once('connect', () => {
        sock.off('error', fail);
        resolve(sock);
      });
    });
  }

  onContainerEvent(listener: (containerId: string, labels: Record<string, string>) => void): () => void {
    return this.engine.events.subscribe((ev) => {
      if (ev.Type !== 'container' || (ev.Action !== 'die' && ev.Action !== 'start' && ev.Action !== 'destroy')) return;
      const attrs = ev.Actor.Attributes ?? {};
      if (attrs[LABEL_TYPE] !== 'container' && attrs[LABEL_TYPE] !== 'podsandbox') return;
      listener(ev.Actor.ID, splitLabels(attrs).labels);
    });
  }
}

const CAP_SYS_RESOURCE = 24;
let ownScoreFloor: number | null | undefined;

/**
 * containerd's restrict_oom_score_adj, applied when it must be: without CAP_SYS_RESOURCE (some
 * sandboxes and user namespaces) no process may lower its OOM score below its own, so a
 * Guaranteed pod's -997 would fail every start; the score is raised to the node agent's own
 * instead. With the capability the kubelet's score goes through unchanged.
 */
export function restrictOomScoreAdj(adj: number): number {
  if (ownScoreFloor === undefined) {
    ownScoreFloor = null;
    try {
      const caps = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
      if (caps && (BigInt(`0x${caps}`) & (1n << BigInt(CAP_SYS_RESOURCE))) === 0n) {
        ownScoreFloor = Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
      }
    } catch {
      // not Linux's /proc: nothing to restrict
    }
  }
  return ownScoreFloor !== null && adj < ownScoreFloor ? ownScoreFloor : adj;
}
