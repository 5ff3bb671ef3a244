// The git ingester behind `ixgest.git`: streams `git log` (never the whole history in memory)
// and turns each commit into attestations (vocabulary in docs/ix.md). Git runs without a shell.
import { spawn as nodeSpawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import { looksLikeGitUrl } from './parser.js';

export interface GitAttestation {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  timestamp: number;
  attributes: Record<string, unknown>;
}

export interface GitIngestOptions {
  source: string;
  cacheDir: string;
  /** Only commits whose committer time is after this, ms. */
  since?: number | null;
  /** Commits and authors only: no child_of (parents) and no modifies (paths). */
  noDeps?: boolean;
  signal?: AbortSignal;
  batchSize?: number;
  onBatch: (batch: GitAttestation[]) => Promise<void>;
  onProgress?: (current: number, total: number | null) => void;
  spawn?: typeof nodeSpawn;
}

export interface GitIngestResult {
  commits: number;
  attestations: number;
  /** The newest committer time seen, ms (for --since last_run). */
  newest: number | null;
  repo: string;
}

const RS = '\x1e';
const US = '\x1f';
const MAX_PATHS = 256;
const ACTOR = ['ixgest.git'];

type Spawn = typeof nodeSpawn;

function git(spawn: Spawn, args: string[], signal?: AbortSignal): ChildProcessWithoutNullStreams {
  return spawn('git', ['-c', 'core.quotepath=off', ...args], {
    env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', LC_ALL: 'C' },
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  }) as ChildProcessWithoutNullStreams;
}

/** Runs git to completion; resolves stdout, rejects with stderr. */
function gitOutput(spawn: Spawn, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = git(spawn, args, signal);
    c.stdin.end();
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('error', reject);
    c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(err.trim() || `git exited with ${code}`))));
  });
}

/** A local repository path, or a clone of a URL kept up to date in the cache. Returns the git dir. */
async function resolveRepo(o: GitIngestOptions, spawn: Spawn): Promise<{ gitDir: string; name: string }> {
  if (looksLikeGitUrl(o.source) && !fs.existsSync(o.source)) {
    const dir = path.join(o.cacheDir, createHash('sha256').update(o.source).digest('hex').slice(0, 24) + '.git');
    fs.mkdirSync(o.cacheDir, { recursive: true });
    try {
      if (fs.existsSync(dir)) await gitOutput(spawn, ['--git-dir', dir, 'fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/heads/*'], o.signal);
      else await gitOutput(spawn, ['clone', '--bare', '--quiet', '--', o.source, dir], o.signal);
    } catch (err) {
      throw new ValidationError(`cannot clone ${o.source}: ${(err as Error).message.split('\n')[0]}`, {
        details: [`source=${o.source}`],
        hint: 'check the URL and that this machine can reach it',
      });
    }
    return { gitDir: dir, name: o.source };
  }
  const abs = path.resolve(o.source);
  try {
    const gitDir = (await gitOutput(spawn, ['-C', abs, 'rev-parse', '--absolute-git-dir'], o.signal)).trim();
    return { gitDir, name: abs };
  } catch {
    throw new ValidationError(`not a git repository: ${o.source}`, {
      details: [`source=${o.source}`],
      hint: 'give a local path that holds a .git directory, or a repository URL',
    });
  }
}

export function commitAttestations(repo: string, rec: string, noDeps: boolean): { list: GitAttestation[]; time: number } | null {
  const [head, ...rest] = rec.split('\n');
  const f = head!.split(US);
  if (f.length < 6 || !/^[0-9a-f]{40,64}$/.test(f[0]!)) return null;
  const [sha, parents, name, email, ct] = f as [string, string, string, string, string];
  const subject = f.slice(5).join(US);
  const time = Number(ct) * 1000;
  const base = { actors: ACTOR, timestamp: time };
  const author = email || name || 'unknown';
  const list: GitAttestation[] = [
    { ...base, subjects: [sha], predicates: ['commit'], contexts: [repo], attributes: { message: subject, author_name: name, author_email: email } },
    { ...base, subjects: [sha], predicates: ['authored_by'], contexts: [author], attributes: { author_name: name } },
  ];
  if (!noDeps) {
    const ps = parents.split(' ').filter(Boolean);
    if (ps.length) list.push({ ...base, subjects: [sha], predicates: ['child_of'], contexts: ps, attributes: {} });
    const paths = [...new Set(rest.filter((l) => l.length > 0))];
    for (let i = 0; i < paths.length; i += MAX_PATHS) {
      list.push({ ...base, subjects: [sha], predicates: ['modifies'], contexts: paths.slice(i, i + MAX_PATHS), attributes: { repo } });
    }
  }
  return { list, time };
}

export async function ingestGit(o: GitIngestOptions): Promise<GitIngestResult> {
  const spawn = o.spawn ?? nodeSpawn;
  const { gitDir, name } = await resolveRepo(o, spawn);
  const sinceArgs = o.since ? [`--since=@${Math.floor(o.since / 1000)}`] : [];
  const total = Number((await gitOutput(spawn, ['--git-dir', gitDir, 'rev-list', '--count', '--all', ...sinceArgs], o.signal).catch(() => '')).trim()) || null;
  const fmt = `--format=${RS}%H${US}%P${US}%an${US}%ae${US}%ct${US}%s`;
  const args = ['--git-dir', gitDir, 'log', '--all', '--date-order', fmt, ...(o.noDeps ? [] : ['--name-only']), ...sinceArgs];
  const child = git(spawn, args, o.signal);
  child.stdin.end();
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const res: GitIngestResult = { commits: 0, attestations: 0, newest: null, repo: name };
  let batch: GitAttestation[] = [];
  const size = o.batchSize ?? 2000;
  const take = async (rec: string) => {
    const c = commitAttestations(name, rec, o.noDeps ?? false);
    if (!c || (o.since && c.time <= o.since)) return;
    res.commits++;
    res.newest = Math.max(res.newest ?? 0, c.time);
    batch.push(...c.list);
    if (batch.length >= size) {
      const b = batch;
      batch = [];
      await o.onBatch(b);
      res.attestations += b.length;
      o.onProgress?.(res.commits, total);
    }
  };
  let carry = '';
  child.stdout.setEncoding('utf8');
  for await (const chunk of child.stdout as AsyncIterable<string>) {
    const parts = (carry + chunk).split(RS);
    carry = parts.pop()!;
    for (const p of parts) if (p.trim()) await take(p);
  }
  if (carry.trim()) await take(carry);
  const code = await closed;
  if (code !== 0) {
    // An empty repository has no HEAD: that is zero commits, not an error.
    if (!/does not have any commits|bad default revision/.test(stderr)) throw new Error(`git log failed: ${stderr.trim() || code}`);
  }
  if (batch.length) {
    await o.onBatch(batch);
    res.attestations += batch.length;
  }
  o.onProgress?.(res.commits, total ?? res.commits);
  return res;
}
