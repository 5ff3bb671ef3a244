// Builds the Fastify application: error shape, request guard (Host, Origin, body type), security
// headers, the token check after routing, schemas and the OpenAPI document, routes. Listening is
// serve.ts's job.
import fs from 'node:fs';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyCompress from '@fastify/compress';
import fastifyHelmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { isAuthorized, unauthorized, type TokenCheck } from './auth.js';
import type { ServerDeps } from './deps.js';
import { clientErrorHandler, errorHandler, frameworkErrors, notFoundHandler } from './error-handler.js';
import { registerJsonBody } from './json-body.js';
import { BODY_LIMIT, MAX_PARAM_LENGTH } from './limits.js';
import { registerOpenApi } from './openapi.js';
import { RequestGuard } from './request-guard.js';
import { attestationRoutes } from './routes/attestations.js';
import { axRoutes } from './routes/ax.js';
import { canvasRoutes } from './routes/canvas.js';
import { cronRoutes } from './routes/cron.js';
import { healthRoutes } from './routes/health.js';
import { hookRoutes } from './routes/hooks.js';
import { pulseRoutes } from './routes/pulse.js';
import { pythonRoutes } from './routes/python.js';
import { secretRoutes } from './routes/secrets.js';
import { retireLegacyCookies, sessionRoutes } from './routes/session.js';
import { WsTickets } from './ws-tickets.js';

/** A route as registered: what the OpenAPI document must list and answers must match. */
export interface RouteRecord {
  method: string;
  url: string;
  auth: 'required' | 'optional' | 'public';
  /** The zod response schemas by status ('200', '4xx', …). */
  response: Record<string, unknown>;
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of this server (tests compare it with the OpenAPI document). */
    qntxRoutes: RouteRecord[];
  }
  interface FastifyContextConfig {
    /** Default: the token is required. 'optional': served either way (req.authorized tells); 'public': never checked. */
    auth?: 'optional' | 'public';
  }
  interface FastifyRequest {
    /** Whether the request carried the access token (or none is configured). */
    authorized: boolean;
  }
}

/** Below this many bytes an answer is sent as is: compressing it saves less than its headers cost. */
export const COMPRESS_THRESHOLD = 1024;

/** A file of the build named with its content hash (vite's `assets/<name>-<hash>.<ext>`): it never changes. */
const HASHED_ASSET = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

/**
 * The page and its assets. They hold no data: public (this scope marks each of its routes so).
 * Compressed files are the build's own `.br` and `.gz` beside each file worth compressing
 * (web/vite.config.ts writes them), picked by Accept-Encoding; a file without them is sent as is.
 * Hashed assets are cached for a year; everything else (index.html, at `/`) is revalidated on
 * every load, so a new build is picked up at once.
 */
async function registerPage(app: FastifyInstance, webDir: string): Promise<void> {
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      route.config = { ...(route.config ?? {}), auth: 'public' };
    });
    scope.addHook('onSend', async (req, reply, payload) => {
      const path = req.url.split('?')[0]!;
      void reply.header('cache-control', HASHED_ASSET.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      void reply.header('vary', 'Accept-Encoding');
      return payload;
    });
    await scope.register(fastifyStatic, {
      root: webDir,
      prefix: '/',
      wildcard: false,
      preCompressed: true,
      cacheControl: false,
      // The compressed copies are reached through the file they belong to, not by their own URL.
      globIgnore: ['**/*.br', '**/*.gz'],
    });
  });
}

