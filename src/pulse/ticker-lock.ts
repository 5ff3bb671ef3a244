// Only one ticker acts on a database at a time. PostgreSQL: a session advisory lock held on a
// dedicated connection (released by the server if that connection or its process dies).
// SQLite: nothing to hold, the tick's BEGIN IMMEDIATE transaction serialises tickers.
import pg from 'pg';
import type { Logger } from '../logger.js';

export interface TickerLock {
  /** True while this process may tick; tries to take the lock when it does not hold it. */
  acquire(): Promise<boolean>;
  release(): Promise<void>;
}

export const alwaysHeld: TickerLock = {
  acquire: async () => true,
  release: async () => {},
};

/** Lock key: a fixed class id and the hash of the schema, so test schemas do not contend. */
const LOCK_SQL = `select pg_try_advisory_lock(7411, hashtext(current_schema())) as held`;

export class PgAdvisoryLock implements TickerLock {
  private client: pg.Client | null = null;
  private held = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly logger: Logger,
  ) {}

  async acquire(): Promise<boolean> {
    if (this.held && this.client) return true;
    try {
      if (!this.client) this.client = await this.connect();
      const { rows } = await this.client.query<{ held: boolean }>(LOCK_SQL);
      this.held = rows[0]?.held === true;
      if (this.held) this.logger.info('ticker lock taken');
    } catch (err) {
      this.logger.warn({ err }, 'ticker lock: could not ask PostgreSQL');
      await this.drop();
    }
    return this.held;
  }

  async release(): Promise<void> {
    await this.drop();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on('error', (err) => {
      // The session is gone, and the lock with it: stop ticking until it is taken again.
      this.logger.warn({ err }, 'ticker lock connection lost');
      if (this.client === client) {
        this.client = null;
        this.held = false;
      }
    });
    await client.connect();
    return client;
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.held = false;
    if (c) await c.end().catch(() => {});
  }
}
