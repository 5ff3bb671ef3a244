// CLI output: human tables by default, JSON with --json; errors with message, details and hint.
import { QntxError } from '../errors.js';

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** A plain text table; cells are cut to `max` characters. */
export function printTable(headers: string[], rows: string[][], max = 48): void {
  const cut = (s: string) => (s.length > max ? s.slice(0, max - 1) + '…' : s);
  const cells = [headers, ...rows.map((r) => r.map((c) => cut(c.replace(/\s+/g, ' '))))];
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
    process.stderr.write(`error: ${body.error}\n`);
    for (const d of body.details) process.stderr.write(`  ${d}\n`);
    if ('hint' in body && body.hint) process.stderr.write(`hint: ${body.hint}\n`);
  }
  return 1;
}
