// Batched SQLite insert of attestations with multi-row statements: seq is assigned here (the
// caller holds the write lock: BEGIN IMMEDIATE), so rows of many attestations go in one call.
// A claim already stored (or repeated in the batch) is skipped by its content key with
// `on conflict (claim_key) do nothing`: the unique index is probed once, by the insert itself.
// When a statement inserts fewer rows than it was given, the seqs it did insert are read back
// (rare: re-runs and overlapping imports), and only those get field rows. A skipped row leaves
// its seq unused: seq orders rows, it need not be dense. The conflict target is checked before
// the id index, so a known claim under its own id is skipped too, not refused.
import type BetterSqlite3 from 'better-sqlite3';
import { ATTR_FIELD_CODE, attrIndexValues } from './attr-index.js';
import { claimKey } from './claim-key.js';
import { foldedRow } from './fold.js';
import { FIELD_CODE, FIELD_NAMES, type InsertResult, type NewAttestation } from './types.js';

const A_COLS = '(seq, id, subjects, predicates, contexts, actors, timestamp, source, attributes, created_at, claim_key, handler_version)';
const A_WIDTH = 12;
const A_ROW = `(${Array(A_WIDTH).fill('?').join(', ')})`;
const ON_KNOWN = 'on conflict (claim_key) do nothing';
const F_ROW = '(?, ?, ?, ?, ?)';
const F_WIDTH = 5;
const A_CHUNK = 64;
const F_CHUNK = 256;

export class SqliteBatchInsert {
  private readonly maxSeq: BetterSqlite3.Statement;
  private readonly seqsIn: BetterSqlite3.Statement;
  private readonly aMany: BetterSqlite3.Statement;
  private readonly aOne: BetterSqlite3.Statement;
  private readonly fMany: BetterSqlite3.Statement;
  private readonly fOne: BetterSqlite3.Statement;

  constructor(raw: BetterSqlite3.Database) {
    this.maxSeq = raw.prepare('select coalesce(max(seq), 0) as m from attestations').pluck();
    this.seqsIn = raw.prepare('select seq from attestations where seq between ? and ?').pluck();
    this.aMany = raw.prepare(`insert into attestations ${A_COLS} values ${Array(A_CHUNK).fill(A_ROW).join(', ')} ${ON_KNOWN}`);
    this.aOne = raw.prepare(`insert into attestations ${A_COLS} values ${A_ROW} ${ON_KNOWN}`);
    this.fMany = raw.prepare(`insert into attestation_fields (field, value, folded, timestamp, seq) values ${Array(F_CHUNK).fill(F_ROW).join(', ')}`);
    this.fOne = raw.prepare(`insert into attestation_fields (field, value, folded, timestamp, seq) values ${F_ROW}`);
  }

  /** Must run inside a transaction that holds the write lock. */
  insert(all: readonly NewAttestation[]): InsertResult {
    const first = Number(this.maxSeq.get()) + 1;
    const inserted = this.insertRows(all, first);
    this.insertFields(all, inserted, first);
    const created = inserted === true ? all.length : inserted.reduce((n, x) => n + (x ? 1 : 0), 0);
    return { created, alreadyKnown: all.length - created };
  }

  /** Inserts the attestation rows; `true` when every one was new, else which ones were. */
  private insertRows(all: readonly NewAttestation[], first: number): true | boolean[] {
    let inserted: true | boolean[] = true;
    const params: unknown[] = [];
    const markChunk = (start: number, count: number, changes: number) => {
      if (changes === count) return;
      if (inserted === true) inserted = Array<boolean>(all.length).fill(true);
      const present = new Set((this.seqsIn.all(first + start, first + start + count - 1) as number[]).map(Number));
      for (let i = start; i < start + count; i++) inserted[i] = present.has(first + i);
    };
    for (let i = 0; i < all.length; i++) {
      const a = all[i]!;
      const texts = {
        subjects: JSON.stringify(a.subjects),
        predicates: JSON.stringify(a.predicates),
        contexts: JSON.stringify(a.contexts),
        actors: JSON.stringify(a.actors),
        attributes: JSON.stringify(a.attributes),
      };
      const key = claimKey(a, texts);
      params.push(
        first + i,
        a.id,
        texts.subjects,
        texts.predicates,
        texts.contexts,
        texts.actors,
        a.timestamp,
        a.source,
        texts.attributes,
        a.created_at,
        key,
        a.handler_version ?? null,
      );
      if (params.length === A_CHUNK * A_WIDTH) {
        markChunk(i + 1 - A_CHUNK, A_CHUNK, this.aMany.run(params).changes);
        params.length = 0;
      }
    }
    const rest = params.length / A_WIDTH;
    for (let k = 0; k < rest; k++) {
      const changes = this.aOne.run(params.slice(k * A_WIDTH, (k + 1) * A_WIDTH)).changes;
      markChunk(all.length - rest + k, 1, changes);
    }
    return inserted;
  }

  private insertFields(all: readonly NewAttestation[], inserted: true | boolean[], first: number): void {
    const params: unknown[] = [];
    let rows = 0;
    const push = (code: number, v: string, ts: number, seq: number) => {
      params.push(code, v, foldedRow(code, v), ts, seq);
      if (++rows === F_CHUNK) {
        this.fMany.run(params);
        params.length = 0;
        rows = 0;
      }
    };
    for (let i = 0; i < all.length; i++) {
      if (inserted !== true && !inserted[i]) continue;
      const a = all[i]!;
      const seq = first + i;
      for (const name of FIELD_NAMES) for (const v of a[name]) push(FIELD_CODE[name], v, a.timestamp, seq);
      for (const v of attrIndexValues(a.attributes)) push(ATTR_FIELD_CODE, v, a.timestamp, seq);
    }
    for (let i = 0; i < params.length; i += F_WIDTH) this.fOne.run(params.slice(i, i + F_WIDTH));
  }
}
