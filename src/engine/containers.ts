// The container service: create, start, stop, kill, pause, restart, remove, wait, attach and logs
// over runc, with the lifecycle decided by the pure state machine (lifecycle.ts) and every step
// persisted so that a restarted engine finds its containers again (live restore). Usable from
// TypeScript directly (the kubelet's runtime will be) as well as through the Docker API.
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
  truncateSync,
  cpSync,
  constants as fsc,
  type FSWatcher,
} from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { createServer } from 'node:net';
import type { PortMapping } from './cni.js';
import { validateCreate, generateName, validateName, updateHostConfig, updateResources, type CreateRequest, type EndpointSettings, type HostConfig } from './config.js';
import { conflict, EngineError, invalidParameter, isEngineError, messageOf, notFound, notModified, systemError } from './errors.js';
import type { EventBus } from './events.js';
import { imageSize, type ContainerConfig, type Image, type ImageStore } from './images.js';
import type { LayerStore } from './layers.js';
import { dockerTransition, isRunning, type Command, type LifecycleState } from './lifecycle.js';
import { ContainerLog, nowNano, type LogEntry, type RawChunk } from './logs.js';
import { parseBind, parseMountSpec, parseTmpfs, type MountPoint } from './mounts.js';
import { containerResolvConf, netnsName, PREDEFINED, randomID, type Endpoint, type NetworkRecord, type NetworkService } from './network.js';
import { shouldRestart, isNone } from './restart.js';
import { Runc, runcError } from './runtime.js';
import { StdinPipe } from './stdin.js';
import { parseSignal, SIGNALS } from './signals.js';
import { entrypointAndArgs, mergeConfig, parseGroup, parsePasswd, processEnv, resolveUser, runtimeSpec, type NamespaceMode, type OciMount, type ResolvedUser } from './spec.js';
import { check, isMounted, processAlive, run, unmountAll } from './sys.js';
import { cgroupVersion, containerCgroupsPath, readCgroupFile, removeCgroup } from './cgroups.js';
import { archiveName, changes, dirSize, extractTar, hostPath, makeInitLayer, opaqueDirs, resolveInScope, statPath, tarPath, type Change, type OverlayLayer, type FsView, type Owners, type PathStat } from './rootfs.js';
import type { VolumeStore } from './volumes.js';

/** What the engine remembers about a container (persisted as container.json). */
export interface ContainerRecord {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  Name: string;
  Image: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  State: LifecycleState & { Pid: number; OOMKilled: boolean; Error: string };
  RestartCount: number;
  HasBeenStartedBefore: boolean;
  HasBeenManuallyStopped: boolean;
  Mounts: MountPoint[];
  /** network name → endpoint, while attached */
  Networks: Record<string, Endpoint>;
  /** configured endpoint settings per network (aliases, static IP) */
  EndpointsConfig: Record<string, EndpointSettings>;
  /** published ports in effect: "80/tcp" → bindings */
  Ports: Record<string, { HostIp: string; HostPort: string }[]>;
  /** top layer of the image (ChainID); '' for an image without layers */
  ChainID: string;
  ShimPid: number;
  RestartDelayMs: number;
  Stdin: 'null' | 'once' | 'open';
  /**
   * The cgroups path runc was given for the last run: `<CgroupParent or the daemon's>/<id>`
   * (dockerd's cgroupfs driver). Absent in records from before it was kept: `/berth/<id>`.
   */
  CgroupsPath?: string;
}

