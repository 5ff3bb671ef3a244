// Conversions between stored rows and attestations, and page assembly (shared by both stores).
import { ConflictError } from '../errors.js';
import { encodeCursor } from './cursor.js';
import type { AttestationRowOut, AttestationSizeRow } from './query.js';
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

/** JSON punctuation and keys of one serialised attestation, beyond its stored text. */
export const ROW_OVERHEAD = 160;

/**
 * Which rows (of a sizes query asked for limit + 1) fit a page of `maxBytes`: the first always,
 * then as long as the total stays within it. The cursor continues after the last row taken.
 */
export function pickWithinBudget(rows: AttestationSizeRow[], limit: number, maxBytes: number): { seqs: number[]; next_cursor: string | null } {
  const seqs: number[] = [];
  let total = 0;
  for (const r of rows.slice(0, limit)) {
    const bytes = Number(r.bytes) + ROW_OVERHEAD;
    if (seqs.length > 0 && total + bytes > maxBytes) break;
    total += bytes;
    seqs.push(Number(r.seq));
  }
  const last = rows[seqs.length - 1];
  const more = rows.length > seqs.length;
  return { seqs, next_cursor: more && last ? encodeCursor({ t: Number(last.timestamp), s: Number(last.seq) }) : null };
}

/** The bytes a stored row serialises to, roughly: its text columns and the JSON around them. */
function rowBytes(r: AttestationRowOut): number {
  return (
    ROW_OVERHEAD +
    Buffer.byteLength(r.id) +
    Buffer.byteLength(r.subjects) +
    Buffer.byteLength(r.predicates) +
    Buffer.byteLength(r.contexts) +
    Buffer.byteLength(r.actors) +
    Buffer.byteLength(r.source) +
    Buffer.byteLength(r.attributes)
  );
}

/**
 * A page from rows read one by one (limit + 1 asked for): the first always, then as long as the
 * total stays within `maxBytes`; the iteration is stopped at the first row that does not fit.
 */
export function budgetPage(rows: IterableIterator<AttestationRowOut>, limit: number, maxBytes: number): AttestationPage {
  const page: AttestationRowOut[] = [];
  let total = 0;
  let more = false;
  for (const r of rows) {
    const bytes = rowBytes(r);
    if (page.length >= limit || (page.length > 0 && total + bytes > maxBytes)) {
      more = true;
      break; // ends the iteration: the statement is reset, nothing further is read
    }
    total += bytes;
    page.push(r);
  }
  const last = page[page.length - 1];
  return {
    items: page.map(rowToAttestation),
    next_cursor: more && last ? encodeCursor({ t: Number(last.timestamp), s: Number(last.seq) }) : null,
  };
}

/** Rows fetched by seq, put back in the order of `seqs`. */
export function inOrder(seqs: number[], rows: AttestationRowOut[]): AttestationRowOut[] {
  const bySeq = new Map(rows.map((r) => [Number(r.seq), r]));
  return seqs.map((s) => bySeq.get(s)).filter((r): r is AttestationRowOut => r !== undefined);
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
