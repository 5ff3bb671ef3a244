// `over N`: durations written as 3y, 18m, 2w, 10d (or `3 years`), and the calendar test "has it
// held for longer than N" in the query's time zone (luxon: a month is a calendar month).
import { DateTime } from 'luxon';
import type { Duration, DurationUnit } from './query.js';

const UNITS: Readonly<Record<string, DurationUnit>> = {
  y: 'y', yr: 'y', yrs: 'y', year: 'y', years: 'y',
  m: 'm', mo: 'm', mos: 'm', month: 'm', months: 'm',
  w: 'w', wk: 'w', wks: 'w', week: 'w', weeks: 'w',
  d: 'd', day: 'd', days: 'd',
};

const FORM = /^(\d{1,4}(?:\.\d{1,3})?)\s*([a-z]+)$/i;

/** Most a duration may say: 1000 years (anything longer is a typo). */
export const MAX_DURATION_DAYS = 366_000;

/** `3y`, `3 y`, `3 years`, `1.5m`; undefined when the text is not a duration. */
export function parseDuration(text: string): Duration | undefined {
  const m = FORM.exec(text.trim());
  if (!m) return undefined;
  const unit = UNITS[m[2]!.toLowerCase()];
  const amount = Number(m[1]);
  if (!unit || !(amount > 0)) return undefined;
  if (amount * DAYS[unit] > MAX_DURATION_DAYS) return undefined;
  return { amount, unit };
}

const DAYS: Readonly<Record<DurationUnit, number>> = { y: 366, m: 31, w: 7, d: 1 };
const LUXON_UNIT = { y: 'years', m: 'months', w: 'weeks', d: 'days' } as const;

export function formatDuration(d: Duration): string {
  return `${d.amount}${d.unit}`;
}

/** `from` plus the duration, on the calendar of `zone` (months and years have their real lengths). */
export function addDuration(from: number, d: Duration, zone: string): number {
  const start = DateTime.fromMillis(from, { zone });
  const whole = Math.trunc(d.amount);
  const frac = d.amount - whole;
  let t = start.plus({ [LUXON_UNIT[d.unit]]: whole });
  // A fraction of a calendar unit is measured on the unit that follows (1.5m = 1 month + half the next).
  if (frac > 0) {
    const next = t.plus({ [LUXON_UNIT[d.unit]]: 1 });
    t = t.plus({ milliseconds: Math.round((next.toMillis() - t.toMillis()) * frac) });
  }
  return t.toMillis();
}

/** Whether something that held from `first` to `end` held for longer than `d`. */
export function heldLongerThan(first: number, end: number, d: Duration, zone: string): boolean {
  return end > addDuration(first, d, zone);
}
