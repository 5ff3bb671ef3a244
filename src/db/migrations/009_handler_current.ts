// The handler lookup as a primary-key read. One row per ix type: the attestation of the
// handler in force (null after a removal) and the last version number given. Written by the
// handler registry in the transaction that stores the version or the retraction; the history
// stays in attestations. Backfilled from the `ix_handler` attestations already stored, in the
// order the old lookup used (timestamp, then seq: the newest decides).
import { sql } from '../kysely.js';
import type { QntxMigration } from '../migrations.js';

interface HandlerRow {
  id: string;
  contexts: string;
  attributes: string;
  timestamp: number;
}

export const migration009: QntxMigration = {
  name: '009_handler_current',
  async up(db) {
    await db.schema
      .createTable('ix_handler_current')
      .addColumn('script_type', 'text', (c) => c.primaryKey())
      .addColumn('attestation_id', 'text')
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    // field 2 = predicates (src/ats/types.ts FIELD_CODE); handlers are few, read in one go.
    const { rows } = await sql<HandlerRow>`
      select a.id, a.contexts, a.attributes, a.timestamp from attestation_fields f join attestations a on a.seq = f.seq
      where f.field = 2 and f.value = 'ix_handler' order by f.timestamp, f.seq`.execute(db);
    const current = new Map<string, { id: string | null; version: number; at: number }>();
    for (const r of rows) {
      const type = (JSON.parse(r.contexts) as string[])[0];
      if (type === undefined) continue;
      const attrs = JSON.parse(r.attributes) as { retracted?: unknown; version?: unknown };
      const prev = current.get(type);
      const version = Math.max(prev?.version ?? 0, Number(attrs.version) || 0);
      current.set(type, { id: attrs.retracted === true ? null : r.id, version, at: Number(r.timestamp) });
    }
    for (const [type, c] of current) {
      await sql`insert into ix_handler_current (script_type, attestation_id, version, updated_at)
        values (${type}, ${c.id}, ${c.version}, ${c.at})`.execute(db);
    }
  },
};
