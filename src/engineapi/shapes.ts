// Engine objects rendered in the Docker API's JSON shapes (api/swagger.yaml): container inspect and
// summary, image inspect and summary, networks, exec; plus dockerd's human durations and the
// stdcopy framing of multiplexed streams.
import { join } from 'node:path';
import { networkMode, type Container } from '../engine/containers.js';
import type { Image, ImageStore } from '../engine/images.js';
import { imageSize } from '../engine/images.js';
import type { LayerStore } from '../engine/layers.js';
import type { NetworkRecord, NetworkService } from '../engine/network.js';
import { PREDEFINED } from '../engine/network.js';
import { compareVersions } from './http.js';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** RFC 3339 with nanoseconds from milliseconds (Go's time.RFC3339Nano, zeros trimmed). */
export function timeNano(ms: number | undefined): string {
  if (ms === undefined || ms <= 0) return ZERO_TIME;
  return new Date(ms).toISOString().replace(/\.(\d*?)0*Z$/, (_m, d: string) => (d ? `.${d}Z` : 'Z'));
}

/** units.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.floor(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.floor(ms / 3600000 + 0.5);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.floor(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24 / 30)} months`;
  return `${Math.floor(ms / 3600000 / 24 / 365)} years`;
}

/** container.State.String(): the STATUS column of docker ps. */
export function stateString(c: Container, now = Date.now()): string {
  const s = c.rec.State;
  switch (s.status) {
    case 'paused':
      return `Up ${humanDuration(now - (s.startedAt ?? now))} (Paused)`;
    case 'restarting':
      return `Restarting (${s.exitCode}) ${humanDuration(now - (s.finishedAt ?? now))} ago`;
    case 'running':
      return `Up ${humanDuration(now - (s.startedAt ?? now))}`;
    case 'dead':
      return 'Dead';
    case 'created':
      return c.rec.HasBeenStartedBefore ? `Exited (${s.exitCode}) ${humanDuration(now - (s.finishedAt ?? now))} ago` : 'Created';
    case 'exited':
      return `Exited (${s.exitCode}) ${humanDuration(now - (s.finishedAt ?? now))} ago`;
  }
}

/** stdcopy: a frame of a multiplexed stream (1 stdout, 2 stderr, 3 systemerr). */
export function frame(stream: 1 | 2 | 3, data: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt8(stream, 0);
  h.writeUInt32BE(data.length, 4);
  return Buffer.concat([h, data]);
}

function hostConfigJSON(c: Container): Record<string, unknown> {
  const h = c.rec.HostConfig;
  return {
    Binds: h.Binds ?? null,
    ContainerIDFile: h.ContainerIDFile ?? '',
    LogConfig: { Type: h.LogConfig?.Type ?? 'json-file', Config: h.LogConfig?.Config ?? {} },
    NetworkMode: h.NetworkMode ?? 'default',
    PortBindings: h.PortBindings ?? {},
    RestartPolicy: { Name: h.RestartPolicy?.Name ?? 'no', MaximumRetryCount: h.RestartPolicy?.MaximumRetryCount ?? 0 },
    AutoRemove: !!h.AutoRemove,
    VolumeDriver: h.VolumeDriver ?? '',
    VolumesFrom: h.VolumesFrom ?? null,
    ConsoleSize: h.ConsoleSize ?? [0, 0],
    CapAdd: h.CapAdd ?? null,
    CapDrop: h.CapDrop ?? null,
    CgroupnsMode: h.CgroupnsMode ?? 'host',
    Dns: h.Dns ?? [],
    DnsOptions: h.DnsOptions ?? [],
    DnsSearch: h.DnsSearch ?? [],
    ExtraHosts: h.ExtraHosts ?? null,
    GroupAdd: h.GroupAdd ?? null,
    IpcMode: h.IpcMode ?? 'private',
    Cgroup: h.Cgroup ?? '',
    Links: h.Links ?? null,
    OomScoreAdj: h.OomScoreAdj ?? 0,
    PidMode: h.PidMode ?? '',
    Privileged: !!h.Privileged,
    PublishAllPorts: !!h.PublishAllPorts,
    ReadonlyRootfs: !!h.ReadonlyRootfs,
    SecurityOpt: h.SecurityOpt ?? null,
    UTSMode: h.UTSMode ?? '',
    UsernsMode: h.UsernsMode ?? '',
    ShmSize: h.ShmSize ?? 67108864,
    Runtime: 'runc',
    Isolation: h.Isolation ?? '',
    CpuShares: h.CpuShares ?? 0,
    Memory: h.Memory ?? 0,
    NanoCpus: h.NanoCpus ?? 0,
    CgroupParent: h.CgroupParent ?? '',
    BlkioWeight: h.BlkioWeight ?? 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: h.CpuPeriod ?? 0,
    CpuQuota: h.CpuQuota ?? 0,
    CpuRealtimePeriod: h.CpuRealtimePeriod ?? 0,
    CpuRealtimeRuntime: h.CpuRealtimeRuntime ?? 0,
    CpusetCpus: h.CpusetCpus ?? '',
    CpusetMems: h.CpusetMems ?? '',
    Devices: h.Devices ?? [],
    DeviceCgroupRules: h.DeviceCgroupRules ?? null,
    DeviceRequests: h.DeviceRequests ?? null,
    MemoryReservation: h.MemoryReservation ?? 0,
    MemorySwap: h.MemorySwap ?? 0,
    MemorySwappiness: h.MemorySwappiness ?? null,
    OomKillDisable: h.OomKillDisable ?? null,
    PidsLimit: h.PidsLimit ?? null,
    Ulimits: h.Ulimits ?? null,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: h.Privileged ? null : ['/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware'],
    ReadonlyPaths: h.Privileged ? null : ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    ...(h.Tmpfs ? { Tmpfs: h.Tmpfs } : {}),
    ...(h.Mounts ? { Mounts: h.Mounts } : {}),
    ...(h.Sysctls ? { Sysctls: h.Sysctls } : {}),
    ...(h.Init !== undefined && h.Init !== null ? { Init: h.Init } : {}),
  };
}

function configJSON(c: Container): Record<string, unknown> {
  const k = c.rec.Config;
  const out: Record<string, unknown> = {
    Hostname: k.Hostname ?? '',
    Domainname: k.Domainname ?? '',
    User: k.User ?? '',
    AttachStdin: !!k.AttachStdin,
    AttachStdout: !!k.AttachStdout,
    AttachStderr: !!k.AttachStderr,
  };
  if (k.ExposedPorts && Object.keys(k.ExposedPorts).length) out['ExposedPorts'] = k.ExposedPorts;
  Object.assign(out, {
    Tty: !!k.Tty,
    OpenStdin: !!k.OpenStdin,
    StdinOnce: !!k.StdinOnce,
    Env: k.Env ?? null,
    Cmd: k.Cmd ?? null,
    Image: k.Image ?? '',
    Volumes: k.Volumes && Object.keys(k.Volumes).length ? k.Volumes : null,
    WorkingDir: k.WorkingDir ?? '',
    Entrypoint: k.Entrypoint ?? null,
    OnBuild: k.OnBuild ?? null,
    Labels: k.Labels ?? {},
  });
  if (k.StopSignal) out['StopSignal'] = k.StopSignal;
  if (k.StopTimeout !== undefined) out['StopTimeout'] = k.StopTimeout;
  if (k.Healthcheck) out['Healthcheck'] = k.Healthcheck;
  if (k.ArgsEscaped) out['ArgsEscaped'] = k.ArgsEscaped;
  return out;
}

function mountsJSON(c: Container): Record<string, unknown>[] {
  return c.rec.Mounts.map((m) => {
    if (m.Type === 'volume') {
      return { Type: 'volume', Name: m.Name, Source: m.Source || '', Destination: m.Destination, Driver: m.Driver ?? 'local', Mode: m.Mode || (m.Spec.Source === undefined && !m.Mode ? '' : m.Mode), RW: m.RW, Propagation: '' };
    }
    if (m.Type === 'tmpfs') return { Type: 'tmpfs', Source: '', Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: '' };
    return { Type: 'bind', Source: m.Source, Destination: m.Destination, Mode: m.Mode, RW: m.RW, Propagation: m.Propagation };
  });
}

function portsJSON(c: Container): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  for (const p of Object.keys(c.rec.Config.ExposedPorts ?? {})) out[p] = null;
  for (const p of Object.keys(c.rec.HostConfig.PortBindings ?? {})) out[p] ??= null;
  for (const [k, v] of Object.entries(c.rec.Ports)) out[k] = v;
  return out;
}

