// Imports JSON-lines attestations: streams the file, validates each line, inserts in batched
// transactions. A bad line either stops the import (nothing of its batch is written; earlier
// batches stay) or, with skipInvalid, is reported and skipped.
import fs from 'node:fs';
import { QntxError, ValidationError } from '../errors.js';
import type { AttestationService } from './service.js';
import type { NewAttestation } from './types.js';

export interface ImportOptions {
  skipInvalid?: boolean;
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportProgress {
  lines: number;
  imported: number;
  skipped: number;
  bytes: number;
}

export interface ImportResult extends ImportProgress {
  errors: Array<{ line: number; error: string; details: string[] }>;
}

export async function importJsonl(ats: AttestationService, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  return ats.store.bulk(() => importLines(ats, file, opts));
}

async function importLines(ats: AttestationService, file: string, opts: ImportOptions): Promise<ImportResult> {
  // Large transactions: index pages touched by many rows are written once per batch.
  const batchSize = opts.batchSize ?? 20_000;
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const stat = await fs.promises.stat(file);
  const res: ImportResult = { lines: 0, imported: 0, skipped: 0, bytes: 0, errors: [] };
  let batch: NewAttestation[] = [];
  const flush = async () => {
    if (!batch.length) return;
    await ats.store.insertMany(batch);
    res.imported += batch.length;
    batch = [];
    res.bytes = Math.min(stat.size, input.bytesRead);
    opts.onProgress?.(res);
  };
  const take = (line: string) => {
    res.lines++;
    if (line.trim() === '') return;
    try {
      batch.push(ats.prepare(parseLine(line, res.lines), { source: 'import', actor: 'import' }, `line=${res.lines}`));
    } catch (err) {
      if (!(err instanceof QntxError)) throw err;
      const details = err.details.includes(`line=${res.lines}`) ? err.details : [`line=${res.lines}`, ...err.details];
      if (!opts.skipInvalid) {
        throw new ValidationError(`line ${res.lines}: ${err.message}`, {
          details,
          hint: `nothing of the batch holding line ${res.lines} was written (${res.imported} imported before it); fix the line or pass --skip-invalid`,
        });
      }
      res.skipped++;
      if (res.errors.length < 100) res.errors.push({ line: res.lines, error: err.message, details });
    }
  };
  try {
    // Whole chunks are split and validated synchronously: no await per line.
    let carry = '';
    for await (const chunk of input as AsyncIterable<string>) {
      const parts = (carry + chunk).split('\n');
      carry = parts.pop()!;
      for (const line of parts) {
        take(line.endsWith('\r') ? line.slice(0, -1) : line);
        if (batch.length >= batchSize) await flush();
      }
    }
    if (carry) take(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
    await flush();
  } finally {
    input.destroy();
  }
  res.bytes = stat.size;
  return res;
}

function parseLine(line: string, n: number): unknown {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new ValidationError(`invalid JSON: ${(err as Error).message}`, { details: [`line=${n}`] });
  }
}

