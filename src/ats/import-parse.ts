// Parsing and validating JSON lines for import, chunk by chunk: in a worker thread (so that the
// main thread inserts one chunk while the next is parsed), or inline where threads are not wanted.
import { Worker } from 'node:worker_threads';
import { QntxError, ValidationError } from '../errors.js';
import type { AsidFactory } from './asid.js';
import { toNewAttestation } from './input.js';
import type { NewAttestation } from './types.js';

export type ParsedEntry = { ok: NewAttestation } | { line: number; error: string; details: string[] };

export interface ChunkParser {
  parse(lines: string[], firstLine: number, now: number): Promise<ParsedEntry[]>;
  close(): Promise<void>;
}

/** Parses lines; an invalid line becomes an error entry (the caller decides stop or skip). */
export function parseChunk(lines: string[], firstLine: number, now: number, ids: AsidFactory): ParsedEntry[] {
  const out: ParsedEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const n = firstLine + i;
    const line = lines[i]!;
    if (line.trim() === '') continue;
    try {
      let raw: unknown;
      try {
        raw = JSON.parse(line);
      } catch (err) {
        throw new ValidationError(`invalid JSON: ${(err as Error).message}`, { details: [`line=${n}`] });
      }
      out.push({ ok: toNewAttestation(raw, { source: 'import', actor: 'import', now, ids }, `line=${n}`) });
    } catch (err) {
      if (!(err instanceof QntxError)) throw err;
      const details = err.details.includes(`line=${n}`) ? err.details : [`line=${n}`, ...err.details];
      out.push({ line: n, error: err.message, details });
    }
  }
  return out;
}

export function inlineParser(ids: AsidFactory): ChunkParser {
  return { parse: async (lines, first, now) => parseChunk(lines, first, now, ids), close: async () => {} };
}

/** Worker threads need the compiled worker file: running from TypeScript sources (tsx), parse inline. */
export function threadsAvailable(): boolean {
  return import.meta.url.endsWith('.js');
}

/** A worker thread running import-worker; requests are answered in order. */
export function workerParser(): ChunkParser {
  const url = new URL('./import-worker.js', import.meta.url);
  const worker = new Worker(url);
  const pending: Array<{ resolve: (e: ParsedEntry[]) => void; reject: (e: unknown) => void }> = [];
  worker.on('message', (entries: ParsedEntry[]) => pending.shift()?.resolve(entries));
  worker.on('error', (err) => {
    for (const p of pending.splice(0)) p.reject(err);
  });
  return {
    parse: (lines, firstLine, now) =>
      new Promise((resolve, reject) => {
        pending.push({ resolve, reject });
        worker.postMessage({ lines, firstLine, now });
      }),
    close: async () => {
      await worker.terminate();
    },
  };
}
