// Resource arithmetic of the scheduler, in upstream's units: cpu in millicores, everything else in
// whole units (bytes, counts). A pod's request is what component-helpers' PodRequests computes:
// app containers and restartable (sidecar) init containers add up, each ordinary init container
// needs its own request plus the sidecars started before it, the pod needs the larger of the two,
// and spec.overhead comes on top.
import type { Container, PodSpec } from 'kubernetes-types/core/v1.js';
import { milliValue, quantityFromJSON, quantityValue } from '../model/quantity.js';

export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended resources, hugepages, attachable volumes: every other named resource. */
  scalar?: Record<string, number>;
}

export const emptyResources = (): Resources => ({ milliCPU: 0, memory: 0, ephemeralStorage: 0 });

/** schedutil.DefaultMilliCPURequest and DefaultMemoryRequest: what a container without a request counts as when scoring. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

const parsed = new Map<string, number>();

/** A quantity in the resource's unit (millicores for cpu); an unparsable value counts as 0 (validation rejects those). */
export function resourceValue(name: string, v: unknown): number {
  const key = `${name === 'cpu' ? 'm' : 'u'}${typeof v === 'number' ? `#${v}` : String(v)}`;
  const hit = parsed.get(key);
  if (hit !== undefined) return hit;
  let n = 0;
  try {
    const q = quantityFromJSON(v);
    n = Number(name === 'cpu' ? milliValue(q) : quantityValue(q));
  } catch {
    n = 0;
  }
  if (parsed.size > 10_000) parsed.clear();
  parsed.set(key, n);
  return n;
}

/** A ResourceList (requests, allocatable, overhead) as numbers. */
export function toResources(list: Record<string, unknown> | undefined): Resources {
  const r = emptyResources();
  if (list) for (const [name, v] of Object.entries(list)) setResource(r, name, resourceValue(name, v));
  return r;
}

export function getResource(r: Resources, name: string): number {
  switch (name) {
    case 'cpu':
      return r.milliCPU;
    case 'memory':
      return r.memory;
    case 'ephemeral-storage':
      return r.ephemeralStorage;
    default:
      return r.scalar?.[name] ?? 0;
  }
}

export function setResource(r: Resources, name: string, v: number): void {
  switch (name) {
    case 'cpu':
      r.milliCPU = v;
      break;
    case 'memory':
      r.memory = v;
      break;
    case 'ephemeral-storage':
      r.ephemeralStorage = v;
      break;
    case 'pods':
      break; // a node's pod count is tracked apart; a pod cannot request pods
    default:
      (r.scalar ??= {})[name] = v;
  }
}

/** r += d (or -= d with sign -1). */
export function addResources(r: Resources, d: Resources, sign = 1): void {
  r.milliCPU += sign * d.milliCPU;
  r.memory += sign * d.memory;
  r.ephemeralStorage += sign * d.ephemeralStorage;
  if (d.scalar) {
    const s = (r.scalar ??= {});
    for (const [k, v] of Object.entries(d.scalar)) s[k] = (s[k] ?? 0) + sign * v;
  }
}

function maxInto(r: Resources, d: Resources): void {
  r.milliCPU = Math.max(r.milliCPU, d.milliCPU);
  r.memory = Math.max(r.memory, d.memory);
  r.ephemeralStorage = Math.max(r.ephemeralStorage, d.ephemeralStorage);
  if (d.scalar) {
    const s = (r.scalar ??= {});
    for (const [k, v] of Object.entries(d.scalar)) s[k] = Math.max(s[k] ?? 0, v);
  }
}

const clone = (r: Resources): Resources => ({ ...r, ...(r.scalar ? { scalar: { ...r.scalar } } : {}) });

function containerRequests(c: Container, nonMissing: boolean): Resources {
  const req = (c.resources?.requests ?? {}) as Record<string, unknown>;
  const r = toResources(req);
  if (nonMissing) {
    if (!('cpu' in req)) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (!('memory' in req)) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * PodRequests. With nonMissing, a container that requests no cpu or memory counts as 100m and
 * 200Mi (NonMissingContainerRequests), which is what the least-allocated score uses.
 */
export function podRequests(spec: PodSpec | undefined, nonMissing = false): Resources {
  const reqs = emptyResources();
  for (const c of spec?.containers ?? []) addResources(reqs, containerRequests(c, nonMissing));
  const sidecars = emptyResources();
  const init = emptyResources();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, nonMissing);
    if (c.restartPolicy === 'Always') {
      addResources(reqs, r);
      addResources(sidecars, r);
      maxInto(init, sidecars);
    } else {
      const use = clone(r);
      addResources(use, sidecars);
      maxInto(init, use);
    }
  }
  maxInto(reqs, init);
  if (spec?.overhead) addResources(reqs, toResources(spec.overhead as Record<string, unknown>));
  return reqs;
}

/** True when the pod requests nothing at all (the fit filter then checks only the pod count). */
export function isZero(r: Resources): boolean {
  return r.milliCPU === 0 && r.memory === 0 && r.ephemeralStorage === 0 && (!r.scalar || Object.values(r.scalar).every((v) => v === 0));
}
