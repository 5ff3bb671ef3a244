// Compiles a parsed query into the structured filter: time clauses become one inclusive
// [time_start, time_end] range on the wall clock of the query's zone, at the injected `now`.
import { z } from 'zod';
import { timestampSchema } from '../ats/input.js';
import { MAX_VALUES_PER_FIELD, MAX_VALUE_BYTES } from '../ats/types.js';
import { TYPE_NAME } from '../ix/handler-registry.js';
import { issuesToDetails, ValidationError } from '../errors.js';
import { parseDuration } from './duration.js';
import { axSyntaxError } from './errors.js';
import type { AxFilter, AxQuery, Duration, TimeExpr } from './query.js';
import { DEFAULT_ZONE, normalizeZone, resolveTime, type TimeInterval } from './time.js';

const TIME_HINT = 'a time is an ISO date (2026-01-29), a month (2026-01), a year, or words like yesterday, last week, 3 days ago';

function resolve(e: TimeExpr, zone: string, now: number): TimeInterval {
  const t = resolveTime(e.text, zone, now);
  if (!t) throw axSyntaxError(`cannot read '${e.text.slice(0, 64)}' as a time`, e.column, TIME_HINT, [`time=${e.text.slice(0, 64)}`]);
  return t;
}

export interface CompileOptions {
  now: number;
  /** When the query names none; default UTC. */
  zone?: string | undefined;
}

export function compileAx(q: AxQuery, o: CompileOptions): AxFilter {
  const zone = q.zone ?? o.zone ?? DEFAULT_ZONE;
  let start = -Infinity;
  let end = Infinity; // exclusive
  for (const c of q.times) {
    // since T: from the start of T; until T: to the end of T (T included); on T: within T.
    if (c.kind === 'between') {
      start = Math.max(start, resolve(c.from, zone, o.now).start);
      end = Math.min(end, resolve(c.to, zone, o.now).end);
      continue;
    }
    const t = resolve(c.expr, zone, o.now);
    if (c.kind !== 'until') start = Math.max(start, t.start);
    if (c.kind !== 'since') end = Math.min(end, t.end);
  }
  const f: AxFilter = {};
  for (const k of ['subjects', 'predicates', 'contexts', 'actors'] as const) if (q[k].length) f[k] = [...q[k]];
  if (start !== -Infinity) f.time_start = Math.max(0, start);
  if (end !== Infinity) f.time_end = end - 1;
  if (q.over) f.over = { ...q.over };
  if (q.so.length) f.so = [...q.so];
  if (zone !== DEFAULT_ZONE) f.timezone = zone;
  return f;
}

const value = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => Buffer.byteLength(s) <= MAX_VALUE_BYTES, `must be at most ${MAX_VALUE_BYTES} bytes`);
const values = z.array(value).max(MAX_VALUES_PER_FIELD).optional();

const durationSchema = z.union([
  z.string().transform((s, ctx) => {
    const d = parseDuration(s);
    if (!d) ctx.addIssue({ code: 'custom', message: 'must be a duration: 3y, 18m, 2w, 10d' });
    return d ?? z.NEVER;
  }),
  z.strictObject({ amount: z.number().positive().max(1000), unit: z.enum(['y', 'm', 'w', 'd']) }),
]);

const attributes = z
  .record(value, z.array(value).min(1).max(MAX_VALUES_PER_FIELD))
  .refine((r) => Object.keys(r).length <= 32, 'at most 32 attribute keys')
  .optional();

/** What `subjects_from` may hold: a plain filter whose matches' subjects become the subject filter. */
const innerFilterSchema = z.strictObject({
  subjects: values,
  predicates: values,
  contexts: values,
  actors: values,
  attributes,
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
});

/** The structured filter as the API takes it (times as ms or ISO 8601). */
export const axFilterSchema = z.strictObject({
  attributes,
  subjects_from: innerFilterSchema.optional(),
  subjects: values,
  predicates: values,
  contexts: values,
  actors: values,
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
  over: durationSchema.optional(),
  so: z.array(z.string().regex(TYPE_NAME, 'must be an ix type: 1-64 lowercase letters, digits, - or _')).max(16).optional(),
  timezone: z
    .string()
    .max(64)
    .transform((s, ctx) => normalizeZone(s) ?? (ctx.addIssue({ code: 'custom', message: 'unknown time zone' }), z.NEVER))
    .optional(),
  order: z.enum(['asc', 'desc']).optional(),
});

/** Validates a structured filter from outside; empty lists are dropped. */
export function parseAxFilter(raw: unknown): AxFilter {
  const r = axFilterSchema.safeParse(raw);
  if (!r.success) {
    const details = issuesToDetails(r.error.issues);
    throw new ValidationError(`invalid ax filter: ${details.join(', ')}`, { details, hint: 'send the query as text, or a filter with subjects, predicates, contexts, actors, time_start, time_end, over, so' });
  }
  const f = r.data;
  const out: AxFilter = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
    (out as Record<string, unknown>)[k] = Array.isArray(v) ? [...new Set(v)] : v;
  }
  return out as AxFilter & { over?: Duration };
}
