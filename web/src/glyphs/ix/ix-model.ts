// The IX glyph's logic without React: its stored data, the schedule request it makes, and the state
// (idle / running / success / error) it shows, derived from the last request and from Pulse.
import type { ExecutionDto, ScheduleDto } from '../../../../src/protocol.js';
import { errorLine, exceptionLine, failedScriptType, missingScriptType } from '../../lib/details.js';
import { formatDuration, formatInterval, formatTimestamp } from '../../lib/format.js';

export type IntervalUnit = 's' | 'm' | 'h';

export interface IxData {
  command: string;
  repeat: boolean;
  every: number;
  unit: IntervalUnit;
  /** The schedule the last Run made. */
  scheduleId: string | null;
  /** The handler's timeout for the runs, s (null: the handler's default). */
  timeoutSeconds: number | null;
  /** A cron expression: when set, it replaces the interval (docs/triggers.md). */
  cron: string;
  /** The cron's IANA time zone ('' = UTC). */
  tz: string;
}

export const ixDefaults: IxData = { command: '', repeat: false, every: 10, unit: 's', scheduleId: null, timeoutSeconds: null, cron: '', tz: '' };

export function readIxData(data: Readonly<Record<string, unknown>>): IxData {
  const unit = data.unit === 'm' || data.unit === 'h' ? data.unit : 's';
  const every = typeof data.every === 'number' && Number.isFinite(data.every) ? data.every : ixDefaults.every;
  return {
    command: typeof data.command === 'string' ? data.command : '',
    repeat: data.repeat === true,
    every,
    unit,
    scheduleId: typeof data.scheduleId === 'string' ? data.scheduleId : null,
    timeoutSeconds: typeof data.timeoutSeconds === 'number' && Number.isFinite(data.timeoutSeconds) ? data.timeoutSeconds : null,
    cron: typeof data.cron === 'string' ? data.cron : '',
    tz: typeof data.tz === 'string' ? data.tz : '',
  };
}

/** The timing of the schedule a Run makes: the cron expression when one is given, else the interval. */
export function scheduleTiming(d: IxData): { interval_seconds: number } | { cron: string; timezone?: string } {
  const cron = d.cron.trim();
  if (!cron) return { interval_seconds: intervalSeconds(d) };
  const tz = d.tz.trim();
  return tz ? { cron, timezone: tz } : { cron };
}

/** How a schedule repeats, in words. */
export function timingText(s: Pick<ScheduleDto, 'interval_seconds' | 'cron' | 'timezone'> & { watch?: boolean | undefined }): string {
  if (s.watch) return 'on new data';
  if (s.cron) return `cron ${s.cron}${s.timezone ? ` (${s.timezone})` : ''}`;
  return formatInterval(s.interval_seconds);
}

/** Whether a schedule runs more than once. */
export function recurring(s: Pick<ScheduleDto, 'interval_seconds' | 'cron'>): boolean {
  return s.interval_seconds > 0 || !!s.cron;
}

/** The glyph's title: its command, `ix webhook`, or IX. */
export function ixTitle(data: Readonly<Record<string, unknown>>): string {
  const c = readIxData(data).command.trim();
  return c ? `ix ${c.replace(/^ix\s+/, '')}` : 'IX';
}

const UNIT_SECONDS: Record<IntervalUnit, number> = { s: 1, m: 60, h: 3600 };

export function intervalSeconds(d: Pick<IxData, 'repeat' | 'every' | 'unit'>): number {
  if (!d.repeat) return 0;
  return Math.max(1, Math.round(d.every * UNIT_SECONDS[d.unit]));
}

/** What the user typed, as the ats code Pulse expects: `webhook` → `ix webhook`. */
export function toAtsCode(command: string): string {
  // Trim only: whitespace inside quotes is the user's data (the server's parser splits words).
  const c = command.trim();
  return /^ix(\s|$)/.test(c) ? c : `ix ${c}`;
}

/** The message when the command cannot be sent as it is, or undefined. */
export function validateIx(d: IxData): string | undefined {
  const code = toAtsCode(d.command);
  if (code === 'ix' || code === 'ix ') return 'Type what to ingest, for example webhook or git ./repo.';
  if (d.repeat && !(d.every > 0)) return 'The interval must be a positive number.';
  if (d.timeoutSeconds !== null && !(Number.isInteger(d.timeoutSeconds) && d.timeoutSeconds >= 1 && d.timeoutSeconds <= 86_400)) {
    return 'The timeout must be a whole number of seconds from 1 to 86400.';
  }
  return undefined;
}

export type Tone = 'idle' | 'running' | 'success' | 'error';

/** What the last Run request did, before Pulse takes over. */
export type IxRequest =
  | { phase: 'idle' }
  | { phase: 'submitting' }
  | { phase: 'failed'; error: { message: string; details?: readonly string[]; hint?: string | undefined } }
  | { phase: 'scheduled' };

export interface IxView {
  tone: Tone;
  label: string;
  message: string;
  hint?: string | undefined;
  /** Set when the failure is a missing handler: the Create handler button appears. */
  scriptType?: string | undefined;
  /** Set when the handler ran and failed: a link to the handler's code appears, never Create handler. */
  failedHandler?: { type: string; line?: number | undefined } | undefined;
}

const LABEL: Record<Tone, string> = { idle: 'Idle', running: 'Running', success: 'Success', error: 'Error' };

/** A first run further off than this is waited for (idle), not about to start (running). */
const SOON_MS = 5000;

export function ixView(req: IxRequest, schedule: ScheduleDto | undefined, executions: readonly ExecutionDto[] | undefined, now = Date.now()): IxView {
  const view = (tone: Tone, message: string, extra: Partial<IxView> = {}): IxView => ({ tone, label: LABEL[tone], message, ...extra });
  if (req.phase === 'submitting') return view('running', 'Scheduling…');
  if (req.phase === 'failed') {
    const scriptType = missingScriptType(req.error);
    return view('error', req.error.message, { hint: req.error.hint, scriptType });
  }
  if (!schedule) return req.phase === 'scheduled' ? view('running', 'Scheduled, waiting for Pulse…') : view('idle', 'Ready. Type a command and press Run.');
  const last = executions?.[0];
  const every = timingText(schedule);
  if (last?.status === 'running') return view('running', `Running ${schedule.ats_code}…`);
  if (last?.status === 'failed') {
    const failed = failedScriptType(last);
    if (failed) {
      const line = errorLine(last);
      return view('error', `The handler failed: ${exceptionLine(last) || 'no message'}`, {
        hint: line ? `at line ${line} of ${failed}` : undefined,
        failedHandler: { type: failed, line },
      });
    }
    return view('error', last.error ?? 'The run failed.', { scriptType: missingScriptType(last) });
  }
  if (last?.status === 'completed') {
    const n = last.attestations_created;
    const made = `${n} attestation${n === 1 ? '' : 's'}`;
    const tail = schedule.state === 'paused' ? ' · paused' : recurring(schedule) ? ` · runs ${every}` : '';
    return view('success', `Last run succeeded in ${formatDuration(last.duration_ms)}: ${made}${tail}`);
  }
  if (schedule.state === 'paused') return view('idle', `Paused (${every}).`);
  // A cron schedule may wait twelve hours for its first time: that is waiting, not running.
  if (schedule.next_run_at !== null && schedule.next_run_at - now > SOON_MS) {
    return { ...view('idle', `Scheduled ${every}; the first run is at ${formatTimestamp(schedule.next_run_at)}.`), label: 'Scheduled' };
  }
  return view('running', `Scheduled ${every}, waiting for the first run…`);
}
