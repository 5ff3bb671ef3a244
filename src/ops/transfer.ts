// Backup, restore and migrate: a snapshot of one store written to a file, a file loaded into an
// empty store, or a snapshot loaded straight into another store. Loading commits a batch at a
// time in each table's read order, so a store's rows are always a prefix of the source's: an
// interrupted load is resumed by skipping, table by table, the rows already there. A marker table
// (qntx_restore_state) names the source while a load is unfinished.
import { QntxError } from '../errors.js';
import { migrations } from '../db/migrations/index.js';
import { BackupWriter, makeHeader, openBackup, type Header } from './backup-file.js';
import { describeLocation, type Location } from './location.js';
import { openSnapshot } from './snapshot.js';
import { openTarget, type PgWrite, type Target } from './target.js';
import { isBookkeeping, TABLES, type Row } from './tables.js';

export interface Progress {
  table: string;
  done: number;
  total: number;
}

export interface LoadResult {
  tables: Record<string, number>;
  attestationChecksum: string;
  resumed: boolean;
}

interface LoadSource {
  header: Header;
  rows(table: string, skip: number, batch: number): AsyncIterable<Row[]>;
  /** Called once every table was read: a file checks its end line. */
  finish?(): Promise<void>;
}

export interface LoadOptions {
  /** Names the source in the marker: a later run with the same name resumes. */
  sourceName: string;
  /** Empties a store an unfinished earlier load left (from any source) and starts over. */
  restart?: boolean | undefined;
  batch?: number | undefined;
  onProgress?: ((p: Progress) => void) | undefined;
  /** How rows go into PostgreSQL (COPY unless told; INSERT is the benchmark's baseline). */
  pgWrite?: PgWrite | undefined;
}

const KNOWN = migrations.map((m) => m.name);

/**
 * The backup's last migration, after refusing a schema newer than this qntx's. A schema version is
 * the number of migrations applied; the header lists their names, which is what is compared.
 */
function backupSchemaEnd(header: Header, where: string): string {
  const unknown = header.schema.filter((n) => !KNOWN.includes(n));
  if (unknown.length) {
    throw new QntxError('restore', 400, `${where}: backup schema ${header.schema.length} is newer than this qntx (${KNOWN.length}): upgrade qntx`, {
      details: [`source=${where}`, `qntx_version=${header.qntx_version}`, ...unknown.slice(0, 5).map((n) => `unknown_migration=${n}`)],
      hint: `restore it with qntx ${header.qntx_version} or newer`,
    });
  }
  const last = KNOWN.filter((n) => header.schema.includes(n)).at(-1);
  if (!last) throw new QntxError('restore', 400, `${where} has no schema (no migration was ever applied to its store)`, { details: [`source=${where}`] });
  return last;
}

/** What the store holds, table by table (data tables only). */
async function nonEmpty(target: Target): Promise<string[]> {
  const found: string[] = [];
  const present = (await target.tableNames()).filter((t) => !isBookkeeping(t));
  const ordered = [...TABLES.map((t) => t.name).filter((t) => present.includes(t)), ...present.filter((t) => !TABLES.some((k) => k.name === t)).sort()];
  for (const t of ordered) {
    const n = await target.count(t);
    if (n > 0) found.push(`${t}=${n}`);
  }
  return found;
}

async function prepare(target: Target, header: Header, opts: LoadOptions, where: string): Promise<boolean> {
  const end = backupSchemaEnd(header, where);
  const marker = await target.readMarker();
  let resume = false;
  if (marker !== null) {
    if (opts.restart) {
      await target.empty((await target.tableNames()).filter((t) => !isBookkeeping(t)));
    } else if (marker !== opts.sourceName) {
      throw new QntxError('restore', 409, `${target.where} holds an unfinished load of another source`, {
        details: [`store=${target.where}`, `unfinished_source=${marker}`, `this_source=${opts.sourceName}`],
        hint: 'run the same command as before to finish it, or add --restart to empty the store and start over',
      });
    } else resume = true;
  } else {
    const found = await nonEmpty(target);
    if (found.length) {
      throw new QntxError('restore', 409, `${target.where} is not empty: ${found.join(', ')}`, {
        details: [`store=${target.where}`, ...found.map((f) => `found=${f}`)],
        hint: 'restore into a new data directory or an empty PostgreSQL schema',
      });
    }
  }
  const applied = await target.applied();
  const ahead = applied.filter((n) => !header.schema.includes(n));
  if (ahead.length) {
    throw new QntxError('restore', 409, `${target.where} is already at a newer schema than ${where} (${applied.length} migrations, the source has ${header.schema.length})`, {
      details: [`store=${target.where}`, ...ahead.slice(0, 5).map((n) => `extra_migration=${n}`)],
      hint: 'restore into a new data directory or a new PostgreSQL schema (one no qntx server has opened)',
    });
  }
  await target.migrateTo(end);
  await target.writeMarker(opts.sourceName);
  return resume;
}

