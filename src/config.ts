// Settings: parsed once at start-up from command-line flags and QNTX_* variables by one zod
// schema. Nothing else in the code base reads process.env.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, issuesToDetails } from './errors.js';

const port = z.coerce.number().int().min(0).max(65535);

/** A comma-separated list (from a variable) or a list (repeated flags), trimmed, empties dropped. */
const nameList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim().toLowerCase()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:.]+\](:\d{1,5})?$/, 'a host name, optionally with :port')));

const flag = z.union([z.boolean(), z.enum(['1', 'true', '0', 'false']).transform((v) => v === '1' || v === 'true')]);

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
  /** A file (mode 0600) holding databaseUrl: keeps the URL's password out of argv and the environment. */
  databaseUrlFile: z.string().min(1).optional(),
  /** A streaming replica of databaseUrl: attestation queries, lists and canvas reads go to it. */
  readDatabaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  token: z.string().min(16, 'must be at least 16 characters').max(512).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces').optional(),
  /** Serve without a token (loopback only; serve.ts refuses it elsewhere). */
  noToken: flag.default(false),
  /** Where a generated token is kept (default <data-dir>/token). */
  tokenFile: z.string().min(1).optional(),
  /** Host names (or name:port) served besides the bound address and loopback names: a reverse proxy's. */
  allowedHosts: nameList.default([]),
  /** A request (headers and body) must have arrived within this time, ms. */
  requestTimeoutMs: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** A connection idle this long is closed, ms (a running execute extends its own). */
  connectionTimeoutMs: z.coerce.number().int().min(100).max(3_600_000).default(120_000),
  /** Responses of list routes stop near this many bytes and continue with next_cursor. */
  responseBudgetBytes: z.coerce.number().int().min(64 * 1024).max(256 * 1024 * 1024).default(8 * 1024 * 1024),
  /**
   * The longest one attestation read (a page, a count, an AX query's reads) may run, ms; past it
   * the read is stopped and answered 503. 0: no limit.
   */
  queryTimeLimitMs: z.coerce.number().int().min(0).max(3_600_000).default(5000),
  /** Active schedules at most; creating or resuming one more is a 409. */
  maxActiveSchedules: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  python: z.string().min(1).optional(),
  workerConcurrency: z.coerce.number().int().min(0).max(64).default(2),
  executionsKept: z.coerce.number().int().min(1).max(100000).default(100),
  /** A job's lease: a dead worker's job runs again this long after its last heartbeat. */
  leaseMs: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  /** On SIGTERM, how long running jobs get to finish before their leases are given back. */
  shutdownGraceMs: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** AX sameness (docs/ax.md): windows in ms, the review threshold, extra actor-type rules. */
  axVerificationMs: z.coerce.number().int().min(0).default(60_000),
  axEvolutionMs: z.coerce.number().int().min(1).default(24 * 3600_000),
  axObsolescenceMs: z.coerce.number().int().min(1).default(365 * 24 * 3600_000),
  axReviewBelow: z.coerce.number().min(0).max(1).default(0.4),
  axActorTypes: z
    .string()
    .regex(/^\s*[^=,]+=(human|llm|system|external)\s*(,\s*[^=,]+=(human|llm|system|external)\s*)*$/, 'must be pattern=type, … with types human, llm, system, external')
    .optional(),
  /** Finished Pulse jobs kept at most (the newest); older ones are pruned. */
  jobsKept: z.coerce.number().int().min(0).max(100_000_000).default(10_000),
  /** Finished Pulse jobs older than this are pruned, ms (default 7 days). */
  jobsMaxAgeMs: z.coerce.number().int().min(60_000).default(7 * 24 * 3600_000),
  handlerEnv: handlerEnvNames.default([]),
  /** What one handler run may store (its temp dir, /dev/shm, shared memory): killed past it. */
  handlerDiskBytes: z.coerce.number().int().min(1024 * 1024).max(2 ** 48).default(1024 * 1024 * 1024),
  /** Ad-hoc runs (POST /api/python/execute) at the same time: slots of their own, apart from schedules. */
  executeConcurrency: z.coerce.number().int().min(1).max(32).default(2),
  /** Ad-hoc runs that may wait for a slot; beyond, 429 with Retry-After. */
  executeQueue: z.coerce.number().int().min(0).max(1000).default(8),
  /** The longest an ad-hoc run may last (and its default timeout when lower than 30 s). */
  executeTimeoutMs: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** The key of stored secrets (32 bytes, base64 or hex); default: <data-dir>/secret.key. */
  secretKey: z.string().min(1).max(200).optional(),
  /** Bytes of payloads one webhook may hold (queued, running and kept deliveries): 507 past it. */
  hookQuotaBytes: z.coerce.number().int().min(1024).max(2 ** 48).default(100 * 1024 * 1024),
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
    databaseUrlFile: env.QNTX_DATABASE_URL_FILE,
    readDatabaseUrl: env.QNTX_READ_DATABASE_URL,
    token: env.QNTX_TOKEN,
    logLevel: env.QNTX_LOG_LEVEL,
    python: env.QNTX_PYTHON,
    workerConcurrency: env.QNTX_WORKER_CONCURRENCY,
    executionsKept: env.QNTX_EXECUTIONS_KEPT,
    shutdownGraceMs: env.QNTX_SHUTDOWN_GRACE_MS,
    leaseMs: env.QNTX_LEASE_MS,
    tokenFile: env.QNTX_TOKEN_FILE,
    allowedHosts: env.QNTX_ALLOWED_HOSTS,
    requestTimeoutMs: env.QNTX_REQUEST_TIMEOUT_MS,
    connectionTimeoutMs: env.QNTX_CONNECTION_TIMEOUT_MS,
    responseBudgetBytes: env.QNTX_RESPONSE_BUDGET_BYTES,
    queryTimeLimitMs: env.QNTX_QUERY_TIME_LIMIT_MS,
    maxActiveSchedules: env.QNTX_MAX_ACTIVE_SCHEDULES,
    axVerificationMs: env.QNTX_AX_VERIFICATION_MS,
    axEvolutionMs: env.QNTX_AX_EVOLUTION_MS,
    axObsolescenceMs: env.QNTX_AX_OBSOLESCENCE_MS,
    axReviewBelow: env.QNTX_AX_REVIEW_BELOW,
    axActorTypes: env.QNTX_AX_ACTOR_TYPES,
    jobsKept: env.QNTX_JOBS_KEPT,
    jobsMaxAgeMs: env.QNTX_JOBS_MAX_AGE_MS,
    handlerEnv: env.QNTX_HANDLER_ENV,
    handlerDiskBytes: env.QNTX_HANDLER_DISK_BYTES,
    executeConcurrency: env.QNTX_EXECUTE_CONCURRENCY,
    executeQueue: env.QNTX_EXECUTE_QUEUE,
    executeTimeoutMs: env.QNTX_EXECUTE_TIMEOUT_MS,
    secretKey: env.QNTX_SECRET_KEY,
    hookQuotaBytes: env.QNTX_HOOK_QUOTA_BYTES,
  };
  const merged: Record<string, unknown> = {};
  for (const src of [fromEnv, flags]) {
    for (const [k, v] of Object.entries(src)) if (v !== undefined && v !== '') merged[k] = v;
  }
  if (merged.databaseUrlFile !== undefined && merged.databaseUrl === undefined && typeof merged.databaseUrlFile === 'string') {
    merged.databaseUrl = readCredentialFile(merged.databaseUrlFile);
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

/** A credential kept in a file: refused when others may read it, as ssh refuses a private key. */
function readCredentialFile(file: string): string {
  let mode: number;
  let text: string;
  try {
    mode = fs.statSync(file).mode;
    text = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`, { details: [`database_url_file=${file}`] });
  }
  if ((mode & 0o077) !== 0) {
    throw new ConfigError(`${file} holds a database URL and is readable by others`, {
      details: [`database_url_file=${file}`, `mode=${(mode & 0o777).toString(8)}`],
      hint: `chmod 600 ${file}`,
    });
  }
  return text;
}

function handlerEnvironment(names: readonly string[], env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v !== undefined && (HANDLER_ENV_BASE.test(k) || names.includes(k))) out[k] = v;
  }
  return out;
}
