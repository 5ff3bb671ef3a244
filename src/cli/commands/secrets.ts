// `qntx secrets set NAME | ls | rm NAME | grant NAME <type> | revoke NAME <type>`. A value is read
// from stdin (piped) or a prompt that does not echo it, never from an argument (argv is visible
// to every user of the machine and lands in shell histories).
import readline from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatTime, printJson, printTable } from '../output.js';

async function readPiped(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  // One trailing newline (from echo or a file) is not part of the value.
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(name: string): Promise<string> {
  process.stderr.write(`value of ${name} (not shown): `);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: true });
  try {
    return await new Promise<string>((resolve) => rl.question('', resolve));
  } finally {
    rl.close();
    process.stderr.write('\n');
  }
}

export async function readSecretValue(name: string): Promise<string> {
  const value = process.stdin.isTTY ? await prompt(name) : await readPiped();
  if (!value) throw new ValidationError('no value given', { details: ['value=empty'], hint: `echo -n "$VALUE" | qntx secrets set ${name}` });
  return value;
}

export function registerSecrets(program: Command): void {
  const s = program.command('secrets').description('secrets handlers read as ix.secrets (values are never shown)');

  dbOptions(s.command('set').description('set or replace a secret; the value comes from stdin or a prompt').argument('<name>', 'e.g. GITHUB_TOKEN'))
    .allowExcessArguments(false)
    .action(async (name: string, o: DbFlags) => {
      const value = await readSecretValue(name);
      const info = await withQntx(o, (q) => q.secrets.set(name, value));
      if (o.json) return printJson(info);
      process.stdout.write(`set ${info.name}${info.grants.length ? ` (granted to ${info.grants.join(', ')})` : ' (not granted to any type yet: qntx secrets grant ' + info.name + ' <type>)'}\n`);
    });

  dbOptions(s.command('ls').description('secret names and the types they are granted to')).action(async (o: DbFlags) => {
    const list = await withQntx(o, (q) => q.secrets.list());
    if (o.json) return printJson({ secrets: list });
    printTable(['NAME', 'GRANTED TO', 'UPDATED'], list.map((x) => [x.name, x.grants.join(', ') || '-', formatTime(x.updated_at)]));
  });

  dbOptions(s.command('rm').description('delete a secret and its grants').argument('<name>')).action(async (name: string, o: DbFlags) => {
    await withQntx(o, (q) => q.secrets.remove(name));
    if (o.json) return printJson({ deleted: name });
    process.stdout.write(`deleted ${name}\n`);
  });

  dbOptions(s.command('grant').description('let runs of a handler type read the secret').argument('<name>').argument('<type>')).action(
    async (name: string, type: string, o: DbFlags) => {
      const info = await withQntx(o, (q) => q.secrets.grant(name, type));
      if (o.json) return printJson(info);
      process.stdout.write(`${name} granted to ${info.grants.join(', ')}\n`);
    },
  );

  dbOptions(s.command('revoke').description('take a grant back').argument('<name>').argument('<type>')).action(async (name: string, type: string, o: DbFlags) => {
    const info = await withQntx(o, (q) => q.secrets.revoke(name, type));
    if (o.json) return printJson(info);
    process.stdout.write(`${name} revoked from ${type}${info.grants.length ? `; still granted to ${info.grants.join(', ')}` : ''}\n`);
  });
}
