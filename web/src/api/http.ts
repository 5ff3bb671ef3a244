// The HTTP client of the canvas: JSON in and out, and every failure as an ApiError that keeps the
// server's `details` and `hint` (the error shape), so a component can read `script_type` or `line` from it.
import type { ErrorBody } from '../../../src/protocol.js';

export class ApiError extends Error {
  readonly status: number;
  readonly details: string[];
  readonly hint: string | undefined;

  constructor(message: string, status: number, details: string[] = [], hint?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.details = details;
    this.hint = hint;
  }
}

export interface FetchResponseLike {
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
  /** The body as a Blob (real fetch responses; fakes in tests may leave it out). */
  blob?(): Promise<Blob>;
}

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; keepalive?: boolean },
) => Promise<FetchResponseLike>;

export interface Http {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body: unknown, opts?: { keepalive?: boolean }): Promise<T>;
  patch<T>(path: string, body: unknown): Promise<T>;
  del<T = void>(path: string, opts?: { keepalive?: boolean }): Promise<T>;
  /** A GET whose answer is a file (an export), with the same header and errors. */
  getBlob(path: string): Promise<Blob>;
}

/** `token`: the access token, sent as `Authorization: Bearer` on every request. */
export function createHttp(fetchImpl: FetchLike, base = '', token?: string): Http {
  async function respond(method: string, path: string, body?: unknown, keepalive?: boolean, accept = 'application/json'): Promise<FetchResponseLike> {
    const headers: Record<string, string> = { accept };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    let res: FetchResponseLike;
    try {
      res = await fetchImpl(base + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(keepalive ? { keepalive } : {}),
      });
    } catch (err) {
      throw new ApiError(`cannot reach the qntx server (${(err as Error).message})`, 0, ['network=unreachable'], 'is `qntx serve` running?');
    }
    if (!res.ok) {
      const text = await res.text();
      throw toApiError(res, text ? safeJson(text) : undefined, text);
    }
    return res;
  }
  async function send<T>(method: string, path: string, body?: unknown, keepalive?: boolean): Promise<T> {
    const res = await respond(method, path, body, keepalive);
    const text = await res.text();
    return (text ? safeJson(text) : undefined) as T;
  }
  return {
    get: (p) => send('GET', p),
    post: (p, b) => send('POST', p, b ?? {}),
    put: (p, b, o) => send('PUT', p, b, o?.keepalive),
    patch: (p, b) => send('PATCH', p, b),
    del: (p, o) => send('DELETE', p, undefined, o?.keepalive),
    getBlob: async (p) => {
      const res = await respond('GET', p, undefined, undefined, '*/*');
      if (!res.blob) throw new ApiError('this client cannot read files', 0, ['response=blob']);
      return res.blob();
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toApiError(res: FetchResponseLike, json: unknown, text: string): ApiError {
  const b = json as Partial<ErrorBody> | undefined;
  if (b && typeof b.error === 'string') {
    const details = Array.isArray(b.details) ? b.details.filter((d): d is string => typeof d === 'string') : [];
    return new ApiError(b.error, res.status, details, typeof b.hint === 'string' ? b.hint : undefined);
  }
  const message = text.trim().slice(0, 200) || res.statusText || 'request failed';
  return new ApiError(`${res.status} ${message}`, res.status, [`status=${res.status}`]);
}
