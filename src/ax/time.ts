// Time expressions of AX queries as intervals [start, end) of ms: ISO forms (2026, 2026-01,
// 2026-01-29, 2026-01-29T10:00[Z|±hh:mm]), ms since the epoch, and relative words (yesterday,
// last week, 3 days ago…) read by chrono-node, all on the wall clock of the query's time zone.
import { createRequire } from 'node:module';
import type { Component, ParsedResult } from 'chrono-node';
import { DateTime, Info } from 'luxon';

type ChronoParse = (text: string, ref: { instant: Date; timezone: number }) => ParsedResult[];

/**
 * chrono-node's English parser, loaded the first time a relative time is read: the package's
 * index loads all of its sixteen languages (some 270 files, a fifth of a second of `qntx ax`
 * start-up), and most queries name ISO times or none. `chrono.parse` is this same parser
 * (`casual` of the English locale). require() keeps resolveTime synchronous.
 */
let chronoParse: ChronoParse | undefined;
function chrono(): ChronoParse {
  if (!chronoParse) {
    const en = createRequire(import.meta.url)('chrono-node/en') as { casual: { parse: ChronoParse } };
    chronoParse = (text, ref) => en.casual.parse(text, ref);
  }
  return chronoParse;
}

export type Granularity = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second' | 'millisecond';

export interface TimeInterval {
  start: number;
  /** Exclusive. */
  end: number;
  granularity: Granularity;
}

export const DEFAULT_ZONE = 'UTC';

const zoneCache = new Map<string, string | null>();

/** The canonical name of a time zone luxon knows (IANA name, UTC, UTC+2), or undefined. */
export function normalizeZone(text: string): string | undefined {
  let v = zoneCache.get(text);
  if (v === undefined) {
    const z = /^[A-Za-z0-9_+\-/:]{1,64}$/.test(text) ? Info.normalizeZone(text) : null;
    // IANA names are matched case-insensitively; Intl gives their canonical spelling.
    v = z && z.isValid ? (z.type === 'iana' ? new Intl.DateTimeFormat('en-US', { timeZone: z.name }).resolvedOptions().timeZone : z.name) : null;
    if (zoneCache.size < 1000) zoneCache.set(text, v);
  }
  return v ?? undefined;
}

const ISO = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?)?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH_MS = /^\d{10,16}$/;

function isoInterval(text: string, zone: string): TimeInterval | undefined {
  const m = ISO.exec(text);
  if (!m) return undefined;
  // Which parts were written decides the granularity: 2026-01 is the whole month.
  const parts: Granularity[] = ['year', 'month', 'day', 'hour', 'minute', 'second', 'millisecond'];
  let last = 0;
  for (let k = 1; k <= 7; k++) if (m[k] !== undefined) last = k - 1;
  if (m[8] && last < 3) return undefined; // an offset needs a time of day
  const dt = DateTime.fromISO(text.replace(' ', 'T'), { zone, setZone: true });
  if (!dt.isValid) return undefined;
  return interval(dt, parts[last]!);
}

function interval(dt: DateTime, g: Granularity): TimeInterval {
  const start = dt.startOf(g);
  return { start: start.toMillis(), end: start.plus({ [`${g}s`]: 1 }).toMillis(), granularity: g };
}

const CERTAIN_ORDER: ReadonlyArray<[Component, Granularity]> = [
  ['second', 'second'],
  ['minute', 'minute'],
  ['hour', 'hour'],
  ['day', 'day'],
  ['weekday', 'day'],
  ['month', 'month'],
  ['year', 'year'],
];

function chronoInterval(text: string, zone: string, now: number): TimeInterval | undefined {
  const offset = DateTime.fromMillis(now, { zone }).offset;
  const results = chrono()(text, { instant: new Date(now), timezone: offset });
  const r = results[0];
  // The whole expression must be one time: "yesterday blorp" is an error, not "yesterday".
  if (results.length !== 1 || !r || r.index !== 0 || r.text.length !== text.length) return undefined;
  const c = r.start;
  // A zone written in the expression ("5pm EST") wins over the query's.
  const at = c.isCertain('timezoneOffset') ? `UTC${fmtOffset(c.get('timezoneOffset') ?? 0)}` : zone;
  const dt = DateTime.fromObject(
    {
      year: c.get('year') ?? undefined,
      month: c.get('month') ?? undefined,
      day: c.get('day') ?? undefined,
      hour: c.get('hour') ?? 0,
      minute: c.get('minute') ?? 0,
      second: c.get('second') ?? 0,
      millisecond: c.get('millisecond') ?? 0,
    },
    { zone: at },
  );
  if (!dt.isValid) return undefined;
  const g = CERTAIN_ORDER.find(([k]) => c.isCertain(k))?.[1] ?? 'day';
  return interval(dt, g);
}

function fmtOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${Math.floor(a / 60)}${a % 60 ? `:${String(a % 60).padStart(2, '0')}` : ''}`;
}

/** Day names and their abbreviations → luxon's weekday (1 = Monday … 7 = Sunday). */
const WEEKDAYS: ReadonlyMap<string, number> = new Map(
  [
    ['monday', 'mon'],
    ['tuesday', 'tue', 'tues'],
    ['wednesday', 'wed'],
    ['thursday', 'thu', 'thur', 'thurs'],
    ['friday', 'fri'],
    ['saturday', 'sat'],
    ['sunday', 'sun'],
  ].flatMap((names, i) => names.map((n) => [n, i + 1] as [string, number])),
);

/**
 * `next friday` is the coming Friday (1 to 7 days ahead: on a Monday, 4), as the original QNTX
 * reads it; chrono-node reads it as the Friday of the next week (11 days on a Monday).
 */
function nextWeekday(text: string, zone: string, now: number): TimeInterval | undefined {
  const m = /^next\s+([a-z]+)$/i.exec(text);
  const target = m ? WEEKDAYS.get(m[1]!.toLowerCase()) : undefined;
  if (target === undefined) return undefined;
  const today = DateTime.fromMillis(now, { zone });
  return interval(today.plus({ days: (target - today.weekday + 7) % 7 || 7 }), 'day');
}

/** The interval a time expression names, or undefined when it is not a time. */
export function resolveTime(text: string, zone: string, now: number): TimeInterval | undefined {
  const t = text.trim();
  if (!t) return undefined;
  if (EPOCH_MS.test(t)) {
    const ms = Number(t);
    return ms <= 8.64e15 ? { start: ms, end: ms + 1, granularity: 'millisecond' } : undefined;
  }
  if (/^\d{4}/.test(t)) {
    const iso = isoInterval(t, zone);
    if (iso) return iso;
  }
  return nextWeekday(t, zone, now) ?? chronoInterval(t, zone, now);
}
