// One validation of attestations: the same cases through the TypeScript validator (API, CLI,
// import) and through attest() in a real python3 must be accepted or refused alike, sizes in UTF-8
// bytes on both sides, and a time without an offset is UTC everywhere, whatever the server's TZ.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AsidFactory } from '../src/ats/asid.js';
import { toNewAttestation } from '../src/ats/input.js';
import { silentLogger } from '../src/logger.js';
import { PythonRunner } from '../src/python/runner.js';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';
import { startProcess, type QntxProcess } from './process-helpers.js';

interface Case {
  name: string;
  input: { subjects: unknown; predicates?: unknown; contexts?: unknown; attributes?: unknown; timestamp?: unknown };
  /** The timestamp both sides must produce, when accepted. */
  ms?: number;
}

const ok = (name: string, subjects: unknown): Case => ({ name, input: { subjects } });
const attrs = (name: string, attributes: unknown): Case => ({ name, input: { subjects: 's', attributes } });
const ts = (timestamp: unknown, ms?: number): Case => ({ name: `timestamp ${JSON.stringify(timestamp)}`, input: { subjects: 's', timestamp }, ...(ms === undefined ? {} : { ms }) });

const CASES: Case[] = [
  ok('plain', 'alice'),
  ok('empty', ''),
  ok('spaces', '   '),
  ok('unit separator (Python calls it space, JavaScript does not)', '\x1f'),
  ok('next line U+0085', '\u0085'),
  ok('BOM (JavaScript calls it space, Python does not)', '\ufeff'),
  ok('line separator U+2028', '\u2028'),
  ok('2000 bytes of é', 'é'.repeat(1000)),
  ok('2002 bytes of é', 'é'.repeat(1001)),
  ok('2000 bytes of emoji', '😀'.repeat(500)),
  ok('2004 bytes of emoji', '😀'.repeat(501)),
  ok('2001 ASCII bytes', 'a'.repeat(2001)),
  ok('NUL', 'a\0b'),
  ok('lone surrogate', 'a\ud800b'),
  ok('256 values', Array.from({ length: 256 }, (_, i) => `v${i}`)),
  ok('257 values', Array.from({ length: 257 }, (_, i) => `v${i}`)),
  attrs('attributes of 1 MiB exactly', { k: 'a'.repeat(1024 * 1024 - 8) }),
  attrs('attributes of 1 MiB + 1', { k: 'a'.repeat(1024 * 1024 - 7) }),
  attrs('600,000 é: 600,000 UTF-16 units, 1.2 MB of UTF-8', { k: 'é'.repeat(600_000) }),
  attrs('50,000 × 1e20: 300 kB as Python writes it, 1.1 MB as JSON.stringify does', { k: Array(50_000).fill(1e20) }),
  attrs('floats JSON.stringify writes shorter', { k: Array(40_000).fill(1.5e-7) }),
  attrs('NUL in attributes', { k: 'a\0b' }),
  attrs('lone surrogate in attributes', { 'k\udc00': 1 }),
  attrs('a backslash-u text is not an escape', { k: '\\u0000 and \\ud800' }),
  ts(1700000000000, 1700000000000),
  ts('1700000000000', 1700000000000),
  ts('2026-01-29', Date.UTC(2026, 0, 29)),
  ts('2026-01-29T10:00', Date.UTC(2026, 0, 29, 10)),
  ts('2026-01-29 10:00:00', Date.UTC(2026, 0, 29, 10)),
  ts('2026-01-29T10:00:00Z', Date.UTC(2026, 0, 29, 10)),
  ts('2026-01-29t10:00:00z', Date.UTC(2026, 0, 29, 10)),
  ts('2026-01-29T10:00:00.1239+05:30', Date.UTC(2026, 0, 29, 4, 30, 0, 123)),
  ts('2026-01-29T10:00+0530', Date.UTC(2026, 0, 29, 4, 30)),
  ts('2026-01-29T10:00-05', Date.UTC(2026, 0, 29, 15)),
  ts('2024-02-29T23:59:59.999999999Z', Date.UTC(2024, 1, 29, 23, 59, 59, 999)),
  ts('2025-02-29'),
  ts('2026-02-30'),
  ts('2026-01-29T24:00'),
  ts('2026-01-29T10:60'),
  ts('2026-01-29T10:00:00,5Z'),
  ts('2026-01-29T10:00:00.1234567891Z'),
  ts('Jan 29 2026'),
  ts('Thu, 29 Jan 2026 10:00:00 GMT'),
  ts('2026-W05-4'),
  ts('20260129T100000Z'),
  ts('+002026-01-29'),
  ts(' 2026-01-29'),
  ts('2026-01-29T10:00+24:00'),
  ts('1969-12-31T23:59:59Z'),
  ts('0099-01-01'),
  // Digits of other scripts: Python's \d matches them unless told ASCII; JavaScript's does not.
  ts('٢٠٢٦-01-29'),
  ts('２０２６-01-29'),
  ts('17000000٠٠٠٠٠'),
];

