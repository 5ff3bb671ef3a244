// The schedule service: create from an ats_code through the injected resolver (routing happens
// once, here), pause, resume, change the interval, trigger now, delete; executions are read here.
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { isUniqueViolation } from '../db/unique-violation.js';
import { ConflictError, NotFoundError, ValidationError, issuesToDetails } from '../errors.js';
import type { ExecutionDto, ScheduleDto, ScheduleStatsDto } from '../protocol.js';
import type { Catalog } from './catalog.js';
import { jobUpdate, scheduleUpdate, type PulseEvents } from './events.js';
import { checkTimezone, cronRunAtOrAfter, nextCronRun, validateCron } from './cron.js';
import { gridPointAtOrAfter } from './grid.js';
import type { PulseIds } from './ids.js';
import type { Paging } from './job-store.js';
import { executionToDto, newScheduleRow, scheduleToDto, type NewSchedule, type Page, type ScheduleRow } from './rows.js';
import { DEFAULT_BATCH_SIZE, DEFAULT_MAX_PENDING, DEFAULT_MAX_RUNS_PER_MINUTE, watchFields } from './watch-input.js';
import { ActiveCapReached, type JobDefaults } from './schedule-ops.js';
import type { ScheduleFilter, ScheduleStore } from './schedule-store.js';

/**
 * Parses and routes an ats_code (e.g. "ix webhook") to a handler and its payload. Throws a
 * QntxError (e.g. code 'no_ingest_script' with details ["script_type=webhook"]) that Pulse passes
 * through unchanged, so its message, details and hint reach the HTTP client.
 */
export type ScheduleResolver = (atsCode: string) => Promise<{ handler_name: string; payload: unknown }>;

const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;
const interval = z.number().int().min(0).max(MAX_INTERVAL_SECONDS);

/** Failures in a row after which the schedule is paused (0 = never). */
const maxFailures = z.number().int().min(0).max(1000);
/** The handler's timeout for this schedule's runs, s (null: the handler's default); at most a day. */
const timeoutSeconds = z.number().int().min(1).max(24 * 3600).nullable();
/** A five-field cron expression (checked by croner in the service) and its IANA zone. */
const cron = z.string().trim().min(1).max(200);
const timezone = z.string().trim().min(1).max(100).nullable();
/** Who keeps the schedule (e.g. "glyph:<id>"): at most one schedule per owner. */
const owner = z.string().min(1).max(200);

export const createScheduleInput = z
  .object({
    ats_code: z.string().trim().min(1).max(10_000),
    interval_seconds: interval.optional(),
    cron: cron.nullish(),
    timezone: timezone.optional(),
    created_from: z.string().min(1).max(200).nullish(),
    max_failures: maxFailures.optional(),
    timeout_seconds: timeoutSeconds.optional(),
    owner: owner.nullish(),
    ...watchFields,
  })
  .superRefine((v, ctx) => {
    const hasCron = v.cron !== undefined && v.cron !== null;
    if (v.watch) {
      // A watcher runs on new data: no interval, no cron.
      if (hasCron) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'a watcher runs on new attestations, not on cron times' });
      if (v.interval_seconds) ctx.addIssue({ code: 'custom', path: ['interval_seconds'], message: 'a watcher runs on new attestations, not on an interval' });
      return;
    }
    for (const k of ['batch_size', 'max_runs_per_minute', 'max_pending', 'attributes'] as const) {
      if (v[k] !== undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'only a watcher (watch: true) takes it' });
    }
    if (!hasCron && v.interval_seconds === undefined) ctx.addIssue({ code: 'custom', path: ['interval_seconds'], message: 'give interval_seconds or cron' });
    if (hasCron && v.interval_seconds !== undefined && v.interval_seconds !== 0) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give interval_seconds or cron, not both' });
    if (!hasCron && v.timezone) ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'a time zone needs a cron expression' });
  });
export type CreateScheduleInput = z.input<typeof createScheduleInput>;

export const patchScheduleInput = z
  .object({
    interval_seconds: interval.optional(),
    state: z.enum(['active', 'paused']).optional(),
    max_failures: maxFailures.optional(),
    timeout_seconds: timeoutSeconds.optional(),
    ats_code: z.string().trim().min(1).max(10_000).optional(),
    owner: owner.nullable().optional(),
    cron: cron.optional(),
    timezone: timezone.optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.cron !== undefined && v.interval_seconds !== undefined) ctx.addIssue({ code: 'custom', path: ['cron'], message: 'give interval_seconds or cron, not both' });
  });
