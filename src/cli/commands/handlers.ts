// `qntx handlers ls | show <type> | add <type> <file.py> | rm <type>`.
import fs from 'node:fs';
import type { Command } from 'commander';
import { NotFoundError, ValidationError } from '../../errors.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatTime, printJson, printTable, terminalSafe } from '../output.js';

export function registerHandlers(program: Command): void {
  const h = program.command('handlers').description('ix handlers: Python scripts stored as attestations');

  dbOptions(h.command('ls').description('list the current handler of each type')).action(async (o: DbFlags) => {
    const list = await withQntx(o, (q) => q.handlers.list());
    if (o.json) return printJson({ handlers: list });
    printTable(['TYPE', 'VERSION', 'UPDATED', 'ID'], list.map((x) => [x.script_type, `v${x.version}`, formatTime(x.updated_at), x.id]));
  });

  dbOptions(h.command('show').description('a handler with every version').argument('<type>', 'ix type'))
    .option('--version <n>', 'print this version instead of the newest')
    .action(async (type: string, o: DbFlags & { version?: string }) => {
      const { versions, current } = await withQntx(o, async (q) => ({ versions: await q.handlers.versions(type), current: await q.handlers.current(type) }));
      if (!versions.length) throw new NotFoundError(`no handler for type '${type}'`, { details: [`script_type=${type}`] });
      if (o.json) return printJson({ script_type: type, current: current ?? null, versions });
      const shown = o.version ? versions.find((v) => v.version === Number(o.version)) : (current ?? versions[0]);
      if (!shown) throw new NotFoundError(`no version ${o.version} of '${type}'`, { details: [`script_type=${type}`, `version=${o.version}`] });
      process.stdout.write(`# ${type} v${shown.version} (${shown.id}, ${formatTime(shown.created_at)})${current ? '' : ' — removed'}\n`);
      const code = terminalSafe(shown.code, true);
      process.stdout.write(code.endsWith('\n') ? code : code + '\n');
      process.stdout.write(`# versions: ${versions.map((v) => `v${v.version}`).join(', ')}\n`);
    });

  dbOptions(h.command('add').description('register a new version of a handler').argument('<type>', 'ix type').argument('<file>', 'the .py file')).action(
    async (type: string, file: string, o: DbFlags) => {
      let code: string;
      try {
        code = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new ValidationError(`cannot read ${file}: ${(err as Error).message}`, { details: [`path=${file}`] });
      }
      const v = await withQntx(o, (q) => q.handlers.register({ script_type: type, code, language: 'python' }, 'cli'));
      if (o.json) return printJson(v);
      process.stdout.write(`registered ${type} v${v.version} (${v.id})\n`);
    },
  );

  dbOptions(h.command('rm').description("remove a type's handler (history stays)").argument('<type>', 'ix type')).action(
    async (type: string, o: DbFlags) => {
      const r = await withQntx(o, (q) => q.handlers.remove(type, 'cli'));
      if (o.json) return printJson(r);
      process.stdout.write(`removed handler ${type} (was v${r.retracted.version})\n`);
    },
  );
}
