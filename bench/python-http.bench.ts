// A trivial run (`pass`) the way the editor's Run makes it: POST /api/python/execute against a
// real `qntx serve` (its own process, keep-alive, Bearer token), and the runner as the server
// builds it (serverPythonRunner: sandbox uid, private directory, janitor, mount namespace), and
// that runner with each run's process forked when the run comes (none prepared ahead), all
// beside a cold `<sys.executable> -c pass` spawned in the same run. The four series are interleaved in
// rounds so that the load of other work on the machine weighs on each alike.
// `npm run bench:python-http` (builds first). Results: docs/benchmarks.md, "Python runner".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../src/config.js';
import { silentLogger } from '../src/logger.js';
import { resolvePython } from '../src/python/find-python.js';
import { serverPythonRunner } from '../src/python/for-server.js';
import { machine, percentile } from './util.js';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const PER_ROUND = 10;
const APART_MS = 25;
const COLD_PER_ROUND = 3;
const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'qntx.js');

interface Served {
  url: URL;
  token: string;
  stop(): Promise<void>;
}

function serve(dataDir: string): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, QNTX_LOG_LEVEL: 'warn' },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+/.exec(out);
      if (!m) return;
      const printed = new URL(m[0]);
      resolve({
        url: new URL(printed.origin),
        token: printed.searchParams.get('token')!,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) return done();
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
    child.once('exit', (code) => reject(new Error(`qntx serve exited with ${code}: ${err}`)));
  });
}

/** POST (GET without a body) over one keep-alive connection; resolves with the parsed answer. */
interface ExecuteAnswer {
  success: boolean;
  error: string | null;
  duration_ms: number;
}

function poster(url: URL, token: string): { post(p: string, body?: unknown): Promise<ExecuteAnswer>; close(): void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return {
    post: (p, body) =>
      new Promise((resolve, reject) => {
        const data = body === undefined ? null : JSON.stringify(body);
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: p,
            method: data === null ? 'GET' : 'POST',
            agent,
            headers: { authorization: `Bearer ${token}`, ...(data === null ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }) },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString();
              if (res.statusCode !== 200) reject(new Error(`${p}: ${res.statusCode} ${text}`));
              else resolve(JSON.parse(text) as ExecuteAnswer);
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(data ?? undefined);
      }),
    close: () => agent.destroy(),
  };
}

function coldStart(executable: string): Promise<number> {
  const t = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(executable, ['-c', 'pass'], { stdio: 'ignore' });
    p.once('error', reject);
    p.once('exit', () => resolve(performance.now() - t));
  });
}

function summary(label: string, xs: number[], cold: number): string {
  const s = [...xs].sort((a, b) => a - b);
  const p50 = percentile(s, 50);
  return `${label.padEnd(52)} n=${String(s.length).padStart(4)}  p50 ${p50.toFixed(2).padStart(6)} ms  p99 ${percentile(s, 99).toFixed(2).padStart(6)} ms  ratio p50/cold ${(p50 / cold).toFixed(3)}`;
}

async function main(): Promise<void> {
  const info = await resolvePython('python3');
  console.log(`${machine()}; python ${info.version.join('.')} (${info.executable}); load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-bench-http-'));
  const served = await serve(path.join(root, 'served'));
  const client = poster(served.url, served.token);
  // The runner as the server's composition root builds it, from the same settings (its own data
  // directory, hidden from runs like the server's).
  const settings = loadSettings({ dataDir: path.join(root, 'direct'), port: 0, logLevel: 'silent' }, {});
  fs.mkdirSync(settings.dataDir, { recursive: true, mode: 0o700 });
  const runner = serverPythonRunner(settings, silentLogger());
  // The same, each run's process forked when the run comes (none prepared ahead): the comparison.
  const forkEach = serverPythonRunner(settings, silentLogger(), undefined, { prepare: false });
  // Each series is timed two ways: one run at a time, the series taking turns with a pause of
  // APART_MS after each run, outside the timing (as the editor's Run is used: between two runs
  // there is time; the pause also lets a runner's preparing of its next process end before another
  // series' run, which it would slow), and back to back (ten in a row: the next run comes as soon
  // as the answer does).
  type Series = { name: string; once: () => Promise<void>; apart: number[]; inRow: number[] };
  // The server's own account of each execute's run (duration_ms: from the run's start in the runner
  // to its result): what the request costs beyond it is HTTP, routing, validation and the hops.
  const serverRun = { apart: [] as number[], inRow: [] as number[] };
  let mode: 'apart' | 'inRow' = 'apart';
  const series: Series[] = [
    {
      name: 'POST /api/python/execute (pass)',
      once: async () => {
        const r = await client.post('/api/python/execute', { code: 'pass' });
        if (!r.success) throw new Error(`execute failed: ${r.error}`);
        serverRun[mode].push(r.duration_ms);
      },
    },
    {
      // The floor of a request on this connection: no run, a route that answers at once.
      name: 'GET /health (HTTP alone)',
      once: async () => {
        await client.post('/health');
      },
    },
    {
      name: 'runner as the server builds it',
      once: async () => {
        const r = await runner.run({ code: 'pass', lane: 'adhoc' });
        if (!r.success) throw new Error(`run failed: ${r.error}`);
      },
    },
    {
      name: 'same, no process prepared ahead',
      once: async () => {
        const r = await forkEach.run({ code: 'pass', lane: 'adhoc' });
        if (!r.success) throw new Error(`run failed: ${r.error}`);
      },
    },
  ].map((x) => ({ ...x, apart: [], inRow: [] }));
  const time = async (s: Series, into: number[]): Promise<void> => {
    const t = performance.now();
    await s.once();
    into.push(performance.now() - t);
  };
  const cold: number[] = [];
  try {
    const iso = await runner.isolation();
    console.log(`runner isolation: ${iso.mode ?? `none (${iso.reason})`}; running as uid ${process.getuid?.()}`);
    for (let i = 0; i < 10; i++) for (const s of series) await s.once(); // warm-up
    serverRun.apart.length = 0;
    for (let round = 0; round < ROUNDS; round++) {
      mode = 'apart';
      for (let i = 0; i < PER_ROUND; i++) {
        for (const s of series) {
          await time(s, s.apart);
          await new Promise((resolve) => setTimeout(resolve, APART_MS));
        }
      }
      mode = 'inRow';
      for (const s of series) for (let i = 0; i < PER_ROUND; i++) await time(s, s.inRow);
      for (let i = 0; i < COLD_PER_ROUND; i++) cold.push(await coldStart(info.executable));
    }
  } finally {
    client.close();
    await runner.close();
    await forkEach.close();
    await served.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
  const coldP50 = percentile([...cold].sort((a, b) => a - b), 50);
  console.log(summary(`cold \`${path.basename(info.executable)} -c pass\``, cold, coldP50));
  for (const s of series) console.log(summary(`${s.name}, one at a time`, s.apart, coldP50));
  console.log(summary('  execute: the run in the server (duration_ms)', serverRun.apart, coldP50));
  for (const s of series) console.log(summary(`${s.name}, back to back`, s.inRow, coldP50));
  console.log(summary('  execute: the run in the server (duration_ms)', serverRun.inRow, coldP50));
  console.log(`goal: HTTP p50 / cold p50 <= 0.15; load average now ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
}

await main();