export type PatchScheduleInput = z.input<typeof patchScheduleInput>;

export interface ScheduleServiceOptions {
  schedules: ScheduleStore;
  catalog: Catalog;
  resolver: ScheduleResolver;
  clock: Clock;
  ids: PulseIds;
  events: PulseEvents;
  jobDefaults: JobDefaults;
  /** A schedule changed: the ticker looks again. */
  onChange(): void;
  /** A job was created: the worker claims it. */
  onFired(): void;
  /** Active schedules at most: creating or resuming one more is a 409 (unset: no cap). */
  maxActive?: number;
  /** A running job of a deleted schedule: abort it if it runs in this process. */
  abortJob(jobId: string): void;
  /** Where a new watcher starts (watcher.ts); without it watchers cannot be made. */
  watchStart?: (payload: unknown, now: number) => Promise<number>;
}

export class ScheduleService {
  constructor(private readonly o: ScheduleServiceOptions) {}

  async create(input: CreateScheduleInput): Promise<ScheduleDto> {
    return (await this.upsert(input)).schedule;
  }

  /**
   * Creates a schedule, or, when `owner` already keeps one, updates that one with what is given
   * (ats_code, interval, limits) and keeps the rest (state, grid, handler state).
   */
  async upsert(input: CreateScheduleInput): Promise<{ schedule: ScheduleDto; created: boolean }> {
    const v = parse(createScheduleInput, input, 'invalid schedule');
    const cronSpec = v.cron ? validateCron({ cron: v.cron, timezone: v.timezone ?? null }) : null;
    if (v.owner) {
      const owned = await this.o.schedules.getByOwner(v.owner);
      if (owned && owned.watch === 1 !== !!v.watch) {
        // A watcher and a timed schedule keep different positions: one does not become the other.
        throw new ConflictError(`owner ${v.owner} keeps a ${owned.watch === 1 ? 'watcher' : 'timed schedule'} already`, {
          details: [`owner=${v.owner}`, `schedule_id=${owned.id}`, `watch=${owned.watch === 1}`],
          hint: 'delete that schedule first',
        });
      }
      if (owned) return { schedule: await this.updateOwned(owned, v), created: false };
    }
    const routed = await this.route(v.ats_code);
    const now = this.o.clock.now();
    const watch = v.watch ? await this.watchSettings(v, routed.payload, now) : null;
    // A cron schedule's first run is its first time after now.
    const first = cronSpec ? nextCronRun(cronSpec, now) : now;
    if (first === null) throw new ValidationError(`cron expression '${cronSpec?.cron ?? ''}' never fires`, { details: [`cron=${cronSpec?.cron ?? ''}`] });
    const row = newScheduleRow({
      id: this.o.ids.next('SC'),
      ats_code: v.ats_code,
      handler_name: routed.handler_name,
      payload: routed.payload,
      interval_seconds: cronSpec ? 0 : (v.interval_seconds ?? 0),
      // The first run is now (or the first cron time); the grid is created_at + k * interval from there.
      next_run_at: first,
      ...(cronSpec ? { cron: cronSpec.cron, timezone: cronSpec.timezone } : {}),
      created_from: v.created_from ?? null,
      now,
      ...(v.max_failures === undefined ? {} : { max_failures: v.max_failures }),
      timeout_seconds: v.timeout_seconds ?? null,
      owner: v.owner ?? null,
      watch,
    });
    const saved = await this.capped(() => this.o.schedules.insert(row, { maxActive: this.o.maxActive, unlessOwned: !!v.owner }));
    // Another request made the owner's schedule between our look and our insert: update it.
    if (!saved) return { schedule: await this.updateOwned(await this.ownedRow(v.owner!), v), created: false };
    this.changed(saved);
    return { schedule: scheduleToDto(saved), created: true };
  }

