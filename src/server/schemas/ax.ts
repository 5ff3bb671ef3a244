// The shapes of the AX routes' answers (src/protocol.ts's Ax DTOs as zod), for the OpenAPI document.
import { z } from 'zod';
import { attestationDto, scheduleDto } from './responses.js';

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
