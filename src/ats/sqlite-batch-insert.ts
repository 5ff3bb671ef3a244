// Batched SQLite insert of attestations with multi-row statements: seq is assigned here (the
// caller holds the write lock: BEGIN IMMEDIATE), so rows of many attestations go in one call.
// A claim already stored is skipped by its content key (ON CONFLICT DO NOTHING); RETURNING names
// the rows that went in, and only those get their index rows.
import type BetterSqlite3 from 'better-sqlite3';
import { ATTR_FIELD_CODE, attrIndexValues } from './attr-index.js';
import { claimKey } from './claim-key.js';
import { FIELD_CODE, FIELD_NAMES, type InsertResult, type NewAttestation } from './types.js';

const A_COLS = '(seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)';
const A_WIDTH = 12;
const A_ROW = `(${Array(A_WIDTH).fill('?').join(', ')})`;
const F_ROW = '(?, ?, ?, ?)';
const A_CHUNK = 64;
const F_CHUNK = 256;
const ON_CONFLICT = 'on conflict (claim_key) do nothing returning seq';

export class SqliteBatchInsert {
  private readonly maxSeq: BetterSqlite3.Statement;
  private readonly aMany: BetterSqlite3.Statement;
  private readonly aOne: BetterSqlite3.Statement;
  private readonly fMany: BetterSqlite3.Statement;
  private readonly fOne: BetterSqlite3.Statement;

  constructor(raw: BetterSqlite3.Database) {
    this.maxSeq = raw.prepare('select coalesce(max(seq), 0) as m from attestations').pluck();
    this.aMany = raw.prepare(`insert into attestations ${A_COLS} values ${Array(A_CHUNK).fill(A_ROW).join(', ')} ${ON_CONFLICT}`).pluck();
    this.aOne = raw.prepare(`insert into attestations ${A_COLS} values ${A_ROW} ${ON_CONFLICT}`).pluck();
    this.fMany = raw.prepare(`insert into attestation_fields (field, value, timestamp, seq) values ${Array(F_CHUNK).fill(F_ROW).join(', ')}`);
    this.fOne = raw.prepare(`insert into attestation_fields (field, value, timestamp, seq) values ${F_ROW}`);
  }

  /** Must run inside a transaction that holds the write lock. */
  insert(items: readonly NewAttestation[]): InsertResult {
    const first = Number(this.maxSeq.get()) + 1;
    const inserted = this.insertRows(items, first);
    this.insertFields(items, first, inserted);
    return { created: inserted.size, alreadyKnown: items.length - inserted.size };
  }

  /** The attestation rows; returns the seqs that went in (the others were known claims). */
  private insertRows(items: readonly NewAttestation[], first: number): Set<number> {
    const inserted = new Set<number>();
    const params: unknown[] = [];
    let rows = 0;
    const take = (seqs: unknown[]) => {
      for (const s of seqs) inserted.add(Number(s));
    };
    items.forEach((a, i) => {
      params.push(
        first + i,
        a.id,
        JSON.stringify(a.subjects),
        JSON.stringify(a.predicates),
        JSON.stringify(a.contexts),
        JSON.stringify(a.actors),
        a.timestamp,
        a.source,
        JSON.stringify(a.attributes),
        a.created_at,
        claimKey(a),
        a.handler_version ?? null,
      );
      if (++rows === A_CHUNK) {
        take(this.aMany.all(params));
        params.length = 0;
        rows = 0;
      }
    });
    for (let i = 0; i < params.length; i += A_WIDTH) take(this.aOne.all(params.slice(i, i + A_WIDTH)));
    return inserted;
  }

  private insertFields(items: readonly NewAttestation[], first: number, inserted: Set<number>): void {
    const params: unknown[] = [];
    let rows = 0;
    const push = (code: number, v: string, ts: number, seq: number) => {
      params.push(code, v, ts, seq);
      if (++rows === F_CHUNK) {
        this.fMany.run(params);
        params.length = 0;
        rows = 0;
      }
    };
    items.forEach((a, i) => {
      const seq = first + i;
      if (!inserted.has(seq)) return;
      for (const name of FIELD_NAMES) for (const v of a[name]) push(FIELD_CODE[name], v, a.timestamp, seq);
      for (const v of attrIndexValues(a.attributes)) push(ATTR_FIELD_CODE, v, a.timestamp, seq);
    });
    for (let i = 0; i < params.length; i += 4) this.fOne.run(params.slice(i, i + 4));
  }
}
