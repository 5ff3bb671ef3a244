// Webhook triggers (docs/triggers.md): a hook is a URL `POST /hooks/<type>/<id>` whose id (256
// random bits, shown once, stored as its SHA-256) is the credential. A delivery creates, in one
// transaction, an execution (trigger 'hook', no schedule) and the python.script job that runs the
// type's handler with the body as ix.input; a repeated delivery id, or a signed body seen within a
// day, returns the first execution; a hook's stored payloads are held to a quota (delivery-ops.ts).
import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import { AsidFactory } from '../ats/asid.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { Schema } from '../db/schema.js';
import type { HookDeliveriesTable, HooksTable } from '../db/secrets-schema.js';
import { createTxRunner, type TxRunner } from '../db/tx.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { Catalog } from '../pulse/catalog.js';
import { jobUpdate, type PulseEvents } from '../pulse/events.js';
import { newExecutionRow } from '../pulse/executions.js';
import { PulseIds } from '../pulse/ids.js';
import { newJobRow } from '../pulse/job-ops.js';
import { open, seal } from '../secrets/cipher.js';
import { loadKey, loadOrCreateKey, type KeySource } from '../secrets/key.js';
import { DEFAULT_HOOK_QUOTA_BYTES, deliverOp, removeOp, storedBytesOp, type DeliveryAnswer } from './delivery-ops.js';

/** Headers every run gets as ix.headers (when the delivery has them); more can be named per hook. */
export const DEFAULT_HEADERS = ['content-type', 'user-agent', 'x-github-event', 'x-github-delivery', 'x-delivery-id', 'x-gitlab-event'];
/** Never passed to a run, even when named: they are credentials of somebody. */
const NEVER = new Set(['authorization', 'cookie', 'proxy-authorization', 'x-hub-signature', 'x-hub-signature-256']);
export const DELIVERY_HEADERS = ['x-github-delivery', 'x-delivery-id'];
/** Deliveries kept per hook (for de-duplication and the lists); older ones are pruned. */
const DELIVERIES_KEPT = 1000;
const TYPE = /^[a-z0-9_-]{1,64}$/;

export interface CreateHookInput {
  script_type: string;
  /** Deliveries must carry X-Hub-Signature-256 made with a signing secret generated now. */
  sign?: boolean | undefined;
  /** More header names to pass as ix.headers. */
  headers?: string[] | undefined;
  rate_per_minute?: number | undefined;
}

export interface HookInfo {
  id: string;
  script_type: string;
  signed: boolean;
  headers: string[];
  rate_per_minute: number;
  created_at: number;
  last_delivery_at: number | null;
  delivery_count: number;
  /** UTF-8 bytes of the payloads the hook holds (queued, running and kept deliveries). */
  stored_bytes: number;
  /** The most it may hold: a delivery past it is a 507. */
  quota_bytes: number;
  last_deliveries: Array<{ delivery_id: string | null; execution_id: string; received_at: number; status: string | null }>;
}

export interface CreatedHook extends HookInfo {
  /** The URL path, holding the secret id: shown this once. */
  path: string;
  /** The HMAC-SHA256 secret deliveries are signed with: shown this once (null when unsigned). */
  signing_secret: string | null;
}

export interface Delivery {
  hook: HooksTable;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  /** Hex HMAC-SHA256 of the raw body (a signed hook's, checked): the same body within a day is a replay. */
  bodyHmac?: string | null | undefined;
}

export interface HookServiceOptions {
  database: Database;
  clock: Clock;
  catalog: Catalog;
  events: PulseEvents;
  keys: KeySource;
  /** Throws when the type has no handler (NotFound with a hint). */
  requireHandler(type: string): Promise<unknown>;
  /** A job was queued: the worker claims it. */
  wake(): void;
  /** The job defaults of python.script: its timeout and retries. */
  jobDefaults(): { timeoutMs: number; maxRetries: number };
  /** Deliveries (and their executions) kept per hook; default 1000. */
  deliveriesKept?: number;
  /** Bytes of payloads a hook may hold (queued, running and kept deliveries); default 100 MiB. */
  quotaBytes?: number;
}

