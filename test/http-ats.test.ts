// The HTTP API of attestations and health, against a real server on an ephemeral port.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './http-helpers.js';

function assertErrorShape(body: any, status: number, label: string): void {
  assert.equal(typeof body, 'object', `${label}: body is JSON (${status})`);
  assert.equal(typeof body.error, 'string', `${label}: error is a string`);
  assert.ok(Array.isArray(body.details), `${label}: details is an array`);
  assert.ok(body.details.every((d: unknown) => typeof d === 'string'), `${label}: details are strings`);
  assert.equal(JSON.stringify(body).includes('    at '), false, `${label}: no stack trace`);
}

describe('attestation HTTP API', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s.stop();
  });

  it('answers /health with version, database and uptime', async () => {
    const r = await s.request('GET', '/health');
    assert.equal(r.status, 200);
    assert.equal(r.body.status, 'ok');
    assert.equal(r.body.database, 'sqlite');
    assert.match(r.body.version, /^\d+\.\d+\.\d+/);
    assert.equal(typeof r.body.uptime_s, 'number');
  });

  it('creates from structured JSON and from text, and finds them', async () => {
    const a = await s.request('POST', '/api/as', {
      subjects: ['alice'],
      predicates: ['engineer'],
      contexts: ['acme'],
      attributes: { since: 2020 },
    });
    assert.equal(a.status, 201);
    assert.match(a.body.id, /^AS/);
    assert.deepEqual(a.body.actors, ['api']);
    assert.equal(a.body.source, 'api');
    const b = await s.request('POST', '/api/as', { text: 'as bob "big boss" is manager of acme by hr-system at 2026-01-29' });
    assert.equal(b.status, 201);
    assert.deepEqual(b.body.subjects, ['bob', 'big boss']);
    assert.deepEqual(b.body.actors, ['hr-system']);
    assert.equal(b.body.timestamp, Date.parse('2026-01-29'));

    const q = await s.request('GET', '/api/attestations?contexts=acme');
    assert.equal(q.status, 200);
    assert.deepEqual(q.body.attestations.map((x: any) => x.subjects[0]), ['alice', 'bob']);
    const q2 = await s.request('GET', '/api/attestations?subjects=alice&subjects=bob&predicates=manager');
    assert.deepEqual(q2.body.attestations.map((x: any) => x.id), [b.body.id]);
    const q3 = await s.request('GET', '/api/attestations?subjects=alice,bob&limit=1');
    assert.equal(q3.body.attestations.length, 1);
    assert.ok(q3.body.next_cursor);
    const q4 = await s.request('GET', `/api/attestations?subjects=alice,bob&limit=1&cursor=${q3.body.next_cursor}`);
    assert.equal(q4.body.attestations.length, 1);
    assert.notEqual(q4.body.attestations[0].id, q3.body.attestations[0].id);
    const one = await s.request('GET', `/api/attestations/${a.body.id}`);
    assert.equal(one.body.id, a.body.id);
    const post = await s.request('POST', '/api/attestations/query', { subjects: ['alice'] });
    assert.equal(post.body.attestations[0].id, a.body.id);
  });

  const malformed: Array<[string, string, unknown, Record<string, string>?, number?]> = [
    ['POST', '/api/as', '{"subjects": ["a"', undefined, 400],
    ['POST', '/api/as', '', { 'content-type': 'application/json' }, 400],
    ['POST', '/api/as', 'subjects=a', { 'content-type': 'application/x-www-form-urlencoded' }, 415],
    ['POST', '/api/as', '[1,2]', undefined, 400],
    ['POST', '/api/as', 'null', undefined, 400],
    ['POST', '/api/as', '"text"', undefined, 400],
    ['POST', '/api/as', {}, undefined, 400],
    ['POST', '/api/as', { subjects: 'a' }, undefined, 400],
    ['POST', '/api/as', { subjects: [], predicates: ['p'], contexts: ['c'] }, undefined, 400],
    ['POST', '/api/as', { subjects: [''], predicates: ['p'], contexts: ['c'] }, undefined, 400],
    ['POST', '/api/as', { subjects: [1], predicates: ['p'], contexts: ['c'] }, undefined, 400],
    ['POST', '/api/as', { subjects: ['a'], predicates: ['p'], contexts: ['c'], attributes: 'x' }, undefined, 400],
    ['POST', '/api/as', { subjects: ['a'], predicates: ['p'], contexts: ['c'], timestamp: 'soon' }, undefined, 400],
    ['POST', '/api/as', { subjects: ['a'], predicates: ['p'], contexts: ['c'], timestamp: -5 }, undefined, 400],
    ['POST', '/api/as', { subjects: ['a'], predicates: ['p'], contexts: ['c'], bogus: true }, undefined, 400],
    ['POST', '/api/as', { text: 42 }, undefined, 400],
    ['POST', '/api/as', { text: 'as is engineer of acme' }, undefined, 400],
    ['POST', '/api/as', { text: 'as "alice is engineer of acme' }, undefined, 400],
    ['POST', '/api/as', { text: 'as alice is engineer of acme', subjects: ['x'] }, undefined, 400],
    ['POST', '/api/as', { subjects: ['a'], predicates: ['p'], contexts: ['c'], id: 'has space' }, undefined, 400],
    ['POST', '/api/as', { subjects: ['a'], predicates: ['p'], contexts: ['c'], attributes: { big: 'x'.repeat(3 * 1024 * 1024) } }, undefined, 413],
    ['GET', '/api/attestations?limit=abc', undefined, undefined, 400],
    ['GET', '/api/attestations?limit=-1', undefined, undefined, 400],
    ['GET', '/api/attestations?order=sideways', undefined, undefined, 400],
    ['GET', '/api/attestations?cursor=garbage', undefined, undefined, 400],
    ['GET', '/api/attestations?time_start=never', undefined, undefined, 400],
    ['GET', '/api/attestations?unknown=1', undefined, undefined, 400],
    ['GET', '/api/attestations/ASNOPE', undefined, undefined, 404],
    ['GET', '/api/nope', undefined, undefined, 404],
    ['DELETE', '/api/as', undefined, undefined, 404],
    ['POST', '/api/attestations/query', { subjects: 'a' }, undefined, 400],
  ];
  for (const [method, path, body, headers, status] of malformed) {
    const label = `${method} ${path} ${typeof body === 'string' ? body.slice(0, 30) : JSON.stringify(body)?.slice(0, 60)}`;
    it(`answers ${status} in the error shape: ${label}`, async () => {
      const r = await s.request(method, path, body, headers);
      assert.equal(r.status, status, `${label}: ${JSON.stringify(r.body).slice(0, 200)}`);
      assertErrorShape(r.body, r.status, label);
    });
  }

  it('gives a hint for an incomplete textual attestation', async () => {
    const r = await s.request('POST', '/api/as', { text: 'as alice is engineer of' });
    assert.equal(r.status, 400);
    assert.match(r.body.error, /'of' needs a context at column 24/);
    assert.deepEqual(r.body.details, ['column=24', 'clause=of']);
    assert.match(r.body.hint, /as SUBJECT/);
  });
});

describe('access token', () => {
  it('refuses --no-token on a public address', async () => {
    await assert.rejects(startTestServer('sqlite', { host: '0.0.0.0', noToken: true }), /refusing --no-token on 0\.0\.0\.0/);
  });

  it('requires the bearer token on /api when one is set', async () => {
    const s = await startTestServer('sqlite', { token: 'a-very-secret-token-123' });
    try {
      const denied = await s.request('GET', '/api/attestations', undefined, { authorization: '' });
      assert.equal(denied.status, 401);
      assertErrorShape(denied.body, 401, 'no token');
      const wrong = await s.request('GET', '/api/attestations', undefined, { authorization: 'Bearer nope' });
      assert.equal(wrong.status, 401);
      const ok = await s.request('GET', '/api/attestations', undefined, { authorization: 'Bearer a-very-secret-token-123' });
      assert.equal(ok.status, 200);
      assert.equal((await s.request('GET', '/health')).status, 200);
    } finally {
      await s.stop();
    }
  });
});
