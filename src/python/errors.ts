// Errors of the Python runner that are not about the script: Python missing, or the runner gone.
import { QntxError } from '../errors.js';

/** Python cannot be found or started, or the runner was closed: the run never happened. */
export class PythonUnavailableError extends QntxError {
  constructor(message: string, opts: { details?: string[]; hint?: string; cause?: unknown } = {}) {
    super('python_unavailable', 503, message, opts);
  }
}
