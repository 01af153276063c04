// Sequences of integers interned to small ids (0, 1, …), for the cluster model's keys: a state's
// canonical form, a rows array's content. An open-addressing table over one pool of int32s: a
// lookup hashes and compares the integers where they are, and builds no string (the string keys
// these replaced were most of what the checker allocated per step).

export class TupleTable {
  /** The tuples one after another; tuple i is pool[start[i]] .. pool[start[i] + len[i]]. */
  private pool = new Int32Array(1 << 12);
  private used = 0;
  private start = new Int32Array(1 << 8);
  private len = new Int32Array(1 << 8);
  private hashes = new Int32Array(1 << 8);
  /** Open addressing: tuple id + 1 by slot (0: empty). */
  private slots = new Int32Array(1 << 9);
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
    const mask = this.slots.length - 1;
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const at = this.slots[s]!;
      if (at === 0) break;
      const id = at - 1;
      if (this.hashes[id] !== h || this.len[id] !== n) continue;
      const o = this.start[id]!;
      let i = 0;
      while (i < n && this.pool[o + i] === t[i]) i++;
      if (i === n) return id;
    }
    return this.add(t, n, h);
  }

  private add(t: ArrayLike<number>, n: number, h: number): number {
    // Checked before anything changes: a refused tuple leaves the table as it was.
    for (let i = 0; i < n; i++) if (t[i] !== (t[i]! | 0)) throw new Error(`tuples: ${t[i]} is not an int32`);
    const id = this.size++;
    if (id === this.start.length) {
      this.start = grow(this.start, id * 2);
      this.len = grow(this.len, id * 2);
      this.hashes = grow(this.hashes, id * 2);
    }
    if (this.used + n > this.pool.length) this.pool = grow(this.pool, Math.max(this.pool.length * 2, this.used + n));
    for (let i = 0; i < n; i++) this.pool[this.used + i] = t[i]!;
    this.start[id] = this.used;
    this.len[id] = n;
    this.hashes[id] = h;
    this.used += n;
    // Kept at most half full.
    if (this.size * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id);
    return id;
  }

  private place(id: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[id]! & mask;
    while (this.slots[s] !== 0) s = (s + 1) & mask;
    this.slots[s] = id + 1;
  }

  private rehash(size: number): void {
    this.slots = new Int32Array(size);
    for (let id = 0; id < this.size; id++) this.place(id);
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
