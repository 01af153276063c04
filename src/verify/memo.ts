// Memoization by recorded reads, for the cluster model (cluster-model.ts). A pure computation over
// a state (a REST write, a controller's observe+reconcile) is run once with every read it makes
// recorded: which query, and what came back. The recording goes into a trie whose edges are the
// answers; a later state walks the trie, answering each recorded query against itself, and reaches
// the stored result without running anything as long as every answer matches. A deterministic
// computation asks the same next question after the same answers, so a walk that reaches a leaf
// stands for a run that would have made exactly those reads and got exactly those answers.
//
// Revisions are answered by order type, not by value: a walk codes each revision it meets by its
// place among the revisions met before (equal to the i-th, or between two), so two walks with the
// same codes met revisions in the same order relations. That is the model's own assumption about
// revisions (its canonical form renumbers them by rank): the API and the controllers compare them
// for equality and order and copy them, and never do arithmetic with them beyond a new write's
// head + 1. A result that carries revisions (an action's resourceVersion, a written row's
// revision) keeps them as positions in the walk's sorted revisions and gets the walk's own values
// back. The model's exhaustive self-check (`verifyMemo`) compares every step with a run of the
// real code.
import type { KubeObject } from '../model/object.js';

/** Order-type coding of the revisions one computation meets, in the order it meets them. */
export class RevCoder {
  /**
   * The distinct revisions met so far, ascending: vals[0] .. vals[n - 1]. The array is reused walk
   * after walk, what lies past n left over (emptying it by its length would free its store, and the
   * next walk allocate one again).
   */
  readonly vals: number[] = [];
  n = 0;

  /** Odd 2i+1: equal to vals[i]; even 2i: new, just below vals[i] (or above all when i = n). */
  code(v: number): number {
    const vals = this.vals;
    const n = this.n;
    const lo = lowerBound(vals, v, n);
    if (lo < n && vals[lo] === v) return 2 * lo + 1;
    // Inserted by hand: splice would make an array of what it removed (nothing) on every call.
    for (let i = n; i > lo; i--) vals[i] = vals[i - 1]!;
    vals[lo] = v;
    this.n = n + 1;
    return 2 * lo;
  }

  /** Forgets every revision met (a coder is reused walk after walk). */
  reset(): this {
    this.n = 0;
    return this;
  }

  /** Where v sits among the revisions met (-1: never met). */
  indexOf(v: number): number {
    for (let i = 0; i < this.n; i++) if (this.vals[i] === v) return i;
    return -1;
  }

  /** The revisions met, ascending (a copy). */
  met(): number[] {
    return this.vals.slice(0, this.n);
  }
}

