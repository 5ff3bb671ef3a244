// `qntx pulse ls | runs <id> | trigger <id> | pause <id> | resume <id> | rm <id> | jobs`.
import type { Command } from 'commander';
import type { ExecutionDto, ScheduleDto } from '../../protocol.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatInterval } from '../interval.js';
import { formatTime, printJson, printTable, terminalSafe } from '../output.js';

export function printSchedule(s: ScheduleDto): void {
  process.stdout.write(
    terminalSafe(`${s.id}  ${s.state}  ${s.watch ? 'watch' : !s.cron ? formatInterval(s.interval_seconds) : `cron "${s.cron}"${s.timezone ? ` ${s.timezone}` : ''}`}  ${s.ats_code}`) +
      (s.watcher ? terminalSafe(`\n  watching from seq ${s.watcher.cursor}; batches of ${s.watcher.batch_size}, ${s.watcher.max_runs_per_minute} runs a minute at most${s.watcher.attributes.map((c) => `; ${c.path} ${c.op} ${JSON.stringify(c.value)}`).join('')}`) : '') +
      `\n  handler ${terminalSafe(s.handler_name)}; next run ${formatTime(s.next_run_at)}; last run ${formatTime(s.last_run_at)} ${s.last_status ?? ''}\n` +
      (s.timeout_seconds ? `  timeout ${s.timeout_seconds} s\n` : '') +
      (s.paused_reason ? `  paused: ${terminalSafe(s.paused_reason)}\n` : '') +
      (s.consecutive_failures ? `  ${s.consecutive_failures} failed in a row (paused after ${s.max_failures || 'never'})\n` : ''),
  );
}

function printExecutions(items: ExecutionDto[]): void {
  printTable(
    ['ID', 'STATUS', 'STARTED', 'DURATION', 'ATTESTATIONS', 'ERROR'],
    items.map((e) => [
      e.id,
      e.status,
      formatTime(e.started_at),
      e.duration_ms === null ? '-' : `${e.duration_ms} ms`,
      String(e.attestations_created),
      e.error ? `${e.error} ${e.error_details.join(' ')}` : '',
    ]),
    72,
  );
}

export function registerPulse(program: Command): void {
  const pulse = program.command('pulse').description('schedules, executions and jobs');

  dbOptions(pulse.command('ls').description('list schedules'))
    .option('--state <state>', 'active, paused or inactive')
    .action(async (o: DbFlags & { state?: 'active' | 'paused' | 'inactive' }) => {
      const page = await withQntx(o, (q) => q.pulse.listSchedules(o.state ? { state: o.state } : {}, { limit: 500 }));
      if (o.json) return printJson({ schedules: page.items, next_cursor: page.next_cursor });
      printTable(
        ['ID', 'STATE', 'INTERVAL', 'NEXT RUN', 'LAST', 'FAILS', 'ATS CODE', 'PAUSED BECAUSE'],
        page.items.map((s) => [
          s.id,
          s.state,
          s.watch ? 'watch' : !s.cron ? formatInterval(s.interval_seconds) : `cron ${s.cron}${s.timezone ? ` ${s.timezone}` : ''}`,
          // A watcher's next_run_at is only the earliest its rate allows: it runs when data comes.
          s.watch ? 'on new data' : formatTime(s.next_run_at),
          s.last_status ?? '-',
          String(s.consecutive_failures),
          s.ats_code,
          s.paused_reason ?? '',
        ]),
      );
    });

  dbOptions(pulse.command('runs').description("a schedule's executions, newest first").argument('<id>', 'schedule id'))
    .option('--limit <n>', 'how many', '20')
    .action(async (id: string, o: DbFlags & { limit: string }) => {
      const page = await withQntx(o, async (q) => {
        await q.pulse.getSchedule(id);
        return q.pulse.listExecutions(id, { limit: Number(o.limit) || 20 });
      });
      if (o.json) return printJson({ executions: page.items, next_cursor: page.next_cursor });
      printExecutions(page.items);
    });

  dbOptions(pulse.command('trigger').description('run a schedule now').argument('<id>', 'schedule id')).action(
    async (id: string, o: DbFlags) => {
      const e = await withQntx(o, (q) => q.pulse.triggerSchedule(id));
      if (o.json) return printJson(e);
      process.stdout.write(`triggered ${id}: execution ${e.id} (job ${e.async_job_id ?? '-'})\n`);
    },
  );

  for (const [name, verb] of [
    ['pause', 'pauseSchedule'],
    ['resume', 'resumeSchedule'],
  ] as const) {
    dbOptions(pulse.command(name).description(`${name} a schedule`).argument('<id>', 'schedule id')).action(async (id: string, o: DbFlags) => {
      const s = await withQntx(o, (q) => q.pulse[verb](id));
      if (o.json) return printJson(s);
      printSchedule(s);
    });
  }

  dbOptions(pulse.command('rm').description('delete a schedule').argument('<id>', 'schedule id')).action(async (id: string, o: DbFlags) => {
    await withQntx(o, (q) => q.pulse.deleteSchedule(id));
    if (o.json) return printJson({ deleted: true, id });
    process.stdout.write(`deleted ${id}\n`);
  });

  dbOptions(pulse.command('jobs').description('list async jobs'))
    .option('--status <status>', 'queued, running, completed, failed, cancelled')
    .action(async (o: DbFlags & { status?: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' }) => {
      const page = await withQntx(o, (q) => q.pulse.listJobs(o.status ? { status: o.status } : {}, { limit: 100 }));
      if (o.json) return printJson({ jobs: page.items, next_cursor: page.next_cursor });
      printTable(
        ['ID', 'HANDLER', 'STATUS', 'TRIES', 'UPDATED', 'ERROR'],
        page.items.map((j) => [j.id, j.handler_name, j.status, `${j.retry_count}/${j.max_retries}`, formatTime(j.updated_at), j.error ?? '']),
      );
    });
}
