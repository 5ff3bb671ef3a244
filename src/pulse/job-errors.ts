// How a handler's failure is recorded and whether it is worth retrying.
// A failure is permanent when the error says so (`retryable: false`) or has a permanent code.
import { QntxError } from '../errors.js';
import type { HandlerResult } from './catalog.js';

/** Error codes that no retry can fix: the input or the routing is wrong, not the moment. */
export const PERMANENT_CODES: ReadonlySet<string> = new Set([
  'no_ingest_script',
  'validation',
  'unknown_handler',
  'not_found',
  'permanent',
]);

/** Throw it from a handler to fail the job at once, without retries. */
export class PermanentJobError extends QntxError {
  readonly retryable = false;
  constructor(message: string, opts: { details?: string[]; hint?: string; cause?: unknown } = {}) {
    super('permanent', 422, message, opts);
  }
}

/**
 * A failed run that still has something to report (output so far, attestations committed):
 * `result` goes to the execution. Retryable unless `retryable: false`.
 */
export class HandlerFailedError extends QntxError {
  readonly retryable: boolean;
  readonly result: HandlerResult;
  constructor(
    message: string,
    opts: { details?: string[]; hint?: string; cause?: unknown; result?: HandlerResult; retryable?: boolean; code?: string } = {},
  ) {
    super(opts.code ?? 'handler_failed', 500, message, opts);
    this.retryable = opts.retryable ?? true;
    this.result = opts.result ?? {};
  }
}

/** The partial result a thrown error carries (any error with an object `result` property). */
export function failureResult(err: unknown): HandlerResult | undefined {
  const r = err && typeof err === 'object' ? (err as { result?: unknown }).result : undefined;
  return r && typeof r === 'object' ? (r as HandlerResult) : undefined;
}

export interface ErrorRecord {
  error: string;
  error_details: string[];
}

export function isRetryable(err: unknown): boolean {
  if (err && typeof err === 'object' && (err as { retryable?: unknown }).retryable === false) return false;
  if (err instanceof QntxError) return !PERMANENT_CODES.has(err.code);
  return true;
}

/** A QntxError keeps its message and details; anything else keeps its message. */
export function errorRecord(err: unknown): ErrorRecord {
  if (err instanceof QntxError) return { error: err.message, error_details: [...err.details] };
  if (err instanceof Error) return { error: err.message || err.name, error_details: [] };
  return { error: String(err), error_details: [] };
}
