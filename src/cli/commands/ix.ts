// `qntx ix <type> [args] [--flag value] [--every 30s|5m|1h | --cron "0 9 * * 1-5" [--tz Europe/Berlin]] [--once] [--timeout 10m]`: routes the
// command like the API does and schedules it; prints the schedule, or the error with details and hint.
import type { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import { absoluteRepoWords } from '../../ix/git-detect.js';
import { nextCronRuns } from '../../pulse/cron.js';
import { withQntx } from '../context.js';
import { parseInterval } from '../interval.js';
import { printJson } from '../output.js';
import { printSchedule } from './pulse.js';

/** Our own flags; every other word belongs to the ix command. */
interface IxCliFlags {
  every?: string;
  /** A five-field cron expression (instead of --every) and its IANA zone. */
  cron?: string;
  tz?: string;
  /** The handler's timeout for the schedule's runs (default: the handler's). */
  timeout?: string;
  once?: boolean;
  json?: boolean;
  dataDir?: string;
  databaseUrl?: string;
}

const VALUED: Record<string, keyof IxCliFlags> = {
  '--every': 'every',
  '--cron': 'cron',
  '--tz': 'tz',
  '--timeout': 'timeout',
  '--data-dir': 'dataDir',
  '--database-url': 'databaseUrl',
};

export function splitIxArgs(words: readonly string[]): { flags: IxCliFlags; rest: string[] } {
  const flags: IxCliFlags = {};
  const rest: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    const [name, inline] = w.includes('=') ? [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)] : [w, undefined];
    if (name in VALUED) {
      (flags as Record<string, string>)[VALUED[name]!] = inline ?? words[++i] ?? '';
    } else if (w === '--once') flags.once = true;
    else if (w === '--json') flags.json = true;
    else rest.push(w);
  }
  return { flags, rest };
}

/** Re-quotes shell-split words so the ix parser sees the same words. */
export function toAtsCode(words: readonly string[]): string {
  return ['ix', ...words.map((w) => (/^[^\s"'\\]+$/.test(w) ? w : `"${w.replace(/["\\]/g, (c) => '\\' + c)}"`))].join(' ');
}

export function registerIx(program: Command): void {
  program
    .command('ix')
    .description('schedule an ix command: qntx ix <type> [args] [--flag v] [--every 30s|5m|1h | --cron "0 9 * * 1-5" [--tz Europe/Berlin]] [--once] [--timeout 10m]')
    .argument('[words...]', 'the type, its arguments and flags')
    .allowUnknownOption()
    .helpOption(false)
    .addHelpText(
      'after',
      [
        '',
        'Words after the type are the handler\'s own (so `qntx ix webhook --help` hands --help to the handler).',
        'Options:',
        '  --every 30s|5m|1h        run on an interval (default: once)',
        '  --cron "0 9 * * 1-5"     run on cron times, with --tz Europe/Berlin (default UTC)',
        '  --once                   run once',
        '  --timeout 10m            the handler\'s time limit for these runs',
        '  --json                   print the schedule as JSON',
        '  --data-dir D | --database-url U   the store (QNTX_DATA_DIR / QNTX_DATABASE_URL)',
        '',
        'Examples: qntx ix webhook --every 2s    qntx ix ./repo --since 2026-01-29',
      ].join('\n'),
    )
    .action(async (words: string[], _opts: unknown, cmd: Command) => {
      // Before the type, --help is ours; after it, it belongs to the handler's words.
      if (words[0] === '--help' || words[0] === '-h') cmd.help();
      if (words.length === 0) cmd.help({ error: true });
      const { flags, rest } = splitIxArgs(words);
      if (flags.cron !== undefined && (flags.every !== undefined || flags.once)) {
        throw new ValidationError('give --cron or --every/--once, not both', { details: [`cron=${flags.cron}`] });
      }
      if (flags.tz !== undefined && flags.cron === undefined) throw new ValidationError('--tz needs --cron', { details: [`tz=${flags.tz}`] });
      const interval = flags.every ? parseInterval(flags.every) : 0;
      const timeout = flags.timeout ? parseInterval(flags.timeout, 'timeout') : undefined;
      const atsCode = toAtsCode(absoluteRepoWords(rest, process.cwd()));
      const s = await withQntx(flags, (q) =>
        q.pulse.createSchedule({
          ats_code: atsCode,
          ...(flags.cron === undefined ? { interval_seconds: flags.once ? 0 : interval } : { cron: flags.cron, timezone: flags.tz ?? null }),
          created_from: 'cli',
          ...(timeout === undefined ? {} : { timeout_seconds: timeout }),
        }),
      );
      // This command only writes the schedule; the jobs run in a server (or workers) on the same store.
      process.stderr.write('scheduled: it runs in `qntx serve` on this store (or a `qntx worker` on PostgreSQL); this command starts neither\n');
      if (flags.json) return printJson(s);
      printSchedule(s);
      if (s.cron && s.next_run_at !== null) {
        const next = [s.next_run_at, ...nextCronRuns({ cron: s.cron, timezone: s.timezone }, s.next_run_at, 4)];
        process.stdout.write(`  next runs: ${next.map((t) => new Date(t).toISOString()).join(', ')}\n`);
      }
    });
}
