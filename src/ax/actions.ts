// `ax … so <type>`: the query's results go to the handler of `ix <type>`, run by Pulse like any
// ix run. A schedule's ats_code is the query itself with one type (`ax alice is engineer so
// notify`): routing happens once at creation, and each run asks the query again (relative times
// like `since yesterday` move with the run), so the execution links back to its query.
import { ValidationError } from '../errors.js';
import { NoIngestScriptError } from '../ix/errors.js';
import type { HandlerRegistry } from '../ix/handler-registry.js';
import type { ScheduleResolver } from '../pulse/schedules.js';
import type { AxActionDto, ScheduleDto } from '../protocol.js';
import { compileAx } from './compile.js';
import { formatAx } from './format.js';
import { parseAx } from './parser.js';
import type { AxQuery } from './query.js';

const AX_CODE = /^\s*ax(\s|$)/i;

export function isAxCode(code: string): boolean {
  return AX_CODE.test(code);
}

export interface AxActionPayload {
  script_type: string;
  handler_id: string;
  args: string[];
  flags: Record<string, string | boolean>;
  ax: { query: string };
}

/** Routes `ax … so <type>` to the type's Python handler, with the query in the payload. */
export async function routeAxAction(code: string, o: { handlers: HandlerRegistry; now: number }): Promise<{ handler_name: string; payload: AxActionPayload }> {
  const q = parseAx(code);
  compileAx(q, { now: o.now }); // a time that cannot be read fails now, not at every run
  if (q.so.length !== 1) {
    throw new ValidationError(q.so.length ? 'a schedule runs one type' : "an ax schedule needs 'so <type>'", {
      details: [`so=${q.so.join(',')}`],
      hint: 'ax <query> so <type>: one schedule per type',
    });
  }
  const type = q.so[0]!;
  const handler = await o.handlers.current(type);
  // Built-in ingesters (git) take no input: only a Python handler can act on results.
  if (!handler) throw new NoIngestScriptError(type);
  return {
    handler_name: 'python.script',
    payload: { script_type: type, handler_id: handler.id, args: [], flags: {}, ax: { query: code.trim() } },
  };
}

/** Pulse's resolver: `ax …` codes are actions, everything else goes to `fallback` (ix routing). */
export function withAxActions(fallback: ScheduleResolver, o: { handlers: HandlerRegistry; now: () => number }): ScheduleResolver {
  return (code) => (isAxCode(code) ? routeAxAction(code, { handlers: o.handlers, now: o.now() }) : fallback(code));
}

export interface ScheduleCreator {
  createSchedule(input: { ats_code: string; interval_seconds: number; created_from?: string | null }): Promise<ScheduleDto>;
}

/** One schedule per `so` type, each with the query and that type; interval 0 runs once. */
export async function startAxActions(
  pulse: ScheduleCreator,
  q: AxQuery,
  o: { intervalSeconds: number; createdFrom?: string | undefined },
): Promise<AxActionDto[]> {
  const out: AxActionDto[] = [];
  for (const type of q.so) {
    const schedule = await pulse.createSchedule({
      ats_code: formatAx({ ...q, so: [type] }),
      interval_seconds: o.intervalSeconds,
      created_from: o.createdFrom ?? 'ax',
    });
    out.push({ type, schedule });
  }
  return out;
}