export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.qntx.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    return503OnClosing: true,
    // A request must arrive whole within requestTimeout (no body trickled a byte at a time);
    // an idle connection closes after connectionTimeout.
    requestTimeout: deps.limits.requestTimeoutMs,
    connectionTimeout: deps.limits.connectionTimeoutMs,
    http: {
      // A missing Host is refused by the guard, in the error shape.
      requireHostHeader: false,
      headersTimeout: Math.min(deps.limits.requestTimeoutMs, 60_000),
      connectionsCheckingInterval: Math.min(5000, Math.max(100, Math.floor(deps.limits.requestTimeoutMs / 4))),
    },
    frameworkErrors,
    clientErrorHandler,
  });
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API (and tests hold answers to them); answers are written as is.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(errorHandler);
  registerJsonBody(app);
  const routes: RouteRecord[] = [];
  app.decorate('qntxRoutes', routes);
  app.addHook('onRoute', (r) => {
    const schema = (r.schema ?? {}) as { response?: Record<string, unknown>; hide?: boolean };
    for (const method of [r.method].flat()) {
      // auth is read later: hooks of inner scopes (the page's) set it after this one ran.
      routes.push({ method, url: r.url, get auth() { return r.config?.auth ?? 'required'; }, response: schema.response ?? {}, hidden: schema.hide === true });
    }
  });

  // Headers first, so that every answer (errors of the checks below included) carries them.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'none'"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        imgSrc: ["'self'", 'data:'],
        objectSrc: ["'none'"],
        scriptSrc: ["'self'"],
        // CodeMirror and React Flow set styles at run time.
        styleSrc: ["'self'", "'unsafe-inline'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
    // Served over plain HTTP on loopback: HSTS is the TLS proxy's to send, if any.
    strictTransportSecurity: false,
  });

  // The listening port, read once it is known (address() is a system call; the port never changes).
  let knownPort = 0;
  const port = () => {
    if (knownPort) return knownPort;
    const addr = app.server.address();
    knownPort = typeof addr === 'object' && addr ? addr.port : 0;
    return knownPort;
  };
  const guard = new RequestGuard({ bindHost: deps.bindHost, allowedHosts: deps.allowedHosts, port });
  const tokenCheck: TokenCheck = { token: deps.token };
  app.decorateRequest('authorized', false);
  retireLegacyCookies(app);
  app.addHook('onRequest', async (req) => {
    // A webhook delivery (routes/hooks.ts) carries its credential in its URL: Host check only.
    if (req.routeOptions.config.hook) guard.checkHost(req.headers.host);
    else guard.check(req.method, req.headers);
    // After routing: the route's own config decides, whatever spelling of the path reached it.
    const mode = req.routeOptions.config.auth;
    req.authorized = isAuthorized(req.headers, tokenCheck);
    // An unknown route is a 404 for everyone: it holds nothing to protect.
    if (!req.authorized && mode !== 'optional' && mode !== 'public' && !req.is404) throw unauthorized();
  });
  app.setNotFoundHandler(notFoundHandler);

  if (deps.webDir && fs.existsSync(deps.webDir)) await registerPage(app, deps.webDir);

  // API answers of 1 KiB or more are compressed (br, else gzip) when the client accepts it; the
  // page's files are not (registered above, before this: they come compressed from the build).
  // Request bodies are never inflated: BODY_LIMIT bounds the bytes a client sends, not what a
  // small compressed body would expand to.
  await app.register(fastifyCompress, { encodings: ['br', 'gzip'], threshold: COMPRESS_THRESHOLD, globalDecompression: false });

  await registerOpenApi(app, deps.version);
  healthRoutes(app, deps);
  sessionRoutes(app, deps.wsTickets ?? new WsTickets({ now: () => deps.qntx.clock.now() }));
  attestationRoutes(app, deps);
  canvasRoutes(app, deps);
  axRoutes(app, deps.qntx.ax);
  pulseRoutes(app, deps.qntx.pulse, deps.limits);
  cronRoutes(app, deps.qntx.clock);
  secretRoutes(app, deps.qntx.secrets);
  await hookRoutes(app, deps.qntx.hooks, deps.qntx.clock);
  pythonRoutes(app, {
    ats: deps.qntx.ats,
    runner: deps.qntx.runner,
    handlers: deps.qntx.handlers,
    pulse: deps.qntx.pulse,
    responseBudgetBytes: deps.limits.responseBudgetBytes,
    ...(deps.publish ? { publish: deps.publish } : {}),
  });

  return app;
}
