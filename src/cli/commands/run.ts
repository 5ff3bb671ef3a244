// `qntx run <file.py> [args...]`: tries a handler script locally, under the same runner and limits
// as a scheduled run; what it attests is written to the data dir (source run:<id>).
import fs from 'node:fs';
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { RunWriter } from '../../ix/run-writer.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { printJson } from '../output.js';

export function registerRun(program: Command): void {
  dbOptions(
    program
      .command('run')
      .description('run a Python handler script locally: qntx run handler.py [args...]')
      .argument('<file>', 'the .py file')
      .argument('[args...]', 'ix.args of the run')
      .option('--type <type>', 'ix.script_type of the run')
      .option('--timeout <seconds>', 'wall-clock limit', '60')
  )
    .action(async (file: string, args: string[], o: DbFlags & { type?: string; timeout: string }) => {
      let code: string;
      try {
        code = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new ValidationError(`cannot read ${file}: ${(err as Error).message}`, { details: [`path=${file}`] });
      }
      const out = await withQntx(o, async (q) => {
        const writer = new RunWriter({ ats: q.ats, source: `run:${q.ats.ids.next()}`, actor: o.type ? `ix:${o.type}` : 'python' });
        const res = await q.runner.run({
          code,
          context: { scriptType: o.type ?? null, args },
          limits: { timeoutMs: Math.max(1, Number(o.timeout) || 60) * 1000 },
          onAttestations: (batch) => writer.write(batch),
        });
        await writer.write(res.pending);
        return { res, created: writer.created, alreadyKnown: writer.alreadyKnown };
      });
      const { res, created, alreadyKnown } = out;
      if (o.json) {
        printJson({ success: res.success, stdout: res.stdout, stderr: res.stderr, error: res.error, details: res.details, attestations_created: created, already_known: alreadyKnown, duration_ms: res.durationMs, state: res.state });
      } else {
        process.stdout.write(res.stdout);
        process.stderr.write(res.stderr);
        if (!res.success) {
          process.stderr.write(`error: ${res.error}\n${res.details.map((d) => `  ${d}\n`).join('')}`);
        }
        process.stderr.write(`${res.success ? 'ok' : 'failed'}: ${created} attestation(s) in ${res.durationMs} ms\n`);
      }
      if (!res.success) process.exitCode = 1;
    });
}
