// Building blocks of the route schemas: strings either database can store (no NUL), JSON values
// of bounded depth, ids, paging, query-string lists, and the error body. The same zod schemas
// validate requests and generate the OpenAPI document.
import { z } from 'zod';
import { MAX_JSON_DEPTH, hasNul, tooDeepAt } from '../../ats/json-depth.js';

export const NUL_MESSAGE = 'must not contain NUL (\\u0000)';

/** A string of at most `max` characters without NUL (PostgreSQL text cannot hold it). */
export function text(max: number, min = 0) {
  return z.string().min(min).max(max).refine((s) => !hasNul(s), NUL_MESSAGE);
}

/** Most values a filter field takes (each an index probe). */
export const MAX_FILTER_VALUES = 1000;

/** Any JSON value, at most MAX_JSON_DEPTH levels deep. */
export const jsonValue = z.unknown().superRefine((v, ctx) => {
  const at = tooDeepAt(v);
  if (at) ctx.addIssue({ code: 'custom', message: `nested deeper than ${MAX_JSON_DEPTH} levels at ${at}` });
});

/** A JSON object, at most MAX_JSON_DEPTH levels deep. */
export const jsonObject = z.record(z.string(), z.unknown()).superRefine((v, ctx) => {
  const at = tooDeepAt(v);
  if (at) ctx.addIssue({ code: 'custom', message: `nested deeper than ${MAX_JSON_DEPTH} levels at ${at}` });
});

/** A path id: the ids qntx makes (ASIDs, JB…, SC…, EX…), at most 64 characters. */
export const idParams = z.strictObject({ id: text(64, 1) });

export const cursor = text(200, 1);

/** A query-string list: repeated keys, each split on commas; at most MAX_FILTER_VALUES values. */
export const queryList = z
  .union([z.string(), z.array(z.string()).max(MAX_FILTER_VALUES)])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).filter((s) => s.length > 0))
  .pipe(z.array(text(2000, 1)).max(MAX_FILTER_VALUES, `at most ${MAX_FILTER_VALUES} values`));

export const errorBody = z
  .object({
    error: z.string(),
    details: z.array(z.string()).describe('key=value pairs, e.g. script_type=webhook'),
    hint: z.string().optional(),
  })
  .meta({ id: 'Error' });

/** Every route may answer an error in the error shape {error, details[], hint?}. */
export const errorResponses = { '4xx': errorBody, '5xx': errorBody } as const;

/** A body-less POST still sends Content-Type: application/json, with `{}` or nothing. */
export const emptyBody = z.strictObject({}).nullish();
