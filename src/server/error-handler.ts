// Turns every error into SPEC §5's body {error, details[], hint?}: typed errors keep their status,
// framework errors (bad JSON, 413, 415) keep theirs, anything else is a 500 without internals.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { QntxError, type ErrorBody } from '../errors.js';

const FRAMEWORK_HINTS: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'send a valid JSON document',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'send a JSON body, or no Content-Type header',
  FST_ERR_CTP_BODY_TOO_LARGE: 'send a smaller body (limit 2 MiB)',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send Content-Type: application/json',
};

export function errorHandler(err: FastifyError | Error, req: FastifyRequest, reply: FastifyReply): void {
  if (err instanceof QntxError) {
    void reply.status(err.status).send(err.toBody());
    return;
  }
  const fe = err as FastifyError;
  const status = fe.statusCode;
  if (status && status >= 400 && status < 500) {
    const body: ErrorBody = {
      error: status === 413 ? 'request body too large' : fe.message,
      details: fe.code ? [`code=${fe.code}`] : [],
    };
    const hint = fe.code ? FRAMEWORK_HINTS[fe.code] : undefined;
    if (hint) body.hint = hint;
    void reply.status(status).send(body);
    return;
  }
  req.log.error({ err, url: req.url, method: req.method }, 'request failed');
  void reply.status(500).send({ error: 'internal error', details: [`request_id=${req.id}`], hint: 'see the server log' });
}

export function notFoundHandler(req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({
    error: `no route for ${req.method} ${req.url.split('?')[0]}`,
    details: [`method=${req.method}`, `path=${req.url.split('?')[0]}`],
  } satisfies ErrorBody);
}
