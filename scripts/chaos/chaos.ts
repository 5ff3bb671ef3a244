// The chaos run: on PostgreSQL, 2 `qntx serve --no-worker` and 3 `qntx worker` — one
// through a TCP proxy that is cut now and then, one with its clock 120 s ahead — run python.script
// jobs and one-second schedules while a loop kills a random worker with SIGKILL and starts it
// again. Then: every job completed (none lost), no job ran twice at once (flocks and a table of
// runs keyed by job and run), no execution left running, every schedule still there and firing.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { tcpProxy, type TcpProxy } from '../../test/fixtures/tcp-proxy.js';
import { killMember, restartMember, skewedEnv, startMember, type Member, type Role } from './cluster.js';
import { CHAOS_HANDLER, countOverlaps, readRuns } from './runs-log.js';

export interface ChaosOptions {
  databaseUrl: string;
  jobs: number;
  schedules: number;
  /** How long workers are killed and cut off, ms (jobs are enqueued during its first half). */
  chaosMs: number;
  /** A random worker is killed every killEveryMs[0]..killEveryMs[1] ms. */
  killEveryMs: [number, number];
  /** The proxied worker's connections are cut every cutEveryMs for cutForMs. */
  cutEveryMs: number;
  cutForMs: number;
  /** The skewed worker's clock offset, s. */
  skewS: number;
  leaseMs: number;
  /** Longest wait for the jobs to finish after the chaos, ms. */
  drainTimeoutMs: number;
  log?: (line: string) => void;
}

export const FULL: Omit<ChaosOptions, 'databaseUrl'> = {
  jobs: 2000,
  schedules: 20,
  chaosMs: 90_000,
  killEveryMs: [2000, 5000],
  cutEveryMs: 12_000,
  cutForMs: 4000,
  skewS: 120,
  leaseMs: 5000,
  drainTimeoutMs: 180_000,
};

export interface ChaosReport {
  jobs: number;
  completed: number;
  failed: number;
  lost: number;
  /** Jobs that ran more than once (an attempt lost to a kill or a cut, then run again). */
  retried: number;
  runs: number;
  /** Runs that found their job's flock taken: two runs of one job at once. */
  clashes: number;
  /** Pairs of runs of one job whose logged intervals intersect. */
  overlaps: number;
  /** Runs that logged no end (killed or aborted): covered by their flock. */
  unknownEnds: number;
  /** Jobs (not schedules) run again after one of their runs had ended. */
  ranAgainAfterEnd: number;
  stuckExecutions: number;
  schedules: number;
  schedulesFiring: number;
  lostSchedules: number;
  executions: number;
  kills: number;
  cuts: number;
  skewWarned: boolean;
  /** Processes that died on their own, with the end of their output. */
  crashes: string[];
  seconds: number;
  drainSeconds: number;
  /** Why jobs and executions failed, most frequent first. */
  failures: Array<{ error: string; n: number }>;
}

