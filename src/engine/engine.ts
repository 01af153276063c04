// The engine: the services wired together over one data directory (content, layers, images,
// volumes, networks, containers, execs, events), in the spirit of containerd's split.
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ContentStore } from './content.js';
import { ContainerService } from './containers.js';
import { EventBus } from './events.js';
import { ExecService } from './exec.js';
import { ImageStore } from './images.js';
import { LayerStore } from './layers.js';
import { NetworkService } from './network.js';
import { Runc } from './runtime.js';
import { VolumeStore } from './volumes.js';

export interface EngineOptions {
  dataDir: string;
  /** runc's state directory; defaults to run/runc under the data dir */
  runcRoot?: string;
  /** The cgroup parent of containers that name none (dockerd's --cgroup-parent); default /berth. */
  cgroupParent?: string;
}

export const ENGINE_VERSION = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();

export class Engine {
  readonly events = new EventBus();
  readonly content: ContentStore;
  readonly layers: LayerStore;
  readonly images: ImageStore;
  readonly volumes: VolumeStore;
  readonly network: NetworkService;
  readonly containers: ContainerService;
  readonly execs: ExecService;
  readonly runc: Runc;
  readonly dataDir: string;

  private constructor(opts: EngineOptions) {
    this.dataDir = resolve(opts.dataDir);
    mkdirSync(this.dataDir, { recursive: true });
    this.runc = new Runc(opts.runcRoot ?? join(this.dataDir, 'run', 'runc'));
    this.content = new ContentStore(join(this.dataDir, 'image'));
    this.layers = new LayerStore(join(this.dataDir, 'layers'));
    let containers: ContainerService | undefined;
    this.images = new ImageStore(
      this.content,
      this.layers,
      () => containers?.imageUsers() ?? [],
      (action, id, attrs) => this.events.log('image', action, id, attrs),
    );
    this.volumes = new VolumeStore(join(this.dataDir, 'volumes'), (name) => containers?.volumeUsers(name) ?? [], (action, name, attrs) => this.events.log('volume', action, name, attrs));
    this.network = new NetworkService(
      join(this.dataDir, 'network'),
      () => (containers?.list() ?? []).map((c) => ({ id: c.id, name: c.rec.Name, endpoints: c.rec.Networks })),
      (action, id, attrs) => this.events.log('network', action, id, attrs),
    );
    containers = new ContainerService({
      dataDir: this.dataDir,
      images: this.images,
      layers: this.layers,
      volumes: this.volumes,
      network: this.network,
      events: this.events,
      runc: this.runc,
      ...(opts.cgroupParent ? { cgroupParent: opts.cgroupParent } : {}),
    });
    this.containers = containers;
    this.execs = new ExecService(this.containers, this.events);
  }

  /** Opens (or creates) an engine over a data directory and re-adopts its running containers. */
  static async open(opts: EngineOptions): Promise<Engine> {
    const e = new Engine(opts);
    await e.containers.restore();
    for (const n of e.network.list()) {
      if (n.Driver === 'bridge' && n.Name !== 'bridge' && e.network.endpointsOf(n).length > 0) await e.network.serveDNS(n).catch(() => undefined);
    }
    return e;
  }

  /** Lets go of everything in this process; containers keep running under their shims. */
  close(): void {
    this.containers.shutdown();
    this.network.dns.closeAll();
  }
}
