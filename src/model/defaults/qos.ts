// A pod's QoS class as the API server computes it on create (pkg/apis/core/helper/qos).
import { addQuantity, compareQuantity, type Quantity } from '../quantity.js';
import { toQuantity } from './pod.js';
import { child, items, type Obj } from './walk.js';

export type QOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const qosResources = new Set(['cpu', 'memory']);

/** Adds the positive cpu/memory quantities of `list` into `into`; returns the names added. */
function accumulate(into: Map<string, Quantity>, list: Obj | undefined): Set<string> {
  const found = new Set<string>();
  for (const [name, v] of Object.entries(list ?? {})) {
    if (!qosResources.has(name)) continue;
    const q = toQuantity(v);
    if (!q || q.mantissa <= 0n) continue;
    found.add(name);
    const prev = into.get(name);
    into.set(name, prev ? addQuantity(prev, q) : q);
  }
  return found;
}

const hasCpuAndMemory = (s: Set<string>) => s.has('cpu') && s.has('memory');

export function podQOSClass(spec: Obj | undefined): QOSClass {
  const requests = new Map<string, Quantity>();
  const limits = new Map<string, Quantity>();
  let guaranteed = true;
  const podLevel = child(spec, 'resources');
  if (podLevel) {
    accumulate(requests, child(podLevel, 'requests'));
    const podLimits = child(podLevel, 'limits');
    if (podLimits && Object.keys(podLimits).length) {
      if (!hasCpuAndMemory(accumulate(limits, podLimits))) guaranteed = false;
    } else {
      guaranteed = false;
    }
  } else {
    // Ephemeral containers cannot set resources and do not count.
    for (const c of [...items(spec, 'containers'), ...items(spec, 'initContainers')]) {
      const resources = child(c, 'resources');
      accumulate(requests, child(resources, 'requests'));
      if (!hasCpuAndMemory(accumulate(limits, child(resources, 'limits')))) guaranteed = false;
    }
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, req] of requests) {
      const lim = limits.get(name);
      if (!lim || compareQuantity(lim, req) !== 0) {
        guaranteed = false;
        break;
      }
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
