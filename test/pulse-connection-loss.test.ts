// A worker that loses its PostgreSQL connection stops running its job before the lease runs out,
// so that the worker that takes the job over never runs it at the same time. The connection goes
// through a TCP proxy the test cuts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { createQntx, type Qntx } from '../src/app.js';
import { loadSettings } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import type { HandlerDef } from '../src/pulse/catalog.js';
import { dropSchema, PG_SKIP, PG_URL, tempDir, uniqueSchema } from './helpers.js';
import { tcpProxy, type TcpProxy } from './fixtures/tcp-proxy.js';

interface Event {
  who: string;
  what: 'start' | 'end';
  at: number;
  aborted?: boolean;
}

function blockingHandler(who: string, log: Event[], onEvent: () => void): HandlerDef<unknown> {
  return {
    name: 'test.block',
    payload: z.unknown(),
    timeoutMs: 60_000,
    maxRetries: 0,
    async run(ctx) {
      log.push({ who, what: 'start', at: Date.now() });
      onEvent();
      // A runs until it is told to stop; B finishes at once.
      if (who === 'A') await new Promise<void>((r) => (ctx.signal.aborted ? r() : ctx.signal.addEventListener('abort', () => r(), { once: true })));
      log.push({ who, what: 'end', at: Date.now(), aborted: ctx.signal.aborted });
      onEvent();
      return {};
    },
  };
}

describe('losing the database connection', { skip: PG_SKIP }, () => {
  const schema = uniqueSchema();
  const log: Event[] = [];
  const waiters: Array<() => void> = [];
  const changed = () => {
    for (const w of waiters.splice(0)) w();
  };
  const until = async (pred: () => boolean) => {
    while (!pred()) await new Promise<void>((r) => waiters.push(r));
  };
  let a: Qntx;
  let b: Qntx;
  let p: TcpProxy;

  before(async () => {
    p = await tcpProxy(new URL(PG_URL!));
    const make = (url: string, who: string, concurrency: number) =>
      createQntx(loadSettings({ databaseUrl: url, dataDir: tempDir(), logLevel: 'silent', leaseMs: 1500 }, {}), {
        logger: silentLogger(),
        pgSchema: schema,
        handlers: [blockingHandler(who, log, changed)],
        pulse: { concurrency, ticker: false, workerId: `worker-${who}` },
      });
    a = await make(p.via(PG_URL!), 'A', 1);
    b = await make(PG_URL!, 'B', 1);
  });
  after(async () => {
    p.cut();
    await Promise.allSettled([a.close(), b.close()]);
    p.close();
    await dropSchema(schema);
  });

  it('abandons the job before its lease ends; the job then runs elsewhere, never twice at once', async () => {
    await a.pulse.start();
    const job = await b.pulse.enqueue('test.block', {});
    await until(() => log.some((e) => e.who === 'A' && e.what === 'start'));
    p.cut();
    await b.pulse.start();
    await until(() => log.some((e) => e.who === 'B' && e.what === 'end'));
    const endA = log.find((e) => e.who === 'A' && e.what === 'end');
    const startB = log.find((e) => e.who === 'B' && e.what === 'start')!;
    assert.ok(endA, 'A stopped its attempt');
    assert.equal(endA.aborted, true);
    assert.ok(endA.at <= startB.at, `A ended at ${endA.at}, B started at ${startB.at}`);
    for (;;) {
      const j = await b.pulse.getJob(job.id);
      if (j.status === 'completed') {
        assert.ok(j.retry_count >= 1);
        break;
      }
      await new Promise<void>((r) => b.events.waitFor('job_update').then(() => r()));
    }
  });
});
