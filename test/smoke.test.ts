import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DB_KINDS, openTestQntx } from './helpers.js';

for (const { kind, skip } of DB_KINDS) {
  describe(`store smoke (${kind})`, { skip }, () => {
    it('stores and finds an attestation', async () => {
      const q = await openTestQntx(kind);
      try {
        const a = await q.ats.attest({ text: 'as alice is engineer of acme by hr at 2026-01-29' }, { source: 'test', actor: 'test' });
        assert.match(a.id, /^AS/);
        const page = await q.store.query({ subjects: ['alice'] });
        assert.equal(page.items.length, 1);
        assert.deepEqual(page.items[0]!.actors, ['hr']);
        const n = await q.store.newest('engineer', 'acme');
        assert.equal(n?.id, a.id);
      } finally {
        await q.cleanup();
      }
    });
  });
}
