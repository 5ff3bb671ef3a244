// A property-based fuzz of the HTTP API driven by its OpenAPI document: every operation gets
// requests generated from its published parameter and body schemas, bent towards hostile values
// (NUL, huge numbers, deep nesting, long strings, odd Unicode, extra keys). The property: no 5xx,
// every error in the {error, details[], hint?} shape, every success in the route's response schema.
// Used by test/fuzz-api.test.ts (npm test) and scripts/fuzz.ts (npm run fuzz).
import fc from 'fast-check';
import type { z } from 'zod';
import type { RouteRecord } from '../../src/server/app.js';
import { isErrorShape, rawRequest, type RawResponse } from '../raw-http.js';

type Json = any;

export interface FuzzTarget {
  port: number;
  token: string;
  doc: Json;
  routes: RouteRecord[];
}

export interface FuzzStats {
  cases: number;
  byStatus: Map<number, number>;
  failures: string[];
}

export interface Operation {
  method: string;
  /** OpenAPI path, e.g. /api/pulse/jobs/{id}. */
  path: string;
  op: Json;
}

export function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(doc.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(item)) out.push({ method: method.toUpperCase(), path, op });
  }
  return out;
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  'x'.repeat(2001),
  'x'.repeat(70_000),
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '\u202e\u0007\u001b[2J',
  '\ud800',
  '😀'.repeat(600),
  'ix_handler',
  '99999999999999999999',
  '+275761-01-01T00:00:00Z',
  '2026-01-29',
  '1e400',
  '-1',
  'null',
  '{"a":1}',
  "'; drop table attestations; --",
  'pulse.noop',
  'python.script',
  'ASNOPE',
];

const HOSTILE_NUMBERS = [0, -1, 1, 1.5, 1e20, 8.64e15, 8.64e15 + 1, Number.MAX_SAFE_INTEGER, 2 ** 63, -0, 1e-300, 600_000, 10 ** 12];

// Values nested thousands deep cannot go through JSON.stringify (nor fast-check's printing): a
// marker string stands for one, and the body text is expanded after serialisation.
const DEEP = /"__DEEP_(\d+)_(o|a)__"/g;
const deepMarker = fc.tuple(fc.integer({ min: 60, max: 5000 }), fc.constantFrom('o', 'a')).map(([d, k]) => `__DEEP_${d}_${k}__`);

function expandDeep(text: string): string {
  return text.replace(DEEP, (_, d: string, k: string) => (k === 'o' ? '{"a":'.repeat(Number(d)) + '1' + '}'.repeat(Number(d)) : '['.repeat(Number(d)) + ']'.repeat(Number(d))));
}

/** A body value as text, deep markers expanded. */
function bodyText(v: Json): string {
  return expandDeep(JSON.stringify(v) ?? 'null');
}

const ID_CHARS = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-');
const NAME_CHARS = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789_-');
const idLike = fc.string({ unit: ID_CHARS, minLength: 1, maxLength: 70 });
const nameLike = fc.string({ unit: NAME_CHARS, minLength: 1, maxLength: 12 });

const stringArb = (schema: Json): fc.Arbitrary<string> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ maxLength: Math.min(schema.maxLength ?? 40, 40) }) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
    { weight: 2, arbitrary: schema.enum ? fc.constantFrom(...(schema.enum as string[])) : nameLike },
  );

const numberArb = (schema: Json): fc.Arbitrary<number> =>
  fc.oneof(
    fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 1e6, 1e9) }),
    fc.constantFrom(...HOSTILE_NUMBERS),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );

const anyJson: fc.Arbitrary<Json> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deepMarker },
  { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
);

/** A value for a JSON schema (of the published document), often valid, often just off. */
export function arbFor(schema: Json, doc: Json, depth = 0): fc.Arbitrary<Json> {
  if (!schema || depth > 6) return anyJson;
  if (schema.$ref) return arbFor(doc.components?.schemas?.[String(schema.$ref).split('/').pop()!], doc, depth + 1);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) return fc.oneof(...branches.map((b: Json) => arbFor(b, doc, depth + 1)), anyJson);
  const valid = validFor(schema, doc, depth);
  return fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: anyJson });
}

