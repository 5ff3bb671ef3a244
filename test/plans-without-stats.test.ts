// Every query shape the API offers keeps an index plan right after a bulk load
// with no ANALYZE, on a store large enough that a hash join or a scan would show (generated with
// COPY on PostgreSQL, one transaction per batch on SQLite). EXPLAIN on both databases; on
// PostgreSQL also the pages each query touched (EXPLAIN ANALYZE BUFFERS: no timing), which a plan
// reading the whole table would multiply.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AsidFactory } from '../src/ats/asid.js';
import { buildAttestationQuery } from '../src/ats/query.js';
import type { AttestationFilter, NewAttestation } from '../src/ats/types.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';

const N = 120_000;
const T0 = 1_700_000_000_000;

function row(ids: AsidFactory, i: number): NewAttestation {
  return {
    id: ids.next(),
    subjects: [`s-${i}`],
    predicates: [i % 10 === 0 ? 'ix_handler' : `p${i % 10}`],
    contexts: [`type${i % 100}`],
    actors: [`actor${i % 7}`],
    timestamp: T0 + i * 1000,
    source: 'import',
    attributes: { repo: `r${i % 5}`, note: `n${i % 3}` },
    created_at: 0,
  };
}

/** Every query shape of GET /api/attestations and ax, with a name for the failure message. */
function shapes(cursor: string): Array<[string, AttestationFilter]> {
  return [
    ['handler lookup', { predicates: ['ix_handler'], contexts: ['type30'], limit: 1 }],
    ['by subject', { subjects: ['s-77777'] }],
    ['one field', { predicates: ['p7'], limit: 50 }],
    ['two fields', { predicates: ['p7'], contexts: ['type37'], limit: 50 }],
    ['three fields', { predicates: ['p7'], contexts: ['type37'], actors: ['actor2'], limit: 10 }],
    ['time range on a field', { predicates: ['p7'], time_start: T0 + 50_000_000, time_end: T0 + 60_000_000, limit: 50 }],
    ['time range alone', { time_start: T0 + 50_000_000, time_end: T0 + 60_000_000, limit: 50 }],
    ['newest page', { limit: 50 }],
    ['cursor page', { predicates: ['p7'], contexts: ['type37'], limit: 50, cursor }],
    ['oldest first', { contexts: ['type37'], order: 'asc', limit: 50 }],
    ['several values', { contexts: ['type37', 'type38'], limit: 50 }],
    ['prefix', { contexts: ['type3*'], predicates: ['p3'], limit: 50 }],
    ['prefix probe', { subjects: ['s-1234'], contexts: ['type3*'] }],
    ['indexed attribute', { predicates: ['p7'], attributes: { repo: ['r2'] }, limit: 50 }],
    ['unindexed attribute', { contexts: ['type37'], attributes: { note: ['n1'] }, limit: 50 }],
  ];
}

