// docker ps: which containers a list shows, with dockerd's filters and order (daemon/list.go).
import { networkMode, type Container, type ContainerService } from './containers.js';
import { invalidParameter } from './errors.js';
import type { Filters } from './filters.js';
import type { ImageStore } from './images.js';
import { isRunning } from './lifecycle.js';
import { familiarName, parseNormalizedNamed } from './reference.js';

const ACCEPTED = ['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume'];
const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

export interface ListOptions {
  all: boolean;
  limit: number;
  filters: Filters;
}

function portMatches(f: Filters, key: string, ports: string[]): boolean {
  if (!f.contains(key)) return true;
  for (const want of f.get(key)) {
    const [p, proto = 'tcp'] = want.split('/');
    const [a, b = a] = p!.split('-').map(Number);
    for (const have of ports) {
      const [hp, hproto = 'tcp'] = have.split('/');
      if (hproto === proto && Number(hp) >= a! && Number(hp) <= b!) return true;
    }
  }
  return false;
}

export function listContainers(svc: ContainerService, images: ImageStore, o: ListOptions): Container[] {
  const f = o.filters;
  f.validate(ACCEPTED);
  for (const s of f.get('status')) if (!STATUSES.includes(s)) throw invalidParameter(`Invalid filter 'status=${s}'`);
  for (const h of f.get('health')) if (!['starting', 'healthy', 'unhealthy', 'none'].includes(h)) throw invalidParameter(`Invalid filter 'health=${h}'`);
  const exited = f.get('exited').map((x) => {
    if (!/^-?\d+$/.test(x)) throw invalidParameter(`Invalid filter 'exited=${x}'`);
    return Number(x);
  });
  const all = o.all || f.contains('status') || exited.length > 0 || o.limit > 0;
  let list = svc.list().sort((a, b) => Date.parse(b.rec.Created) - Date.parse(a.rec.Created) || (b.id < a.id ? -1 : 1));
  const ref = (key: string) => {
    const vals = f.get(key);
    if (vals.length === 0) return undefined;
    return svc.get(vals[0]!);
  };
  const before = ref('before');
  const since = ref('since');
  const ancestors = new Set<string>();
  for (const a of f.get('ancestor')) {
    const img = images.find(a);
    if (img) {
      ancestors.add(img.id);
      for (const child of images.list()) {
        let p = child.parent;
        while (p) {
          if (p === img.id) ancestors.add(child.id);
          p = images.byID(p)?.parent;
        }
      }
    }
  }
  list = list.filter((c) => {
    const r = c.rec;
    if (!all && !isRunning(r.State)) return false;
    if (before && Date.parse(r.Created) >= Date.parse(before.rec.Created)) return false;
    if (since && Date.parse(r.Created) <= Date.parse(since.rec.Created)) return false;
    if (!f.match('id', r.ID)) return false;
    if (f.contains('name') && !f.get('name').some((n) => {
      try {
        return new RegExp(n).test(r.Name) || new RegExp(n).test(r.Name.slice(1));
      } catch {
        return r.Name.slice(1) === n;
      }
    })) return false;
    if (!f.matchKVList('label', r.Config.Labels ?? {})) return false;
    if (!f.exactMatch('status', r.State.status)) return false;
    if (exited.length && (r.State.status !== 'exited' && !(r.State.status === 'created' && r.HasBeenStartedBefore) || !exited.includes(r.State.exitCode))) return false;
    if (f.contains('health') && !f.exactMatch('health', 'none')) return false;
    if (f.contains('ancestor') && !ancestors.has(r.Image)) {
      const name = r.Config.Image ?? '';
      const familiar = (() => {
        try {
          return familiarName(parseNormalizedNamed(name));
        } catch {
          return name;
        }
      })();
      if (!f.get('ancestor').some((a) => a === name || a === familiar)) return false;
    }
    if (f.contains('network')) {
      const nets = Object.entries(r.Networks);
      const mode = networkMode(r.HostConfig);
      if (!f.get('network').some((n) => n === mode || nets.some(([name, ep]) => name === n || ep.NetworkID === n || ep.NetworkID.startsWith(n)))) return false;
    }
    if (f.contains('volume')) {
      if (!f.get('volume').some((v) => r.Mounts.some((m) => m.Name === v || m.Source === v || m.Destination === v))) return false;
    }
    if (!portMatches(f, 'publish', Object.keys(r.Ports).flatMap((k) => (r.Ports[k] ?? []).map((b) => `${b.HostPort}/${k.split('/')[1]}`)))) return false;
    if (!portMatches(f, 'expose', Object.keys(r.Config.ExposedPorts ?? {}))) return false;
    if (f.contains('is-task') && f.exactMatch('is-task', 'true')) return false;
    return true;
  });
  if (o.limit > 0) list = list.slice(0, o.limit);
  return list;
}
