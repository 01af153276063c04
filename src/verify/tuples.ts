// Sequences of integers interned to small ids (0, 1, …), for the cluster model's keys: a state's
// canonical form, a rows array's content. An open-addressing table over one pool of int32s: a
// lookup hashes and compares the integers where they are, and builds no string (the string keys
// these replaced were most of what the checker allocated per step).

export class TupleTable {
  /**
   * The tuples one after another, each as its id, its length, then its integers: a lookup that
   * finds its slot reads the tuple from one place (separate columns of ids, lengths and starts
   * were a cache miss each, most of a lookup's time once the table outgrows the caches).
   */
  private pool = new Int32Array(1 << 12);
  private used = 0;
  /** Open addressing, two int32s a slot: the tuple's place in the pool + 1 (0: empty), and its hash. */
  private slots = new Int32Array(2 << 9);
  size = 0;

  /** The id of the first n integers of t (each an int32), given one if new. */
  id(t: ArrayLike<number>, n: number): number {
    // Kept below 2^30 throughout: a small integer never boxed, even in code not yet optimized
    // (where a larger one is a heap number per operation).
    let h = n;
    for (let i = 0; i < n; i++) {
      h = (h & 0x3fffff) * 211 + (t[i]! & 0xfffff);
      h ^= h >>> 17;
    }
    h ^= h >>> 13;
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    const pool = this.pool;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const at = slots[2 * s]!;
      if (at === 0) break;
      if (slots[2 * s + 1] !== h) continue;
      const o = at - 1;
      if (pool[o + 1] !== n) continue;
      let i = 0;
      while (i < n && pool[o + 2 + i] === t[i]) i++;
      if (i === n) return pool[o]!;
    }
    return this.add(t, n, h);
  }

  private add(t: ArrayLike<number>, n: number, h: number): number {
    // Checked before anything changes: a refused tuple leaves the table as it was.
    for (let i = 0; i < n; i++) if (t[i] !== (t[i]! | 0)) throw new Error(`tuples: ${t[i]} is not an int32`);
    const id = this.size++;
    if (this.used + n + 2 > this.pool.length) this.pool = grow(this.pool, Math.max(this.pool.length * 2, this.used + n + 2));
    const o = this.used;
    this.pool[o] = id;
    this.pool[o + 1] = n;
    for (let i = 0; i < n; i++) this.pool[o + 2 + i] = t[i]!;
    this.used += n + 2;
    // Kept at most half full.
    if (this.size * 4 > this.slots.length) this.rehash(this.slots.length * 2);
    this.place(o, h);
    return id;
  }

  private place(o: number, h: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    while (slots[2 * s] !== 0) s = (s + 1) & mask;
    slots[2 * s] = o + 1;
    slots[2 * s + 1] = h;
  }

  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size);
    for (let s = 0; s < old.length; s += 2) if (old[s] !== 0) this.place(old[s]! - 1, old[s + 1]!);
  }
}

function grow(a: Int32Array<ArrayBuffer>, size: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(size);
  b.set(a);
  return b;
}

/** A reusable buffer of integers to build a tuple in (no allocation once it has grown to size). */
export class TupleBuffer {
  t: number[] = [];
  n = 0;
  reset(): this {
    this.n = 0;
    return this;
  }
  push(v: number): void {
    this.t[this.n++] = v;
  }
}

/** Int32s by small integer id (an interned tuple's), grown on demand; a place never set reads `none`. */
export class IntColumn {
  private a: Int32Array<ArrayBuffer>;
  constructor(private readonly none: number) {
    this.a = new Int32Array(1 << 10).fill(none);
  }
  get(i: number): number {
    return i < this.a.length ? this.a[i]! : this.none;
  }
  set(i: number, v: number): void {
    if (i >= this.a.length) {
      let n = this.a.length * 2;
      while (n <= i) n *= 2;
      const b = new Int32Array(n).fill(this.none);
      b.set(this.a);
      this.a = b;
    }
    this.a[i] = v;
  }
}

/**
 * Pairs of int32s to values 0, 1, …: open addressing over one Int32Array of (a, b, value + 1)
 * triples. A Map keyed by a * 2^k + b would key by a number beyond the small integers: a heap
 * number made per lookup, and hashed as a double.
 */
