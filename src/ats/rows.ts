// Conversions between stored rows and attestations, and page assembly (shared by both stores).
import { ConflictError } from '../errors.js';
import { encodeCursor } from './cursor.js';
import type { AttestationRowOut } from './query.js';
import type { Attestation, AttestationPage } from './types.js';

export function rowToAttestation(r: AttestationRowOut): Attestation {
  return {
    id: r.id,
    subjects: JSON.parse(r.subjects) as string[],
    predicates: JSON.parse(r.predicates) as string[],
    contexts: JSON.parse(r.contexts) as string[],
    actors: JSON.parse(r.actors) as string[],
    timestamp: Number(r.timestamp),
    source: r.source,
    attributes: JSON.parse(r.attributes) as Record<string, unknown>,
    created_at: Number(r.created_at),
    handler_version: r.handler_version === null || r.handler_version === undefined ? null : Number(r.handler_version),
  };
}

export function toPage(rows: AttestationRowOut[], limit: number): AttestationPage {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return {
    items: page.map(rowToAttestation),
    next_cursor: more && last ? encodeCursor({ t: Number(last.timestamp), s: Number(last.seq) }) : null,
  };
}

/** A unique-id violation, naming the ids that were already stored or repeated in the batch. */
export function duplicateIdError(ids: readonly string[], existing: readonly string[], cause: unknown): ConflictError {
  const seen = new Set<string>();
  const repeated = ids.filter((id) => (seen.has(id) ? true : (seen.add(id), false)));
  const dup = [...new Set([...existing, ...repeated])].slice(0, 5);
  return new ConflictError(`attestation id already exists: ${dup.join(', ') || 'unknown'}`, {
    details: dup.map((id) => `id=${id}`),
    hint: 'omit id to have one assigned',
    cause,
  });
}