  private async watchSettings(v: z.output<typeof createScheduleInput>, payload: unknown, now: number): Promise<NonNullable<NewSchedule['watch']>> {
    if (!this.o.watchStart) throw new ValidationError('watchers are not available here', { details: ['watch=true'] });
    return {
      cursor: await this.o.watchStart(payload, now),
      batch_size: v.batch_size ?? DEFAULT_BATCH_SIZE,
      max_runs_per_minute: v.max_runs_per_minute ?? DEFAULT_MAX_RUNS_PER_MINUTE,
      max_pending: v.max_pending ?? DEFAULT_MAX_PENDING,
      attributes: v.attributes ?? [],
    };
  }

  private updateOwned(before: ScheduleRow, v: z.output<typeof createScheduleInput>): Promise<ScheduleDto> {
    const id = before.id;
    const limits = {
      ...(v.max_failures === undefined ? {} : { max_failures: v.max_failures }),
      ...(v.timeout_seconds === undefined ? {} : { timeout_seconds: v.timeout_seconds }),
    };
    // A watcher has no timing to change: its query and limits; its cursor stays.
    if (before.watch === 1) return this.update(id, { ats_code: v.ats_code, ...limits });
    // Same interval or cron: the grid stays. Interval 0: run once more, now.
    const cron = v.cron ?? null;
    const zone = cron ? (v.timezone ?? null) : null;
    const interval = v.interval_seconds ?? 0;
    const again = !cron && interval === 0;
    const timing = cron
      ? cron !== before.cron || zone !== before.timezone
        ? { cron, timezone: zone }
        : {}
      : again
        ? { interval_seconds: 0, state: 'active' as const }
        : interval !== before.interval_seconds || !!before.cron
          ? { interval_seconds: interval }
          : {};
    return this.update(id, {
      ats_code: v.ats_code,
      ...timing,
      ...(v.max_failures === undefined ? {} : { max_failures: v.max_failures }),
      ...(v.timeout_seconds === undefined ? {} : { timeout_seconds: v.timeout_seconds }),
    });
  }

  private async ownedRow(owner: string): Promise<ScheduleRow> {
    const row = await this.o.schedules.getByOwner(owner);
    if (!row) throw new ConflictError(`the schedule of owner ${owner} changed while it was saved`, { details: [`owner=${owner}`], hint: 'try again' });
    return row;
  }

  private async route(atsCode: string): Promise<{ handler_name: string; payload: unknown }> {
    const routed = await this.o.resolver(atsCode);
    this.o.catalog.parse(routed.handler_name, routed.payload);
    return routed;
  }

  async get(id: string): Promise<ScheduleDto> {
    return scheduleToDto(await this.row(id));
  }

  async list(filter: ScheduleFilter = {}, paging: Paging = {}): Promise<Page<ScheduleDto>> {
    const page = await this.o.schedules.list(filter, paging);
    return { items: page.items.map(scheduleToDto), next_cursor: page.next_cursor };
  }

  /** Changes the interval and/or pauses or resumes (see docs/pulse.md for the grid rules). */
  async update(id: string, patch: PatchScheduleInput): Promise<ScheduleDto> {
    const p = parse(patchScheduleInput, patch, 'invalid schedule change');
    const now = this.o.clock.now();
    const before = await this.row(id);
    if (before.watch === 1 && (p.interval_seconds !== undefined || p.cron !== undefined || p.timezone !== undefined)) {
      throw new ValidationError('a watcher runs on new attestations, not on times', {
        details: [`schedule_id=${id}`, 'watch=true'],
        hint: 'delete it and make a schedule with an interval or cron instead',
      });
    }
    const cronAfter = p.cron ?? (p.interval_seconds === undefined ? before.cron : null);
    if (cronAfter !== null && (p.cron !== undefined || p.timezone !== undefined)) {
      validateCron({ cron: cronAfter, timezone: p.timezone === undefined ? before.timezone : p.timezone });
    } else if (p.timezone != null) {
      // As at creation: a zone is read only with a cron expression, so one given alone is refused, not dropped.
      checkTimezone(p.timezone);
      throw new ValidationError('a time zone needs a cron expression', {
        details: [`timezone=${p.timezone}`, `schedule=${id}`],
        hint: 'give cron with it, or leave timezone out for an interval schedule',
      });
    }
    const routed = p.ats_code === undefined || p.ats_code === before.ats_code ? undefined : await this.route(p.ats_code);
    const row = await this.capped(() =>
      this.o.schedules.patch(
        id,
        (s) => {
          const set = planPatch(s, p, now);
          return routed ? { ...set, updated_at: now, handler_name: routed.handler_name, payload: JSON.stringify(routed.payload ?? null) } : set;
        },
        this.o.maxActive,
      ),
    )
      .catch((err: unknown) => {
        if (!isUniqueViolation(err)) throw err;
        throw new ConflictError(`owner ${p.owner ?? ''} keeps another schedule already`, {
          details: [`schedule_id=${id}`, `owner=${p.owner ?? ''}`],
          hint: 'one schedule per owner: delete or re-own the other one first',
          cause: err,
        });
      });
    if (!row) throw notFound(id);
    this.changed(row);
    return scheduleToDto(row);
  }

