// Delivers committed writes to watchers. Each watcher owns a queue drained in a microtask, so a
// write never runs handlers itself: a handler that writes, stops a watch or throws cannot reorder,
// lose or break anyone else's events, and watch() returns before its replay is delivered.
import { StoreError, type StoreEvent, type Watch, type WatchHandlers } from './types.js';

class Watcher implements Watch {
  private queue: StoreEvent[] = [];
  private next = 0;
  private scheduled = false;
  private stopped = false;

  constructor(
    private readonly fanout: Fanout,
    readonly prefix: string,
    private readonly handlers: WatchHandlers,
  ) {}

  push(ev: StoreEvent): void {
    if (this.stopped) return;
    this.queue.push(ev);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    while (!this.stopped && this.next < this.queue.length) {
      const ev = this.queue[this.next++]!;
      try {
        this.handlers.event(ev);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        this.fail(new StoreError('Closed', this.prefix, `watch on ${this.prefix} stopped: its event handler threw: ${why}`));
      }
    }
    this.queue = [];
    this.next = 0;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.queue = [];
    this.fanout.remove(this);
  }

  /** Ends the watch from the store's side. */
  fail(err: StoreError): void {
    if (this.stopped) return;
    this.stop();
    try {
      this.handlers.error(err);
    } catch {
      // The watch is already over; a throwing error handler has nobody left to tell.
    }
  }
}

export class Fanout {
  // Grouped by prefix: a write tests each distinct prefix once, however many watch it.
  private readonly byPrefix = new Map<string, Set<Watcher>>();

  /** Registers a watcher; `replay` is delivered first, then every event published afterwards. */
  add(prefix: string, handlers: WatchHandlers, replay: StoreEvent[]): Watch {
    const w = new Watcher(this, prefix, handlers);
    for (const ev of replay) w.push(freeze(ev));
    let set = this.byPrefix.get(prefix);
    if (!set) this.byPrefix.set(prefix, (set = new Set()));
    set.add(w);
    return w;
  }

  remove(w: Watcher): void {
    const set = this.byPrefix.get(w.prefix);
    if (set?.delete(w) && set.size === 0) this.byPrefix.delete(w.prefix);
  }

  /** Queues a committed write for every watcher whose prefix the key starts with; builds the event only if one does. */
  publish(key: string, build: () => StoreEvent): void {
    let ev: StoreEvent | undefined;
    for (const [prefix, set] of this.byPrefix) {
      if (!key.startsWith(prefix)) continue;
      ev ??= freeze(build());
      for (const w of set) w.push(ev);
    }
  }

  /** Ends every watch with err. */
  failAll(err: StoreError): void {
    for (const set of [...this.byPrefix.values()]) for (const w of [...set]) w.fail(err);
  }
}

// One event object is shared by every watcher, so it is frozen: a handler that changes it fails
// loudly instead of corrupting what the others see.
export function freeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    // Every write's object passes through here: walk it without building lists of its values.
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) freeze(v[i]);
    // for-in: the own keys of the plain objects events and stored objects are, without a list of them.
    else for (const k in v) freeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
