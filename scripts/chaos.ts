// `npm run chaos`: the full chaos run on PostgreSQL (QNTX_TEST_DATABASE_URL, default the local
// server), printed as figures for docs/benchmarks.md; exits 1 when an invariant broke.
// CHAOS_JOBS, CHAOS_SCHEDULES and CHAOS_SECONDS change its size.
import os from 'node:os';
import { FULL, runChaos, violations } from './chaos/chaos.js';

const databaseUrl = process.env.QNTX_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const opts = {
  ...FULL,
  databaseUrl,
  jobs: Number(process.env.CHAOS_JOBS ?? FULL.jobs),
  schedules: Number(process.env.CHAOS_SCHEDULES ?? FULL.schedules),
  chaosMs: Number(process.env.CHAOS_SECONDS ?? FULL.chaosMs / 1000) * 1000,
  log: (line: string) => console.log(`# ${line}`),
};
console.log(`machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`);
const r = await runChaos(opts);
console.log(
  [
    `chaos: ${r.jobs} python.script jobs + ${r.schedules} one-second schedules, 2 servers + 3 workers (one via a TCP proxy cut ${r.cuts}×, one ${FULL.skewS} s ahead${r.skewWarned ? ', warned' : ''}), ${r.kills} kill -9s, lease ${opts.leaseMs} ms`,
    `  jobs: ${r.completed} completed, ${r.failed} failed, ${r.lost} lost; ${r.retried} ran again after a kill or a cut; drained ${r.drainSeconds.toFixed(1)} s after the chaos`,
    `  runs: ${r.runs} (${r.executions} schedule executions); ${r.clashes} ran while another run of the same job held its lock, ${r.overlaps} overlapping pairs; ${r.unknownEnds} runs killed or aborted (no logged end: their flock covers them); ${r.ranAgainAfterEnd} jobs ran again after a run of theirs had ended`,
    `  executions left running: ${r.stuckExecutions}; schedules: ${r.schedules} kept, ${r.schedulesFiring} firing after the chaos, ${r.lostSchedules} lost`,
    `  processes that died on their own: ${r.crashes.length}; total ${r.seconds.toFixed(0)} s`,
  ].join('\n'),
);
const bad = violations(r);
if (bad.length) {
  console.error(`FAILED: ${bad.join('; ')}`);
  process.exitCode = 1;
}
