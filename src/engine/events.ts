// The engine's event stream (`docker events`): every action on a container, image, volume or
// network, kept in a bounded history for `--since` and fanned out to subscribers, with dockerd's
// filter rules (daemon/events/filter.go).
import { Filters } from './filters.js';
import { familiarName, parseNormalizedNamed } from './reference.js';

export type EventType = 'container' | 'image' | 'volume' | 'network' | 'daemon';

export interface EventMessage {
  status?: string;
  id?: string;
  from?: string;
  Type: EventType;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
  scope: 'local';
  time: number;
  timeNano: number;
}

const HISTORY = 256; // dockerd keeps the same number

function stripTag(image: string): string {
  try {
    return familiarName(parseNormalizedNamed(image));
  } catch {
    return image;
  }
}

/** daemon/events.Filter.Include. */
export function eventMatches(f: Filters, ev: EventMessage): boolean {
  const fuzzyEvents = ['health_status', 'exec_create', 'exec_start'];
  const eventOk = f.get('event').some((v) => fuzzyEvents.includes(v)) ? f.fuzzyMatch('event', ev.Action) : f.exactMatch('event', ev.Action);
  const imageName = ev.Actor.Attributes[ev.Type === 'image' ? 'name' : 'image'] ?? '';
  const imageOk =
    f.exactMatch('image', ev.Actor.ID) ||
    f.exactMatch('image', imageName) ||
    f.exactMatch('image', stripTag(ev.Actor.ID)) ||
    f.exactMatch('image', stripTag(imageName));
  return (
    eventOk &&
    f.exactMatch('type', ev.Type) &&
    (!f.contains('scope') || f.exactMatch('scope', ev.scope)) &&
    (['daemon', 'container', 'volume', 'network'] as EventType[]).every((t) => fuzzyNameStrict(f, ev, t)) &&
    imageOk &&
    f.matchKVList('label', ev.Actor.Attributes)
  );
}

// dockerd applies the per-type name filters to every event regardless of its type, so a
// `container=x` filter hides image events whose actor is not named x.
function fuzzyNameStrict(f: Filters, ev: EventMessage, t: EventType): boolean {
  return f.fuzzyMatch(t, ev.Actor.ID) || f.fuzzyMatch(t, ev.Actor.Attributes['name'] ?? '');
}

export const EVENT_FILTERS = ['container', 'daemon', 'event', 'image', 'label', 'network', 'type', 'volume', 'scope', 'plugin', 'node', 'service', 'secret', 'config'] as const;

export type Listener = (ev: EventMessage) => void;

export class EventBus {
  private readonly history: EventMessage[] = [];
  private readonly listeners = new Set<Listener>();

  constructor(private readonly nowNano: () => bigint = () => process.hrtime.bigint() - hrBase + wallBase) {}

  log(type: EventType, action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
    const ns = this.nowNano();
    const ev: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(ns / 1_000_000_000n),
      timeNano: Number(ns),
    };
    // the deprecated top-level fields dockerd still fills for containers and images
    if (type === 'container' || type === 'image') {
      const full: EventMessage = { status: action, id, ...(type === 'container' ? { from: attributes['image'] ?? '' } : {}), ...ev };
      return this.publish(full);
    }
    return this.publish(ev);
  }

  private publish(ev: EventMessage): EventMessage {
    this.history.push(ev);
    if (this.history.length > HISTORY) this.history.shift();
    for (const l of this.listeners) l(ev);
    return ev;
  }

  /** Past events in [since, until] (nanoseconds) that match. */
  past(since: bigint | undefined, until: bigint | undefined, f: Filters): EventMessage[] {
    if (since === undefined) return [];
    return this.history.filter((e) => BigInt(e.timeNano) >= since && (until === undefined || BigInt(e.timeNano) <= until) && eventMatches(f, e));
  }

  subscribe(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
}

const hrBase = process.hrtime.bigint();
const wallBase = BigInt(Date.now()) * 1_000_000n;
