// Streams a repository's history as commit records: one `git log -z --raw --numstat` whose output
// is split on NUL bytes only. Every field and every path is a NUL-separated token, and paths are
// consumed by count (one, or two for a rename), never matched: no byte a file name or a message
// may hold can start a record (docs/security.md, "forged git history").
import type { GitRunner } from './git-process.js';
import { spoolGit } from './git-process.js';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type_changed' | 'unmerged' | 'unknown';

export interface FileChange {
  path: string;
  /** The path before a rename or the source of a copy. */
  oldPath?: string;
  change: ChangeStatus;
  /** Rename or copy similarity, percent. */
  similarity?: number;
  oldBlob: string;
  newBlob: string;
  /** Lines added and deleted (`--numstat`); null for binary files. */
  added: number | null;
  deleted: number | null;
}

export interface GitCommit {
  sha: string;
  parents: string[];
  /** After .mailmap (git's %aN, %aE). */
  authorName: string;
  authorEmail: string;
  /** ms since the epoch */
  authoredAt: number;
  committerName: string;
  committerEmail: string;
  /** ms since the epoch */
  committedAt: number;
  /** The full message (%B), without its final newline. */
  message: string;
  /** Changes against the first parent (none for merges, all for a root commit). */
  files: FileChange[];
}

/** Fields after the `commit <sha>` token, in FORMAT order. */
const HEADER_FIELDS = 8;
const FORMAT = '%x00commit %H%x00%P%x00%at%x00%ct%x00%aN%x00%aE%x00%cN%x00%cE%x00%B%x00';
const COMMIT_TOKEN = /^\n*commit ([0-9a-f]{40}|[0-9a-f]{64})$/;
const RAW_TOKEN = /^\n*:(\d{6}) (\d{6}) ([0-9a-f]{40}|[0-9a-f]{64}) ([0-9a-f]{40}|[0-9a-f]{64}) ([A-Z])(\d{0,3})$/;
const NUMSTAT_TOKEN = /^\n*(\d+|-)\t(\d+|-)\t([\s\S]*)$/;

const STATUS: Record<string, ChangeStatus> = {
  A: 'added', M: 'modified', D: 'deleted', R: 'renamed', C: 'copied', T: 'type_changed', U: 'unmerged',
};

export interface LogOptions {
  /** Only commits whose committer time is after this, ms (git's cut is whole seconds). */
  since?: number | null;
}

/**
 * `git log` arguments: oldest first with parents before children (so a prefix of the walk is
 * closed under ancestry), revisions read from stdin (`--stdin`: any number of tips and exclusions).
 */
export function logArgs(gitDir: string, o: LogOptions = {}): string[] {
  return [
    // .mailmap as committed at HEAD: the same for a working tree, a bare repository and a clone.
    '-c', 'diff.relative=false', '-c', 'log.showSignature=false', '-c', 'diff.renames=true', '-c', 'mailmap.blob=HEAD:.mailmap',
    `--git-dir=${gitDir}`,
    'log', '--stdin', '--date-order', '--reverse', '--root', '-M', '--raw', '--numstat', '--no-abbrev',
    '--no-color', '--no-ext-diff', '--no-textconv', '-z', '--encoding=UTF-8', `--format=${FORMAT}`,
    ...(o.since == null ? [] : [`--max-age=${Math.floor(o.since / 1000) + 1}`]),
    '--',
  ];
}

/** A record that does not follow the format: git changed, or the output was cut. Never a guess. */
export class LogFormatError extends Error {}

type State =
  | { k: 'idle' }
  | { k: 'header'; sha: string; fields: string[] }
  | { k: 'diff' }
  | { k: 'paths'; need: number; got: string[]; done: (paths: string[]) => void };

/** Turns the NUL-separated tokens of the log into commits; a commit is complete at the next one. */
export class LogRecordReader {
  private state: State = { k: 'idle' };
  private current: GitCommit | null = null;
  private numstatAt = 0;

  /** Feeds one token; returns a commit when this token completed the previous one. */
  push(token: string): GitCommit | null {
    const s = this.state;
    if (s.k === 'header') {
      s.fields.push(token);
      if (s.fields.length === HEADER_FIELDS) this.startCommit(s.sha, s.fields);
      return null;
    }
    if (s.k === 'paths') {
      s.got.push(token);
      if (s.got.length === s.need) {
        this.state = { k: 'diff' };
        s.done(s.got);
      }
      return null;
    }
    return this.pushDiffToken(token);
  }

