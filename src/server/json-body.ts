// The only body the API parses: JSON (Fastify's own parser, prototype poisoning refused), nested
// at most MAX_JSON_DEPTH levels, checked before any code recurses over it; an empty body is none.
import type { FastifyInstance } from 'fastify';
import { MAX_JSON_DEPTH, tooDeepAt } from '../ats/json-depth.js';
import { ValidationError } from '../errors.js';
import { BODY_LIMIT } from './limits.js';

export function registerJsonBody(app: FastifyInstance): void {
  // No text/plain or other parser: such bodies are a 415 (the request guard refuses them first).
  app.removeAllContentTypeParsers();
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT }, (req, body, done) => {
    if (typeof body !== 'string' || body.trim() === '') return done(null, undefined);
    void parseJson(req, body, (err, value) => {
      if (err) return done(err, undefined);
      const at = tooDeepAt(value, MAX_JSON_DEPTH);
      if (at) {
        return done(
          new ValidationError(`the body is nested deeper than ${MAX_JSON_DEPTH} levels`, {
            details: [`${at.split('.').slice(0, 3).join('.')}=nested deeper than ${MAX_JSON_DEPTH} levels`],
            hint: 'flatten the JSON value',
          }),
          undefined,
        );
      }
      done(null, value);
    });
  });
}
