// Conversion between API versions that share storage. Upstream stores events.k8s.io/v1 Events and
// core/v1 Events as one object; each version is a renaming of the other's fields.
import type { KubeObject } from './object.js';
import type { ResourceType } from './registry.js';

/** events.k8s.io/v1 field ← core/v1 field. */
const EVENT_FIELDS: [string, string][] = [
  ['regarding', 'involvedObject'],
  ['note', 'message'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

const isEventsV1 = (t: Pick<ResourceType, 'group' | 'kind'>) => t.group === 'events.k8s.io' && t.kind === 'Event';

/** Where a resource's objects are stored: its own group and plural unless another version owns them. */
export function storageOf(t: ResourceType): { group: string; plural: string } {
  return t.storedAs ?? { group: t.group, plural: t.plural };
}

function rename(obj: KubeObject, pairs: [string, string][], apiVersion: string): KubeObject {
  const out: KubeObject = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    if (from in out) {
      out[to] = out[from];
      delete out[from];
    }
  }
  return out;
}

/** The object in its storage version. */
export function toStored(t: ResourceType, obj: KubeObject): KubeObject {
  if (!isEventsV1(t)) return obj;
  return rename(obj, EVENT_FIELDS, 'v1');
}

/** The stored object in the version a request asked for. */
export function fromStored(t: ResourceType, obj: KubeObject): KubeObject {
  if (!isEventsV1(t)) return obj;
  return rename(obj, EVENT_FIELDS.map(([a, b]) => [b, a] as [string, string]), 'events.k8s.io/v1');
}
