// Hot read statements run prepared on PostgreSQL (src/db/statement-names.ts): a text is named
// once it recurs, a bounded number of texts is ever named, and a named read returns what the
// unnamed one did, planned once per connection.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StatementNames } from '../src/db/statement-names.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';

describe('statement names', () => {
  it('names a text from its second use, the same name each time', () => {
    const n = new StatementNames();
    assert.equal(n.nameFor('select 1'), undefined);
    const name = n.nameFor('select 1');
    assert.match(name ?? '', /^qntx_r_[0-9a-f]{24}$/);
    assert.equal(n.nameFor('select 1'), name);
    assert.notEqual(n.nameFor('select 2') ?? n.nameFor('select 2'), name);
  });

  it('names at most maxNames texts, ever', () => {
    const n = new StatementNames({ after: 1, maxNames: 3 });
    const names = Array.from({ length: 10 }, (_, i) => n.nameFor(`select ${i}`));
    assert.equal(names.filter(Boolean).length, 3);
    assert.equal(n.size, 3);
    assert.equal(n.nameFor('select 0'), names[0], 'a named text keeps its name');
  });

  it('forgets the least recently seen candidates beyond maxCandidates', () => {
    const n = new StatementNames({ after: 2, maxCandidates: 2 });
    n.nameFor('a');
    n.nameFor('b');
    n.nameFor('c'); // 'a' is forgotten
    assert.equal(n.nameFor('a'), undefined, 'counted afresh');
    assert.ok(n.nameFor('c'), 'still counted');
  });
});

const pgKind = DB_KINDS.find((k) => k.kind === 'postgres')!;
describe('prepared reads on PostgreSQL', { skip: pgKind.skip }, () => {
  let q: TestQntx;
  before(async () => {
    q = await openTestQntx('postgres');
    await q.handlers.register({ script_type: 'hot', code: 'def handle(x):\n    pass\n' }, 'test');
  });
  after(async () => {
    await q.cleanup();
  });

  it('runs the handler lookup form prepared once it recurs, with the same rows', async () => {
    const filter = { predicates: ['ix_handler'], contexts: ['hot'], limit: 1 };
    const first = await q.store.query(filter); // unnamed
    assert.equal(first.items.length, 1);
    for (let i = 0; i < 7; i++) assert.deepEqual(await q.store.query(filter), first); // past five runs: the cached plan
    const reads = q.database.reads!;
    assert.equal(reads.names.size, 1);
    // Sequential reads used one connection: it holds the statement.
    const client = await reads.connect();
    try {
      const { rows } = await client.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements');
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.match(rows[0]!.name, /^qntx_r_/);
      assert.match(rows[0]!.statement, /attestation_fields/);
    } finally {
      client.release();
    }
  });
});
