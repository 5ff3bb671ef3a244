// The attestation filter as HTTP gives it: query-string fields (repeated keys, commas split),
// `attr.<key>=<value>` attribute equality (repeated: any of), and `subjects_from=<a query string>`
// (one level); or the same as a JSON body. Shared by GET /api/attestations, its /count and POST query.
import { z } from 'zod';
import { timestampSchema } from '../ats/input.js';
import type { AttestationFilter } from '../ats/types.js';
import { parseInput } from './validate.js';

/** A query-string list: repeated keys, each split on commas. */
const list = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.length > 0))
  .optional();

const querySchema = z.strictObject({
  subjects: list,
  predicates: list,
  contexts: list,
  actors: list,
  subject: list,
  predicate: list,
  context: list,
  actor: list,
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
  limit: z.coerce.number().int().min(1).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  cursor: z.string().min(1).max(200).optional(),
  subjects_from: z.string().min(1).max(8192).optional(),
});

function merge(a: string[] | undefined, b: string[] | undefined): string[] | undefined {
  const all = [...(a ?? []), ...(b ?? [])];
  return all.length ? all : undefined;
}

/** Splits `attr.<key>` parameters off the rest: values are taken whole (a path may hold commas). */
function takeAttributes(query: Record<string, unknown>): { rest: Record<string, unknown>; attributes?: Record<string, string[]> } {
  const rest: Record<string, unknown> = {};
  const attributes: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(query)) {
    if (!k.startsWith('attr.')) rest[k] = v;
    else attributes[k.slice(5)] = (Array.isArray(v) ? v : [v]).map(String);
  }
  return Object.keys(attributes).length ? { rest, attributes } : { rest };
}

function queryObject(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : [...(Array.isArray(prev) ? prev : [prev]), v];
  }
  return out;
}

export function filterFromQuery(query: unknown, nested = false): AttestationFilter {
  const { rest, attributes } = takeAttributes((query ?? {}) as Record<string, unknown>);
  const q = parseInput(querySchema, rest, nested ? 'subjects_from' : 'query');
  if (nested && q.subjects_from) {
    parseInput(z.object({ subjects_from: z.undefined() }), { subjects_from: q.subjects_from }, 'subjects_from (one level only)');
  }
  return {
    subjects: merge(q.subjects, q.subject),
    predicates: merge(q.predicates, q.predicate),
    contexts: merge(q.contexts, q.context),
    actors: merge(q.actors, q.actor),
    attributes,
    subjects_from: q.subjects_from ? filterFromQuery(queryObject(q.subjects_from), true) : undefined,
    time_start: q.time_start,
    time_end: q.time_end,
    limit: q.limit,
    order: q.order,
    cursor: q.cursor,
  };
}

const values = z.array(z.string().min(1));
const attrValues = z.record(z.string(), z.union([z.string(), values]).transform((v) => (Array.isArray(v) ? v : [v])));
const innerBody = z.strictObject({
  subjects: values.optional(),
  predicates: values.optional(),
  contexts: values.optional(),
  actors: values.optional(),
  attributes: attrValues.optional(),
  time_start: timestampSchema.optional(),
  time_end: timestampSchema.optional(),
});

export const bodyFilterSchema = innerBody.extend({
  subjects_from: innerBody.optional(),
  limit: z.number().int().min(1).optional(),
  order: z.enum(['asc', 'desc']).optional(),
  cursor: z.string().min(1).max(200).optional(),
});
