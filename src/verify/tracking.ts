// Field-level read tracking over frozen JSON objects, for memoizing a computation by the parts of
// its inputs it actually reads (memo.ts, decide-memo.ts). Each input object is handed out behind
// a proxy; every read of an own field (or of its absence) and every `in` test is reported with the
// path it was made at. A listing of an object's keys (a clone, a spread, JSON) is reported as a
// read of the whole subtree, below which only the fields `always` names are still reported (the
// cluster model's resourceVersion, which its whole-subtree answers leave out). The proxies stand
// for the real objects: same values, same key order, and writes refused as the frozen originals
// refuse them.

/** Where a read was made: the root it is under and the path to the object read. */
export interface At<R> {
  readonly root: R;
  readonly path: readonly string[];
  /** The path as one string (segments joined by NUL), for keying. */
  readonly key: string;
  /** For the sink: what it worked out about reads here, kept for the run. */
  readonly memo: Map<string, unknown>;
}

/** Told of the reads of one run. */
export interface TrackSink<R> {
  /** A read of field p of the object at `at`: its own value, or its absence (own false). */
  field(at: At<R>, p: string, value: unknown, own: boolean): void;
  /** An `in` test. */
  has(at: At<R>, p: string, result: boolean): void;
  /** A listing of the object's own keys: the whole subtree is read. */
  whole(at: At<R>): void;
  /** Fields reported even below a subtree read whole. */
  always(at: At<R>, p: string): boolean;
  /** Children that stay tracked below a subtree read whole (those an `always` field is under). */
  keep(at: At<R>, p: string): boolean;
}

interface Tracked<R> extends At<R> {
  real: object;
  kids: Map<string, object>;
  parent: Tracked<R> | undefined;
  whole: boolean;
  /** Read whole at the first read. */
  wholeFirst?: boolean;
}

const hasOwn = (o: object, p: string) => Object.prototype.hasOwnProperty.call(o, p);
const isIndex = (p: string) => /^(0|[1-9]\d*)$/.test(p);

export class Tracker<R> {
  /** Reads are reported only while live (a run's outputs may keep proxies after it ends). */
  live = true;
  /** Above zero: reads are not reported (the tracked objects' own plumbing, e.g. a view indexing them). */
  quiet = 0;
  private readonly nodes = new WeakMap<object, Tracked<R>>();

  constructor(private readonly sink: TrackSink<R>, private readonly copies?: WholeCopies<R>) {}

  /** The value behind a proxy for root r. */
  /**
   * The value behind a proxy for root r. `whole`: its first read of any kind reads it whole (for
   * objects that are as good as always cloned: tracking them field by field only costs).
   */
  track(root: R, value: object, whole = false): object {
    return this.wrap({ root, path: [], key: '', memo: new Map(), real: value, kids: new Map(), parent: undefined, whole: false, wholeFirst: whole });
  }

  /**
   * An object read whole as it is handed out (for objects as good as always cloned: reporting the
   * read at hand-out rather than at first touch only records one read more, of an object that may
   * go unread). Nothing at its top needs a trap then, so it is a plain frozen copy, fast to spread
   * and clone; only the children `keep` names stay tracked (the paths to `always` fields).
   */
  trackWhole(root: R, value: Record<string, unknown>): object {
    const shared = this.copies?.get(root, value);
    const n: Tracked<R> = shared?.n ?? { root, path: [], key: '', memo: new Map(), real: value, kids: new Map(), parent: undefined, whole: true };
    if (this.live && this.quiet === 0) this.sink.whole(n);
    return shared?.out ?? this.plain(n);
  }

  /** Told by a copy's getter of a read of an `always` field (a whole copy may be shared by runs: WholeCopies). */
  reportField(n: At<R>, p: string, value: unknown): void {
    if (this.live && this.quiet === 0) this.sink.field(n, p, value, true);
  }

