// Reads alias edges (ax_alias_edges, migration 013): the pairs of `alias` attestations that touch
// some values, newest first, with whether each attestation is a retraction. Edges are keyed by
// the case folds of their values (src/ats/fold.ts), so asked keys meet every spelling. An index
// range per asked key on both databases; SQLite statements are prepared once.
import { CompiledQuery, sql } from '../db/kysely.js';
import type { Database } from '../db/database.js';
import { SqliteStatements } from '../db/sqlite-statements.js';

export interface AliasEdge {
  /** Folded keys. */
  subject: string;
  context: string;
  /** The pair as one of its attestations wrote it. */
  subjectAs: string;
  contextAs: string;
  timestamp: number;
  retracted: boolean;
}

export interface AliasEdgeSource {
  /** Edges whose subject or context key is one of `values` (folded keys), newest first; `full` when `limit` cut them. */
  touching(values: readonly string[], limit: number): Promise<{ edges: AliasEdge[]; full: boolean }>;
}

interface Row {
  subject: string;
  context: string;
  subject_as: string;
  context_as: string;
  ts: number | string;
  sq: number | string;
  attributes: string;
}

export class AliasEdges implements AliasEdgeSource {
  private readonly st: SqliteStatements | undefined;
  /** SQL text by number of values and limit: built once, so a lookup is only its execution. */
  private readonly sqlCache = new Map<string, string>();

  constructor(private readonly database: Database) {
    this.st = database.sqlite ? new SqliteStatements(database.sqlite) : undefined;
  }

  private compile(values: readonly string[], limit: number): CompiledQuery<Row> {
    const key = `${values.length}:${limit}`;
    let text = this.sqlCache.get(key);
    if (text === undefined) {
      text = this.build(values, limit).sql;
      if (this.sqlCache.size < 256) this.sqlCache.set(key, text);
    }
    return CompiledQuery.raw(text, [...values, ...values]) as CompiledQuery<Row>;
  }

  private build(values: readonly string[], limit: number): CompiledQuery<Row> {
    const db = this.database.db;
    const side = (col: 'e.subject_key' | 'e.context_key') =>
      db
        .selectFrom('ax_alias_edges as e')
        .innerJoin('attestations as x', 'x.seq', 'e.seq')
        .select([
          'e.subject_key as subject',
          'e.context_key as context',
          'e.subject as subject_as',
          'e.context as context_as',
          'e.timestamp as ts',
          'e.seq as sq',
          'x.attributes as attributes',
        ])
        .where(col, 'in', [...values]);
    return side('e.subject_key')
      .unionAll(side('e.context_key'))
      // A compound select orders by its own column names (SQLite insists).
      .orderBy('ts', 'desc')
      .orderBy('sq', 'desc')
      .limit(sql.lit(limit + 1))
      .compile() as CompiledQuery<Row>;
  }

  async touching(values: readonly string[], limit: number): Promise<{ edges: AliasEdge[]; full: boolean }> {
    if (!values.length) return { edges: [], full: false };
    const q = this.compile(values, limit);
    const rows = this.st ? this.st.all(q) : (await this.database.db.executeQuery(q)).rows;
    const seen = new Set<string>();
    const edges: AliasEdge[] = [];
    // A pair that touches two asked values comes once from each side of the union.
    for (const r of rows.slice(0, limit)) {
      const key = `${r.sq}\u0000${r.subject}\u0000${r.context}`;
      if (seen.has(key)) continue;
      seen.add(key);
      edges.push({
        subject: r.subject,
        context: r.context,
        subjectAs: r.subject_as,
        contextAs: r.context_as,
        timestamp: Number(r.ts),
        retracted: isRetraction(r.attributes),
      });
    }
    return { edges, full: rows.length > limit };
  }
}

function isRetraction(attributes: string): boolean {
  if (!attributes.includes('retracted')) return false;
  return (JSON.parse(attributes) as { retracted?: unknown }).retracted === true;
}
