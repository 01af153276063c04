// The API server's own metrics (GET /metrics) in the Prometheus text format, named and labelled
// as kube-apiserver's stable ones: requests by verb, resource and code, their latency, the
// requests in flight, the objects stored by resource, and the process's CPU, memory and start.
// Counted where a request enters the handler, so everything that comes over HTTP (kubectl,
// kubelets, client-go); the controllers running in this process call REST directly, uncounted.
import { readdirSync } from 'node:fs';
import { parsePath } from './paths.js';
import type { ApiRequest } from './handler.js';

/** apiserver_request_duration_seconds's buckets (kube-apiserver 1.27+). */
const BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];

interface Histogram {
  labels: string;
  counts: number[];
  sum: number;
  count: number;
}

const START = Date.now() / 1000;

/** A label value escaped for the text format. */
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const labelText = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;

export type RequestKind = 'readOnly' | 'mutating';

export const requestKind = (method: string): RequestKind => (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? 'readOnly' : 'mutating');

export class ApiMetrics {
  private readonly totals = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  readonly inflight: Record<RequestKind, number> = { readOnly: 0, mutating: 0 };

  /** One request answered: its status, and for a request that ended (not a watch or stream) how long it took. */
  observe(req: ApiRequest, code: number, seconds: number | undefined): void {
    const l = requestLabels(req);
    const total = labelText({ code: String(code), component: 'apiserver', dry_run: l.dryRun, group: l.group, resource: l.resource, scope: l.scope, subresource: l.subresource, verb: l.verb, version: l.version });
    this.totals.set(total, (this.totals.get(total) ?? 0) + 1);
    if (seconds === undefined) return;
    const key = labelText({ component: 'apiserver', dry_run: l.dryRun, group: l.group, resource: l.resource, scope: l.scope, subresource: l.subresource, verb: l.verb, version: l.version });
    let h = this.durations.get(key);
    if (!h) this.durations.set(key, (h = { labels: key, counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) h.counts[i]!++;
    h.sum += seconds;
    h.count++;
  }

  /** The exposition, with the stored objects' counts by resource (`pods`, `deployments.apps`). */
  render(objects: [string, number][]): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family('apiserver_request_total', 'counter', '[STABLE] Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.');
    for (const [k, v] of [...this.totals].sort()) out.push(`apiserver_request_total${k} ${v}`);
    family('apiserver_request_duration_seconds', 'histogram', '[STABLE] Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.');
    for (const h of [...this.durations.values()].sort((a, b) => (a.labels < b.labels ? -1 : 1))) {
      const inner = h.labels.slice(1, -1);
      BUCKETS.forEach((b, i) => out.push(`apiserver_request_duration_seconds_bucket{${inner},le="${b}"} ${h.counts[i]}`));
      out.push(`apiserver_request_duration_seconds_bucket{${inner},le="+Inf"} ${h.count}`);
      out.push(`apiserver_request_duration_seconds_sum${h.labels} ${h.sum}`);
      out.push(`apiserver_request_duration_seconds_count${h.labels} ${h.count}`);
    }
    family('apiserver_current_inflight_requests', 'gauge', '[STABLE] Maximal number of currently used inflight request limit of this apiserver per request kind in last second.');
    for (const k of ['mutating', 'readOnly'] as const) out.push(`apiserver_current_inflight_requests{request_kind="${k}"} ${this.inflight[k]}`);
    family('apiserver_storage_objects', 'gauge', '[STABLE] Number of stored objects at the time of last check split by kind.');
    for (const [r, n] of [...objects].sort()) out.push(`apiserver_storage_objects{resource="${esc(r)}"} ${n}`);
    const cpu = process.cpuUsage();
    family('process_cpu_seconds_total', 'counter', 'Total user and system CPU time spent in seconds.');
    out.push(`process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    family('process_resident_memory_bytes', 'gauge', 'Resident memory size in bytes.');
    out.push(`process_resident_memory_bytes ${process.memoryUsage().rss}`);
    family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.');
    out.push(`process_start_time_seconds ${START}`);
    family('process_open_fds', 'gauge', 'Number of open file descriptors.');
    out.push(`process_open_fds ${openFds()}`);
    return `${out.join('\n')}\n`;
  }
}

function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return 0;
  }
}

/**
 * The labels kube-apiserver reports a request under: the verb as its metrics clean it (LIST for
 * a GET of a collection, WATCH for a watch, APPLY for a server-side apply patch), the scope
 * (resource, namespace or cluster), and for paths outside the resource API no resource at all.
 */
export function requestLabels(req: ApiRequest): { verb: string; group: string; version: string; resource: string; subresource: string; scope: string; dryRun: string } {
  const dryRun = req.query.getAll('dryRun').join(',');
  const watch = req.query.get('watch') === 'true' || req.query.get('watch') === '1';
  let info: ReturnType<typeof parsePath> | undefined;
  try {
    info = parsePath(req.method, req.path, watch);
  } catch {
    info = undefined;
  }
  const method = req.method.toUpperCase();
  if (!info || info.type !== 'resource') return { verb: method, group: '', version: '', resource: '', subresource: '', scope: '', dryRun };
  const scope = info.name !== undefined ? 'resource' : info.namespace !== undefined ? 'namespace' : 'cluster';
  let verb = method;
  if (info.verb === 'watch') verb = 'WATCH';
  else if (method === 'GET' && info.name === undefined) verb = 'LIST';
  else if (method === 'PATCH' && req.contentType?.startsWith('application/apply-patch')) verb = 'APPLY';
  return { verb, group: info.group, version: info.version, resource: info.resource, subresource: info.subresource ?? '', scope, dryRun };
}
