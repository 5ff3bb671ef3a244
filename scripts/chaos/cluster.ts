// The chaos cluster: real `qntx serve --no-worker` and `qntx worker` processes from the bin on
// one PostgreSQL schema; a worker can run through a TCP proxy (to be cut) or with its clock moved
// (libfaketime), and can be killed with SIGKILL and started again in the same role.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(ROOT, 'bin', 'qntx.js');

const FAKETIME_LIBS = ['/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1', '/usr/lib/faketime/libfaketime.so.1'];

/** libfaketime's library, or null when it is not installed (apt-get install faketime). */
export function faketimeLib(): string | null {
  return FAKETIME_LIBS.find((p) => fs.existsSync(p)) ?? null;
}

export interface Role {
  name: string;
  args: string[];
  env: Record<string, string>;
}

export interface Member {
  role: Role;
  child: ChildProcess;
  pid: number;
  url: string | null;
  /** Output kept for a failure message. */
  output(): string;
  /** Set when the process ended without being told to (killMember): a crash. */
  crashed: boolean;
  /** Set by killMember. */
  stopping: boolean;
}

const running = new Set<ChildProcess>();
/** Processes started so far: each gets its number as CHAOS_WORKER_ID, which its runs may read. */
let started = 0;
process.on('exit', () => {
  for (const c of running) c.kill('SIGKILL');
});

/** Starts one process and resolves once it says it is ready. */
export function startMember(role: Role, baseEnv: Record<string, string>): Promise<Member> {
  const child = spawn(process.execPath, [BIN, ...role.args], {
    cwd: ROOT,
    env: { ...process.env, QNTX_LOG_LEVEL: 'warn', ...baseEnv, ...role.env, CHAOS_WORKER_ID: String(++started), QNTX_HANDLER_ENV: 'CHAOS_WORKER_ID' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-8000));
  child.stderr!.on('data', keep);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role.name} did not start in 30 s:\n${out}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      keep(d);
      const m = /qntx listening on (http:\/\/\S+)|worker \S+ running/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      const member: Member = { role, child, pid: child.pid!, url: m[1] ? new URL(m[1]).origin : null, output: () => out, crashed: false, stopping: false };
      child.once('exit', () => {
        if (!member.stopping) member.crashed = true;
      });
      resolve(member);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${role.name} exited (${code ?? signal}) while starting:\n${out}`));
    });
  });
}

/**
 * Starts a process again as a supervisor would: one that exits while starting (the database
 * unreachable through a cut proxy) is started again, after a short pause, up to `tries` times.
 */
export async function restartMember(role: Role, baseEnv: Record<string, string>, tries = 60): Promise<Member> {
  for (let i = 1; ; i++) {
    try {
      return await startMember(role, baseEnv);
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** SIGKILL; resolves once the process is gone. */
export function killMember(m: Member, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  return new Promise((resolve) => {
    m.stopping = true;
    if (m.child.exitCode !== null || m.child.signalCode !== null) return resolve();
    m.child.once('exit', () => resolve());
    m.child.kill(signal);
  });
}

/**
 * A worker whose clock runs `offsetS` seconds ahead (libfaketime). Its Python runs inherit it.
 * (FAKETIME_DONT_FAKE_MONOTONIC would keep monotonic time true, but makes Python's sleep fail
 * with EINVAL: monotonic time moves by the same constant, which harms no timer.)
 */
export function skewedEnv(offsetS: number): Record<string, string> {
  const lib = faketimeLib();
  if (!lib) throw new Error('libfaketime is not installed: apt-get install faketime');
  return { LD_PRELOAD: lib, FAKETIME: `+${offsetS}s`, FAKETIME_NO_CACHE: '1' };
}
