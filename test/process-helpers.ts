// Real qntx processes spawned from the bin (servers and workers), killed when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli-helpers.js';
import { authHeader, rememberToken } from './test-tokens.js';

export interface QntxProcess {
  child: ChildProcess;
  /** The server's base URL (the printed one without its `/?token=…`). */
  url: string | null;
  token: string | null;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const all = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of all) c.kill('SIGKILL');
});

/** Starts `qntx <args>` and resolves once it printed `ready` (a URL for serve, a line for worker). */
export function startProcess(args: string[], env: Record<string, string> = {}, ready = /http:\/\/127\.0\.0\.1:\d+\/(\?token=[\w-]+)?\s|worker \S+ running/): Promise<QntxProcess> {
  const child = spawn(process.execPath, [BIN, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, QNTX_LOG_LEVEL: 'warn', ...env },
  });
  all.add(child);
  child.on('exit', () => all.delete(child));
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) {
        const printed = m[0].startsWith('http') ? new URL(m[0].trim()) : null;
        const url = printed ? printed.origin : null;
        const token = printed?.searchParams.get('token') ?? null;
        if (url) rememberToken(url, token ?? undefined);
        resolve({
          child,
          url,
          token,
          kill: (signal = 'SIGKILL') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill(signal);
            }),
        });
      }
    });
    child.on('exit', (code) => reject(new Error(`qntx ${args[0]} exited with ${code}: ${err}`)));
  });
}

export async function api(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(url + path, {
    method,
    headers: { ...authHeader(url), ...(body === undefined && !['POST', 'PUT', 'PATCH'].includes(method) ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = await res.json();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
