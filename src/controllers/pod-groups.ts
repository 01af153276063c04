// One controller's pods grouped by their labels, with the counts a ReplicaSet's status is made of
// (pods, active pods, active pods that are Ready). A cache's indexes keep them as pods come and go
// (indexes.ts), so a sync that changes nothing reads a group or two where upstream's walks every
// pod of the set: with thousands of pods a set, the walk was most of a large simulation's time.
// Grouping by labels, not by a selector, keeps the index free of any owner's spec: the ReplicaSet
// matches its selector and template against each group's labels (replicaset.ts).
import type { KubeObject } from '../model/object.js';
import { isPodActive, isPodReady } from './pods.js';

export interface PodGroup {
  /** The labels every pod of the group carries. */
  readonly labels: Readonly<Record<string, string>>;
  readonly pods: number;
  /** Pods not finished and not being deleted (controller.IsPodActive). */
  readonly active: number;
  /** Active pods whose Ready condition is True. */
  readonly ready: number;
}

/** A controller's pod groups by their labels' key (a map, not a list: see observedObjects in sim/simulator.ts). */
export type PodGroups = ReadonlyMap<string, PodGroup>;

/** Where an index counted a pod, and what it counted (taken back as counted, whatever object a removal names). */
export interface Counted {
  group: GroupCounts;
  active: boolean;
  ready: boolean;
}

/** A group as an index keeps it: counts updated in place, and where it is filed. */
export class GroupCounts {
  pods = 0;
  active = 0;
  ready = 0;
  constructor(readonly owner: string, readonly key: string, readonly labels: Readonly<Record<string, string>>) {}

  /** Counts a pod in, into `into` when given (an update in place), else into a new record. */
  add(pod: KubeObject, into?: Counted): Counted {
    const active = isPodActive(pod);
    const ready = active && isPodReady(pod);
    this.pods++;
    if (active) this.active++;
    if (ready) this.ready++;
    if (!into) return { group: this, active, ready };
    into.group = this;
    into.active = active;
    into.ready = ready;
    return into;
  }

  /** Takes back what add counted. */
  remove(c: Counted): void {
    this.pods--;
    if (c.active) this.active--;
    if (c.ready) this.ready--;
  }

  /** A copy for a reader (the index goes on changing its own). */
  view(): PodGroup {
    return { labels: this.labels, pods: this.pods, active: this.active, ready: this.ready };
  }
}

/** The active pods of all groups (controller.FilterActivePods' count, without the walk). */
export function activePods(groups: PodGroups): number {
  let n = 0;
  for (const g of groups.values()) n += g.active;
  return n;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

/** The labels of a pod, and a key equal for equal labels in the same order (label keys hold no NUL). */
export function labelsKey(pod: KubeObject): { key: string; labels: Readonly<Record<string, string>> } {
  const labels = pod.metadata.labels ?? NO_LABELS;
  let key = '';
  for (const k in labels) key += `${k}\0${labels[k]}\0`;
  return { key, labels };
}

/** Whether two pods carry the same labels in the same order (then they share a group). */
export function sameLabels(a: KubeObject, b: KubeObject): boolean {
  const x = a.metadata.labels ?? NO_LABELS;
  const y = b.metadata.labels ?? NO_LABELS;
  if (x === y) return true;
  const kx = Object.keys(x);
  const ky = Object.keys(y);
  if (kx.length !== ky.length) return false;
  for (let i = 0; i < kx.length; i++) if (kx[i] !== ky[i] || x[kx[i]!] !== y[ky[i]!]) return false;
  return true;
}
