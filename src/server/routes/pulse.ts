// Pulse routes (SPEC §6): schedules, executions and jobs. Lists are paged with a cursor.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { Pulse } from '../../pulse/pulse.js';
import type { CreateScheduleInput, PatchScheduleInput } from '../../pulse/schedules.js';
import { parseInput } from '../validate.js';

const idParams = z.object({ id: z.string().min(1).max(64) });
const paging = {
  limit: z.coerce.number().int().min(1).max(500).optional(),
  cursor: z.string().min(1).max(200).optional(),
};
const scheduleQuery = z.strictObject({
  ...paging,
  state: z.enum(['active', 'paused', 'inactive']).optional(),
  handler_name: z.string().min(1).optional(),
  created_from: z.string().min(1).optional(),
});
const jobQuery = z.strictObject({
  ...paging,
  status: z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']).optional(),
  handler_name: z.string().min(1).optional(),
  schedule_id: z.string().min(1).optional(),
  source: z.string().min(1).optional(),
});
const pageQuery = z.strictObject(paging);
const enqueueBody = z.strictObject({
  handler_name: z.string().min(1).max(200),
  payload: z.unknown().optional(),
  source: z.string().min(1).max(500).optional(),
  max_retries: z.number().int().min(0).max(100).optional(),
  timeout_ms: z.number().int().min(1).optional(),
});

export function pulseRoutes(app: FastifyInstance, pulse: Pulse): void {
  app.post('/api/pulse/schedules', async (req, reply) => {
    const schedule = await pulse.createSchedule((req.body ?? {}) as CreateScheduleInput);
    return reply.status(201).send(schedule);
  });

  app.get('/api/pulse/schedules', async (req) => {
    const { limit, cursor, ...filter } = parseInput(scheduleQuery, req.query, 'query');
    const page = await pulse.listSchedules(filter, { limit, cursor });
    return { schedules: page.items, next_cursor: page.next_cursor };
  });

  app.get('/api/pulse/schedules/:id', async (req) => pulse.getSchedule(parseInput(idParams, req.params, 'path').id));

  app.patch('/api/pulse/schedules/:id', async (req) => {
    const { id } = parseInput(idParams, req.params, 'path');
    return pulse.updateSchedule(id, (req.body ?? {}) as PatchScheduleInput);
  });

  app.delete('/api/pulse/schedules/:id', async (req, reply) => {
    const { id } = parseInput(idParams, req.params, 'path');
    await pulse.deleteSchedule(id);
    return reply.status(200).send({ deleted: true, id });
  });

  app.post('/api/pulse/schedules/:id/trigger', async (req, reply) => {
    const { id } = parseInput(idParams, req.params, 'path');
    return reply.status(201).send(await pulse.triggerSchedule(id));
  });

  app.get('/api/pulse/schedules/:id/executions', async (req) => {
    const { id } = parseInput(idParams, req.params, 'path');
    const { limit, cursor } = parseInput(pageQuery, req.query, 'query');
    await pulse.getSchedule(id);
    const page = await pulse.listExecutions(id, { limit, cursor });
    return { executions: page.items, next_cursor: page.next_cursor };
  });

  app.get('/api/pulse/executions/:id', async (req) => pulse.getExecution(parseInput(idParams, req.params, 'path').id));

  app.get('/api/pulse/jobs', async (req) => {
    const { limit, cursor, ...filter } = parseInput(jobQuery, req.query, 'query');
    const page = await pulse.listJobs(filter, { limit, cursor });
    return { jobs: page.items, next_cursor: page.next_cursor };
  });

  app.post('/api/pulse/jobs', async (req, reply) => {
    const b = parseInput(enqueueBody, req.body ?? {}, 'job');
    const job = await pulse.enqueue(b.handler_name, b.payload ?? {}, {
      ...(b.source ? { source: b.source } : {}),
      ...(b.max_retries === undefined ? {} : { maxRetries: b.max_retries }),
      ...(b.timeout_ms === undefined ? {} : { timeoutMs: b.timeout_ms }),
    });
    return reply.status(201).send(job);
  });

  app.get('/api/pulse/jobs/:id', async (req) => pulse.getJob(parseInput(idParams, req.params, 'path').id));

  app.post('/api/pulse/jobs/:id/cancel', async (req) => pulse.cancelJob(parseInput(idParams, req.params, 'path').id));
}
