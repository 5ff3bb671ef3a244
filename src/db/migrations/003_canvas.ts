// The web canvas: glyph positions, sizes and contents.
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

export const migration003: QntxMigration = {
  name: '003_canvas',
  async up(db, dialect) {
    const float = sql.raw(dialect === 'postgres' ? 'double precision' : 'real');
    await db.schema
      .createTable('canvas_glyphs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('x', float, (c) => c.notNull())
      .addColumn('y', float, (c) => c.notNull())
      .addColumn('width', float, (c) => c.notNull())
      .addColumn('height', float, (c) => c.notNull())
      .addColumn('data', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
