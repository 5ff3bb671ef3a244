// SQLite: where long reads run. A query of the attestation store (a page, a count, an export's
// pages) runs in a child process with a read-only connection of its own (WAL lets readers run
// beside the writer), so the server's one thread keeps answering meanwhile; each statement has a
// time limit.
//
// Why processes and not worker threads: this build of SQLite has no progress handler
// (SQLITE_OMIT_PROGRESS_CALLBACK) and better-sqlite3 exposes no sqlite3_interrupt, so nothing
// reaches into a running sqlite3_step. Worker.terminate() only stops JavaScript: a worker inside
// one long step goes on to its end (measured: a terminated worker exited 82 s later, burning a
// core meanwhile). A process is stopped by SIGKILL at once; the kernel closes its file and
// releases its WAL read lock, and a fresh process takes its place for the next read.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { QueryTimeLimitError } from '../errors.js';
import type { Logger } from '../logger.js';

/** Default of QNTX_QUERY_TIME_LIMIT_MS. */
export const DEFAULT_QUERY_TIME_LIMIT_MS = 5000;

/** How to read a statement's rows. */
export type ReadMode =
  | { kind: 'all' }
  | { kind: 'get' }
  /**
   * Rows one at a time, stopping after `maxRows`, or after the first row that takes the summed
   * size (its string columns' UTF-8 bytes plus `rowOverhead`) past `maxBytes`: a page held to a
   * byte budget never loads more than one row beyond it.
   */
  | { kind: 'page'; maxRows: number; maxBytes: number; rowOverhead: number };

export interface SqliteReads {
  read<R>(sql: string, params: readonly unknown[], mode: ReadMode): Promise<R[]>;
}

export interface SqliteReaderOptions {
  /** The database file (the main connection has made it WAL). */
  file: string;
  /** A statement running longer is stopped and answered with QueryTimeLimitError. */
  timeLimitMs: number;
  /** Reads running at once (processes); more wait their turn. */
  size?: number | undefined;
  logger?: Logger | undefined;
}

/** How long a read process may take to start (load the driver, open the file) beyond the limit. */
const STARTUP_MS = 10_000;

/** The scheduling priority of read processes (nice): below the server's. */
const READ_NICENESS = 10;

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

// Plain CommonJS, run by `node -e`: it works the same from the TypeScript sources and the build,
// and the process gets none of the server's environment or flags.
const SOURCE = `
const Database = require(process.argv[1]);
const db = new Database(process.argv[2], { readonly: true, fileMustExist: true });
db.pragma('busy_timeout = 10000');
db.pragma('cache_size = -65536');
const cache = new Map();
function prepare(sql) {
  let st = cache.get(sql);
  if (!st) {
    st = db.prepare(sql);
    if (cache.size >= 256) cache.delete(cache.keys().next().value);
    cache.set(sql, st);
  }
  return st;
}
function run(m) {
  const st = prepare(m.sql);
  if (m.mode.kind === 'all') return st.all(...m.params);
  if (m.mode.kind === 'get') { const r = st.get(...m.params); return r === undefined ? [] : [r]; }
  const rows = [];
  let total = 0;
  for (const r of st.iterate(...m.params)) {
    rows.push(r);
    if (rows.length >= m.mode.maxRows) break;
    let bytes = m.mode.rowOverhead;
    for (const v of Object.values(r)) if (typeof v === 'string') bytes += Buffer.byteLength(v);
    total += bytes;
    if (total > m.mode.maxBytes && rows.length > 1) break;
  }
  return rows;
}
process.on('message', (m) => {
  try {
    process.send({ id: m.id, rows: run(m) });
  } catch (e) {
    process.send({ id: m.id, error: { message: String(e && e.message), code: e && e.code } });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ ready: true });
`;

interface Job {
  sql: string;
  params: readonly unknown[];
  mode: ReadMode;
  resolve(rows: unknown[]): void;
  reject(err: unknown): void;
}

