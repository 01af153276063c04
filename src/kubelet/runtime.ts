// The container runtime as the kubelet sees it: the CRI's RuntimeService and ImageService
// (k8s.io/cri-api runtime/v1), in TypeScript. The berth engine implements it for real nodes
// (engine-runtime.ts); a simulated node can implement it in memory, so both share the kubelet.
//
// Names, labels and annotations are the kubelet's (pkg/kubelet/types/labels.go,
// kuberuntime/labels.go): a runtime stores them and gives them back; nothing else about a pod is
// kept by the runtime, so a restarted kubelet rebuilds its view from them.
import type { Socket } from 'node:net';

export const LABEL_POD_NAME = 'io.kubernetes.pod.name';
export const LABEL_POD_NAMESPACE = 'io.kubernetes.pod.namespace';
export const LABEL_POD_UID = 'io.kubernetes.pod.uid';
export const LABEL_CONTAINER_NAME = 'io.kubernetes.container.name';
export const ANNOTATION_CONTAINER_HASH = 'io.kubernetes.container.hash';
export const ANNOTATION_RESTART_COUNT = 'io.kubernetes.container.restartCount';
export const ANNOTATION_TERMINATION_GRACE = 'io.kubernetes.pod.terminationGracePeriod';
export const ANNOTATION_TERMINATION_MESSAGE_PATH = 'io.kubernetes.container.terminationMessagePath';
export const ANNOTATION_TERMINATION_MESSAGE_POLICY = 'io.kubernetes.container.terminationMessagePolicy';
/** Which list of the PodSpec a container comes from (berth's own, so status needs no spec lookup). */
export const LABEL_CONTAINER_KIND = 'dev.berth.kubelet.container-kind';

export interface PodSandboxMetadata {
  name: string;
  uid: string;
  namespace: string;
  attempt: number;
}

export interface DNSConfig {
  servers: string[];
  searches: string[];
  options: string[];
}

export interface PortMapping {
  protocol: 'TCP' | 'UDP' | 'SCTP';
  containerPort: number;
  hostPort: number;
  hostIp: string;
}

