// Python routes: ad hoc execute (the editor's Run button) and handler registration, listing,
// versions and removal.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AttestationService } from '../../ats/service.js';
import { NotFoundError } from '../../errors.js';
import type { HandlerRegistry } from '../../ix/handler-registry.js';
import { lastRunsByType } from '../../ix/handler-status.js';
import { DryRunCollector } from '../../ix/dry-run.js';
import { RunWriter } from '../../ix/run-writer.js';
import type { ServerEvent } from '../../protocol.js';
import type { Pulse } from '../../pulse/pulse.js';
import { QueueFullError } from '../../python/errors.js';
import type { PythonRunner } from '../../python/runner.js';
import { errorResponses, jsonObject, text } from '../schemas/common.js';
import { executeResult, handlerDetail, handlerList, handlerRemoved, handlerVersionDto } from '../schemas/responses.js';

export interface PythonRouteDeps {
  ats: AttestationService;
  runner: PythonRunner;
  handlers: HandlerRegistry;
  pulse: Pulse;
  publish?: (e: ServerEvent) => void;
  /** A dry run's answer keeps its attestations within half of it. */
  responseBudgetBytes: number;
}

/** A dry run answers with the first this many attestations it would create (and their count). */
const DRY_RUN_KEEP = 200;

const MAX_CODE = 2 * 1024 * 1024;

const executeBody = z.strictObject({
  code: text(MAX_CODE),
  script_type: text(64, 1).regex(/^[a-z0-9_-]+$/, 'lowercase letters, digits, - or _').optional(),
  args: z.array(text(10_000)).max(1000).optional(),
  flags: z
    .record(text(200, 1), z.union([text(10_000), z.boolean()]))
    .refine((f) => Object.keys(f).length <= 256, 'at most 256 flags')
    .optional(),
  state: jsonObject.refine((s) => JSON.stringify(s).length <= 1024 * 1024, 'must serialise to at most 1 MiB').optional(),
  timeout_ms: z.number().int().min(1).max(10 * 60_000).optional(),
  dry_run: z.boolean().optional().describe('run the code but store nothing: what it would attest comes back in would_create'),
});

const registerBody = z.strictObject({
  script_type: text(200),
  code: text(MAX_CODE),
  language: text(40).optional(),
});

const typeParams = z.strictObject({ type: text(200, 1) });
const restoreBody = z.strictObject({ version: z.number().int().min(1).max(1_000_000_000) });

export function pythonRoutes(root: FastifyInstance, d: PythonRouteDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.post('/api/python/execute', { schema: { summary: 'Run Python once (the editor\'s Run)', body: executeBody, response: { 200: executeResult, ...errorResponses } } }, async (req, reply) => {
    const b = req.body;
    // The run may outlast the idle-connection timeout; the client leaving still stops it (below).
    req.raw.setTimeout(0);
    const source = `execute:${d.ats.ids.next()}`;
    const dry = b.dry_run ? new DryRunCollector(DRY_RUN_KEEP, d.responseBudgetBytes / 2) : null;
    const writer = new RunWriter({
      ats: d.ats,
      source,
      actor: b.script_type ? `ix:${b.script_type}` : 'python',
      ...(dry ? { commit: dry.commit } : { onCommitted: (count: number) => d.publish?.({ type: 'attestations_created', count, source }) }),
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
      attestations_created: writer.created,
      already_known: writer.alreadyKnown,
      duration_ms: res.durationMs,
      state: res.state,
      dry_run: dry !== null,
      would_create: dry ? { count: dry.count, attestations: dry.kept } : null,
      state_before: b.state ?? {},
    };
  });

  app.post('/api/python/register-handler', { schema: { summary: 'Save a handler version', body: registerBody, response: { 201: handlerVersionDto, ...errorResponses } } }, async (req, reply) => {
    const b = req.body;
    const h = await d.handlers.register(b, 'canvas_glyph');
    return reply.status(201).send(h);
  });

  app.get('/api/handlers', { schema: { summary: 'Current handlers', response: { 200: handlerList, ...errorResponses } } }, async () => {
    const [list, runs] = await Promise.all([d.handlers.list(), lastRunsByType(d.pulse)]);
    return { handlers: list.map((h) => ({ ...h, last_run: runs.get(h.script_type) ?? null })) };
  });

  app.get('/api/handlers/:type', { schema: { summary: "A type's handler, every version", params: typeParams, response: { 200: handlerDetail, ...errorResponses } } }, async (req) => {
    const { type } = req.params;
    const versions = await d.handlers.versions(type);
    const current = await d.handlers.current(type);
    if (!versions.length) {
      throw new NotFoundError(`no handler for type '${type}'`, { details: [`script_type=${type}`], hint: `Create a handler for '${type}'` });
    }
    return { script_type: type, current: current ?? null, versions, removed: current ? null : await d.handlers.removal(type) };
  });

  app.post(
    '/api/handlers/:type/restore',
    { schema: { summary: 'Register an earlier version again, as a new version', params: typeParams, body: restoreBody, response: { 201: handlerVersionDto, ...errorResponses } } },
    async (req, reply) => reply.status(201).send(await d.handlers.restore(req.params.type, req.body.version, 'canvas_glyph')),
  );

  app.delete('/api/handlers/:type', { schema: { summary: 'Remove (retract) a handler', params: typeParams, response: { 200: handlerRemoved, ...errorResponses } } }, async (req) => {
    const { type } = req.params;
    return d.handlers.remove(type, 'canvas_glyph');
  });
}
