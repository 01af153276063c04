// Named volumes with the `local` driver: a directory per volume under the data dir, plus its
// metadata; in-use checks against the containers that reference it (volume/service/store.go).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { conflict, invalidParameter, notFound } from './errors.js';
import type { Filters } from './filters.js';
import { validateVolumeName } from './mounts.js';
import { check, isMounted, run } from './sys.js';

export interface Volume {
  CreatedAt: string;
  Driver: string;
  Labels: Record<string, string> | null;
  Mountpoint: string;
  Name: string;
  Options: Record<string, string> | null;
  Scope: 'local';
}

type EventLog = (action: string, name: string, attributes: Record<string, string>) => void;

const LOCAL_OPTS = ['type', 'device', 'o', 'size'];

export class VolumeStore {
  constructor(
    readonly root: string,
    /** IDs of containers that reference a volume */
    private readonly refs: (name: string) => string[],
    private readonly event: EventLog = () => {},
  ) {
    mkdirSync(root, { recursive: true });
  }

  private dir(name: string): string {
    return join(this.root, name);
  }

  private read(name: string): Volume | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir(name), 'volume.json'), 'utf8')) as Volume;
    } catch {
      return undefined;
    }
  }

  exists(name: string): boolean {
    return this.read(name) !== undefined;
  }

  get(name: string): Volume {
    const v = this.read(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  /** Creates a volume, or returns the existing one of that name (as dockerd does). */
  create(name: string, driver = 'local', labels: Record<string, string> | null = null, options: Record<string, string> | null = null, now = new Date()): Volume {
    validateVolumeName(name);
    const existing = this.read(name);
    if (existing) {
      if (driver && driver !== existing.Driver) {
        throw conflict(`create ${name}: a volume with the name ${name} already exists with driver "${existing.Driver}"`);
      }
      return existing;
    }
    if (driver !== 'local') throw notFound(`create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    for (const k of Object.keys(options ?? {})) {
      if (!LOCAL_OPTS.includes(k)) throw invalidParameter(`create ${name}: invalid option key: "${k}"`);
    }
    const tmp = join(this.root, `.tmp-${name}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(join(tmp, '_data'), { recursive: true, mode: 0o755 });
    const v: Volume = {
      CreatedAt: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Driver: 'local',
      Labels: labels && Object.keys(labels).length ? labels : labels ?? null,
      Mountpoint: join(this.dir(name), '_data'),
      Name: name,
      Options: options && Object.keys(options).length ? options : options ?? null,
      Scope: 'local',
    };
    writeFileSync(join(tmp, 'volume.json'), JSON.stringify(v));
    renameSync(tmp, this.dir(name));
    this.event('create', name, { driver: 'local' });
    return v;
  }

  list(): Volume[] {
    return readdirSync(this.root)
      .filter((n) => !n.startsWith('.'))
      .map((n) => this.read(n))
      .filter((v): v is Volume => !!v)
      .sort((a, b) => a.Name.localeCompare(b.Name));
  }

  filter(f: Filters): Volume[] {
    f.validate(['dangling', 'driver', 'label', 'name']);
    return this.list().filter((v) => {
      if (f.contains('dangling')) {
        const want = f.get('dangling').some((x) => x === 'true' || x === '1');
        if ((this.refs(v.Name).length === 0) !== want) return false;
      }
      return f.match('name', v.Name) && f.match('driver', v.Driver) && f.matchKVList('label', v.Labels ?? {});
    });
  }

  remove(name: string, force = false): void {
    const v = this.read(name);
    if (!v) {
      if (force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    const users = this.refs(name);
    if (users.length > 0) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
    if (isMounted(v.Mountpoint)) void run('umount', [v.Mountpoint]);
    const tmp = join(this.root, `.rm-${name}`);
    renameSync(this.dir(name), tmp);
    rmSync(tmp, { recursive: true, force: true });
    this.event('destroy', name, { driver: 'local' });
  }

  /** The host directory a container mounts; a volume with mount options is mounted first. */
  async mountpoint(name: string): Promise<string> {
    const v = this.get(name);
    const o = v.Options ?? {};
    if (o['type'] && !isMounted(v.Mountpoint)) {
      const args = ['-t', o['type']];
      const opts = [o['o'], o['size'] ? `size=${o['size']}` : undefined].filter(Boolean).join(',');
      if (opts) args.push('-o', opts);
      await check('mount', [...args, o['device'] ?? o['type'], v.Mountpoint]);
    }
    return v.Mountpoint;
  }

  /** Unmounts an option-mounted volume once no running container uses it. */
  async release(name: string, stillUsed: boolean): Promise<void> {
    const v = this.read(name);
    if (!v || stillUsed || !v.Options?.['type']) return;
    if (isMounted(v.Mountpoint)) await run('umount', [v.Mountpoint]);
  }

  isEmpty(name: string): boolean {
    const v = this.read(name);
    return !v || !existsSync(v.Mountpoint) || readdirSync(v.Mountpoint).length === 0;
  }
}