export interface WaitResult {
  StatusCode: number;
  Error: { Message: string } | null;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** A live attach: raw output as it arrives, and the container's stdin. */
export interface AttachSession {
  output: EventEmitter; // 'data' (RawChunk), 'end'
  writeStdin(data: Buffer): void;
  closeStdin(): void;
  detach(): void;
}

export interface ContainerDeps {
  dataDir: string;
  images: ImageStore;
  layers: LayerStore;
  volumes: VolumeStore;
  network: NetworkService;
  events: EventBus;
  runc: Runc;
  /** The cgroup parent of containers that name none (dockerd's --cgroup-parent; default /berth, as dockerd's is /docker). */
  cgroupParent?: string;
}

/** The engine's default cgroup parent, berth's /docker. */
export const DEFAULT_CGROUP_PARENT = '/berth';

const HOSTS_HEADER = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
fe00::0\tip6-localnet
ff00::0\tip6-mcastprefix
ff02::1\tip6-allnodes
ff02::2\tip6-allrouters
`;

/** One container: its record plus what exists only while the engine runs. */
export class Container {
  readonly ev = new EventEmitter();
  log: ContainerLog;
  watchers: FSWatcher[] = [];
  readonly stdin = new StdinPipe();
  restartTimer: NodeJS.Timeout | undefined;
  /** serialises user operations on this container */
  private lock: Promise<unknown> = Promise.resolve();
  /** resolves when the exit in progress has been fully handled */
  exiting: Promise<void> | undefined;
  removed = false;
  attached = 0;
  /** Which run this is (counted at each start): a stop kills only the run it signalled. */
  run = 0;
  /** the none or host network this run joined (for its disconnect event) */
  predefinedNetwork: string | undefined;

  constructor(
    public rec: ContainerRecord,
    readonly dir: string,
  ) {
    this.ev.setMaxListeners(0);
    this.log = new ContainerLog(join(dir, 'io'));
  }

  get id(): string {
    return this.rec.ID;
  }

  get runDir(): string {
    return join(this.dir, 'run');
  }

  get rootfs(): string {
    return join(this.dir, 'rootfs');
  }

  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.lock.then(fn, fn);
    this.lock = next.catch(() => undefined);
    return next;
  }
}

export class ContainerService {
  private readonly containers = new Map<string, Container>();
  private readonly names = new Map<string, string>();
  readonly runc: Runc;
  private readonly root: string;
  private readonly numCPU = cpus().length;
  private readonly swapLimit = existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes');
  /** the host's cpuset (cgroup v1, else v2), for the create-time check of --cpuset-cpus/-mems */
  private readonly cpuset = (() => {
    const read = (f: string) => readOr(`/sys/fs/cgroup/cpuset/${f}`, '').trim() || readOr(`/sys/fs/cgroup/${f}.effective`, '').trim();
    const cpus = read('cpuset.cpus');
    return cpus ? { cpus, mems: read('cpuset.mems') } : undefined;
  })();
  private shuttingDown = false;

  constructor(private readonly d: ContainerDeps) {
    this.root = join(d.dataDir, 'containers');
    mkdirSync(this.root, { recursive: true });
    this.runc = d.runc;
    d.images.containerLayers = () => this.list().flatMap((c) => (c.rec.ChainID ? d.layers.chain(c.rec.ChainID).map((l) => l.chainID) : []));
  }

  // ---- lookup ---------------------------------------------------------------------------------

  list(): Container[] {
    return [...this.containers.values()].filter((c) => !c.removed);
  }

  /** GetContainer: full ID, exact name, then a unique ID prefix. */
  get(prefixOrName: string): Container {
    if (!prefixOrName) throw invalidParameter(`invalid name or ID supplied: ""`);
    const byId = this.containers.get(prefixOrName);
    if (byId && !byId.removed) return byId;
    const name = prefixOrName.startsWith('/') ? prefixOrName : `/${prefixOrName}`;
    const byName = this.names.get(name);
    if (byName && this.containers.has(byName)) return this.containers.get(byName)!;
    const hits = this.list().filter((c) => c.id.startsWith(prefixOrName));
    if (hits.length > 1) throw systemError(`Multiple IDs found with provided prefix: ${prefixOrName}`);
    if (hits.length === 0) throw notFound(`No such container: ${prefixOrName}`);
    return hits[0]!;
  }

  find(prefixOrName: string): Container | undefined {
    try {
      return this.get(prefixOrName);
    } catch {
      return undefined;
    }
  }

  /** Containers using an image, for rmi's checks. */
  imageUsers(): { id: string; imageID: string; running: boolean }[] {
    return this.list().map((c) => ({ id: c.id, imageID: c.rec.Image, running: isRunning(c.rec.State) }));
  }

  volumeUsers(name: string): string[] {
    return this.list()
      .filter((c) => c.rec.Mounts.some((m) => m.Type === 'volume' && m.Name === name))
      .map((c) => c.id);
  }

  // ---- persistence ------------------------------------------------------------------------------

  private persist(c: Container): void {
    if (c.removed) return;
    const tmp = join(c.dir, 'container.json.tmp');
    writeFileSync(tmp, JSON.stringify(c.rec));
    renameSync(tmp, join(c.dir, 'container.json'));
  }

  /** A container event for work done beside this service (docker commit). */
  logEvent(c: Container, action: string, extra: Record<string, string> = {}): void {
    this.event(c, action, extra);
  }

  private event(c: Container, action: string, extra: Record<string, string> = {}): void {
    const attrs: Record<string, string> = { ...(c.rec.Config.Labels ?? {}), image: c.rec.Config.Image ?? '', name: c.rec.Name.slice(1), ...extra };
    this.d.events.log('container', action, c.id, attrs);
  }

  // ---- create -----------------------------------------------------------------------------------

  async create(req: CreateRequest): Promise<{ Id: string; Warnings: string[] }> {
    const config: ContainerConfig = { ...(req.config ?? {}) };
    const host: HostConfig = { ...(req.hostConfig ?? {}) };
    // dockerd's order: settings, image, command, name, network
    const warnings = validateCreate(config, host, this.numCPU, this.cpuset);
    const eps = req.networkingConfig?.EndpointsConfig ?? {};
    if (Object.keys(eps).length > 1) throw invalidParameter(`Container cannot be connected to network endpoints: ${Object.keys(eps).join(', ')}`);
    this.adaptHostConfig(host, warnings);
    let img: Image | undefined;
    if (config.Image) img = this.d.images.get(config.Image);
    const merged = mergeConfig(config, img?.config.config);
    if (merged.Entrypoint && merged.Entrypoint.length === 1 && merged.Entrypoint[0] === '') merged.Entrypoint = null;
    const { path, args } = entrypointAndArgs(merged);
    let name: string;
    if (req.name) {
      name = validateName(req.name);
      const holder = this.names.get(name);
      if (holder) {
        throw conflict(`Conflict. The container name "${name}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
      }
    } else {
      name = `/${generateName(Math.random, (n) => this.names.has(n))}`;
    }
    // networking: validate the mode now, as dockerd does
    // dockerd keeps "default" as given (inspect shows it) and means the bridge network by it
    host.NetworkMode ||= 'default';
    const mode = networkMode(host);
    if (mode.startsWith('container:')) {
      const other = this.get(mode.slice('container:'.length));
      host.NetworkMode = `container:${other.id}`;
    } else if (mode !== 'host' && mode !== 'none') {
      // a missing network is start's error, not create's (updateContainerNetworkSettings)
      if (host.PublishAllPorts === undefined) host.PublishAllPorts = false;
    }
    for (const [k, v] of Object.entries(eps)) if (!v) throw invalidParameter(`no EndpointSettings for ${k}`);
    // EndpointsConfig names every network the container joins at start, its network mode's first
    const endpoints: Record<string, EndpointSettings> = {};
    if (!mode.startsWith('container:')) endpoints[mode] = eps[mode] ?? (mode === 'bridge' ? eps['default'] : undefined) ?? {};
    for (const [k, v] of Object.entries(eps)) if (k !== mode && !(mode === 'bridge' && k === 'default')) endpoints[k] = v!;
    const id = randomBytes(32).toString('hex');
    const mounts = this.mountPoints(merged, host);
    const dir = join(this.root, id);
    const rec: ContainerRecord = {
      ID: id,
      Created: new Date().toISOString(),
      Path: path,
      Args: args,
      Name: name,
      Image: img?.id ?? '',
      Config: { ...merged, Image: config.Image ?? '', Hostname: merged.Hostname || (mode === 'host' ? readHostname() : id.slice(0, 12)), Domainname: merged.Domainname ?? '' },
      HostConfig: host,
      State: { status: 'created', exitCode: 0, createdAt: Date.now(), Pid: 0, OOMKilled: false, Error: '' },
      RestartCount: 0,
      HasBeenStartedBefore: false,
      HasBeenManuallyStopped: false,
      Mounts: mounts,
      Networks: {},
      EndpointsConfig: endpoints,
      Ports: {},
      ChainID: img?.layers.at(-1)?.chainID ?? '',
      ShimPid: 0,
      RestartDelayMs: 0,
      Stdin: 'null',
    };
    // named volumes exist from create on (dockerd emits their create events here)
    for (const m of mounts) if (m.Type === 'volume' && m.Name) this.d.volumes.create(m.Name, m.Driver ?? 'local');
    for (const d of ['io', 'run', 'upper', 'work', 'rootfs']) mkdirSync(join(dir, d), { recursive: true });
    const c = new Container(rec, dir);
    this.containers.set(id, c);
    this.names.set(name, id);
    this.persist(c);
    this.event(c, 'create');
    return { Id: id, Warnings: warnings };
  }

  /** adaptContainerSettings + the resource adjustments of verifyPlatformContainerResources. */
  private adaptHostConfig(h: HostConfig, warnings: string[]): void {
    if ((h.Memory ?? 0) > 0 && (h.MemorySwap ?? 0) === 0) h.MemorySwap = h.Memory! * 2;
    if ((h.Memory ?? 0) > 0 && h.MemorySwap !== -1 && !this.swapLimit) {
      warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.');
      h.MemorySwap = -1;
    }
    h.ShmSize ||= 64 * 1024 * 1024;
    // "unset" as dockerd keeps it: -1 swappiness and a non-positive pids limit mean no setting
    if (h.MemorySwappiness === -1) h.MemorySwappiness = null;
    if (h.PidsLimit !== undefined && h.PidsLimit !== null && h.PidsLimit <= 0) h.PidsLimit = null;
    h.RestartPolicy ??= { Name: 'no', MaximumRetryCount: 0 };
    if (h.RestartPolicy.Name === '') h.RestartPolicy = { Name: 'no', MaximumRetryCount: 0 };
    h.LogConfig ??= { Type: 'json-file', Config: {} };
    h.LogConfig.Type ||= 'json-file';
    h.IpcMode ||= 'private';
    h.CgroupnsMode ||= 'host';
  }

  /** registerMountPoints: binds, --mount, --tmpfs, and anonymous volumes for the image's VOLUMEs. */
  private mountPoints(c: ContainerConfig, h: HostConfig): MountPoint[] {
    const out: MountPoint[] = [];
    const rnd = () => randomBytes(32).toString('hex');
    const add = (m: MountPoint) => {
      if (out.some((x) => x.Destination === m.Destination)) throw invalidParameter(`Duplicate mount point: ${m.Destination}`);
      out.push(m);
    };
    for (const b of h.Binds ?? []) {
      const mp: MountPoint = { ...parseBind(b, rnd), FromBinds: true };
      // setBindModeIfNull: a -v volume on the local driver gets the "z" mode
      if (mp.Type === 'volume' && (mp.Driver ?? 'local') === 'local' && !mp.Mode) mp.Mode = 'z';
      add(mp);
    }
    for (const m of h.Mounts ?? []) add(parseMountSpec(m, existsSync, rnd));
    for (const [dest, opts] of Object.entries(h.Tmpfs ?? {})) add(parseTmpfs(dest, opts));
    for (const dest of Object.keys(c.Volumes ?? {})) {
      if (out.some((m) => m.Destination === posix.normalize(dest))) continue;
      out.push({ Type: 'volume', Name: rnd(), Source: '', Destination: posix.normalize(dest), Driver: 'local', Mode: '', RW: true, Propagation: '', CopyData: true, Spec: { Type: 'volume', Target: dest } });
    }
    return out;
  }

  // ---- start ------------------------------------------------------------------------------------

  start(prefixOrName: string): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(() => this.startLocked(c, false));
  }

  private transition(c: Container, cmd: Command): void {
    const r = dockerTransition(c.rec.State, cmd, Date.now(), c.id);
    if (!r.ok) {
      const kind = r.error.kind === 'invalidTransition' ? 'conflict' : r.error.kind;
      throw new EngineError(kind, r.error.message);
    }
    c.rec.State = { ...c.rec.State, ...r.state };
  }

  private check(c: Container, cmd: Command): void {
    const r = dockerTransition(c.rec.State, cmd, Date.now(), c.id);
    if (!r.ok) throw new EngineError(r.error.kind === 'invalidTransition' ? 'conflict' : r.error.kind, r.error.message);
  }

  private async startLocked(c: Container, auto: boolean): Promise<void> {
    if (c.exiting) await c.exiting;
    if (c.removed) throw conflict('container is marked for removal and cannot be started');
    this.check(c, auto ? { op: 'autoRestart' } : { op: 'start' });
    if (!auto) {
      if (c.restartTimer) clearTimeout(c.restartTimer);
      c.restartTimer = undefined;
      c.rec.HasBeenManuallyStopped = false;
    }
    const started = Date.now();
    try {
      await this.prepare(c);
      await this.launch(c);
    } catch (e) {
      await this.cleanup(c).catch(() => undefined);
      let msg = messageOf(e);
      const code = startFailureCode(msg);
      // translateContainerdStartErr's hint for ENOTDIR (a bind onto a file, a cgroup parent that is a file)
      if (msg.toLowerCase().includes('not a directory')) msg += ': Are you trying to mount a directory onto a file (or vice-versa)? Check if the specified host path exists and is the expected type';
      const r = dockerTransition(c.rec.State, { op: 'startFailed', exitCode: code }, Date.now(), c.id);
      if (r.ok) c.rec.State = { ...c.rec.State, ...r.state };
      c.rec.State.Error = msg;
      c.rec.State.Pid = 0;
      this.persist(c);
      if (c.rec.HostConfig.AutoRemove && !auto) await this.removeLocked(c, true, true).catch(() => undefined);
      if (isEngineError(e) && (e.kind === 'conflict' || e.kind === 'notFound')) throw e;
      throw new EngineError(code === 128 ? 'system' : 'invalidParameter', msg);
    }
    this.transition(c, auto ? { op: 'autoRestart' } : { op: 'start' });
    c.run++;
    c.rec.State.startedAt = started;
    c.rec.State.Error = '';
    c.rec.State.OOMKilled = false;
    c.rec.HasBeenStartedBefore = true;
    this.persist(c);
    this.event(c, 'start');
  }

  /** Everything the container needs before runc: root filesystem, mounts, network, files, spec. */
  private async prepare(c: Container): Promise<void> {
    const r = c.rec;
    const h = r.HostConfig;
    // the user, from the container's own passwd and group files
    const user = this.userOf(c, r.Config.User ?? '');
    // a missing working directory is made by runc, as root whatever the user (as dockerd does)
    const cwd = r.Config.WorkingDir || '/';
    // mounts
    const ociMounts: OciMount[] = [];
    for (const m of r.Mounts) {
      if (m.Type === 'bind') {
        if (!existsSync(m.Source)) {
          // a `-v` bind creates its missing source; a `--mount` one was checked at create
          if (m.FromBinds) mkdirSync(m.Source, { recursive: true, mode: 0o755 });
          else throw invalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${m.Source}`);
        }
        ociMounts.push({ destination: m.Destination, type: 'bind', source: m.Source, options: ['rbind', m.Propagation || 'rprivate', ...(m.RW ? [] : ['ro'])] });
      } else if (m.Type === 'volume') {
        const v = this.d.volumes.exists(m.Name!) ? this.d.volumes.get(m.Name!) : this.d.volumes.create(m.Name!, m.Driver ?? 'local');
        const src = await this.d.volumes.mountpoint(v.Name);
        m.Source = src;
        if (m.CopyData && this.d.volumes.isEmpty(v.Name)) {
          await this.withRootfs(c, () => {
            const inImage = join(c.rootfs, m.Destination);
            if (existsSync(inImage) && lstatSync(inImage).isDirectory()) cpSync(inImage, src, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
          });
        }
        ociMounts.push({ destination: m.Destination, type: 'bind', source: src, options: ['rbind', 'rprivate', ...(m.RW ? [] : ['ro'])] });
      } else {
        const opts = ['nosuid', 'nodev', 'noexec', ...(m.Data ? m.Data.split(',').filter(Boolean) : [])];
        ociMounts.push({ destination: m.Destination, type: 'tmpfs', source: 'tmpfs', options: dedupeTmpfsOpts(opts) });
      }
    }
    // networking
    const netns = await this.setupNetwork(c);
    // the files dockerd writes for every container
    const etc = { hostname: join(c.dir, 'hostname'), hosts: join(c.dir, 'hosts'), resolv: join(c.dir, 'resolv.conf') };
    const hostnameFull = r.Config.Hostname + (r.Config.Domainname ? `.${r.Config.Domainname}` : '');
    const mode = networkMode(h);
    if (mode === 'host') {
      writeFileSync(etc.hosts, readOr('/etc/hosts', HOSTS_HEADER));
      writeFileSync(etc.hostname, readOr('/etc/hostname', `${r.Config.Hostname}\n`));
      writeFileSync(etc.resolv, readOr('/etc/resolv.conf', ''));
    } else if (!mode.startsWith('container:')) {
      writeFileSync(etc.hosts, this.hostsFile(c));
      writeFileSync(etc.hostname, `${hostnameFull}\n`);
      const userNet = Object.keys(r.Networks).find((n) => !PREDEFINED.includes(n));
      const gw = userNet ? r.Networks[userNet]!.Gateway : undefined;
      writeFileSync(etc.resolv, containerResolvConf(gw, h.Dns ?? [], h.DnsSearch ?? [], h.DnsOptions ?? []));
    }
    if (!mode.startsWith('container:')) {
      for (const [dest, src] of [['/etc/resolv.conf', etc.resolv], ['/etc/hostname', etc.hostname], ['/etc/hosts', etc.hosts]] as const) {
        if (!ociMounts.some((m) => m.destination === dest)) ociMounts.push({ destination: dest, type: 'bind', source: src, options: ['rbind', 'rprivate'] });
      }
    }
    const env = processEnv(r.Config.Env, r.Config.Hostname ?? '', !!r.Config.Tty);
    const other = (m: string | undefined, kind: string): NamespaceMode => {
      if (m === 'host') return { kind: 'host' };
      if (m?.startsWith('container:')) {
        const o = this.get(m.slice('container:'.length));
        if (o.rec.State.status !== 'running' && o.rec.State.status !== 'paused') throw conflict(`cannot join ${kind} of a non running container: ${o.id}`);
        return { kind: 'path', path: `/proc/${o.rec.State.Pid}/ns/${kind}` };
      }
      return { kind: 'new' };
    };
    const res = h;
    // dockerd's cgroupfs driver: the container's own cgroup under its parent (relative: under the engine's own)
    r.CgroupsPath = containerCgroupsPath(h.CgroupParent || this.d.cgroupParent || DEFAULT_CGROUP_PARENT, r.ID);
    const spec = runtimeSpec({
      root: 'rootfs',
      // runc mounts the layers itself, inside the container's mount namespace: no host mount to
      // make (a process less on every start) or to undo
      rootOverlay: { destination: '/', type: 'overlay', source: 'overlay', options: this.overlayOptions(c) },
      readonlyRootfs: !!h.ReadonlyRootfs,
      args: [r.Path, ...r.Args],
      env,
      cwd,
      user,
      tty: !!r.Config.Tty,
      hostname: r.Config.Hostname ?? '',
      mounts: ociMounts,
      network: mode === 'host' ? { kind: 'host' } : netns ? { kind: 'path', path: netns } : mode.startsWith('container:') ? other(mode, 'net') : { kind: 'new' },
      ipc: other(h.IpcMode === 'private' || h.IpcMode === 'shareable' ? undefined : h.IpcMode, 'ipc'),
      pid: other(h.PidMode, 'pid'),
      uts: mode === 'host' || h.UTSMode === 'host' ? { kind: 'host' } : { kind: 'new' },
      cgroupsPath: r.CgroupsPath,
      resources: {
        ...(res.Memory ? { memory: res.Memory } : {}),
        ...(res.MemorySwap && res.MemorySwap > 0 ? { memorySwap: res.MemorySwap } : {}),
        ...(res.MemoryReservation ? { memoryReservation: res.MemoryReservation } : {}),
        ...(res.CpuShares ? { cpuShares: res.CpuShares } : {}),
        ...(res.NanoCpus ? { cpuQuota: Math.round((res.NanoCpus * 100000) / 1e9), cpuPeriod: 100000 } : {}),
        ...(res.CpuQuota ? { cpuQuota: res.CpuQuota } : {}),
        ...(res.CpuPeriod ? { cpuPeriod: res.CpuPeriod } : {}),
        ...(res.CpusetCpus ? { cpusetCpus: res.CpusetCpus } : {}),
        ...(res.CpusetMems ? { cpusetMems: res.CpusetMems } : {}),
        ...(res.PidsLimit && res.PidsLimit > 0 ? { pidsLimit: res.PidsLimit } : {}),
        ...(res.BlkioWeight ? { blkioWeight: res.BlkioWeight } : {}),
      },
      capAdd: h.CapAdd ?? [],
      capDrop: h.CapDrop ?? [],
      privileged: !!h.Privileged,
      shmSize: h.ShmSize ?? 64 * 1024 * 1024,
      sysctls: h.Sysctls ?? {},
      ...(h.OomScoreAdj ? { oomScoreAdj: h.OomScoreAdj } : {}),
      noNewPrivileges: (h.SecurityOpt ?? []).includes('no-new-privileges') || (h.SecurityOpt ?? []).includes('no-new-privileges:true'),
    });
    writeFileSync(join(c.dir, 'config.json'), JSON.stringify(spec));
  }

  /** The overlayfs options of a container's root: the image's layers under its own writable layer. */
  private overlayOptions(c: Container): string[] {
    const [upper, ...lower] = this.rootLayers(c);
    if (lower.length === 1) lower.push(this.emptyLower()); // overlayfs wants two lowers for a read-only stack
    return [`lowerdir=${lower.join(':')}`, `upperdir=${upper}`, `workdir=${join(c.dir, 'work')}`];
  }

  /** Runs fn with the root filesystem mounted on the host (only to copy image content into a new volume). */
  private async withRootfs(c: Container, fn: () => void): Promise<void> {
    await check('mount', ['-t', 'overlay', 'overlay', '-o', this.overlayOptions(c).join(','), c.rootfs]);
    try {
      fn();
    } finally {
      // runc mounts the same upper and work directories next: this mount must be gone first
      await unmountAll(c.rootfs);
    }
  }

  /**
   * A file of the root filesystem, read through the layers top down (whiteouts hide what is
   * below them; symlinks are followed within the root). The root is only mounted inside the
   * container, so this is how the engine reads /etc/passwd and /etc/group.
   */
  private readRootFile(c: Container, rel: string, depth = 0): string | undefined {
    const layers = this.rootLayers(c);
    const parts = posix.normalize(rel).split('/').filter(Boolean);
    for (const layer of layers) {
      for (let i = 1; i <= parts.length; i++) {
        const sub = parts.slice(0, i).join('/');
        let st;
        try {
          st = lstatSync(join(layer, sub));
        } catch {
          break; // not in this layer: look below
        }
        if (st.isCharacterDevice() && st.rdev === 0) return undefined; // a whiteout
        if (st.isSymbolicLink()) {
          if (depth > 8) return undefined;
          const target = readlinkSync(join(layer, sub));
          const rest = parts.slice(i).join('/');
          const base = target.startsWith('/') ? target : posix.join('/', ...parts.slice(0, i - 1), target);
          return this.readRootFile(c, posix.join(base, rest), depth + 1);
        }
        if (i === parts.length) return st.isFile() ? readFileSync(join(layer, sub), 'utf8') : undefined;
        if (!st.isDirectory()) return undefined;
      }
    }
    return undefined;
  }

  private emptyLower(): string {
    const p = join(this.d.dataDir, 'empty');
    mkdirSync(p, { recursive: true });
    return p;
  }

  userOf(c: Container, spec: string): ResolvedUser {
    const passwd = parsePasswd(this.readRootFile(c, 'etc/passwd') ?? '');
    const group = parseGroup(this.readRootFile(c, 'etc/group') ?? '');
    const u = resolveUser(spec, passwd, group);
    for (const g of c.rec.HostConfig.GroupAdd ?? []) {
      const gid = /^\d+$/.test(g) ? Number(g) : group.find((x) => x.name === g)?.gid;
      if (gid === undefined) throw invalidParameter(`Unable to find group ${g}`);
      if (!u.additionalGids.includes(gid)) u.additionalGids.push(gid);
    }
    return u;
  }

  /** Joins the container to its networks; returns the namespace path (undefined: runc makes one). */
  private async setupNetwork(c: Container): Promise<string | undefined> {
    const r = c.rec;
    const mode = networkMode(r.HostConfig);
    r.Networks = {};
    r.Ports = {};
    if (mode.startsWith('container:')) return undefined;
    if (mode === 'host' || mode === 'none') {
      // nothing to set up, but dockerd reports the container joining these networks too
      const n = this.d.network.get(mode);
      this.d.events.log('network', 'connect', n.Id, { container: r.ID, name: n.Name, type: n.Driver });
      c.predefinedNetwork = n.Id;
      return undefined;
    }
    const netns = await this.d.network.createNetns(r.ID);
    // the networks as the client named them become the networks' names (dockerd re-keys them)
    const configured = Object.entries(r.EndpointsConfig);
    const named: Record<string, EndpointSettings> = {};
    let first = true;
    for (const [key, cfg] of configured) {
      const net = this.d.network.get(key);
      named[net.Name] = cfg;
      if (net.Driver !== 'bridge') continue;
      await this.joinNetwork(c, net, cfg, netns, first);
      first = false;
    }
    r.EndpointsConfig = named;
    this.persist(c);
    return netns;
  }

  /** Attaches a container's namespace to one bridge network (the first one also gets the published ports). */
  private async joinNetwork(c: Container, net: NetworkRecord, cfg: EndpointSettings, netns: string, withPorts: boolean): Promise<Endpoint> {
    const r = c.rec;
    const endpointID = randomID();
    const ports = withPorts ? await this.portMappings(c, endpointID) : [];
    // on a user-defined network the short ID is an alias, and it stays in the settings (updateNetworkConfig)
    if (!PREDEFINED.includes(net.Name) && !(cfg.Aliases ?? []).includes(r.ID.slice(0, 12))) cfg.Aliases = [...(cfg.Aliases ?? []), r.ID.slice(0, 12)];
    const used = new Set(Object.values(r.Networks).map((e) => e.IfName));
    let i = 0;
    while (used.has(`eth${i}`)) i++;
    const ep = await this.d.network.attach(net, r.ID, netns, `eth${i}`, {
      endpointID,
      ...(cfg.IPAMConfig?.IPv4Address ? { ip: cfg.IPAMConfig.IPv4Address } : {}),
      ports,
      aliases: PREDEFINED.includes(net.Name) ? [] : [...(cfg.Aliases ?? [])],
    });
    r.Networks[net.Name] = ep;
    for (const p of ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      (r.Ports[key] ??= []).push({ HostIp: p.hostIP || '0.0.0.0', HostPort: String(p.hostPort) });
    }
    this.d.events.log('network', 'connect', net.Id, { container: r.ID, name: net.Name, type: net.Driver });
    return ep;
  }

  /** /etc/hosts: the usual header, --add-host entries, and the container's own name on each address. */
  private hostsFile(c: Container): string {
    const r = c.rec;
    const full = r.Config.Hostname + (r.Config.Domainname ? `.${r.Config.Domainname}` : '');
    let hosts = HOSTS_HEADER;
    for (const eh of r.HostConfig.ExtraHosts ?? []) {
      const i = eh.indexOf(':');
      hosts += `${eh.slice(i + 1)}\t${eh.slice(0, i)}\n`;
    }
    for (const ep of Object.values(r.Networks)) {
      if (ep.IPAddress) hosts += `${ep.IPAddress}\t${full}${r.Config.Domainname ? ` ${r.Config.Hostname}` : ''}\n`;
    }
    return hosts;
  }

  // ---- network connect and disconnect -----------------------------------------------------------

  /** The settings dockerd's updateNetworkSettings refuses: host networks and private modes do not mix. */
  private checkConnectable(c: Container, n: NetworkRecord): void {
    const mode = networkMode(c.rec.HostConfig);
    if (mode !== 'host' && n.Driver === 'host') throw invalidParameter('container cannot be disconnected from host network or connected to host network');
    for (const key of [mode, ...Object.keys(c.rec.EndpointsConfig)]) {
      const have = this.d.network.find(key);
      if (!have || have.Id === n.Id) continue;
      if (have.Driver === 'host' || n.Driver === 'host') throw invalidParameter('container sharing network namespace with another container or host cannot be connected to any other network');
      if (have.Driver === 'null' || n.Driver === 'null') throw invalidParameter('container cannot be connected to multiple networks with one of the networks in private (none) mode');
    }
  }

  /** docker network connect: joins now when running, else at the next start. */
  connect(prefixOrName: string, network: string, cfg: EndpointSettings = {}): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(async () => {
      const r = c.rec;
      const mode = networkMode(r.HostConfig);
      const live = r.State.status === 'running' || r.State.status === 'paused';
      if (c.removed || r.State.status === 'dead') throw conflict(`Container ${r.ID} is marked for removal and cannot be connected or disconnected to the network`);
      const n = this.d.network.find(network);
      if (!live) {
        if (!n) {
          r.EndpointsConfig[network] = cfg;
        } else if (!Object.keys(r.EndpointsConfig).some((k) => this.d.network.find(k)?.Id === n.Id)) {
          this.checkConnectable(c, n);
          if (!PREDEFINED.includes(n.Name) && !(cfg.Aliases ?? []).includes(r.ID.slice(0, 12))) cfg.Aliases = [...(cfg.Aliases ?? []), r.ID.slice(0, 12)];
          r.EndpointsConfig[n.Name] = cfg;
        }
        this.persist(c);
        return;
      }
      if (mode.startsWith('container:')) throw invalidParameter('container sharing network namespace with another container or host cannot be connected to any other network');
      if (!n) throw notFound(`network ${network} not found`);
      this.checkConnectable(c, n);
      if (r.Networks[n.Name] || (n.Driver !== 'bridge' && Object.keys(r.EndpointsConfig).includes(n.Name))) {
        throw new EngineError('forbidden', `endpoint with name ${r.Name.slice(1)} already exists in network ${n.Name}`);
      }
      await this.joinNetwork(c, n, cfg, `/run/netns/${netnsName(r.ID)}`, Object.keys(r.Networks).length === 0);
      r.EndpointsConfig[n.Name] = cfg;
      this.persist(c);
      writeFileSync(join(c.dir, 'hosts'), this.hostsFile(c));
    });
  }

  /** docker network disconnect. */
  disconnect(prefixOrName: string, network: string, force = false): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(async () => {
      const r = c.rec;
      const live = r.State.status === 'running' || r.State.status === 'paused';
      const n = this.d.network.find(network);
      if (!live || (!n && force)) {
        const key = network in r.EndpointsConfig ? network : n && n.Name in r.EndpointsConfig ? n.Name : undefined;
        if (key === undefined) throw systemError(`container ${r.ID} is not connected to the network ${network}`);
        delete r.EndpointsConfig[key];
      } else if (n) {
        if (networkMode(r.HostConfig) === 'host' && n.Driver === 'host') throw invalidParameter('container cannot be disconnected from host network or connected to host network');
        const ep = r.Networks[n.Name];
        if (!ep) throw systemError(`container ${r.ID} is not connected to network ${n.Name}`);
        await this.d.network.detach(n, r.ID, `/run/netns/${netnsName(r.ID)}`, ep.IfName);
        // the published ports went with the endpoint that carried them
        if (ep.IfName === 'eth0') r.Ports = {};
        delete r.Networks[n.Name];
        delete r.EndpointsConfig[n.Name];
        writeFileSync(join(c.dir, 'hosts'), this.hostsFile(c));
      } else {
        throw notFound(`network ${network} not found`);
      }
      this.persist(c);
      if (n) this.d.events.log('network', 'disconnect', n.Id, { container: r.ID, name: n.Name, type: n.Driver });
    });
  }

  /** The container's published ports, with host ports chosen for the unspecified ones. */
  private async portMappings(c: Container, endpointID: string): Promise<PortMapping[]> {
    const h = c.rec.HostConfig;
    const out: PortMapping[] = [];
    const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
    for (const [k, v] of Object.entries(h.PortBindings ?? {})) bindings[k] = v ?? [];
    if (h.PublishAllPorts) for (const k of Object.keys(c.rec.Config.ExposedPorts ?? {})) bindings[k] ??= [{ HostIp: '', HostPort: '' }];
    const inUse = new Set(this.list().filter((o) => o !== c && isRunning(o.rec.State)).flatMap((o) => Object.entries(o.rec.Ports).flatMap(([k, bs]) => bs.map((b) => `${b.HostPort}/${k.split('/')[1]}`))));
    for (const [key, bs] of Object.entries(bindings)) {
      const [portStr, proto = 'tcp'] = key.split('/') as [string, string?];
      const [cStart, cEnd = cStart] = portStr.split('-').map(Number) as [number, number?];
      for (const b of bs) {
        const hp = b.HostPort ?? '';
        const [hStart, hEnd] = hp ? (hp.split('-').map(Number) as [number, number?]) : [0, undefined];
        const cLen = cEnd! - cStart;
        for (let i = 0; i <= cLen; i++) {
          // a host range as long as the container range maps one to one; a longer one is a pool
          const oneToOne = hStart && (hEnd === undefined || hEnd - hStart === cLen);
          let hostPort = hStart && oneToOne ? hStart + i : 0;
          if (hStart && !oneToOne) hostPort = await findFreePort(proto, hStart, hEnd!, inUse);
          if (!hostPort) hostPort = await findFreePort(proto, 49153, 60999, inUse);
          else if (inUse.has(`${hostPort}/${proto}`) || !(await portFree(proto, hostPort, b.HostIp || '0.0.0.0'))) {
            throw systemError(`driver failed programming external connectivity on endpoint ${c.rec.Name.slice(1)} (${endpointID}): Bind for ${b.HostIp || '0.0.0.0'}:${hostPort} failed: port is already allocated`);
          }
          inUse.add(`${hostPort}/${proto}`);
          out.push({ hostPort, containerPort: cStart + i, protocol: proto, ...(b.HostIp ? { hostIP: b.HostIp } : {}) });
        }
      }
    }
    return out;
  }

  /** Spawns the shim and waits for runc to report the process running, or failing. */
  private async launch(c: Container): Promise<void> {
    const r = c.rec;
    for (const f of ['init.pid', 'exit', 'exit.tmp', 'runc.log']) rmSync(join(c.runDir, f), { force: true });
    await this.d.runc.deleteIfPresent(r.ID); // a stale runc state from a crash would block the new run
    for (const s of ['stdout', 'stderr']) if (!existsSync(join(c.dir, 'io', s))) writeFileSync(join(c.dir, 'io', s), '');
    const tty = !!r.Config.Tty;
    r.Stdin = tty || (r.Config.OpenStdin && !r.Config.StdinOnce) ? 'open' : r.Config.OpenStdin ? 'once' : 'null';
    if (r.Stdin !== 'null' || tty) {
      const fifo = join(c.runDir, 'stdin');
      if (!existsSync(fifo)) await check('mkfifo', ['-m', '0600', fifo]);
      c.stdin.open(openSync(fifo, fsc.O_RDWR));
    }
    c.log.close();
    const stderrSize = statSync(join(c.dir, 'io', 'stderr')).size;
    this.watch(c, false);
    const pidFile = join(c.runDir, 'init.pid');
    const exitFile = join(c.runDir, 'exit');
    const ready = new Promise<'running' | 'exited'>((resolve) => {
      const done = () => {
        if (existsSync(pidFile)) resolve('running');
        else if (existsSync(exitFile)) resolve('exited');
      };
      c.ev.on('runDirChange', done);
      c.ev.once('readyCheck', done);
      // a shim that died before runc said anything must not leave the start waiting
      c.ev.once('shimExit', () => resolve(existsSync(pidFile) ? 'running' : 'exited'));
    });
    r.ShimPid = this.d.runc.startShim({ id: r.ID, bundle: c.dir, runDir: c.runDir, ioDir: join(c.dir, 'io'), tty, stdin: r.Stdin, keep: (r.HostConfig.Memory ?? 0) > 0 }, (pid) => {
      // news of an earlier run's shim (it can arrive late) or for an engine that let go: not ours
      if (this.shuttingDown || c.rec.ShimPid !== pid) return;
      c.ev.emit('runDirChange');
      c.ev.emit('shimExit');
      if (exitWritten(c.runDir)) void this.onExit(c);
    });
    c.ev.emit('readyCheck');
    const outcome = await ready;
    c.ev.removeAllListeners('runDirChange');
    c.ev.removeAllListeners('shimExit');
    if (outcome === 'exited') {
      const msg = runcError(c.runDir, 'container exited during start');
      this.unwatch(c);
      // runc printed its error on the container's stderr; dockerd never logs that line
      truncateSync(join(c.dir, 'io', 'stderr'), stderrSize);
      throw systemError(`failed to create shim task: OCI runtime create failed: ${msg.replace(/^runc run failed: /, 'runc create failed: ')}: unknown`);
    }
    r.State.Pid = Number(readFileSync(pidFile, 'utf8').trim());
    c.stdin.started();
    this.watchIO(c);
    this.pump(c);
  }

  /** Watches the container's io and run directories: output to tail, the exit to handle. */
  private watch(c: Container, io = true): void {
    this.unwatch(c);
    const runw = watch(c.runDir, (_t, f) => {
      c.ev.emit('runDirChange');
      if (f === 'exit' && exitWritten(c.runDir)) void this.onExit(c);
    });
    runw.on('error', () => {});
    c.watchers = [runw];
    if (io) this.watchIO(c);
  }

  private watchIO(c: Container): void {
    const w = watch(join(c.dir, 'io'), () => this.pump(c));
    w.on('error', () => {});
    c.watchers.push(w);
  }

  private unwatch(c: Container): void {
    for (const w of c.watchers) w.close();
    c.watchers = [];
  }

  /** Moves new output into the log index and out to attached clients and followers. */
  pump(c: Container, flush = false): void {
    if (c.removed) return;
    let out: { raw: RawChunk[]; entries: LogEntry[] };
    try {
      out = c.log.poll(nowNano(), flush);
    } catch {
      return;
    }
    for (const ch of out.raw) c.ev.emit('raw', ch);
    for (const e of out.entries) c.ev.emit('entry', e);
  }

  // ---- exit -------------------------------------------------------------------------------------

  /** The process ended (seen through the shim's exit file): record it, clean up, maybe restart. */
  private onExit(c: Container): Promise<void> {
    if (c.exiting) return c.exiting;
    if (!isRunning(c.rec.State) || c.rec.State.status === 'restarting') return Promise.resolve();
    const p = this.handleExit(c).finally(() => {
      c.exiting = undefined;
    });
    c.exiting = p;
    return p;
  }

  private async handleExit(c: Container, lost = false): Promise<void> {
    // let the caller record this as `c.exiting` before anyone hears of the exit (they wait on it)
    await Promise.resolve();
    const r = c.rec;
    const exitFile = join(c.runDir, 'exit');
    let code = 255;
    let finished = Date.now();
    if (!lost && existsSync(exitFile)) {
      code = Number(readFileSync(exitFile, 'utf8').trim() || '255');
      finished = statSync(exitFile).mtimeMs;
    }
    this.pump(c, true);
    this.unwatch(c);
    c.log.close();
    c.stdin.close();
    r.State.OOMKilled = code === 137 && this.wasOOMKilled(c);
    const ranFor = finished - (r.State.startedAt ?? finished);
    const decision = c.removed || this.shuttingDown ? { restart: false, delayMs: 0 } : shouldRestart(r.HostConfig.RestartPolicy, code, r.RestartCount, r.HasBeenManuallyStopped, ranFor, r.RestartDelayMs);
    const res = dockerTransition(r.State, { op: 'exit', exitCode: code, restart: decision.restart }, finished, r.ID);
    if (res.ok) r.State = { ...r.State, ...res.state };
    r.State.Pid = 0;
    r.ShimPid = 0;
    if (lost) r.State.Error = 'container state was lost while the engine was down';
    if (decision.restart) {
      r.RestartCount++;
      r.RestartDelayMs = decision.delayMs;
    }
    this.persist(c);
    if (r.State.OOMKilled) this.event(c, 'oom');
    this.event(c, 'die', { exitCode: String(code) });
    // waiters learn of the exit before the clean-up, as with dockerd (SetStopped, then Cleanup);
    // anything that changes the container waits for `exiting`, which includes the clean-up
    c.ev.emit('exit', code);
    await this.cleanup(c);
    this.persist(c);
    if (decision.restart) {
      c.restartTimer = setTimeout(() => {
        c.restartTimer = undefined;
        void c.serialize(() => this.startLocked(c, true)).catch(() => {
          const s = dockerTransition(c.rec.State, { op: 'stop', exitCode: code }, Date.now(), c.id);
          if (s.ok) c.rec.State = { ...c.rec.State, ...s.state };
          this.persist(c);
          c.ev.emit('stopped');
        });
      }, decision.delayMs);
    } else {
      c.ev.emit('stopped');
      if (r.HostConfig.AutoRemove && !c.removed) void c.serialize(() => this.removeLocked(c, true, true)).catch(() => undefined);
    }
  }

  /** The kernel's count of OOM kills in the container's memory cgroup (v1 oom_control, v2 memory.events); runc keeps the cgroup until delete when a memory limit is set. */
  private wasOOMKilled(c: Container): boolean {
    const text = readCgroupFile('memory', cgroupsPathOf(c.rec), cgroupVersion() === 2 ? 'memory.events' : 'memory.oom_control');
    return /^oom_kill [1-9]/m.test(text ?? '');
  }

  /** Releases what a run held: network, mounts, runc state (daemon.Cleanup). */
  private async cleanup(c: Container): Promise<void> {
    const r = c.rec;
    for (const [name, ep] of Object.entries(r.Networks)) {
      const n = this.d.network.find(ep.NetworkID) ?? this.d.network.find(name);
      if (n) {
        await this.d.network.detach(n, r.ID, `/run/netns/${netnsName(r.ID)}`, ep.IfName).catch(() => undefined);
        this.d.events.log('network', 'disconnect', n.Id, { container: r.ID, name: n.Name, type: n.Driver });
      }
    }
    if (c.predefinedNetwork) {
      const n = this.d.network.find(c.predefinedNetwork);
      if (n) this.d.events.log('network', 'disconnect', n.Id, { container: r.ID, name: n.Name, type: n.Driver });
      c.predefinedNetwork = undefined;
    }
    r.Networks = {};
    r.Ports = {};
    await this.d.network.deleteNetns(r.ID);
    await unmountAll(c.rootfs);
    await this.d.runc.deleteIfPresent(r.ID);
    // what runc deletes with its state, unless its state was lost (a killed runc, a reboot's stale records)
    await removeCgroup(cgroupsPathOf(r), 0);
    for (const m of r.Mounts) {
      if (m.Type === 'volume' && m.Name) {
        const used = this.list().some((o) => o !== c && isRunning(o.rec.State) && o.rec.Mounts.some((x) => x.Name === m.Name));
        await this.d.volumes.release(m.Name, used);
      }
    }
  }

  // ---- stop, kill, pause ------------------------------------------------------------------------

  /**
   * The grace period is waited out without the container's lock, as dockerd does: a kill, a forced
   * remove or a shorter stop meanwhile is not held up by it (the kubelet stops a pod with its 30 s
   * grace; a node shutting down then stops the same containers with 10 s).
   */
  async stop(prefixOrName: string, opts: { timeout?: number; signal?: string } = {}): Promise<void> {
    const c = this.get(prefixOrName);
    const sent = await c.serialize(() => this.stopSignal(c, opts.timeout, opts.signal));
    if (!sent) return;
    if (!(await within(sent.exited, sent.grace))) {
      // Still the run the signal went to (not one started since): killed, under the lock again.
      await c.serialize(async () => {
        if (c.run === sent.run && isRunning(c.rec.State)) await this.killAndWait(c);
      });
    }
    await sent.exited;
    this.event(c, 'stop');
  }

  private stopTimeout(c: Container): number {
    return c.rec.Config.StopTimeout ?? 10;
  }

  /** stop under a lock held throughout (restart's). */
  private async stopLocked(c: Container, timeout?: number, signal?: string): Promise<void> {
    const sent = await this.stopSignal(c, timeout, signal);
    if (!sent) return;
    if (!(await within(sent.exited, sent.grace))) await this.killAndWait(c);
    await sent.exited;
    this.event(c, 'stop');
  }

  /**
   * A stop's first part, under the lock: the checks, the container marked as stopped by hand, and
   * its stop signal sent. Undefined when that already stopped it (a restart cancelled); else the
   * run's exit and how long to wait for it before a kill.
   */
  private async stopSignal(c: Container, timeout?: number, signal?: string): Promise<{ exited: Promise<void>; grace: number; run: number } | undefined> {
    if (c.exiting) await c.exiting;
    this.check(c, { op: 'stop' });
    c.rec.HasBeenManuallyStopped = true;
    this.persist(c);
    if (c.rec.State.status === 'restarting') {
      this.cancelRestart(c);
      this.event(c, 'stop');
      return undefined;
    }
    const t = timeout ?? this.stopTimeout(c);
    const sig = signal ? parseSignal(signal) : c.rec.Config.StopSignal ? parseSignal(c.rec.Config.StopSignal) : SIGNALS['TERM']!;
    const exited = this.waitExit(c);
    // a failed signal means the process is already going; give it two seconds, as dockerd does
    const grace = await this.signal(c, sig).then(
      () => (t < 0 ? Infinity : t * 1000),
      () => 2000,
    );
    return { exited, grace, run: c.run };
  }

  private cancelRestart(c: Container): void {
    if (c.restartTimer) clearTimeout(c.restartTimer);
    c.restartTimer = undefined;
    const s = dockerTransition(c.rec.State, { op: 'stop' }, Date.now(), c.id);
    if (s.ok) c.rec.State = { ...c.rec.State, ...s.state };
    this.persist(c);
    c.ev.emit('stopped');
  }

  /** Resolves once the current run has ended and been handled. */
  private waitExit(c: Container): Promise<void> {
    if (!isRunning(c.rec.State) || c.rec.State.status === 'restarting') return c.exiting ?? Promise.resolve();
    return new Promise((resolve) => {
      const on = () => {
        c.ev.off('stopped', on);
        c.ev.off('exit', onExit);
        resolve();
      };
      const onExit = () => {
        // the exit is recorded; wait for the cleanup that follows it
        void (c.exiting ?? Promise.resolve()).then(on);
      };
      c.ev.on('stopped', on);
      c.ev.on('exit', onExit);
    });
  }

  /** Sends a signal to the container's init; SIGKILL also thaws a paused container. */
  private async signal(c: Container, sig: number): Promise<void> {
    const r = c.rec;
    try {
      await this.d.runc.kill(r.ID, String(sig));
    } catch (e) {
      if (!isRunning(r.State)) return;
      throw systemError(`Cannot kill container ${r.ID}: ${messageOf(e)}`);
    }
    this.event(c, 'kill', { signal: String(sig) });
    if (r.State.status === 'paused' && (sig === 9 || sig === parseSignal(r.Config.StopSignal || 'TERM'))) {
      await this.d.runc.resume(r.ID).catch(() => undefined);
    }
  }

  private async killAndWait(c: Container): Promise<void> {
    const exited = this.waitExit(c);
    await this.signal(c, 9).catch(() => undefined);
    if (!(await within(exited, 10_000))) {
      // the last resort dockerd also has: kill the process directly
      if (c.rec.State.Pid) {
        try {
          process.kill(c.rec.State.Pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      if (!(await within(exited, 2_000))) throw systemError('tried to kill container, but did not receive an exit event');
    }
  }

  kill(prefixOrName: string, signal?: string): Promise<void> {
    const sig = signal ? parseSignal(signal) : 9;
    const c = this.get(prefixOrName);
    return c.serialize(async () => {
      if (c.exiting) await c.exiting;
      if (!isRunning(c.rec.State)) throw conflict(`Cannot kill container: ${prefixOrName}: Container ${c.id} is not running`);
      c.rec.HasBeenManuallyStopped = true;
      this.persist(c);
      if (c.rec.State.status === 'restarting') {
        this.cancelRestart(c);
        return;
      }
      if (sig === 9) {
        await this.killAndWait(c);
        return;
      }
      await this.signal(c, sig);
    });
  }

  pause(prefixOrName: string): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(async () => {
      this.check(c, { op: 'pause' });
      try {
        await this.d.runc.pause(c.id);
      } catch (e) {
        throw systemError(`Cannot pause container ${c.id}: ${messageOf(e)}`);
      }
      this.transition(c, { op: 'pause' });
      this.persist(c);
      this.event(c, 'pause');
    });
  }

  unpause(prefixOrName: string): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(async () => {
      this.check(c, { op: 'unpause' });
      try {
        await this.d.runc.resume(c.id);
      } catch (e) {
        throw systemError(`Cannot unpause container ${c.id}: ${messageOf(e)}`);
      }
      this.transition(c, { op: 'unpause' });
      this.persist(c);
      this.event(c, 'unpause');
    });
  }

  restart(prefixOrName: string, timeout?: number, signal?: string): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(async () => {
      if (c.exiting) await c.exiting;
      if (c.rec.State.status === 'dead') throw conflict('container is marked for removal and cannot be started');
      if (isRunning(c.rec.State)) await this.stopLocked(c, timeout, signal);
      try {
        await this.startLocked(c, false);
      } catch (e) {
        throw new EngineError(isEngineError(e) ? e.kind : 'system', `Cannot restart container ${prefixOrName}: ${messageOf(e)}`);
      }
      this.event(c, 'restart');
    });
  }

  // ---- remove -----------------------------------------------------------------------------------

  remove(prefixOrName: string, opts: { force?: boolean; volumes?: boolean } = {}): Promise<void> {
    const c = this.get(prefixOrName);
    return c.serialize(() => this.removeLocked(c, !!opts.force, !!opts.volumes));
  }

  private async removeLocked(c: Container, force: boolean, volumes: boolean): Promise<void> {
    if (c.removed) return;
    if (c.exiting) await c.exiting;
    this.check(c, { op: 'remove', force });
    if (c.rec.State.status === 'restarting') this.cancelRestart(c);
    if (isRunning(c.rec.State)) {
      c.rec.HasBeenManuallyStopped = true;
      try {
        await this.killAndWait(c);
      } catch (e) {
        throw systemError(`Could not kill running container ${c.id}, cannot remove - ${messageOf(e)}`);
      }
    }
    this.unwatch(c);
    c.log.close();
    await this.cleanup(c);
    c.removed = true;
    this.names.delete(c.rec.Name);
    this.containers.delete(c.id);
    const trash = join(this.root, `.rm-${c.id}`);
    renameSync(c.dir, trash);
    rmSync(trash, { recursive: true, force: true });
    if (volumes) {
      for (const m of c.rec.Mounts) {
        // only anonymous volumes go with the container, and only when nothing else uses them
        if (m.Type === 'volume' && m.Name && /^[a-f0-9]{64}$/.test(m.Name) && !m.Spec.Source && this.volumeUsers(m.Name).length === 0) {
          try {
            this.d.volumes.remove(m.Name);
          } catch {
            // in use elsewhere or already gone
          }
        }
      }
    }
    this.d.images.collectLayers();
    this.event(c, 'destroy');
    c.ev.emit('removed');
  }

  // ---- wait -------------------------------------------------------------------------------------

  async wait(prefixOrName: string, condition: WaitCondition = 'not-running', signal?: AbortSignal): Promise<WaitResult> {
    const c = this.get(prefixOrName);
    const result = (): WaitResult => ({ StatusCode: c.rec.State.exitCode, Error: null });
    if (condition === 'not-running' && !isRunning(c.rec.State) && !c.exiting) return result();
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        c.ev.off('stopped', onStopped);
        c.ev.off('exit', onStopped);
        c.ev.off('removed', onRemoved);
      };
      const onStopped = () => {
        if (condition === 'removed') return;
        cleanup();
        resolve(result());
      };
      const onRemoved = () => {
        cleanup();
        resolve(result());
      };
      c.ev.on('stopped', onStopped);
      c.ev.on('exit', onStopped);
      c.ev.on('removed', onRemoved);
      signal?.addEventListener('abort', () => {
        cleanup();
        reject(new Error('wait aborted'));
      });
    });
  }

  // ---- attach, logs, resize ---------------------------------------------------------------------

  /** Live output and stdin of a container (docker attach, docker run without -d). */
  attach(prefixOrName: string, opts: { stdin: boolean; stdout: boolean; stderr: boolean }): AttachSession {
    const c = this.get(prefixOrName);
    if (c.rec.State.status === 'paused') throw conflict(`container ${prefixOrName} is paused, unpause the container before attach`);
    if (c.rec.State.status === 'restarting') throw conflict(`container ${prefixOrName} is restarting, wait until the container is running`);
    const output = new EventEmitter();
    const onRaw = (ch: RawChunk) => {
      if ((ch.stream === 'stdout' && opts.stdout) || (ch.stream === 'stderr' && opts.stderr)) output.emit('data', ch);
    };
    const onEnd = () => {
      c.ev.off('raw', onRaw);
      output.emit('end');
    };
    c.ev.on('raw', onRaw);
    // the attach ends when the run does (a restart needs a new attach, as with dockerd)
    c.ev.once('exit', onEnd);
    c.ev.once('removed', onEnd);
    c.attached++;
    this.event(c, 'attach');
    let stdinClosed = false;
    return {
      output,
      writeStdin: (data: Buffer) => {
        if (!opts.stdin || stdinClosed || !c.rec.Config.OpenStdin) return;
        c.stdin.write(data);
      },
      closeStdin: () => {
        if (!opts.stdin || stdinClosed) return;
        stdinClosed = true;
        if (c.rec.Config.StdinOnce && !c.rec.Config.Tty) c.stdin.end();
      },
      detach: () => {
        c.ev.off('raw', onRaw);
        c.ev.off('exit', onEnd);
        c.ev.off('removed', onEnd);
        c.attached--;
      },
    };
  }

  /** Logged lines (docker logs), and with `follow` the ones still to come until the container stops. */
  logs(prefixOrName: string, opts: { since?: bigint; until?: bigint; tail?: number; follow?: boolean }, onEntry: (e: LogEntry) => void, signal?: AbortSignal): Promise<void> {
    const c = this.get(prefixOrName);
    if (c.rec.HostConfig.LogConfig?.Type === 'none') {
      throw invalidParameter('configured logging driver does not support reading');
    }
    this.pump(c);
    for (const e of c.log.read(opts)) onEntry(e);
    if (!opts.follow || !isRunning(c.rec.State)) return Promise.resolve();
    return new Promise((resolve) => {
      const onE = (e: LogEntry) => {
        if (opts.until !== undefined && e.timeNano > opts.until) return;
        onEntry(e);
      };
      const done = () => {
        c.ev.off('entry', onE);
        c.ev.off('exit', done);
        c.ev.off('removed', done);
        resolve();
      };
      c.ev.on('entry', onE);
      c.ev.once('exit', done);
      c.ev.once('removed', done);
      signal?.addEventListener('abort', done);
    });
  }

  async resize(prefixOrName: string, height: number, width: number): Promise<void> {
    const c = this.get(prefixOrName);
    if (!isRunning(c.rec.State) || c.rec.State.status === 'restarting') throw conflict(`Container ${c.id} is not running`);
    if (!c.rec.Config.Tty || !c.rec.State.Pid) return;
    const { resizeTty } = await import('./runtime.js');
    await resizeTty(c.rec.State.Pid, height, width);
  }

  rename(prefixOrName: string, newName: string): void {
    const c = this.get(prefixOrName);
    if (!newName) throw invalidParameter('Neither old nor new names may be empty');
    const n = validateName(newName);
    if (n === c.rec.Name) throw invalidParameter('Renaming a container with the same name as its current name');
    const holder = this.names.get(n);
    if (holder) throw conflict(`Conflict. The container name "${n}" is already in use by container "${holder}". You have to remove (or rename) that container to be able to reuse that name.`);
    const old = c.rec.Name;
    this.names.delete(old);
    c.rec.Name = n;
    this.names.set(n, c.id);
    this.persist(c);
    this.event(c, 'rename', { oldName: old });
  }

  // ---- update -----------------------------------------------------------------------------------

  /**
   * docker update (ContainerUpdate): checked as at create, merged into the container's HostConfig
   * (kept when the update is refused), and applied to the cgroups with runc when it runs; a
   * stopped container gets its new limits at its next start.
   */
  update(prefixOrName: string, u: HostConfig): Promise<{ Warnings: string[] }> {
    const c = this.get(prefixOrName);
    const warnings = validateCreate({}, u, this.numCPU, this.cpuset);
    return c.serialize(async () => {
      if (c.exiting) await c.exiting;
      const cannot = (kind: EngineError['kind'], msg: string) => new EngineError(kind, `Cannot update container ${c.id}: ${msg}`);
      if (c.removed || c.rec.State.status === 'dead') throw cannot('system', 'container is marked for removal and cannot be "update"');
      let next: HostConfig;
      try {
        next = updateHostConfig(c.rec.HostConfig, u);
      } catch (e) {
        throw cannot(isEngineError(e) ? e.kind : 'system', messageOf(e));
      }
      const before = c.rec.HostConfig;
      c.rec.HostConfig = next;
      this.persist(c);
      if (isRunning(c.rec.State) && c.rec.State.status !== 'restarting') {
        try {
          await this.d.runc.update(c.id, updateResources(u));
        } catch (e) {
          c.rec.HostConfig = before;
          this.persist(c);
          throw cannot('system', messageOf(e).replace(/^runc: /, ''));
        }
      }
      this.event(c, 'update');
      return { Warnings: warnings };
    });
  }

  // ---- top and stats ----------------------------------------------------------------------------

  async top(prefixOrName: string, psArgs = '-ef'): Promise<{ Titles: string[]; Processes: string[][] }> {
    const c = this.get(prefixOrName);
    if (!isRunning(c.rec.State) || c.rec.State.status === 'restarting') throw conflict(`Container ${c.id} is not running`);
    const pids = await this.d.runc.ps(c.id);
    const out = await run('ps', psArgs.split(/\s+/).filter(Boolean));
    if (out.code !== 0) throw systemError(`Error running ps: exit status ${out.code}: ${out.stderr.trim()}`);
    const lines = out.stdout.split('\n').filter(Boolean);
    const titles = lines[0]!.trim().split(/\s+/);
    const pidCol = titles.indexOf('PID');
    if (pidCol < 0) throw systemError(`Couldn't find PID field in ps output`);
    const processes: string[][] = [];
    for (const l of lines.slice(1)) {
      const f = l.trim().split(/\s+/);
      if (!pids.includes(Number(f[pidCol]))) continue;
      processes.push([...f.slice(0, titles.length - 1), f.slice(titles.length - 1).join(' ')]);
    }
    return { Titles: titles, Processes: processes };
  }

  /** One sample of the container's cgroup counters. */
  stats(prefixOrName: string): ContainerStats {
    const c = this.get(prefixOrName);
    return readStats(c);
  }

  // ---- its files from the host: docker cp, diff, export (rootfs.ts) ------------------------------

  /** The directories of the root filesystem, top first: the writable layer, the init layer, the image's layers. */
  private rootLayers(c: Container): string[] {
    const init = join(c.dir, 'init');
    const image = c.rec.ChainID ? this.d.layers.lowerDirs(c.rec.ChainID) : [];
    makeInitLayer(init, image);
    return [join(c.dir, 'upper'), init, ...image];
  }

  /**
   * Runs fn over the container's files, held against other operations on it: a running one's
   * through its own mount namespace (/proc/<pid>/root, volumes included), frozen meanwhile (as
   * dockerd does since CVE-2018-15664: nothing inside can swap a checked directory for a symlink
   * under the copy); a stopped one's root mounted here for the while, its volumes and binds
   * mapped by hand.
   */
  private async withView<T>(c: Container, fn: (view: FsView) => Promise<T>): Promise<T> {
    if (c.rec.State.status === 'restarting') throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    return c.serialize(async () => {
      const pid = c.rec.State.Pid;
      if (isRunning(c.rec.State) && pid > 0 && existsSync(`/proc/${pid}/root`)) {
        const freeze = c.rec.State.status !== 'paused';
        if (freeze) await this.d.runc.pause(c.id);
        try {
          return await fn({ root: `/proc/${pid}/root`, mounts: [] });
        } finally {
          if (freeze) await this.d.runc.resume(c.id).catch(() => undefined);
        }
      }
      const mounts: FsView['mounts'] = [];
      for (const m of c.rec.Mounts) {
        if (m.Type === 'bind' && m.Source) mounts.push({ destination: m.Destination, source: m.Source });
        else if (m.Type === 'volume' && m.Name && this.d.volumes.exists(m.Name)) mounts.push({ destination: m.Destination, source: await this.d.volumes.mountpoint(m.Name) });
      }
      await check('mount', ['-t', 'overlay', 'overlay', '-o', this.overlayOptions(c).join(','), c.rootfs]);
      try {
        return await fn({ root: c.rootfs, mounts });
      } finally {
        await unmountAll(c.rootfs);
      }
    });
  }

  /** uid/gid → names from the container's own passwd and group files. */
  private owners(view: FsView): Owners {
    const read = (p: string) => {
      try {
        return readFileSync(hostPath(view, resolveInScope(view, p, true)), 'utf8');
      } catch {
        return '';
      }
    };
    const users = new Map(parsePasswd(read('/etc/passwd')).map((u) => [u.uid, u.name]));
    const groups = new Map(parseGroup(read('/etc/group')).map((g) => [g.gid, g.name]));
    return { user: (uid) => users.get(uid), group: (gid) => groups.get(gid) };
  }

  /** HEAD /containers/{id}/archive: a path's stat, its last element not followed. */
  statPath(prefixOrName: string, path: string): Promise<PathStat> {
    const c = this.get(prefixOrName);
    return this.withView(c, async (view) => statPath(view, path, prefixOrName).stat);
  }

  /** GET /containers/{id}/archive: the stat, then the path as a tar (open gives where it goes, once the stat is known). */
  archivePath(prefixOrName: string, path: string, open: (stat: PathStat) => Writable): Promise<void> {
    const c = this.get(prefixOrName);
    return this.withView(c, async (view) => {
      const { stat, resolved } = statPath(view, path, prefixOrName);
      await tarPath(view, resolved, archiveName(path), this.owners(view), open(stat));
      this.event(c, 'archive-path');
    });
  }

  /** PUT /containers/{id}/archive: a tar extracted into a directory of the container. */
  extractToDir(prefixOrName: string, path: string, input: Readable, opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean }): Promise<void> {
    const c = this.get(prefixOrName);
    return this.withView(c, async (view) => {
      const dir = resolveInScope(view, path, true);
      const st = lstatSync(hostPath(view, dir), { throwIfNoEntry: false });
      if (!st) throw notFound(`Could not find the file ${path} in container ${prefixOrName}`);
      if (!st.isDirectory()) throw invalidParameter('extraction point is not a directory');
      // a volume's own mode decides; else the root's
      const mount = c.rec.Mounts.filter((m) => dir === m.Destination || dir.startsWith(`${m.Destination}/`)).sort((a, b) => b.Destination.length - a.Destination.length)[0];
      if (mount ? !mount.RW : c.rec.HostConfig.ReadonlyRootfs) throw new EngineError('forbidden', mount ? 'mounted volume is marked read-only' : 'container rootfs is marked read-only');
      const user = opts.copyUIDGID ? this.userOf(c, c.rec.Config.User ?? '') : undefined;
      await extractTar(view, dir, input, { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, ...(user ? { chown: { uid: user.uid, gid: user.gid } } : {}) });
      this.event(c, 'extract-to-dir');
    });
  }

  /** GET /containers/{id}/changes: the writable layer against the layers below it (null for none, as dockerd answers). */
  async changes(prefixOrName: string): Promise<Change[] | null> {
    const c = this.get(prefixOrName);
    const [upper, init, ...image] = this.rootLayers(c);
    const layers: OverlayLayer[] = [{ dir: upper!, opaque: await opaqueDirs(upper!) }, { dir: init!, opaque: new Set() }];
    for (const dir of image) {
      let opaque = this.imageOpaque.get(dir);
      if (!opaque) this.imageOpaque.set(dir, (opaque = await opaqueDirs(dir)));
      layers.push({ dir, opaque });
    }
    const out = changes(layers);
    return out.length ? out : null;
  }

  /** The opaque directories of each image layer (by its directory: a layer's content never changes). The init layer has none. */
  private readonly imageOpaque = new Map<string, ReadonlySet<string>>();

  /** The sizes `docker ps -s` and `docker system df` show: the writable layer's, and with the image's under it. */
  sizes(c: Container): { SizeRw: number; SizeRootFs: number } {
    const rw = dirSize(join(c.dir, 'upper'));
    const img = this.d.images.byID(c.rec.Image);
    return { SizeRw: rw, SizeRootFs: rw + (img ? imageSize(img) : 0) };
  }

  /** GET /containers/{id}/export: the root filesystem (no volumes) as a tar, read through a read-only overlay of its layers. */
  async export(prefixOrName: string, out: Writable): Promise<void> {
    const c = this.get(prefixOrName);
    const at = mkdtempSync(join(c.dir, 'export-'));
    try {
      await check('mount', ['-t', 'overlay', 'overlay', '-o', `ro,lowerdir=${this.rootLayers(c).join(':')}`, at]);
      try {
        const view: FsView = { root: at, mounts: [] };
        await tarPath(view, '/', '', this.owners(view), out);
      } finally {
        await unmountAll(at);
      }
      this.event(c, 'export');
    } finally {
      rmSync(at, { recursive: true, force: true });
    }
  }

  // ---- live restore -----------------------------------------------------------------------------

  /** Loads every container; re-adopts the running ones and settles what ended while we were down. */
  async restore(): Promise<void> {
    for (const id of readdirSync(this.root)) {
      if (id.startsWith('.')) {
        rmSync(join(this.root, id), { recursive: true, force: true });
        continue;
      }
      const dir = join(this.root, id);
      let rec: ContainerRecord;
      try {
        rec = JSON.parse(readFileSync(join(dir, 'container.json'), 'utf8')) as ContainerRecord;
      } catch {
        continue;
      }
      const c = new Container(rec, dir);
      this.containers.set(id, c);
      this.names.set(rec.Name, id);
    }
    for (const c of this.list()) {
      const st = c.rec.State.status;
      if (st === 'running' || st === 'paused') {
        const exit = exitWritten(c.runDir);
        const state = exit ? undefined : await this.d.runc.state(c.id);
        if (!exit && state && (state.status === 'running' || state.status === 'paused')) {
          // still running: adopt it
          c.rec.State.Pid = state.pid;
          if (state.status === 'paused' && st !== 'paused') c.rec.State.status = 'paused';
          if (state.status === 'running' && st === 'paused') c.rec.State.status = 'running';
          const mode = networkMode(c.rec.HostConfig);
          if (mode === 'none' || mode === 'host') c.predefinedNetwork = this.d.network.find(mode)?.Id;
          if (c.rec.Stdin !== 'null' && existsSync(join(c.runDir, 'stdin'))) {
            c.stdin.open(openSync(join(c.runDir, 'stdin'), fsc.O_RDWR));
            c.stdin.started();
          }
          this.watch(c);
          this.pump(c);
          this.persist(c);
          // the exit may have happened between our check and the watch
          if (exitWritten(c.runDir)) void this.onExit(c);
          else if (c.rec.ShimPid && !processAlive(c.rec.ShimPid)) this.pollLost(c);
          continue;
        }
        const p = this.handleExit(c, !exit).finally(() => {
          c.exiting = undefined;
        });
        c.exiting = p;
        await p;
      } else if (st === 'restarting') {
        const res = dockerTransition(c.rec.State, { op: 'stop', exitCode: c.rec.State.exitCode }, Date.now(), c.id);
        if (res.ok) c.rec.State = { ...c.rec.State, ...res.state };
        await this.cleanup(c);
        this.persist(c);
        if (!isNone(c.rec.HostConfig.RestartPolicy) && !c.rec.HasBeenManuallyStopped) void c.serialize(() => this.startLocked(c, false)).catch(() => undefined);
      } else if (isMounted(c.rootfs) || existsSync(`/run/netns/${netnsName(c.id)}`)) {
        await this.cleanup(c);
      }
    }
    // dockerd starts the always / unless-stopped containers that were running when it went down
  }

  /** A container whose shim is gone: watch its init process instead (exit code unknown: 255). */
  private pollLost(c: Container): void {
    const t = setInterval(() => {
      if (!c.rec.State.Pid || !processAlive(c.rec.State.Pid)) {
        clearInterval(t);
        if (!c.exiting && isRunning(c.rec.State)) {
          const p = this.handleExit(c, true).finally(() => {
            c.exiting = undefined;
          });
          c.exiting = p;
        }
      }
    }, 1000);
    t.unref();
  }

  /** Stops watching; containers keep running (the shims hold them). */
  shutdown(): void {
    this.shuttingDown = true;
    for (const c of this.containers.values()) {
      if (c.restartTimer) clearTimeout(c.restartTimer);
      this.unwatch(c);
      c.log.close();
      c.stdin.close();
    }
  }
}

export interface ContainerStats {
  read: string;
  pids: number;
  pidsLimit: number;
  cpuTotal: number;
  cpuPerCpu: number[];
  cpuUser: number;
  cpuSystem: number;
  systemCpu: number;
  onlineCpus: number;
  memUsage: number;
  memMaxUsage: number;
  memLimit: number;
  memStats: Record<string, number>;
  throttling: { periods: number; throttledPeriods: number; throttledTime: number };
}

/** The cgroups path of a container's last run (records from before it was kept: berth's default). */
export function cgroupsPathOf(rec: ContainerRecord): string {
  return rec.CgroupsPath ?? containerCgroupsPath(DEFAULT_CGROUP_PARENT, rec.ID);
}

const num = (s: string | undefined) => (s === undefined || s === 'max' ? 0 : Number(s));
const keyValues = (s: string | undefined) =>
  Object.fromEntries(
    (s ?? '')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [k, v] = l.split(' ');
        return [k!, Number(v)];
      }),
  );

