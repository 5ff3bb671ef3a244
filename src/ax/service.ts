// The AX service the API and the CLI use: run a query (text or filter) with its `so` actions,
// complete a query being typed, and write or retract aliases.
import { valuesByPrefix } from '../ats/completion.js';
import type { AttestationService } from '../ats/service.js';
import type { Attestation } from '../ats/types.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { HandlerRegistry } from '../ix/handler-registry.js';
import type { AxCompletionDto, AxResponseDto } from '../protocol.js';
import { startAxActions, type ScheduleCreator } from './actions.js';
import { AliasEdges } from './alias-edges.js';
import { ALIAS_PREDICATE } from './aliases.js';
import { completeAx } from './completion.js';
import { AxEngine } from './engine.js';
import { parseAx } from './parser.js';
import { AxReader, type AxReadRequest } from './reader.js';
import type { SamenessConfig } from './sameness/config.js';

export interface AxServiceOptions {
  ats: AttestationService;
  database: Database;
  clock: Clock;
  handlers: HandlerRegistry;
  pulse: ScheduleCreator;
  sameness: SamenessConfig;
}

export interface AxRequest extends AxReadRequest {
  /** false: start no `so` action. */
  actions?: boolean | undefined;
  /** For `so`: run every N seconds (0 or absent: once). */
  every?: number | undefined;
  created_from?: string | undefined;
}

export class AxService {
  readonly engine: AxEngine;
  readonly reader: AxReader;

  constructor(private readonly o: AxServiceOptions) {
    this.engine = new AxEngine({ store: o.ats.store, aliasEdges: new AliasEdges(o.database), clock: o.clock, sameness: o.sameness });
    this.reader = new AxReader(this.engine, o.ats.store, o.clock, o.sameness);
  }

  get sameness(): SamenessConfig {
    return this.o.sameness;
  }

  async query(req: AxRequest): Promise<AxResponseDto> {
    const read = this.reader.read(req.query);
    const res = await this.reader.run(read, req);
    if (read.filter.so?.length && !req.cursor && req.actions !== false) {
      // A later page of the same query does not start the actions again.
      const q = read.parsed ?? parseAx(read.text);
      res.actions = await startAxActions(this.o.pulse, q, { intervalSeconds: req.every ?? 0, createdFrom: req.created_from });
    }
    return res;
  }

  /** How many attestations a query matches (aliases widened; no sameness, no paging). */
  count(query: unknown): Promise<number> {
    return this.reader.count(query);
  }

  complete(text: string, pos: number): Promise<AxCompletionDto> {
    return completeAx(text, pos, {
      values: (field, prefix, limit) => valuesByPrefix(this.o.database, field, prefix, limit),
      types: async (prefix) => (await this.o.handlers.list()).map((h) => h.script_type).filter((t) => t.startsWith(prefix)),
    });
  }

  /** `as A is alias of B`. */
  async alias(a: string, b: string, origin: { actor: string; source: string }): Promise<Attestation> {
    if (a === b) throw new ValidationError('an alias of itself', { details: [`alias=${a}`], hint: 'name two different identifiers' });
    return (await this.o.ats.attest({ subjects: [a], predicates: [ALIAS_PREDICATE], contexts: [b] }, origin)).attestation;
  }

  /** Retracts the alias both ways (whichever directions were attested and are still alive). */
  async unalias(a: string, b: string, origin: { actor: string; source: string }): Promise<Attestation[]> {
    const out: Attestation[] = [];
    for (const [s, c] of [[a, b], [b, a]] as const) {
      const page = await this.o.ats.store.query({ subjects: [s], predicates: [ALIAS_PREDICATE], contexts: [c], limit: 1 });
      const newest = page.items[0];
      if (!newest || newest.attributes.retracted === true) continue;
      out.push((await this.o.ats.attest({ subjects: [s], predicates: [ALIAS_PREDICATE], contexts: [c], attributes: { retracted: true, retracts: newest.id } }, origin)).attestation);
    }
    if (!out.length) throw new NotFoundError(`no alias between '${a}' and '${b}'`, { details: [`alias=${a}`, `of=${b}`] });
    return out;
  }
}
