// Builds the Fastify application: error shape, auth, routes. Listening is serve.ts's job.
import fs from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { checkBearer } from './auth.js';
import type { ServerDeps } from './deps.js';
import { errorHandler, notFoundHandler } from './error-handler.js';
import { attestationRoutes } from './routes/attestations.js';
import { axRoutes } from './routes/ax.js';
import { canvasRoutes } from './routes/canvas.js';
import { healthRoutes } from './routes/health.js';
import { pulseRoutes } from './routes/pulse.js';
import { pythonRoutes } from './routes/python.js';

export const BODY_LIMIT = 2 * 1024 * 1024;

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.qntx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/api/') || req.url.startsWith('/ws')) checkBearer(req.headers.authorization, deps.token);
  });

  healthRoutes(app, deps);
  attestationRoutes(app, deps);
  canvasRoutes(app, deps);
  axRoutes(app, deps.qntx.ax);
  pulseRoutes(app, deps.qntx.pulse);
  pythonRoutes(app, {
    ats: deps.qntx.ats,
    runner: deps.qntx.runner,
    handlers: deps.qntx.handlers,
    pulse: deps.qntx.pulse,
    ...(deps.publish ? { publish: deps.publish } : {}),
  });

  if (deps.webDir && fs.existsSync(deps.webDir)) {
    await app.register(fastifyStatic, { root: deps.webDir, prefix: '/', wildcard: false });
  }
  return app;
}