export interface PodSandboxConfig {
  metadata: PodSandboxMetadata;
  hostname: string;
  dnsConfig?: DNSConfig;
  portMappings: PortMapping[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** The pod shares the node's network namespace (hostNetwork). */
  hostNetwork: boolean;
  hostIPC: boolean;
  hostPID: boolean;
  /** Extra /etc/hosts lines (hostAliases), "ip\tname name". */
  hostsEntries?: string[];
  sysctls?: Record<string, string>;
  /**
   * The pod's cgroup (LinuxPodSandboxConfig.cgroup_parent, cgroupfs form): the sandbox and every
   * container of the pod are created under it. Absent: the runtime's default.
   */
  cgroupParent?: string;
}

export type PodSandboxState = 'SANDBOX_READY' | 'SANDBOX_NOTREADY';

export interface PodSandbox {
  id: string;
  metadata: PodSandboxMetadata;
  state: PodSandboxState;
  /** Unix nanoseconds, as the CRI counts time. */
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface PodSandboxStatus extends PodSandbox {
  network?: { ip: string; additionalIps: string[] };
}

export interface ContainerMetadata {
  name: string;
  attempt: number;
}

export interface Mount {
  containerPath: string;
  hostPath: string;
  readonly: boolean;
  /** 'private' | 'rslave' | 'rshared' (the CRI's PROPAGATION_*). */
  propagation?: 'private' | 'rslave' | 'rshared';
}

export interface LinuxContainerResources {
  cpuPeriod?: number;
  cpuQuota?: number;
  cpuShares?: number;
  memoryLimitInBytes?: number;
  oomScoreAdj?: number;
}

export interface LinuxContainerSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  /** A user name, when runAsUser is not given (the image's USER). */
  runAsUsername?: string;
  supplementalGroups?: number[];
  privileged?: boolean;
  readonlyRootfs?: boolean;
  capabilities?: { addCapabilities: string[]; dropCapabilities: string[] };
  noNewPrivs?: boolean;
  /** CRI's NamespaceOption: PID namespace TARGET joins the container targetId's (an ephemeral container's target). */
  namespaceOptions?: { pid: 'TARGET'; targetId: string };
}

export interface ContainerConfig {
  metadata: ContainerMetadata;
  /** The image as the pod names it (the runtime resolves it to an ID). */
  image: string;
  /** The process: the kubelet merges the PodSpec's command/args with the image's entrypoint/cmd. */
  command: string[];
  args: string[];
  workingDir: string;
  envs: { key: string; value: string }[];
  mounts: Mount[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  stdin: boolean;
  stdinOnce: boolean;
  tty: boolean;
  linux: { resources: LinuxContainerResources; securityContext: LinuxContainerSecurityContext };
  /** The signal that stops it (the image's STOPSIGNAL, else SIGTERM). */
  stopSignal?: string;
}

export type ContainerState = 'CONTAINER_CREATED' | 'CONTAINER_RUNNING' | 'CONTAINER_EXITED' | 'CONTAINER_UNKNOWN';

export interface Container {
  id: string;
  podSandboxId: string;
  metadata: ContainerMetadata;
  image: string;
  /** The image ID it runs. */
  imageRef: string;
  state: ContainerState;
  createdAt: bigint;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface ContainerStatus extends Container {
  startedAt: bigint;
  finishedAt: bigint;
  exitCode: number;
  /** Why it ended, in the CRI's words: Completed, Error, OOMKilled, ContainerCannotRun. */
  reason: string;
  message: string;
}

export interface ExecSyncResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  /** The command did not finish within its timeout. */
  timedOut: boolean;
}

export interface ImageInfo {
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  /** The image's own process and user, which container configs build on. */
  config: { entrypoint: string[]; cmd: string[]; user: string; workingDir: string; stopSignal?: string; env: string[] };
}

export interface ContainerFilter {
  podSandboxId?: string;
  labelSelector?: Record<string, string>;
}

/** A runtime failure the kubelet reports as a container's waiting reason. */
export class RuntimeError extends Error {
  constructor(
    /** The kubelet's reason: ErrImagePull, CreateContainerError, RunContainerError, ... */
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface Runtime {
  version(): { runtimeName: string; runtimeVersion: string };

  runPodSandbox(config: PodSandboxConfig): Promise<string>;
  /** Stops every container of the sandbox and the sandbox itself; frees its network. Idempotent. */
  stopPodSandbox(id: string): Promise<void>;
  /** Removes the sandbox and its containers. Idempotent. */
  removePodSandbox(id: string): Promise<void>;
  podSandboxStatus(id: string): Promise<PodSandboxStatus>;
  listPodSandbox(filter?: { labelSelector?: Record<string, string> }): Promise<PodSandbox[]>;

  createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string>;
  startContainer(id: string): Promise<void>;
  /** SIGTERM (or the image's stop signal), then SIGKILL after `timeoutSeconds`. Idempotent. */
  stopContainer(id: string, timeoutSeconds: number): Promise<void>;
  removeContainer(id: string): Promise<void>;
  listContainers(filter?: ContainerFilter): Promise<Container[]>;
  containerStatus(id: string): Promise<ContainerStatus>;
  execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecSyncResult>;

  listImages(): Promise<ImageInfo[]>;
  /** undefined when the image is not present. */
  imageStatus(image: string): Promise<ImageInfo | undefined>;
  /** Pulls the image; returns its ID. Fails with RuntimeError('ErrImagePull', ...). */
  pullImage(image: string): Promise<string>;

  /** Called with a container's ID when one of them exits, so the kubelet resyncs its pod at once (the PLEG's event). */
  onContainerEvent(listener: (containerId: string, labels: Record<string, string>) => void): () => void;
}

// ---- streaming (the CRI's ReattachOutput/Exec/Attach/PortForward, served in process) -----------

export interface LogLine {
  stream: 'stdout' | 'stderr';
  /** The line with its newline (a partial line has none). */
  line: Buffer;
  /** Unix nanoseconds, when the runtime read it. */
  timeNano: bigint;
}

/** A running exec or attach session: output as it comes, and the caller's stdin and terminal size. */
export interface ProcessStream {
  /** Output chunks; stderr is never separate with a TTY. */
  onOutput(listener: (stream: 'stdout' | 'stderr', data: Buffer) => void): void;
  writeStdin(data: Buffer): void;
  closeStdin(): void;
  resize(width: number, height: number): Promise<void>;
  /** Resolves with the process's exit code (attach: the container's, undefined when detached). */
  done: Promise<number | undefined>;
  /** Stops listening (attach) or kills the process (exec). */
  close(): void;
}

export interface StreamOptions {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

export interface StreamingRuntime {
  /**
   * A container's logged lines, oldest first: the last `tail` of them (all when undefined); with
   * `follow`, then the new ones until the container stops or `signal` aborts.
   */
  containerLogs(id: string, opts: { tail?: number; follow: boolean }, onLine: (l: LogLine) => void, signal?: AbortSignal): Promise<void>;
  exec(id: string, cmd: string[], opts: StreamOptions): Promise<ProcessStream>;
  attach(id: string, opts: StreamOptions): Promise<ProcessStream>;
  /** A TCP connection to `port` inside the sandbox's network namespace. */
  portForward(podSandboxId: string, port: number): Promise<Socket>;
}
