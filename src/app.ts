// The composition root: the one place that builds the long-lived parts and wires them together.
// Everything below it receives its collaborators (store, clock, logger, settings) explicitly.
import path from 'node:path';
import { withAxActions } from './ax/actions.js';
import { prepareAxInput } from './ax/action-input.js';
import { AxWatchSource } from './ax/watch-source.js';
import { samenessFromSettings } from './ax/sameness/config.js';
import { AxService } from './ax/service.js';
import { DEFAULT_ZONE, resolveTime } from './ax/time.js';
import { createAttestationStore } from './ats/open-store.js';
import { AttestationService } from './ats/service.js';
import type { AttestationStore } from './ats/store.js';
import { systemClock, type Clock } from './clock.js';
import type { Settings } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { gitJob } from './ix/git-job.js';
import type { SpawnFn } from './ix/git-process.js';
import { HandlerRegistry } from './ix/handler-registry.js';
import { HookService } from './hooks/service.js';
import { pythonScriptJob } from './ix/python-script-job.js';
import { ixResolver } from './ix/router.js';
import { createLogger, type Logger } from './logger.js';
import { sweepSpool } from './ax/spool-sweep.js';
import { Catalog, type HandlerDef } from './pulse/catalog.js';
import { noopHandler, sleepHandler } from './pulse/builtin-handlers.js';
import { pulseEventLookup } from './pulse/event-lookup.js';
import { PulseEvents } from './pulse/events.js';
import { PgEventBridge } from './pulse/pg-event-bridge.js';
import { Pulse, type PulseOptions } from './pulse/pulse.js';
import type { ScheduleResolver } from './pulse/schedules.js';
import type { ServerEvent } from './protocol.js';
import { serverPythonRunner } from './python/for-server.js';
import type { PythonRunner } from './python/runner.js';
import { SecretService } from './secrets/service.js';

export interface QntxOptions {
  clock?: Clock;
  logger?: Logger;
  /** PostgreSQL schema (tests isolate themselves with one). */
  pgSchema?: string;
  /** Extra job handlers (tests register their own). */
  handlers?: HandlerDef[];
  /** Starts git for ixgest.git (default: node's spawn; fault tests stall or kill it). */
  spawnGit?: SpawnFn;
  /** Starts the Python runner's warm parent (default: node's spawn; tests watch what it is given). */
  spawnPython?: SpawnFn;
  /** Replaces the ix resolver (Pulse tests route their own codes). */
  resolver?: ScheduleResolver;
  /** Overrides of Pulse options (concurrency, lease, ticker…). */
  pulse?: Partial<Omit<PulseOptions, 'database' | 'clock' | 'logger' | 'catalog' | 'resolver' | 'events'>>;
}

export interface EventSource {
  onAny(listener: (event: ServerEvent) => void): () => void;
}

