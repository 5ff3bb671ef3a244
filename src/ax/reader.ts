// What an AX query reads, without its `so` actions: the page of results (sameness, summary,
// aliases widened) and the count. AxService adds the actions, completion and aliases on top; the
// CLI's `qntx ax` uses this alone for a query without `so`, so it loads no Pulse or Python runner.
import type { AttestationStore } from '../ats/store.js';
import type { Clock } from '../clock.js';
import { ValidationError } from '../errors.js';
import type { AxResponseDto } from '../protocol.js';
import type { AxEngine } from './engine.js';
import { readAxQuery, type ReadQuery } from './read-query.js';
import type { SamenessConfig, SamenessWindows } from './sameness/config.js';

export interface AxReadRequest {
  query: unknown;
  limit?: number | undefined;
  cursor?: string | undefined;
  all?: boolean | undefined;
  /** Leave out system attestations. */
  exclude_system?: boolean | undefined;
  /** Overrides of the sameness windows for this request. */
  windows?: Partial<SamenessWindows> | undefined;
}

export class AxReader {
  constructor(
    readonly engine: AxEngine,
    private readonly store: AttestationStore,
    private readonly clock: Clock,
    readonly sameness: SamenessConfig,
  ) {}

  /** The query read (text parsed and compiled at the clock's now, or a structured filter checked). */
  read(query: unknown): ReadQuery {
    return readAxQuery(query, { now: this.clock.now() });
  }

  /** A page of what `read` matches. */
  async run(read: ReadQuery, req: Omit<AxReadRequest, 'query'>): Promise<AxResponseDto> {
    const sameness = req.windows ? { ...this.sameness, ...req.windows } : undefined;
    return this.engine.run(read.filter, { limit: req.limit, cursor: req.cursor, all: req.all, sameness, excludeSystem: req.exclude_system });
  }

  /** A page of a query's results; its `so` clause, if any, is not acted on here. */
  async query(req: AxReadRequest): Promise<AxResponseDto> {
    return this.run(this.read(req.query), req);
  }

  /** How many attestations a query matches (aliases widened; no sameness, no paging). */
  async count(query: unknown): Promise<number> {
    const read = this.read(query);
    if (read.filter.over) {
      throw new ValidationError('a count cannot apply over', { details: ['clause=over'], hint: 'leave out over N, or page through the results' });
    }
    const prepared = await this.engine.prepare(read.filter);
    return this.store.count(prepared.store);
  }
}
