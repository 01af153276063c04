// An informer: a cache of one resource kept current by list + watch, as client-go's reflector.
// It re-watches from the last seen version when a watch ends, relists when the version has been
// compacted (410), and reports adds, updates and deletes, including those a relist discovers.
import type { ApiClient, ResourceRef } from '../model/api.js';
import type { KubeObject } from '../model/object.js';
import type { Status } from '../model/status.js';

export type InformerEvent = { type: 'add' | 'update' | 'delete'; object: KubeObject; old?: KubeObject };

export interface InformerOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** How long to wait before relisting after a failure. */
  retryMs?: number;
}

export const objectKeyOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata.name!);

export class Informer {
  private readonly items = new Map<string, KubeObject>();
  /** The same objects by namespace, so a namespaced list costs what the namespace holds. */
  private readonly byNamespace = new Map<string | undefined, Map<string, KubeObject>>();
  private readonly handlers: ((ev: InformerEvent) => void)[] = [];
  private watch?: { stop(): void };
  private stopped = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  /** The newest resourceVersion this cache reflects. */
  resourceVersion = '0';

  constructor(
    private readonly client: ApiClient,
    readonly resource: ResourceRef,
    private readonly opts: InformerOptions = {},
  ) {}

  on(handler: (ev: InformerEvent) => void): void {
    this.handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): KubeObject | undefined {
    return this.items.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string): KubeObject[] {
    if (namespace === undefined) return [...this.items.values()];
    return [...(this.byNamespace.get(namespace)?.values() ?? [])];
  }

  private put(k: string, o: KubeObject): void {
    this.items.set(k, o);
    const ns = o.metadata.namespace;
    let m = this.byNamespace.get(ns);
    if (!m) this.byNamespace.set(ns, (m = new Map()));
    m.set(k, o);
  }

  private remove(k: string, o: KubeObject): void {
    this.items.delete(k);
    const ns = o.metadata.namespace;
    const m = this.byNamespace.get(ns);
    m?.delete(k);
    if (m && m.size === 0) this.byNamespace.delete(ns);
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Starts listing and watching; resolves once the first list is in the cache. */
  start(): Promise<void> {
    void this.relist();
    return this.synced ? Promise.resolve() : new Promise((r) => this.syncWaiters.push(r));
  }

  stop(): void {
    this.stopped = true;
    this.watch?.stop();
    for (const w of this.waiters.splice(0)) w.done();
  }

  private waiters: { until: () => boolean; done: () => void }[] = [];

  /** Resolves once `until()` holds for this cache (checked as events arrive), or after timeoutMs. */
  waitUntil(until: () => boolean, timeoutMs: number): Promise<void> {
    if (until() || this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const w = {
        until,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        resolve();
      }, timeoutMs);
      timer.unref?.();
      this.waiters.push(w);
    });
  }

  private wake(): void {
    if (!this.waiters.length) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.until()) w.done();
      else still.push(w);
    }
    this.waiters = still;
  }

  private emit(ev: InformerEvent): void {
    for (const h of this.handlers) h(ev);
  }

  private async relist(): Promise<void> {
    if (this.stopped) return;
    try {
      const list = await this.client.list(this.resource, this.opts.namespace, {
        ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
        ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
      });
      const fresh = new Map(list.items.map((o) => [objectKeyOf(o), o]));
      for (const [k, old] of this.items) {
        if (!fresh.has(k)) {
          this.remove(k, old);
          this.emit({ type: 'delete', object: old });
        }
      }
      for (const [k, o] of fresh) {
        const old = this.items.get(k);
        this.put(k, o);
        if (!old) this.emit({ type: 'add', object: o });
        else if (old.metadata.resourceVersion !== o.metadata.resourceVersion) this.emit({ type: 'update', object: o, old });
      }
      this.resourceVersion = list.metadata.resourceVersion ?? '0';
      this.wake();
      if (!this.synced) {
        this.synced = true;
        for (const w of this.syncWaiters.splice(0)) w();
      }
      this.startWatch();
    } catch {
      if (!this.stopped) setTimeout(() => void this.relist(), this.opts.retryMs ?? 1000).unref();
    }
  }

  private startWatch(): void {
    if (this.stopped) return;
    let relist = false;
    this.watch = this.client.watch(this.resource, this.opts.namespace, {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
      ...(this.opts.labelSelector ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    }, {
      event: (ev) => {
        if (ev.type === 'ERROR') {
          relist = (ev.object as Status).code === 410 || relist;
          return;
        }
        const o = ev.object as KubeObject;
        if (o.metadata?.resourceVersion) this.resourceVersion = o.metadata.resourceVersion;
        if (ev.type !== 'BOOKMARK') {
          const k = objectKeyOf(o);
          const old = this.items.get(k);
          if (ev.type === 'DELETED') {
            this.remove(k, old ?? o);
            this.emit({ type: 'delete', object: o });
          } else {
            this.put(k, o);
            this.emit(old ? { type: 'update', object: o, old } : { type: 'add', object: o });
          }
        }
        this.wake();
      },
      end: (err) => {
        if (this.stopped) return;
        // A watch that ended cleanly resumes from where it was; a gone version or an error relists.
        if (relist || err) setTimeout(() => void this.relist(), err ? (this.opts.retryMs ?? 1000) : 0).unref();
        else this.startWatch();
      },
    });
  }
}
