// The job catalogue: handlers registered by name, each with a zod payload schema, a default
// timeout and retry budget, and the function that runs a job.
import type { z } from 'zod';
import { QntxError, ValidationError, issuesToDetails } from '../errors.js';
import type { Logger } from '../logger.js';
import type { JobDto } from '../protocol.js';
import type { BatchCounts, BatchWork, SourceState } from './source-state.js';
import type { ScheduleState, StateWork } from './state-store.js';

/** The ingest state of one source (handler type + arguments), shared by all its runs. */
export interface SourceHandle {
  get(): Promise<SourceState>;
  /**
   * Commits `work` (a batch of attestations), the source's state (when given) and this run's
   * counts in one transaction. `final` marks the run's success (the next run's last_run).
   */
  commit(c: { state?: unknown; final?: boolean }, work?: BatchWork): Promise<BatchCounts>;
}

export interface HandlerContext<P = unknown> {
  readonly job: JobDto;
  /** The payload, parsed by the handler's schema. */
  readonly payload: P;
  /** Aborts on cancel, timeout, lost lease and shutdown; `signal.reason` says which. */
  readonly signal: AbortSignal;
  /** Reports progress; persisted and published at most 4 times a second. */
  progress(current: number, total?: number | null): void;
  readonly executionId: string | null;
  readonly scheduleId: string | null;
  readonly log: Logger;
  /** The schedule's saved state and last successful run ({null, null} outside a schedule). */
  getState(): Promise<ScheduleState>;
  /**
   * Saves the schedule's state now, running `work` in the same database transaction (the last
   * attestation batch, for example). See StateWork for what `work` receives on each database.
   */
  saveState(state: unknown, work?: StateWork): Promise<void>;
  /** The ingest state of a source (e.g. `git <repo>`): what built-in ingesters and handlers resume from. */
  source(key: string): SourceHandle;
}

export interface HandlerResult {
  stdout?: string;
  stderr?: string;
  stdoutTruncated?: boolean;
  stderrTruncated?: boolean;
  /** Undefined: the run counted its attestations itself, batch by batch (SourceHandle.commit). */
  attestationsCreated?: number;
  handlerVersion?: number | null;
  /** Saved as the schedule's state when the run succeeds; undefined leaves it unchanged. */
  state?: unknown;
}

export interface HandlerDef<P = unknown> {
  readonly name: string;
  readonly payload: z.ZodType<P>;
  /** Wall-clock limit of one attempt, ms. */
  readonly timeoutMs: number;
  /** Retries after the first attempt (0 = one attempt only). */
  readonly maxRetries: number;
  run(ctx: HandlerContext<P>): Promise<HandlerResult | void>;
}

export class UnknownHandlerError extends QntxError {
  constructor(name: string, known: readonly string[]) {
    super('unknown_handler', 400, `unknown handler '${name}'`, {
      details: [`handler=${name}`],
      hint: known.length ? `Known handlers: ${known.join(', ')}` : 'No handler is registered',
    });
  }
}

export class Catalog {
  private readonly defs = new Map<string, HandlerDef>();

  register<P>(def: HandlerDef<P>): this {
    if (this.defs.has(def.name)) throw new Error(`handler '${def.name}' is already registered`);
    this.defs.set(def.name, def as unknown as HandlerDef);
    return this;
  }

  get(name: string): HandlerDef | undefined {
    return this.defs.get(name);
  }

  require(name: string): HandlerDef {
    const def = this.defs.get(name);
    if (!def) throw new UnknownHandlerError(name, this.names());
    return def;
  }

  names(): string[] {
    return [...this.defs.keys()].sort();
  }

  /** Validates a payload for a handler; the error names the handler and each bad field. */
  parse(name: string, payload: unknown): unknown {
    const def = this.require(name);
    const r = def.payload.safeParse(payload);
    if (!r.success) {
      throw new ValidationError(`invalid payload for handler '${name}'`, {
        details: [`handler=${name}`, ...issuesToDetails(r.error.issues)],
      });
    }
    return r.data;
  }
}
