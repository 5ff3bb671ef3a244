// `qntx ax`: queries attestations by subject, predicate, context and actor.
import type { Command } from 'commander';
import { z } from 'zod';
import { timestampSchema } from '../../ats/input.js';
import type { AttestationFilter } from '../../ats/types.js';
import { filterFromQuery } from '../../server/attestation-filter.js';
import { parseInput } from '../../server/validate.js';
import { dbOptions, withQntx, type DbFlags } from '../context.js';
import { formatTime, printJson, printTable } from '../output.js';

const collect = (v: string, prev: string[] = []) => [...prev, v];

const optsSchema = z.object({
  subject: z.array(z.string().min(1)).optional(),
  predicate: z.array(z.string().min(1)).optional(),
  context: z.array(z.string().min(1)).optional(),
  actor: z.array(z.string().min(1)).optional(),
  since: timestampSchema.optional(),
  until: timestampSchema.optional(),
  limit: z.coerce.number().int().min(1).optional(),
  cursor: z.string().optional(),
  order: z.enum(['asc', 'desc']).optional(),
  attr: z.array(z.string().regex(/^[^=]+=/, 'must be key=value')).optional(),
  subjectsFrom: z.string().min(1).optional(),
  count: z.boolean().optional(),
});

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
      .description('query attestations (each option repeatable; values of one field are OR-ed, fields AND-ed)')
      .option('--subject <value>', 'subject', collect)
      .option('--predicate <value>', 'predicate', collect)
      .option('--context <value>', 'context', collect)
      .option('--actor <value>', 'actor', collect)
      .option('--since <time>', 'timestamp >= (ms or ISO 8601)')
      .option('--until <time>', 'timestamp <= (ms or ISO 8601)')
      .option('--limit <n>', 'page size (max 1000)', '50')
      .option('--order <order>', 'desc (newest first) or asc')
      .option('--cursor <cursor>', 'next page cursor')
      .option('--attr <key=value>', 'attribute equality, e.g. repo=/srv/app (repeatable)', collect)
      .option('--subjects-from <query>', "the subjects of another filter, as a query string: 'predicates=modifies&contexts=Makefile'")
      .option('--count', 'print how many match instead of the attestations')
  )
    .action(async (raw: Record<string, unknown> & DbFlags) => {
      const o = parseInput(optsSchema, raw, 'options');
      const filter: AttestationFilter = {
        subjects: o.subject,
        predicates: o.predicate,
        contexts: o.context,
        actors: o.actor,
        attributes: attributes(o.attr),
        subjects_from: o.subjectsFrom ? filterFromQuery(Object.fromEntries(groupParams(o.subjectsFrom)), true) : undefined,
        time_start: o.since,
        time_end: o.until,
        limit: o.limit,
        order: o.order,
        cursor: o.cursor,
      };
      if (o.count) {
        const n = await withQntx(raw, (q) => q.store.count(filter));
        return raw.json ? printJson({ count: n }) : void process.stdout.write(`${n}\n`);
      }
      const page = await withQntx(raw, (q) => q.store.query(filter));
      if (raw.json) return printJson({ attestations: page.items, count: page.items.length, next_cursor: page.next_cursor });
      printTable(
        ['TIME', 'SUBJECTS', 'PREDICATES', 'CONTEXTS', 'ACTORS', 'ID'],
        page.items.map((a) => [
          formatTime(a.timestamp),
          a.subjects.join(','),
          a.predicates.join(','),
          a.contexts.join(','),
          a.actors.join(','),
          a.id,
        ]),
      );
      process.stdout.write(`${page.items.length} attestation(s)${page.next_cursor ? `; more with --cursor ${page.next_cursor}` : ''}\n`);
    });
}

/** A query string's parameters, repeated keys as lists. */
function groupParams(text: string): Array<[string, string | string[]]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(text)) out.set(k, [...(out.get(k) ?? []), v]);
  return [...out].map(([k, v]) => [k, v.length === 1 ? v[0]! : v]);
}