type Reply = { id: number; rows?: unknown[]; error?: { message: string; code?: string } } | { ready: true };

/** One read process: one statement at a time. */
class Slot {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private current: { id: number; job: Job; timer: NodeJS.Timeout; started: boolean } | undefined;
  /** The process has opened the database (its first message). */
  private ready = false;
  private nextId = 0;

  constructor(
    private readonly reader: SqliteReader,
    private readonly opts: SqliteReaderOptions,
  ) {}

  get busy(): boolean {
    return this.current !== undefined;
  }

  /** The process's id, while one runs (tests check that a stopped one is gone). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the process now rather than at the first read. */
  ensure(): void {
    if (!this.child) this.start();
  }

  run(job: Job): void {
    const child = this.child ?? this.start();
    const id = ++this.nextId;
    // The limit is the statement's: a process still starting (loading the driver, opening the file)
    // starts its clock once it is ready.
    // Until then a longer bound holds, should a start hang.
    const ms = this.ready ? this.opts.timeLimitMs : this.opts.timeLimitMs + STARTUP_MS;
    this.current = { id, job, timer: setTimeout(() => void this.timeUp(id), ms), started: this.ready };
    child.ref();
    (child.channel as { ref?: () => void } | undefined)?.ref?.();
    child.send({ id, sql: job.sql, params: job.params, mode: job.mode });
  }

  private start(): ChildProcess {
    this.ready = false;
    const child = spawn(process.execPath, ['-e', SOURCE, driver, this.opts.file], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: {},
    });
    try {
      // A long read yields the CPU to the server's thread (and to writes) rather than share it evenly.
      if (child.pid !== undefined) os.setPriority(child.pid, READ_NICENESS);
    } catch {
      // not permitted here: the read runs at the server's priority
    }
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-2000)));
    child.on('message', (m: Reply) => this.onReply(m));
    let gone: () => void = () => {};
    this.exited = new Promise((resolve) => (gone = resolve));
    const onGone = (why: string) => {
      // A process that died on its own (one stopped at the limit is no longer the slot's): its
      // statement fails, the next read starts another.
      if (this.child === child) {
        this.child = undefined;
        const c = this.current;
        if (c) {
          this.finish();
          c.job.reject(new Error(`SQLite read process ${why}: ${stderr.trim().slice(0, 500)}`));
        }
      }
      gone();
    };
    child.once('exit', (code, signal) => onGone(`exited (code ${code}, signal ${signal})`));
    child.on('error', (err) => {
      this.opts.logger?.warn({ err }, 'SQLite read process failed');
      // Never started (no pid): no exit will follow.
      if (child.pid === undefined) onGone(`could not start (${err.message})`);
    });
    this.child = child;
    this.idle(child);
    return child;
  }

  private onReply(m: Reply): void {
    if ('ready' in m) {
      this.ready = true;
      const c = this.current;
      if (c && !c.started) {
        clearTimeout(c.timer);
        c.started = true;
        c.timer = setTimeout(() => void this.timeUp(c.id), this.opts.timeLimitMs);
      }
      return;
    }
    const c = this.current;
    if (!c || c.id !== m.id) return;
    this.finish();
    if (m.error) c.job.reject(Object.assign(new Error(m.error.message), { code: m.error.code }));
    else c.job.resolve(m.rows ?? []);
  }

  private async timeUp(id: number): Promise<void> {
    const c = this.current;
    if (!c || c.id !== id) return;
    this.current = undefined; // the exit must not reject it as a crash
    const child = this.child;
    this.child = undefined;
    const ms = this.opts.timeLimitMs;
    this.opts.logger?.warn({ timeLimitMs: ms, sql: c.job.sql.slice(0, 500) }, 'SQLite read stopped at its time limit');
    if (child) {
      child.kill('SIGKILL');
      await this.exited; // answered once the statement has really stopped
    }
    c.job.reject(new QueryTimeLimitError(ms));
    // A server keeps its read processes ready: the replacement starts now, not in the next read's time.
    if (this.reader.eager) this.ensure();
    this.reader.next(this);
  }

  private finish(): void {
    clearTimeout(this.current?.timer);
    this.current = undefined;
    if (this.child) this.idle(this.child);
    this.reader.next(this);
  }

  /** An idle process does not keep the event loop (a CLI command) alive. */
  private idle(child: ChildProcess): void {
    child.unref();
    (child.channel as { unref?: () => void } | undefined)?.unref?.();
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    const c = this.current;
    if (c) {
      clearTimeout(c.timer);
      this.current = undefined;
      c.job.reject(new Error('the SQLite reader is closed'));
    }
    if (!child) return;
    child.ref(); // an idle process is unref'd: its exit must still be awaited
    child.kill('SIGKILL');
    await this.exited;
  }
}