function validFor(schema: Json, doc: Json, depth: number): fc.Arbitrary<Json> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  switch (schema.type) {
    case 'string':
      return stringArb(schema);
    case 'integer':
    case 'number':
      return numberArb(schema);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbFor(schema.items, doc, depth + 1), { maxLength: 4 });
    case 'object': {
      const props: Record<string, fc.Arbitrary<Json>> = {};
      for (const [k, v] of Object.entries<Json>(schema.properties ?? {})) props[k] = arbFor(v, doc, depth + 1);
      const required = (schema.required ?? []) as string[];
      const known = Object.keys(props).length
        ? fc.record(props, { requiredKeys: required.filter((k) => k in props) })
        : fc.dictionary(fc.string({ maxLength: 8 }), anyJson, { maxKeys: 3 });
      // Sometimes a key the schema does not know.
      return fc.tuple(known, fc.option(fc.tuple(fc.string({ maxLength: 8 }), anyJson), { freq: 8 })).map(([o, extra]) =>
        extra ? { ...o, [extra[0]]: extra[1] } : o,
      );
    }
    default:
      return anyJson;
  }
}

/** A request for one operation: path parameters, query string and body from its schemas. */
export function requestArb(o: Operation, doc: Json, ids: () => string[]): fc.Arbitrary<{ method: string; path: string; body: string | undefined; label: string }> {
  const params = (o.op.parameters ?? []) as Json[];
  const pathParams = params.filter((p) => p.in === 'path');
  const queryParams = params.filter((p) => p.in === 'query');
  const pathArb = fc.tuple(
    ...pathParams.map(() =>
      fc.oneof(
        fc.nat().map((i) => {
          const known = ids();
          return known[i % known.length]!;
        }),
        idLike,
        fc.string({ maxLength: 20 }),
        fc.constantFrom('%00', '%E0%A4%A', '%2e%2e', 'x'.repeat(101), '%ZZ', '..', '%2F'),
      ),
    ),
  );
  const queryArb = fc.tuple(...queryParams.map((p) => fc.option(fc.oneof(arbFor(p.schema, doc), fc.array(stringArb({}), { maxLength: 3 })), { freq: 2 })));
  const bodySchema = o.op.requestBody?.content?.['application/json']?.schema;
  const bodyArb: fc.Arbitrary<string | undefined> = bodySchema
    ? fc.oneof(
        { weight: 8, arbitrary: arbFor(bodySchema, doc).map(bodyText) },
        { weight: 1, arbitrary: fc.string({ maxLength: 30 }) },
        { weight: 1, arbitrary: fc.constant(undefined) },
      )
    : fc.constant(undefined);
  return fc.tuple(pathArb, queryArb, bodyArb.map((b) => (o.path === '/api/python/execute' ? tameExecute(b) : b))).map(([pv, qv, body]) => {
    let path = o.path;
    pathParams.forEach((p, i) => {
      const v = String(pv[i]);
      path = path.replace(`{${p.name}}`, /%/.test(v) && !/[^\x21-\x7e]/.test(v) ? v : encodeURIComponent(v));
    });
    const q = new URLSearchParams();
    queryParams.forEach((p, i) => {
      const v = qv[i];
      if (v === null || v === undefined) return;
      for (const one of Array.isArray(v) ? v : [v]) q.append(p.name, typeof one === 'string' ? one : JSON.stringify(one));
    });
    const qs = q.toString();
    return { method: o.method, path: qs ? `${path}?${qs}` : path, body, label: `${o.method} ${o.path}` };
  });
}

/** Python runs of the fuzz stay short: a generated timeout_ms is held to 2 s. */
function tameExecute(body: string | undefined): string | undefined {
  if (body === undefined) return body;
  try {
    const v = JSON.parse(body) as Json;
    if (v && typeof v === 'object' && typeof v.timeout_ms === 'number' && v.timeout_ms > 2000) return JSON.stringify({ ...v, timeout_ms: 2000 });
  } catch {
    // not JSON: sent as it is
  }
  return body;
}