  pause(id: string): Promise<ScheduleDto> {
    return this.update(id, { state: 'paused' });
  }

  resume(id: string): Promise<ScheduleDto> {
    return this.update(id, { state: 'active' });
  }

  /** Runs the schedule now, in any state; a 409 while its previous execution still runs. */
  async trigger(id: string): Promise<ExecutionDto> {
    // A watcher's runs are its batches: a run outside them would hand what the cursor does not know.
    if ((await this.row(id)).watch === 1) {
      throw new ValidationError(`schedule ${id} is a watcher: it runs when matching attestations come`, {
        details: [`schedule_id=${id}`, 'watch=true'],
        hint: 'pause and resume it, or run the query once with ax … so <type>',
      });
    }
    const res = await this.o.schedules.trigger({ id, now: this.o.clock.now(), ids: this.o.ids, jobDefaults: this.o.jobDefaults });
    if (!res) throw notFound(id);
    if (res.kind === 'running') {
      throw new ConflictError(`schedule ${id} is already running`, {
        details: [`schedule_id=${id}`, `execution_id=${res.schedule.last_execution_id ?? ''}`],
        hint: 'Wait for the running execution to finish, or cancel its job',
      });
    }
    this.o.events.emit(scheduleUpdate(res.fired.schedule));
    this.o.events.emit(jobUpdate(res.fired.job));
    this.o.onFired();
    return executionToDto(res.fired.execution);
  }

  /** Deletes the schedule and its executions; its queued job is cancelled, a running one aborted. */
  async delete(id: string): Promise<void> {
    const res = await this.o.schedules.delete(id, this.o.clock.now());
    if (!res) throw notFound(id);
    for (const job of [...res.cancelled, ...res.cancelRequested]) this.o.events.emit(jobUpdate(job));
    for (const job of res.cancelRequested) this.o.abortJob(job.id);
    this.o.events.emit({ type: 'schedule_update', schedule: null, schedule_id: id, deleted: true });
    this.o.onChange();
  }

  /** Lifetime counts (what pruning deleted was added to the schedule's totals) and the last 50 runs. */
  async stats(id: string): Promise<ScheduleStatsDto> {
    const s = await this.row(id);
    const [kept, last] = await Promise.all([this.o.schedules.executionTotals(id), this.o.schedules.listExecutions(id, { limit: 50 })]);
    return {
      schedule_id: id,
      total: Number(s.pruned_runs) + kept.runs,
      completed: Number(s.pruned_completed) + kept.completed,
      failed: Number(s.pruned_failed) + kept.failed,
      running: kept.running,
      skipped: s.skipped_count,
      attestations_created: Number(s.pruned_attestations) + kept.attestations,
      last: last.items.map((e) => ({
        execution_id: e.id,
        status: e.status,
        started_at: e.started_at,
        duration_ms: e.duration_ms,
        attestations_created: e.attestations_created,
      })),
    };
  }

  async getExecution(id: string): Promise<ExecutionDto> {
    const row = await this.o.schedules.getExecution(id);
    if (!row) throw new NotFoundError(`execution ${id} not found`, { details: [`execution_id=${id}`] });
    return executionToDto(row);
  }

  async listExecutions(scheduleId: string, paging: Paging = {}): Promise<Page<ExecutionDto>> {
    await this.row(scheduleId);
    const page = await this.o.schedules.listExecutions(scheduleId, paging);
    return { items: page.items.map(executionToDto), next_cursor: page.next_cursor };
  }