function readStats(c: Container): ContainerStats {
  const path = cgroupsPathOf(c.rec);
  const cg = (controller: string, file: string) => readCgroupFile(controller, path, file);
  const procStat = readOr('/proc/stat', '').split('\n')[0]!.split(/\s+/).slice(1, 8).map(Number);
  const ticks = 100; // USER_HZ
  const systemCpu = (procStat.reduce((a, b) => a + b, 0) * 1e9) / ticks;
  const pidsMax = cg('pids', 'pids.max');
  const common = {
    read: new Date().toISOString(),
    pids: num(cg('pids', 'pids.current')),
    pidsLimit: pidsMax === 'max' || pidsMax === undefined ? 0 : Number(pidsMax),
    systemCpu,
    onlineCpus: cpus().length,
  };
  if (cgroupVersion() === 2) {
    // cgroup v2: cpu.stat in µs, memory.current/max/stat (dockerd reports these the same way)
    const cpu = keyValues(cg('cpu', 'cpu.stat'));
    const mem = keyValues(cg('memory', 'memory.stat'));
    return {
      ...common,
      cpuTotal: (cpu['usage_usec'] ?? 0) * 1000,
      cpuPerCpu: [],
      cpuUser: (cpu['user_usec'] ?? 0) * 1000,
      cpuSystem: (cpu['system_usec'] ?? 0) * 1000,
      memUsage: num(cg('memory', 'memory.current')),
      memMaxUsage: num(cg('memory', 'memory.peak')),
      memLimit: Math.min(num(cg('memory', 'memory.max')) || Infinity, totalMemory()),
      memStats: mem,
      throttling: { periods: cpu['nr_periods'] ?? 0, throttledPeriods: cpu['nr_throttled'] ?? 0, throttledTime: (cpu['throttled_usec'] ?? 0) * 1000 },
    };
  }
  const cpuStat = keyValues(cg('cpuacct', 'cpuacct.stat'));
  const throttle = keyValues(cg('cpu', 'cpu.stat'));
  const perCpu = (cg('cpuacct', 'cpuacct.usage_percpu') ?? '').split(/\s+/).filter(Boolean).map(Number);
  return {
    ...common,
    cpuTotal: num(cg('cpuacct', 'cpuacct.usage')),
    cpuPerCpu: perCpu,
    cpuUser: ((cpuStat['user'] ?? 0) * 1e9) / ticks,
    cpuSystem: ((cpuStat['system'] ?? 0) * 1e9) / ticks,
    memUsage: num(cg('memory', 'memory.usage_in_bytes')),
    memMaxUsage: num(cg('memory', 'memory.max_usage_in_bytes')),
    memLimit: Math.min(num(cg('memory', 'memory.limit_in_bytes')) || Infinity, totalMemory()),
    memStats: keyValues(cg('memory', 'memory.stat')),
    throttling: { periods: throttle['nr_periods'] ?? 0, throttledPeriods: throttle['nr_throttled'] ?? 0, throttledTime: throttle['throttled_time'] ?? 0 },
  };
}