export interface Qntx {
  readonly settings: Settings;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly database: Database;
  readonly store: AttestationStore;
  readonly ats: AttestationService;
  /** Every ServerEvent of this process: Pulse's, and the API's attestations_created. */
  readonly events: PulseEvents;
  readonly catalog: Catalog;
  readonly pulse: Pulse;
  readonly runner: PythonRunner;
  readonly handlers: HandlerRegistry;
  readonly ax: AxService;
  /** Secrets granted to handler types. */
  readonly secrets: SecretService;
  /** Webhook triggers. */
  readonly hooks: HookService;
  /** Events of this process and, on PostgreSQL, of every other process on the database. */
  readonly allEvents: EventSource;
  readonly startedAt: number;
  /** Starts the long-running parts: Pulse's worker and ticker, and the cross-process event fan-out. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function createQntx(settings: Settings, opts: QntxOptions = {}): Promise<Qntx> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger({ level: settings.logLevel });
  const database = await openDatabase({
    dataDir: settings.dataDir,
    databaseUrl: settings.databaseUrl,
    readDatabaseUrl: settings.readDatabaseUrl,
    pgSchema: opts.pgSchema,
    poolSize: settings.workerConcurrency + 8,
    queryTimeLimitMs: settings.queryTimeLimitMs,
    logger,
  });
  const store = createAttestationStore(database);
  // `as … at T`: the start of what T names (a day is its midnight, UTC), `now` the instant itself.
  const ats = new AttestationService(store, clock, (text, now) =>
    text.trim().toLowerCase() === 'now' ? now : resolveTime(text, DEFAULT_ZONE, now)?.start,
  );
  const runner = serverPythonRunner(settings, logger, opts.spawnPython);
  const handlers = new HandlerRegistry(ats, (code) => runner.check(code));
  const events = new PulseEvents(logger);
  const publish = (e: Parameters<PulseEvents['emit']>[0]) => events.emit(e);
  const sameness = samenessFromSettings(settings);
  // The AX service needs Pulse (for `so` actions) and Pulse's python.script needs AX (for
  // ix.input): the job reaches the service through this late-bound reference.
  const late: { ax?: AxService } = {};
  const axInput = (query: string) => prepareAxInput(late.ax!.engine, query, { now: clock.now(), spoolDir: path.join(settings.dataDir, 'ax-input') });
  const watchSource = new AxWatchSource({ database, clock });
  const secrets = new SecretService(database, { dataDir: settings.dataDir, secretKey: settings.secretKey }, clock);
  const catalog = new Catalog()
    .register(
      pythonScriptJob({
        ats,
        handlers,
        runner,
        publish,
        axInput,
        watchInput: (query, watch) => watchSource.input(query, watch),
        secrets: (type) => secrets.forType(type),
      }),
    )
    .register(gitJob({ ats, cacheDir: `${settings.dataDir}/git-cache`, publish, spawn: opts.spawnGit }))
    .register(noopHandler())
    .register(sleepHandler(clock));
  for (const h of opts.handlers ?? []) catalog.register(h);
  const pulse = new Pulse({
    database,
    clock,
    logger,
    catalog,
    events,
    resolver: opts.resolver ?? withAxActions(ixResolver({ handlers }), { handlers, now: () => clock.now() }),
    concurrency: settings.workerConcurrency,
    executionsKept: settings.executionsKept,
    leaseMs: settings.leaseMs,
    maxActiveSchedules: settings.maxActiveSchedules,
    jobRetention: { keep: settings.jobsKept, maxAgeMs: settings.jobsMaxAgeMs },
    watch: watchSource,
    ...opts.pulse,
  });
  const hooks = new HookService({
    database,
    clock,
    catalog,
    events,
    keys: { dataDir: settings.dataDir, secretKey: settings.secretKey },
    requireHandler: (type) => handlers.require(type),
    wake: () => pulse.wake(),
    jobDefaults: () => catalog.require('python.script'),
    quotaBytes: settings.hookQuotaBytes,
  });
  const ax = (late.ax = new AxService({ ats, database, clock, handlers, pulse, sameness }));
  const fanout =
    database.kind === 'postgres' && database.pgConfig
      ? new PgEventBridge({
          config: database.pgConfig as object,
          local: events,
          lookup: pulseEventLookup(pulse),
          logger: logger.child({ component: 'event-fanout' }),
          onRemoteJob: () => pulse.wake(),
        })
      : undefined;
  // Attestations committed by other processes on the database (a worker, the CLI through a
  // server) wake this process's watchers at once; the watch loop's sweep is the fallback.
  fanout?.onAny((e) => {
    if (e.type === 'attestations_created') pulse.watchLoop?.wake();
  });
  let closing: Promise<void> | undefined;
  return {
    settings,
    clock,
    logger,
    database,
    store,
    ats,
    events,
    catalog,
    pulse,
    runner,
    handlers,
    ax,
    secrets,
    hooks,
    allEvents: fanout ?? events,
    startedAt: Date.now(),
    async start() {
      // File times are the host's: the sweep compares them with the host's clock, not the injected one.
      const swept = await sweepSpool(path.join(settings.dataDir, 'ax-input'), Date.now()).catch((err: unknown) => {
        logger.warn({ err }, 'could not sweep the so-input spool');
        return [];
      });
      if (swept.length) logger.info({ removed: swept.length }, 'removed so-input files left by stopped processes');
      await fanout?.start();
      await pulse.start();
      database.sqliteReader?.warm();
    },
    close: () =>
      (closing ??= (async () => {
        await pulse.stop();
        await fanout?.stop();
        await runner.close();
        await database.close();
      })()),
  };
}
