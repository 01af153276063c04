// Selector indexes grouped so that a pod visits only the ones it may match: by namespace, then by
// one label value the selector requires. Without it every pod event was matched against every
// index (one per ReplicaSet the spreading asks about: 120 at the simulator's full size).
import type { Labels, Selector } from '../model/labels.js';

interface Keyed {
  readonly ns: string;
  readonly selector: Selector;
}

interface Bucket<T> {
  /** label key -> value -> the indexes whose selector requires key=value */
  byLabel: Map<string, Map<string, T[]>>;
  /** indexes whose selector requires no single label value */
  rest: T[];
  size: number;
}

export class IndexBuckets<T extends Keyed> {
  private readonly byNs = new Map<string, Bucket<T>>();
  private readonly placed = new Map<T, T[]>();

  add(idx: T): void {
    let b = this.byNs.get(idx.ns);
    if (!b) this.byNs.set(idx.ns, (b = { byLabel: new Map(), rest: [], size: 0 }));
    const req = requiredLabel(idx.selector, b.byLabel);
    let list = b.rest;
    if (req) {
      let values = b.byLabel.get(req[0]);
      if (!values) b.byLabel.set(req[0], (values = new Map()));
      list = values.get(req[1]) ?? [];
      values.set(req[1], list);
    }
    list.push(idx);
    b.size++;
    this.placed.set(idx, list);
  }

  delete(idx: T): void {
    const list = this.placed.get(idx);
    if (!list) return;
    this.placed.delete(idx);
    list.splice(list.indexOf(idx), 1);
    const b = this.byNs.get(idx.ns)!;
    // Empty lists stay (few, and reused when the selector comes back); an empty namespace goes.
    if (--b.size === 0) this.byNs.delete(idx.ns);
  }

  /** Calls f with every index that a pod of ns with these labels may match (f still checks the selector). */
  forEach(ns: string, labels: Labels, f: (idx: T) => void): void {
    const b = this.byNs.get(ns);
    if (!b) return;
    for (const idx of b.rest) f(idx);
    for (const [key, values] of b.byLabel) {
      if (!Object.prototype.hasOwnProperty.call(labels, key)) continue;
      const list = values.get(labels[key]!);
      if (list) for (const idx of list) f(idx);
    }
  }
}

/**
 * A (key, value) every matching label set carries: from `key=value` or `key in (value)`. A key
 * already bucketing the namespace is preferred, so a pod looks up few keys.
 */
function requiredLabel(s: Selector, used: ReadonlyMap<string, unknown>): [string, string] | undefined {
  if (s.nothing) return undefined;
  let first: [string, string] | undefined;
  for (const r of s.requirements) {
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) {
      if (used.has(r.key)) return [r.key, r.values[0]!];
      first ??= [r.key, r.values[0]!];
    }
  }
  return first;
}
