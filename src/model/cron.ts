// Cron schedules as the CronJob controller reads them (robfig/cron v3 ParseStandard and
// SpecSchedule.Next): five fields, ranges, steps, lists, month and weekday names, the @descriptors,
// @every, and a time zone from CRON_TZ=/TZ= or the CronJob's timeZone. Pure: the time to start
// from is always passed in. Syntax errors come from the validator, with robfig's texts.
import type { Instant } from './object.js';
import { cronScheduleError } from './validation/batch.js';

interface Field {
  min: number;
  max: number;
  names?: Record<string, number>;
}
const fields: Field[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } },
  { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } },
];

/** The values a field allows, and whether it was a star (then day-of-month and day-of-week combine with AND, not OR). */
interface Values {
  set: Set<number>;
  star: boolean;
}

export type Schedule =
  | { kind: 'spec'; zone: string; minute: Values; hour: Values; dom: Values; month: Values; dow: Values }
  | { kind: 'every'; delayMs: number };

export type ParseResult = { schedule: Schedule } | { error: string };

function parseValue(s: string, f: Field): number {
  return f.names?.[s.toLowerCase()] ?? Number(s);
}

function parseRange(expr: string, f: Field, into: Values): void {
  const [range, stepText] = expr.split('/');
  const bounds = range!.split('-');
  let start: number;
  let end: number;
  let star = false;
  if (bounds[0] === '*' || bounds[0] === '?') {
    start = f.min;
    end = f.max;
    star = true;
  } else {
    start = parseValue(bounds[0]!, f);
    end = bounds.length === 2 ? parseValue(bounds[1]!, f) : start;
  }
  let step = 1;
  if (stepText !== undefined) {
    step = Number(stepText);
    if (bounds.length === 1) end = f.max;
    if (step > 1) star = false;
  }
  for (let v = start; v <= end; v += step) into.set.add(v);
  if (star) into.star = true;
}

function parseField(text: string, f: Field): Values {
  const v: Values = { set: new Set(), star: false };
  for (const expr of text.split(',')) if (expr) parseRange(expr, f, v);
  return v;
}

