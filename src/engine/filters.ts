// Docker's filter arguments (api/types/filters): the `filters` query parameter, a JSON map from
// field to a set of values, with dockerd's matching rules.
import { invalidParameter } from './errors.js';

export class Filters {
  private readonly fields = new Map<string, Set<string>>();

  /** filters.FromJSON: `{"k":{"v":true}}`, or the legacy `{"k":["v"]}`. */
  static parse(raw: string | undefined | null): Filters {
    const f = new Filters();
    if (!raw) return f;
    let v: unknown;
    try {
      v = JSON.parse(raw);
    } catch (e) {
      throw invalidParameter((e as Error).message);
    }
    if (v === null) return f;
    if (typeof v !== 'object' || Array.isArray(v)) throw invalidParameter('json: cannot unmarshal into Go value of type map[string]map[string]bool');
    for (const [k, vals] of Object.entries(v as Record<string, unknown>)) {
      const set = new Set<string>();
      if (Array.isArray(vals)) for (const x of vals) set.add(String(x));
      else if (vals && typeof vals === 'object') {
        for (const [x, on] of Object.entries(vals as Record<string, unknown>)) if (on) set.add(x);
      } else throw invalidParameter('json: cannot unmarshal into Go value of type map[string]bool');
      f.fields.set(k, set);
    }
    return f;
  }

  static of(pairs: Record<string, string[]>): Filters {
    const f = new Filters();
    for (const [k, vs] of Object.entries(pairs)) f.fields.set(k, new Set(vs));
    return f;
  }

  get(key: string): string[] {
    return [...(this.fields.get(key) ?? [])];
  }

  contains(key: string): boolean {
    return this.fields.has(key);
  }

  keys(): string[] {
    return [...this.fields.keys()];
  }

  /** Refuses any field outside `accepted`, with dockerd's message. */
  validate(accepted: readonly string[]): void {
    for (const k of this.fields.keys()) if (!accepted.includes(k)) throw invalidParameter(`Invalid filter '${k}'`);
  }

  exactMatch(key: string, source: string): boolean {
    const vs = this.fields.get(key);
    if (!vs || vs.size === 0) return true;
    return vs.has(source);
  }

  fuzzyMatch(key: string, source: string): boolean {
    if (this.exactMatch(key, source)) return true;
    for (const p of this.fields.get(key) ?? []) if (source.startsWith(p)) return true;
    return false;
  }

  /** Exact, else any value read as a regular expression (names use this). */
  match(key: string, source: string): boolean {
    if (this.exactMatch(key, source)) return true;
    for (const p of this.fields.get(key) ?? []) {
      try {
        if (new RegExp(p).test(source)) return true;
      } catch {
        // an invalid pattern matches nothing, as in Go's regexp.MatchString error path
      }
    }
    return false;
  }

  /** `label=k` or `label=k=v` against a label map: every value must hold. */
  matchKVList(key: string, sources: Record<string, string> | undefined): boolean {
    const vs = this.fields.get(key);
    if (!vs || vs.size === 0) return true;
    if (!sources || Object.keys(sources).length === 0) return false;
    for (const v of vs) {
      const i = v.indexOf('=');
      const k = i < 0 ? v : v.slice(0, i);
      if (!(k in sources)) return false;
      if (i >= 0 && sources[k] !== v.slice(i + 1)) return false;
    }
    return true;
  }
}
