// `qntx ax <query…>`: the AX language (docs/ax.md), e.g. `qntx ax alice is engineer of acme by hr
// since 2026-01`; the flag form (--subject, --predicate…) still works and adds to the query.
import type { Command } from 'commander';
import { z } from 'zod';
import { compileAx } from '../../ax/compile.js';
import { formatAx } from '../../ax/format.js';
import { parseAx } from '../../ax/parser.js';
import { timestampSchema } from '../../ats/input.js';
import { ValidationError } from '../../errors.js';
import type { WatchCondition } from '../../protocol.js';
import { filterFromQueryString } from '../../server/attestation-filter.js';
import { parseInput } from '../../server/validate.js';
import { printConflicts, printAxTable, printSummary } from '../ax-output.js';
import { dbOptions, withAxReader, withQntx, type DbFlags } from '../context.js';
import { parseInterval } from '../interval.js';
import { printJson } from '../output.js';
import { printSchedule } from './pulse.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

const optsSchema = z.object({
  subject: z.array(z.string().min(1)).optional(),
  predicate: z.array(z.string().min(1)).optional(),
  context: z.array(z.string().min(1)).optional(),
  actor: z.array(z.string().min(1)).optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
  limit: z.coerce.number().int().min(0).optional(),
  cursor: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
  every: z.string().optional(),
  verbose: z.boolean().optional(),
  summary: z.boolean().optional(),
  all: z.boolean().optional(),
  attr: z.array(z.string().regex(/^[^=]+=/, 'must be key=value')).optional(),
  subjectsFrom: z.string().min(1).optional(),
  count: z.boolean().optional(),
  watch: z.boolean().optional(),
  where: z.array(z.string().regex(/^[^=~]+[=~]/, 'must be path=value or path~value')).optional(),
  batchSize: z.coerce.number().int().min(1).optional(),
  maxRunsPerMinute: z.coerce.number().int().min(1).optional(),
});
type AxOpts = z.output<typeof optsSchema>;

/**
 * Shell words back into query text. One word is the whole query (`qntx ax 'alice is "a b"'`), as
 * with `qntx as`; of several, a word holding spaces was one value (`qntx ax "John Doe" is x`).
 */
export function wordsToQuery(words: readonly string[]): string {
  if (words.length === 1) return words[0]!;
  return words.map((w) => (/\s/.test(w) || w === '' ? `"${w.replace(/["\\]/g, (c) => `\\${c}`)}"` : w)).join(' ');
}

/** The query text with the flag form's values added to its clauses (as typed when there are none). */
export function withFlags(text: string, o: AxOpts): { text: string } {
  const q = parseAx(text);
  // Unchanged, so error columns point into what the user typed.
  if (!o.subject && !o.predicate && !o.context && !o.actor && o.since === undefined && o.until === undefined) return { text };
  const add = (list: string[], vs: string[] | undefined) => {
    for (const v of vs ?? []) if (!list.includes(v)) list.push(v);
  };
  add(q.subjects, o.subject);
  add(q.predicates, o.predicate);
  add(q.contexts, o.context);
  add(q.actors, o.actor);
  const iso = (ms: number) => new Date(ms).toISOString();
  if (o.since !== undefined) q.times.push({ kind: 'since', expr: { text: iso(o.since), column: 0 } });
  if (o.until !== undefined) q.times.push({ kind: 'until', expr: { text: iso(o.until), column: 0 } });
  return { text: formatAx(q) };
}

/** The filter's fields that are set (the structured AX filter takes no unknown or paging keys). */
function definedOnly<T extends object>(f: T): Partial<T> {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `--attr repo=R --attr change=added` → {repo: [R], change: [added]}. */
function attributes(pairs: string[] | undefined): Record<string, string[]> | undefined {
  if (!pairs?.length) return undefined;
  const out: Record<string, string[]> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    (out[p.slice(0, i)] ??= []).push(p.slice(i + 1));
  }
  return out;
}

