// The JSON forms of apimachinery's time types, as Go writes and reads them: metav1.Time (RFC 3339
// in seconds), metav1.MicroTime (RFC 3339 with microseconds) and metav1.Duration (time.Duration's
// String and ParseDuration).

/** Go's zero time.Time (January 1, year 1, UTC) in Unix seconds: it marshals as JSON null. */
export const ZERO_TIME_SECONDS = -62135596800n;

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** time.Unix(seconds, nanos) normalised; null for Go's zero time. */
function civil(seconds: bigint, nanos: bigint): { date: Date; nanos: number } | null {
  const s = seconds + (nanos >= 0n ? nanos / 1_000_000_000n : -((-nanos + 999_999_999n) / 1_000_000_000n));
  const n = ((nanos % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
  if (s === ZERO_TIME_SECONDS && n === 0n) return null;
  const year = new Date(Number(s) * 1000).getUTCFullYear();
  if (!(year >= 0 && year <= 9999)) throw new RangeError('Time.MarshalJSON: year outside of range [0,9999]');
  return { date: new Date(Number(s) * 1000), nanos: Number(n) };
}

function rfc3339(d: Date, frac: string): string {
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}${frac}Z`;
}

/** metav1.Time from its wire form: nanoseconds are dropped, as upstream's unmarshaller does. */
export function formatTime(seconds: bigint): string | null {
  const c = civil(seconds, 0n);
  return c && rfc3339(c.date, '');
}

/** metav1.MicroTime from its wire form, truncated to microseconds as Go's formatting does. */
export function formatMicroTime(seconds: bigint, nanos: bigint): string | null {
  const c = civil(seconds, nanos);
  return c && rfc3339(c.date, `.${pad(Math.floor(c.nanos / 1000), 6)}`);
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

/** Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

const DAYS_IN = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** Parses an RFC 3339 timestamp (as metav1.Time and MicroTime accept) into Unix seconds and nanoseconds. */
export function parseTime(s: string): { seconds: bigint; nanos: bigint } {
  const m = RFC3339.exec(s);
  const [y, mo, d, h, mi, se] = (m ?? []).slice(1, 7).map(Number) as number[];
  const monthDays = m ? (mo === 2 && leap(y!) ? 29 : DAYS_IN[mo! - 1]) : undefined;
  if (!m || !monthDays || d! < 1 || d! > monthDays || h! > 23 || mi! > 59 || se! > 59) {
    throw new RangeError(`parsing time ${JSON.stringify(s)} as "2006-01-02T15:04:05Z07:00": cannot parse`);
  }
  const [, , , , , , , fraction, , sign, oh, om] = m;
  let seconds = BigInt(daysFromCivil(y!, mo!, d!)) * 86400n + BigInt(h! * 3600 + mi! * 60 + se!);
  if (sign) seconds -= BigInt((sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60));
  const nanos = BigInt(((fraction ?? '') + '000000000').slice(0, 9));
  return { seconds, nanos };
}

/** The fraction v/10^prec without trailing zeros (and without the dot when zero). */
function frac(v: bigint, prec: number): { text: string; rest: bigint } {
  let digits = '';
  let printed = false;
  for (let i = 0; i < prec; i++) {
    const d = v % 10n;
    printed ||= d !== 0n;
    if (printed) digits = String(d) + digits;
    v /= 10n;
  }
  return { text: printed ? `.${digits}` : '', rest: v };
}

/** time.Duration(ns).String(). */
export function formatDuration(ns: bigint): string {
  const neg = ns < 0n;
  let u = neg ? -ns : ns;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let unit: string;
    let prec: number;
    if (u < 1_000n) [unit, prec] = ['ns', 0];
    else if (u < 1_000_000n) [unit, prec] = ['µs', 3];
    else [unit, prec] = ['ms', 6];
    const f = frac(u, prec);
    out = `${f.rest}${f.text}${unit}`;
  } else {
    const f = frac(u, 9);
    u = f.rest;
    out = `${u % 60n}${f.text}s`;
    u /= 60n;
    if (u > 0n) {
      out = `${u % 60n}m${out}`;
      u /= 60n;
      if (u > 0n) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

const DURATION_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** time.ParseDuration, for the units Go accepts. */
export function parseDuration(s: string): bigint {
  const bad = () => new RangeError(`time: invalid duration ${JSON.stringify(s)}`);
  let rest = s;
  let neg = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    neg = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw bad();
  let total = 0n;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  while (rest) {
    const m = re.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw bad();
    const unit = DURATION_UNITS[m[3]!]!;
    total += BigInt(m[1] || '0') * unit;
    const f = m[2] ?? '';
    if (f) total += (BigInt(f) * unit) / 10n ** BigInt(f.length);
    rest = rest.slice(m[0].length);
  }
  return neg ? -total : total;
}
