// The Python glyph's logic without React: its data, its title, handler names and the template a
// Create handler button opens (the handler namespace, commented, with a working attest() example).
import type { ExecutionDto, ScheduleDto } from '../../../../src/protocol.js';
import { failedScriptType } from '../../lib/details.js';

export interface PyData {
  code: string;
  /** Set when this glyph edits the handler of an ix type. */
  handlerFor: string | null;
  /** The code as last saved as the handler (unset: never saved from this glyph). */
  savedCode: string | null;
}

export const pyDefaults: PyData = {
  code: '# Python runs on the qntx server. Ctrl/Cmd-Enter runs, output shows below.\nprint("hello from qntx")\n',
  handlerFor: null,
  savedCode: null,
};

export function readPyData(data: Readonly<Record<string, unknown>>): PyData {
  return {
    code: typeof data.code === 'string' ? data.code : pyDefaults.code,
    handlerFor: typeof data.handlerFor === 'string' && data.handlerFor ? data.handlerFor : null,
    savedCode: typeof data.savedCode === 'string' ? data.savedCode : null,
  };
}

/** A handler glyph whose code is not what was last saved: what runs is not what is shown. */
export function isUnsaved(d: PyData): boolean {
  return d.handlerFor !== null && d.code !== d.savedCode;
}

/** Try's inputs: args are words (quotes keep spaces), state a JSON object. */
export function parseTryInputs(args: string, state: string): { args: string[]; state: Record<string, unknown>; problem?: string } {
  const words = [...args.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
  let parsed: unknown;
  try {
    parsed = state.trim() ? JSON.parse(state) : {};
  } catch (err) {
    return { args: words, state: {}, problem: `ix.state is not JSON: ${(err as Error).message}` };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { args: words, state: {}, problem: 'ix.state must be a JSON object, e.g. {"runs": 3}' };
  return { args: words, state: parsed as Record<string, unknown> };
}

/** A glyph's name: the handler it edits, else its first line of code, so that two cards differ. */
export function pyTitle(d: Pick<PyData, 'handlerFor'> & Partial<Pick<PyData, 'code'>>): string {
  if (d.handlerFor) return `handler: ${d.handlerFor}`;
  const line = (d.code ?? '').split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('#'));
  return line ? `py: ${clip(line, 40)}` : 'Python';
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const HANDLER_NAME = /^[a-z0-9_-]{1,64}$/;

/** Why `name` cannot name a handler (lowercase letters, digits, `-`, `_`, 1–64 characters), or undefined when it can. */
export function handlerNameProblem(name: string): string | undefined {
  if (!name) return 'Type a name for the handler, for example webhook.';
  if (!HANDLER_NAME.test(name)) return 'Use 1 to 64 lowercase letters, digits, - or _.';
  return undefined;
}

export function handlerTemplate(type: string): string {
  return `# Handler for \`ix ${type}\`: Pulse runs this script each time the schedule fires.
#
# What exists here without importing anything:
#   attest(subjects, predicates, contexts, actors=None, attributes=None, timestamp=None) -> id
#       records "as SUBJECT is PREDICATE of CONTEXT by ACTOR" with JSON attributes
#   ix.script_type   "${type}"
#   ix.args          the words typed after \`ix ${type}\`, as a list of strings
#   ix.last_run      when this handler last ran successfully, or None
#   ix.state         a dict saved when a run succeeds: remember where you stopped
#                    (one per source: \`ix ${type}\` with these args, whichever schedule runs it)
#   ix.checkpoint()  commits what was attested so far together with ix.state: a failed
#                    run's retry starts from there
#   ix.input         a webhook delivery's body (a dict when it was JSON, else a str), or
#                    what an \`ax … so ${type}\` query found
#   ix.headers       a webhook delivery's chosen headers, e.g. ix.headers.get("x-github-event")
#   ix.secrets       secrets granted to this type: ix.secrets["API_TOKEN"] (qntx secrets set/grant);
#                    never write a token in this code: printed or attested, it shows as [secret:NAME]
#   progress(current, total)   reports progress to Pulse
#   print(...)       everything printed shows in the Pulse panel
#
# Give attest() the event's own time, timestamp=<ms, datetime or ISO string>: the same event
# attested again (a retry, a test run, a second schedule) is then the same claim and is stored
# once. Without it the time is "now", and every run states a new claim.
#
# Ctrl/Cmd-S saves this as the handler; the IX glyph then runs it.

source = ix.args[0] if ix.args else "${type}"
runs = ix.state.get("runs", 0) + 1
ix.state["runs"] = runs

attest(
    subjects=[f"${type}-event-{runs}"],
    predicates=["received"],
    contexts=[source],
    attributes={"run": runs},
)
print(f"${type}: recorded event {runs} from {source}")
`;
}

/**
 * The run that failed last for a handler type, among the newest run of each schedule that runs it,
 * when it is still the newest word on that handler: a run that succeeded since, or a failure of a
 * run started before `since` (the glyph saved newer code), is not shown.
 */
export function lastScheduledFailure(
  type: string | null,
  schedules: Readonly<Record<string, ScheduleDto>>,
  executions: Readonly<Record<string, readonly ExecutionDto[]>>,
  since = 0,
): ExecutionDto | undefined {
  if (!type) return undefined;
  let newest: ExecutionDto | undefined;
  for (const s of Object.values(schedules)) {
    if ((s.payload as { script_type?: unknown } | null)?.script_type !== type) continue;
    const last = executions[s.id]?.[0];
    if (last && last.status !== 'running' && (!newest || last.started_at > newest.started_at)) newest = last;
  }
  if (!newest || newest.status !== 'failed' || newest.started_at < since) return undefined;
  return failedScriptType(newest) === type ? newest : undefined;
}
