// Retention of finished jobs: pulse_jobs would otherwise grow by every run (executions are capped
// per schedule; jobs were not). Finished jobs older than maxAgeMs, or beyond the newest `keep`,
// are deleted in batches of short statements, so that nothing (the ticker, a claim) waits long on
// them; queued and running jobs are never touched. Runs in processes with a ticker (serve).
import type { Kysely } from 'kysely';
import { sql } from '../db/kysely.js';
import type { Clock } from '../clock.js';
import type { Dialect } from '../db/migrations.js';
import type { Schema } from '../db/schema.js';
import type { Logger } from '../logger.js';

export interface JobRetention {
  /** Finished jobs kept at most (the newest), default 10,000. */
  keep: number;
  /** Finished jobs older than this are deleted, ms (default 7 days). */
  maxAgeMs: number;
  /** Rows per delete statement (default 500). */
  batch?: number;
  /** Time between two prunes, ms (default 60 s). */
  everyMs?: number;
}

export const DEFAULT_JOB_RETENTION: JobRetention = { keep: 10_000, maxAgeMs: 7 * 24 * 3600_000 };

/** The id of the newest finished job beyond `keep` (everything up to it goes), or null. */
export function keepBoundaryQuery(db: Kysely<Schema>, keep: number) {
  return db
    .selectFrom('pulse_jobs')
    .select('id')
    .where('completed_at', 'is not', null)
    .orderBy('id', 'desc')
    .offset(keep)
    .limit(1)
    .compile();
}

/** Deletes up to `batch` finished jobs completed before `cutoff` or with an id up to `boundary`. */
export function pruneBatchQuery(db: Kysely<Schema>, dialect: Dialect, f: { cutoff: number; boundary: string | null; batch: number }) {
  let pick = db
    .selectFrom('pulse_jobs')
    .select('id')
    .where('completed_at', 'is not', null)
    .where((eb) => (f.boundary === null ? eb('completed_at', '<', f.cutoff) : eb.or([eb('completed_at', '<', f.cutoff), eb('id', '<=', f.boundary)])))
    .limit(f.batch);
  // Two servers pruning at once take different rows instead of waiting on each other.
  if (dialect === 'postgres') pick = pick.forUpdate().skipLocked();
  return db.deleteFrom('pulse_jobs').where('id', 'in', pick).compile();
}

/** SQLite: after bulk deletes, a checkpoint lets the WAL start over (cut to its size limit). */
export const checkpointQuery = sql`pragma wal_checkpoint(PASSIVE)`;

/** Calls `prune` every `everyMs` on the injected clock until stopped. */
export class JobPruner {
  private stopper: AbortController | null = null;
  private loop: Promise<void> | null = null;

  constructor(
    private readonly o: { clock: Clock; logger: Logger; everyMs: number; prune: () => Promise<number> },
  ) {}

  start(): void {
    if (this.loop) return;
    const stopper = (this.stopper = new AbortController());
    this.loop = (async () => {
      while (!stopper.signal.aborted) {
        await this.o.clock.sleep(this.o.everyMs, stopper.signal);
        if (stopper.signal.aborted) return;
        try {
          const n = await this.o.prune();
          if (n) this.o.logger.debug({ deleted: n }, 'finished jobs pruned');
        } catch (err) {
          this.o.logger.warn({ err }, 'could not prune finished jobs');
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopper?.abort();
    await this.loop;
    this.loop = null;
  }
}
