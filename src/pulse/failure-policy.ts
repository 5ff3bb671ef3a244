// What a failed run does to its schedule, as Windmill and n8n users expect: the next run waits
// longer (2, 4, 8… intervals, at most an hour, on the schedule's own grid), and after
// max_failures failures in a row the schedule is paused with the reason. Pure.
import { backoffDelay } from '../backoff.js';
import { cronGapMs, cronRunAtOrAfter } from './cron.js';
import { gridPointAtOrAfter } from './grid.js';
import type { ScheduleRow } from './rows.js';

/** The longest extra wait after failures, ms. */
export const FAILURE_BACKOFF_CAP_MS = 3600_000;
const REASON_MAX = 500;

/** The columns to set on a schedule whose run (the latest) failed with `error` at `now`. */
export function planFailure(s: ScheduleRow, error: string, now: number): Partial<ScheduleRow> {
  const failures = s.consecutive_failures + 1;
  const set: Partial<ScheduleRow> = { consecutive_failures: failures, last_status: 'failed', updated_at: now };
  if (s.state !== 'active') return set;
  if (s.max_failures > 0 && failures >= s.max_failures) {
    return { ...set, state: 'paused', paused_reason: `failing: ${clip(error)}` };
  }
  if (s.watch === 1) {
    // A watcher retries its batch after 2, 4, 8… s (at most an hour): its next run waits until then.
    const wait = backoffDelay(failures, { baseMs: 2000, maxMs: FAILURE_BACKOFF_CAP_MS, jitter: 0 });
    return { ...set, next_run_at: now + wait };
  }
  if (s.next_run_at === null) return set;
  if (s.cron) {
    // A cron schedule waits 2, 4, 8… of its gaps, then takes its first time after that.
    const spec = { cron: s.cron, timezone: s.timezone ?? null };
    const wait = backoffDelay(failures, { baseMs: 2 * cronGapMs(spec, s.next_run_at), maxMs: FAILURE_BACKOFF_CAP_MS, jitter: 0 });
    const at = cronRunAtOrAfter(spec, now + wait);
    return at === null ? set : { ...set, next_run_at: Math.max(s.next_run_at, at) };
  }
  if (s.interval_seconds === 0) return set;
  const interval = s.interval_seconds * 1000;
  const wait = backoffDelay(failures, { baseMs: 2 * interval, maxMs: FAILURE_BACKOFF_CAP_MS, jitter: 0 });
  return { ...set, next_run_at: Math.max(s.next_run_at, gridPointAtOrAfter(s.next_run_at, interval, now + wait)) };
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > REASON_MAX ? `${line.slice(0, REASON_MAX - 1)}…` : line;
}
