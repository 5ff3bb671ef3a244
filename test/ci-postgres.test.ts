// PostgreSQL in CI: the test helpers refuse to skip its suites when CI is set (locally they skip,
// visibly); .ci/run starts PostgreSQL or stops with a clear message.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function importHelpers(env: Record<string, string | undefined>) {
  const { QNTX_TEST_DATABASE_URL: _url, CI: _ci, ...rest } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', '-e', `const h = await import(${JSON.stringify(path.join(here, 'helpers.ts'))}); console.log(h.PG_SKIP)`], {
    env: { ...rest, ...env } as NodeJS.ProcessEnv,
    encoding: 'utf8',
  });
}

describe('PostgreSQL in CI', () => {
  it('skips PostgreSQL suites visibly when not configured locally', { timeout: 30_000 }, () => {
    const r = importHelpers({});
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /QNTX_TEST_DATABASE_URL is not set: PostgreSQL tests skipped/);
  });

  it('fails instead of skipping when CI is set', { timeout: 30_000 }, () => {
    const r = importHelpers({ CI: 'true' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /PostgreSQL tests must run in CI/);
  });

  it('.ci/run stops with a clear message when PostgreSQL cannot be started', () => {
    const script = fs.readFileSync(path.join(here, '..', '.ci', 'run'), 'utf8');
    assert.match(script, /ERROR: PostgreSQL is not running on 127\.0\.0\.1:5432 and could not be started/);
    assert.match(script, /exit 1/);
    assert.doesNotMatch(script, /its tests will be skipped/);
  });
});