/** The `ix` grammar through the API: ats_code for schedules and the textual form of POST /api/as. */
export function grammarArb(): fc.Arbitrary<{ method: string; path: string; body: string; label: string }> {
  const word = fc.oneof(
    nameLike,
    fc.constantFrom('ix', 'is', 'of', 'by', 'at', 'git', '--every', '--once', '--since', 'last_run', '"quoted words"', "'single'", '"unterminated', '\\', '--', '-'),
    fc.constantFrom('https://github.com/a/b', 'git@github.com:a/b.git', './repo', '/tmp', 'file:///etc', 'x.git', '2026-01-29', '99999999999999999999'),
    fc.string({ maxLength: 12 }),
  );
  const words = fc.array(word, { maxLength: 8 }).map((ws) => ws.join(' '));
  return fc.oneof(
    fc.tuple(words, fc.integer({ min: -1, max: 100 })).map(([w, interval]) => ({
      method: 'POST',
      path: '/api/pulse/schedules',
      body: JSON.stringify({ ats_code: `ix ${w}`, interval_seconds: interval }),
      label: 'POST /api/pulse/schedules (ix grammar)',
    })),
    words.map((w) => ({ method: 'POST', path: '/api/as', body: JSON.stringify({ text: `as ${w}` }), label: 'POST /api/as (text form)' })),
  );
}

/** The route a concrete method and path hit, for its response schemas. */
function routeFor(routes: RouteRecord[], method: string, docPath: string): RouteRecord | undefined {
  const url = docPath.replace(/\{(\w+)\}/g, ':$1');
  return routes.find((r) => r.method === method && r.url === url);
}

function checkResponse(target: FuzzTarget, req: { method: string; path: string; label: string }, docPath: string, res: RawResponse): string | null {
  const what = `${req.method} ${req.path.slice(0, 160)} → ${res.status} ${res.text.slice(0, 200)}`;
  if (!(res.status >= 200 && res.status < 500)) return `5xx or no status: ${what}`;
  if (res.status >= 400) return isErrorShape(res.json) ? null : `error not in the shape: ${what}`;
  const route = routeFor(target.routes, req.method, docPath);
  const schema = route?.response[String(res.status)] as z.ZodType | undefined;
  if (!schema) return `status ${res.status} not in the schema of ${req.label}: ${what}`;
  if (res.status === 204) return null;
  const parsed = schema.safeParse(res.json);
  return parsed.success ? null : `answer does not match the schema of ${req.label}: ${parsed.error.issues[0]?.message} at ${parsed.error.issues[0]?.path.join('.')}: ${what}`;
}

/** Runs `runs` cases against a live server; collects statuses and failures (the property throws on the first). */
export async function fuzzApi(target: FuzzTarget, runs: number, seed?: number): Promise<FuzzStats> {
  const stats: FuzzStats = { cases: 0, byStatus: new Map(), failures: [] };
  const ids = () => ['ASNOPE', 'JB0', 'SC0', 'g1', 'webhook', ...seenIds];
  const seenIds: string[] = [];
  const ops = operations(target.doc).filter((o) => o.path !== '/api/openapi.json');
  const arb = fc.oneof(
    { weight: 6, arbitrary: fc.oneof(...ops.map((o) => requestArb(o, target.doc, ids).map((r) => ({ ...r, docPath: o.path })))) },
    { weight: 1, arbitrary: grammarArb().map((r) => ({ ...r, docPath: r.path })) },
  );
  await fc.assert(
    fc.asyncProperty(arb, async (req) => {
      const res = await rawRequest(target.port, {
        method: req.method,
        path: req.path,
        headers: { authorization: `Bearer ${target.token}`, ...(['POST', 'PUT', 'PATCH'].includes(req.method) ? { 'content-type': 'application/json' } : {}) },
        ...(req.body === undefined ? {} : { body: req.body }),
      });
      stats.cases++;
      stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
      const id = res.json && typeof res.json === 'object' && typeof res.json.id === 'string' ? res.json.id : undefined;
      if (id && seenIds.length < 50) seenIds.push(id);
      const failure = checkResponse(target, req, req.docPath, res);
      if (failure) {
        stats.failures.push(failure);
        throw new Error(failure);
      }
    }),
    { numRuns: runs, ...(seed === undefined ? {} : { seed }), endOnFailure: true },
  );
  return stats;
}
