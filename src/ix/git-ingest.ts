// The git ingester behind the `ixgest.git` job: opens (or clones) a repository, streams its
// history oldest first and hands the attestations to `onBatch` in batches, with progress.
import { spawn as nodeSpawn } from 'node:child_process';
import { runGit, type GitRunner } from './git-process.js';
import { readGitLog } from './git-log.js';
import { openRepository } from './git-source.js';
import { commitAttestations, type GitAttestation } from './git-vocabulary.js';

export { GIT_ACTOR, GIT_PREDICATES, commitAttestations, type GitAttestation } from './git-vocabulary.js';

/** Where the run stands after a batch: enough to resume after a failure without duplicates. */
export interface GitBatchInfo {
  /** Commits ingested so far, this batch included. */
  commits: number;
  /** The newest commit time (ms) ingested so far: a safe `since` for a retry. */
  newest: number | null;
}

export interface GitIngestOptions {
  /** A local path (working tree or bare), or a URL (https://, ssh://, git://, file://, git@host:path). */
  source: string;
  /** URLs are cloned bare into `<cacheDir>/<hash>` and fetched on later runs. */
  cacheDir: string;
  /** Only commits whose committer time is after this, ms. */
  since?: number | null;
  /** No child_of attestations (the parent links) and no `parents` attribute. */
  noDeps?: boolean;
  signal?: AbortSignal;
  /** Attestations a batch holds before it is handed over (a commit is never split). Default 1000. */
  batchSize?: number;
  onBatch: (batch: GitAttestation[], info: GitBatchInfo) => Promise<void>;
  onProgress?: (current: number, total: number | null) => void;
  spawn?: typeof nodeSpawn;
}

export interface GitIngestResult {
  commits: number;
  attestations: number;
  /** The newest committer time ingested, ms (for --since last_run); null when none. */
  newest: number | null;
  /** The repository's name as used in contexts: the absolute path, or the URL without credentials. */
  repo: string;
}

export const DEFAULT_BATCH_SIZE = 1000;

/** All branches and tags, and HEAD when it is a commit (a detached HEAD counts too). */
async function startingPoints(gitDir: string, r: GitRunner): Promise<string[]> {
  const head = await runGit({ args: [`--git-dir=${gitDir}`, 'rev-parse', '--verify', '--quiet', 'HEAD^{commit}'] }, r);
  return ['--branches', '--tags', ...(head.code === 0 ? ['HEAD'] : [])];
}

/** The commit count for progress; null when git cannot tell quickly. */
async function countCommits(gitDir: string, revs: string[], since: number | null, r: GitRunner): Promise<number | null> {
  const age = since === null ? [] : [`--max-age=${Math.floor(since / 1000) + 1}`];
  const out = await runGit({ args: [`--git-dir=${gitDir}`, 'rev-list', '--count', ...age, ...revs, '--'] }, r);
  const n = Number(out.stdout.trim());
  return out.code === 0 && Number.isInteger(n) ? n : null;
}

export async function ingestGit(o: GitIngestOptions): Promise<GitIngestResult> {
  const r: GitRunner = { spawn: o.spawn ?? nodeSpawn, signal: o.signal };
  const repo = await openRepository(o.source, o.cacheDir, r);
  const since = o.since ?? null;
  const revs = await startingPoints(repo.gitDir, r);
  const total = await countCommits(repo.gitDir, revs, since, r);
  o.onProgress?.(0, total);
  const res: GitIngestResult = { commits: 0, attestations: 0, newest: null, repo: repo.name };
  const size = Math.max(1, o.batchSize ?? DEFAULT_BATCH_SIZE);
  let batch: GitAttestation[] = [];
  const flush = async () => {
    if (!batch.length) return;
    o.signal?.throwIfAborted();
    const b = batch;
    batch = [];
    await o.onBatch(b, { commits: res.commits, newest: res.newest });
    res.attestations += b.length;
    o.onProgress?.(res.commits, total);
  };
  for await (const c of readGitLog(repo.gitDir, revs, since, r)) {
    if (since !== null && c.committedAt <= since) continue; // git's --max-age is in whole seconds
    for (const a of commitAttestations(c, repo.name, { noDeps: o.noDeps ?? false })) batch.push(a);
    res.commits++;
    res.newest = Math.max(res.newest ?? c.committedAt, c.committedAt);
    if (batch.length >= size) await flush();
  }
  await flush();
  o.onProgress?.(res.commits, total === null ? res.commits : Math.max(total, res.commits));
  return res;
}
