// Validation of attestation input (API bodies, import lines, attest() batches) into NewAttestation.
import { z } from 'zod';
import { ValidationError, issuesToDetails } from '../errors.js';
import type { AsidFactory } from './asid.js';
import { MAX_JSON_DEPTH, MAX_TIMESTAMP_MS, hasNul, tooDeepAt } from './json-depth.js';
import { attributesProblem, valueProblem } from './limits.js';
import { checkReserved, type ReservedWrite } from './reserved.js';
import { parseIsoTimestamp } from './timestamp.js';
import { MAX_VALUES_PER_FIELD, type NewAttestation } from './types.js';

/** The rules of limits.ts, the same in attest() (Python). */
const value = z.string().superRefine((s, ctx) => {
  const problem = valueProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A string or a non-empty list of strings; duplicates are dropped, order kept. */
const values = z
  .union([value.transform((v) => [v]), z.array(value).min(1, 'must not be empty').max(MAX_VALUES_PER_FIELD)])
  .transform((vs) => [...new Set(vs)]);

/** ms since the epoch, or an ISO 8601 date/time (no offset = UTC: timestamp.ts); in any form at most
 * MAX_TIMESTAMP_MS (year 275760). */
export const timestampSchema = z.union([
  z.number().int().nonnegative().max(MAX_TIMESTAMP_MS),
  z
    .string()
    .min(1)
    .max(100)
    .transform((s, ctx) => {
      const ms = /^\d+$/.test(s) ? Number(s) : (parseIsoTimestamp(s) ?? NaN);
      if (!Number.isFinite(ms) || ms < 0) {
        ctx.addIssue({ code: 'custom', message: 'must be ms since the epoch or an ISO 8601 date' });
        return z.NEVER;
      }
      if (ms > MAX_TIMESTAMP_MS) {
        ctx.addIssue({ code: 'custom', message: `must be at most ${MAX_TIMESTAMP_MS} ms since the epoch` });
        return z.NEVER;
      }
      return ms;
    }),
]);

// Depth first: serialising a value nested thousands deep would overflow the stack.
const attributes = z.record(z.string(), z.unknown()).superRefine((a, ctx) => {
  const deep = tooDeepAt(a, MAX_JSON_DEPTH - 1);
  const problem = deep ? `nested deeper than ${MAX_JSON_DEPTH} levels at ${deep}` : attributesProblem(a);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const attestationInputSchema = z.strictObject({
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, - or _')
    .optional(),
  subjects: values,
  predicates: values,
  contexts: values,
  actors: values.optional(),
  timestamp: timestampSchema.optional(),
  source: z.string().min(1).max(200).refine((s) => !hasNul(s), 'must not contain NUL (\\u0000)').optional(),
  attributes: attributes.optional(),
  created_at: timestampSchema.optional(),
});

export type AttestationInput = z.input<typeof attestationInputSchema>;

export interface InputDefaults {
  source: string;
  actor: string;
  now: number;
  ids: AsidFactory;
  /** The capability to write reserved predicates (only the handler registry holds it). */
  reserved?: ReservedWrite;
}

/** Validates one input; throws ValidationError whose details name each bad field. */
export function toNewAttestation(raw: unknown, d: InputDefaults, where?: string): NewAttestation {
  const parsed = attestationInputSchema.safeParse(raw);
  if (!parsed.success) {
    const details = issuesToDetails(parsed.error.issues);
    if (where) details.unshift(where);
    throw new ValidationError(`invalid attestation: ${details.filter((x) => x !== where).join(', ')}`, {
      details,
    });
  }
  const a = parsed.data;
  checkReserved(a.predicates, d.reserved, where);
  return {
    id: a.id ?? d.ids.next(),
    subjects: a.subjects,
    predicates: a.predicates,
    contexts: a.contexts,
    actors: a.actors ?? [d.actor],
    timestamp: a.timestamp ?? d.now,
    source: a.source ?? d.source,
    attributes: a.attributes ?? {},
    created_at: a.created_at ?? d.now,
  };
}