function totalMemory(): number {
  const m = /MemTotal:\s+(\d+)/.exec(readOr('/proc/meminfo', ''));
  return m ? Number(m[1]) * 1024 : 0;
}

function readOr(p: string, fallback: string): string {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return fallback;
  }
}

function readHostname(): string {
  return readOr('/etc/hostname', 'localhost').trim();
}

function dedupeTmpfsOpts(opts: string[]): string[] {
  // later options win, as mount(8) reads them: "exec" undoes the default "noexec"
  const out: string[] = [];
  const opposite: Record<string, string> = { exec: 'noexec', noexec: 'exec', suid: 'nosuid', nosuid: 'suid', dev: 'nodev', nodev: 'dev' };
  for (const o of opts) {
    const opp = opposite[o];
    if (opp) {
      const i = out.indexOf(opp);
      if (i >= 0) out.splice(i, 1);
    }
    if (!out.includes(o)) out.push(o);
  }
  return out;
}

/** The shim has recorded the exit status (the file exists and its line is complete). */
function exitWritten(runDir: string): boolean {
  try {
    return readFileSync(join(runDir, 'exit'), 'utf8').endsWith('\n');
  } catch {
    return false;
  }
}

/** translateContainerdStartErr: 127 for a missing command, 126 when it cannot be run, else 128. */
export function startFailureCode(msg: string): number {
  const m = msg.toLowerCase();
  if (m.includes('not a directory')) return 127;
  if (m.includes('permission denied')) return 126;
  if (m.includes('executable file not found') || m.includes('no such file or directory') || m.includes('system cannot find the file specified')) return 127;
  return 128;
}


function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms === Infinity) return p.then(() => true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

function portFree(proto: string, port: number, host: string): Promise<boolean> {
  if (proto !== 'tcp') return Promise.resolve(true);
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

async function findFreePort(proto: string, from: number, to: number, inUse: Set<string>): Promise<number> {
  for (let p = from; p <= to; p++) {
    if (inUse.has(`${p}/${proto}`)) continue;
    if (await portFree(proto, p, '0.0.0.0')) return p;
  }
  throw systemError(`all ports are allocated`);
}


/** The network a container's NetworkMode names ("default" is the bridge network). */
export function networkMode(h: HostConfig): string {
  const m = h.NetworkMode || 'default';
  return m === 'default' ? 'bridge' : m;
}
