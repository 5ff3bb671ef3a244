// Every endpoint the canvas calls, typed, over one Http client. Answers whose exact envelope the
// server may still change (a list or {items}) are unwrapped defensively here and nowhere else.
import type { AttestationDto, AxCompletionDto, AxResponseDto, ExecutionDto, ScheduleDto, ScheduleState } from '../../../src/protocol.js';
import type { AxRequest } from '../glyphs/ax/ax-model.js';
import type { Http } from './http.js';
import type {
  AttestationPage,
  AttestationQuery,
  CanvasGlyphDto,
  ExecuteRequest,
  ExecuteResult,
  ScheduleStats,
  GlyphPut,
  HandlerInfo,
  HandlerVersion,
  Provenance,
} from './types.js';

const enc = encodeURIComponent;

export function createApi(http: Http) {
  return {
    session: {
      /** A single-use ticket (30 s) that opens /ws: a browser's WebSocket cannot send the Bearer header. */
      wsTicket: () => http.post<{ ticket: string; expires_at: number }>('/api/session/ws-ticket'),
    },
    canvas: {
      list: async () => (await http.get<{ glyphs: CanvasGlyphDto[] }>('/api/canvas')).glyphs,
      get: (id: string) => http.get<CanvasGlyphDto>(`/api/canvas/glyphs/${enc(id)}`),
      put: (id: string, body: GlyphPut, keepalive = false) =>
        http.put<CanvasGlyphDto>(`/api/canvas/glyphs/${enc(id)}`, body, { keepalive }),
      remove: (id: string, keepalive = false) => http.del(`/api/canvas/glyphs/${enc(id)}`, { keepalive }),
    },
    pulse: {
      /** With an `owner` that already owns a schedule, the server updates that one (200) instead of adding one. */
      create: (body: { ats_code: string; interval_seconds?: number; cron?: string; timezone?: string; created_from?: string; timeout_seconds?: number; owner?: string; watch?: boolean }) =>
        http.post<ScheduleDto>('/api/pulse/schedules', body).then(unwrapSchedule),
      patch: (id: string, body: { interval_seconds?: number; cron?: string; timezone?: string | null; state?: ScheduleState; timeout_seconds?: number | null; ats_code?: string; owner?: string }) =>
        http.patch<unknown>(`/api/pulse/schedules/${enc(id)}`, body).then(unwrapSchedule),
      stats: (id: string) => http.get<ScheduleStats>(`/api/pulse/schedules/${enc(id)}/stats`),
      list: () => allPages<ScheduleDto>(http, '/api/pulse/schedules', 'schedules'),
      get: (id: string) => http.get<unknown>(`/api/pulse/schedules/${enc(id)}`).then(unwrapSchedule),
      setState: (id: string, state: ScheduleState) =>
        http.patch<unknown>(`/api/pulse/schedules/${enc(id)}`, { state }).then(unwrapSchedule),
      remove: (id: string) => http.del<unknown>(`/api/pulse/schedules/${enc(id)}`),
      trigger: (id: string) => http.post<unknown>(`/api/pulse/schedules/${enc(id)}/trigger`),
      executions: async (id: string, limit = 20) =>
        unwrapList<ExecutionDto>(await http.get<unknown>(`/api/pulse/schedules/${enc(id)}/executions?limit=${limit}`), 'executions'),
    },
    python: {
      execute: (req: ExecuteRequest) => http.post<ExecuteResult>('/api/python/execute', req),
      registerHandler: (scriptType: string, code: string) =>
        http.post<unknown>('/api/python/register-handler', { script_type: scriptType, code, language: 'python' }).then(
          (r) => ({ version: handlerVersionOf(r) }),
        ),
      handler: async (scriptType: string) => toHandlerInfo(scriptType, await http.get<unknown>(`/api/handlers/${enc(scriptType)}`)),
      /** Registers an earlier version's code again, as a new version. */
      restoreHandler: (scriptType: string, version: number) =>
        http.post<unknown>(`/api/handlers/${enc(scriptType)}/restore`, { version }).then((r) => ({ version: handlerVersionOf(r) })),
    },
    ats: {
      query: (q: AttestationQuery) => http.get<AttestationPage>(`/api/attestations?${attestationQueryString(q)}`),
      count: async (f: ListFilter) => (await http.get<{ count: number }>(`/api/attestations/count?${listFilterString(f)}`)).count,
      get: (id: string) => http.get<AttestationDto>(`/api/attestations/${enc(id)}`),
      provenance: (id: string) => http.get<Provenance>(`/api/attestations/${enc(id)}/provenance`),
      /** Every attestation of the filter as a file, streamed by the server and fetched with the page's Bearer header. */
      exportFile: (format: 'jsonl' | 'csv', f: ListFilter) => http.getBlob(exportPath(format, f)),
    },
    ax: {
      query: (req: AxRequest) => http.post<AxResponseDto>('/api/ax', req),
      complete: (query: string, position: number) => http.post<AxCompletionDto>('/api/ax/complete', { query, position }),
    },
  };
}