export function registerAx(program: Command): void {
  dbOptions(
    program
      .command('ax')
      .description('query attestations: qntx ax [subjects] [is predicates] [of contexts] [by actors] [since T|until T|on T|between T and T|over N] [so types]')
      .argument('[query...]', 'the AX query (docs/ax.md)')
      .option('--subject <value>', 'subject (adds to the query)', collect)
      .option('--predicate <value>', 'predicate (adds to the query)', collect)
      .option('--context <value>', 'context (adds to the query)', collect)
      .option('--actor <value>', 'actor (adds to the query)', collect)
      .option('--since <time>', 'timestamp >= (ms or ISO 8601)')
      .option('--until <time>', 'timestamp <= (ms or ISO 8601)')
      .option('--limit <n>', 'page size (max 1000)', '50')
      .option('--order <order>', 'desc (newest first) or asc')
      .option('--cursor <cursor>', 'next page cursor')
      .option('--verbose', 'also print the sameness groups')
      .option('--summary', 'print the summary only')
      .option('--all', 'every match, not only the resolved view')
      .option('--every <interval>', "with 'so <type>': run on a schedule (30s, 5m, 1h, 2d)")
      .option('--attr <key=value>', 'attribute equality, e.g. repo=/srv/app (repeatable)', collect)
      .option('--subjects-from <query>', "the subjects of another filter, as a query string: 'predicates=modifies&contexts=Makefile'")
      .option('--count', 'print how many match instead of the attestations')
      .option('--watch', "with 'so <type>': run the handler on every new attestation the query matches, once each (docs/watchers.md)")
      .option('--where <condition>', 'with --watch: an attribute condition, path=value (equals) or path~value (contains), repeatable', collect)
      .option('--batch-size <n>', 'with --watch: matches handed to one run at most (default 100)')
      .option('--max-runs-per-minute <n>', 'with --watch: runs per minute at most (default 60)')
  ).action(async (words: string[], raw: Record<string, unknown> & DbFlags) => {
    const o = parseInput(optsSchema, raw, 'options');
    const { text } = withFlags(wordsToQuery(words), o);
    if (o.watch) return watchCommand(text, o, raw);
    const interval = o.every ? parseInterval(o.every) : 0;
    const attrs = attributes(o.attr);
    const from = o.subjectsFrom ? definedOnly(filterFromQueryString(o.subjectsFrom)) : undefined;
    const structured = o.order !== undefined || attrs !== undefined || from !== undefined;
    const queryOf = (now: number) =>
      // The text has no words for the order, attributes or subjects_from: with them the query goes
      // as its structured filter.
      structured ? { ...compileAx(parseAx(text), { now }), order: o.order, attributes: attrs, subjects_from: from } : text;
    if (o.count) {
      const n = await withAxReader(raw, (ax) => ax.count(queryOf(Date.now())));
      return raw.json ? printJson({ count: n }) : void process.stdout.write(`${n}\n`);
    }
    const page = { limit: o.limit, cursor: o.cursor, all: o.all };
    // Only a `so` clause needs the application (Pulse schedules its actions); a query without one
    // opens the store and AX alone.
    const res = parseAx(text).so.length
      ? await withQntx(raw, (q) => q.ax.query({ query: queryOf(q.clock.now()), ...page, every: interval, created_from: 'cli' }))
      : await withAxReader(raw, (ax) => ax.query({ query: queryOf(Date.now()), ...page }));
    if (raw.json) return printJson({ ...res, count: res.attestations.length });
    if (o.summary) printSummary(res.summary);
    else printAxTable(res);
    if (o.verbose) printConflicts(res.conflicts);
    for (const a of res.actions ?? []) printSchedule(a.schedule);
  });
}


/** `--where payload.action=opened` (equals) or `--where title~bug` (contains): the first = or ~ splits. */
export function parseWhere(cond: string): WatchCondition {
  const i = cond.search(/[=~]/);
  return { path: cond.slice(0, i).trim(), op: cond[i] === '~' ? 'contains' : 'equals', value: cond.slice(i + 1) };
}

/** `qntx ax … so <type> --watch`: one watcher per `so` type; nothing is queried now. */
async function watchCommand(text: string, o: AxOpts, raw: Record<string, unknown> & DbFlags): Promise<void> {
  const q = parseAx(text);
  if (!q.so.length) {
    throw new ValidationError("a watcher needs 'so <type>'", { details: ['watch=true'], hint: 'qntx ax is signup of web so welcome --watch' });
  }
  const attributes = (o.where ?? []).map(parseWhere);
  const made = await withQntx(raw, async (app) => {
    const out = [];
    for (const type of q.so) {
      out.push(
        await app.pulse.createSchedule({
          ats_code: formatAx({ ...q, so: [type] }),
          watch: true,
          attributes,
          created_from: 'cli',
          ...(o.batchSize === undefined ? {} : { batch_size: o.batchSize }),
          ...(o.maxRunsPerMinute === undefined ? {} : { max_runs_per_minute: o.maxRunsPerMinute }),
        }),
      );
    }
    return out;
  });
  if (raw.json) return printJson({ schedules: made });
  for (const s of made) printSchedule(s);
}
