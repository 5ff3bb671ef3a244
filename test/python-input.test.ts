// ix.input: the attestations an `ax … so <type>` query hands a handler, inline or read lazily
// from a JSON-lines file (what src/ax/action-input.ts writes for large results). Real python3.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../src/logger.js';
import { PythonRunner } from '../src/python/runner.js';
import { tempDir } from './helpers.js';

const SHOW = 'print(len(ix.input), bool(ix.input), ix.input.query, [a["id"] for a in ix.input])';

describe('ix.input', () => {
  let runner: PythonRunner;
  let dir: string;

  before(() => {
    runner = new PythonRunner({ logger: silentLogger(), defaults: { timeoutMs: 20_000 } });
    dir = tempDir();
  });
  after(async () => {
    await runner.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is empty for a plain ix run', async () => {
    const r = await runner.run({ code: SHOW });
    assert.equal(r.stdout.trim(), '0 False None []');
  });

  it('holds the items given inline', async () => {
    const r = await runner.run({ code: SHOW, context: { input: { query: 'ax alice', count: 2, items: [{ id: 'A1' }, { id: 'A2' }] } } });
    assert.equal(r.stdout.trim(), "2 True ax alice ['A1', 'A2']");
  });

  it('reads a file one line at a time, twice if asked, in a sandboxed run', async () => {
    const file = path.join(dir, 'input.jsonl');
    const n = 5000;
    fs.writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `A${i}`, attributes: { i } })).join('\n') + '\n', { mode: 0o600 });
    const code = [
      'total = sum(a["attributes"]["i"] for a in ix.input)',
      'again = sum(1 for _ in ix.input)',
      'print(len(ix.input), total, again, ix.input.query)',
    ].join('\n');
    const r = await runner.run({ code, context: { input: { query: 'ax big', count: n, path: file } } });
    assert.equal(r.error, null, r.stderr);
    assert.equal(r.stdout.trim(), `${n} ${(n * (n - 1)) / 2} ${n} ax big`);
  });

  it('rejects a malformed input before it reaches Python', async () => {
    await assert.rejects(
      runner.run({ code: SHOW, context: { input: { query: 'q', count: 1 } as never } }),
      (e: Error & { details?: string[] }) => e.details?.includes('input=must be {query, count} with items or path') === true,
    );
  });
});