function descriptor(d: string): string | undefined {
  switch (d) {
    case '@yearly':
    case '@annually':
      return '0 0 1 1 *';
    case '@monthly':
      return '0 0 1 * *';
    case '@weekly':
      return '0 0 * * 0';
    case '@daily':
    case '@midnight':
      return '0 0 * * *';
    case '@hourly':
      return '0 * * * *';
    default:
      return undefined;
  }
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function parseDurationMs(s: string): number {
  let rest = s.replace(/^[+-]/, '');
  const sign = s.startsWith('-') ? -1 : 1;
  let total = 0;
  while (rest) {
    const m = /^([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m) break;
    total += Number(m[1]) * durationUnits[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/**
 * cron.ParseStandard. `timeZone` is the CronJob's spec.timeZone; a CRON_TZ=/TZ= prefix in the
 * spec wins, as the controller only adds `TZ=<timeZone>` when the schedule names no zone.
 */
export function parseSchedule(spec: string, timeZone?: string): ParseResult {
  const full = timeZone && !spec.includes('TZ') ? `TZ=${timeZone} ${spec}` : spec;
  const err = cronScheduleError(full);
  if (err) return { error: err };
  let rest = full;
  let zone = 'UTC';
  if (rest.startsWith('TZ=') || rest.startsWith('CRON_TZ=')) {
    const i = rest.indexOf(' ');
    zone = rest.slice(rest.indexOf('=') + 1, i < 0 ? undefined : i);
    if (zone === '' || zone === 'Local') zone = 'UTC';
    rest = i < 0 ? '' : rest.slice(i).trim();
  }
  if (rest.startsWith('@every ')) {
    // robfig/cron: Every() rounds the delay down to whole seconds, with a one-second minimum.
    const ms = Math.floor(parseDurationMs(rest.slice(7)) / 1000) * 1000;
    return { schedule: { kind: 'every', delayMs: Math.max(ms, 1000) } };
  }
  // A descriptor sets exactly the bits its five-field equivalent does.
  const text = rest.startsWith('@') ? descriptor(rest)! : rest;
  const parts = text.split(/[ \t\n\r\v\f]+/).filter(Boolean);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, fields[i]!)) as [Values, Values, Values, Values, Values];
  return { schedule: { kind: 'spec', zone, minute, hour, dom, month, dow } };
}

// ---- wall-clock arithmetic in a time zone ----

interface Wall {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number; // 0 = Sunday
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
      hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}
const weekdays: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

function wallAt(t: Instant, zone: string): Wall {
  if (zone === 'UTC') {
    const d = new Date(t);
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
    };
  }
  const w: Partial<Wall> = {};
  for (const p of formatter(zone).formatToParts(new Date(t))) {
    if (p.type === 'weekday') w.weekday = weekdays[p.value]!;
    else if (p.type !== 'literal' && p.type !== 'dayPeriod') (w as Record<string, number>)[p.type] = Number(p.value);
  }
  return w as Wall;
}

/** The zone's offset from UTC at instant t, in milliseconds. */
function offsetAt(t: Instant, zone: string): number {
  if (zone === 'UTC') return 0;
  const w = wallAt(Math.floor(t / 1000) * 1000, zone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(t / 1000) * 1000;
}

/** time.Date in a zone: fields normalise as in Go, and a time in a DST gap or overlap resolves as Go does. */
function dateIn(zone: string, year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Instant {
  const wall = Date.UTC(year, month - 1, day, hour, minute, second);
  let offset = offsetAt(wall, zone);
  const utc = wall - offset;
  const at = offsetAt(utc, zone);
  if (at !== offset) offset = at;
  return wall - offset;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

function dayMatches(s: Extract<Schedule, { kind: 'spec' }>, w: Wall): boolean {
  const domMatch = s.dom.set.has(w.day);
  const dowMatch = s.dow.set.has(w.weekday);
  return s.dom.star || s.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
}

/**
 * The first activation strictly after t (SpecSchedule.Next), or undefined when none exists within
 * five years (an impossible date such as February 30th).
 */
export function nextAfter(s: Schedule, t: Instant): Instant | undefined {
  if (s.kind === 'every') return t - (t % 1000) + s.delayMs;
  const zone = s.zone;
  // Whole seconds; the schedule's second field is always 0.
  t = t - (((t % 1000) + 1000) % 1000) + 1000;
  let added = false;
  const yearLimit = wallAt(t, zone).year + 5;
  wrap: for (;;) {
    let w = wallAt(t, zone);
    if (w.year > yearLimit) return undefined;
    while (!s.month.set.has(w.month)) {
      if (!added) {
        added = true;
        t = dateIn(zone, w.year, w.month, 1);
      }
      w = wallAt(t, zone);
      t = dateIn(zone, w.year, w.month + 1, w.day, w.hour, w.minute, w.second);
      w = wallAt(t, zone);
      if (w.month === 1) continue wrap;
    }
    while (!dayMatches(s, w)) {
      if (!added) {
        added = true;
        t = dateIn(zone, w.year, w.month, w.day);
      }
      w = wallAt(t, zone);
      t = dateIn(zone, w.year, w.month, w.day + 1, w.hour, w.minute, w.second);
      w = wallAt(t, zone);
      // A DST change can leave the day at 23:00 or 01:00; put it back to midnight.
      if (w.hour !== 0) {
        t += w.hour > 12 ? (24 - w.hour) * HOUR : -w.hour * HOUR;
        w = wallAt(t, zone);
      }
      if (w.day === 1) continue wrap;
    }
    while (!s.hour.set.has(w.hour)) {
      if (!added) {
        added = true;
        t = dateIn(zone, w.year, w.month, w.day, w.hour);
      }
      t += HOUR;
      w = wallAt(t, zone);
      if (w.hour === 0) continue wrap;
    }
    while (!s.minute.set.has(w.minute)) {
      if (!added) {
        added = true;
        t -= t % MINUTE;
      }
      t += MINUTE;
      w = wallAt(t, zone);
      if (w.minute === 0) continue wrap;
    }
    while (w.second !== 0) {
      if (!added) {
        added = true;
        t -= t % 1000;
      }
      t += 1000;
      w = wallAt(t, zone);
      if (w.second === 0) continue wrap;
    }
    return t;
  }
}

/** RFC 3339 with the zone's offset, as Go formats `t.In(loc).Format(time.RFC3339)`. */
export function rfc3339In(t: Instant, zone: string | undefined): string {
  const z = zone && zone !== 'Local' ? zone : 'UTC';
  const sec = Math.floor(t / 1000) * 1000;
  const offset = offsetAt(sec, z);
  const w = wallAt(sec, z);
  const p = (n: number, l = 2) => String(n).padStart(l, '0');
  const base = `${p(w.year, 4)}-${p(w.month)}-${p(w.day)}T${p(w.hour)}:${p(w.minute)}:${p(w.second)}`;
  if (offset === 0) return `${base}Z`;
  const m = Math.abs(offset) / MINUTE;
  return `${base}${offset < 0 ? '-' : '+'}${p(Math.floor(m / 60))}:${p(m % 60)}`;
}

/** Go's time.RFC1123Z in UTC ("Mon, 02 Jan 2006 15:04:05 +0000"), used in CronJob events. */
export function rfc1123z(t: Instant): string {
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]}, ${p(d.getUTCDate())} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
