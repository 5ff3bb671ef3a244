// A real qntx HTTP server on an ephemeral port, in process, for API tests.
import fs from 'node:fs';
import { loadSettings, type SettingsInput } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { startServer, type RunningServer } from '../src/server/serve.js';
import { dropSchema, PG_URL, tempDir, uniqueSchema, type DbKind } from './helpers.js';

export interface TestServer extends RunningServer {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  stop(): Promise<void>;
}

export async function startTestServer(kind: DbKind = 'sqlite', flags: SettingsInput = {}): Promise<TestServer> {
  const dataDir = tempDir();
  const pgSchema = kind === 'postgres' ? uniqueSchema() : undefined;
  const settings = loadSettings(
    { dataDir, port: 0, logLevel: 'silent', ...(kind === 'postgres' ? { databaseUrl: PG_URL } : {}), ...flags },
    {},
  );
  const server = await startServer(settings, { logger: silentLogger(), ...(pgSchema ? { pgSchema } : {}) });
  return Object.assign(server, {
    async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
      }
      const res = await fetch(server.url + path, init);
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      await server.close();
      if (pgSchema) await dropSchema(pgSchema);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
