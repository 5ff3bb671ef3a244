// Canvas routes: GET /api/canvas (every glyph), GET|PUT|DELETE /api/canvas/glyphs/:id.
// PUT carries the version the client based its change on (0 = create); a stale one is a 409.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createCanvasStore } from '../../canvas/store.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { ServerDeps } from '../deps.js';
import { errorResponses, jsonObject } from '../schemas/common.js';
import { glyphDto } from '../schemas/responses.js';

/** A glyph's JSON contents may hold a handler's code: generous, but bounded. */
export const MAX_GLYPH_DATA_BYTES = 256 * 1024;

const coord = z.number().finite().min(-1e7).max(1e7);
const size = z.number().finite().min(20).max(20_000);

const paramsSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _, 1 to 64 characters'),
});

const putSchema = z.strictObject({
  kind: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, 'lowercase letters, digits, - and _, at most 32 characters'),
  x: coord,
  y: coord,
  width: size,
  height: size,
  data: jsonObject.default({}),
  version: z.number().int().min(0).optional(),
});

export function canvasRoutes(root: FastifyInstance, deps: ServerDeps): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const store = createCanvasStore(deps.qntx.database, () => deps.qntx.clock.now());

  app.get(
    '/api/canvas',
    { schema: { summary: 'Every glyph', response: { 200: z.object({ glyphs: z.array(glyphDto) }), ...errorResponses } } },
    async () => ({ glyphs: await store.list() }),
  );

  app.get(
    '/api/canvas/glyphs/:id',
    { schema: { summary: 'One glyph', params: paramsSchema, response: { 200: glyphDto, ...errorResponses } } },
    async (req) => {
      const { id } = req.params;
      const glyph = await store.get(id);
      if (!glyph) throw new NotFoundError(`glyph ${id} not found`, { details: [`id=${id}`] });
      return glyph;
    },
  );

  app.put(
    '/api/canvas/glyphs/:id',
    { schema: { summary: 'Create or update a glyph', params: paramsSchema, body: putSchema, response: { 200: glyphDto, 201: glyphDto, ...errorResponses } } },
    async (req, reply) => {
      const { id } = req.params;
      const { version, ...write } = req.body;
      const bytes = Buffer.byteLength(JSON.stringify(write.data));
      if (bytes > MAX_GLYPH_DATA_BYTES) {
        throw new ValidationError(`glyph data is ${bytes} bytes, over the limit of ${MAX_GLYPH_DATA_BYTES}`, {
          details: [`data=${bytes} bytes`, `limit=${MAX_GLYPH_DATA_BYTES}`],
          hint: 'keep large contents (such as long scripts) shorter',
        });
      }
      const { glyph, created } = await store.put(id, write, version);
      return reply.status(created ? 201 : 200).send(glyph);
    },
  );

  app.delete(
    '/api/canvas/glyphs/:id',
    { schema: { summary: 'Delete a glyph', params: paramsSchema, response: { 204: z.null(), ...errorResponses } } },
    async (req, reply) => {
      const { id } = req.params;
      if (!(await store.remove(id))) throw new NotFoundError(`glyph ${id} not found`, { details: [`id=${id}`] });
      return reply.status(204).send(null);
    },
  );
}
