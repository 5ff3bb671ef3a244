// Turns every error into the error body {error, details[], hint?}: typed errors keep their status;
// Fastify's own (schema validation, bad JSON, 413, 415, bad URL encoding, an over-long path
// parameter, a request that timed out or could not be parsed) keep theirs; anything else is a
// 500 without internals.
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { QntxError, type ErrorBody } from '../errors.js';
import { BODY_LIMIT, MAX_PARAM_LENGTH } from './limits.js';

const FRAMEWORK_HINTS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'send a valid JSON document',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'send a JSON body, or none',
  FST_ERR_CTP_BODY_TOO_LARGE: `send a smaller body (limit ${BODY_LIMIT / 1024 / 1024} MiB)`,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send Content-Type: application/json',
  FST_ERR_BAD_URL: 'percent-encode the path as UTF-8 (%XX)',
  FST_ERR_MAX_PARAM_LENGTH: `a path parameter is at most ${MAX_PARAM_LENGTH} characters`,
};

interface ValidationIssue {
  instancePath?: string;
  message?: string;
}

/** "field.sub=message" for each issue of a schema validation error. */
function validationDetails(issues: readonly ValidationIssue[]): string[] {
  return issues.slice(0, 20).map((i) => {
    const path = (i.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    return `${path || '(root)'}=${i.message ?? 'invalid'}`;
  });
}

export function errorBodyOf(err: FastifyError | Error): { status: number; body: ErrorBody } | undefined {
  if (err instanceof QntxError) return { status: err.status, body: err.toBody() };
  const fe = err as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (Array.isArray(fe.validation)) {
    const details = validationDetails(fe.validation);
    const where = fe.validationContext === 'querystring' ? 'query' : fe.validationContext === 'params' ? 'path' : (fe.validationContext ?? 'request');
    return { status: 400, body: { error: `invalid ${where}: ${details.join(', ')}`.slice(0, 2000), details } };
  }
  const status = fe.statusCode;
  if (status && status >= 400 && status < 500) {
    const body: ErrorBody = {
      error: status === 413 ? 'request body too large' : fe.message.slice(0, 500),
      details: fe.code ? [`code=${fe.code}`] : [],
    };
    const hint = fe.code ? FRAMEWORK_HINTS[fe.code] : undefined;
    if (hint) body.hint = hint;
    return { status, body };
  }
  return undefined;
}

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  const known = errorBodyOf(err);
  if (known) {
    void reply.status(known.status).send(known.body);
    return;
  }
  req.log.error({ err, url: req.url, method: req.method }, 'request failed');
  void reply.status(500).send({ error: 'internal error', details: [`request_id=${req.id}`], hint: 'see the server log' });
}

/** Fastify's router errors (bad percent-encoding, over-long parameter): answered before any hook. */
export function frameworkErrors(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const known = errorBodyOf(err);
  void reply
    .status(known?.status ?? 400)
    .header('x-content-type-options', 'nosniff')
    .send(known?.body ?? { error: 'bad request', details: [] });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  const path = req.url.split('?')[0]!.slice(0, 200);
  void reply.status(404).send({
    error: `no route for ${req.method} ${path}`,
    details: [`method=${req.method}`, `path=${path}`],
  } satisfies ErrorBody);
}

const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'the request did not arrive in time'],
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'the request headers are too large'],
};

/** Errors of the HTTP parser and the request timeout, on the raw socket (no request object exists). */
export function clientErrorHandler(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, message] = CLIENT_ERRORS[err.code ?? ''] ?? [400, 'Bad Request', 'the request could not be parsed'];
  const body = JSON.stringify({ error: message, details: [`code=${err.code ?? 'unknown'}`] } satisfies ErrorBody);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
