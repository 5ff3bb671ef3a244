// A real qntx HTTP server on an ephemeral port, in process, for API tests.
import fs from 'node:fs';
import type { QntxOptions } from '../src/app.js';
import { loadSettings, type SettingsInput } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { dropSchema, PG_URL, tempDir, uniqueSchema, type DbKind } from './helpers.js';
import { rememberToken } from './test-tokens.js';

export interface TestServer extends RunningServer {
  /**
   * A request with the server's token; `headers.authorization` replaces it (an empty string sends none).
   */
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

/**
 * fetch, and for a GET once more when the pooled keep-alive socket was closed by the server just
 * as it was reused (undici's "fetch failed" with a socket error: a test that waited ~72 s, the
 * server's keep-alive timeout, on a WebSocket event meets it). Never retries a write.
 */
async function fetchOnce(url: string, init: RequestInit, method: string): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (err) {
    const code = (err as { cause?: { code?: string } }).cause?.code ?? '';
    if (method !== 'GET' || !/^(ECONNRESET|EPIPE|UND_ERR_SOCKET)$/.test(code)) throw err;
    return fetch(url, init);
  }
}

export async function startTestServer(kind: DbKind = 'sqlite', flags: SettingsInput = {}, opts: QntxOptions = {}): Promise<TestServer> {
  const dataDir = tempDir();
  const pgSchema = kind === 'postgres' ? uniqueSchema() : undefined;
  const settings = loadSettings(
    { dataDir, port: 0, logLevel: 'silent', ...(kind === 'postgres' ? { databaseUrl: PG_URL } : {}), ...flags },
    {},
  );
  const server = await startServer(settings, { logger: silentLogger(), ...(pgSchema ? { pgSchema } : {}), ...opts });
  rememberToken(server.url, server.token);
  return Object.assign(server, {
    async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const all: Record<string, string> = { ...(server.token ? { authorization: `Bearer ${server.token}` } : {}), ...headers };
      if (all.authorization === '') delete all.authorization;
      const init: RequestInit = { method, headers: all };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      } else if (['POST', 'PUT', 'PATCH'].includes(method)) {
        // Every POST is JSON, body-less ones too (the server refuses others: cross-site simple requests).
        all['content-type'] ??= 'application/json';
      }
      const res = await fetchOnce(server.url + path, init, method);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async stop() {
      await server.close();
      if (pgSchema) await dropSchema(pgSchema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
