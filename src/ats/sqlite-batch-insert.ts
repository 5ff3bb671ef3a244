// Batched SQLite insert of attestations with multi-row statements: seq is assigned here (the
// caller holds the write lock: BEGIN IMMEDIATE), so rows of many attestations go in one call.
// A claim already stored is skipped by its content key: the batch's keys are looked up first
// (nothing can insert meanwhile: the lock is held) and repeats inside the batch dropped, so the
// inserts need no conflict clause nor RETURNING (together a quarter of the insert time).
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
const K_CHUNK = 500;

export class SqliteBatchInsert {
  private readonly maxSeq: BetterSqlite3.Statement;
  private readonly known: BetterSqlite3.Statement;
  private readonly knownOne: BetterSqlite3.Statement;
  private readonly aMany: BetterSqlite3.Statement;
  private readonly aOne: BetterSqlite3.Statement;
  private readonly fMany: BetterSqlite3.Statement;
  private readonly fOne: BetterSqlite3.Statement;

  constructor(raw: BetterSqlite3.Database) {
    this.maxSeq = raw.prepare('select coalesce(max(seq), 0) as m from attestations').pluck();
    this.known = raw.prepare(`select claim_key from attestations where claim_key in (${Array(K_CHUNK).fill('?').join(', ')})`).pluck();
    this.knownOne = raw.prepare('select claim_key from attestations where claim_key = ?').pluck();
    this.aMany = raw.prepare(`insert into attestations ${A_COLS} values ${Array(A_CHUNK).fill(A_ROW).join(', ')}`);
    this.aOne = raw.prepare(`insert into attestations ${A_COLS} values ${A_ROW}`);
    this.fMany = raw.prepare(`insert into attestation_fields (field, value, timestamp, seq) values ${Array(F_CHUNK).fill(F_ROW).join(', ')}`);
    this.fOne = raw.prepare(`insert into attestation_fields (field, value, timestamp, seq) values ${F_ROW}`);
  }

  /** Must run inside a transaction that holds the write lock. */
  insert(all: readonly NewAttestation[]): InsertResult {
    const items = this.newClaims(all);
    const first = Number(this.maxSeq.get()) + 1;
    this.insertRows(items, first);
    this.insertFields(items, first);
    return { created: items.length, alreadyKnown: all.length - items.length };
  }

  /** The batch without claims already stored or repeated in it, with their keys. */
  private newClaims(all: readonly NewAttestation[]): Array<{ a: NewAttestation; key: Buffer }> {
    const keyed = all.map((a) => ({ a, key: claimKey(a) }));
    const seen = new Set<string>();
    for (let i = 0; i < keyed.length; i += K_CHUNK) {
      const part = keyed.slice(i, i + K_CHUNK).map((k) => k.key);
      const found = part.length === K_CHUNK ? this.known.all(part) : part.flatMap((k) => this.knownOne.all(k));
      for (const k of found as Buffer[]) seen.add(k.toString('latin1'));
    }
    return keyed.filter((k) => {
      const id = k.key.toString('latin1');
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
  }

  private insertRows(items: ReadonlyArray<{ a: NewAttestation; key: Buffer }>, first: number): void {
    const params: unknown[] = [];
    let rows = 0;
    items.forEach(({ a, key }, i) => {
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
        key,
        a.handler_version ?? null,
      );
      if (++rows === A_CHUNK) {
        this.aMany.run(params);
        params.length = 0;
        rows = 0;
      }
    });
    for (let i = 0; i < params.length; i += A_WIDTH) this.aOne.run(params.slice(i, i + A_WIDTH));
  }

  private insertFields(items: ReadonlyArray<{ a: NewAttestation }>, first: number): void {
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
    items.forEach(({ a }, i) => {
      const seq = first + i;
      for (const name of FIELD_NAMES) for (const v of a[name]) push(FIELD_CODE[name], v, a.timestamp, seq);
      for (const v of attrIndexValues(a.attributes)) push(ATTR_FIELD_CODE, v, a.timestamp, seq);
    });
    for (let i = 0; i < params.length; i += 4) this.fOne.run(params.slice(i, i + 4));
  }
}