  /**
   * A frozen copy of a tracked object below a subtree read whole: its `always` fields are getters
   * that report the read, the children `keep` names are made alike (arrays behind proxies), the rest
   * is the real values. It stands for the real object as the proxies do but for a property
   * descriptor of an `always` field (a getter, not a value), which nothing reading objects asks for.
   */
  private plain(n: Tracked<R>): object {
    const real = n.real as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(real)) {
      const value = real[k];
      if (this.sink.always(n, k)) {
        Object.defineProperty(out, k, { enumerable: true, get: () => (this.reportField(n, k, value), value) });
      } else if (this.sink.keep(n, k) && typeof value === 'object' && value !== null) {
        let c = n.kids.get(k);
        if (!c) {
          const kid: Tracked<R> = { root: n.root, path: [...n.path, k], key: n.path.length ? `${n.key}\u0000${k}` : k, memo: new Map(), real: value, kids: new Map(), parent: n, whole: false };
          n.kids.set(k, (c = Array.isArray(value) ? this.wrap(kid) : this.plain(kid)));
        }
        out[k] = c;
      } else out[k] = value;
    }
    Object.freeze(out);
    this.nodes.set(out, n);
    return out;
  }

  /** The root a proxy was handed out for (undefined: not a tracked root). */
  rootOf(x: unknown): R | undefined {
    const n = typeof x === 'object' && x !== null ? (this.nodes.get(x) ?? this.copies?.nodes.get(x)) : undefined;
    return n && n.path.length === 0 ? n.root : undefined;
  }

  /** v with every proxy in it replaced by the real value it stands for; unchanged parts are shared. */
  unwrap(v: unknown): unknown {
    if (typeof v !== 'object' || v === null) return v;
    const n = this.nodes.get(v) ?? this.copies?.nodes.get(v);
    if (n) return n.real;
    if (Array.isArray(v)) {
      let out: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const y = this.unwrap(v[i]);
        if (y !== v[i]) (out ??= [...v])[i] = y;
      }
      return out ?? v;
    }
    if (Object.getPrototypeOf(v) !== Object.prototype) return v;
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(v)) {
      const x = (v as Record<string, unknown>)[k];
      const y = this.unwrap(x);
      if (y !== x) (out ??= { ...(v as Record<string, unknown>) })[k] = y;
    }
    return out ?? v;
  }

  private static underWhole<R>(n: Tracked<R>): boolean {
    for (let x: Tracked<R> | undefined = n; x; x = x.parent) if (x.whole) return true;
    return false;
  }

  private reporting(n: Tracked<R>, p: string | undefined): boolean {
    if (!this.live || this.quiet > 0) return false;
    if (n.wholeFirst && !n.whole) {
      this.sink.whole(n);
      n.whole = true;
    }
    return !Tracker.underWhole(n) || (p !== undefined && this.sink.always(n, p));
  }

  /**
   * The child value at p of n, itself tracked when it is an object (one proxy per path). Below a
   * subtree read whole nothing new needs tracking but the paths to `always` fields: the real value
   * is handed out (and handed out again: a path gives one object throughout a run).
   */
  private child(n: Tracked<R>, p: string, value: unknown): unknown {
    if (typeof value !== 'object' || value === null) return value;
    let c = n.kids.get(p);
    if (!c) {
      c = Tracker.underWhole(n) && !this.sink.keep(n, p)
        ? value
        : this.wrap({ root: n.root, path: [...n.path, p], key: n.path.length ? `${n.key}\u0000${p}` : p, memo: new Map(), real: value, kids: new Map(), parent: n, whole: false });
      n.kids.set(p, c);
    }
    return c;
  }

  private wrap(n: Tracked<R>): object {
    const real = n.real;
    const array = Array.isArray(real);
    // The target is an unfrozen copy, so the proxy may hand out tracked children for its fields.
    const target: object = array ? [...(real as unknown[])] : { ...(real as Record<string, unknown>) };
    const proxy = new Proxy(target, {
      get: (t, p, recv) => {
        if (typeof p === 'symbol') return Reflect.get(t, p, recv);
        const own = hasOwn(real, p);
        // Array methods come from the prototype, the same for every array.
        if (array && !own && !isIndex(p)) return Reflect.get(t, p, recv);
        const value = own ? (real as Record<string, unknown>)[p] : Reflect.get(t, p, recv);
        if (this.reporting(n, p)) this.sink.field(n, p, value, own);
        return own ? this.child(n, p, value) : value;
      },
      has: (t, p) => {
        if (typeof p === 'symbol') return Reflect.has(t, p);
        const r = p in real;
        if (this.reporting(n, p)) this.sink.has(n, p, r);
        return r;
      },
      ownKeys: (t) => {
        if (this.reporting(n, undefined)) {
          this.sink.whole(n);
          n.whole = true;
        }
        return Reflect.ownKeys(t);
      },
      getOwnPropertyDescriptor: (t, p) => {
        const d = Reflect.getOwnPropertyDescriptor(t, p);
        if (typeof p === 'symbol' || !d || !('value' in d)) return d;
        if (this.reporting(n, p)) this.sink.field(n, p, (real as Record<string, unknown>)[p], true);
        const value = (real as Record<string, unknown>)[p];
        if (typeof value !== 'object' || value === null || (array && p === 'length')) return d;
        return { ...d, value: this.child(n, p, value) };
      },
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
      setPrototypeOf: () => false,
      preventExtensions: () => false,
    });
    this.nodes.set(proxy, n);
    return proxy;
  }
}

