// Pulse routes: schedules, executions and jobs. Lists are paged with a cursor and stop
// at the response budget.
import { watchFields } from '../../pulse/watch-input.js';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Pulse } from '../../pulse/pulse.js';
import type { ServerLimits } from '../deps.js';
import { cursor, emptyBody, errorResponses, idParams, jsonValue, text } from '../schemas/common.js';
import { executionDto, jobDto, scheduleDto, scheduleStatsDto } from '../schemas/responses.js';

const MAX_INTERVAL_SECONDS = 366 * 24 * 3600;
/** A job's payload, serialised: jobs are listed 500 a page. */
const MAX_PAYLOAD_BYTES = 64 * 1024;

const paging = {
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: cursor.optional(),
};
const scheduleQuery = z.strictObject({
  ...paging,
  state: z.enum(['active', 'paused', 'inactive']).optional(),
  handler_name: text(200, 1).optional(),
  created_from: text(200, 1).optional(),
  owner: text(200, 1).optional(),
});
const jobQuery = z.strictObject({
  ...paging,
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
  handler_name: text(200, 1).optional(),
  schedule_id: text(64, 1).optional(),
  source: text(500, 1).optional(),
});
const pageQuery = z.strictObject(paging);
const interval = z.number().int().min(0).max(MAX_INTERVAL_SECONDS).describe('0 = run once');
const maxFailures = z.number().int().min(0).max(1000).describe('failures in a row after which the schedule pauses (0 = never; default 5)');
const timeoutSeconds = z.number().int().min(1).max(24 * 3600).nullable().describe("the handler's timeout for these runs, s (null: the handler's default)");
const cron = text(200, 1).describe('five-field cron expression, e.g. "0 9 * * 1-5" (instead of interval_seconds)');
const timezone = text(100, 1).nullable().describe('IANA zone of cron (default UTC)');
const owner = text(200, 1).describe('who keeps the schedule, e.g. "glyph:<id>": one schedule per owner');
const createBody = z.strictObject({
  ats_code: text(10_000, 1).describe('e.g. "ix webhook --since last_run"'),
  interval_seconds: interval.optional(),
  cron: cron.nullish(),
  timezone: timezone.optional(),
  created_from: text(200, 1).nullish(),
  max_failures: maxFailures.optional(),
  timeout_seconds: timeoutSeconds.optional(),
  owner: owner.nullish(),
  ...watchFields,
});
const patchBody = z.strictObject({
  ats_code: text(10_000, 1).optional().describe('route the schedule to another ix command'),
  owner: owner.nullable().optional(),
  interval_seconds: interval.optional(),
  cron: cron.optional(),
  timezone: timezone.optional(),
  state: z.enum(['active', 'paused']).optional(),
  max_failures: maxFailures.optional(),
  timeout_seconds: timeoutSeconds.optional(),
});
const payload = jsonValue.superRefine((v, ctx) => {
  if (v !== undefined && JSON.stringify(v).length > MAX_PAYLOAD_BYTES) ctx.addIssue({ code: 'custom', message: `must serialise to at most ${MAX_PAYLOAD_BYTES} bytes` });
});
const enqueueBody = z.strictObject({
  handler_name: text(200, 1),
  payload: payload.optional(),
  source: text(500, 1).optional(),
  max_retries: z.number().int().min(0).max(100).optional(),
  timeout_ms: z.number().int().min(1).max(7 * 24 * 3600_000).optional(),
});

const page = <T extends z.ZodType>(key: string, item: T) => z.object({ [key]: z.array(item), next_cursor: z.string().nullable() });

/**
 * Keeps the items that fit `budget` bytes (at least one); Pulse pages continue after the last id,
 * so a cut page's cursor is the last kept item's id.
 */
function withinBudget<T extends { id: string }>(p: { items: T[]; next_cursor: string | null }, budget: number) {
  let total = 0;
  let n = 0;
  for (const item of p.items) {
    total += JSON.stringify(item).length;
    if (n > 0 && total > budget) break;
    n++;
  }
  return n === p.items.length ? p : { items: p.items.slice(0, n), next_cursor: p.items[n - 1]!.id };
}

