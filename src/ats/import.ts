// Imports JSON-lines attestations: streams the file, validates each line, inserts in batched
// transactions (PostgreSQL: through COPY, see pg-copy-insert.ts). A bad line either stops the import (nothing of its batch is written; earlier
// batches stay) or, with skipInvalid, is reported and skipped.
import fs from 'node:fs';
import { ValidationError } from '../errors.js';
import { inlineParser, threadsAvailable, workerParser, type ParsedEntry } from './import-parse.js';
import type { AttestationService } from './service.js';
import type { NewAttestation } from './types.js';

export interface ImportOptions {
  skipInvalid?: boolean;
  /** Parse in a worker thread while inserting (default true). */
  threads?: boolean;
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
}

export interface ImportProgress {
  lines: number;
  /** Valid lines taken: created + already_known. */
  imported: number;
  /** Claims stored by this import. */
  created: number;
  /** Claims that were stored already (the same claim is kept once). */
  already_known: number;
  skipped: number;
  bytes: number;
}

export interface ImportResult extends ImportProgress {
  errors: Array<{ line: number; error: string; details: string[] }>;
}

export async function importJsonl(ats: AttestationService, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  try {
    return await ats.store.bulk(() => importLines(ats, file, opts));
  } finally {
    // What the import loaded (also the batches before a bad line) gets fresh statistics.
    await ats.store.analyze();
  }
}

const CHUNK_LINES = 2000;

async function importLines(ats: AttestationService, file: string, opts: ImportOptions): Promise<ImportResult> {
  // Large transactions: index pages touched by many rows are written once per batch.
  const batchSize = opts.batchSize ?? 20_000;
  const input = fs.createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 20 });
  const stat = await fs.promises.stat(file);
  const res: ImportResult = { lines: 0, imported: 0, created: 0, already_known: 0, skipped: 0, bytes: 0, errors: [] };
  const parser = opts.threads === false || !threadsAvailable() ? inlineParser(ats.ids) : workerParser();
  let batch: NewAttestation[] = [];
  // One batch is inserted while the next is parsed and gathered (on PostgreSQL the COPY runs in
  // the server's process meanwhile); batches go in one after the other, in file order.
  let inserting: Promise<void> | null = null;
  const settle = async () => {
    const p = inserting;
    inserting = null;
    await p;
  };
  const flush = async () => {
    await settle();
    if (!batch.length) return;
    const items = batch;
    batch = [];
    const insert = ats.store.insertBulk(items).then((r) => {
      res.imported += items.length;
      res.created += r.created;
      res.already_known += r.alreadyKnown;
      res.bytes = Math.min(stat.size, input.bytesRead);
      opts.onProgress?.(res);
    });
    insert.catch(() => {}); // awaited by the next settle(); no unhandled rejection meanwhile
    inserting = insert;
  };
  const take = async (entries: ParsedEntry[]) => {
    for (const e of entries) {
      if ('ok' in e) {
        batch.push(e.ok);
        if (batch.length >= batchSize) await flush();
        continue;
      }
      if (!opts.skipInvalid) {
        await settle(); // the batches before this one stay, and are counted
        throw new ValidationError(`line ${e.line}: ${e.error}`, {
          details: e.details,
          hint: `nothing of the batch holding line ${e.line} was written (${res.imported} imported before it); fix the line or pass --skip-invalid`,
        });
      }
      res.skipped++;
      if (res.errors.length < 100) res.errors.push({ line: e.line, error: e.error, details: e.details });
    }
  };
  // One chunk is parsed (in the worker) while the one before it is inserted.
  let inFlight: Promise<ParsedEntry[]> | null = null;
  const send = async (lines: string[]) => {
    const first = res.lines + 1;
    res.lines += lines.length;
    const next = parser.parse(lines, first, ats.now());
    if (inFlight) await take(await inFlight);
    inFlight = next;
  };
  try {
    let carry = '';
    let pendingLines: string[] = [];
    for await (const chunk of input as AsyncIterable<string>) {
      const parts = (carry + chunk).split('\n');
      carry = parts.pop()!;
      for (const line of parts) pendingLines.push(line.endsWith('\r') ? line.slice(0, -1) : line);
      if (pendingLines.length >= CHUNK_LINES) {
        await send(pendingLines);
        pendingLines = [];
      }
    }
    if (carry) pendingLines.push(carry.endsWith('\r') ? carry.slice(0, -1) : carry);
    if (pendingLines.length) await send(pendingLines);
    if (inFlight) await take(await inFlight);
    await flush();
    await settle();
  } finally {
    await settle().catch(() => {}); // a failure in flight when another one ends the import
    input.destroy();
    await parser.close();
  }
  res.bytes = stat.size;
  return res;
}