/**
 * Whole copies (Tracker.trackWhole) made once per object and shared by every run over it: nothing
 * in them changes during a run (the subtree is read whole from the start), and their getters tell
 * the run under way (`current`) of the reads that are still reported. Objects whose kept children
 * would need a proxy of their own (arrays) are not shared.
 */
export class WholeCopies<R> {
  /** The tracker of the run under way. */
  current: Tracker<R> | undefined;
  /** Each copy (and kept child) to what it stands for. */
  readonly nodes = new WeakMap<object, Tracked<R>>();
  private readonly made = new WeakMap<object, { n: Tracked<R>; out: object } | null>();

  constructor(private readonly rules: Pick<TrackSink<R>, 'always' | 'keep'>) {}

  get(root: R, value: object): { n: Tracked<R>; out: object } | undefined {
    let m = this.made.get(value);
    if (m === undefined) {
      const n: Tracked<R> = { root, path: [], key: '', memo: new Map(), real: value, kids: new Map(), parent: undefined, whole: true };
      const out = this.copy(n);
      this.made.set(value, (m = out ? { n, out } : null));
    }
    return m ?? undefined;
  }

  private copy(n: Tracked<R>): object | undefined {
    const real = n.real as Record<string, unknown>;
    let out: Record<string, unknown> = {};
    const keys = Object.keys(real);
    for (const k of keys) {
      const value = real[k];
      if (this.rules.always(n, k)) {
        const get = () => (this.current?.reportField(n, k, value), value);
        // A getter written in a literal keeps the object's fast properties (defineProperty would
        // turn it into a dictionary, slow for every read after); it goes last, so only where it is last.
        if (k === keys[keys.length - 1]) out = { ...out, get [k]() { return get(); } };
        else Object.defineProperty(out, k, { enumerable: true, get });
      } else if (this.rules.keep(n, k) && typeof value === 'object' && value !== null) {
        if (Array.isArray(value)) return undefined;
        const kid: Tracked<R> = { root: n.root, path: [...n.path, k], key: n.path.length ? `${n.key}\u0000${k}` : k, memo: new Map(), real: value, kids: new Map(), parent: n, whole: false };
        const c = this.copy(kid);
        if (!c) return undefined;
        n.kids.set(k, c);
        out[k] = c;
      } else out[k] = value;
    }
    Object.freeze(out);
    this.nodes.set(out, n);
    return out;
  }
}
