// The API contract (model/api.ts) served in process: the same REST semantics the HTTP transport
// uses, without sockets. Controllers of the all-in-one server and the simulator use it.
import type { ApiClient, DeleteOptions, ListOptions, PatchType, ResourceRef, WatchHandlers, WatchOptions, WriteOptions } from '../model/api.js';
import type { KubeList, KubeObject } from '../model/object.js';
import { errors } from '../model/status.js';
import type { Rest } from './rest.js';
import { evict } from './eviction.js';
import { createToken } from './tokenrequest.js';
import type { WriteOptions as RestWriteOptions } from './options.js';
import { startWatch, type WatchTiming, defaultWatchTiming } from './watch.js';

export interface LocalClientOptions {
  /**
   * Callers only read what writes answer (the simulator and the model checker drop it): they get
   * the stored object, deeply frozen, instead of a copy made for each write.
   */
  sharedResults?: boolean;
  /** Who writes through this client, as an HTTP client's User-Agent says it (the manager of what it changes: fields.ts). */
  userAgent?: string;
}

export class LocalClient implements ApiClient {
  constructor(
    private readonly rest: Rest,
    private readonly timing: WatchTiming = defaultWatchTiming,
    private readonly options: LocalClientOptions = {},
  ) {}

  private type(r: ResourceRef) {
    return this.rest.resource(r.group, r.version, r.resource);
  }

  private opts(o?: WriteOptions): RestWriteOptions {
    const w: RestWriteOptions = { dryRun: !!o?.dryRun, fieldValidation: 'Ignore' };
    if (o?.fieldManager) w.fieldManager = o.fieldManager;
    if (this.options.sharedResults) w.sharedResult = true;
    if (this.options.userAgent) w.userAgent = this.options.userAgent;
    return w;
  }

  async get(r: ResourceRef, ns: string | undefined, name: string): Promise<KubeObject> {
    return this.rest.get(this.type(r), ns, name);
  }

  async list(r: ResourceRef, ns: string | undefined, opts: ListOptions = {}): Promise<KubeList> {
    return this.rest.list(this.type(r), ns, opts);
  }

  async create(r: ResourceRef, ns: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    if (opts?.subresource) {
      if (r.resource === 'pods' && opts.subresource === 'binding') {
        await this.rest.bind(ns!, obj.metadata.name!, { value: obj, duplicates: [] }, this.opts(opts));
        return obj;
      }
      if (r.group === '' && r.resource === 'pods' && opts.subresource === 'eviction') {
        await evict(this.rest, ns!, obj.metadata.name!, obj, new URLSearchParams(opts.dryRun ? 'dryRun=All' : ''));
        return obj;
      }
      if (r.group === '' && r.resource === 'serviceaccounts' && opts.subresource === 'token') return createToken(this.rest, ns!, obj.metadata.name!, obj);
      throw errors.methodNotSupported({ group: r.group, name: `${r.resource}/${opts.subresource}` }, 'create');
    }
    return (await this.rest.create(this.type(r), ns, { value: obj, duplicates: [] }, this.opts(opts))).object;
  }

  async update(r: ResourceRef, ns: string | undefined, obj: KubeObject, opts?: WriteOptions): Promise<KubeObject> {
    const name = obj.metadata.name!;
    const body = { value: obj, duplicates: [] };
    if (opts?.subresource) return (await this.rest.writeSubresource(this.type(r), ns, name, opts.subresource, body, this.opts(opts))).object;
    return (await this.rest.update(this.type(r), ns, name, body, this.opts(opts))).object;
  }

  async patch(r: ResourceRef, ns: string | undefined, name: string, type: PatchType, patch: unknown, opts?: WriteOptions): Promise<KubeObject> {
    const body = { value: patch, duplicates: [] };
    if (opts?.subresource) return (await this.rest.writeSubresource(this.type(r), ns, name, opts.subresource, body, this.opts(opts), type)).object;
    return (await this.rest.patch(this.type(r), ns, name, type, body, this.opts(opts))).object;
  }

  async delete(r: ResourceRef, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<void> {
    // What the delete answers is not handed back.
    await this.rest.delete(this.type(r), ns, name, { ...opts, dryRun: !!opts.dryRun, sharedResult: true });
  }

  watch(r: ResourceRef, ns: string | undefined, opts: WatchOptions, handlers: WatchHandlers): { stop(): void } {
    let handle: { stop(): void } | undefined;
    let stopped = false;
    startWatch(this.rest, this.type(r), ns, opts, { send: (ev) => handlers.event(ev), end: () => handlers.end() }, this.timing).then(
      (h) => {
        handle = h;
        if (stopped) h.stop();
      },
      (e: unknown) => handlers.end(e instanceof Error ? e : new Error(String(e))),
    );
    return {
      stop: () => {
        stopped = true;
        handle?.stop();
      },
    };
  }
}
