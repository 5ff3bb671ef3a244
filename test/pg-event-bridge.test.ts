// The PostgreSQL event bridge under faults: NOTIFYs go out in batches from a bounded outbox
// (kept while the connection is down, dropped with a counter when full), a failed connect closes
// what it opened, and an event that cannot be read back is logged, not silently lost.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { silentLogger } from '../src/logger.js';
import { PulseEvents } from '../src/pulse/events.js';
import { PgEventBridge, type EventLookup } from '../src/pulse/pg-event-bridge.js';
import type { ServerEvent } from '../src/protocol.js';
import { captureLogger } from './fixtures/capture-logger.js';
import { tcpProxy, type TcpProxy } from './fixtures/tcp-proxy.js';
import { dropSchema, PG_SKIP, PG_URL, uniqueSchema } from './helpers.js';

const T = { timeout: 20_000 };
const noLookup: EventLookup = { resolve: async () => null };

function jobEvent(i: number): ServerEvent {
  return { type: 'job_update', job_id: `JB${i}`, handler_name: 'x', status: 'completed', progress: null, schedule_id: null, error: null };
}

describe('event bridge under faults (postgres)', { skip: PG_SKIP }, () => {
  const schema = uniqueSchema();
  const proxies: TcpProxy[] = [];
  const bridges: PgEventBridge[] = [];
  const newProxy = async () => {
    const p = await tcpProxy(new URL(PG_URL!));
    proxies.push(p);
    return p;
  };
  const config = (url: string): pg.ClientConfig => ({ connectionString: url, options: `-c search_path=${schema}` });

  before(async () => {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.query(`create schema ${schema}`);
    await c.end();
  });
  after(async () => {
    for (const b of bridges) await b.stop();
    for (const p of proxies) p.close();
    await dropSchema(schema);
  });

  function bridge(opts: Partial<ConstructorParameters<typeof PgEventBridge>[0]> & { url: string }): PgEventBridge {
    const b = new PgEventBridge({
      config: config(opts.url),
      local: opts.local ?? new PulseEvents(),
      lookup: opts.lookup ?? noLookup,
      logger: opts.logger ?? silentLogger(),
      minBackoffMs: 20,
      maxBackoffMs: 50,
      ...(opts.maxOutbox === undefined ? {} : { maxOutbox: opts.maxOutbox }),
    });
    bridges.push(b);
    return b;
  }

  it('keeps events in a bounded outbox while cut off, drops the excess with a counter, sends the rest when back', T, async () => {
    const receiver = bridge({ url: PG_URL! });
    await receiver.start();
    const got: string[] = [];
    let ten!: () => void;
    const tenArrived = new Promise<void>((r) => (ten = r));
    receiver.onAny((e) => {
      if (e.type === 'job_update' && e.job_id.startsWith('JB')) got.push(e.job_id);
      if (got.length === 10) ten();
    });
    const log = captureLogger('warn');
    const local = new PulseEvents();
    const proxy = await newProxy();
    proxy.cut();
    const sender = bridge({ url: proxy.via(PG_URL!), local, logger: log.logger, maxOutbox: 10 });
    await sender.start();
    for (let i = 0; i < 25; i++) local.emit(jobEvent(i));
    assert.equal(sender.dropped, 15);
    assert.ok(log.warnings(/outbox is full/).length >= 1);
    proxy.heal();
    await tenArrived;
    assert.deepEqual(got, Array.from({ length: 10 }, (_, i) => `JB${i}`));
  });

  it('closes the connection it opened when the second one fails', T, async () => {
    const log = captureLogger('warn');
    const proxy = await newProxy();
    proxy.acceptOnly(1);
    const b = bridge({ url: proxy.via(PG_URL!), logger: log.logger, maxOutbox: 10 });
    await b.start();
    await log.waitFor((r) => /connection lost/.test(r.msg));
    await b.stop();
    // Every connection through the proxy is closed: none leaked.
    await proxy.idle();
    assert.equal(proxy.open, 0);
  });

  it('logs an event it could not read back from the database', T, async () => {
    const log = captureLogger('warn');
    const receiver = bridge({
      url: PG_URL!,
      logger: log.logger,
      lookup: {
        resolve: async () => {
          throw new Error('lookup exploded');
        },
      },
    });
    await receiver.start();
    const local = new PulseEvents();
    const sender = bridge({ url: PG_URL!, local });
    await sender.start();
    // Too large for a NOTIFY: it travels as a reference the receiver must read back.
    local.emit({ type: 'pulse_execution_completed', execution_id: 'EX1', schedule_id: 'x'.repeat(9000), duration_ms: 1, attestations_created: 0 });
    const r = await log.waitFor((x) => /could not read back/.test(x.msg));
    assert.match(JSON.stringify(r), /lookup exploded/);
    assert.equal(r.id, 'EX1');
  });
});
