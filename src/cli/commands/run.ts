// `qntx run <file.py> [args...]`: tries a handler script locally, under the same runner and limits
// as a scheduled run. With a store named (--data-dir, --database-url or their QNTX_* variables)
// what it attests is written there (source run:<id>); without one the run uses a throwaway store
// and prints what it would have attested, so trying a script never writes into ./data.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { Attestation } from '../../ats/types.js';
import { ValidationError } from '../../errors.js';
import { DryRunCollector } from '../../ix/dry-run.js';
import { RunWriter } from '../../ix/run-writer.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatTime, printJson, printTable } from '../output.js';

/** Whether the user named a store, by flag or environment. */
function namesStore(o: DbFlags): boolean {
  return !!(o.dataDir || o.databaseUrl || process.env.QNTX_DATA_DIR || process.env.QNTX_DATABASE_URL);
}

function printAttestations(items: readonly Attestation[], count: number): void {
  printTable(
    ['TIME', 'SUBJECTS', 'PREDICATES', 'CONTEXTS', 'ACTORS'],
    items.map((a) => [formatTime(a.timestamp), a.subjects.join(','), a.predicates.join(','), a.contexts.join(','), a.actors.join(',')]),
  );
  if (count > items.length) process.stdout.write(`… and ${count - items.length} more\n`);
}

export function registerRun(program: Command): void {
  dbOptions(
    program
      .command('run')
      .description('run a Python handler script locally: qntx run handler.py [args...] (stores nothing unless --data-dir/--database-url is given)')
      .argument('<file>', 'the .py file')
      .argument('[args...]', 'ix.args of the run')
      .option('--type <type>', 'ix.script_type of the run')
      .option('--timeout <seconds>', 'wall-clock limit', '60'),
  ).action(async (file: string, args: string[], o: DbFlags & { type?: string; timeout: string }) => {
    let code: string;
    try {
      code = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new ValidationError(`cannot read ${file}: ${(err as Error).message}`, { details: [`path=${file}`] });
    }
    const store = namesStore(o);
    const scratch = store ? null : fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-run-'));
    const dry = store ? null : new DryRunCollector();
    try {
      const out = await withQntx(scratch ? { ...o, dataDir: scratch } : o, async (q) => {
        const writer = new RunWriter({
          ats: q.ats,
          source: `run:${q.ats.ids.next()}`,
          actor: o.type ? `ix:${o.type}` : 'python',
          ...(dry ? { commit: dry.commit } : {}),
        });
        const res = await q.runner.run({
          code,
          context: { scriptType: o.type ?? null, args },
          limits: { timeoutMs: Math.max(1, Number(o.timeout) || 60) * 1000 },
          onAttestations: (batch) => writer.write(batch),
        });
        await writer.write(res.pending);
        return { res, created: dry ? dry.count : writer.created, alreadyKnown: writer.alreadyKnown };
      });
      const { res, created, alreadyKnown } = out;
      if (o.json) {
        printJson({
          success: res.success,
          stdout: res.stdout,
          stderr: res.stderr,
          error: res.error,
          details: res.details,
          stored: store,
          attestations_created: created,
          already_known: alreadyKnown,
          ...(dry ? { attestations: dry.kept } : {}),
          duration_ms: res.durationMs,
          state: res.state,
        });
      } else {
        process.stdout.write(res.stdout);
        process.stderr.write(res.stderr);
        if (dry && dry.count) {
          process.stdout.write(`would attest (nothing stored; give --data-dir or --database-url to store):\n`);
          printAttestations(dry.kept, dry.count);
        }
        if (!res.success) {
          process.stderr.write(`error: ${res.error}\n${res.details.map((d) => `  ${d}\n`).join('')}`);
        }
        const verb = store ? 'stored' : 'would attest';
        process.stderr.write(`${res.success ? 'ok' : 'failed'}: ${verb} ${created} attestation(s) in ${res.durationMs} ms\n`);
      }
      if (!res.success) process.exitCode = 1;
    } finally {
      if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
}