/** The first place in the ascending vals[0 .. n - 1] whose value is not below v (n when none is). */
export function lowerBound(vals: readonly number[], v: number, n = vals.length): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (vals[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type Answer = number | string;

/** A read, as the trie keeps it: `id` tells two queries apart (the same id is the same question). */
export interface Query {
  id: string;
}

export interface TrieNode<Q extends Query, E, L> {
  /** The read the computation makes next; absent at a leaf or a node never completed. */
  q?: Q;
  kids?: Map<Answer, TrieNode<Q, E, L>>;
  /** What the read that led here did to the state (a write); absent for plain reads. */
  effect?: E;
  leaf?: { value: L };
  /**
   * Where a walk lands from here, by the state's content id, after the reads whose answers depend
   * on content alone (decide-memo.ts): the next read that depends on more, or a leaf; and what
   * those reads add to the walk (the keys they met first, in order).
   */
  jump?: Map<number, { to: TrieNode<Q, E, L>; adds: readonly number[] }>;
}

export interface Read<Q extends Query, E> {
  q: Q;
  a: Answer;
  effect?: E;
}

/** Stores one recorded run; a query that differs from one recorded before after the same answers is nondeterminism, and fatal. */
export function insert<Q extends Query, E, L>(root: TrieNode<Q, E, L>, reads: Read<Q, E>[], value: L, sameEffect: (a: E | undefined, b: E | undefined) => boolean): void {
  let node = root;
  for (const r of reads) {
    if (node.leaf) throw new Error(`memo: a run read ${r.q.id} where another ended`);
    if (!node.q) {
      node.q = r.q;
      node.kids = new Map();
    } else if (node.q.id !== r.q.id) {
      throw new Error(`memo: a run read ${r.q.id} where another read ${node.q.id} after the same answers`);
    }
    let next = node.kids!.get(r.a);
    if (!next) {
      next = r.effect === undefined ? {} : { effect: r.effect };
      node.kids!.set(r.a, next);
    } else if (!sameEffect(next.effect, r.effect)) {
      throw new Error(`memo: the same answer to ${r.q.id} had different effects`);
    }
    node = next;
  }
  if (node.q) throw new Error('memo: a run ended where another read on');
  if (!node.leaf) node.leaf = { value };
}

/** Interns values to small integers (ids from 0). */
export class Interner<K> {
  private readonly ids = new Map<K, number>();
  readonly values: K[] = [];
  id(k: K): number {
    let i = this.ids.get(k);
    if (i === undefined) {
      i = this.values.length;
      this.ids.set(k, i);
      this.values.push(k);
    }
    return i;
  }
  get size(): number {
    return this.values.length;
  }
}

/**
 * A value's object (stored without resourceVersion) behind a tripwire: looking at resourceVersion
 * trips it. A computation that ran without tripping it read only content, so its result holds for
 * that content at every revision; one that tripped it must be run again over the real objects.
 * The metadata is a frozen copy with resourceVersion a getter where the real objects have it (last):
 * listing its keys, `in` and own-property tests see what they would see in the real objects; a
 * spread, a clone or JSON reads the value, and trips. (Its property descriptor is a getter's, not a
 * value's: nothing that reads objects asks for it.) Metadata that holds a resourceVersion of its
 * own is behind a proxy instead, where any of those trips.
 */
export function tripwire(o: KubeObject, trip: () => void): KubeObject {
  if (Object.prototype.hasOwnProperty.call(o.metadata, 'resourceVersion')) return tripwireProxy(o, trip);
  // A getter written in a literal: the copy keeps fast properties (defineProperty would not).
  const meta = {
    ...o.metadata,
    get resourceVersion(): undefined {
      trip();
      return undefined;
    },
  };
  return Object.freeze({ ...o, metadata: Object.freeze(meta) });
}

function tripwireProxy(o: KubeObject, trip: () => void): KubeObject {
  const meta = new Proxy(o.metadata, {
    get(t, p, r) {
      if (p === 'resourceVersion') trip();
      return Reflect.get(t, p, r);
    },
    has(t, p) {
      if (p === 'resourceVersion') trip();
      return Reflect.has(t, p);
    },
    getOwnPropertyDescriptor(t, p) {
      if (p === 'resourceVersion') trip();
      return Reflect.getOwnPropertyDescriptor(t, p);
    },
    ownKeys(t) {
      trip();
      return Reflect.ownKeys(t);
    },
  });
  return Object.freeze({ ...o, metadata: meta });
}

/** Appends n to a char-code array: one code unit below 0x8000, two above (so the encoding stays injective). */
export function pushInt(out: number[], n: number): void {
  if (n < 0x8000) out.push(n);
  else {
    if (n >= 0x40000000) throw new Error(`memo: ${n} too large to encode`);
    out.push(0x8000 | (n >>> 15), n & 0x7fff);
  }
}

export function codesToString(codes: number[]): string {
  if (codes.length <= 4096) return String.fromCharCode.apply(null, codes);
  let s = '';
  for (let i = 0; i < codes.length; i += 4096) s += String.fromCharCode.apply(null, codes.slice(i, i + 4096));
  return s;
}
