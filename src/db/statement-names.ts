// Names for the read statements PostgreSQL should keep prepared. An unnamed statement
// is parsed and planned at every call: ~0.25 ms of a ~0.35 ms handler lookup on a small store.
// A statement text seen `after` times gets a name derived from it, and each pooled connection
// then parses it once and keeps its plan. The query forms are built not to depend on statistics
// (docs/architecture.md), so a generic plan is the same walk; test/plans-without-stats.test.ts
// checks each shape under force_generic_plan.
//
// Bounded: a prepared statement lives as long as its connection, so at most `maxNames` texts are
// ever named in a process; filters varied without end (different limits, value counts, fields)
// cannot grow the server's memory. Texts on their way to a name are counted in a bounded map that
// forgets the least recently seen.
import { createHash } from 'node:crypto';

export interface StatementNameOptions {
  /** Uses of one text before it is named (default 2: a one-off is never prepared). */
  after?: number;
  /** Texts ever named in this process (default 64). */
  maxNames?: number;
  /** Texts counted on their way to a name (default 1,024). */
  maxCandidates?: number;
}

export class StatementNames {
  private readonly named = new Map<string, string>();
  private readonly seen = new Map<string, number>();
  private readonly after: number;
  private readonly maxNames: number;
  private readonly maxCandidates: number;

  constructor(o: StatementNameOptions = {}) {
    this.after = o.after ?? 2;
    this.maxNames = o.maxNames ?? 64;
    this.maxCandidates = o.maxCandidates ?? 1024;
  }

  /** The name to run `text` under, or undefined: run it unnamed (planned at each call). */
  nameFor(text: string): string | undefined {
    const name = this.named.get(text);
    if (name !== undefined || this.named.size >= this.maxNames) return name;
    const uses = (this.seen.get(text) ?? 0) + 1;
    this.seen.delete(text); // re-inserted last: the map's order is least recently seen first
    if (uses < this.after) {
      this.seen.set(text, uses);
      if (this.seen.size > this.maxCandidates) this.seen.delete(this.seen.keys().next().value!);
      return undefined;
    }
    const fresh = `qntx_r_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    this.named.set(text, fresh);
    return fresh;
  }

  /** Texts named so far. */
  get size(): number {
    return this.named.size;
  }
}
