// The shapes of the AX routes' answers (src/protocol.ts's Ax DTOs as zod), for the OpenAPI
// document, and of the structured filter POST /api/ax takes as `query`.
import { z } from 'zod';
import { MAX_JSON_DEPTH, tooDeepAt } from '../../ats/json-depth.js';
import { NUL_MESSAGE } from './common.js';
import { attestationDto, scheduleDto } from './responses.js';

/** Any string without NUL: PostgreSQL text cannot hold one, so it must never reach SQL. */
const nulFree = z.string().refine((s) => !s.includes('\u0000'), NUL_MESSAGE);
const valueList = z.array(nulFree);
// Keys are checked after the record (a failing key schema would hide its name behind the union's "Invalid input").
const attributeValues = z.record(z.string(), valueList).superRefine((r, ctx) => {
  for (const k of Object.keys(r)) if (k.includes('\u0000')) ctx.addIssue({ code: 'custom', path: [k], message: NUL_MESSAGE });
});
const time = z.union([z.number(), nulFree]);

const filterFields = {
  subjects: valueList.optional(),
  predicates: valueList.optional(),
  contexts: valueList.optional(),
  actors: valueList.optional(),
  attributes: attributeValues.optional().describe('attribute key → any of these values'),
  time_start: time.optional().describe('ms since the epoch, or ISO 8601'),
  time_end: time.optional().describe('ms since the epoch, or ISO 8601'),
};

/**
 * The structured form of an AX query as the route checks it: the shape (published in OpenAPI),
 * no NUL in any text, bounded depth. Open to other keys: the AX service reads the filter itself
 * (src/ax/compile.ts) and names what it does not take; this layer only keeps NUL from SQL.
 */
export const axFilterBody = z
  .looseObject({
    ...filterFields,
    subjects_from: z.looseObject(filterFields).optional().describe('a filter whose matches\' subjects become the subject filter'),
    over: z.union([nulFree, z.looseObject({ amount: z.number(), unit: nulFree })]).optional().describe('a duration: 3y, 18m, 2w, 10d'),
    so: valueList.optional().describe('ix types whose handlers act on the results'),
    timezone: nulFree.optional(),
    order: z.enum(['asc', 'desc']).optional(),
  })
  .superRefine((v, ctx) => {
    const at = tooDeepAt(v);
    if (at) ctx.addIssue({ code: 'custom', message: `nested deeper than ${MAX_JSON_DEPTH} levels at ${at}` });
  })
  .describe('the structured filter (docs/ax.md)');

const sameness = z.enum(['evolution', 'verification', 'coexistence', 'supersession', 'review']);
const counts = z.record(z.string(), z.number().int());

const axAttestation = attestationDto.extend({
  matched_aliases: z
    .array(z.object({ field: z.enum(['subjects', 'contexts', 'actors']), value: z.string(), alias_of: z.string() }))
    .optional(),
});

const axConflict = z.object({
  subject: z.string(),
  predicate: z.string(),
  type: sameness,
  confidence: z.number().min(0).max(1),
  winner: z.string().nullable(),
  kept: z.array(z.string()),
  claims: z.array(
    z.object({
      id: z.string(),
      actors: z.array(z.string()),
      actor_type: z.enum(['human', 'llm', 'system', 'external']),
      contexts: z.array(z.string()),
      timestamp: z.number().int(),
      attributes: z.record(z.string(), z.unknown()),
    }),
  ),
  reason: z.string(),
});

export const axResponse = z.object({
  attestations: z.array(axAttestation),
  conflicts: z.array(axConflict),
  summary: z.object({
    matched: z.number().int(),
    shown: z.number().int(),
    conflicts: z.number().int(),
    by_type: z.record(sameness, z.number().int()),
    subjects: counts,
    predicates: counts,
    contexts: counts,
    actors: counts,
    aliases_truncated: z.boolean().optional(),
  }),
  next_cursor: z.string().nullable(),
  filter: z.record(z.string(), z.unknown()),
  actions: z.array(z.object({ type: z.string(), schedule: scheduleDto })).optional(),
});

export const axCompletion = z.object({
  from: z.number().int(),
  to: z.number().int(),
  field: z.enum(['subjects', 'predicates', 'contexts', 'actors', 'time', 'so', 'keyword']),
  options: z.array(
    z.object({
      label: z.string(),
      apply: z.string(),
      kind: z.enum(['keyword', 'value', 'time', 'type']),
      detail: z.string().optional(),
    }),
  ),
});
