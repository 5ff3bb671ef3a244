// Migrations import no application code (they must compute the same thing forever); migration
// 007 carries frozen copies of the claim key and the attribute index rows. These tests hold the
// application's rules to the frozen ones, so that keys stored by the migration stay valid.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { attrIndexValues } from '../src/ats/attr-index.js';
import { claimKey } from '../src/ats/claim-key.js';
import * as frozen from '../src/db/migrations/007_claims.js';

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'db', 'migrations');

describe('frozen migrations', () => {
  it('import nothing of the application but the migration types and kysely', () => {
    for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const imports = [...fs.readFileSync(path.join(dir, f), 'utf8').matchAll(/^import .* from '([^']+)';$/gm)].map((m) => m[1]!);
      // ../kysely.js is kysely itself (its values, loaded from the package's CommonJS build).
      const app = imports.filter((i) => i.startsWith('.') && !['../migrations.js', '../kysely.js'].includes(i) && !(f === 'index.ts' && i.startsWith('./')));
      assert.deepEqual(app, [], f);
    }
  });

  const values = fc.array(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 });
  const attrs = fc.dictionary(
    fc.constantFrom('repo', 'change', 'kind', 'ecosystem', 'manifest', 'ref_kind', 'other', 'z', 'a'),
    fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 })),
  );

  it('007 keys claims as the application does', () => {
    fc.assert(
      fc.property(values, values, values, values, fc.integer({ min: -1e15, max: 1e15 }), attrs, (subjects, predicates, contexts, actors, timestamp, attributes) => {
        const c = { subjects, predicates, contexts, actors, timestamp, attributes };
        assert.equal(frozen.claimKey(c).toString('hex'), claimKey(c).toString('hex'));
      }),
      { numRuns: 2000 },
    );
  });

  it('007 indexes attributes as the application does', () => {
    fc.assert(
      fc.property(attrs, (a) => {
        assert.deepEqual(frozen.attrIndexValues(a).sort(), attrIndexValues(a).sort());
      }),
      { numRuns: 2000 },
    );
  });
});