for (const { kind, skip } of DB_KINDS) {
  describe(`plans without statistics after a bulk load (${kind})`, { skip }, () => {
    let q: TestQntx;
    let cursor = '';
    before(async () => {
      q = await openTestQntx(kind);
      const ids = new AsidFactory();
      for (let b = 0; b < N; b += 20_000) {
        await q.store.insertBulk(Array.from({ length: 20_000 }, (_, i) => row(ids, b + i)));
      }
      const first = await q.store.query({ predicates: ['p7'], contexts: ['type37'], limit: 50 });
      cursor = first.next_cursor!;
      if (kind === 'postgres') {
        const { rows } = await q.database.pool!.query<{ n: string }>(
          `select count(*) as n from pg_stats where schemaname = current_schema() and tablename in ('attestations', 'attestation_fields')`,
        );
        assert.equal(Number(rows[0]!.n), 0, 'the store must have no statistics');
      }
    });
    after(async () => {
      await q.cleanup();
    });

    const checkPlan = (name: string, plan: string[]) => {
      const text = `${name}:\n${plan.join('\n')}`;
      if (kind === 'postgres') {
        assert.doesNotMatch(text, /Hash|Seq Scan|Merge Join/, text);
        assert.match(text, /Index/, text);
      } else {
        // SQLite: SCAN … USING INDEX is an ordered index walk (it stops at the limit); a bare SCAN
        // of a table is what must not appear (json_each on a row is a virtual table).
        for (const line of plan) assert.doesNotMatch(line, /\bSCAN (?!.*USING (COVERING )?INDEX)(?!.*VIRTUAL TABLE)/, text);
      }
    };

    it('keeps every query shape on its indexes', async () => {
      for (const [name, filter] of shapes(cursor)) {
        checkPlan(name, await q.store.explain(filter));
      }
    });

    it('keeps every query shape on its indexes as a generic plan too (PostgreSQL: hot reads run prepared)', { skip: kind !== 'postgres' }, async () => {
      // A read connection, as the store's reads use; a generic plan is what a prepared statement
      // may settle on after five runs (src/db/statement-names.ts).
      const client = await q.database.reads!.connect();
      try {
        await client.query('set plan_cache_mode = force_generic_plan');
        const lit = (v: unknown): string =>
          typeof v === 'number' || typeof v === 'bigint' ? String(v) : Array.isArray(v) ? `array[${v.map(lit).join(', ')}]` : client.escapeLiteral(String(v));
        let i = 0;
        for (const [name, filter] of shapes(cursor)) {
          const { compiled } = buildAttestationQuery(q.database.db, filter, kind);
          const stmt = `generic_${i++}`;
          await client.query({ name: stmt, text: compiled.sql, values: compiled.parameters as unknown[] });
          const args = compiled.parameters.length ? `(${compiled.parameters.map(lit).join(', ')})` : '';
          const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain execute ${stmt}${args}`);
          const plan = rows.map((r) => r['QUERY PLAN']);
          assert.ok(plan.some((l) => /\$\d/.test(l)) || !compiled.parameters.length, `${name}: not a generic plan:\n${plan.join('\n')}`);
          checkPlan(`${name} (generic)`, plan);
        }
      } finally {
        client.release(true); // its prepared statements and setting go with it
      }
    });

    it('counts on the index too', async () => {
      for (const [name, filter] of shapes(cursor)) {
        if (!filter.subjects && !filter.predicates && !filter.contexts && !filter.actors) continue; // a count of everything scans
        checkPlan(`count ${name}`, await q.store.explainCount(filter));
      }
    });

    it('touches a bounded number of pages per query (PostgreSQL)', { skip: kind !== 'postgres' }, async () => {
      const pages = async (filter: AttestationFilter) => {
        const { compiled } = buildAttestationQuery(q.database.db, filter, kind);
        // Through the read connections: their planner settings are part of the design.
        const { rows } = await q.database.reads!.query<{ 'QUERY PLAN': Array<{ Plan: Record<string, number> }> }>(
          `explain (analyze, buffers, timing off, format json) ${compiled.sql}`,
          compiled.parameters,
          { prepare: false },
        );
        const plan = rows[0]!['QUERY PLAN'][0]!.Plan;
        return (plan['Shared Hit Blocks'] ?? 0) + (plan['Shared Read Blocks'] ?? 0);
      };
      const { rows } = await q.database.pool!.query<{ n: string }>(
        `select (pg_relation_size('attestations') + pg_relation_size('attestation_fields')) / current_setting('block_size')::int as n`,
      );
      const tablePages = Number(rows[0]!.n);
      for (const [name, filter] of shapes(cursor)) {
        if (filter.contexts?.[0] === 'type3*' && filter.predicates) continue; // a prefix range walks its matches: bounded by them, not the page
        const n = await pages(filter);
        assert.ok(n < tablePages / 6, `${name}: ${n} pages of ${tablePages}`);
      }
    });
  });
}
