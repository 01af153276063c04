// Recording core/v1 Events as client-go's record package does: before an event reaches the API it
// is correlated (tools/record/events_cache.go). A source may burst 25 events about one object, then
// one per 5 minutes (the spam filter); more than 10 events that differ only in their message within
// 10 minutes become one "(combined from similar events)" event; an event seen before is not created
// again but patched with a higher count. A controller that creates a thousand pods thus writes
// about 25 events about its ReplicaSet, not a thousand.
import { R, type ApiClient } from '../model/api.js';
import { rfc3339, type KubeObject } from '../model/object.js';
import { StatusError } from '../model/status.js';

const CACHE_ENTRIES = 4096;
const AGGREGATE_MAX_EVENTS = 10;
const AGGREGATE_INTERVAL_MS = 600_000;
const SPAM_BURST = 25;
const SPAM_QPS = 1 / 300;

interface EventFields {
  involvedObject?: { kind?: string; namespace?: string; name?: string; uid?: string; apiVersion?: string; fieldPath?: string };
  source?: { component?: string; host?: string };
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
  reportingComponent?: string;
  reportingInstance?: string;
}
export type EventObject = KubeObject & EventFields;

/** A map that forgets its least recently used entries beyond a size (groupcache's lru). */
class Lru<V> {
  private readonly m = new Map<string, V>();
  constructor(private readonly size: number) {}
  get(k: string): V | undefined {
    const v = this.m.get(k);
    if (v !== undefined) {
      this.m.delete(k);
      this.m.set(k, v);
    }
    return v;
  }
  set(k: string, v: V): void {
    this.m.delete(k);
    this.m.set(k, v);
    if (this.m.size > this.size) this.m.delete(this.m.keys().next().value!);
  }
}

const objectKey = (e: EventFields) => {
  const o = e.involvedObject ?? {};
  return [e.source?.component, e.source?.host, o.kind, o.namespace, o.name, o.uid, o.apiVersion].map((x) => x ?? '').join('\u0000');
};
const spamKey = objectKey;
const aggregateKey = (e: EventFields) => [objectKey(e), e.type, e.reason, e.reportingComponent, e.reportingInstance].map((x) => x ?? '').join('\u0000');
const eventKey = (e: EventFields) =>
  [objectKey(e), e.involvedObject?.fieldPath, e.type, e.reason, e.message].map((x) => x ?? '').join('\u0000');

interface Observation {
  count: number;
  firstTimestamp?: string;
  name: string;
  resourceVersion?: string;
}

/** What to do with an event: nothing, create it, or patch the earlier one it repeats. */
export type Correlation =
  | { kind: 'skip' }
  | { kind: 'create'; event: EventObject }
  | { kind: 'patch'; event: EventObject; patch: Record<string, unknown> };

export class EventCorrelator {
  private readonly buckets = new Lru<{ tokens: number; at: number }>(CACHE_ENTRIES);
  private readonly aggregates = new Lru<{ messages: Set<string>; last: number }>(CACHE_ENTRIES);
  private readonly seen = new Lru<Observation>(CACHE_ENTRIES);

  constructor(private readonly now: () => number) {}

  correlate(incoming: EventObject): Correlation {
    const now = this.now();
    const [aggregated, key] = this.aggregate(incoming, now);
    const [event, patch] = this.observe(aggregated, key);
    if (!this.allow(event, now)) return { kind: 'skip' };
    return patch ? { kind: 'patch', event, patch } : { kind: 'create', event };
  }

  /** The server's copy of a written event: later repeats patch it. */
  recorded(e: EventObject): void {
    this.seen.set(eventKey(e), { count: e.count ?? 1, firstTimestamp: e.firstTimestamp, name: e.metadata.name!, resourceVersion: e.metadata.resourceVersion });
  }

  /** Token bucket per source and object: a burst of 25, refilled at one per 5 minutes. */
  private allow(e: EventFields, now: number): boolean {
    const k = spamKey(e);
    const b = this.buckets.get(k) ?? { tokens: SPAM_BURST, at: now };
    b.tokens = Math.min(SPAM_BURST, b.tokens + ((now - b.at) / 1000) * SPAM_QPS);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(k, b);
    return ok;
  }

  /** Past 10 distinct messages for one object and reason within 10 minutes, one combined event. */
  private aggregate(e: EventObject, now: number): [EventObject, string] {
    const k = aggregateKey(e);
    let rec = this.aggregates.get(k);
    if (!rec || now - rec.last > AGGREGATE_INTERVAL_MS) rec = { messages: new Set(), last: now };
    rec.messages.add(e.message ?? '');
    rec.last = now;
    this.aggregates.set(k, rec);
    if (rec.messages.size < AGGREGATE_MAX_EVENTS) return [e, eventKey(e)];
    const first = rec.messages.values().next().value as string;
    rec.messages.delete(first); // the set stays at the threshold
    const t = rfc3339(now);
    const name = `${e.involvedObject?.name ?? ''}.${(BigInt(Math.floor(now)) * 1_000_000n).toString(16)}`;
    const combined: EventObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: e.metadata.namespace },
      involvedObject: e.involvedObject,
      reason: e.reason,
      message: `(combined from similar events): ${e.message ?? ''}`,
      type: e.type,
      source: e.source,
      count: 1,
      firstTimestamp: t,
      lastTimestamp: t,
    };
    return [combined, k];
  }

  /** A repeat of an event already written becomes a patch of its count, time and message. */
  private observe(e: EventObject, key: string): [EventObject, Record<string, unknown> | undefined] {
    const last = this.seen.get(key);
    let event = e;
    let patch: Record<string, unknown> | undefined;
    if (last && last.count > 0) {
      event = { ...e, metadata: { ...e.metadata, name: last.name, resourceVersion: last.resourceVersion }, firstTimestamp: last.firstTimestamp, count: last.count + 1 };
      patch = { count: event.count, lastTimestamp: event.lastTimestamp, message: event.message };
    }
    this.seen.set(key, { count: event.count ?? 1, firstTimestamp: event.firstTimestamp, name: event.metadata.name!, resourceVersion: event.metadata.resourceVersion });
    return [event, patch];
  }
}

/** Writes events through a correlator, best effort: a failed event never fails its caller. */
export class EventRecorder {
  private readonly correlator: EventCorrelator;

  constructor(private readonly client: ApiClient, now: () => number) {
    this.correlator = new EventCorrelator(now);
  }

  record(event: EventObject): Promise<void> {
    const c = this.correlator.correlate(event);
    if (c.kind === 'skip') return Promise.resolve();
    return this.write(c).then(
      (written) => this.correlator.recorded(written),
      () => undefined,
    );
  }

  private async write(c: Exclude<Correlation, { kind: 'skip' }>): Promise<EventObject> {
    const ns = c.event.metadata.namespace || 'default';
    if (c.kind === 'patch') {
      try {
        return (await this.client.patch(R.events, ns, c.event.metadata.name!, 'application/strategic-merge-patch+json', c.patch)) as EventObject;
      } catch (e) {
        // The event expired (events live an hour): record it afresh, as client-go does.
        if (!StatusError.is(e, 'NotFound')) throw e;
      }
    }
    const { resourceVersion: _rv, ...metadata } = c.event.metadata;
    return (await this.client.create(R.events, ns, { ...c.event, metadata })) as EventObject;
  }
}