function endpointJSON(c: Container, name: string, net: NetworkRecord | undefined): Record<string, unknown> {
  const ep = c.rec.Networks[name];
  const cfg = c.rec.EndpointsConfig[name];
  return {
    IPAMConfig: cfg?.IPAMConfig ?? null,
    Links: cfg?.Links ?? null,
    Aliases: ep?.Aliases ?? cfg?.Aliases ?? null,
    NetworkID: net?.Id ?? '',
    EndpointID: ep?.EndpointID ?? '',
    Gateway: ep?.Gateway ?? '',
    IPAddress: ep?.IPAddress ?? '',
    IPPrefixLen: ep?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    MacAddress: ep?.MacAddress ?? '',
    DriverOpts: null,
  };
}

/** The networks a container is on (or would be, when not running), by name. */
function networkNames(c: Container): string[] {
  const mode = networkMode(c.rec.HostConfig);
  return mode.startsWith('container:') ? [] : Object.keys(c.rec.EndpointsConfig);
}

function networkSettingsJSON(c: Container, networks: NetworkService): Record<string, unknown> {
  const nets: Record<string, unknown> = {};
  for (const n of networkNames(c)) nets[n] = endpointJSON(c, n, networks.find(n));
  const primary = c.rec.Networks['bridge'];
  const running = c.rec.State.status === 'running' || c.rec.State.status === 'paused';
  return {
    Bridge: '',
    SandboxID: running ? c.id.slice(0, 64) : '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: running ? portsJSON(c) : {},
    SandboxKey: running && Object.keys(c.rec.Networks).length ? `/run/netns/berth-${c.id.slice(0, 12)}` : '',
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: primary?.EndpointID ?? '',
    Gateway: primary?.Gateway ?? '',
    GlobalIPv6Address: '',
    GlobalIPv6PrefixLen: 0,
    IPAddress: primary?.IPAddress ?? '',
    IPPrefixLen: primary?.IPPrefixLen ?? 0,
    IPv6Gateway: '',
    MacAddress: primary?.MacAddress ?? '',
    Networks: nets,
  };
}

