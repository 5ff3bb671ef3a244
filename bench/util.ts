// Small helpers for benchmarks: timing, percentiles, machine description.
import http from 'node:http';
import os from 'node:os';

export function machine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Runs fn repeatedly for about `ms` milliseconds; returns operations per second. */
export async function opsPerSecond(fn: (i: number) => unknown, ms = 1500): Promise<number> {
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 100; k++) await fn(n++);
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/**
 * GET over one keep-alive connection with node:http, the body read and dropped; throws on a status
 * other than 200. The benchmarks' HTTP client: it runs in the server's process, so its own cost
 * is charged to every request (fetch's is ~0.4 ms more per request than this on this machine).
 */
export function httpGetter(base: string, headers: Record<string, string>): { get(path: string): Promise<void>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const u = new URL(base);
  return {
    get: (p) =>
      new Promise<void>((resolve, reject) => {
        const req = http.request({ host: u.hostname, port: u.port, path: p, agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`${p}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }),
    close: () => agent.destroy(),
  };
}