async function verify(target: Target, header: Header, where: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const wrong: string[] = [];
  for (const [t, v] of Object.entries(header.tables)) {
    counts[t] = await target.count(t);
    if (counts[t] !== v.count) wrong.push(`${t}: ${counts[t]} restored, ${v.count} in the source`);
  }
  const sum = await target.checksum();
  if (sum !== header.attestation_checksum) wrong.push(`attestation ids: checksum ${sum.slice(0, 16)}…, the source's ${header.attestation_checksum.slice(0, 16)}…`);
  if (wrong.length) {
    throw new QntxError('restore', 500, `${target.where} does not match ${where}: ${wrong.join('; ')}`, {
      details: [`store=${target.where}`, `source=${where}`, ...wrong.map((w) => `mismatch=${w}`)],
      hint: 'if the source changed since an interrupted run, run again with --restart',
    });
  }
  return counts;
}

export async function load(target: Target, source: LoadSource, opts: LoadOptions, where: string): Promise<LoadResult> {
  const { header } = source;
  const batch = opts.batch ?? 2000;
  const resumed = await prepare(target, header, opts, where);
  for (const spec of TABLES) {
    const info = header.tables[spec.name];
    if (!info) continue;
    if (spec.derived) {
      // Rebuilt by the trigger as the field rows go in: the backup's rows are passed over.
      for await (const _ of source.rows(spec.name, info.count, batch)) void _;
      continue;
    }
    let done = resumed ? await target.count(spec.name) : 0;
    if (done > info.count) {
      throw new QntxError('restore', 409, `${target.where} has more ${spec.name} rows (${done}) than the source (${info.count})`, {
        details: [`store=${target.where}`, `table=${spec.name}`],
        hint: 'the source changed since the interrupted run: add --restart',
      });
    }
    opts.onProgress?.({ table: spec.name, done, total: info.count });
    for await (const rows of source.rows(spec.name, done, batch)) {
      try {
        await target.insert(spec.name, info.columns, rows);
      } catch (err) {
        const first = rows[0] ? spec.order.map((c) => `${c}=${String(rows[0]![c])}`).join(' ') : '';
        throw new QntxError('restore', 500, `cannot insert ${spec.name} rows (from ${first}) into ${target.where}: ${(err as Error).message}`, {
          details: [`store=${target.where}`, `table=${spec.name}`, `first_row=${first}`],
          cause: err,
        });
      }
      done += rows.length;
      opts.onProgress?.({ table: spec.name, done, total: info.count });
    }
  }
  await source.finish?.();
  await target.resetSequences();
  const tables = await verify(target, header, where);
  // Complete and verified: the marker goes first, so that an interruption of what follows leaves a
  // whole store whose remaining migrations any qntx start applies.
  await target.dropMarker();
  // The data migrations of newer schema versions now run on the restored rows.
  await target.migrateTo(undefined);
  return { tables, attestationChecksum: header.attestation_checksum, resumed };
}

export interface BackupResult {
  file: string;
  rows: number;
  tables: Record<string, number>;
  attestationChecksum: string;
}

/** Writes a snapshot of the store at `from` to `file` (made under a temporary name, then renamed). */
export async function backup(from: Location, file: string, onProgress?: (p: Progress) => void): Promise<BackupResult> {
  const snap = await openSnapshot(from);
  const writer = new BackupWriter(file);
  try {
    const header = makeHeader(snap);
    await writer.header(header);
    for (const spec of TABLES) {
      const info = snap.tables[spec.name];
      if (!info) continue;
      let done = 0;
      for await (const rows of snap.rows(spec.name, 0, 2000)) {
        for (const r of rows) await writer.row(spec.name, r);
        done += rows.length;
        onProgress?.({ table: spec.name, done, total: info.count });
      }
      if (done !== info.count) throw new QntxError('backup', 500, `${spec.name}: read ${done} rows, counted ${info.count} in the same snapshot`, { details: [`table=${spec.name}`] });
    }
    await writer.finish();
    const tables = Object.fromEntries(Object.entries(snap.tables).map(([t, v]) => [t, v.count]));
    return { file, rows: writer.rows, tables, attestationChecksum: snap.attestationChecksum };
  } catch (err) {
    await writer.abort();
    throw err;
  } finally {
    await snap.close();
  }
}

export async function restore(file: string, to: Location, opts: Omit<LoadOptions, 'sourceName'>): Promise<LoadResult> {
  const reader = await openBackup(file);
  let target: Target | undefined;
  try {
    target = await openTarget(to, { pgWrite: opts.pgWrite });
    const h = reader.header;
    const result = await load(target, reader, { ...opts, sourceName: `backup ${h.created_at} ${h.attestation_checksum}` }, file);
    return result;
  } finally {
    reader.close();
    await target?.close();
  }
}

/** Copies the store at `from` (read in one snapshot, never written) into the store at `to`. */
export async function migrateStore(from: Location, to: Location, opts: Omit<LoadOptions, 'sourceName'>): Promise<LoadResult> {
  const fromName = describeLocation(from);
  if (fromName === describeLocation(to)) {
    throw new QntxError('migrate', 400, 'the source and the target are the same store', { details: [`store=${fromName}`] });
  }
  const snap = await openSnapshot(from);
  let target: Target | undefined;
  try {
    target = await openTarget(to, { pgWrite: opts.pgWrite });
    return await load(target, { header: makeHeader(snap), rows: (t, skip, batch) => snap.rows(t, skip, batch) }, { ...opts, sourceName: `migrate from ${fromName}` }, fromName);
  } finally {
    await snap.close();
    await target?.close();
  }
}
