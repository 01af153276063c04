// The API contract (model/api.ts) over HTTPS, for controllers and kubelets that run apart from
// the API server. Failures come back as the server's own Status, as StatusError.
import { resourcePath, type ApiClient, type DeleteOptions, type ListOptions, type PatchType, type ResourceRef, type WatchEvent, type WatchHandlers, type WatchOptions, type WriteOptions } from '../model/api.js';
import type { KubeList, KubeObject } from '../model/object.js';
import { StatusError, type Status } from '../model/status.js';
import type { HttpClient, Response } from './http.js';

function query(o: object): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || k === 'subresource') continue;
    if (k === 'dryRun') {
      if (v) q.set('dryRun', 'All');
      continue;
    }
    q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

function check<T>(r: Response<T>): T {
  if (r.status >= 200 && r.status < 300) return r.body;
  const s = r.body as unknown as Status;
  if (s && typeof s === 'object' && s.kind === 'Status') throw new StatusError(s.code, s.reason ?? '', s.message ?? '', s.details);
  throw new StatusError(r.status, '', `the server responded with the status code ${r.status}: ${String(r.body).slice(0, 200)}`);
}

export class RemoteClient implements ApiClient {
  constructor(private readonly http: HttpClient) {}

  async get(r: ResourceRef, ns: string | undefined, name: string): Promise<KubeObject> {
    return check(await this.http.request<KubeObject>('GET', resourcePath(r, ns, name)));
  }

  async list(r: ResourceRef, ns: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    return check(await this.http.request<KubeList>('GET', resourcePath(r, ns) + query(opts)));
  }

  async create(r: ResourceRef, ns: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    const path = resourcePath(r, ns, opts.subresource ? obj.metadata.name : undefined, opts.subresource) + query(opts);
    return check(await this.http.request<KubeObject>('POST', path, obj));
  }

  async update(r: ResourceRef, ns: string | undefined, obj: KubeObject, opts: WriteOptions = {}): Promise<KubeObject> {
    return check(await this.http.request<KubeObject>('PUT', resourcePath(r, ns, obj.metadata.name, opts.subresource) + query(opts), obj));
  }

  async patch(r: ResourceRef, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts: WriteOptions = {}): Promise<KubeObject> {
    return check(await this.http.request<KubeObject>('PATCH', resourcePath(r, ns, name, opts.subresource) + query(opts), patch, { contentType: type }));
  }

  async delete(r: ResourceRef, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.dryRun) body.dryRun = ['All'];
    check(await this.http.request('DELETE', resourcePath(r, ns, name), body));
  }

  watch(r: ResourceRef, ns: string | undefined, opts: WatchOptions, handlers: WatchHandlers): { stop(): void } {
    return this.http.watch(resourcePath(r, ns) + query({ ...opts, watch: 'true' }), (ev) => handlers.event(ev as WatchEvent), (err) => handlers.end(err));
  }
}
