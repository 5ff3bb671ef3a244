// The watch loop (docs/watchers.md): hands each watcher's new matches to a run. It wakes when
// attestations are committed in this process (the `attestations_created` event), when a run of a
// watcher ends, and at least every second (attestations written by other processes), and never
// polls busily. Matching is injected (the AX layer compiles the queries): Pulse knows only seqs.
import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { WatchCondition } from '../protocol.js';
import type { TxRunner } from '../db/tx.js';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { jobUpdate, scheduleUpdate, type PulseEvents } from './events.js';
import type { PulseIds } from './ids.js';
import type { ScheduleRow } from './rows.js';
import type { JobDefaults } from './schedule-ops.js';
import type { ScheduleStore } from './schedule-store.js';
import { advanceWatchOp, dueWatchersQuery, fireWatchOp, nextWatchQuery, type WatchBatch } from './watch-ops.js';
import { Waker } from './waker.js';

/** A watcher as its matcher sees it. */
export interface WatchTarget {
  id: string;
  /** The schedule's payload (the `ax … so <type>` action's: it holds the query). */
  payload: unknown;
  attributes: WatchCondition[];
}

export interface WatchMatches {
  /** The seqs of the first `limit` matches, ascending. */
  seqs: number[];
  /** The longest chain of watcher runs that made one of them (empty: none was made by a watcher). */
  chain: string[];
}

/** What Pulse asks of the store and the query language. */
export interface WatchSource {
  /** The seq up to which every attestation is committed: none with a smaller seq can appear later. */
  horizon(): Promise<number>;
  /** Where a new watcher of this payload starts; throws a ValidationError for a query it cannot watch. */
  start(payload: unknown, now: number): Promise<number>;
  /** The watcher's first `limit` matches with seq in (after, through]. */
  match(w: WatchTarget, after: number, through: number, limit: number): Promise<WatchMatches>;
}

export interface WatchLoopOptions {
  db: Kysely<Schema>;
  runner: TxRunner;
  schedules: ScheduleStore;
  source: WatchSource;
  clock: Clock;
  logger: Logger;
  events: PulseEvents;
  ids: PulseIds;
  jobDefaults: JobDefaults;
  keep: number;
  onFired(): void;
  /** Longest sleep, ms (default 1000). */
  maxSleepMs?: number;
}

export function watchTarget(s: ScheduleRow): WatchTarget {
  return { id: s.id, payload: JSON.parse(s.payload) as unknown, attributes: JSON.parse(s.watch_attributes ?? '[]') as WatchCondition[] };
}

/** Matches waiting for a watcher, counted up to its max_pending + 1. */
export async function pendingMatches(source: WatchSource, s: ScheduleRow): Promise<number> {
  const horizon = await source.horizon();
  const cursor = Number(s.watch_cursor ?? 0);
  if (horizon <= cursor) return 0;
  return (await source.match(watchTarget(s), cursor, horizon, s.watch_max_pending + 1)).seqs.length;
}

export class WatchLoop {
  private readonly waker: Waker;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private unsubscribe: (() => void) | null = null;
  private readonly maxSleepMs: number;

  constructor(private readonly o: WatchLoopOptions) {
    this.waker = new Waker(o.clock);
    this.maxSleepMs = o.maxSleepMs ?? 1000;
  }

  start(): void {
    this.unsubscribe ??= this.o.events.onAny((e) => {
      if (e.type === 'attestations_created' || (e.type === 'schedule_update' && e.schedule?.watch)) this.waker.wake();
    });
    this.loop ??= this.run();
  }

  wake(): void {
    this.waker.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.waker.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.sweep();
        const now = this.o.clock.now();
        const next = (await this.o.runner.run(nextWatchQuery(this.o.db, now))).rows[0]?.at;
        const at = next === null || next === undefined ? null : Number(next);
        await this.waker.wait(at === null ? this.maxSleepMs : Math.max(1, Math.min(this.maxSleepMs, at - now)));
      } catch (err) {
        this.o.logger.error({ err }, 'watch sweep failed');
        await this.waker.wait(this.maxSleepMs);
      }
    }
  }

  /** Hands every due watcher its next batch; returns how many runs it started (tests call it). */
  async sweep(): Promise<number> {
    const due = (await this.o.runner.run(dueWatchersQuery(this.o.db, this.o.clock.now()))).rows;
    if (!due.length) return 0;
    const horizon = await this.o.source.horizon();
    let fired = 0;
    for (const s of due) {
      if (this.stopped) break;
      if (await this.step(s, horizon)) fired++;
    }
    if (fired) this.o.onFired();
    return fired;
  }


  private async step(s: ScheduleRow, horizon: number): Promise<boolean> {
    const w = watchTarget(s);
    const cursor = Number(s.watch_cursor ?? 0);
    let batch: WatchBatch | null = null;
    // A failed run's batch is handed again with the same bounds: the same attestations.
    if (s.last_status === 'failed' && s.last_execution_id) {
      const last = await this.o.schedules.getExecution(s.last_execution_id);
      if (last && last.watch_through !== null && last.watch_through !== undefined && Number(last.watch_after) === cursor) {
        const m = await this.o.source.match(w, cursor, Number(last.watch_through), s.watch_batch_size);
        batch = { after: cursor, through: Number(last.watch_through), chain: [...m.chain, s.id] };
      }
    }
    if (!batch) {
      if (horizon <= cursor) return false;
      // More rows than the bound since the cursor: count the matches (otherwise they cannot pass it).
      if (horizon - cursor > s.watch_max_pending && (await pendingMatches(this.o.source, s)) > s.watch_max_pending) {
        await this.pauseForBacklog(s);
        return false;
      }
      const m = await this.o.source.match(w, cursor, horizon, s.watch_batch_size);
      if (!m.seqs.length) {
        await this.o.runner.transaction(() => advanceWatchOp(this.o.db, this.o.runner.dialect, { id: s.id, after: cursor, through: horizon }));
        return false;
      }
      const full = m.seqs.length >= s.watch_batch_size;
      batch = { after: cursor, through: full ? m.seqs[m.seqs.length - 1]! : horizon, chain: [...m.chain, s.id] };
    }
    const now = this.o.clock.now();
    const spec = { now, ids: this.o.ids, jobDefaults: this.o.jobDefaults, keep: this.o.keep, id: s.id, batch, gapMs: Math.ceil(60_000 / s.watch_max_runs_per_minute) };
    const fired = await this.o.runner.transaction(() => fireWatchOp(this.o.db, this.o.runner.dialect, spec));
    if (!fired) return false;
    this.o.events.emit(scheduleUpdate(fired.schedule));
    this.o.events.emit(jobUpdate(fired.job));
    return true;
  }

  private async pauseForBacklog(s: ScheduleRow): Promise<void> {
    const reason = `backlog: more than ${s.watch_max_pending} matches pending`;
    const row = await this.o.schedules.patch(s.id, (cur) =>
      cur.state === 'active' ? { state: 'paused', paused_reason: reason, updated_at: this.o.clock.now() } : null,
    );
    this.o.logger.warn({ schedule_id: s.id }, `watcher paused: ${reason}`);
    if (row) this.o.events.emit(scheduleUpdate(row));
  }
}
