// Real qntx processes spawned from the bin (servers and workers), killed when the test ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { BIN } from './cli-helpers.js';

export interface QntxProcess {
  child: ChildProcess;
  url: string | null;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const all = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of all) c.kill('SIGKILL');
});

/** Starts `qntx <args>` and resolves once it printed `ready` (a URL for serve, a line for worker). */
export function startProcess(args: string[], env: Record<string, string> = {}, ready = /http:\/\/127\.0\.0\.1:\d+|worker \S+ running/): Promise<QntxProcess> {
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
        const url = m[0].startsWith('http') ? m[0] : null;
        resolve({
          child,
          url,
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
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  const json = await res.json();
  if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
