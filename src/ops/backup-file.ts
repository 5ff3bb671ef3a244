// The backup file: gzip'd JSON lines. A header line (what made it, the schema: the names of the
// migrations applied to the store, whose number is its schema version; the count and columns of
// every table; the attestation-id checksum), then one `{"table": …, "row": {…}}` line per row, tables in
// restore order, then `{"end": {"rows": n}}` so that a cut-off file is told from a whole one.
// Bytes are `{"$base64": "…"}`; integers beyond 2^53 are decimal strings.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { once } from 'node:events';
import zlib from 'node:zlib';
import { QntxError } from '../errors.js';
import { VERSION } from '../version.js';
import type { SnapshotInfo } from './snapshot.js';
import { tableSpec, type Row, type Value } from './tables.js';

export const FORMAT = 'qntx-backup';
export const FORMAT_VERSION = 1;

export interface Header {
  format: typeof FORMAT;
  format_version: number;
  qntx_version: string;
  created_at: string;
  source_kind: 'sqlite' | 'postgres';
  schema: string[];
  tables: Record<string, { count: number; columns: string[] }>;
  attestation_checksum: string;
}

export function makeHeader(s: SnapshotInfo): Header {
  return {
    format: FORMAT,
    format_version: FORMAT_VERSION,
    qntx_version: VERSION,
    created_at: new Date().toISOString(),
    source_kind: s.kind,
    schema: s.schema,
    tables: s.tables,
    attestation_checksum: s.attestationChecksum,
  };
}

function encodeRow(r: Row): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(r)) {
    const v = r[k];
    out[k] = Buffer.isBuffer(v) ? { $base64: v.toString('base64') } : v;
  }
  return out;
}

function decodeValue(v: unknown, where: string): Value {
  if (v === null || typeof v === 'number' || typeof v === 'string') return v;
  if (typeof v === 'object' && typeof (v as { $base64?: unknown }).$base64 === 'string') return Buffer.from((v as { $base64: string }).$base64, 'base64');
  throw new QntxError('restore', 400, `unexpected value in the backup at ${where}`, { details: [`at=${where}`, `value=${JSON.stringify(v).slice(0, 80)}`] });
}

/** Writes lines to a gzip'd file, waiting whenever the stream asks to. */
export class BackupWriter {
  private readonly gzip = zlib.createGzip({ level: 6 });
  private readonly out: fs.WriteStream;
  private readonly done: Promise<void>;
  readonly tmp: string;
  rows = 0;

  constructor(readonly file: string) {
    this.tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.partial`);
    this.out = fs.createWriteStream(this.tmp, { mode: 0o600 });
    this.gzip.pipe(this.out);
    const fail = (reject: (e: Error) => void) => (err: Error) =>
      reject(new QntxError('backup', 500, `cannot write ${file}: ${err.message}`, { details: [`path=${file}`, `partial=${this.tmp}`], cause: err }));
    this.done = new Promise((resolve, reject) => {
      this.out.on('finish', () => resolve());
      this.out.on('error', fail(reject));
      this.gzip.on('error', fail(reject));
    });
    // Surfaced by finish() or the next write; a listener keeps it from being unhandled meanwhile.
    this.done.catch(() => {});
  }

  private async line(obj: unknown): Promise<void> {
    if (!this.gzip.write(JSON.stringify(obj) + '\n')) await Promise.race([once(this.gzip, 'drain'), this.done]);
  }

  header(h: Header): Promise<void> {
    return this.line(h);
  }

  async row(table: string, r: Row): Promise<void> {
    this.rows++;
    await this.line({ table, row: encodeRow(r) });
  }

  /** The end line, then the file renamed into place (a reader never sees a partial backup under its name). */
  async finish(): Promise<void> {
    await this.line({ end: { rows: this.rows } });
    this.gzip.end();
    await this.done;
    fs.renameSync(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    this.out.destroy();
    fs.rmSync(this.tmp, { force: true });
  }
}

export interface BackupReader {
  header: Header;
  /** The rows of `table` (the next table in the file), after the first `skip`, in batches. */
  rows(table: string, skip: number, batch: number): AsyncIterable<Row[]>;
  /** Checks the end line was reached and the file had nothing after it. */
  finish(): Promise<void>;
  close(): void;
}

function validHeader(h: unknown, file: string): Header {
  const x = h as Partial<Header> | null;
  if (!x || typeof x !== 'object' || x.format !== FORMAT) {
    throw new QntxError('restore', 400, `${file} is not a qntx backup`, { details: [`path=${file}`], hint: 'give a file written by `qntx backup`' });
  }
  if (x.format_version !== FORMAT_VERSION) {
    throw new QntxError('restore', 400, `${file} is a qntx backup of format ${String(x.format_version)}, this qntx reads format ${FORMAT_VERSION}`, {
      details: [`path=${file}`, `format_version=${String(x.format_version)}`],
      hint: 'restore it with the qntx version that wrote it',
    });
  }
  if (!Array.isArray(x.schema) || typeof x.tables !== 'object' || !x.tables || typeof x.attestation_checksum !== 'string') {
    throw new QntxError('restore', 400, `${file}: the backup's header is incomplete`, { details: [`path=${file}`] });
  }
  for (const [t, v] of Object.entries(x.tables)) {
    if (!tableSpec(t) || !Number.isSafeInteger(v?.count) || !Array.isArray(v?.columns)) {
      throw new QntxError('restore', 400, `${file}: the backup's header has a bad entry for table ${t}`, { details: [`path=${file}`, `table=${t}`] });
    }
  }
  return x as Header;
}