export function pulseRoutes(root: FastifyInstance, pulse: Pulse, limits: ServerLimits): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const budget = limits.responseBudgetBytes;
  const withId = { params: idParams };

  app.post(
    '/api/pulse/schedules',
    {
      schema: {
        summary: 'Create a schedule from an ats_code (with an owner that keeps one already: update it, 200)',
        body: createBody,
        response: { 200: scheduleDto, 201: scheduleDto, ...errorResponses },
      },
    },
    async (req, reply) => {
      const { schedule, created } = await pulse.upsertSchedule(req.body);
      return reply.status(created ? 201 : 200).send(schedule);
    },
  );

  app.get(
    '/api/pulse/schedules',
    { schema: { summary: 'List schedules', querystring: scheduleQuery, response: { 200: page('schedules', scheduleDto), ...errorResponses } } },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      const p = withinBudget(await pulse.listSchedules(filter, { limit, cursor }), budget);
      return { schedules: p.items, next_cursor: p.next_cursor };
    },
  );

  app.get('/api/pulse/schedules/:id', { schema: { summary: 'One schedule', ...withId, response: { 200: scheduleDto, ...errorResponses } } }, async (req) =>
    pulse.getSchedule(req.params.id),
  );

  app.patch(
    '/api/pulse/schedules/:id',
    { schema: { summary: 'Pause, resume or change the interval', ...withId, body: patchBody, response: { 200: scheduleDto, ...errorResponses } } },
    async (req) => pulse.updateSchedule(req.params.id, req.body),
  );

  app.delete(
    '/api/pulse/schedules/:id',
    { schema: { summary: 'Delete a schedule', ...withId, response: { 200: z.object({ deleted: z.literal(true), id: z.string() }), ...errorResponses } } },
    async (req) => {
      await pulse.deleteSchedule(req.params.id);
      return { deleted: true as const, id: req.params.id };
    },
  );

  app.post(
    '/api/pulse/schedules/:id/trigger',
    { schema: { summary: 'Run a schedule now', ...withId, body: emptyBody, response: { 201: executionDto, ...errorResponses } } },
    async (req, reply) => reply.status(201).send(await pulse.triggerSchedule(req.params.id)),
  );

  app.get(
    '/api/pulse/schedules/:id/stats',
    { schema: { summary: "A schedule's lifetime counts and its last 50 runs", ...withId, response: { 200: scheduleStatsDto, ...errorResponses } } },
    async (req) => pulse.scheduleStats(req.params.id),
  );

  app.get(
    '/api/pulse/schedules/:id/executions',
    { schema: { summary: "A schedule's executions", ...withId, querystring: pageQuery, response: { 200: page('executions', executionDto), ...errorResponses } } },
    async (req) => {
      const p = withinBudget(await pulse.listExecutions(req.params.id, req.query), budget);
      return { executions: p.items, next_cursor: p.next_cursor };
    },
  );

  app.get('/api/pulse/executions/:id', { schema: { summary: 'One execution', ...withId, response: { 200: executionDto, ...errorResponses } } }, async (req) =>
    pulse.getExecution(req.params.id),
  );

  app.get(
    '/api/pulse/jobs',
    { schema: { summary: 'List jobs', querystring: jobQuery, response: { 200: page('jobs', jobDto), ...errorResponses } } },
    async (req) => {
      const { limit, cursor, ...filter } = req.query;
      const p = withinBudget(await pulse.listJobs(filter, { limit, cursor }), budget);
      return { jobs: p.items, next_cursor: p.next_cursor };
    },
  );

  app.post(
    '/api/pulse/jobs',
    { schema: { summary: 'Queue a job', body: enqueueBody, response: { 201: jobDto, ...errorResponses } } },
    async (req, reply) => {
      const b = req.body;
      const job = await pulse.enqueue(b.handler_name, b.payload ?? {}, {
        ...(b.source ? { source: b.source } : {}),
        ...(b.max_retries === undefined ? {} : { maxRetries: b.max_retries }),
        ...(b.timeout_ms === undefined ? {} : { timeoutMs: b.timeout_ms }),
      });
      return reply.status(201).send(job);
    },
  );

  app.get('/api/pulse/jobs/:id', { schema: { summary: 'One job', ...withId, response: { 200: jobDto, ...errorResponses } } }, async (req) =>
    pulse.getJob(req.params.id),
  );

  app.post(
    '/api/pulse/jobs/:id/cancel',
    { schema: { summary: 'Cancel a job', ...withId, body: emptyBody, response: { 200: jobDto, ...errorResponses } } },
    async (req) => pulse.cancelJob(req.params.id),
  );
}
