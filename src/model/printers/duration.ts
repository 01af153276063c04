// Human-readable durations and ages, as apimachinery's duration.HumanDuration/ShortHumanDuration
// and the printers' translateTimestampSince render them ("5s", "3m2s", "10m", "2d3h", "3y45d").
import type { Instant } from '../object.js';

const second = 1000;
const minute = 60 * second;
const hour = 60 * minute;

/** Go's int(x) on a float: truncation toward zero. */
const trunc = (x: number) => Math.trunc(x);

/** ~2-3 significant figures of a duration in milliseconds. */
export function humanDuration(ms: number): string {
  // Up to two seconds in the future still reads as "now" (clock skew between machines).
  const seconds = trunc(ms / second);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = trunc(ms / minute);
  if (minutes < 10) {
    const s = trunc(ms / second) % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = trunc(ms / hour);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${trunc(hours / 24)}d` : `${trunc(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${trunc(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const dy = trunc(hours / 24) % 365;
    return dy === 0 ? `${trunc(hours / 24 / 365)}y` : `${trunc(hours / 24 / 365)}y${dy}d`;
  }
  return `${trunc(hours / 24 / 365)}y`;
}

/** One unit of precision: "45s", "12m", "5h", "30d", "2y". */
export function shortHumanDuration(ms: number): string {
  const seconds = trunc(ms / second);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60) return `${seconds}s`;
  const minutes = trunc(ms / minute);
  if (minutes < 60) return `${minutes}m`;
  const hours = trunc(ms / hour);
  if (hours < 24) return `${hours}h`;
  if (hours < 24 * 365) return `${trunc(hours / 24)}d`;
  return `${trunc(ms / hour / 24 / 365)}y`;
}

const goZeroTime = Date.parse('0001-01-01T00:00:00Z');

/** A metav1.Time or MicroTime wire value as an instant; undefined when unset (absent, null, or Go's
 * zero time) or unparseable. */
export function parseTime(v: unknown): Instant | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  const t = Date.parse(v);
  return Number.isNaN(t) || t === goZeroTime ? undefined : t;
}

/** The age column: the time since `timestamp`, or "<unknown>" when it is unset. */
export function translateTimestampSince(timestamp: unknown, now: Instant): string {
  const t = parseTime(timestamp);
  return t === undefined ? '<unknown>' : humanDuration(now - t);
}
