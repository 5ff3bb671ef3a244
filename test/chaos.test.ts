// The chaos run, short (npm run chaos is the full one): real processes on PostgreSQL killed,
// cut off and skewed while they run python.script jobs and one-second schedules; nothing lost,
// nothing run twice at once, nothing stuck. Needs libfaketime (apt-get install faketime).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { faketimeLib } from '../scripts/chaos/cluster.js';
import { FULL, runChaos, violations } from '../scripts/chaos/chaos.js';
import { PG_SKIP, PG_URL } from './helpers.js';

const skip = PG_SKIP || (faketimeLib() ? false : 'libfaketime not installed (apt-get install faketime): chaos test skipped');

describe('chaos (short)', { skip }, () => {
  it('loses no job, runs none twice at once, leaves no execution running, keeps every schedule firing', { timeout: 120_000 }, async () => {
    const r = await runChaos({
      ...FULL,
      databaseUrl: PG_URL!,
      jobs: 150,
      schedules: 5,
      chaosMs: 16_000,
      killEveryMs: [1500, 3000],
      cutEveryMs: 5000,
      cutForMs: 2500,
      drainTimeoutMs: 40_000,
      log: (line) => console.log(`# ${line}`),
    });
    console.log(`# ${JSON.stringify(r)}`);
    assert.deepEqual(violations(r), []);
    assert.ok(r.kills >= 2, `${r.kills} kills`);
    assert.ok(r.cuts >= 1, `${r.cuts} cuts`);
    assert.equal(r.completed, r.jobs);
    assert.ok(r.runs >= r.jobs);
  });
});
