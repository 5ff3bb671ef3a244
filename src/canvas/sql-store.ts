// The canvas store, one algorithm for SQLite and PostgreSQL over the transaction layer: each write
// is one statement whose WHERE (or ON CONFLICT) carries the version check, so two writers based on
// the same version cannot both win; a write that matched nothing reads the current version back
// for the conflict error.
import type { Kysely } from 'kysely';
import type { ReadRouter } from '../db/read-router.js';
import type { CanvasGlyphsTable } from '../db/canvas-schema.js';
import type { Schema } from '../db/schema.js';
import { query, type Op, type TxRunner } from '../db/tx.js';
import { rowToGlyph } from './rows.js';
import type { CanvasStore } from './store.js';
import { versionConflict, type ExpectedVersion, type Glyph, type GlyphWrite, type PutResult } from './types.js';

export class SqlCanvasStore implements CanvasStore {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly runner: TxRunner,
    private readonly now: () => number,
    /** PostgreSQL: where the canvas is listed from (a read replica when configured, read-router.ts). */
    private readonly reads?: ReadRouter,
  ) {}

  async list(): Promise<Glyph[]> {
    const q = this.db.selectFrom('canvas_glyphs').selectAll().orderBy('created_at').orderBy('id').compile();
    const rows = this.reads ? ((await this.reads.query(q.sql, q.parameters)).rows as CanvasGlyphsTable[]) : (await this.runner.run(q)).rows;
    return rows.map(rowToGlyph);
  }

  async get(id: string): Promise<Glyph | undefined> {
    const row = (await this.runner.run(this.db.selectFrom('canvas_glyphs').selectAll().where('id', '=', id).compile())).rows[0];
    return row ? rowToGlyph(row) : undefined;
  }

  async put(id: string, write: GlyphWrite, expected: ExpectedVersion): Promise<PutResult> {
    const res = await this.runner.autocommit(() => this.putOp(id, write, expected));
    if ('conflict' in res) throw versionConflict(id, expected ?? 0, res.conflict);
    return res;
  }

  async remove(id: string): Promise<boolean> {
    return (await this.runner.run(this.db.deleteFrom('canvas_glyphs').where('id', '=', id).compile())).changes > 0;
  }

  /** One conditional write; only when it matched nothing, a read of the version that won. */
  private *putOp(id: string, write: GlyphWrite, expected: ExpectedVersion): Op<PutResult | { conflict: number | undefined }> {
    const t = this.now();
    const cols = { ...write, data: JSON.stringify(write.data), updated_at: t };
    let q;
    if (expected !== undefined && expected > 0) {
      q = this.db
        .updateTable('canvas_glyphs')
        .set((eb) => ({ ...cols, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .where('version', '=', expected);
    } else {
      const insert = this.db.insertInto('canvas_glyphs').values({ id, ...cols, version: 1, created_at: t });
      q =
        expected === 0
          ? insert.onConflict((oc) => oc.column('id').doNothing())
          : insert.onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ ...cols, version: eb('canvas_glyphs.version', '+', 1) })));
    }
    const row = (yield* query(q.returningAll().compile())).rows[0];
    if (row) return { glyph: rowToGlyph(row), created: Number(row.version) === 1 };
    const current = (yield* query(this.db.selectFrom('canvas_glyphs').select('version').where('id', '=', id).compile())).rows[0];
    return { conflict: current ? Number(current.version) : undefined };
  }
}
