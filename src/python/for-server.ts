// The Python runner as the server builds it from its settings: the composition root (app.ts)
// and the runner's benchmark both call this, so the benchmark times the runs the server makes
// (sandbox uid, private directory, janitor, mount namespace hiding the data directory).
import path from 'node:path';
import type { Settings } from '../config.js';
import type { Logger } from '../logger.js';
import { PythonRunner, type PythonRunnerOptions } from './runner.js';

export function serverPythonRunner(
  settings: Settings,
  logger: Logger,
  spawn?: PythonRunnerOptions['spawn'],
  /** What the benchmark compares (e.g. `prepare: false`); the server passes none. */
  overrides: Partial<PythonRunnerOptions> = {},
): PythonRunner {
  return new PythonRunner({
    python: settings.python,
    logger,
    env: settings.handlerEnvironment,
    defaults: { diskBytes: settings.handlerDiskBytes },
    // Scheduled runs: one slot per Pulse worker slot; ad-hoc executes have slots of their own.
    maxConcurrent: Math.max(1, settings.workerConcurrency),
    adhoc: { slots: settings.executeConcurrency, queue: settings.executeQueue, maxTimeoutMs: settings.executeTimeoutMs },
    spawn,
    // Out of every run's sight: the database, the secret key, the token, spooled inputs.
    hide: [settings.dataDir, settings.tokenFile ?? path.join(settings.dataDir, 'token')],
    ...overrides,
  });
}