export async function openBackup(file: string): Promise<BackupReader> {
  let input: fs.ReadStream;
  try {
    input = fs.createReadStream(file);
    await once(input, 'open');
  } catch (err) {
    throw new QntxError('restore', 400, `cannot read ${file}: ${(err as Error).message}`, { details: [`path=${file}`] });
  }
  const gunzip = zlib.createGunzip();
  let streamError: Error | undefined;
  gunzip.on('error', (e) => (streamError = e));
  const rl = readline.createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  const it = rl[Symbol.asyncIterator]();
  let lineNo = 0;
  const next = async (): Promise<unknown> => {
    let r: IteratorResult<string>;
    try {
      r = await it.next();
    } catch (err) {
      throw new QntxError('restore', 400, `${file}: cannot read line ${lineNo + 1}: ${(err as Error).message}`, { details: [`path=${file}`, `line=${lineNo + 1}`] });
    }
    if (streamError) throw new QntxError('restore', 400, `${file}: ${streamError.message} (not a gzip file, or cut off)`, { details: [`path=${file}`, `line=${lineNo}`] });
    if (r.done) return undefined;
    lineNo++;
    try {
      return JSON.parse(r.value) as unknown;
    } catch {
      throw new QntxError('restore', 400, `${file}: line ${lineNo} is not JSON`, { details: [`path=${file}`, `line=${lineNo}`] });
    }
  };
  const first = await next();
  if (first === undefined) throw new QntxError('restore', 400, `${file} is empty`, { details: [`path=${file}`] });
  const header = validHeader(first, file);
  let pending: unknown = await next();
  let ended = false;
  return {
    header,
    async *rows(table, skip, batch) {
      const columns = new Set(header.tables[table]?.columns ?? []);
      let seen = 0;
      let out: Row[] = [];
      while (pending !== undefined) {
        const rec = pending as { table?: unknown; row?: unknown; end?: unknown };
        if (rec.end !== undefined || rec.table !== table) break;
        const at = `line ${lineNo} (table ${table})`;
        if (!rec.row || typeof rec.row !== 'object') throw new QntxError('restore', 400, `${file}: ${at} has no row`, { details: [`path=${file}`, `line=${lineNo}`] });
        if (seen++ >= skip) {
          const row: Row = {};
          for (const [k, v] of Object.entries(rec.row as Record<string, unknown>)) {
            if (!columns.has(k)) throw new QntxError('restore', 400, `${file}: ${at} has column ${k}, not in the header`, { details: [`path=${file}`, `line=${lineNo}`, `column=${k}`] });
            row[k] = decodeValue(v, `${at} column ${k}`);
          }
          out.push(row);
          if (out.length >= batch) {
            yield out;
            out = [];
          }
        }
        pending = await next();
      }
      if (out.length) yield out;
    },
    async finish() {
      const rec = pending as { table?: unknown; end?: { rows?: unknown } } | undefined;
      if (rec === undefined) {
        throw new QntxError('restore', 400, `${file} is cut off: its end line is missing`, { details: [`path=${file}`, `lines=${lineNo}`], hint: 'the backup did not finish; make a new one' });
      }
      if (rec.end === undefined) {
        throw new QntxError('restore', 400, `${file}: rows of table ${String(rec.table)} at line ${lineNo} are out of order or unknown`, { details: [`path=${file}`, `line=${lineNo}`] });
      }
      ended = true;
      if ((await next()) !== undefined) throw new QntxError('restore', 400, `${file}: lines after the end line`, { details: [`path=${file}`, `line=${lineNo}`] });
    },
    close() {
      if (!ended) input.destroy();
      rl.close();
    },
  };
}
