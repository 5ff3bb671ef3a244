// The canvas store on SQLite: Kysely-compiled statements run synchronously by better-sqlite3, the
// read-check-write of put() inside one raw transaction so nothing interleaves with it.
import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Schema } from '../db/schema.js';
import { SqliteStatements } from '../db/sqlite-statements.js';
import { rowToGlyph } from './rows.js';
import type { CanvasStore } from './store.js';
import { versionConflict, versionMatches, type ExpectedVersion, type Glyph, type GlyphWrite, type PutResult } from './types.js';

export class SqliteCanvasStore implements CanvasStore {
  private readonly st: SqliteStatements;
  private readonly putTx: BetterSqlite3.Transaction<(id: string, write: GlyphWrite, expected: ExpectedVersion) => PutResult>;

  constructor(
    private readonly db: Kysely<Schema>,
    raw: BetterSqlite3.Database,
    private readonly now: () => number,
  ) {
    this.st = new SqliteStatements(raw);
    this.putTx = raw.transaction((id: string, write: GlyphWrite, expected: ExpectedVersion) => this.putSync(id, write, expected));
  }

  async list(): Promise<Glyph[]> {
    const q = this.db.selectFrom('canvas_glyphs').selectAll().orderBy('created_at').orderBy('id').compile();
    return this.st.all(q).map(rowToGlyph);
  }

  async get(id: string): Promise<Glyph | undefined> {
    return this.getSync(id);
  }

  async put(id: string, write: GlyphWrite, expected: ExpectedVersion): Promise<PutResult> {
    return this.putTx.immediate(id, write, expected);
  }

  async remove(id: string): Promise<boolean> {
    return this.st.run(this.db.deleteFrom('canvas_glyphs').where('id', '=', id).compile()).changes > 0;
  }

  private getSync(id: string): Glyph | undefined {
    const row = this.st.get(this.db.selectFrom('canvas_glyphs').selectAll().where('id', '=', id).compile());
    return row ? rowToGlyph(row) : undefined;
  }

  private putSync(id: string, write: GlyphWrite, expected: ExpectedVersion): PutResult {
    const current = this.getSync(id);
    if (!versionMatches(expected, current?.version)) throw versionConflict(id, expected ?? 0, current?.version);
    const t = this.now();
    const cols = { ...write, data: JSON.stringify(write.data), updated_at: t };
    if (current) {
      const version = current.version + 1;
      this.st.run(this.db.updateTable('canvas_glyphs').set({ ...cols, version }).where('id', '=', id).compile());
      return { glyph: { ...current, ...write, version, updated_at: t }, created: false };
    }
    this.st.run(this.db.insertInto('canvas_glyphs').values({ id, ...cols, version: 1, created_at: t }).compile());
    return { glyph: { id, ...write, version: 1, created_at: t, updated_at: t }, created: true };
  }
}
