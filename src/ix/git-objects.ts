// Reads git objects for the ingester: one long-lived `git cat-file --batch` answering requests in
// order (length-prefixed contents: nothing inside a blob can be mistaken for a header), and
// `--batch-check` to peel names to commits. Both read one name per line: only shas and ref
// names (which cannot hold a newline) are ever written to them.
import type { ChildProcess } from 'node:child_process';
import { GitError, gitOk, type GitRunner } from './git-process.js';
import { gitEnv } from './git-process.js';

/** Peels each expression (`<sha>`, `refs/tags/v1`, `HEAD`) to the commit it names; null when none. */
export async function peelToCommits(gitDir: string, exprs: readonly string[], r: GitRunner): Promise<Array<string | null>> {
  if (!exprs.length) return [];
  const input = exprs.map((e) => `${e}^{commit}\n`).join('');
  const out = await gitOk({ args: [`--git-dir=${gitDir}`, 'cat-file', '--batch-check=%(objectname) %(objecttype)'], input }, r);
  const lines = out.split('\n');
  return exprs.map((_, i) => {
    const m = /^([0-9a-f]{40}|[0-9a-f]{64}) commit$/.exec(lines[i] ?? '');
    return m ? m[1]! : null;
  });
}

interface Pending {
  resolve: (b: Buffer | null) => void;
  reject: (e: unknown) => void;
}

/** A `git cat-file --batch` process: read(sha) resolves with the object's bytes (null if missing). */
export class GitObjectReader {
  private child: ChildProcess | null = null;
  private readonly queue: Pending[] = [];
  private buf: Buffer = Buffer.alloc(0);
  private failed: unknown = null;

  constructor(
    private readonly gitDir: string,
    private readonly r: GitRunner,
  ) {}

  read(sha: string): Promise<Buffer | null> {
    if (!/^[0-9a-f]{40,64}$/.test(sha)) return Promise.resolve(null);
    if (this.failed) return Promise.reject(this.failed);
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      child.stdin!.write(`${sha}\n`);
    });
  }

  close(): void {
    this.child?.stdin?.end();
    if (this.child && this.child.exitCode === null) this.child.kill('SIGTERM');
    this.child = null;
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    this.r.signal?.throwIfAborted();
    const child = this.r.spawn('git', [`--git-dir=${this.gitDir}`, 'cat-file', '--batch'], {
      env: gitEnv(),
      stdio: ['pipe', 'pipe', 'ignore'],
      shell: false,
    });
    child.stdin!.on('error', () => {});
    child.stdout!.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.drain();
    });
    const fail = (err: unknown) => {
      this.failed = err;
      for (const p of this.queue.splice(0)) p.reject(err);
    };
    child.on('error', (err) => fail(new GitError('cat-file', null, `cannot run git: ${err.message}`)));
    child.on('close', (code) => this.queue.length && fail(new GitError('cat-file', code, 'git cat-file stopped')));
    const onAbort = () => this.close();
    this.r.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('close', () => this.r.signal?.removeEventListener('abort', onAbort));
    this.child = child;
    return child;
  }

  /** Answers as many queued requests as the buffer holds. */
  private drain(): void {
    while (this.queue.length) {
      const nl = this.buf.indexOf(10);
      if (nl === -1) return;
      const header = this.buf.toString('utf8', 0, nl);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.buf = this.buf.subarray(nl + 1);
        this.queue.shift()!.resolve(null);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      if (!Number.isSafeInteger(size)) {
        this.failed = new GitError('cat-file', null, `unexpected cat-file header: ${header.slice(0, 100)}`);
        for (const p of this.queue.splice(0)) p.reject(this.failed);
        return;
      }
      if (this.buf.length < nl + 1 + size + 1) return;
      const body = Buffer.from(this.buf.subarray(nl + 1, nl + 1 + size));
      this.buf = this.buf.subarray(nl + 1 + size + 1);
      this.queue.shift()!.resolve(body);
    }
  }
}
