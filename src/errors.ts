// Typed, expected errors: each has a stable code, an HTTP status, details ("key=value") and a hint.
// Only the HTTP layer and the CLI turn them into responses; anything else is a bug (500).

export interface ErrorBody {
  error: string;
  details: string[];
  hint?: string;
}

export class QntxError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: string[];
  readonly hint: string | undefined;

  constructor(
    code: string,
    status: number,
    message: string,
    opts: { details?: string[]; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = opts.details ?? [];
    this.hint = opts.hint;
  }

  toBody(): ErrorBody {
    return this.hint === undefined
      ? { error: this.message, details: this.details }
      : { error: this.message, details: this.details, hint: this.hint };
  }
}

type Opts = { details?: string[]; hint?: string; cause?: unknown };

export class ValidationError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('validation', 400, message, opts);
  }
}

export class NotFoundError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('not_found', 404, message, opts);
  }
}

export class ConflictError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('conflict', 409, message, opts);
  }
}

export class UnauthorizedError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('unauthorized', 401, message, opts);
  }
}

/** A request the server will not serve whoever sends it: a foreign Host or Origin. */
export class ForbiddenError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('forbidden', 403, message, opts);
  }
}

export class UnsupportedMediaTypeError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('unsupported_media_type', 415, message, opts);
  }
}

/** Configuration that cannot work (for example a public bind without a token). */
export class ConfigError extends QntxError {
  constructor(message: string, opts: Opts = {}) {
    super('config', 400, message, opts);
  }
}

/** Turns zod issues into "path=message" details. */
export function issuesToDetails(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string[] {
  return issues.map((i) => `${i.path.length ? i.path.map(String).join('.') : '(root)'}=${i.message}`);
}

/**
 * A read stopped at the query time limit (QNTX_QUERY_TIME_LIMIT_MS): the database is not broken,
 * this query asked for more work than one is given.
 */
export class QueryTimeLimitError extends QntxError {
  constructor(limitMs: number, opts: Omit<Opts, 'details' | 'hint'> & { message?: string } = {}) {
    super('query_time_limit', 503, opts.message ?? `query stopped at the time limit of ${limitMs} ms`, {
      cause: opts.cause,
      details: [`time_limit_ms=${limitMs}`],
      hint: 'narrow the filter (fewer values, a time range, a more specific field), or raise QNTX_QUERY_TIME_LIMIT_MS',
    });
  }
}
