// The spool of `so` inputs (<data-dir>/ax-input): a run's file is removed when the run ends, but a
// process killed meanwhile leaves its directory behind. Each directory names the process that
// made it (input-<pid>-…); at start, those of processes that no longer run on this host are
// removed (our own pid too when made before this process started: pids are reused, e.g. a
// container's pid 1), and any older than a day (the longest a run may last) whoever made it.
import fs from 'node:fs/promises';
import path from 'node:path';

const DAY_MS = 24 * 3600_000;
const NAME = /^input-(\d+)-/;

function processStart(): number {
  return Date.now() - process.uptime() * 1000;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the spool's leftovers; returns the names removed. A missing spool is nothing to do. */
export async function sweepSpool(spoolDir: string, now: number): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(spoolDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('input-')) continue;
    const dir = path.join(spoolDir, name);
    const pid = Number(NAME.exec(name)?.[1] ?? NaN);
    const stat = await fs.lstat(dir).catch(() => null);
    if (!stat) continue;
    // Our own pid: a previous process of the same pid (a container's pid 1) if made before we started.
    const ours = pid === process.pid;
    const stale = now - stat.mtimeMs > DAY_MS || !Number.isSafeInteger(pid) || (ours ? stat.mtimeMs < processStart() : !alive(pid));
    if (!stale) continue;
    await fs.rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
