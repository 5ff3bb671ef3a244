// The composition root: the one place that builds the long-lived parts and wires them together.
// Everything below it receives its collaborators (store, clock, logger, settings) explicitly.
import { createAttestationStore } from './ats/open-store.js';
import { AttestationService } from './ats/service.js';
import type { AttestationStore } from './ats/store.js';
import { systemClock, type Clock } from './clock.js';
import type { Settings } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { createLogger, type Logger } from './logger.js';

export interface QntxOptions {
  clock?: Clock;
  logger?: Logger;
  /** PostgreSQL schema (tests isolate themselves with one). */
  pgSchema?: string;
}

export interface Qntx {
  readonly settings: Settings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly database: Database;
  readonly store: AttestationStore;
  readonly ats: AttestationService;
  readonly startedAt: number;
  close(): Promise<void>;
}

export async function createQntx(settings: Settings, opts: QntxOptions = {}): Promise<Qntx> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: settings.logLevel });
  const database = await openDatabase({
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    pgSchema: opts.pgSchema,
    poolSize: settings.workerConcurrency + 8,
    logger,
  });
  const store = createAttestationStore(database);
  const ats = new AttestationService(store, clock);
  return {
    settings,
    clock,
    logger,
    database,
    store,
    ats,
    startedAt: Date.now(),
    close: () => database.close(),
  };
}
