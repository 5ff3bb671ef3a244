// Kills a run's process group from Node: used when the warm parent died with runs in flight.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * SIGKILLs group `pgid` (and the process `pgid`, in case setsid() had not run yet) until no
 * member is left alive. Members already dead may stay zombies for a while: their new parent
 * (init) reaps them, not us, so they do not count.
 */
export async function killProcessGroup(pgid: number, maxMs = 2000): Promise<void> {
  if (!Number.isSafeInteger(pgid) || pgid <= 1) return; // never kill(-1) or our own group
  try {
    process.kill(pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  const deadline = Date.now() + maxMs;
  for (;;) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ESRCH' || code === 'EPERM') return;
      throw e;
    }
    if (!hasLiveMember(pgid) || Date.now() > deadline) return;
    await sleep(2);
  }
}

function hasLiveMember(pgid: number): boolean {
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return true; // no /proc: rely on ESRCH
  }
  for (const name of names) {
    if (name.charCodeAt(0) > 57) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ', 3);
      if (Number(f[2]) === pgid && f[0] !== 'Z' && f[0] !== 'X') return true;
    } catch {
      // exited meanwhile
    }
  }
  return false;
}