function viaTypeScript(c: Case): { ok: boolean; ms?: number; why?: string } {
  const raw = { predicates: 'p', contexts: 'c', ...c.input };
  try {
    const a = toNewAttestation(raw, { source: 't', actor: 't', now: 0, ids: new AsidFactory() });
    return { ok: true, ms: a.timestamp };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

describe('one validation of attestations, TypeScript and Python', () => {
  let runner: PythonRunner;
  before(() => {
    runner = new PythonRunner({ logger: silentLogger() });
  });
  after(() => runner.close());

  it('accepts and refuses the same cases, with the same timestamps', async () => {
    const code = [
      'import json',
      "cases = ix.state.pop('cases')",
      'out = []',
      'for c in cases:',
      "    kw = {'predicates': 'p', 'contexts': 'c'}",
      '    kw.update(c)',
      '    try:',
      '        attest(**kw)',
      '        out.append(None)',
      '    except (TypeError, ValueError) as e:',
      '        out.append(str(e)[:200])',
      'print(json.dumps(out))',
    ].join('\n');
    const r = await runner.run({ code, context: { state: { cases: CASES.map((c) => c.input) } }, limits: { memoryBytes: 2 * 1024 * 1024 * 1024 } });
    assert.equal(r.success, true, `${r.error} ${r.stderr}`);
    const py = JSON.parse(r.stdout) as Array<string | null>;
    const pyTimestamps = r.pending.map((a) => a.timestamp);
    const mismatches: string[] = [];
    CASES.forEach((c, i) => {
      const t = viaTypeScript(c);
      const p = py[i] === null;
      if (t.ok !== p) mismatches.push(`${c.name}: TypeScript ${t.ok ? 'accepts' : `refuses (${t.why})`}, Python ${p ? 'accepts' : `refuses (${py[i]})`}`);
      else if (t.ok) {
        const pyMs = pyTimestamps.shift();
        if (c.ms !== undefined && (t.ms !== c.ms || pyMs !== c.ms)) mismatches.push(`${c.name}: ${t.ms} (TypeScript) ${pyMs} (Python), want ${c.ms}`);
      }
    });
    assert.deepEqual(mismatches, []);
    // The cases are meant to straddle the rules: some of each.
    assert.ok(py.filter((x) => x === null).length >= 15 && py.filter((x) => x !== null).length >= 20);
  });
});

describe('a time without an offset is UTC, whatever TZ the server has', () => {
  const env = { TZ: 'America/New_York', QNTX_TOKEN: 'tz-test-' + 'z'.repeat(32) };
  const at = '2026-01-29T10:00';
  const want = Date.UTC(2026, 0, 29, 10);
  let server: QntxProcess;
  let dataDir: string;
  before(async () => {
    dataDir = tempDir();
    server = await startProcess(['serve', '--port', '0', '--data-dir', dataDir], env);
  });
  after(async () => {
    await server.kill();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function api(method: string, route: string, body?: unknown): Promise<any> {
    const res = await fetch(server.url + route, {
      method,
      headers: { authorization: `Bearer ${env.QNTX_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return res.json();
  }

  it('in the API (JSON and text), in attest() and in the query filter', async () => {
    const json = await api('POST', '/api/as', { subjects: 'tz-json', predicates: 'p', contexts: 'tz', timestamp: at });
    assert.equal(json.timestamp, want);
    const text = await api('POST', '/api/as', { text: `as tz-text is p of tz at ${at}` });
    assert.equal(text.timestamp, want);
    const run = await api('POST', '/api/python/execute', {
      code: `import datetime\nattest('tz-py', 'p', 'tz', timestamp='${at}')\nattest('tz-dt', 'p', 'tz', timestamp=datetime.datetime(2026, 1, 29, 10, 0))\n`,
    });
    assert.equal(run.success, true, JSON.stringify(run));
    const found = await api('GET', `/api/attestations?contexts=tz&time_start=${at}&time_end=${at}`);
    assert.deepEqual(found.attestations.map((a: any) => a.subjects[0]).sort(), ['tz-dt', 'tz-json', 'tz-py', 'tz-text']);
  });

  it('in the CLI (as, import, ax)', async () => {
    const dir = tempDir();
    try {
      const as = await runCli(['as', 'tz-cli', 'is', 'p', 'of', 'tzc', 'at', at, '--json', '--data-dir', dir], env);
      assert.equal(as.code, 0, as.stderr);
      assert.equal(JSON.parse(as.stdout).timestamp, want);
      const file = path.join(dir, 'in.jsonl');
      fs.writeFileSync(file, JSON.stringify({ subjects: 'tz-import', predicates: 'p', contexts: 'tzc', timestamp: at }) + '\n');
      const imp = await runCli(['import', file, '--data-dir', dir], env);
      assert.equal(imp.code, 0, imp.stderr);
      const ax = await runCli(['ax', '--context', 'tzc', '--since', at, '--until', at, '--json', '--data-dir', dir], env);
      assert.equal(ax.code, 0, ax.stderr);
      const list = JSON.parse(ax.stdout);
      const items: any[] = list.attestations ?? list.items ?? list;
      assert.deepEqual(items.map((a) => a.subjects[0]).sort(), ['tz-cli', 'tz-import']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
