// Errors of the Python runner that are not about the script: Python missing, the runner gone, or
// too many runs waiting.
import { QntxError } from '../errors.js';

/** Python cannot be found or started, or the runner was closed: the run never happened. */
export class PythonUnavailableError extends QntxError {
  constructor(message: string, opts: { details?: string[]; hint?: string; cause?: unknown } = {}) {
    super('python_unavailable', 503, message, opts);
  }
}

/** A bounded queue of runs is full: 429, with the seconds after which a slot is sure to be free. */
export class QueueFullError extends QntxError {
  readonly retryAfterS: number;

  constructor(message: string, opts: { retryAfterS: number; details?: string[] }) {
    super('busy', 429, message, {
      details: [...(opts.details ?? []), `retry_after_s=${opts.retryAfterS}`],
      hint: `retry after ${opts.retryAfterS} s`,
    });
    this.retryAfterS = opts.retryAfterS;
  }
}
