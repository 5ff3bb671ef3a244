// The attestation filter as HTTP gives it: query-string fields (repeated keys, commas split),
// `attr.<key>=<value>` attribute equality (repeated: any of), and `subjects_from=<a query string>`
// (one level); or the same as a JSON body. Shared by GET /api/attestations, its /count and POST query.
// Every list and string is bounded (schemas/common.ts); the schemas are published in OpenAPI.
import { z } from 'zod';
import { timestampSchema } from '../ats/input.js';
import type { AttestationFilter } from '../ats/types.js';
import { ValidationError } from '../errors.js';
import { MAX_FILTER_VALUES, cursor, queryList, text } from './schemas/common.js';
import { parseInput } from './validate.js';

const order = z.enum(['asc', 'desc']);
/** Most attribute keys one filter may name. */
const MAX_ATTR_KEYS = 32;
const ATTR_PREFIX = 'attr.';

/** An `attr.<key>` parameter: values are taken whole (a path may hold commas). */
const attrParam = z
  .union([text(2000, 1), z.array(text(2000, 1)).max(MAX_FILTER_VALUES)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

const queryFields = {
  subjects: queryList.optional(),
  predicates: queryList.optional(),
  contexts: queryList.optional(),
  actors: queryList.optional(),
  subject: queryList.optional(),
  predicate: queryList.optional(),
  context: queryList.optional(),
  actor: queryList.optional(),
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
};

/** `exclude_system=true`: leave out system attestations (handler versions, their retractions). */
export const excludeSystemParam = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1')
  .describe('true: leave out system attestations (ix_handler versions and retractions)');

/** Only `attr.<key>` may be added to the named fields. */
function onlyAttributes(q: Record<string, unknown>, ctx: z.RefinementCtx, known: readonly string[]): void {
  let n = 0;
  for (const k of Object.keys(q)) {
    if (known.includes(k)) continue;
    if (!k.startsWith(ATTR_PREFIX) || k.length === ATTR_PREFIX.length || k.length > 200 || k.includes('\u0000')) {
      ctx.addIssue({ code: 'custom', path: [k.slice(0, 200)], message: 'unknown parameter (attribute filters are attr.<key>)' });
    } else if (++n > MAX_ATTR_KEYS) {
      ctx.addIssue({ code: 'custom', path: [k.slice(0, 200)], message: `at most ${MAX_ATTR_KEYS} attribute keys` });
    }
  }
}

function querySchema<T extends z.ZodRawShape>(shape: T) {
  return z
    .object(shape)
    .catchall(attrParam.describe('attr.<key>=<value>: attribute equality (repeat for any of)'))
    .superRefine((q, ctx) => onlyAttributes(q, ctx, Object.keys(shape)));
}

/** What `subjects_from` may hold: a filter without paging. */
const nestedQuerySchema = querySchema(queryFields);

export const filterQuerySchema = querySchema({
  ...queryFields,
  limit: z.coerce.number().int().min(0).max(1e9).optional().describe('at most 1000 (larger is capped); 0: the default, 100'),
  order: order.optional(),
  cursor: cursor.optional(),
  exclude_system: excludeSystemParam.optional(),
  subjects_from: text(8192, 1).optional().describe('a query string (e.g. predicates=modifies&contexts=Makefile): its subjects become the subject filter'),
});

export const exportQuerySchema = querySchema({
  ...queryFields,
  format: z.enum(['jsonl', 'csv']).default('jsonl').describe('jsonl: one attestation per line; csv: a header row, lists joined with |'),
  order: order.optional(),
  exclude_system: excludeSystemParam.optional(),
  subjects_from: text(8192, 1).optional(),
});

export const countQuerySchema = querySchema({
  ...queryFields,
  exclude_system: excludeSystemParam.optional(),
  subjects_from: text(8192, 1).optional(),
});

function merge(a: string[] | undefined, b: string[] | undefined, field: string): string[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  if (all.length > MAX_FILTER_VALUES) {
    throw new ValidationError(`${field}: at most ${MAX_FILTER_VALUES} values`, {
      details: [`${field}=${all.length} values, at most ${MAX_FILTER_VALUES}`],
      hint: 'split the query',
    });
  }
  return all.length ? all : undefined;
}

function attributesOf(q: Record<string, unknown>): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(q)) if (k.startsWith(ATTR_PREFIX)) out[k.slice(ATTR_PREFIX.length)] = v as string[];
  return Object.keys(out).length ? out : undefined;
}

function queryObject(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}

type ParsedQuery = z.output<typeof nestedQuerySchema> & {
  limit?: number;
  order?: 'asc' | 'desc';
  cursor?: string;
  subjects_from?: string;
  exclude_system?: boolean;
};

/** A `subjects_from` query string (one level, no paging) as a filter. */
export function filterFromQueryString(text: string): AttestationFilter {
  return filterFromQuery(parseInput(nestedQuerySchema, queryObject(text), 'subjects_from (one level, no paging)'));
}

/** The filter of a query string already validated by filterQuerySchema or countQuerySchema. */
export function filterFromQuery(q: ParsedQuery): AttestationFilter {
  const from = q.subjects_from ? filterFromQueryString(q.subjects_from) : undefined;
  return {
    subjects: merge(q.subjects, q.subject, 'subjects'),
    predicates: merge(q.predicates, q.predicate, 'predicates'),
    contexts: merge(q.contexts, q.context, 'contexts'),
    actors: merge(q.actors, q.actor, 'actors'),
    attributes: attributesOf(q),
    subjects_from: from,
    time_start: q.time_start,
    time_end: q.time_end,
    exclude_system: q.exclude_system,
    limit: q.limit,
    order: q.order,
    cursor: q.cursor,
  };
}

const values = z.array(text(2000, 1)).max(MAX_FILTER_VALUES);
const attrValues = z
  .record(text(200, 1), z.union([text(2000, 1), values]).transform((v) => (Array.isArray(v) ? v : [v])))
  .refine((r) => Object.keys(r).length <= MAX_ATTR_KEYS, `at most ${MAX_ATTR_KEYS} attribute keys`);
const innerBody = {
  subjects: values.optional(),
  predicates: values.optional(),
  contexts: values.optional(),
  actors: values.optional(),
  attributes: attrValues.optional(),
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
};

export const bodyFilterSchema = z.strictObject({
  ...innerBody,
  subjects_from: z.strictObject(innerBody).optional(),
  exclude_system: z.boolean().optional().describe('leave out system attestations (ix_handler versions and retractions)'),
  limit: z.number().int().min(0).max(1e9).optional(),
  order: order.optional(),
  cursor: cursor.optional(),
});
