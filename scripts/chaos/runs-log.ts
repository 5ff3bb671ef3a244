// What each run of the chaos handler leaves: a line when it starts and one when it ends, in one
// shared log, with the job's key, a run id, its worker's number (CHAOS_WORKER_ID, given to each
// worker process as it starts: a run cannot read another process's /proc entry) and the machine's wall time in ns (a
// run of the skewed worker inherits libfaketime and takes its offset, from FAKETIME, back off:
// all runs are on one clock). A run also takes an
// exclusive flock on its job's lock file for its whole life: the kernel drops it when the process
// ends, however it ends, so a run that finds it taken ran at the same time as another run of the
// same job. The lines go into a table keyed by job and run, where overlaps are counted in SQL.
import fs from 'node:fs';
import type pg from 'pg';

/** The Python handler (`ix chaos <key> <seconds> --dir <dir>`). */
export const CHAOS_HANDLER = `import fcntl, os, time, uuid
key, secs, d = ix.args[0], float(ix.args[1]), ix.flags["dir"]
rid = uuid.uuid4().hex[:16]
skew = int(float(os.environ.get("FAKETIME", "+0s").strip("+s")) * 1e9)
def now():
    return time.time_ns() - skew
worker = os.environ.get("CHAOS_WORKER_ID", "0")
lock = os.open(os.path.join(d, key + ".lock"), os.O_RDONLY | os.O_CREAT, 0o666)
try:
    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    clash = 0
except BlockingIOError:
    clash = 1
log = open(os.path.join(d, "runs.log"), "a")
log.write("start %s %s %s %d %d\\n" % (key, rid, worker, now(), clash))
log.flush()
time.sleep(secs)
log.write("end %s %s %s %d\\n" % (key, rid, worker, now()))
log.flush()
`;

export interface Run {
  key: string;
  run: string;
  worker: number;
  startedNs: bigint;
  endedNs: bigint | null;
  clash: boolean;
}

export function readRuns(file: string): Run[] {
  const runs = new Map<string, Run>();
  for (const line of fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : []) {
    const [what, key, run, worker, ns, clash] = line.split(' ');
    if (!key || !run || !ns) continue;
    const id = `${key} ${run}`;
    if (what === 'start') runs.set(id, { key, run, worker: Number(worker), startedNs: BigInt(ns), endedNs: null, clash: clash === '1' });
    else if (what === 'end' && runs.has(id)) runs.get(id)!.endedNs = BigInt(ns);
  }
  return [...runs.values()];
}

/**
 * Loads the runs into chaos_runs (job, run) and counts overlaps: two runs of one job whose logged
 * intervals intersect. A run that never logged its end (its worker killed, or the run aborted) is
 * covered by its flock alone: the kernel held it exactly as long as the run lived. Also counted:
 * jobs run again after a run of theirs had ended (an outcome lost with a worker, or a lease taken
 * from a live worker: the latter was the bug of workers whose clock ran ahead).
 */
export async function countOverlaps(db: pg.Client, runs: Run[]): Promise<{ clashes: number; overlaps: number; unknownEnds: number; ranAgainAfterEnd: number }> {
  await db.query(`create table chaos_runs (job_key text not null, run_id text not null, worker_id integer not null,
    started_ns bigint not null, ended_ns bigint, clash boolean not null, primary key (job_key, run_id))`);
  const ends = runs.map((r) => r.endedNs);
  await db.query(
    `insert into chaos_runs select * from unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::boolean[])`,
    [runs.map((r) => r.key), runs.map((r) => r.run), runs.map((r) => r.worker), runs.map((r) => String(r.startedNs)), ends.map((e) => (e === null ? null : String(e))), runs.map((r) => r.clash)],
  );
  const { rows } = await db.query<{ clashes: string; overlaps: string; unknown: string; again: string }>(`
    select (select count(*) from chaos_runs where clash) as clashes,
           (select count(*) from chaos_runs a join chaos_runs b on a.job_key = b.job_key and a.run_id < b.run_id
             where a.ended_ns is not null and b.ended_ns is not null
               and a.started_ns < b.ended_ns and b.started_ns < a.ended_ns) as overlaps,
           (select count(*) from chaos_runs where ended_ns is null) as unknown,
           (select count(distinct a.job_key) from chaos_runs a join chaos_runs b on a.job_key = b.job_key
             where a.job_key like 'j%' and a.ended_ns is not null and b.started_ns > a.ended_ns) as again`);
  const r = rows[0]!;
  return { clashes: Number(r.clashes), overlaps: Number(r.overlaps), unknownEnds: Number(r.unknown), ranAgainAfterEnd: Number(r.again) };
}
