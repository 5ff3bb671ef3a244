// Secrets: sealed at rest (the raw database bytes never hold the value), never returned
// by the API, read by a granted type as ix.secrets, and redacted (the value and its JSON, Python,
// URL, hex and base64 spellings, base64 inside a Basic auth header too) from what a run prints,
// raises and attests; an ungranted type gets none; a lost or wrong key is a clear error.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../src/clock.js';
import { QntxError } from '../src/errors.js';
import { open, seal } from '../src/secrets/cipher.js';
import { loadOrCreateKey } from '../src/secrets/key.js';
import { Redactor } from '../src/secrets/redact.js';
import { SecretService } from '../src/secrets/service.js';
import { openTestDatabase } from './fixtures/pulse-db.js';
import { DB_KINDS, tempDir } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';
import { WsClient } from './ws-helpers.js';

const VALUE = 'tok-9f8e7d6c5b4a-sekret value/with+chars&=';
const B64 = Buffer.from(VALUE).toString('base64');
const URLENC = encodeURIComponent(VALUE);
/** Non-ASCII, an astral character, and characters every encoder treats differently. */
const NON_ASCII = 'pä ss/wörd+&="x😀';

/**
 * Whether `out` still spells the middle of NON_ASCII (`ss`) in any encoding the tests use: as is
 * (JSON, URL, bytes repr), as hex, or decoded from base64 at any alignment of any piece.
 */
function leaksMiddle(out: string): boolean {
  if (out.includes('ss') || out.toLowerCase().includes('7373')) return true;
  for (const piece of out.split(/\[secret:[A-Z_]+\]/)) {
    for (let k = 0; k < 4; k++) {
      const std = piece.slice(k).replace(/-/g, '+').replace(/_/g, '/');
      if (Buffer.from(std, 'base64').includes('ss')) return true;
    }
  }
  return false;
}

