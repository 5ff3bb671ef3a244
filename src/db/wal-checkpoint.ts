// SQLite: writes the WAL back into the database file on a thread of its own, after a bulk load
// held automatic checkpoints back. The WAL then holds the whole load (hundreds of MB after a large
// git ingest): seconds of copying that the loading thread would do before it could answer anything
// else. A worker thread opens a connection of its own and runs a PASSIVE checkpoint: writers go on
// meanwhile (they append to the WAL), readers are never blocked. Automatic checkpoints stay off
// until it is done (up to a bound on the WAL's size), so that the next commit does not start the
// same copy on the main thread; closing the database waits for it.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../logger.js';

/** SQLite's own default: automatic checkpoints once the WAL holds this many pages. */
export const AUTOCHECKPOINT_PAGES = 1000;

/**
 * How much WAL a bulk load may pile up before SQLite checkpoints anyway (its automatic checkpoint
 * at that size, on the loading thread). Unbounded, a 10M-row import grew the WAL past 30 GB in
 * nine minutes: each commit of a large batch rewrites thousands of index pages. A 100k-commit git
 * ingest peaks at 2.4 GB and stays below it (a 1 GiB bound made it ~30 % slower).
 */
export const BULK_WAL_BYTES = 4096 * 2 ** 20;

/** The automatic-checkpoint threshold, in pages, for a WAL of `bytes`. */
function walPages(raw: BetterSqlite3.Database, bytes: number): number {
  return Math.max(AUTOCHECKPOINT_PAGES, Math.floor(bytes / Number(raw.pragma('page_size', { simple: true }))));
}

const driver = createRequire(import.meta.url).resolve('better-sqlite3');

// Plain CommonJS, evaluated in the worker: it runs the same from the TypeScript sources and the build.
const SOURCE = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
try {
  db.pragma('busy_timeout = 10000');
  db.pragma('wal_checkpoint(PASSIVE)');
} finally {
  db.close();
}`;

function checkpointInWorker(file: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const w = new Worker(SOURCE, { eval: true, workerData: { driver, file } });
    w.once('error', reject);
    w.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`WAL checkpoint worker exited with code ${code} (${file})`))));
  });
}

export class WalCheckpointer {
  private running: Promise<void> | null = null;
  private holds = 0;
  private again = false;

  private readonly bulkPages: number;

  constructor(
    private readonly raw: BetterSqlite3.Database,
    private readonly logger?: Logger,
    /** WAL a bulk load may pile up (default BULK_WAL_BYTES; tests lower it). */
    bulkWalBytes = BULK_WAL_BYTES,
  ) {
    this.bulkPages = walPages(raw, bulkWalBytes);
  }

  /**
   * A bulk load begins: automatic checkpoints are held back (up to the bulk bound) until every load
   * has ended.
   */
  hold(): void {
    this.holds++;
    this.raw.pragma(`wal_autocheckpoint = ${this.bulkPages}`);
  }

  /** A bulk load has ended: the last one starts the background checkpoint. */
  release(): void {
    if (--this.holds > 0) return;
    this.start();
  }

  /** True while a background checkpoint runs. */
  get busy(): boolean {
    return this.running !== null;
  }

  /** Resolves once no background checkpoint runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private start(): void {
    if (this.running) {
      this.again = true; // frames written since it began: one more pass when it ends
      return;
    }
    const file = this.raw.name;
    if (this.raw.memory || !file) {
      // An in-memory database: no file another connection could open.
      this.raw.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      return;
    }
    // Meanwhile the loading thread checkpoints only past the bulk bound (and then finds the
    // checkpoint busy and goes on): the copy is the worker's.
    this.raw.pragma(`wal_autocheckpoint = ${this.bulkPages}`);
    this.running = checkpointInWorker(file)
      .catch((err: unknown) => this.logger?.warn({ err, file }, 'background WAL checkpoint failed: the next commits checkpoint instead'))
      .finally(() => {
        this.running = null;
        if (this.holds > 0 || !this.raw.open) return; // a load runs: its release starts the next one
        if (this.again) {
          this.again = false;
          this.start();
        } else {
          this.raw.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
        }
      });
  }
}
