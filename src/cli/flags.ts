// Command-line flags in the `--name value` / `--name=value` / `--flag` forms, with clear errors.

export interface FlagSpec {
  [name: string]: { type: 'string' | 'number' | 'boolean'; default?: string | number | boolean; help: string };
}

export type Flags<S extends FlagSpec> = { [K in keyof S]: S[K]['type'] extends 'number' ? number : S[K]['type'] extends 'boolean' ? boolean : string };

export class UsageError extends Error {}

/** A failure the user can act on; printed without the usage text. */
export class CommandError extends Error {}

export function parseFlags<S extends FlagSpec>(args: string[], spec: S): Flags<S> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec)) if (v.default !== undefined) out[k] = v.default;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) throw new UsageError(`unexpected argument "${a}"`);
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const s = spec[name];
    if (!s) throw new UsageError(`unknown flag --${name}`);
    let value: string;
    if (eq >= 0) value = a.slice(eq + 1);
    else if (s.type === 'boolean') value = 'true';
    else {
      const next = args[++i];
      if (next === undefined) throw new UsageError(`flag --${name} needs a value`);
      value = next;
    }
    if (s.type === 'number') {
      if (!/^\d+$/.test(value)) throw new UsageError(`flag --${name}: "${value}" is not a number`);
      out[name] = Number(value);
    } else if (s.type === 'boolean') {
      if (value !== 'true' && value !== 'false') throw new UsageError(`flag --${name}: "${value}" is not true or false`);
      out[name] = value === 'true';
    } else out[name] = value;
  }
  for (const [k, v] of Object.entries(spec)) {
    if (out[k] === undefined && v.default === undefined && v.type !== 'boolean') throw new UsageError(`flag --${k} is required`);
  }
  return out as Flags<S>;
}

export function flagHelp(spec: FlagSpec): string {
  return Object.entries(spec)
    .map(([k, v]) => `  --${k}${v.type === 'boolean' ? '' : ` <${v.type}>`}  ${v.help}${v.default !== undefined && v.default !== '' ? ` (default ${String(v.default)})` : ''}`)
    .join('\n');
}

/** A Go-style duration: 1s, 0.5s, 250ms, 1m30s. */
export function parseDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let total = 0;
  let m: RegExpExecArray | null;
  let end = 0;
  if (s === '0') return 0;
  while ((m = re.exec(s))) {
    total += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    end = re.lastIndex;
  }
  if (end !== s.length || s.length === 0) throw new UsageError(`invalid duration "${s}"`);
  return total;
}