/** Python's json.dumps of a string (ensure_ascii: \\uXXXX past ASCII, surrogate pairs). */
function pyJsonDumps(s: string): string {
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

const LEAKY = `
import base64, urllib.parse
v = ix.secrets["API_TOKEN"]
print("token:", v)
print("b64:", base64.b64encode(v.encode()).decode())
print("url:", urllib.parse.quote(v, safe=""))
import sys
print("err:", v, file=sys.stderr)
attest("leak", "has", v, attributes={"token": v, v: "as key", "nested": [v]})
raise RuntimeError("failed with " + v)
`;

/** Prints, raises and attests common encodings of its secret, one `name=...` each. */
const ENCODED = `
import base64, json, sys, urllib.parse
v = ix.secrets["PW"]
lines = [
    "json=" + json.dumps({"p": v}),
    "basic=Authorization: Basic " + base64.b64encode(("alice:" + v).encode()).decode(),
    "hex=" + v.encode().hex(),
    "url=" + urllib.parse.quote(v, safe=""),
    "quote_plus=" + urllib.parse.urlencode({"p": v}),
]
print("\\n".join(lines))
print("\\n".join(lines), file=sys.stderr)
attest("enc", "has", "it", attributes={"lines": lines})
raise RuntimeError(" ".join(lines))
`;

const GRANTED_OK = `
import os
attest("ok", "saw", "secret-" + str(len(ix.secrets["API_TOKEN"])))
print(repr(ix))
print("in env:", any(ix.secrets["API_TOKEN"] in v for v in os.environ.values()))
`;

const OTHER = `
print("secrets:", sorted(ix.secrets))
`;

function allStrings(v: unknown): string {
  return JSON.stringify(v);
}

describe('secret parts', () => {
  it('seals with AES-256-GCM: another key, another name or a flipped byte does not open', () => {
    const k1 = Buffer.alloc(32, 1);
    const k2 = Buffer.alloc(32, 2);
    const sealed = seal(k1, 'A', VALUE);
    assert.equal(open(k1, 'A', sealed), VALUE);
    assert.equal(open(k2, 'A', sealed), null);
    assert.equal(open(k1, 'B', sealed), null);
    const raw = Buffer.from(sealed, 'base64');
    raw[raw.length - 1]! ^= 1;
    assert.equal(open(k1, 'A', raw.toString('base64')), null);
    assert.notEqual(seal(k1, 'A', VALUE), sealed, 'a fresh nonce each time');
  });

  it('redacts the value, its base64 and URL-encoded forms, in text and JSON keys and values', () => {
    const r = new Redactor({ API_TOKEN: VALUE });
    assert.equal(r.text(`a ${VALUE} b ${B64} c ${URLENC} d ${B64.replace(/=+$/, '')}`), 'a [secret:API_TOKEN] b [secret:API_TOKEN] c [secret:API_TOKEN] d [secret:API_TOKEN]');
    assert.deepEqual(r.json({ [VALUE]: [VALUE, 1, { x: `pre${VALUE}` }] }), { '[secret:API_TOKEN]': ['[secret:API_TOKEN]', 1, { x: 'pre[secret:API_TOKEN]' }] });
  });

  it('redacts JSON escapes, base64 at any alignment (Basic auth), URL encodings and hex of a non-ASCII value', () => {
    const v = NON_ASCII;
    const r = new Redactor({ PW: v });
    const b = (s: string) => Buffer.from(s, 'utf8');
    const cases: Array<[string, string]> = [
      ['JSON.stringify', JSON.stringify({ p: v })],
      ['ensure_ascii, lower hex', pyJsonDumps(v)],
      ['ensure_ascii, upper hex', pyJsonDumps(v).replace(/\\u([0-9a-f]{4})/g, (_m, h: string) => '\\u' + h.toUpperCase())],
      ['escaped slash', JSON.stringify(v).replace(/\//g, '\\/')],
      ['base64', b(v).toString('base64')],
      ['base64 unpadded', b(v).toString('base64').replace(/=+$/, '')],
      ['base64url', b(v).toString('base64url')],
      ...['alice:', 'bob:', 'a-much-longer-user:', ':', 'x'].map((u): [string, string] => [`Basic ${u}`, 'Authorization: Basic ' + b(u + v).toString('base64')]),
      ['secret: pair', b(v + ':').toString('base64')],
      ['embedded in base64url of JSON', b(JSON.stringify({ user: 'u', pw: v, n: 1 })).toString('base64url')],
      ['encodeURIComponent', encodeURIComponent(v)],
      ['lower-case %xx', encodeURIComponent(v).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())],
      ['form', new URLSearchParams({ p: v }).toString()],
      ['quote(safe="")', 'p%C3%A4%20ss%2Fw%C3%B6rd%2B%26%3D%22x%F0%9F%98%80'],
      ['quote_plus', 'p%C3%A4+ss%2Fw%C3%B6rd%2B%26%3D%22x%F0%9F%98%80'],
      ['quote', 'p%C3%A4%20ss/w%C3%B6rd%2B%26%3D%22x%F0%9F%98%80'],
      ['hex', b(v).toString('hex')],
      ['HEX', b(v).toString('hex').toUpperCase()],
      ['hex of a prefix and the value', b('id=' + v).toString('hex')],
      ['bytes repr', String.raw`b'p\xc3\xa4 ss/w\xc3\xb6rd+&="x\xf0\x9f\x98\x80'`],
    ];
    for (const [label, text] of cases) {
      const out = r.text(`<${text}>`);
      assert.match(out, /\[secret:PW\]/, `${label}: ${out}`);
      assert.equal(leaksMiddle(out), false, `${label}: ${out}`);
    }
    // Text around a mark stays, two secrets each get their mark, and nothing is redacted without a secret.
    assert.equal(r.text(`a ${v} b`), 'a [secret:PW] b');
    const two = new Redactor({ PW: v, KEY: 'k3y-value-1234' });
    assert.equal(two.text(`${v}|k3y-value-1234|${b('k3y-value-1234').toString('hex')}`), '[secret:PW]|[secret:KEY]|[secret:KEY]');
    assert.equal(new Redactor({}).text(v), v);
  });

  it('redacts 64 KiB of output against many secrets in linear time', () => {
    const secrets: Record<string, string> = {};
    for (let i = 0; i < 50; i++) secrets[`S${i}`] = `secret-${i}-${'x'.repeat(i)}-é`;
    const r = new Redactor(secrets);
    const noise = Buffer.alloc(48 * 1024, 7).toString('base64').slice(0, 64 * 1024);
    const text = noise.slice(0, 30_000) + pyJsonDumps(secrets.S7!) + noise.slice(30_000);
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) assert.ok(r.text(text).includes('[secret:S7]'));
    const perText = (performance.now() - t0) / 20;
    assert.ok(perText < 50, `${perText.toFixed(1)} ms for 64 KiB and 50 secrets`);
  });

  it('makes the key file with mode 0600; a lost or wrong key is a clear error, not garbage', async () => {
    const dataDir = tempDir();
    const database = await openTestDatabase({ dataDir, databaseUrl: undefined, pgSchema: undefined, poolSize: 2 });
    try {
      const svc = new SecretService(database, { dataDir }, new ManualClock());
      await svc.set('API_TOKEN', VALUE);
      await svc.grant('API_TOKEN', 'leaky');
      assert.equal(fs.statSync(path.join(dataDir, 'secret.key')).mode & 0o777, 0o600);
      assert.deepEqual(await svc.forType('leaky'), { API_TOKEN: VALUE });
      assert.deepEqual(await svc.forType('other'), {});
      // Another key (QNTX_SECRET_KEY set to something else).
      const wrong = new SecretService(database, { dataDir, secretKey: Buffer.alloc(32, 7).toString('base64') }, new ManualClock());
      const e1 = await wrong.forType('leaky').catch((e: unknown) => e);
      assert.ok(e1 instanceof QntxError);
      assert.match(e1.message, /secret API_TOKEN cannot be read: it was stored with another key/);
      assert.ok(!JSON.stringify(e1.toBody()).includes(VALUE));
      // The key file lost.
      fs.rmSync(path.join(dataDir, 'secret.key'));
      const e2 = await svc.forType('leaky').catch((e: unknown) => e);
      assert.ok(e2 instanceof QntxError);
      assert.match(e2.message, /secret API_TOKEN cannot be read: there is no secret key/);
      // A key of the wrong size is refused before anything is sealed with it.
      const e3 = (() => {
        try {
          loadOrCreateKey({ dataDir, secretKey: 'c2hvcnQ=' });
        } catch (e) {
          return e;
        }
      })();
      assert.ok(e3 instanceof QntxError && /not 32 bytes/.test(e3.message));
      // Names are checked.
      const bad = await svc.set('lower', VALUE).catch((e: unknown) => e);
      assert.ok(bad instanceof QntxError && bad.status === 400);
      const short = await svc.set('SHORT', 'abc').catch((e: unknown) => e);
      assert.ok(short instanceof QntxError && short.status === 400);
    } finally {
      await database.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`secrets over the API and in runs (${kind})`, { skip }, () => {
    let s: TestServer;
    let ws: WsClient;
    before(async () => {
      s = await startTestServer(kind);
      ws = await WsClient.connect(s.url);
    });
    after(async () => {
      ws.close();
      await s.stop();
    });

    async function run(atsCode: string): Promise<any> {
      const sch = await s.request('POST', '/api/pulse/schedules', { ats_code: atsCode, interval_seconds: 0 });
      assert.equal(sch.status, 201, JSON.stringify(sch.body));
      const started = await ws.next((m) => m.type === 'pulse_execution_started' && m.schedule_id === sch.body.id);
      await ws.next((m) => (m.type === 'pulse_execution_completed' || m.type === 'pulse_execution_failed') && m.execution_id === started.execution_id);
      return (await s.request('GET', `/api/pulse/executions/${started.execution_id}`)).body;
    }

    it('never returns a value: set, list, grant and revoke answer names and grants', async () => {
      const put = await s.request('PUT', '/api/secrets/API_TOKEN', { value: VALUE });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      assert.deepEqual(Object.keys(put.body).sort(), ['created_at', 'grants', 'name', 'updated_at']);
      const granted = await s.request('POST', '/api/secrets/API_TOKEN/grants', { script_type: 'leaky' });
      assert.deepEqual(granted.body.grants, ['leaky']);
      await s.request('POST', '/api/secrets/API_TOKEN/grants', { script_type: 'okay' });
      const list = await s.request('GET', '/api/secrets');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.secrets.map((x: any) => [x.name, x.grants]), [['API_TOKEN', ['leaky', 'okay']]]);
      for (const r of [put, granted, list]) {
        const text = allStrings(r.body);
        for (const form of [VALUE, B64, URLENC]) assert.ok(!text.includes(form));
      }
      const noToken = await s.request('GET', '/api/secrets', undefined, { authorization: '' });
      assert.equal(noToken.status, 401);
      const missing = await s.request('DELETE', '/api/secrets/NOPE');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.body.details, ['secret=NOPE']);
      const badName = await s.request('PUT', '/api/secrets/bad-name', { value: VALUE });
      assert.equal(badName.status, 400);
      assert.ok(!allStrings(badName.body).includes(VALUE));
    });

    it('a granted handler reads it; what it prints, raises and attests says [secret:API_TOKEN]', async () => {
      await s.request('POST', '/api/python/register-handler', { script_type: 'leaky', code: LEAKY });
      const x = await run('ix leaky');
      assert.equal(x.status, 'failed');
      assert.match(x.stdout, /token: \[secret:API_TOKEN\]/);
      assert.match(x.stdout, /b64: \[secret:API_TOKEN\]/);
      assert.match(x.stdout, /url: \[secret:API_TOKEN\]/);
      assert.match(x.stderr, /err: \[secret:API_TOKEN\]/);
      assert.match(x.error, /failed with \[secret:API_TOKEN\]/);
      const text = allStrings(x);
      for (const form of [VALUE, B64, URLENC]) assert.ok(!text.includes(form), `execution holds ${form}`);
      const atts = await s.request('GET', '/api/attestations?subjects=leak&limit=10');
      assert.equal(atts.body.attestations.length, 1);
      const a = atts.body.attestations[0];
      assert.deepEqual(a.contexts, ['[secret:API_TOKEN]']);
      assert.deepEqual(a.attributes, { token: '[secret:API_TOKEN]', '[secret:API_TOKEN]': 'as key', nested: ['[secret:API_TOKEN]'] });
      const job = await s.request('GET', `/api/pulse/jobs/${x.async_job_id}`);
      assert.ok(!allStrings(job.body).includes(VALUE));

      await s.request('POST', '/api/python/register-handler', { script_type: 'okay', code: GRANTED_OK });
      const ok = await run('ix okay');
      assert.equal(ok.status, 'completed', JSON.stringify(ok));
      assert.match(ok.stdout, /secrets=\['API_TOKEN'\]/, 'repr(ix) names secrets, never values');
      assert.match(ok.stdout, /in env: False/, 'never in the environment of the run');
      const seen = await s.request('GET', '/api/attestations?subjects=ok&limit=10');
      assert.deepEqual(seen.body.attestations[0].contexts, [`secret-${VALUE.length}`]);
    });

    it('redacts the encodings a handler makes of a non-ASCII secret: json.dumps, Basic auth, hex, URL', async () => {
      assert.equal((await s.request('PUT', '/api/secrets/PW', { value: NON_ASCII })).status, 200);
      await s.request('POST', '/api/secrets/PW/grants', { script_type: 'encoded' });
      await s.request('POST', '/api/python/register-handler', { script_type: 'encoded', code: ENCODED });
      const x = await run('ix encoded');
      assert.equal(x.status, 'failed', JSON.stringify(x));
      const atts = (await s.request('GET', '/api/attestations?subjects=enc&limit=10')).body.attestations;
      assert.equal(atts.length, 1);
      const forms = {
        json: JSON.stringify({ p: NON_ASCII }),
        ascii: pyJsonDumps(NON_ASCII),
        basic: Buffer.from('alice:' + NON_ASCII).toString('base64'),
        hex: Buffer.from(NON_ASCII).toString('hex'),
        url: encodeURIComponent(NON_ASCII),
      };
      for (const [label, text] of [['stdout', x.stdout], ['stderr', x.stderr], ['error', `${x.error} ${JSON.stringify(x.error_details)}`], ['attestation', JSON.stringify(atts[0])]]) {
        for (const name of ['json', 'basic', 'hex', 'url', 'quote_plus']) assert.match(text, new RegExp(`${name}=[^\\n]*\\[secret:PW\\]`), `${label} ${name}: ${text}`);
        assert.equal(leaksMiddle(text), false, `${label}: ${text}`);
        for (const [name, form] of Object.entries(forms)) assert.ok(!text.includes(form), `${label} holds ${name}`);
      }
      assert.equal((await s.request('DELETE', '/api/secrets/PW')).status, 200);
    });

    it('an ungranted type gets no secret, and a revoked one none either', async () => {
      await s.request('POST', '/api/python/register-handler', { script_type: 'other', code: OTHER });
      const x = await run('ix other');
      assert.equal(x.status, 'completed', JSON.stringify(x));
      assert.match(x.stdout, /secrets: \[\]/);
      const revoked = await s.request('DELETE', '/api/secrets/API_TOKEN/grants/okay');
      assert.deepEqual(revoked.body.grants, ['leaky']);
      await s.request('POST', '/api/python/register-handler', { script_type: 'okay', code: OTHER });
      const y = await run('ix okay');
      assert.match(y.stdout, /secrets: \[\]/);
    });

    if (kind === 'sqlite') {
      it('the raw database files never hold the value in any form', async () => {
        // Checkpoint the WAL into the file, then read every byte of the file and of what is left of the WAL.
        s.qntx.database.sqlite!.pragma('wal_checkpoint(TRUNCATE)');
        const dir = s.qntx.settings.dataDir;
        const files = fs.readdirSync(dir).filter((f) => f.includes('.db') || f.includes('.sqlite'));
        assert.ok(files.length > 0, `database files in ${dir}: ${fs.readdirSync(dir).join(', ')}`);
        for (const f of files) {
          const bytes = fs.readFileSync(path.join(dir, f));
          for (const form of [VALUE, B64, URLENC, 'sekret value']) assert.equal(bytes.indexOf(Buffer.from(form)), -1, `${f} holds ${form}`);
        }
        // The name is there, sealed next to it.
        const all = Buffer.concat(files.map((f) => fs.readFileSync(path.join(dir, f))));
        assert.notEqual(all.indexOf(Buffer.from('API_TOKEN')), -1);
      });
    }

    it('deleting a secret deletes its grants', async () => {
      const del = await s.request('DELETE', '/api/secrets/API_TOKEN');
      assert.equal(del.status, 200);
      assert.deepEqual((await s.request('GET', '/api/secrets')).body.secrets, []);
      assert.deepEqual(await s.qntx.secrets.forType('leaky'), {});
    });
  });
}
