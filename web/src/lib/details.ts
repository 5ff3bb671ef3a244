// Reading the error shape's structured details ("key=value" strings) wherever they arrive from.

/** The details as a map; a detail without "=" maps to "" (later keys win). */
export function parseDetails(details: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of details ?? []) {
    const i = d.indexOf('=');
    if (i < 0) out[d] = '';
    else out[d.slice(0, i)] = d.slice(i + 1);
  }
  return out;
}

/** The value of one detail on anything that carries `details` (an ApiError, an execution, a body). */
export function detailValue(source: unknown, key: string): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const o = source as { details?: unknown; error_details?: unknown };
  const list = Array.isArray(o.details) ? o.details : Array.isArray(o.error_details) ? o.error_details : [];
  return parseDetails(list.filter((d): d is string => typeof d === 'string'))[key];
}

/**
 * The `script_type` an error names when no ingest script exists for a type. A handler that ran and
 * failed names its type too, with the `handler_version` that ran: that is not a missing handler.
 */
export function missingScriptType(source: unknown): string | undefined {
  if (detailValue(source, 'handler_version') !== undefined) return undefined;
  const t = detailValue(source, 'script_type');
  return t && t.length > 0 ? t : undefined;
}

/** The type whose handler ran and failed (`script_type` with `handler_version`), if that is the error. */
export function failedScriptType(source: unknown): string | undefined {
  if (detailValue(source, 'handler_version') === undefined) return undefined;
  const t = detailValue(source, 'script_type');
  return t && t.length > 0 ? t : undefined;
}

/** A failed run's error as Python prints its last line: "ValueError: upstream returned 503". */
export function exceptionLine(source: { error?: string | null } & object): string {
  const first = firstLine(source.error);
  const name = detailValue(source, 'exception');
  if (!name || first.startsWith(name)) return first;
  return first ? `${name}: ${first}` : name;
}

/** An error's first line: a traceback's summary, never the whole of it. */
export function firstLine(text: string | null | undefined): string {
  const line = (text ?? '').split('\n').find((l) => l.trim() !== '');
  return line?.trim() ?? '';
}

/** The 1-based line an error points at (`line=<n>`), if any. */
export function errorLine(source: unknown): number | undefined {
  const v = detailValue(source, 'line');
  const n = v === undefined ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