  /** Runs a write that may make a schedule active: over the cap (counted in its transaction), a 409. */
  private async capped<T>(write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (!(err instanceof ActiveCapReached)) throw err;
      const max = this.o.maxActive ?? 0;
      throw new ConflictError(`too many active schedules (${err.active}, the cap is ${max})`, {
        details: [`active_schedules=${err.active}`, `max_active_schedules=${max}`],
        hint: 'pause or delete schedules, or raise QNTX_MAX_ACTIVE_SCHEDULES',
      });
    }
  }

  private async row(id: string): Promise<ScheduleRow> {
    const row = await this.o.schedules.get(id);
    if (!row) throw notFound(id);
    return row;
  }

  private changed(row: ScheduleRow): void {
    this.o.events.emit(scheduleUpdate(row));
    this.o.onChange();
  }
}

/**
 * The columns a patch sets. A new interval restarts the grid at the last run (or now): the next
 * run is last_run_at + interval, or now if that has passed. Interval 0 on a schedule that already
 * ran makes it inactive. Resuming keeps the grid and takes its first point at or after now.
 */
export function planPatch(s: ScheduleRow, p: z.output<typeof patchScheduleInput>, now: number): Partial<ScheduleRow> | null {
  const timing = p.interval_seconds !== undefined || p.cron !== undefined || (p.timezone !== undefined && !!s.cron);
  const nothing =
    !timing &&
    p.state === undefined &&
    p.max_failures === undefined &&
    p.timeout_seconds === undefined &&
    (p.ats_code === undefined || p.ats_code === s.ats_code) &&
    p.owner === undefined;
  if (nothing) return null;
  const set: Partial<ScheduleRow> = { updated_at: now };
  if (p.ats_code !== undefined) set.ats_code = p.ats_code;
  if (p.owner !== undefined) set.owner = p.owner;
  if (p.max_failures !== undefined) set.max_failures = p.max_failures;
  if (p.timeout_seconds !== undefined) set.timeout_seconds = p.timeout_seconds;
  if (!timing && p.state === undefined) return set;
  const state = p.state ?? (s.state === 'paused' ? 'paused' : 'active');
  set.state = state;
  // Resuming (or pausing by hand) starts the failure count afresh.
  if (p.state !== undefined && p.state !== s.state) Object.assign(set, { consecutive_failures: 0, paused_reason: null });
  if (p.cron !== undefined || (p.timezone !== undefined && !!s.cron && p.interval_seconds === undefined)) {
    // A new expression or zone: the next run is its first time after now.
    const spec = { cron: p.cron ?? s.cron!, timezone: p.timezone === undefined ? s.timezone : p.timezone };
    Object.assign(set, { cron: spec.cron, timezone: spec.timezone, interval_seconds: 0 });
    set.next_run_at = nextCronRun(spec, now);
    if (set.next_run_at === null) set.state = 'inactive';
  } else if (p.interval_seconds !== undefined) {
    set.interval_seconds = p.interval_seconds;
    // An interval replaces a cron expression.
    Object.assign(set, { cron: null, timezone: null });
    if (p.interval_seconds === 0) {
      // Asked to be active with interval 0: it runs once more, now (a glyph's Run again).
      const done = s.last_run_at !== null && p.state !== 'active';
      set.next_run_at = done ? null : now;
      if (done) set.state = 'inactive';
    } else {
      set.next_run_at = Math.max(now, (s.last_run_at ?? now) + p.interval_seconds * 1000);
    }
  } else if (state === 'active' && s.state !== 'active') {
    if (s.cron) {
      set.next_run_at = cronRunAtOrAfter({ cron: s.cron, timezone: s.timezone ?? null }, now);
      if (set.next_run_at === null) set.state = 'inactive';
    } else {
      const ms = s.interval_seconds * 1000;
      set.next_run_at = s.interval_seconds === 0 || s.next_run_at === null ? now : gridPointAtOrAfter(s.next_run_at, ms, now);
    }
  }
  return set;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, message: string): z.output<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new ValidationError(message, { details: issuesToDetails(r.error.issues) });
  return r.data;
}

function notFound(id: string): NotFoundError {
  return new NotFoundError(`schedule ${id} not found`, { details: [`schedule_id=${id}`] });
}