export type Api = ReturnType<typeof createApi>;

export function exportPath(format: 'jsonl' | 'csv', f: ListFilter): string {
  const filter = listFilterString(f);
  return `/api/attestations/export?format=${format}${filter ? `&${filter}` : ''}`;
}

export interface ListFilter {
  subjects: readonly string[];
  predicates: readonly string[];
  contexts: readonly string[];
  actors: readonly string[];
  exclude_system?: boolean;
}

export function listFilterString(f: ListFilter): string {
  const p = new URLSearchParams();
  for (const key of ['subjects', 'predicates', 'contexts', 'actors'] as const) {
    if (f[key].length) p.set(key, f[key].join(','));
  }
  if (f.exclude_system) p.set('exclude_system', 'true');
  return p.toString();
}

export function attestationQueryString(q: AttestationQuery): string {
  const p = new URLSearchParams();
  for (const key of ['subjects', 'predicates', 'contexts', 'actors'] as const) {
    if (q[key].length) p.set(key, q[key].join(','));
  }
  p.set('limit', String(q.limit));
  if (q.cursor) p.set('cursor', q.cursor);
  return p.toString();
}

/** Items the canvas reads of a paged list at most (pages of 500): the Pulse panel and the edges need every schedule. */
const MAX_LISTED = 10_000;

/** Every page of a cursor-paged list, up to MAX_LISTED items. */
async function allPages<T>(http: Http, path: string, key: string): Promise<T[]> {
  const out: T[] = [];
  let cursor: unknown = null;
  do {
    const r = await http.get<unknown>(`${path}?limit=500${typeof cursor === 'string' ? `&cursor=${enc(cursor)}` : ''}`);
    out.push(...unwrapList<T>(r, key));
    cursor = r && typeof r === 'object' ? (r as { next_cursor?: unknown }).next_cursor : null;
  } while (typeof cursor === 'string' && cursor && out.length < MAX_LISTED);
  return out;
}

function unwrapList<T>(r: unknown, key: string): T[] {
  if (Array.isArray(r)) return r as T[];
  const inner = r && typeof r === 'object' ? (r as Record<string, unknown>)[key] : undefined;
  return Array.isArray(inner) ? (inner as T[]) : [];
}

function unwrapSchedule(r: unknown): ScheduleDto {
  const o = r as { schedule?: ScheduleDto } & ScheduleDto;
  return o && typeof o === 'object' && o.schedule && typeof o.schedule === 'object' ? o.schedule : o;
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function handlerVersionOf(r: unknown): number | null {
  if (!r || typeof r !== 'object') return null;
  const o = r as Record<string, unknown>;
  const attrs = o.attributes as Record<string, unknown> | undefined;
  const handler = o.handler as Record<string, unknown> | undefined;
  return num(o.version) ?? num(attrs?.version) ?? (handler ? handlerVersionOf(handler) : null);
}

/** Normalises a handler answer to versions newest first, whether it lists versions or attestations. */
export function toHandlerInfo(scriptType: string, r: unknown): HandlerInfo {
  const o = (r && typeof r === 'object' ? r : {}) as Record<string, unknown>;
  const raw = Array.isArray(o.versions) ? o.versions : Array.isArray(r) ? r : [];
  const versions: HandlerVersion[] = raw.map((v: unknown, i: number) => {
    const e = (v ?? {}) as Record<string, unknown>;
    const attrs = (e.attributes ?? {}) as Record<string, unknown>;
    return {
      id: typeof e.id === 'string' ? e.id : String(i),
      version: num(e.version) ?? num(attrs.version) ?? raw.length - i,
      code: typeof e.code === 'string' ? e.code : typeof attrs.code === 'string' ? attrs.code : '',
      created_at: num(e.created_at) ?? num(e.timestamp),
      actor: typeof e.actor === 'string' ? e.actor : null,
    };
  });
  versions.sort((a, b) => b.version - a.version);
  const rm = o.removed && typeof o.removed === 'object' ? (o.removed as Record<string, unknown>) : null;
  const removed = rm && num(rm.version) !== null ? { at: num(rm.at) ?? (typeof rm.at === 'string' ? Date.parse(rm.at) : 0), actor: String(rm.actor ?? ''), version: num(rm.version)! } : null;
  const current = 'current' in o ? (o.current && typeof o.current === 'object' ? num((o.current as Record<string, unknown>).version) : null) : undefined;
  const version = removed ? null : current !== undefined ? current : (num(o.version) ?? versions[0]?.version ?? null);
  return { script_type: scriptType, version, versions, removed };
}
