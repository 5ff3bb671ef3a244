// Watches what one run stores while it runs — its private directory and, with a sandbox uid, its
// files in /dev/shm and its SysV shared memory — and reports once it passes the run's disk limit.
// RLIMIT_FSIZE bounds one file; only this watch bounds the sum. Measured asynchronously (libuv's
// thread pool), so a run with many files slows its own watch, not the server or the warm parent.
import fs from 'node:fs/promises';
import path from 'node:path';

/** Between the end of one measurement and the next: what a run can write in this time overshoots. */
export const DISK_WATCH_INTERVAL_MS = 200;
/** The least one file or directory counts (a block and an inode), so that a million empty files count. */
export const ENTRY_BYTES = 4096;

export interface DiskWatchOptions {
  dir: string;
  /** The run's sandbox uid: its /dev/shm files and SysV segments count too. Null without the sandbox. */
  uid: number | null;
  capBytes: number;
  /** Called once, with the usage measured past the cap. */
  onOver: (bytes: number) => void;
  intervalMs?: number;
}

export class DiskWatch {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: DiskWatchOptions) {
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), this.o.intervalMs ?? DISK_WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const bytes = await runUsage(this.o.dir, this.o.uid, this.o.capBytes);
    if (this.stopped) return;
    if (bytes > this.o.capBytes) {
      this.stopped = true;
      this.o.onOver(bytes);
    } else this.schedule();
  }
}

/** What the run stores now; stops counting once past `stopAt`. */
export async function runUsage(dir: string, uid: number | null, stopAt: number): Promise<number> {
  let bytes = await treeBytes(dir, stopAt);
  if (uid !== null && bytes <= stopAt) {
    bytes += await sharedMemoryBytes(uid);
    if (bytes <= stopAt) bytes += await devShmBytes(uid, stopAt - bytes);
  }
  return bytes;
}

function entryBytes(st: { size: number; blocks: number }): number {
  return Math.max(st.size, st.blocks * 512, ENTRY_BYTES);
}

/** A tree's files, directories and links (never followed), each hard-linked file once. */
export async function treeBytes(root: string, stopAt: number): Promise<number> {
  let bytes = 0;
  const seen = new Set<number>();
  const dirs = [root];
  while (dirs.length && bytes <= stopAt) {
    const dir = dirs.pop()!;
    let names: string[];
    try {
      names = await fs.readdir(dir);
    } catch {
      continue; // removed meanwhile, or not a directory
    }
    const stats = await Promise.all(names.map((n) => fs.lstat(path.join(dir, n)).catch(() => null)));
    for (let i = 0; i < names.length; i++) {
      const st = stats[i];
      if (!st) continue;
      if (st.nlink > 1 && !st.isDirectory()) {
        if (seen.has(st.ino)) continue;
        seen.add(st.ino);
      }
      bytes += entryBytes(st);
      if (st.isDirectory()) dirs.push(path.join(dir, names[i]!));
    }
  }
  return bytes;
}

/** Entries of /dev/shm owned by the uid (POSIX shared memory and semaphores are files there). */
async function devShmBytes(uid: number, stopAt: number): Promise<number> {
  let names: string[];
  try {
    names = await fs.readdir('/dev/shm');
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const name of names) {
    const p = path.join('/dev/shm', name);
    const st = await fs.lstat(p).catch(() => null);
    if (!st || st.uid !== uid) continue;
    bytes += st.isDirectory() ? await treeBytes(p, stopAt - bytes) : entryBytes(st);
    if (bytes > stopAt) break;
  }
  return bytes;
}

/** SysV shared memory segments of the uid (they outlive processes: removed at the end of the run). */
async function sharedMemoryBytes(uid: number): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile('/proc/sysvipc/shm', 'utf8');
  } catch {
    return 0;
  }
  let bytes = 0;
  for (const line of text.split('\n').slice(1)) {
    // key shmid perms size cpid lpid nattch uid gid cuid ...
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && (Number(f[7]) === uid || Number(f[9]) === uid)) bytes += Number(f[3]) || 0;
  }
  return bytes;
}
