// `qntx alias A B`: A and B become one identity for AX queries (`as A is alias of B`);
// `--remove` retracts it; `qntx alias A` lists A's identities.
import type { Command } from 'commander';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { printJson } from '../output.js';

export function registerAlias(program: Command): void {
  dbOptions(
    program
      .command('alias')
      .description('make A an alias of B for ax queries (qntx alias A B), remove it (--remove), or list A\'s identities (qntx alias A)')
      .argument('<a>', 'an identifier')
      .argument('[b]', 'the identifier A stands for')
      .option('--remove', 'retract the alias (both directions)'),
  ).action(async (a: string, b: string | undefined, o: DbFlags & { remove?: boolean }) => {
    const origin = { actor: 'cli', source: 'cli' };
    await withQntx(o, async (q) => {
      if (b === undefined) {
        const ids = await q.ax.engine.aliases.resolve([a]);
        const values = [...ids.written.values()];
        if (o.json) return printJson({ identity: a, values, truncated: ids.truncated });
        process.stdout.write(`${values.join('\n')}\n${ids.truncated ? '(the walk stopped at its bounds)\n' : ''}`);
        return;
      }
      if (o.remove) {
        const retractions = await q.ax.unalias(a, b, origin);
        if (o.json) return printJson({ retracted: retractions });
        for (const r of retractions) process.stdout.write(`${r.id}  retracted: ${r.subjects[0]} is alias of ${r.contexts[0]}\n`);
        return;
      }
      const made = await q.ax.alias(a, b, origin);
      if (o.json) return printJson(made);
      process.stdout.write(`${made.id}  as ${a} is alias of ${b}\n`);
    });
  });
}