  end(): GitCommit | null {
    if (this.state.k === 'header' || this.state.k === 'paths') throw new LogFormatError('git log output ended inside a record');
    const done = this.current;
    this.current = null;
    this.state = { k: 'idle' };
    return done;
  }

  private pushDiffToken(token: string): GitCommit | null {
    if (token === '' || token === '\n') return null;
    const head = COMMIT_TOKEN.exec(token);
    if (head) {
      const done = this.current;
      this.current = null;
      this.state = { k: 'header', sha: head[1]!, fields: [] };
      return done;
    }
    const c = this.current;
    if (!c) throw new LogFormatError(`unexpected git log token before a commit: ${JSON.stringify(token.slice(0, 80))}`);
    const raw = RAW_TOKEN.exec(token);
    if (raw) {
      const [, , , oldBlob, newBlob, letter, score] = raw as unknown as [string, string, string, string, string, string, string];
      const two = letter === 'R' || letter === 'C';
      this.expectPaths(two ? 2 : 1, (paths) => {
        const f: FileChange = { path: paths.at(-1)!, change: STATUS[letter] ?? 'unknown', oldBlob, newBlob, added: null, deleted: null };
        if (two) f.oldPath = paths[0]!;
        if (score) f.similarity = Number(score);
        c.files.push(f);
      });
      return null;
    }
    const num = NUMSTAT_TOKEN.exec(token);
    if (num) {
      const [, add, del, rest] = num as unknown as [string, string, string, string];
      const apply = () => {
        const f = c.files[this.numstatAt++];
        if (!f) throw new LogFormatError('git log printed more --numstat lines than changed files');
        f.added = add === '-' ? null : Number(add);
        f.deleted = del === '-' ? null : Number(del);
      };
      // A rename's numstat names both paths in the two tokens that follow.
      if (rest === '') this.expectPaths(2, apply);
      else apply();
      return null;
    }
    throw new LogFormatError(`unexpected git log token: ${JSON.stringify(token.slice(0, 80))}`);
  }

  private expectPaths(need: number, done: (paths: string[]) => void): void {
    this.state = { k: 'paths', need, got: [], done };
  }

  private startCommit(sha: string, f: string[]): void {
    const [parents, at, ct, aName, aEmail, cName, cEmail, body] = f as [string, string, string, string, string, string, string, string];
    this.current = {
      sha,
      parents: parents.split(' ').filter(Boolean),
      authorName: aName,
      authorEmail: aEmail,
      authoredAt: Number(at) * 1000,
      committerName: cName,
      committerEmail: cEmail,
      committedAt: Number(ct) * 1000,
      message: body.replace(/\n+$/, ''),
      files: [],
    };
    this.numstatAt = 0;
    this.state = { k: 'diff' };
  }
}

/** Splits a byte stream on NUL and decodes each token as UTF-8 (a token never splits a character). */
export async function* nulTokens(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    const buf: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    let start = 0;
    for (let nul = buf.indexOf(0); nul !== -1; nul = buf.indexOf(0, start)) {
      yield buf.toString('utf8', start, nul);
      start = nul + 1;
    }
    rest = start < buf.length ? buf.subarray(start) : null;
  }
  if (rest) yield rest.toString('utf8');
}

/**
 * Yields the commits `revs` (stdin lines: tips, and `^sha` exclusions) select, oldest first. git's
 * output goes through a spool file under `spoolDir` (spoolGit): git runs ahead of a consumer that
 * blocks its thread.
 */
export async function* readGitLog(gitDir: string, revs: readonly string[], o: LogOptions, r: GitRunner, spoolDir: string): AsyncGenerator<GitCommit> {
  const reader = new LogRecordReader();
  const call = { args: logArgs(gitDir, o), input: revs.map((x) => `${x}\n`).join('') };
  for await (const token of nulTokens(spoolGit(call, r, { dir: spoolDir }))) {
    const done = reader.push(token);
    if (done) yield done;
  }
  const last = reader.end();
  if (last) yield last;
}
