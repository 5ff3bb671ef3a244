// The server starts Python's warm parent through an injected spawn (QntxOptions.spawnPython), and
// gives it only the handler environment: the server's own variables (its token, a database URL,
// anything secret) are not in the process that forks every run, let alone in the runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from './http-helpers.js';

describe('the Python warm parent as the server starts it', () => {
  let s: TestServer;
  const started: Array<{ command: string; args: readonly string[]; env: NodeJS.ProcessEnv }> = [];
  const secret = 'QNTX_SPAWN_TEST_SECRET';
  before(async () => {
    process.env[secret] = 'do-not-leak';
    const watching = ((command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv }) => {
      started.push({ command, args, env: { ...options.env } });
      return spawn(command, args, options);
    }) as unknown as typeof spawn;
    s = await startTestServer('sqlite', {}, { spawnPython: watching });
  });
  after(async () => {
    delete process.env[secret];
    await s?.stop();
  });

  it('is started through the injected spawn with the handler environment only', async () => {
    const r = await s.request('POST', '/api/python/execute', { code: `import os\nprint(sorted(os.environ))\nprint(os.environ.get("${secret}"))\n` });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.success, true, JSON.stringify(r.body));
    assert.equal(started.length, 1, 'one warm parent');
    const [parent] = started;
    assert.deepEqual(parent!.args, ['-B', '-m', 'qntx_runner']);
    assert.equal(parent!.env[secret], undefined, 'the server secret is not in the parent');
    const keys = Object.keys(parent!.env);
    assert.ok(keys.includes('PATH'), 'PATH');
    for (const k of keys) assert.match(k, /^(PATH|LANG|LC_[A-Z_]+|TZ)$/, `${k} is on the allowlist (docs/security.md)`);
    assert.match(r.body.stdout, /\nNone\n$/, 'nor in a run');
  });
});