export interface ShapeDeps {
  images: ImageStore;
  layers: LayerStore;
  networks: NetworkService;
  execIDs: (containerID: string) => string[];
}

/** GET /containers/{id}/json. */
export function containerInspect(c: Container, d: ShapeDeps): Record<string, unknown> {
  const r = c.rec;
  const s = r.State;
  const running = s.status === 'running' || s.status === 'paused' || s.status === 'restarting';
  const lower = r.ChainID ? d.layers.lowerDirs(r.ChainID).join(':') : '';
  return {
    Id: r.ID,
    Created: r.Created,
    Path: r.Path,
    Args: r.Args,
    State: {
      Status: s.status,
      Running: running,
      Paused: s.status === 'paused',
      Restarting: s.status === 'restarting',
      OOMKilled: s.OOMKilled,
      Dead: s.status === 'dead',
      Pid: running ? s.Pid : 0,
      ExitCode: s.exitCode,
      Error: s.Error,
      StartedAt: timeNano(s.startedAt),
      FinishedAt: timeNano(s.finishedAt),
    },
    Image: r.Image,
    ResolvConfPath: join(c.dir, 'resolv.conf'),
    HostnamePath: join(c.dir, 'hostname'),
    HostsPath: join(c.dir, 'hosts'),
    LogPath: join(c.dir, 'log.idx'),
    Name: r.Name,
    RestartCount: r.RestartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: d.execIDs(r.ID).length ? d.execIDs(r.ID) : null,
    HostConfig: hostConfigJSON(c),
    GraphDriver: {
      Data: { LowerDir: lower, MergedDir: c.rootfs, UpperDir: join(c.dir, 'upper'), WorkDir: join(c.dir, 'work') },
      Name: 'overlay2',
    },
    Mounts: mountsJSON(c),
    Config: configJSON(c),
    NetworkSettings: networkSettingsJSON(c, d.networks),
  };
}

/** One entry of GET /containers/json. */
export function containerSummary(c: Container, d: ShapeDeps): Record<string, unknown> {
  const r = c.rec;
  const ports: Record<string, unknown>[] = [];
  const running = r.State.status === 'running' || r.State.status === 'paused';
  const bound = running ? r.Ports : {};
  // a container that is not running has no port map at all (NetworkSettings.Ports is nil)
  for (const p of running ? Object.keys(r.Config.ExposedPorts ?? {}) : []) {
    if (bound[p]) continue;
    const [port, proto] = p.split('/');
    ports.push({ PrivatePort: Number(port), Type: proto ?? 'tcp' });
  }
  for (const [p, bs] of Object.entries(bound)) {
    const [port, proto] = p.split('/');
    for (const b of bs) ports.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto ?? 'tcp' });
  }
  const nets: Record<string, unknown> = {};
  for (const n of networkNames(c)) nets[n] = endpointJSON(c, n, d.networks.find(n));
  const img = r.Image ? d.images.byID(r.Image) : undefined;
  // docker ps shows the name the container was made from while it still names the same image
  let imageName = r.Config.Image ?? '';
  if (img && imageName) {
    const same = d.images.find(imageName);
    if (!same || same.id !== img.id) imageName = img.id;
  }
  // arguments with spaces are single-quoted, as daemon/list.go does
  const cmd = [r.Path, ...r.Args.map((a) => (a.includes(' ') ? `'${a}'` : a))].join(' ');
  return {
    Id: r.ID,
    Names: [r.Name],
    Image: imageName,
    ImageID: r.Image,
    Command: cmd,
    Created: Math.floor(Date.parse(r.Created) / 1000),
    Ports: ports,
    Labels: r.Config.Labels ?? {},
    State: r.State.status,
    Status: stateString(c),
    HostConfig: { NetworkMode: r.HostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: nets },
    Mounts: mountsJSON(c),
  };
}

