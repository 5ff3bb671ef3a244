// Python routes: ad hoc execute (the editor's Run button) and handler registration, listing,
// versions and removal (SPEC §4, §6).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AttestationService } from '../../ats/service.js';
import { NotFoundError } from '../../errors.js';
import type { HandlerRegistry } from '../../ix/handler-registry.js';
import { lastRunsByType } from '../../ix/handler-status.js';
import { RunWriter } from '../../ix/run-writer.js';
import type { ServerEvent } from '../../protocol.js';
import type { Pulse } from '../../pulse/pulse.js';
import { QueueFullError } from '../../python/errors.js';
import type { PythonRunner } from '../../python/runner.js';
import { parseInput } from '../validate.js';

export interface PythonRouteDeps {
  ats: AttestationService;
  runner: PythonRunner;
  handlers: HandlerRegistry;
  pulse: Pulse;
  publish?: (e: ServerEvent) => void;
}

const executeBody = z.strictObject({
  code: z.string().max(2 * 1024 * 1024),
  script_type: z.string().min(1).max(64).optional(),
  args: z.array(z.string()).max(1000).optional(),
  flags: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
  state: z.record(z.string(), z.unknown()).optional(),
  timeout_ms: z.number().int().min(1).max(10 * 60_000).optional(),
});

const registerBody = z.strictObject({
  script_type: z.string().max(200),
  code: z.string().max(2 * 1024 * 1024),
  language: z.string().max(40).optional(),
});

const typeParams = z.object({ type: z.string().min(1).max(200) });

export function pythonRoutes(app: FastifyInstance, d: PythonRouteDeps): void {
  app.post('/api/python/execute', async (req, reply) => {
    const b = parseInput(executeBody, req.body ?? {}, 'execute request');
    const source = `execute:${d.ats.ids.next()}`;
    const writer = new RunWriter({
      ats: d.ats,
      source,
      actor: b.script_type ? `ix:${b.script_type}` : 'python',
      onCommitted: (count) => d.publish?.({ type: 'attestations_created', count, source }),
    });
    const abort = new AbortController();
    // A client that disconnects before the answer stops its run.
    reply.raw.on('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new Error('client went away'));
    });
    const res = await d.runner.run({
      lane: 'adhoc',
      code: b.code,
      context: { scriptType: b.script_type ?? null, args: b.args ?? [], flags: b.flags ?? {}, state: b.state ?? {} },
      ...(b.timeout_ms ? { limits: { timeoutMs: b.timeout_ms } } : {}),
      signal: abort.signal,
      onAttestations: (batch) => writer.write(batch),
    }).catch((e: unknown) => {
      if (e instanceof QueueFullError) void reply.header('retry-after', String(e.retryAfterS));
      throw e;
    });
    await writer.write(res.pending);
    return {
      success: res.success,
      stdout: res.stdout,
      stderr: res.stderr,
      stdout_truncated: res.stdoutTruncated,
      stderr_truncated: res.stderrTruncated,
      error: res.error,
      details: res.details,
      attestations_created: writer.committed,
      duration_ms: res.durationMs,
      state: res.state,
    };
  });

  app.post('/api/python/register-handler', async (req, reply) => {
    const b = parseInput(registerBody, req.body ?? {}, 'handler');
    const h = await d.handlers.register(b, 'canvas_glyph');
    return reply.status(201).send(h);
  });

  app.get('/api/handlers', async () => {
    const [list, runs] = await Promise.all([d.handlers.list(), lastRunsByType(d.pulse)]);
    return { handlers: list.map((h) => ({ ...h, last_run: runs.get(h.script_type) ?? null })) };
  });

  app.get('/api/handlers/:type', async (req) => {
    const { type } = parseInput(typeParams, req.params, 'path');
    const versions = await d.handlers.versions(type);
    const current = await d.handlers.current(type);
    if (!versions.length) {
      throw new NotFoundError(`no handler for type '${type}'`, { details: [`script_type=${type}`], hint: `Create a handler for '${type}'` });
    }
    return { script_type: type, current: current ?? null, versions };
  });

  app.delete('/api/handlers/:type', async (req) => {
    const { type } = parseInput(typeParams, req.params, 'path');
    return d.handlers.remove(type, 'canvas_glyph');
  });
}
