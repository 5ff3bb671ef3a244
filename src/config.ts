// Settings: parsed once at start-up from command-line flags and QNTX_* variables by one zod
// schema. Nothing else in the code base reads process.env.
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, issuesToDetails } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);

/** Server variables every handler run gets (besides its own HOME and TMPDIR): nothing secret. */
const HANDLER_ENV_BASE = /^(PATH|LANG|LC_[A-Z_]+|TZ)$/;

/** `QNTX_HANDLER_ENV`: names (comma- or space-separated) of more variables handlers may see. */
const handlerEnvNames = z
  .string()
  .transform((s) => s.split(/[\s,]+/).filter(Boolean))
  .pipe(
    z.array(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be variable names')
        .refine((n) => !n.startsWith('QNTX_'), 'must not name QNTX_ variables (the server\'s own, secrets among them)'),
    ),
  );

export const settingsSchema = z.object({
  host: z.string().min(1).default('127.0.0.1'),
  port: port.default(8770),
  dataDir: z.string().min(1).default('./data'),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  token: z.string().min(16, 'must be at least 16 characters').optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  python: z.string().min(1).optional(),
  workerConcurrency: z.coerce.number().int().min(0).max(64).default(2),
  executionsKept: z.coerce.number().int().min(1).max(100000).default(100),
  /** A job's lease: a dead worker's job runs again this long after its last heartbeat. */
  leaseMs: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  /** On SIGTERM, how long running jobs get to finish before their leases are given back. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  handlerEnv: handlerEnvNames.default([]),
  /** What one handler run may store (its temp dir, /dev/shm, shared memory): killed past it. */
  handlerDiskBytes: z.coerce.number().int().min(1024 * 1024).max(2 ** 48).default(1024 * 1024 * 1024),
  /** Ad-hoc runs (POST /api/python/execute) at the same time: slots of their own, apart from schedules. */
  executeConcurrency: z.coerce.number().int().min(1).max(32).default(2),
  /** Ad-hoc runs that may wait for a slot; beyond, 429 with Retry-After. */
  executeQueue: z.coerce.number().int().min(0).max(1000).default(8),
  /** The longest an ad-hoc run may last (and its default timeout when lower than 30 s). */
  executeTimeoutMs: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
});

export type Settings = z.infer<typeof settingsSchema> & {
  dataDir: string;
  /** The environment of handler runs: the allowlisted variables and the `handlerEnv` names. */
  handlerEnvironment: Record<string, string>;
};

export type SettingsInput = { [K in keyof z.input<typeof settingsSchema>]?: unknown };

/** Flags win over variables, variables over defaults. Undefined flags are ignored. */
export function loadSettings(flags: SettingsInput, env: NodeJS.ProcessEnv): Settings {
  const fromEnv: SettingsInput = {
    host: env.QNTX_HOST,
    port: env.QNTX_PORT,
    dataDir: env.QNTX_DATA_DIR,
    databaseUrl: env.QNTX_DATABASE_URL,
    token: env.QNTX_TOKEN,
    logLevel: env.QNTX_LOG_LEVEL,
    python: env.QNTX_PYTHON,
    workerConcurrency: env.QNTX_WORKER_CONCURRENCY,
    executionsKept: env.QNTX_EXECUTIONS_KEPT,
    shutdownGraceMs: env.QNTX_SHUTDOWN_GRACE_MS,
    leaseMs: env.QNTX_LEASE_MS,
    handlerEnv: env.QNTX_HANDLER_ENV,
    handlerDiskBytes: env.QNTX_HANDLER_DISK_BYTES,
    executeConcurrency: env.QNTX_EXECUTE_CONCURRENCY,
    executeQueue: env.QNTX_EXECUTE_QUEUE,
    executeTimeoutMs: env.QNTX_EXECUTE_TIMEOUT_MS,
  };
  const merged: Record<string, unknown> = {};
  for (const src of [fromEnv, flags]) {
    for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== '') merged[k] = v;
  }
  const parsed = settingsSchema.safeParse(merged);
  if (!parsed.success) {
    throw new ConfigError('invalid settings', { details: issuesToDetails(parsed.error.issues) });
  }
  return {
    ...parsed.data,
    dataDir: path.resolve(parsed.data.dataDir),
    handlerEnvironment: handlerEnvironment(parsed.data.handlerEnv, env),
  };
}

function handlerEnvironment(names: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (HANDLER_ENV_BASE.test(k) || names.includes(k))) out[k] = v;
  }
  return out;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}
