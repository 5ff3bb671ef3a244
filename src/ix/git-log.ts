// Streams a repository's history as commit records: one `git log -z --name-only` whose output is
// split on NUL bytes and parsed record by record, so memory stays flat however long the history.
import type { GitRunner } from './git-process.js';
import { streamGit } from './git-process.js';

export interface GitCommit {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** ms since the epoch */
  authoredAt: number;
  /** ms since the epoch; what --since compares */
  committedAt: number;
  subject: string;
  /** Paths changed against the first parent (none for merges, all for a root commit). */
  paths: string[];
}

// Record separator, then fields split by unit separators; free text (name, subject) comes last.
const FORMAT = '%x1e%H%x1f%P%x1f%at%x1f%ct%x1f%ae%x1f%an%x1f%s';
// eslint-disable-next-line no-control-regex -- the separators are control characters on purpose
const HEADER = /^\x1e([0-9a-f]{40}|[0-9a-f]{64})\x1f/;

/** `git log` arguments: oldest first, so a run that fails part-way has ingested a prefix. */
export function logArgs(gitDir: string, revs: string[], since: number | null): string[] {
  return [
    '-c', 'diff.relative=false',
    `--git-dir=${gitDir}`,
    'log', '--date-order', '--reverse', '--root', '--no-renames', '--no-color', '--no-ext-diff', '--no-textconv', '--no-show-signature',
    '-z', '--name-only', '--encoding=UTF-8', `--format=${FORMAT}`,
    ...(since === null ? [] : [`--max-age=${Math.floor(since / 1000) + 1}`]),
    ...revs,
    '--',
  ];
}

function parseHeader(text: string): GitCommit | null {
  if (!HEADER.test(text)) return null;
  const f = text.slice(1).split('\x1f');
  if (f.length < 7) return null;
  const [sha, parents, at, ct, email, name] = f as [string, string, string, string, string, string];
  return {
    sha,
    parents: parents.split(' ').filter(Boolean),
    authoredAt: Number(at) * 1000,
    committedAt: Number(ct) * 1000,
    authorEmail: email,
    authorName: name,
    subject: f.slice(6).join('\x1f'),
    paths: [],
  };
}

/** Turns NUL-separated tokens of the log into commits; a commit is complete at the next header. */
export class LogRecordReader {
  private current: GitCommit | null = null;

  push(token: string): GitCommit | null {
    // git puts a newline between a header and its first path.
    const text = token.startsWith('\n') ? token.slice(1) : token;
    const header = parseHeader(text);
    if (header) {
      const done = this.current;
      this.current = header;
      return done;
    }
    const path = this.current?.paths.length === 0 ? text : token;
    if (this.current && path) this.current.paths.push(path);
    return null;
  }

  end(): GitCommit | null {
    const done = this.current;
    this.current = null;
    return done;
  }
}

/** Yields the commits reachable from `revs`, oldest first, committed at or after `since` (git's cut). */
export async function* readGitLog(gitDir: string, revs: string[], since: number | null, r: GitRunner): AsyncGenerator<GitCommit> {
  const reader = new LogRecordReader();
  let rest: Buffer | null = null;
  for await (const chunk of streamGit({ args: logArgs(gitDir, revs, since) }, r)) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nul = buf.indexOf(0); nul !== -1; nul = buf.indexOf(0, start)) {
      const done = reader.push(buf.toString('utf8', start, nul));
      start = nul + 1;
      if (done) yield done;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
  }
  const tail = rest ? reader.push(rest.toString('utf8')) : null;
  if (tail) yield tail;
  const last = reader.end();
  if (last) yield last;
}
