// `qntx as <words...>`: makes one attestation from the textual form.
import type { Command } from 'commander';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatTime, printJson, terminalSafe } from '../output.js';

export function registerAs(program: Command): void {
  dbOptions(
    program
      .command('as')
      .description('make an attestation: qntx as alice is engineer of acme [by hr] [at 2026-01-29] (docs/as.md)')
      .argument('<words...>', 'SUBJECT... [is|are PREDICATE...] [of CONTEXT...] [by ACTOR...] [at|on TIME]')
  )
    .action(async (words: string[], opts: DbFlags) => {
      const { attestation: a, created } = await withQntx(opts, (q) =>
        q.ats.attest(q.ats.parseText(words.length === 1 ? words[0]! : words), { source: 'cli', actor: 'cli' }),
      );
      if (opts.json) return printJson(a);
      process.stdout.write(
        terminalSafe(`${a.id}  as ${a.subjects.join(' ')} is ${a.predicates.join(' ')} of ${a.contexts.join(' ')} by ${a.actors.join(' ')} at ${formatTime(a.timestamp)}${created ? '' : '  (already known)'}`) + '\n',
      );
    });
}
