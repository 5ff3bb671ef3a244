// Secrets (docs/triggers.md): named values sealed at rest, granted to handler types. Values go
// in (set) and out only to a run of a granted type (forType); every listing has names and grants.
import type { Kysely } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { Schema } from '../db/schema.js';
import { createTxRunner, query, type TxRunner } from '../db/tx.js';
import { ConfigError, NotFoundError, ValidationError } from '../errors.js';
import { open, seal } from './cipher.js';
import { loadKey, loadOrCreateKey, type KeySource, type SecretKey } from './key.js';

/** Environment-variable style, so that names read the same in code, CLI and logs. */
export const SECRET_NAME = /^[A-Z_][A-Z0-9_]{0,63}$/;
const TYPE = /^[a-z0-9_-]{1,64}$/;
/** Shorter values cannot be redacted from output without mangling it. */
export const MIN_SECRET_CHARS = 4;
export const MAX_SECRET_BYTES = 64 * 1024;

export interface SecretInfo {
  name: string;
  /** Handler types that may read it. */
  grants: string[];
  created_at: number;
  updated_at: number;
}

export class SecretService {
  private readonly db: Kysely<Schema>;
  private readonly runner: TxRunner;

  constructor(
    database: Database,
    private readonly keys: KeySource,
    private readonly clock: Clock,
  ) {
    this.db = database.db;
    this.runner = createTxRunner(database);
  }

  /** Stores (or replaces) a value; grants stay. */
  async set(name: string, value: string): Promise<SecretInfo> {
    checkName(name);
    if (typeof value !== 'string' || [...value].length < MIN_SECRET_CHARS) {
      throw new ValidationError(`a secret value needs at least ${MIN_SECRET_CHARS} characters`, {
        details: [`value=at least ${MIN_SECRET_CHARS} characters`],
        hint: 'shorter values could not be redacted from output without mangling it',
      });
    }
    if (Buffer.byteLength(value) > MAX_SECRET_BYTES) throw new ValidationError(`a secret value is at most ${MAX_SECRET_BYTES} bytes`, { details: [`value=at most ${MAX_SECRET_BYTES} bytes`] });
    if (value.includes('\0')) throw new ValidationError('a secret value must not contain NUL', { details: ['value=must not contain NUL'] });
    const key = loadOrCreateKey(this.keys);
    const now = this.clock.now();
    const sealed = seal(key.key, name, value);
    await this.runner.run(
      this.db
        .insertInto('secrets')
        .values({ name, sealed, key_id: key.id, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('name').doUpdateSet({ sealed, key_id: key.id, updated_at: now }))
        .compile(),
    );
    return this.info(name);
  }

  async list(): Promise<SecretInfo[]> {
    const rows = (await this.runner.run(this.db.selectFrom('secrets').select(['name', 'created_at', 'updated_at']).orderBy('name').compile())).rows;
    const grants = (await this.runner.run(this.db.selectFrom('secret_grants').select(['name', 'script_type']).orderBy('script_type').compile())).rows;
    return rows.map((r) => ({
      name: r.name,
      grants: grants.filter((g) => g.name === r.name).map((g) => g.script_type),
      created_at: Number(r.created_at),
      updated_at: Number(r.updated_at),
    }));
  }

  async info(name: string): Promise<SecretInfo> {
    checkName(name);
    const found = (await this.list()).find((s) => s.name === name);
    if (!found) throw notFound(name);
    return found;
  }

  /** Deletes the value and its grants. */
  async remove(name: string): Promise<void> {
    checkName(name);
    const gone = await this.runner.transaction(() => removeOp(this.db, name));
    if (!gone) throw notFound(name);
  }

  async grant(name: string, scriptType: string): Promise<SecretInfo> {
    checkName(name);
    checkType(scriptType);
    await this.info(name);
    await this.runner.run(
      this.db.insertInto('secret_grants').values({ name, script_type: scriptType, created_at: this.clock.now() }).onConflict((oc) => oc.doNothing()).compile(),
    );
    return this.info(name);
  }

  async revoke(name: string, scriptType: string): Promise<SecretInfo> {
    checkName(name);
    checkType(scriptType);
    await this.info(name);
    await this.runner.run(this.db.deleteFrom('secret_grants').where('name', '=', name).where('script_type', '=', scriptType).compile());
    return this.info(name);
  }

  /**
   * The values a run of `scriptType` may read, by name. A value that does not open with the
   * present key is a ConfigError naming the secret and the key, not garbage.
   */
  async forType(scriptType: string): Promise<Record<string, string>> {
    const rows = (
      await this.runner.run(
        this.db
          .selectFrom('secrets')
          .innerJoin('secret_grants', 'secret_grants.name', 'secrets.name')
          .select(['secrets.name', 'secrets.sealed', 'secrets.key_id'])
          .where('secret_grants.script_type', '=', scriptType)
          .orderBy('secrets.name')
          .compile(),
      )
    ).rows;
    if (!rows.length) return {};
    const key = loadKey(this.keys);
    const out: Record<string, string> = {};
    for (const r of rows) out[r.name] = openRow(key, this.keys, r);
    return out;
  }
}

function openRow(key: SecretKey | null, src: KeySource, r: { name: string; sealed: string; key_id: string }): string {
  if (!key) {
    throw new ConfigError(`secret ${r.name} cannot be read: there is no secret key`, {
      details: [`secret=${r.name}`, `key_id=${r.key_id}`, `key_file=${src.dataDir}/secret.key`],
      hint: 'restore <data-dir>/secret.key or set QNTX_SECRET_KEY to the key the secrets were stored with, or set the secret again',
    });
  }
  const value = key.id === r.key_id ? open(key.key, r.name, r.sealed) : null;
  if (value === null) {
    throw new ConfigError(`secret ${r.name} cannot be read: it was stored with another key`, {
      details: [`secret=${r.name}`, `key_id=${r.key_id}`, `present_key_id=${key.id}`, `key_source=${key.origin}`],
      hint: 'restore the key the secrets were stored with, or set the secret again',
    });
  }
  return value;
}

function* removeOp(db: Kysely<Schema>, name: string) {
  yield* query(db.deleteFrom('secret_grants').where('name', '=', name).compile());
  const { changes } = yield* query(db.deleteFrom('secrets').where('name', '=', name).compile());
  return changes > 0;
}

function checkName(name: string): void {
  if (typeof name !== 'string' || !SECRET_NAME.test(name)) {
    throw new ValidationError(`invalid secret name '${String(name).slice(0, 80)}'`, {
      details: ['name=must be A-Z, 0-9 and _, not starting with a digit, at most 64 characters'],
      hint: 'e.g. GITHUB_TOKEN',
    });
  }
}

function checkType(t: string): void {
  if (typeof t !== 'string' || !TYPE.test(t)) {
    throw new ValidationError(`invalid handler type '${String(t).slice(0, 80)}'`, { details: ['script_type=lowercase letters, digits, - or _, at most 64'] });
  }
}

function notFound(name: string): NotFoundError {
  return new NotFoundError(`no secret ${name}`, { details: [`secret=${name}`], hint: 'qntx secrets ls lists them' });
}
