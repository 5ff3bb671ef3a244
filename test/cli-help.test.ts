// `--help` on every command and subcommand of the CLI prints its usage and exits 0 (in process:
// commander's exit and output are redirected through buildProgram, so nothing here spawns a process).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CommanderError, type Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';

/** The paths of every command: ['ix'], ['pulse', 'ls'], … */
function commandPaths(cmd: Command, prefix: string[] = []): string[][] {
  return cmd.commands.flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

async function help(words: string[]): Promise<{ exitCode: number; out: string }> {
  let out = '';
  const program = await buildProgram('all', { writeOut: (s) => (out += s), writeErr: (s) => (out += s) });
  try {
    await program.parseAsync(['node', 'qntx', ...words]);
    return { exitCode: -1, out };
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    return { exitCode: err.exitCode, out };
  }
}

const paths = commandPaths(await buildProgram());

describe('qntx --help', () => {
  it('covers the commands of the README', () => {
    for (const c of ['serve', 'as', 'ax', 'alias', 'import', 'ix', 'handlers', 'hooks', 'pulse', 'run', 'secrets', 'worker', 'backup', 'restore', 'migrate']) {
      assert.ok(paths.some((p) => p[0] === c), c);
    }
  });
  for (const p of [[], ...paths]) {
    it(`qntx ${[...p, '--help'].join(' ')}`, async () => {
      const r = await help([...p, '--help']);
      assert.equal(r.exitCode, 0, r.out);
      assert.match(r.out, new RegExp(`^Usage: qntx${p.length ? ' ' + p.join(' ') : ''}\\b`));
    });
  }
  it('gives the words after the type of `ix` to the handler, --help included', async () => {
    const r = await help(['ix', '-h']);
    assert.equal(r.exitCode, 0);
    assert.match(r.out, /Words after the type are the handler's own/);
  });
});