export class SqliteReader implements SqliteReads {
  private readonly slots: Slot[];
  private readonly queue: Array<{ job: Job; timer: NodeJS.Timeout; since: number }> = [];
  private closed = false;

  constructor(private readonly opts: SqliteReaderOptions) {
    this.slots = Array.from({ length: Math.max(1, opts.size ?? 2) }, () => new Slot(this, opts));
  }

  /** Set by warm(): processes are started ahead of reads, and replaced as soon as one is stopped. */
  eager = false;

  /**
   * Starts every read process now (a server, at start): the first reads do not wait for one, and
   * starting one does not fall within a read's time.
   */
  warm(): void {
    if (this.closed) return;
    this.eager = true;
    for (const s of this.slots) s.ensure();
  }

  get timeLimitMs(): number {
    return this.opts.timeLimitMs;
  }

  /** Ids of the read processes now started (tests). */
  pids(): number[] {
    return this.slots.map((s) => s.pid).filter((p): p is number => p !== undefined);
  }

  /** Ids of the read processes now running a statement (tests). */
  busyPids(): number[] {
    return this.slots.filter((s) => s.busy).map((s) => s.pid).filter((p): p is number => p !== undefined);
  }

  read<R>(sql: string, params: readonly unknown[], mode: ReadMode): Promise<R[]> {
    if (this.closed) return Promise.reject(new Error('the SQLite reader is closed'));
    return new Promise<R[]>((resolve, reject) => {
      const job: Job = { sql, params, mode, resolve: resolve as (rows: unknown[]) => void, reject };
      const free = this.slots.find((s) => !s.busy);
      if (free) {
        free.run(job);
        return;
      }
      // Every process busy: the read waits, at most the time limit too (heavy reads queued behind
      // each other would otherwise keep the last one waiting for all of them).
      const timer = setTimeout(() => {
        const i = this.queue.findIndex((w) => w.job === job);
        if (i < 0) return;
        this.queue.splice(i, 1);
        this.waitedOut(job);
      }, this.opts.timeLimitMs);
      this.queue.push({ job, timer, since: performance.now() });
    });
  }

  private waitedOut(job: Job): void {
    const ms = this.opts.timeLimitMs;
    this.waitedOutCount++;
    job.reject(new QueryTimeLimitError(ms, { message: `query waited past the time limit of ${ms} ms for a free read process` }));
  }

  /** Reads refused because they waited past the time limit for a process (tests, diagnostics). */
  waitedOutCount = 0;

  /** Gives a free slot the next waiting read (one whose wait reached the limit is refused, whichever timer fired first). */
  next(slot: Slot): void {
    if (slot.busy) return;
    for (let w = this.queue.shift(); w; w = this.queue.shift()) {
      clearTimeout(w.timer);
      if (performance.now() - w.since >= this.opts.timeLimitMs) {
        this.waitedOut(w.job);
        continue;
      }
      slot.run(w.job);
      return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.queue.splice(0)) {
      clearTimeout(w.timer);
      w.job.reject(new Error('the SQLite reader is closed'));
    }
    await Promise.all(this.slots.map((s) => s.close()));
  }
}
