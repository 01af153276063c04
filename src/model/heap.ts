// Binary heaps: the scheduler's queues (Heap), and the simulator's timers and busy actors (TimeQueue).

/** A binary heap ordered by a less-than function. */
export class Heap<T> {
  private readonly items: T[] = [];
  constructor(private readonly less: (a: T, b: T) => boolean) {}
  get size() {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(v: T): void {
    const a = this.items;
    a.push(v);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i]!, a[p]!)) break;
      swap(a, i, p);
      i = p;
    }
  }
  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l]!, a[m]!)) m = l;
        if (r < a.length && this.less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        swap(a, i, m);
        i = m;
      }
    }
    return top;
  }
}

/** Swaps two items in place (a destructuring swap makes an array each time unless optimized away). */
function swap<T>(a: T[], i: number, j: number): void {
  const x = a[i]!;
  a[i] = a[j]!;
  a[j] = x;
}

/**
 * A queue of values by time, first in first out among equal times: a binary heap on (at, the
 * order of pushes) whose keys live in typed arrays beside the values. The simulator's timers and
 * busy actors number in the hundreds of thousands at full size, and a heap of objects read two
 * objects' fields per comparison, each a likely cache miss.
 */
export class TimeQueue<T> {
  private at = new Float64Array(64);
  private seq = new Float64Array(64);
  private values: (T | undefined)[] = [];
  private n = 0;
  private pushes = 0;

  get size(): number {
    return this.n;
  }

  /** The earliest time queued, or Infinity when empty. */
  peekAt(): number {
    return this.n ? this.at[0]! : Infinity;
  }

  push(at: number, v: T): void {
    if (this.n === this.at.length) this.grow();
    const s = this.pushes++;
    // Sift up with a hole: parents move down until the new key's place is found.
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pa = this.at[p]!;
      if (pa < at || (pa === at && this.seq[p]! < s)) break;
      this.move(p, i);
      i = p;
    }
    this.put(i, at, s, v);
  }

  /** Takes the earliest value (undefined when empty). */
  pop(): T | undefined {
    if (this.n === 0) return undefined;
    const top = this.values[0];
    const last = --this.n;
    const at = this.at[last]!;
    const s = this.seq[last]!;
    const v = this.values[last];
    this.values[last] = undefined;
    if (last > 0) {
      // Sift the last key down from the root with a hole.
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        const r = c + 1;
        if (r < last && (this.at[r]! < this.at[c]! || (this.at[r] === this.at[c] && this.seq[r]! < this.seq[c]!))) c = r;
        const ca = this.at[c]!;
        if (at < ca || (at === ca && s < this.seq[c]!)) break;
        this.move(c, i);
        i = c;
      }
      this.put(i, at, s, v);
    }
    return top;
  }

  private move(from: number, to: number): void {
    this.at[to] = this.at[from]!;
    this.seq[to] = this.seq[from]!;
    this.values[to] = this.values[from];
  }

  private put(i: number, at: number, s: number, v: T | undefined): void {
    this.at[i] = at;
    this.seq[i] = s;
    this.values[i] = v;
  }

  private grow(): void {
    const at = new Float64Array(this.at.length * 2);
    at.set(this.at);
    this.at = at;
    const seq = new Float64Array(this.seq.length * 2);
    seq.set(this.seq);
    this.seq = seq;
  }
}
