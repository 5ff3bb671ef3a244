// The git ingester behind the `ixgest.git` job: opens (or clones) a repository and walks the
// commits reachable from its tips and not from the commits it is told are done (`exclude`: the
// tips of the last run, the frontier of a failed one), oldest first with parents before children,
// handing attestations to `onBatch` with the frontier of what was ingested so far.
import { spawn as nodeSpawn } from 'node:child_process';
import { ValidationError } from '../errors.js';
import { dependencyAttestations, ManifestReader } from './git-deps.js';
import { readGitLog, type GitCommit } from './git-log.js';
import { GitObjectReader, peelToCommits } from './git-objects.js';
import { runGit, type GitRunner } from './git-process.js';
import { listRefs, parentsOf, shallowCommits, type GitRef } from './git-refs.js';
import type { GitSince } from './git-since.js';
import { openRepository } from './git-source.js';
import { commitAttestations, type GitAttestation } from './git-vocabulary.js';

export { GIT_ACTOR, GIT_PREDICATES, commitAttestations, type GitAttestation } from './git-vocabulary.js';

/** Where the run stands after a batch. */
export interface GitBatchInfo {
  /** Commits ingested so far, this batch included. */
  commits: number;
  /**
   * Ingested commits with no ingested child yet: with the excluded commits, they bound what is done
   * (a walk's prefix holds every ancestor it reaches), so `exclude` them to resume.
   */
  heads: string[];
}

export interface GitIngestOptions {
  /** A local path (working tree or bare), or a URL (https://, ssh://, git://, file://, git@host:path). */
  source: string;
  /**
   * URLs are cloned bare into `<cacheDir>/<hash>` and fetched on later runs; `git log` output is
   * spooled through a private directory there while the walk runs (removed at its end).
   */
  cacheDir: string;
  /**
   * Commits already ingested: they and their ancestors are not walked. Unknown shas are ignored.
   * A function gets the repository's shallow boundary first (history may have grown behind it).
   */
  exclude?: readonly string[] | ((shallow: readonly string[]) => readonly string[]);
  /** An explicit filter: commits after a time, or not reachable from a commit. */
  since?: GitSince | null;
  /** Also walk remote-tracking branches (refs/remotes/*). */
  remotes?: boolean;
  /** Read dependency manifests at the commits that change them (default true). */
  manifests?: boolean;
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
  /** The newest committer time ingested, ms; null when none. */
  newest: number | null;
  /** The repository's name as used in contexts: the absolute path, or the URL without credentials. */
  repo: string;
  /** The refs at the start of the walk: everything reachable from them is now done. */
  refs: GitRef[];
  /** The shallow boundary at the start of the walk. */
  shallow: string[];
}

export const DEFAULT_BATCH_SIZE = 1000;

/** The commit count for progress; null when git cannot tell. */
async function countCommits(gitDir: string, revs: string[], since: number | null, r: GitRunner): Promise<number | null> {
  const age = since === null ? [] : [`--max-age=${Math.floor(since / 1000) + 1}`];
  const input = revs.map((x) => `${x}\n`).join('');
  const out = await runGit({ args: [`--git-dir=${gitDir}`, 'rev-list', '--count', ...age, '--stdin'], input }, r);
  const n = Number(out.stdout.trim());
  return out.code === 0 && Number.isInteger(n) ? n : null;
}

/** The `^sha` exclusions that exist in this repository (a rewritten history may have lost some). */
async function exclusions(gitDir: string, o: GitIngestOptions, shallow: readonly string[], r: GitRunner): Promise<string[]> {
  const given = typeof o.exclude === 'function' ? o.exclude(shallow) : (o.exclude ?? []);
  const shas = [...new Set(given.filter((s) => /^[0-9a-f]{40,64}$/.test(s)))];
  const out = (await peelToCommits(gitDir, shas, r)).filter((s): s is string => s !== null);
  if (o.since?.kind === 'commit') {
    const [sha] = await peelToCommits(gitDir, [o.since.sha], r);
    if (!sha) {
      throw new ValidationError(`unknown commit for --since: ${o.since.sha}`, {
        details: [`since=${o.since.sha}`],
        hint: 'give a commit of this repository (its full sha, or an unambiguous prefix), or a date',
      });
    }
    out.push(sha);
  }
  return out;
}

export async function ingestGit(o: GitIngestOptions): Promise<GitIngestResult> {
  const r: GitRunner = { spawn: o.spawn ?? nodeSpawn, signal: o.signal };
  const repo = await openRepository(o.source, o.cacheDir, r);
  const refs = await listRefs(repo.gitDir, { remotes: o.remotes ?? false }, r);
  const shallow = await shallowCommits(repo.gitDir);
  const res: GitIngestResult = { commits: 0, attestations: 0, newest: null, repo: repo.name, refs, shallow: [...shallow] };
  const tips = [...new Set(refs.map((x) => x.commit))];
  if (!tips.length) return res;
  const since = o.since?.kind === 'time' ? o.since.ms : null;
  const revs = [...tips, ...(await exclusions(repo.gitDir, o, res.shallow, r)).map((s) => `^${s}`)];
  const total = await countCommits(repo.gitDir, revs, since, r);
  o.onProgress?.(0, total);
  const objects = new GitObjectReader(repo.gitDir, r);
  const manifests = o.manifests === false ? null : new ManifestReader(objects);
  const heads = new Set<string>();
  const size = Math.max(1, o.batchSize ?? DEFAULT_BATCH_SIZE);
  let batch: GitAttestation[] = [];
  const flush = async () => {
    if (!batch.length) return;
    o.signal?.throwIfAborted();
    const b = batch;
    batch = [];
    await o.onBatch(b, { commits: res.commits, heads: [...heads] });
    res.attestations += b.length;
    o.onProgress?.(res.commits, total);
  };
  try {
    for await (const c of readGitLog(repo.gitDir, revs, { since }, r, o.cacheDir)) {
      for (const p of c.parents) heads.delete(p);
      heads.add(c.sha);
      if (since !== null && c.committedAt <= since) continue; // git's --max-age is in whole seconds
      batch.push(...(await commitFacts(c, repo.name, shallow.has(c.sha), objects, manifests)));
      res.commits++;
      res.newest = Math.max(res.newest ?? c.committedAt, c.committedAt);
      if (batch.length >= size) await flush();
    }
    await flush();
  } finally {
    objects.close();
  }
  o.onProgress?.(res.commits, total === null ? res.commits : Math.max(total, res.commits));
  return res;
}

async function commitFacts(c: GitCommit, repo: string, shallow: boolean, objects: GitObjectReader, manifests: ManifestReader | null): Promise<GitAttestation[]> {
  if (shallow) {
    // git shows a boundary commit without parents; its object still names them.
    const raw = await objects.read(c.sha);
    return commitAttestations({ ...c, parents: raw ? parentsOf(raw) : c.parents, files: [] }, repo, { shallow: true });
  }
  const facts = commitAttestations(c, repo, { shallow: false });
  if (manifests) facts.push(...(await dependencyAttestations(c, repo, manifests)));
  return facts;
}
