// System predicates: written only by the operations that own them (the handler registry's
// register and remove), never by POST /api/as, `qntx import`, `qntx as` or a handler's attest().
// The registry passes RESERVED_WRITE; nothing else holds a reason to.
import { ValidationError } from '../errors.js';
import { fold } from './fold.js';

/** `ix_handler`: a handler version or its retraction (context = the ix type). */
export const RESERVED_PREDICATES: ReadonlySet<string> = new Set(['ix_handler']);

/** The capability to write a reserved predicate: an object only its holder can pass. */
export interface ReservedWrite {
  readonly owner: 'handler-registry';
}

export const RESERVED_WRITE: ReservedWrite = Object.freeze({ owner: 'handler-registry' as const });

/** Throws a 400 naming the predicate when `predicates` holds a reserved one without the capability. */
export function checkReserved(predicates: readonly string[], capability: ReservedWrite | undefined, where?: string): void {
  if (capability === RESERVED_WRITE) return;
  // Predicates match without regard to case, so `IX_Handler` would pass for one.
  const hit = predicates.find((p) => RESERVED_PREDICATES.has(fold(p)));
  if (hit === undefined) return;
  throw new ValidationError(`predicate '${hit}' is reserved for the system`, {
    details: [...(where ? [where] : []), `predicate=${hit}`],
    hint: hit === 'ix_handler' ? 'register handlers with POST /api/python/register-handler or `qntx handlers add`' : 'use another predicate',
  });
}
