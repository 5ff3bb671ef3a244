// A schedule paused for failing shows why in the API, the CLI (`qntx pulse ls`) and the events.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { loadSettings } from '../src/config.js';
import { QntxError } from '../src/errors.js';
import { silentLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { runCli } from './cli-helpers.js';
import { tempDir } from './helpers.js';

describe('a schedule paused for failing (sqlite)', () => {
  const dataDir = tempDir();
  let server: RunningServer;
  let id: string;

  before(async () => {
    server = await startServer(loadSettings({ dataDir, port: 0, logLevel: 'silent' }, {}), {
      logger: silentLogger(),
      resolver: async () => ({ handler_name: 'test.gone', payload: {} }),
      handlers: [
        {
          name: 'test.gone',
          payload: z.unknown(),
          timeoutMs: 10_000,
          maxRetries: 0,
          run: async () => {
            throw new QntxError('no_ingest_script', 422, "no ingest script for 'gone'", { details: ['script_type=gone'] });
          },
        },
      ],
    });
    const paused = server.qntx.events.waitFor('schedule_update', (e) => e.schedule?.state === 'paused');
    const res = await fetch(`${server.url}/api/pulse/schedules`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ ats_code: 'ix gone', interval_seconds: 60, max_failures: 1 }),
    });
    assert.equal(res.status, 201);
    id = ((await res.json()) as { id: string }).id;
    await paused;
  });
  after(async () => {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the reason in the API', async () => {
    const s = (await (await fetch(`${server.url}/api/pulse/schedules/${id}`, { headers: { authorization: `Bearer ${server.token}` } })).json()) as Record<string, unknown>;
    assert.equal(s.state, 'paused');
    assert.equal(s.paused_reason, "failing: no ingest script for 'gone'");
    assert.equal(s.consecutive_failures, 1);
    assert.equal(s.max_failures, 1);
  });

  it('shows the reason in `qntx pulse ls`, as a table and as JSON', { timeout: 30_000 }, async () => {
    const table = await runCli(['pulse', 'ls', '--data-dir', dataDir]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /PAUSED BECAUSE/);
    assert.match(table.stdout, new RegExp(`${id}\\s+paused.*failing: no ingest script for 'gone'`));
    const json = await runCli(['pulse', 'ls', '--json', '--data-dir', dataDir]);
    const body = JSON.parse(json.stdout) as { schedules: Array<{ id: string; paused_reason: string }> };
    assert.equal(body.schedules.find((s) => s.id === id)?.paused_reason, "failing: no ingest script for 'gone'");
  });
});