export class PairMap {
  private t = new Int32Array(3 << 10);
  /** Slots - 1 (their number a power of 2). */
  private mask = (1 << 10) - 1;
  size = 0;

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    const t = this.t;
    const mask = this.mask;
    for (let s = pairHash(a, b) & mask; ; s = (s + 1) & mask) {
      const v = t[3 * s + 2]!;
      if (v === 0) return -1;
      if (t[3 * s] === a && t[3 * s + 1] === b) return v - 1;
    }
  }

  /** Sets (a, b)'s value (v >= 0). */
  set(a: number, b: number, v: number): void {
    if ((this.size + 1) * 2 > this.mask + 1) this.grow();
    const t = this.t;
    const mask = this.mask;
    let s = pairHash(a, b) & mask;
    for (; t[3 * s + 2] !== 0; s = (s + 1) & mask) {
      if (t[3 * s] === a && t[3 * s + 1] === b) {
        t[3 * s + 2] = v + 1;
        return;
      }
    }
    t[3 * s] = a;
    t[3 * s + 1] = b;
    t[3 * s + 2] = v + 1;
    this.size++;
  }

  private grow(): void {
    const old = this.t;
    this.t = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    this.size = 0;
    for (let i = 0; i < old.length; i += 3) if (old[i + 2] !== 0) this.set(old[i]!, old[i + 1]!, old[i + 2]! - 1);
  }
}

function pairHash(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}

/**
 * Pairs (a, b) of int32s to values 0, 1, …, where a is a small dense id (an interned tuple's):
 * each a's pairs lie together in one pool, a run of (b, value + 1) found by a's place in a
 * column. Lookups for one a in a row (a state's steps that keep its rows) stay in a cache line or
 * two, where a PairMap puts every pair at a random slot of one large table. Meant for few pairs
 * per a (a run is scanned): a run doubles in place at the pool's end when full.
 */
export class GroupedMap {
  /** By a: the start of its run in the pool + 1 (0: none), and the run's length. */
  private heads = new Int32Array(2 << 10);
  private pool = new Int32Array(1 << 12);
  private used = 0;
  size = 0;

  /** The value of (a, b), or -1. */
  get(a: number, b: number): number {
    if (2 * a + 1 >= this.heads.length) return -1;
    const at = this.heads[2 * a]!;
    if (at === 0) return -1;
    const pool = this.pool;
    for (let i = at - 1, end = i + 2 * this.heads[2 * a + 1]!; i < end; i += 2) if (pool[i] === b) return pool[i + 1]! - 1;
    return -1;
  }

  /** Sets (a, b)'s value (a >= 0, v >= 0). */
  set(a: number, b: number, v: number): void {
    if (a < 0 || a !== (a | 0) || b !== (b | 0)) throw new Error(`grouped map: (${a}, ${b}) is not a group id and an int32`);
    if (v < 0 || v >= 0x7fffffff || v !== (v | 0)) throw new Error(`grouped map: ${v} is not a value below 2^31 - 1`);
    if (2 * a + 1 >= this.heads.length) {
      let n = this.heads.length * 2;
      while (n <= 2 * a + 1) n *= 2;
      this.heads = grow(this.heads, n);
    }
    const heads = this.heads;
    let at = heads[2 * a]!;
    const n = heads[2 * a + 1]!;
    if (at !== 0) {
      for (let i = at - 1, end = i + 2 * n; i < end; i += 2) {
        if (this.pool[i] === b) {
          this.pool[i + 1] = v + 1;
          return;
        }
      }
    }
    // A run's room is its length rounded up to a power of 2 (at least 2 pairs): full, it moves.
    if (at === 0 || (n >= 2 && (n & (n - 1)) === 0)) {
      const room = at === 0 ? 2 : 2 * n;
      if (this.used + 2 * room > this.pool.length) this.pool = grow(this.pool, Math.max(this.pool.length * 2, this.used + 2 * room));
      if (at !== 0) this.pool.copyWithin(this.used, at - 1, at - 1 + 2 * n);
      at = this.used + 1;
      this.used += 2 * room;
      heads[2 * a] = at;
    }
    this.pool[at - 1 + 2 * n] = b;
    this.pool[at - 1 + 2 * n + 1] = v + 1;
    heads[2 * a + 1] = n + 1;
    this.size++;
  }
}

/**
 * A growable list of int32s in a typed array: records kept for the whole check (one per walk,
 * say) as runs in it hold nothing the scavenger copies, where an object and an array each did.
 */
export class IntList {
  private a = new Int32Array(1 << 10);
  length = 0;

  push(v: number): void {
    if (v !== (v | 0)) throw new Error(`int list: ${v} is not an int32`);
    if (this.length === this.a.length) this.a = grow(this.a, this.a.length * 2);
    this.a[this.length++] = v;
  }

  get(i: number): number {
    if (i < 0 || i >= this.length) throw new RangeError(`int list: ${i} is outside 0 .. ${this.length - 1}`);
    return this.a[i]!;
  }
}
