// Cron schedules (docs/triggers.md): standard five-field expressions read by croner in an IANA
// time zone (UTC unless given). Pure: every function takes the times it works from.
import { Cron } from 'croner';
import { ValidationError } from '../errors.js';

/**
 * Run times a tick walks one by one. Past them, the missed count is computed from the mean gap of
 * the walked ones: a schedule of every minute down for 30 days costs 64 steps, not 43,200
 * (croner takes 10-70 µs a step, more with a time zone, and a tick holds its transaction).
 */
const EXACT_WALK = 64;

export interface CronSpec {
  cron: string;
  timezone: string | null;
}

/** Throws a ValidationError (400) naming the field when the time zone is not an IANA zone. */
export function checkTimezone(tz: string): string {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    throw new ValidationError(`unknown time zone '${tz}'`, { details: [`timezone=${tz}`], hint: 'use an IANA zone, e.g. Europe/Berlin or America/New_York' });
  }
  return tz;
}

/** The parsed expression; a ValidationError for a bad expression or zone. */
export function compileCron(spec: CronSpec): Cron {
  const tz = spec.timezone == null ? 'UTC' : checkTimezone(spec.timezone);
  try {
    return new Cron(spec.cron, { mode: '5-part', timezone: tz, paused: true });
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^CronPattern: /, '') : String(err);
    throw new ValidationError(`invalid cron expression '${spec.cron}': ${message}`, {
      details: [`cron=${spec.cron}`],
      hint: 'five fields: minute hour day-of-month month day-of-week, e.g. "0 9 * * 1-5"',
    });
  }
}

/** Throws unless the expression and zone are valid; returns them normalised. */
export function validateCron(spec: CronSpec): CronSpec {
  compileCron(spec);
  return { cron: spec.cron.trim(), timezone: spec.timezone };
}

/** The first run strictly after `after` (ms), or null when the expression never fires again. */
export function nextCronRun(spec: CronSpec, after: number): number | null {
  return compileCron(spec).nextRun(new Date(after))?.getTime() ?? null;
}

/** The first run at or after `at`. */
export function cronRunAtOrAfter(spec: CronSpec, at: number): number | null {
  return nextCronRun(spec, at - 1);
}

/** The next `n` runs strictly after `after`. */
export function nextCronRuns(spec: CronSpec, after: number, n: number): number[] {
  return compileCron(spec).nextRuns(n, new Date(after)).map((d) => d.getTime());
}

export interface CronTick {
  /** The latest run time that has come (at or before now). */
  dueAt: number;
  /** The first run time after now; null when the expression never fires again. */
  next: number | null;
  /** Run times from `due` up to now, `dueAt` included. */
  points: number;
}

/**
 * The run times from `due` (one that came) to now: the latest one is run, the others were missed.
 * Like the interval grid, lateness never shifts the times and missed runs fire once. Cost is
 * bounded whatever the downtime: up to EXACT_WALK times are walked (and counted exactly); past
 * them the latest due time is croner's previous run before now, and the count is the walked
 * times plus the rest of the downtime divided by their mean gap.
 */
export function planCronTick(spec: CronSpec, due: number, now: number): CronTick {
  const c = compileCron(spec);
  let dueAt = due;
  let points = 1;
  let next = c.nextRun(new Date(due))?.getTime() ?? null;
  while (next !== null && next <= now && points < EXACT_WALK) {
    dueAt = next;
    points++;
    next = c.nextRun(new Date(next))?.getTime() ?? null;
  }
  if (next !== null && next <= now) {
    const meanGap = (dueAt - due) / (points - 1);
    const latest = c.previousRuns(1, new Date(now + 1))[0]?.getTime() ?? dueAt;
    points += Math.max(1, Math.round((latest - dueAt) / meanGap));
    dueAt = latest;
    next = c.nextRun(new Date(now))?.getTime() ?? null;
  }
  return { dueAt, next, points };
}

/** The gap between the run at `at` and the one after (for the failure backoff), ms; at least a minute. */
export function cronGapMs(spec: CronSpec, at: number): number {
  const next = nextCronRun(spec, at);
  return next === null ? 60_000 : Math.max(60_000, next - at);
}
