// What watchers match (docs/watchers.md): the new attestations of an `ax … so <type>` query, read
// in insertion order and checked here one by one — the query's values (as written, without case,
// `x*` a prefix; aliases are not widened), its time bounds, and the watcher's attribute
// conditions. System attestations never match, nor does one made by a run of the same watcher.
// Each match carries the chain of watchers whose runs led to it, read from the run that made it.
import { insertionHorizon, readInsertionRange } from '../ats/insertion-order.js';
import { fold } from '../ats/fold.js';
import { RESERVED_PREDICATES } from '../ats/reserved.js';
import type { Attestation } from '../ats/types.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import { ValidationError } from '../errors.js';
import type { WatchCondition } from '../protocol.js';
import type { RunInput } from '../python/types.js';
import { executionChainsQuery } from '../pulse/watch-ops.js';
import { meetsConditions } from '../pulse/watch-input.js';
import type { WatchMatches, WatchSource, WatchTarget } from '../pulse/watcher.js';
import { inputItem } from './action-input.js';
import { compileAx } from './compile.js';
import { parseAx } from './parser.js';
import type { AxFilter } from './query.js';

/** Rows read per step of a range. */
const CHUNK = 500;

interface Matched {
  seqs: number[];
  items: Attestation[];
  chain: string[];
}

function queryOf(payload: unknown): string {
  const q = (payload as { ax?: { query?: unknown } } | null)?.ax?.query;
  if (typeof q !== 'string') {
    throw new ValidationError('a watcher needs an ax query with so <type>', {
      details: ['watch=true'],
      hint: 'watch an action: ax is signup of web so welcome',
    });
  }
  return q;
}

function valueMatches(asked: readonly string[], values: readonly string[]): boolean {
  const have = values.map(fold);
  return asked.some((a) => {
    if (a.endsWith('\\*')) return have.includes(fold(a.slice(0, -2) + '*'));
    if (a.endsWith('*')) {
      const p = fold(a.slice(0, -1));
      return have.some((h) => h.startsWith(p));
    }
    return have.includes(fold(a));
  });
}

/** Whether an attestation meets the compiled query (fields and time bounds). */
export function meetsFilter(f: AxFilter, a: Attestation): boolean {
  if (a.predicates.some((p) => RESERVED_PREDICATES.has(p))) return false;
  for (const k of ['subjects', 'predicates', 'contexts', 'actors'] as const) {
    const asked = f[k];
    if (asked?.length && !valueMatches(asked, a[k])) return false;
  }
  if (f.time_start !== undefined && a.timestamp < f.time_start) return false;
  if (f.time_end !== undefined && a.timestamp > f.time_end) return false;
  return true;
}

export class AxWatchSource implements WatchSource {
  constructor(private readonly o: { database: Database; clock: Clock }) {}

  horizon(): Promise<number> {
    return insertionHorizon(this.o.database);
  }

  async start(payload: unknown, now: number): Promise<number> {
    const q = parseAx(queryOf(payload));
    if (q.over) {
      throw new ValidationError('a watcher cannot watch an over query', {
        details: ['over=' + `${q.over.amount}${q.over.unit}`],
        hint: 'over compares claims across time; watch the claims themselves',
      });
    }
    compileAx(q, { now });
    // A query with its own time clause takes what it names, stored before or after; otherwise
    // what is stored from now on.
    return q.times.length ? 0 : this.horizon();
  }

  async match(w: WatchTarget, after: number, through: number, limit: number): Promise<WatchMatches> {
    const m = await this.matched(w, after, through, limit);
    return { seqs: m.seqs, chain: m.chain };
  }

  /** ix.input of a watcher's run: its batch, the first `limit` matches in (after, through]. */
  async input(query: string, watch: { schedule_id: string; after: number; through: number; limit: number; attributes: unknown[] }): Promise<RunInput> {
    const target: WatchTarget = { id: watch.schedule_id, payload: { ax: { query } }, attributes: watch.attributes as WatchCondition[] };
    const m = await this.matched(target, watch.after, watch.through, watch.limit);
    return { query, count: m.items.length, items: m.items.map(inputItem) };
  }

  private async matched(w: WatchTarget, after: number, through: number, limit: number): Promise<Matched> {
    const filter = compileAx(parseAx(queryOf(w.payload)), { now: this.o.clock.now() });
    const out: Matched = { seqs: [], items: [], chain: [] };
    let from = after;
    while (from < through && out.seqs.length < limit) {
      const rows = await readInsertionRange(this.o.database.db, from, through, CHUNK);
      if (!rows.length) break;
      from = rows[rows.length - 1]!.seq;
      const hits = rows.filter((r) => meetsFilter(filter, r.attestation) && meetsConditions(r.attestation.attributes, w.attributes));
      const runs = await this.runs(hits.map((h) => h.attestation.source));
      for (const h of hits) {
        const run = runs.get(h.attestation.source);
        // Never triggered by its own runs.
        if (run?.schedule_id === w.id) continue;
        const chain = run?.chain ?? [];
        if (chain.length > out.chain.length) out.chain = chain;
        out.seqs.push(h.seq);
        out.items.push(h.attestation);
        if (out.seqs.length >= limit) break;
      }
    }
    return out;
  }

  /** The runs (executions) among these sources, with their schedule and chain. */
  private async runs(sources: string[]): Promise<Map<string, { schedule_id: string | null; chain: string[] }>> {
    const ids = [...new Set(sources.filter((s) => s.startsWith('EX')))];
    const out = new Map<string, { schedule_id: string | null; chain: string[] }>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await executionChainsQuery(this.o.database.db, ids.slice(i, i + CHUNK)).execute();
      for (const r of rows) out.set(r.id, { schedule_id: r.schedule_id, chain: r.watch_chain ? (JSON.parse(r.watch_chain) as string[]) : [] });
    }
    return out;
  }
}
