// The canvas store on PostgreSQL: each write is one statement whose WHERE carries the version check,
// so two writers based on the same version cannot both win.
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { rowToGlyph } from './rows.js';
import type { CanvasStore } from './store.js';
import { versionConflict, type ExpectedVersion, type Glyph, type GlyphWrite, type PutResult } from './types.js';

export class PostgresCanvasStore implements CanvasStore {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly now: () => number,
  ) {}

  async list(): Promise<Glyph[]> {
    const rows = await this.db.selectFrom('canvas_glyphs').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(rowToGlyph);
  }

  async get(id: string): Promise<Glyph | undefined> {
    const row = await this.db.selectFrom('canvas_glyphs').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? rowToGlyph(row) : undefined;
  }

  async put(id: string, write: GlyphWrite, expected: ExpectedVersion): Promise<PutResult> {
    const t = this.now();
    const cols = { ...write, data: JSON.stringify(write.data), updated_at: t };
    if (expected !== undefined && expected > 0) {
      const row = await this.db
        .updateTable('canvas_glyphs')
        .set((eb) => ({ ...cols, version: eb('version', '+', 1) }))
        .where('id', '=', id)
        .where('version', '=', expected)
        .returningAll()
        .executeTakeFirst();
      if (!row) throw versionConflict(id, expected, (await this.get(id))?.version);
      return { glyph: rowToGlyph(row), created: false };
    }
    const insert = this.db.insertInto('canvas_glyphs').values({ id, ...cols, version: 1, created_at: t });
    const row = await (expected === 0
      ? insert.onConflict((oc) => oc.column('id').doNothing())
      : insert.onConflict((oc) => oc.column('id').doUpdateSet((eb) => ({ ...cols, version: eb('canvas_glyphs.version', '+', 1) })))
    )
      .returningAll()
      .executeTakeFirst();
    if (!row) throw versionConflict(id, 0, (await this.get(id))?.version);
    return { glyph: rowToGlyph(row), created: Number(row.version) === 1 };
  }

  async remove(id: string): Promise<boolean> {
    const r = await this.db.deleteFrom('canvas_glyphs').where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
