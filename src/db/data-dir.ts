// The data directory is private to the server's user: the directory 0700, every file in it 0600
// (the database and its -wal/-shm, the token, the secret key) and every directory in it 0700 (the
// git cache, spooled `so` inputs). Made so, and narrowed at start when found wider (a data
// directory from an older qntx, or copied with other modes).
import fs from 'node:fs';
import path from 'node:path';

/** Makes `dir` (0700) when missing; narrows it, and what it holds, when group or others have a bit. */
export function ensurePrivateDataDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  narrowDataDir(dir);
}

/**
 * Narrows `dir` to 0700 and its entries to 0600 (files) or 0700 (directories); returns what it
 * changed. Not recursive: below a 0700 directory nothing is reachable by others anyway, and a
 * large git cache is not walked at every start. Symlinks are left alone (never followed).
 */
export function narrowDataDir(dir: string): string[] {
  const changed: string[] = [];
  const narrow = (p: string, st: fs.Stats, mode: number): void => {
    if ((st.mode & 0o077) !== 0) {
      fs.chmodSync(p, mode & st.mode & 0o7777);
      changed.push(p);
    }
  };
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return changed;
    throw err;
  }
  if (!st.isDirectory()) return changed;
  narrow(dir, st, 0o700);
  for (const name of fs.readdirSync(dir)) {
    const p = path.join(dir, name);
    let e: fs.Stats;
    try {
      e = fs.lstatSync(p);
    } catch {
      continue; // removed meanwhile
    }
    if (e.isDirectory()) narrow(p, e, 0o700);
    else if (e.isFile()) narrow(p, e, 0o600);
  }
  return changed;
}

/** Creates `file` empty with mode 0600 if it does not exist (SQLite gives -wal and -shm its mode). */
export function createPrivateFile(file: string): void {
  try {
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_WRONLY, 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}