export function tokenHash(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

export class HookService {
  private readonly db: Kysely<Schema>;
  private readonly runner: TxRunner;
  private readonly ids: PulseIds;
  private readonly rowIds: AsidFactory;

  constructor(private readonly o: HookServiceOptions) {
    this.db = o.database.db;
    this.runner = createTxRunner(o.database);
    this.ids = new PulseIds(() => o.clock.now());
    this.rowIds = new AsidFactory(() => o.clock.now());
  }

  async create(input: CreateHookInput): Promise<CreatedHook> {
    const type = input.script_type;
    if (typeof type !== 'string' || !TYPE.test(type)) {
      throw new ValidationError(`invalid handler type '${String(type).slice(0, 80)}'`, { details: ['script_type=lowercase letters, digits, - or _, at most 64'] });
    }
    const extra = (input.headers ?? []).map((h) => h.trim().toLowerCase());
    const badHeader = extra.find((h) => !/^[a-z0-9-]{1,100}$/.test(h) || NEVER.has(h));
    if (badHeader !== undefined) {
      throw new ValidationError(`header '${badHeader}' cannot be passed to a run`, { details: [`headers=${badHeader}`], hint: 'credentials (authorization, cookie, signatures) are never passed' });
    }
    const rate = input.rate_per_minute ?? 60;
    if (!Number.isInteger(rate) || rate < 1 || rate > 10_000) throw new ValidationError('rate_per_minute must be 1 to 10000', { details: ['rate_per_minute=1 to 10000'] });
    await this.o.requireHandler(type);
    const token = crypto.randomBytes(32).toString('base64url');
    const id = 'HK' + crypto.randomBytes(8).toString('hex');
    let signing: string | null = null;
    let sealed: { sealed: string; keyId: string } | null = null;
    if (input.sign) {
      signing = crypto.randomBytes(32).toString('hex');
      const key = loadOrCreateKey(this.o.keys);
      sealed = { sealed: seal(key.key, `hook:${id}`, signing), keyId: key.id };
    }
    const row: HooksTable = {
      id,
      script_type: type,
      token_hash: tokenHash(token),
      signing_sealed: sealed?.sealed ?? null,
      signing_key_id: sealed?.keyId ?? null,
      headers: JSON.stringify([...new Set([...DEFAULT_HEADERS, ...extra])]),
      rate_per_minute: rate,
      created_at: this.o.clock.now(),
      last_delivery_at: null,
      delivery_count: 0,
    };
    await this.runner.run(this.db.insertInto('hooks').values(row).compile());
    return { ...toInfo(row, [], 0, this.quota), path: `/hooks/${type}/${token}`, signing_secret: signing };
  }

  async list(scriptType?: string): Promise<HookInfo[]> {
    let q = this.db.selectFrom('hooks').selectAll().orderBy('id');
    if (scriptType) q = q.where('script_type', '=', scriptType);
    const rows = (await this.runner.run(q.compile())).rows;
    const out: HookInfo[] = [];
    for (const r of rows) out.push(toInfo(r, await this.lastDeliveries(r.id), await this.runner.autocommit(() => storedBytesOp(this.db, r.id)), this.quota));
    return out;
  }

  async remove(id: string): Promise<void> {
    const gone = await this.runner.transaction(() => removeOp(this.db, id));
    if (!gone) throw new NotFoundError(`no hook ${id}`, { details: [`hook_id=${id}`], hint: 'qntx hooks ls lists them' });
  }

  /** The hook a URL names, or null (unknown, revoked, or another type). */
  async find(type: string, token: string): Promise<HooksTable | null> {
    if (!TYPE.test(type) || token.length < 20 || token.length > 100) return null;
    const q = this.db.selectFrom('hooks').selectAll().where('token_hash', '=', tokenHash(token)).compile();
    const row = (await this.runner.run(q)).rows[0];
    return row && row.script_type === type ? row : null;
  }

  /** The signing secret of a signed hook (null: unsigned). */
  signingSecret(hook: HooksTable): string | null {
    if (hook.signing_sealed === null) return null;
    const key = loadKey(this.o.keys);
    const value = key && key.id === hook.signing_key_id ? open(key.key, `hook:${hook.id}`, hook.signing_sealed) : null;
    if (value === null) {
      throw new ValidationError(`the signing secret of hook ${hook.id} cannot be read with the present secret key`, {
        details: [`hook_id=${hook.id}`],
        hint: 'restore the secret key, or create the hook again',
      });
    }
    return value;
  }

  private get quota(): number {
    return this.o.quotaBytes ?? DEFAULT_HOOK_QUOTA_BYTES;
  }

  /** Queues the run of a delivery; a delivery id or signed body seen before returns its first execution. */
  async deliver(d: Delivery): Promise<DeliveryAnswer> {
    const now = this.o.clock.now();
    const wanted = JSON.parse(d.hook.headers) as string[];
    const headers: Record<string, string> = {};
    for (const name of wanted) {
      const v = d.headers[name];
      if (v !== undefined) headers[name] = Array.isArray(v) ? v.join(', ') : v;
    }
    let deliveryId: string | null = null;
    for (const h of DELIVERY_HEADERS) {
      const v = d.headers[h];
      if (typeof v === 'string' && v.trim()) deliveryId = v.trim().slice(0, 200);
      if (deliveryId) break;
    }
    const payload = { script_type: d.hook.script_type, args: [], flags: {}, hook: { hook_id: d.hook.id, body: d.body, headers } };
    this.o.catalog.parse('python.script', payload);
    const jobId = this.ids.next('JB');
    const execution = newExecutionRow({ id: this.ids.next('EX'), scheduleId: null, jobId, trigger: 'hook', dueAt: null, now });
    const def = this.o.jobDefaults();
    const job = newJobRow({
      id: jobId,
      handler_name: 'python.script',
      payload,
      source: null,
      max_retries: def.maxRetries,
      timeout_ms: def.timeoutMs,
      run_at: now,
      schedule_id: null,
      execution_id: execution.id,
      now,
    });
    const rowId = 'DL' + this.rowIds.next().slice(2);
    const delivery: HookDeliveriesTable = {
      id: rowId,
      hook_id: d.hook.id,
      delivery_key: deliveryId ?? rowId,
      delivery_id: deliveryId,
      execution_id: execution.id,
      received_at: now,
      bytes: Buffer.byteLength(job.payload, 'utf8'),
    };
    // A hash of the HMAC is kept, not the HMAC: that would be a valid signature to replay from a copy of the database.
    const bodyHash = d.bodyHmac ? crypto.createHash('sha256').update(d.bodyHmac, 'utf8').digest('hex') : null;
    const keep = this.o.deliveriesKept ?? DELIVERIES_KEPT;
    const res = await this.runner.transaction(() => deliverOp(this.db, { delivery, bodyHash, execution, job, now, keep, quota: this.quota }));
    if (!res.duplicate) {
      this.o.events.emit(jobUpdate(job));
      this.o.wake();
    }
    return res;
  }

  private async lastDeliveries(hookId: string): Promise<HookInfo['last_deliveries']> {
    const q = this.db
      .selectFrom('hook_deliveries as d')
      .leftJoin('pulse_executions as e', 'e.id', 'd.execution_id')
      .select(['d.delivery_id', 'd.execution_id', 'd.received_at', 'e.status'])
      .where('d.hook_id', '=', hookId)
      .orderBy('d.id', 'desc')
      .limit(5)
      .compile();
    return (await this.runner.run(q)).rows.map((r) => ({ delivery_id: r.delivery_id, execution_id: r.execution_id, received_at: Number(r.received_at), status: r.status ?? null }));
  }
}

function toInfo(r: HooksTable, last: HookInfo['last_deliveries'], stored: number, quota: number): HookInfo {
  return {
    id: r.id,
    script_type: r.script_type,
    signed: r.signing_sealed !== null,
    headers: JSON.parse(r.headers) as string[],
    rate_per_minute: r.rate_per_minute,
    created_at: Number(r.created_at),
    last_delivery_at: r.last_delivery_at === null ? null : Number(r.last_delivery_at),
    delivery_count: r.delivery_count,
    stored_bytes: stored,
    quota_bytes: quota,
    last_deliveries: last,
  };
}
