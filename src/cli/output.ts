// CLI output: human tables by default, JSON with --json; errors with message, details and hint.
// Stored text reaches a terminal: control characters (ESC, OSC, BEL, C1, bidi overrides) are shown
// as escapes, never sent raw (--json escapes them anyway).
import { QntxError } from '../errors.js';

// C0 but tab and newline, DEL, C1, and the bidirectional overrides and isolates.
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/* eslint-enable no-control-regex */

/** Text safe to print: each control character becomes a visible `\\xHH` / `\\uHHHH` escape. */
export function terminalSafe(text: string, keepLines = false): string {
  return text.replace(keepLines ? CONTROL : CONTROL_ALL, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A plain text table; cells are cut to `max` characters. */
export function printTable(headers: string[], rows: string[][], max = 48): void {
  const cut = (s: string) => (s.length > max ? s.slice(0, max - 1) + '…' : s);
  const cells = [headers, ...rows.map((r) => r.map((c) => cut(terminalSafe(c.replace(/[\t\n\r ]+/g, ' ')))))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  for (const r of cells) process.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
}

export function formatTime(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '-' : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** Prints an error the way the API returns it, and gives the exit code. */
export function reportError(err: unknown, json: boolean): number {
  const body =
    err instanceof QntxError
      ? err.toBody()
      : { error: err instanceof Error ? err.message : String(err), details: [] as string[] };
  if (json) {
    process.stdout.write(JSON.stringify(body) + '\n');
  } else {
    process.stderr.write(`error: ${terminalSafe(body.error)}\n`);
    for (const d of body.details) process.stderr.write(`  ${terminalSafe(d)}\n`);
    if ('hint' in body && body.hint) process.stderr.write(`hint: ${terminalSafe(body.hint)}\n`);
  }
  return 1;
}
