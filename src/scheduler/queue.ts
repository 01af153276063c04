// The scheduling queue (upstream's PriorityQueue): pods waiting for a decision, highest priority
// first and then oldest first; pods that failed wait out an exponential back-off (1 s doubling to
// 10 s by default); pods found unschedulable wait until the cluster changes in a way that may help
// (a node added or updated, a pod deleted), or at most five minutes. Time comes from the clock it
// is given.
import { Heap } from '../model/heap.js';
import type { PodInfo } from './podinfo.js';

export interface QueueOptions {
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** podMaxInUnschedulablePodsDuration: an unschedulable pod is retried after this long regardless. */
  maxUnschedulableMs?: number;
}

interface Entry {
  pod: PodInfo;
  /** When the pod first entered the queue (its place among equal priorities). */
  since: number;
  attempts: number;
  /** When the last attempt started. */
  lastAttempt: number;
}

export class SchedulingQueue {
  /** Every pod the queue knows, wherever it waits, by key. */
  private readonly entries = new Map<string, Entry>();
  private readonly where = new Map<string, 'active' | 'backoff' | 'unschedulable' | 'inflight'>();
  /** The keys waiting as unschedulable (so cluster events do not walk the whole queue). */
  private readonly unsched = new Set<string>();
  private readonly active = new Heap<Entry>((a, b) => a.pod.priority > b.pod.priority || (a.pod.priority === b.pod.priority && a.since < b.since));
  private readonly backoff = new Heap<Entry>((a, b) => this.backoffExpiry(a) < this.backoffExpiry(b));
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly maxUnschedulableMs: number;
  /** Called when a pod becomes ready to pop (so a waiting loop can wake up). */
  onReady: () => void = () => {};
  /** Called when a pod starts a back-off (so a timer can be set for its end). */
  onBackoff: () => void = () => {};

  constructor(private readonly now: () => number, opts: QueueOptions = {}) {
    this.initialMs = opts.initialBackoffMs ?? 1000;
    this.maxMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 300_000;
  }

  /** calculateBackoffDuration: initial, doubled per further attempt, capped. */
  backoffMs(attempts: number): number {
    let d = this.initialMs;
    for (let i = 1; i < attempts; i++) {
      if (d > this.maxMs - d) return this.maxMs;
      d += d;
    }
    return Math.min(d, this.maxMs);
  }

  private backoffExpiry(e: Entry): number {
    return e.lastAttempt + this.backoffMs(e.attempts);
  }

  /** A new or changed unscheduled pod. A pod waiting as unschedulable is given another try at once. */
  add(pod: PodInfo): void {
    const e = this.entries.get(pod.key);
    if (!e) {
      const entry: Entry = { pod, since: this.now(), attempts: 0, lastAttempt: 0 };
      this.entries.set(pod.key, entry);
      this.toActive(entry);
      return;
    }
    e.pod = pod;
    const w = this.where.get(pod.key);
    if (w === 'unschedulable') this.toActiveOrBackoff(e);
  }

  /** A newer version of a queued pod that does not change its chances (a status write): it stays where it waits. */
  update(pod: PodInfo): void {
    const e = this.entries.get(pod.key);
    if (e) e.pod = pod;
  }

  delete(key: string): void {
    this.entries.delete(key);
    this.where.delete(key);
    this.unsched.delete(key);
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  private toActive(e: Entry): void {
    this.unsched.delete(e.pod.key);
    this.where.set(e.pod.key, 'active');
    this.active.push(e);
    this.onReady();
  }

  private toActiveOrBackoff(e: Entry): void {
    if (e.attempts > 0 && this.backoffExpiry(e) > this.now()) {
      this.unsched.delete(e.pod.key);
      this.where.set(e.pod.key, 'backoff');
      this.backoff.push(e);
      this.onBackoff();
    } else this.toActive(e);
  }

  /** The next pod to schedule, or undefined. Entries left behind by deletes and moves are skipped. */
  pop(): PodInfo | undefined {
    this.flushBackoff();
    for (;;) {
      const e = this.active.pop();
      if (!e) return undefined;
      if (this.entries.get(e.pod.key) !== e || this.where.get(e.pod.key) !== 'active') continue;
      e.attempts++;
      e.lastAttempt = this.now();
      this.where.set(e.pod.key, 'inflight');
      return e.pod;
    }
  }

  /** The attempt found no node: wait for a cluster change (or the five-minute flush). */
  unschedulable(key: string): void {
    const e = this.entries.get(key);
    if (!e || this.where.get(key) !== 'inflight') return;
    this.where.set(key, 'unschedulable');
    this.unsched.add(key);
  }

  /** The attempt failed for another reason (a write error): retry after the back-off. */
  retry(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.where.set(key, 'backoff');
    this.backoff.push(e);
    this.onBackoff();
  }

  /** The pod was bound: it leaves the queue. */
  done(key: string): void {
    this.delete(key);
  }

  /** Something changed that may let unschedulable pods fit: they go back to be tried (after their back-off). */
  moveAllUnschedulable(): void {
    for (const key of [...this.unsched]) this.toActiveOrBackoff(this.entries.get(key)!);
  }

  /** Backed-off pods whose time has come go active; pods unschedulable for too long are retried. */
  flushBackoff(): void {
    const now = this.now();
    for (let e = this.backoff.peek(); e && this.backoffExpiry(e) <= now; e = this.backoff.peek()) {
      this.backoff.pop();
      if (this.entries.get(e.pod.key) === e && this.where.get(e.pod.key) === 'backoff') this.toActive(e);
    }
  }

  flushUnschedulable(): void {
    const now = this.now();
    for (const key of [...this.unsched]) {
      const e = this.entries.get(key)!;
      if (now - e.lastAttempt >= this.maxUnschedulableMs) this.toActiveOrBackoff(e);
    }
  }

  /** When the earliest backed-off pod becomes ready, if any. */
  nextBackoffAt(): number | undefined {
    for (let e = this.backoff.peek(); e; e = this.backoff.peek()) {
      if (this.entries.get(e.pod.key) === e && this.where.get(e.pod.key) === 'backoff') return this.backoffExpiry(e);
      this.backoff.pop();
    }
    return undefined;
  }

  counts(): { active: number; backoff: number; unschedulable: number; inflight: number } {
    const c = { active: 0, backoff: 0, unschedulable: 0, inflight: 0 };
    for (const w of this.where.values()) c[w]++;
    return c;
  }
}
