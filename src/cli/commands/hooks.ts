// `qntx hooks create <type> [--sign] [--header name]… [--rate n] | ls [type] | rm <id>`: webhook
// URLs that run a type's handler. The URL (and the signing secret) are printed once.
import type { Command } from 'commander';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatTime, printJson, printTable, terminalSafe } from '../output.js';

const collect = (v: string, all: string[]) => [...all, v];

export function registerHooks(program: Command): void {
  const h = program.command('hooks').description('webhooks: URLs an outside system POSTs to, to run a handler');

  dbOptions(h.command('create').description('make a webhook for a handler type (the URL is shown once)').argument('<type>', 'ix type'))
    .option('--sign', 'require X-Hub-Signature-256 (HMAC-SHA256) with a signing secret made now')
    .option('--header <name>', 'another request header to pass as ix.headers (repeatable)', collect, [])
    .option('--rate <n>', 'deliveries a minute at most (default 60)')
    .option('--base-url <url>', 'the server\'s public URL, to print the whole address', 'http://127.0.0.1:8770')
    .action(async (type: string, o: DbFlags & { sign?: boolean; header: string[]; rate?: string; baseUrl: string }) => {
      const hook = await withQntx(o, (q) =>
        q.hooks.create({ script_type: type, sign: o.sign === true, headers: o.header, ...(o.rate === undefined ? {} : { rate_per_minute: Number(o.rate) }) }),
      );
      if (o.json) return printJson(hook);
      const url = o.baseUrl.replace(/\/+$/, '') + hook.path;
      process.stdout.write(`hook ${hook.id} for ${terminalSafe(type)}\n  URL (shown once): ${url}\n`);
      if (hook.signing_secret) process.stdout.write(`  signing secret (shown once): ${hook.signing_secret}\n`);
      process.stdout.write(`  POST JSON or text to it; revoke with: qntx hooks rm ${hook.id}\n`);
    });

  dbOptions(h.command('ls').description('webhooks and their last deliveries').argument('[type]')).action(async (type: string | undefined, o: DbFlags) => {
    const list = await withQntx(o, (q) => q.hooks.list(type));
    if (o.json) return printJson({ hooks: list });
    printTable(
      ['ID', 'TYPE', 'SIGNED', 'RATE/MIN', 'DELIVERIES', 'LAST', 'LAST STATUS'],
      list.map((x) => [x.id, x.script_type, x.signed ? 'yes' : 'no', String(x.rate_per_minute), String(x.delivery_count), formatTime(x.last_delivery_at), x.last_deliveries[0]?.status ?? '-']),
    );
  });

  dbOptions(h.command('rm').description('revoke a webhook: its URL answers 404 from now on').argument('<id>')).action(async (id: string, o: DbFlags) => {
    await withQntx(o, (q) => q.hooks.remove(id));
    if (o.json) return printJson({ deleted: id });
    process.stdout.write(`revoked ${id}\n`);
  });
}
