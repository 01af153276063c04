// Sets of field paths, as server-side apply tracks who owns what (structured-merge-diff's
// fieldpath.Set): a tree whose edges are path elements in their FieldsV1 spelling, each node
// either a member (the path itself is in the set) or only on the way to members.
//
// Path elements, as FieldsV1 writes them:
//   f:<name>         a struct field or a map's key
//   k:<json object>  an associative list's item, by its key fields (sorted by name)
//   v:<json value>   a set's item, by its value
//   i:<index>        a list's item by position (only in sets read from elsewhere)

export class FieldSet {
  member = false;
  readonly children = new Map<string, FieldSet>();

  static of(paths: readonly (readonly string[])[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  get empty(): boolean {
    return !this.member && this.children.size === 0;
  }

  child(pe: string): FieldSet {
    let c = this.children.get(pe);
    if (!c) this.children.set(pe, (c = new FieldSet()));
    return c;
  }

  insert(path: readonly string[]): void {
    let n: FieldSet = this;
    for (const pe of path) n = n.child(pe);
    n.member = true;
  }

  has(path: readonly string[]): boolean {
    let n: FieldSet | undefined = this;
    for (const pe of path) if (!(n = n.children.get(pe))) return false;
    return n.member;
  }

  clone(): FieldSet {
    const s = new FieldSet();
    s.member = this.member;
    for (const [pe, c] of this.children) s.children.set(pe, c.clone());
    return s;
  }

  union(o: FieldSet): FieldSet {
    const s = this.clone();
    s.addAll(o);
    return s;
  }

  private addAll(o: FieldSet): void {
    if (o.member) this.member = true;
    for (const [pe, c] of o.children) this.child(pe).addAll(c);
  }

  /** The members of this set that o does not hold (member by member: o's members take out no descendants). */
  difference(o: FieldSet | undefined): FieldSet {
    const s = new FieldSet();
    s.member = this.member && !o?.member;
    for (const [pe, c] of this.children) {
      const d = c.difference(o?.children.get(pe));
      if (!d.empty) s.children.set(pe, d);
    }
    return s;
  }

  intersection(o: FieldSet): FieldSet {
    const s = new FieldSet();
    s.member = this.member && o.member;
    for (const [pe, c] of this.children) {
      const oc = o.children.get(pe);
      if (!oc) continue;
      const i = c.intersection(oc);
      if (!i.empty) s.children.set(pe, i);
    }
    return s;
  }

  /** This set without anything at or under o's members (upstream's RecursiveDifference). */
  without(o: FieldSet | undefined): FieldSet {
    if (!o) return this.clone();
    const s = new FieldSet();
    if (o.member) return s;
    s.member = this.member;
    for (const [pe, c] of this.children) {
      const d = c.without(o.children.get(pe));
      if (!d.empty) s.children.set(pe, d);
    }
    return s;
  }

  /** Every member's path, in the order FieldsV1 writes them. */
  paths(prefix: string[] = []): string[][] {
    const out: string[][] = this.member ? [prefix] : [];
    for (const pe of sortedElements(this.children.keys())) out.push(...this.children.get(pe)!.paths([...prefix, pe]));
    return out;
  }

  /** FieldsV1: a member with children holds them beside ".", a member without is {}. */
  toFieldsV1(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (this.member && this.children.size) out['.'] = {};
    for (const pe of sortedElements(this.children.keys())) out[pe] = this.children.get(pe)!.toFieldsV1();
    return out;
  }

  /** Reads FieldsV1 (undefined for anything that is not: the caller says how that fails). */
  static fromFieldsV1(v: unknown): FieldSet | undefined {
    const s = new FieldSet();
    return s.read(v, true) ? s : undefined;
  }

  private read(v: unknown, root: boolean): boolean {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    const entries = Object.entries(v);
    if (!root && entries.length === 0) this.member = true;
    for (const [pe, c] of entries) {
      if (pe === '.') {
        if (root) return false;
        this.member = true;
      } else if (!/^[fkvi]:/.test(pe) || !this.child(pe).read(c, false)) return false;
    }
    return true;
  }
}

const KIND_ORDER: Record<string, number> = { f: 0, v: 1, k: 2, i: 3 };

/** Fields first (by name), then values, keys and indexes: as upstream serializes a set. */
function sortedElements(pes: Iterable<string>): string[] {
  return [...pes].sort((a, b) => (KIND_ORDER[a[0]!]! - KIND_ORDER[b[0]!]!) || (a < b ? -1 : a > b ? 1 : 0));
}

/** A path as upstream prints it in a conflict: `.spec.containers[name="web"].image`. */
export function pathString(path: readonly string[]): string {
  let out = '';
  for (const pe of path) {
    const body = pe.slice(2);
    if (pe.startsWith('f:')) out += `.${body}`;
    else if (pe.startsWith('k:')) {
      const keys = JSON.parse(body) as Record<string, unknown>;
      out += `[${Object.entries(keys).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    } else if (pe.startsWith('v:')) out += `[=${body}]`;
    else out += `[${body}]`;
  }
  return out;
}
