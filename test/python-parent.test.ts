// The warm parent spoken to directly over its real pipes: hostile or malformed commands are
// answered for their own id (when one can be read) and never disturb a run in flight.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../src/logger.js';
import { DEFAULT_LIMITS } from '../src/python/limits.js';
import { locateRunnerPackage, resolvePython } from '../src/python/find-python.js';
import { parentConfig } from '../src/python/parent-config.js';
import type { ParentMessage } from '../src/python/protocol.js';
import { WarmParent } from '../src/python/warm-parent.js';
import { tempDir } from './helpers.js';

/** Messages of one parent, awaited by predicate (a deadline only to fail, never to pace). */
class Inbox {
  private readonly seen: ParentMessage[] = [];
  private readonly waiters: Array<{ pred: (m: ParentMessage) => boolean; resolve: (m: ParentMessage) => void }> = [];

  push(m: ParentMessage): void {
    const i = this.waiters.findIndex((w) => w.pred(m));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    else this.seen.push(m);
  }

  next(pred: (m: ParentMessage) => boolean, failAfterMs = 20_000): Promise<ParentMessage> {
    const i = this.seen.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.seen.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no such message from the parent')), failAfterMs);
      this.waiters.push({ pred, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }
}

const nested = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

describe('warm parent: malformed and hostile commands', () => {
  let parent: WarmParent;
  let inbox: Inbox;
  let exitReason: string | null = null;
  let dir: string;
  const limits = JSON.stringify(DEFAULT_LIMITS);

  before(async () => {
    dir = tempDir();
    fs.chmodSync(dir, 0o755); // runs keep no capability: the file they wait for must be where their uid may look
    inbox = new Inbox();
    const info = await resolvePython('python3');
    parent = await WarmParent.start({
      executable: info.executable,
      packageDir: locateRunnerPackage(),
      config: parentConfig({ slots: 4 }),
      logger: silentLogger(),
      onMessage: (m) => inbox.push(m),
      onExit: (reason) => (exitReason = reason),
    });
  });
  after(async () => {
    await parent.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers each bad command for its id and keeps serving; a victim run completes', async () => {
    const pid = parent.pid;
    const go = path.join(dir, 'go');
    const victim = `import os, time\nwhile not os.path.exists(${JSON.stringify(go)}):\n    time.sleep(0.005)\nprint('victim done')\n`;
    parent.sendLine(JSON.stringify({ op: 'run', id: 1, code: victim, ctx: {}, limits: DEFAULT_LIMITS }));
    await inbox.next((m) => m.t === 'started' && m.id === 1);

    const run = (id: number, rest: string): string => `{"op":"run","id":${id},${rest}}`;
    const hostile: Array<[number | null, string]> = [
      [null, 'not json at all'],
      [null, '[1, 2, 3]'],
      [null, '"a string"'],
      [null, '{"op":"run","id":"seven","code":"pass","ctx":{},"limits":' + limits + '}'],
      [10, run(10, `"code":"pass","ctx":{"state":${nested(1100)}},"limits":${limits}`)],
      [11, run(11, `"code":"pass","ctx":{"state":${nested(200_000)}},"limits":${limits}`)],
      [12, run(12, `"code":42,"ctx":{},"limits":${limits}`)],
      [13, run(13, `"code":"pass","ctx":{}`)],
      [14, run(14, `"code":"pass","ctx":{},"limits":{"timeoutMs":-1,"memoryBytes":"lots","cpuSeconds":1,"outputCapBytes":1}`)],
      [15, run(15, `"code":"pass","ctx":{"args":"not a list","state":[]},"limits":${limits}`)],
      [16, run(16, `"code":"pass","ctx":{"flags":{"x":{"y":1}},"lastRun":"yesterday"},"limits":${limits}`)],
      [17, run(17, `"code":"pass","ctx":[],"limits":${limits}`)],
      [18, run(18, `"code":"pass","ctx":{},"limits":${limits},"trailing":`)],
      [19, '{"op":"check","id":19}'],
      [null, '{"op":"explode","id":20}'],
      [null, '{"op":"cancel","id":"1"}'],
      [null, '{"op":"ack","id":999}'],
    ];
    for (const [, line] of hostile) parent.sendLine(line);
    for (const [id, line] of hostile) {
      if (id === null) continue;
      const op = line.startsWith('{"op":"check"') ? 'checked' : 'done';
      const m = await inbox.next((x) => x.t === op && x.id === id);
      assert.ok(m.t === op && !('success' in m ? m.success : m.ok), `command ${id} failed`);
      const details = (m as { details: string[] }).details;
      assert.ok(details.includes('runner=bad_command'), `command ${id}: ${details.join(' ')}`);
    }
    // The parent still forks runs, and the victim finishes as if nothing had happened.
    parent.sendLine(JSON.stringify({ op: 'run', id: 2, code: "print('after')", ctx: {}, limits: DEFAULT_LIMITS }));
    const after = await inbox.next((m) => m.t === 'done' && m.id === 2);
    assert.ok(after.t === 'done' && after.success && after.stdout === 'after\n');
    fs.writeFileSync(go, '');
    const done = await inbox.next((m) => m.t === 'done' && m.id === 1);
    assert.ok(done.t === 'done' && done.success, JSON.stringify(done));
    assert.equal(done.stdout, 'victim done\n');
    assert.equal(parent.pid, pid);
    assert.ok(parent.alive);
    assert.equal(exitReason, null);
  });
});