/** The servers' access token (one for all: they share the data dir's settings through the env). */
const TOKEN = randomBytes(24).toString('hex');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON bodies of the API, read field by field
async function api(url: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(url + p, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await res.json();
  if (res.status >= 400) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/** Polls `check` every 250 ms until it returns true or `ms` passed; returns whether it did. */
async function until(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(250);
  }
  return check();
}

/** What a chaos run holds: the database, the processes, the proxy, and what it did to them. */
interface Rig {
  schema: string;
  admin: pg.Client;
  dir: string;
  proxy: TcpProxy;
  base: Record<string, string>;
  servers: Member[];
  workers: Member[];
  /** Killed worker pid → wall time of the kill, ns. */
  kills: Map<number, bigint>;
  cuts: number;
  skewWarned: boolean;
  /** Workers that died on their own (an error nobody handled ends a process by the process policy). */
  crashes: string[];
}

/** The schema, the runs' directory, the proxy, 2 servers and 3 workers (plain, proxied, skewed). */
async function setUp(o: ChaosOptions): Promise<Rig> {
  const schema = `qntx_chaos_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: o.databaseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.query(`set search_path = ${schema}`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qntx-chaos-'));
  // Runs are sandboxed under other uids: the log and the lock files must be theirs to write. The
  // data directory is a subdirectory: the servers make it 0700 and runs never see it.
  fs.chmodSync(dir, 0o777);
  fs.writeFileSync(path.join(dir, 'runs.log'), '');
  fs.chmodSync(path.join(dir, 'runs.log'), 0o666);
  const withSchema = (url: string) => {
    const u = new URL(url);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return u.toString();
  };
  const proxy = await tcpProxy(new URL(o.databaseUrl));
  const base = { QNTX_TOKEN: TOKEN, QNTX_DATABASE_URL: withSchema(o.databaseUrl), QNTX_LEASE_MS: String(o.leaseMs), QNTX_WORKER_CONCURRENCY: '2', QNTX_DATA_DIR: path.join(dir, 'data') };
  const rig: Rig = { schema, admin, dir, proxy, base, servers: [], workers: [], kills: new Map(), cuts: 0, skewWarned: false, crashes: [] };
  for (const n of [1, 2]) rig.servers.push(await startMember({ name: `serve-${n}`, args: ['serve', '--no-worker', '--port', '0'], env: {} }, base));
  const roles: Role[] = [
    { name: 'worker', args: ['worker'], env: {} },
    { name: 'worker-proxied', args: ['worker'], env: { QNTX_DATABASE_URL: withSchema(proxy.via(o.databaseUrl)) } },
    { name: `worker-ahead-${o.skewS}s`, args: ['worker'], env: skewedEnv(o.skewS) },
  ];
  for (const r of roles) rig.workers.push(await startMember(r, base));
  return rig;
}

async function tearDown(rig: Rig): Promise<void> {
  for (const m of [...rig.workers, ...rig.servers]) await killMember(m);
  rig.proxy.close();
  await rig.admin.query(`drop schema if exists ${rig.schema} cascade`).catch(() => {});
  await rig.admin.end();
  fs.rmSync(rig.dir, { recursive: true, force: true });
}

/** A worker that died on its own is noted (with the end of its output) and started again. */
async function restartCrashed(rig: Rig): Promise<void> {
  for (const [k, w] of rig.workers.entries()) {
    if (!w.crashed) continue;
    rig.crashes.push(`${w.role.name}: ${w.output().slice(-500)}`);
    rig.workers[k] = await restartMember(w.role, rig.base);
  }
  for (const s of rig.servers) {
    if (s.crashed && !reported.has(s)) rig.crashes.push(`${s.role.name}: ${s.output().slice(-500)}`);
    if (s.crashed) reported.add(s);
  }
}

const reported = new WeakSet<Member>();

function noteSkew(rig: Rig, m: Member): void {
  if (m.role.env.FAKETIME && /clock is off from the database/.test(m.output())) rig.skewWarned = true;
}

/**
 * Until `end`: a random worker killed (and started again) every few seconds — in random rounds in
 * which each worker dies once, so that even a short run kills the proxied and the skewed one too —
 * and the proxy cut now and then.
 */
async function chaos(rig: Rig, o: ChaosOptions, end: number): Promise<void> {
  const kills = (async () => {
    let round: number[] = [];
    while (Date.now() < end) {
      await sleep(o.killEveryMs[0] + Math.random() * (o.killEveryMs[1] - o.killEveryMs[0]));
      if (Date.now() >= end) break;
      await restartCrashed(rig);
      if (!round.length) round = rig.workers.map((_, i) => i).sort(() => Math.random() - 0.5);
      const k = round.pop()!;
      const victim = rig.workers[k]!;
      noteSkew(rig, victim);
      rig.kills.set(victim.pid, BigInt(Date.now()) * 1_000_000n);
      await killMember(victim);
      rig.workers[k] = await restartMember(victim.role, rig.base);
    }
  })();
  const cuts = (async () => {
    while (Date.now() + o.cutEveryMs < end) {
      await sleep(o.cutEveryMs);
      rig.proxy.cut();
      rig.cuts++;
      await sleep(o.cutForMs);
      rig.proxy.heal();
    }
  })();
  await Promise.all([kills, cuts]);
  rig.proxy.heal();
  await restartCrashed(rig);
  for (const w of rig.workers) noteSkew(rig, w);
}

/** The handler and the one-second schedules. */
async function populate(rig: Rig, o: ChaosOptions): Promise<string[]> {
  const [a, b] = [rig.servers[0]!.url!, rig.servers[1]!.url!];
  await api(a, 'POST', '/api/python/register-handler', { script_type: 'chaos', code: CHAOS_HANDLER });
  const scheduleIds: string[] = [];
  for (let i = 0; i < o.schedules; i++) {
    const s = await api(i % 2 ? a : b, 'POST', '/api/pulse/schedules', { ats_code: `ix chaos s${i} 0.05 --dir ${rig.dir}`, interval_seconds: 1 });
    scheduleIds.push(s.id);
  }
  return scheduleIds;
}

/**
 * How long job n runs: mostly 50–150 ms, every tenth 1.5 s (long enough to be running when a
 * lease is wrongly taken away: a worker whose clock runs ahead once reaped live leases).
 */
function jobSeconds(n: number): string {
  return (n % 10 === 9 ? 1.5 : 0.05 + Math.random() * 0.1).toFixed(3);
}

/** The jobs, added through both servers over `spreadMs`. */
async function enqueueJobs(rig: Rig, o: ChaosOptions, spreadMs: number): Promise<void> {
  const [a, b] = [rig.servers[0]!.url!, rig.servers[1]!.url!];
  const batch = 20;
  const pause = spreadMs / Math.ceil(o.jobs / batch);
  for (let i = 0; i < o.jobs; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, o.jobs - i) }, (_, k) =>
        api(k % 2 ? a : b, 'POST', '/api/pulse/jobs', {
          handler_name: 'python.script',
          payload: { script_type: 'chaos', args: [`j${i + k}`, jobSeconds(i + k)], flags: { dir: rig.dir } },
          max_retries: 10,
        }),
      ),
    );
    await sleep(pause);
  }
}

async function count(rig: Rig, q: string, params: unknown[] = []): Promise<number> {
  return Number((await rig.admin.query<{ n: string }>(q, params)).rows[0]!.n);
}

/** Waits for every job to end; their statuses. */
async function drain(rig: Rig, o: ChaosOptions): Promise<Record<string, number>> {
  const byStatus = async () => {
    const { rows } = await rig.admin.query<{ status: string; n: string }>(`select status, count(*) as n from pulse_jobs where schedule_id is null group by status`);
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
  };
  await until(o.drainTimeoutMs, async () => {
    const c = await byStatus();
    return (c.completed ?? 0) + (c.failed ?? 0) + (c.cancelled ?? 0) >= o.jobs;
  });
  return byStatus();
}

/** Every schedule is still there and fires after the chaos; paused, none stays running. */
async function checkSchedules(rig: Rig, o: ChaosOptions, ids: string[]) {
  const after = Date.now();
  const firing = () => count(rig, `select count(distinct schedule_id) as n from pulse_executions where status = 'completed' and started_at > $1`, [after]);
  await until(30_000, async () => (await firing()) >= o.schedules);
  const schedulesFiring = await firing();
  const active = await count(rig, `select count(*) as n from pulse_schedules where state = 'active'`);
  const schedules = await count(rig, `select count(*) as n from pulse_schedules`);
  for (const id of ids) await api(rig.servers[0]!.url!, 'PATCH', `/api/pulse/schedules/${id}`, { state: 'paused' });
  // The killed workers' executions end once their leases have run out.
  const running = () => count(rig, `select count(*) as n from pulse_executions where status = 'running'`);
  await until(o.leaseMs * 3 + 15_000, async () => (await running()) === 0);
  return { schedules, schedulesFiring, lostSchedules: o.schedules - active, stuckExecutions: await running(), executions: await count(rig, `select count(*) as n from pulse_executions`) };
}

async function failureCauses(rig: Rig): Promise<ChaosReport['failures']> {
  const { rows } = await rig.admin.query<{ error: string; n: string }>(
    `select coalesce(error, '?') as error, count(*) as n from (
       select error from pulse_jobs where status = 'failed' union all select error from pulse_executions where status = 'failed') f
     group by 1 order by 2 desc limit 10`,
  );
  return rows.map((f) => ({ error: f.error.slice(0, 200), n: Number(f.n) }));
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const log = o.log ?? (() => {});
  const t0 = Date.now();
  const rig = await setUp(o);
  try {
    log(`cluster up in ${((Date.now() - t0) / 1000).toFixed(1)} s: 2 servers, 3 workers (${rig.workers.map((w) => w.role.name).join(', ')})`);
    const scheduleIds = await populate(rig, o);
    const end = Date.now() + o.chaosMs;
    const chaosDone = chaos(rig, o, end);
    await enqueueJobs(rig, o, o.chaosMs / 2);
    log(`${o.jobs} jobs and ${o.schedules} schedules in; chaos until +${(o.chaosMs / 1000).toFixed(0)} s`);
    await chaosDone;
    log(`chaos over: ${rig.kills.size} kills, ${rig.cuts} cuts`);
    const drainStart = Date.now();
    const byStatus = await drain(rig, o);
    const drainSeconds = (Date.now() - drainStart) / 1000;
    const sched = await checkSchedules(rig, o, scheduleIds);
    const retried = await count(rig, `select count(*) as n from pulse_jobs where schedule_id is null and retry_count > 0`);
    const failures = await failureCauses(rig);
    for (const m of [...rig.workers, ...rig.servers]) await killMember(m, 'SIGTERM');
    const runs = readRuns(path.join(rig.dir, 'runs.log'));
    const overlap = await countOverlaps(rig.admin, runs);
    const completed = byStatus.completed ?? 0;
    return {
      jobs: o.jobs,
      completed,
      failed: (byStatus.failed ?? 0) + (byStatus.cancelled ?? 0),
      lost: o.jobs - completed,
      retried,
      runs: runs.length,
      ...overlap,
      ...sched,
      kills: rig.kills.size,
      cuts: rig.cuts,
      skewWarned: rig.skewWarned,
      crashes: rig.crashes,
      seconds: (Date.now() - t0) / 1000,
      drainSeconds,
      failures,
    };
  } finally {
    await tearDown(rig);
  }
}

/** The invariants a chaos run must keep; empty when it kept them all. */
export function violations(r: ChaosReport): string[] {
  const out: string[] = [];
  if (r.lost) out.push(`${r.lost} jobs lost (not completed)`);
  if (r.clashes || r.overlaps) out.push(`${r.clashes} runs found their job running already, ${r.overlaps} overlapping pairs`);
  if (r.stuckExecutions) out.push(`${r.stuckExecutions} executions left running`);
  if (r.crashes.length) out.push(`${r.crashes.length} processes died on their own: ${r.crashes.join(' | ')}`);
  if (r.lostSchedules || r.schedulesFiring < r.schedules) out.push(`${r.lostSchedules} schedules lost, ${r.schedules - r.schedulesFiring} not firing`);
  return out;
}
