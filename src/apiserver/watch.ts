// Watch as upstream serves it: optional initial ADDED events (the state at the start), then every
// change after a resourceVersion, filtered by selectors (an object leaving the selection is a
// DELETED event), bookmarks, a timeout, and a 410 ERROR event when the version is compacted.
import type { KubeObject } from '../model/object.js';
import { apiVersionOf, type ResourceType } from '../model/registry.js';
import { errors, type Status } from '../model/status.js';
import { StoreError, resourcePrefix, type StoreEvent } from '../store/types.js';
import { fromStored, storageOf } from '../model/conversion.js';
import type { Rest } from './rest.js';
import * as mm from './metamodel.js';
import { parseResourceVersion, type ListOptions } from './options.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject | Status;
}

export interface WatchSink {
  send(ev: WatchEvent): void;
  /** The server ended the watch (timeout, store closed, error event sent). */
  end(): void;
}

export interface WatchHandle {
  stop(): void;
}

export interface WatchTiming {
  /** How often an idle watch with allowWatchBookmarks gets a BOOKMARK. */
  bookmarkIntervalMs: number;
  /** The server's own limit on a watch, used when the client gives no timeoutSeconds. */
  maxTimeoutMs: number;
}

export const defaultWatchTiming: WatchTiming = { bookmarkIntervalMs: 60_000, maxTimeoutMs: 30 * 60_000 };

export async function startWatch(
  rest: Rest,
  t: ResourceType,
  ns: string | undefined,
  opts: ListOptions,
  sink: WatchSink,
  timing: WatchTiming = defaultWatchTiming,
): Promise<WatchHandle> {
  const filter = mm.selectorFilter(t, opts.labelSelector, opts.fieldSelector);
  const s = storageOf(t);
  const prefix = resourcePrefix(s.group, s.plural, t.namespaced ? ns : undefined);
  const store = rest.deps.store;
  const matches = (o: KubeObject | undefined) => !!o && (!filter || filter(o));

  let lastRevision = 0;
  let stopped = false;
  const timers: NodeJS.Timeout[] = [];
  let storeWatch: { stop(): void } | undefined;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    storeWatch?.stop();
    for (const tm of timers) clearTimeout(tm);
  };
  const finish = () => {
    if (stopped) return;
    stop();
    sink.end();
  };
  const bookmark = (annotations?: Record<string, string>) => {
    const metadata: KubeObject['metadata'] = { resourceVersion: String(lastRevision) };
    if (annotations) metadata.annotations = annotations;
    sink.send({ type: 'BOOKMARK', object: { kind: t.kind, apiVersion: apiVersionOf(t), metadata } });
  };

  // Where the stream starts: unset or "0" means "the current state, then changes" (initial
  // events); a version means "changes after it", unless sendInitialEvents asks for the state too.
  const rv = opts.resourceVersion;
  const initialEvents = opts.sendInitialEvents ?? (rv === undefined || rv === '' || rv === '0');
  let from: number;
  if (initialEvents) {
    const list = await store.list(prefix);
    from = list.revision;
    lastRevision = from;
    for (const o of list.items) {
      const obj = fromStored(t, o);
      if (matches(obj)) sink.send({ type: 'ADDED', object: obj });
    }
    if (opts.sendInitialEvents && opts.allowWatchBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    from = parseResourceVersion(rv)!;
    lastRevision = from;
  }

  const onEvent = (ev: StoreEvent) => {
    if (stopped) return;
    lastRevision = ev.revision;
    const obj = fromStored(t, ev.object);
    const prev = ev.prevObject ? fromStored(t, ev.prevObject) : undefined;
    const now = ev.type !== 'DELETED' && matches(obj);
    const before = ev.type === 'ADDED' ? false : matches(prev ?? obj);
    if (ev.type === 'DELETED') {
      if (before) sink.send({ type: 'DELETED', object: obj });
    } else if (now && before) sink.send({ type: 'MODIFIED', object: obj });
    else if (now) sink.send({ type: 'ADDED', object: obj });
    else if (before) sink.send({ type: 'DELETED', object: obj });
  };

  try {
    storeWatch = store.watch(prefix, from, {
      event: onEvent,
      error: (e) => {
        if (e.code === 'Compacted') sink.send({ type: 'ERROR', object: expired(from, e).toStatus() });
        finish();
      },
    });
  } catch (e) {
    if (e instanceof StoreError && e.code === 'Compacted') {
      sink.send({ type: 'ERROR', object: expired(from, e).toStatus() });
      finish();
      return { stop };
    }
    if (e instanceof StoreError && e.code === 'FutureRevision') {
      throw errors.timeout(`Too large resource version: ${from}, current: ${await store.revision()}`, 1);
    }
    throw e;
  }

  const timeoutMs = opts.timeoutSeconds !== undefined ? opts.timeoutSeconds * 1000 : timing.maxTimeoutMs;
  timers.push(setTimeout(finish, timeoutMs));
  if (opts.allowWatchBookmarks) {
    const tick = () => {
      if (stopped) return;
      bookmark();
      timers.push(setTimeout(tick, timing.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, timing.bookmarkIntervalMs));
  }
  return { stop };
}

function expired(from: number, e: StoreError) {
  return errors.expired(`too old resource version: ${from} (${typeof e.current === 'number' ? e.current : ''})`);
}
