// The canvas store and its HTTP routes: one suite, run against SQLite and PostgreSQL.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createCanvasStore, type CanvasStore } from '../src/canvas/store.js';
import { ConflictError } from '../src/errors.js';
import { buildServer } from '../src/server/app.js';
import { DB_KINDS, openTestQntx, type TestQntx } from './helpers.js';

const box = { kind: 'ix', x: 10.5, y: -20, width: 360, height: 240, data: { command: 'webhook', nested: { ok: true } } };

for (const { kind, skip } of DB_KINDS) {
  describe(`canvas store (${kind})`, { skip }, () => {
    let q: TestQntx;
    let store: CanvasStore;
    let t = 1_700_000_000_000;

    before(async () => {
      q = await openTestQntx(kind);
      store = createCanvasStore(q.database, () => t++);
    });
    after(async () => {
      await q.cleanup();
    });

    it('creates a glyph at version 1 and reads every field back', async () => {
      const { glyph, created } = await store.put('g-create', box, 0);
      assert.equal(created, true);
      assert.equal(glyph.version, 1);
      assert.deepEqual(await store.get('g-create'), glyph);
      assert.deepEqual({ ...glyph, created_at: 0, updated_at: 0 }, { id: 'g-create', ...box, version: 1, created_at: 0, updated_at: 0 });
    });

    it('bumps the version on an update based on the current one and keeps created_at', async () => {
      const first = (await store.put('g-move', box, 0)).glyph;
      const { glyph, created } = await store.put('g-move', { ...box, x: 99, data: { command: 'git ./repo' } }, 1);
      assert.equal(created, false);
      assert.equal(glyph.version, 2);
      assert.equal(glyph.x, 99);
      assert.equal(glyph.created_at, first.created_at);
      assert.ok(glyph.updated_at > first.updated_at);
      assert.deepEqual(await store.get('g-move'), glyph);
    });

    it('rejects a write based on a stale version with a conflict naming the current one', async () => {
      await store.put('g-stale', box, 0);
      await store.put('g-stale', { ...box, x: 1 }, 1);
      await assert.rejects(store.put('g-stale', { ...box, x: 2 }, 1), (err: unknown) => {
        assert.ok(err instanceof ConflictError);
        assert.ok(err.details.includes('current_version=2'));
        return true;
      });
      await assert.rejects(store.put('g-stale', box, 0), ConflictError);
      await assert.rejects(store.put('g-missing', box, 3), ConflictError);
      assert.equal((await store.get('g-stale'))!.x, 1);
    });

    it('lets only one of two writers based on the same version win', async () => {
      await store.put('g-race', box, 0);
      const results = await Promise.allSettled([store.put('g-race', { ...box, x: 1 }, 1), store.put('g-race', { ...box, x: 2 }, 1)]);
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.equal((await store.get('g-race'))!.version, 2);
    });

    it('writes unconditionally without a version', async () => {
      assert.equal((await store.put('g-free', box, undefined)).glyph.version, 1);
      assert.equal((await store.put('g-free', box, undefined)).glyph.version, 2);
    });

    it('lists glyphs oldest first and removes them', async () => {
      const ids = (await store.list()).map((g) => g.id);
      assert.deepEqual(ids.slice(0, 2), ['g-create', 'g-move']);
      assert.equal(await store.remove('g-create'), true);
      assert.equal(await store.remove('g-create'), false);
      assert.equal(await store.get('g-create'), undefined);
    });
  });

  describe(`canvas routes (${kind})`, { skip }, () => {
    let q: TestQntx;
    let app: FastifyInstance;

    before(async () => {
      q = await openTestQntx(kind);
      // inject() sends Host: localhost:80 to a server that does not listen: allow that name.
      app = await buildServer({
        qntx: q,
        version: 'test',
        actor: 'api',
        token: undefined,
        bindHost: '127.0.0.1',
        allowedHosts: ['localhost'],
        limits: { requestTimeoutMs: 30_000, connectionTimeoutMs: 120_000, responseBudgetBytes: 8 << 20 },
      });
    });
    after(async () => {
      await app.close();
      await q.cleanup();
    });

    it('creates with 201, updates with 200 and lists what it stored', async () => {
      const created = await app.inject({ method: 'PUT', url: '/api/canvas/glyphs/ix-1', payload: { ...box, version: 0 } });
      assert.equal(created.statusCode, 201);
      assert.equal(created.json().version, 1);
      const updated = await app.inject({ method: 'PUT', url: '/api/canvas/glyphs/ix-1', payload: { ...box, y: 5, version: 1 } });
      assert.equal(updated.statusCode, 200);
      assert.equal(updated.json().version, 2);
      const list = await app.inject({ method: 'GET', url: '/api/canvas' });
      assert.deepEqual(
        list.json().glyphs.map((g: { id: string; y: number }) => [g.id, g.y]),
        [['ix-1', 5]],
      );
      assert.equal((await app.inject({ method: 'GET', url: '/api/canvas/glyphs/ix-1' })).json().y, 5);
    });

    it('answers a stale version with 409 and the error body', async () => {
      const res = await app.inject({ method: 'PUT', url: '/api/canvas/glyphs/ix-1', payload: { ...box, version: 1 } });
      assert.equal(res.statusCode, 409);
      const body = res.json();
      assert.match(body.error, /changed elsewhere/);
      assert.ok(body.details.includes('current_version=2'));
      assert.equal(typeof body.hint, 'string');
    });

    it('rejects bad ids, kinds, sizes and oversized data with 400 naming the field', async () => {
      const bad = async (url: string, payload: unknown) => {
        const res = await app.inject({ method: 'PUT', url, payload: payload as Record<string, unknown> });
        assert.equal(res.statusCode, 400, res.body);
        return res.json() as { details: string[] };
      };
      assert.ok((await bad('/api/canvas/glyphs/has%20space', box)).details.some((d) => d.startsWith('id=')));
      assert.ok((await bad('/api/canvas/glyphs/ok', { ...box, kind: 'Nope!' })).details.some((d) => d.startsWith('kind=')));
      assert.ok((await bad('/api/canvas/glyphs/ok', { ...box, width: -1 })).details.some((d) => d.startsWith('width=')));
      assert.ok((await bad('/api/canvas/glyphs/ok', { ...box, extra: 1 })).details.length > 0);
      assert.ok((await bad('/api/canvas/glyphs/ok', { ...box, data: { code: 'x'.repeat(300_000) } })).details.includes('limit=262144'));
    });

    it('deletes with 204, then answers 404', async () => {
      assert.equal((await app.inject({ method: 'DELETE', url: '/api/canvas/glyphs/ix-1' })).statusCode, 204);
      const again = await app.inject({ method: 'DELETE', url: '/api/canvas/glyphs/ix-1' });
      assert.equal(again.statusCode, 404);
      assert.deepEqual(again.json().details, ['id=ix-1']);
      assert.equal((await app.inject({ method: 'GET', url: '/api/canvas/glyphs/ix-1' })).statusCode, 404);
    });
  });
}