export function imageSummary(img: Image, store: ImageStore, containers: number): Record<string, unknown> {
  const size = imageSize(img);
  const created = img.config.created ? Math.floor(Date.parse(img.config.created) / 1000) : 0;
  return {
    Containers: containers,
    Created: created,
    Id: img.id,
    Labels: img.config.config?.Labels ?? null,
    ParentId: img.parent ?? '',
    RepoDigests: store.repoDigests(img),
    RepoTags: store.repoTags(img),
    SharedSize: -1,
    Size: size,
    VirtualSize: size,
  };
}

/** Image config fields dockerd always shows (null or empty when unset), by API version. */
const LEGACY_CONFIG_CURRENT = { Cmd: null, Entrypoint: null, Env: null, Labels: null, OnBuild: null, User: '', Volumes: null, WorkingDir: '' };
const LEGACY_CONFIG_1_49 = { ...LEGACY_CONFIG_CURRENT, AttachStderr: false, AttachStdin: false, AttachStdout: false, Domainname: '', Hostname: '', Image: '', OpenStdin: false, StdinOnce: false, Tty: false };

/** GET /images/{name}/json, shaped for the API version in use (image_routes.go getImagesByName). */
export function imageInspect(img: Image, store: ImageStore, layers: LayerStore, version: string): Record<string, unknown> {
  const size = imageSize(img);
  const chain = img.layers.map((l) => layers.diffDir(l.chainID));
  const top = chain.at(-1);
  const before = (v: string) => compareVersions(version, v) < 0;
  const legacy = before('1.50') ? LEGACY_CONFIG_1_49 : LEGACY_CONFIG_CURRENT;
  const created = img.config.created ?? (before('1.44') ? ZERO_TIME : undefined);
  return {
    Id: img.id,
    RepoTags: store.repoTags(img),
    RepoDigests: store.repoDigests(img),
    Parent: img.parent ?? '',
    Comment: img.config.comment ?? '',
    ...(created !== undefined ? { Created: created } : {}),
    ...(before('1.45') ? { Container: img.config.container ?? '', ContainerConfig: img.config.container_config ?? emptyConfig() } : {}),
    DockerVersion: img.config.docker_version ?? '',
    Author: img.config.author ?? '',
    Config: img.config.config ? { ...legacy, ...img.config.config } : null,
    Architecture: img.config.architecture ?? 'amd64',
    ...(img.config.variant ? { Variant: img.config.variant } : {}),
    Os: img.config.os ?? 'linux',
    Size: size,
    ...(before('1.44') ? { VirtualSize: size } : {}),
    GraphDriver: {
      Data: top ? { ...(chain.length > 1 ? { LowerDir: chain.slice(0, -1).reverse().join(':') } : {}), MergedDir: '', UpperDir: top, WorkDir: '' } : {},
      Name: 'overlay2',
    },
    RootFS: { Type: 'layers', ...(img.layers.length ? { Layers: img.layers.map((l) => l.diffID) } : {}) },
    Metadata: { LastTagTime: img.lastTagTime ?? ZERO_TIME },
  };
}

function emptyConfig(): Record<string, unknown> {
  return { Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null };
}

export function networkJSON(n: NetworkRecord, networks: NetworkService, verbose = true): Record<string, unknown> {
  const containers: Record<string, unknown> = {};
  if (verbose) {
    for (const { user, ep } of networks.endpointsOf(n)) {
      containers[user.id] = { Name: user.name.replace(/^\//, ''), EndpointID: ep.EndpointID, MacAddress: ep.MacAddress, IPv4Address: ep.IPAddress ? `${ep.IPAddress}/${ep.IPPrefixLen}` : '', IPv6Address: '' };
    }
  }
  return {
    Name: n.Name,
    Id: n.Id,
    Created: n.Created,
    Scope: n.Scope,
    Driver: n.Driver,
    EnableIPv6: n.EnableIPv6,
    IPAM: n.IPAM,
    Internal: n.Internal,
    Attachable: n.Attachable,
    Ingress: n.Ingress,
    ConfigFrom: n.ConfigFrom,
    ConfigOnly: n.ConfigOnly,
    Containers: containers,
    Options: n.Options,
    Labels: n.Labels,
  };
}

export { PREDEFINED };
