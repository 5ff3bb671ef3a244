// git log through a spool file (spoolGit): the bytes git prints, git held when it runs too far
// ahead of the reader and let go when the reader catches up, killed on abort or an early exit even
// while held, and the spool removed in every case.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { logArgs } from '../src/ix/git-log.js';
import { gitEnv, spoolGit, type GitCall, type GitRunner } from '../src/ix/git-process.js';
import { gitFastImport } from './git-helpers.js';
import { tempDir } from './helpers.js';

const root = tempDir('qntx-spool-');
const repo = path.join(root, 'repo');
const spools = path.join(root, 'cache');
let call: GitCall;
let direct: Buffer;

async function collectAll(gen: AsyncGenerator<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const b of gen) parts.push(b);
  return Buffer.concat(parts);
}

/** The process state letter of /proc/<pid>/stat (T: stopped). */
function state(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * Waits for git to be stopped: SIGSTOP takes effect asynchronously and the kernel tells no one,
 * so /proc is read until it says so (bounded).
 */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 500 && state(pid) !== 'T'; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(state(pid), 'T', 'git is stopped while held');
}

/** A spawn that keeps the children it starts, so that a test can await their exit. */
function spying(): { spawn: typeof spawn; exits: Map<number, Promise<unknown>> } {
  const exits = new Map<number, Promise<unknown>>();
  const spy = ((cmd: string, args: string[], opts: object) => {
    const c = spawn(cmd, args, opts);
    if (c.pid) exits.set(c.pid, new Promise((resolve) => c.once('exit', resolve)));
    return c;
  }) as unknown as typeof spawn;
  return { spawn: spy, exits };
}

describe('git log through a spool file', () => {
  before(async () => {
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    const parts: string[] = [];
    for (let i = 1; i <= 3000; i++) {
      parts.push(`commit refs/heads/main\ncommitter Bot <bot@example.com> ${1_600_000_000 + i} +0000\ndata 9\nmessage ${i % 10}\n`);
      parts.push(`M 100644 inline dir${i % 7}/f${i % 50}.txt\ndata ${String(i).length + 1}\n${i}\n\n`);
    }
    await gitFastImport(repo, parts.join(''));
    const tip = execFileSync('git', ['-C', repo, 'rev-parse', 'HEAD'], { encoding: 'utf8' });
    call = { args: logArgs(path.join(repo, '.git')), input: tip };
    direct = execFileSync('git', call.args, { input: tip, env: gitEnv(), maxBuffer: 1 << 28 });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  const runner = (signal?: AbortSignal): GitRunner => ({ spawn, signal });

  it('yields the bytes git prints, and removes its spool', async () => {
    assert.ok(direct.length > 500_000, `enough output to hold git (${direct.length} bytes)`);
    const spooled = await collectAll(spoolGit(call, runner(), { dir: spools }));
    assert.ok(spooled.equals(direct));
    assert.deepEqual(fs.readdirSync(spools), []);
  });

  it('ends when git exits before the spool file is open (a fast git on a busy thread pool)', async () => {
    // Reproduces a hang seen in CI: the exit was awaited only after the spool file had been opened,
    // so a git that finished first closed unheard and the reader waited with nothing left to wake
    // it. Here git has exited (a zombie) before spawn returns, and the thread pool that opens the
    // file is busy, so git's close is handled first.
    const small: GitCall = { args: ['--version'] };
    const expected = execFileSync('git', small.args, { env: gitEnv() });
    const busy = ((cmd: string, args: string[], opts: object) => {
      const c = spawn(cmd, args, opts);
      while (c.pid !== undefined && fs.existsSync(`/proc/${c.pid}`) && state(c.pid) !== 'Z') {
        // spin until git has exited (it is not reaped before the event loop runs)
      }
      for (let i = 0; i < 4; i++) pbkdf2('x', 'y', 200_000, 32, 'sha256', () => {});
      return c;
    }) as unknown as typeof spawn;
    const out = await collectAll(spoolGit(small, { spawn: busy }, { dir: spools }));
    assert.ok(out.equals(expected), `git --version through the spool: ${JSON.stringify(out.toString())}`);
    assert.deepEqual(fs.readdirSync(spools), []);
  });

  it('holds git while the reader is far behind, and lets it go when the reader catches up', async () => {
    const holds: Array<{ pid: number; held: boolean; state: string }> = [];
    let heldNow!: () => void;
    const firstHold = new Promise<void>((resolve) => (heldNow = resolve));
    const gen = spoolGit(call, runner(), {
      dir: spools,
      lead: 64 << 10,
      onHold: (pid, held) => {
        holds.push({ pid, held, state: held ? '' : state(pid) });
        if (held) heldNow();
      },
    });
    const parts: Buffer[] = [(await gen.next()).value as Buffer];
    await firstHold; // the reader has stopped reading: git writes past the lead and is stopped
    await stopped(holds[0]!.pid);
    for await (const b of gen) parts.push(b);
    assert.ok(Buffer.concat(parts).equals(direct), 'every byte, in order');
    assert.ok(holds.some((h) => !h.held), 'let go again');
    assert.ok(holds.filter((h) => !h.held).every((h) => h.state !== 'T'), 'running once let go');
    assert.deepEqual(fs.readdirSync(spools), []);
  });

  it('kills a held git on abort, and when the reader leaves early', async () => {
    for (const how of ['abort', 'return'] as const) {
      const ac = new AbortController();
      const spy = spying();
      let pid = 0;
      let heldNow!: () => void;
      const firstHold = new Promise<void>((resolve) => (heldNow = resolve));
      const gen = spoolGit(call, { spawn: spy.spawn, signal: ac.signal }, {
        dir: spools,
        lead: 64 << 10,
        onHold: (p, held) => {
          pid = p;
          if (held) heldNow();
        },
      });
      await gen.next();
      await firstHold;
      await stopped(pid);
      if (how === 'abort') {
        ac.abort(new Error('stop'));
        await assert.rejects(async () => {
          for await (const _ of gen) void _;
        }, /stop/);
      } else {
        await gen.return(undefined);
      }
      const exit = await spy.exits.get(pid);
      assert.equal(exit, null, `${how}: git ended by a signal, not by finishing`);
      assert.deepEqual(fs.readdirSync(spools), [], `${how}: the spool is removed`);
    }
  });
});
