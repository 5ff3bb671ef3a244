// Where ixgest.git reads commits from: a local repository in place, or a URL cloned bare into
// `<cacheDir>/<hash>` once and fetched on every later run. Also the repository's stable name.
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { MAX_VALUE_BYTES } from '../ats/types.js';
import { ValidationError } from '../errors.js';
import { isGitUrl, isOtherSchemeUrl } from './git-detect.js';
import { GitError, firstLine, gitOk, runGit, type GitRunner } from './git-process.js';

export interface GitRepository {
  /** Absolute path of the git directory (`.git`, or the bare repository). */
  gitDir: string;
  /** The stable name used as context: the absolute path, or the URL without credentials. */
  name: string;
  cloned: boolean;
}

const SOURCE_HINT = 'give the path of a git working tree (holding .git) or of a bare repository, or a URL: https://…, git@host:path, ssh://…, file://…';
/** What git says when the other end is not a repository: no retry will fix that. */
const NOT_A_REPO = /does not appear to be a git repository|not a git repository|repository .* not found|Repository not found|does not exist|No such file or directory/i;

export function notARepository(source: string, reason = ''): ValidationError {
  return new ValidationError(`not a git repository: ${source}`, {
    details: [`source=${source}`, ...(reason ? [`reason=${reason}`] : [])],
    hint: SOURCE_HINT,
  });
}

/** The URL as a name: credentials (`https://user:token@host/…`) never reach an attestation. */
export function redactUrl(url: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(url)) return url;
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/]*@/, '//');
  }
}

function checkSource(source: string): void {
  if (!source || source.includes('\0') || Buffer.byteLength(source) > MAX_VALUE_BYTES) {
    throw new ValidationError('invalid repository source', { details: [`source=${source.replace(/\0/g, '\\0').slice(0, 200)}`], hint: SOURCE_HINT });
  }
  if (isOtherSchemeUrl(source)) {
    throw new ValidationError(`unsupported repository URL: ${redactUrl(source)}`, { details: [`source=${redactUrl(source)}`], hint: SOURCE_HINT });
  }
}

/** The repository's stable name, as ingested attestations use it: the absolute path, or the URL without credentials. */
export function repositoryName(source: string): string {
  return isGitUrl(source) ? redactUrl(source) : path.resolve(source);
}

/** Opens the repository `source` names, cloning or fetching a URL first. */
export async function openRepository(source: string, cacheDir: string, r: GitRunner): Promise<GitRepository> {
  checkSource(source);
  return isGitUrl(source) ? cloneOrFetch(source, cacheDir, r) : openLocal(source, r);
}

async function openLocal(source: string, r: GitRunner): Promise<GitRepository> {
  const abs = path.resolve(source);
  const stat = await fs.stat(abs).catch(() => null);
  if (!stat?.isDirectory()) throw notARepository(source, stat ? 'not a directory' : 'no such directory');
  // The ceiling stops git from walking up: a plain folder inside some checkout is still no repository.
  const out = await runGit({ args: ['rev-parse', '--absolute-git-dir'], cwd: abs, env: { GIT_CEILING_DIRECTORIES: path.dirname(abs) } }, r);
  if (out.code !== 0) throw notARepository(source, /not a git repository/i.test(out.stderr) ? '' : firstLine(out.stderr));
  // Only git's own line end goes: a directory name may end in spaces.
  return { gitDir: out.stdout.replace(/\n$/, ''), name: abs, cloned: false };
}

async function isRepositoryDir(dir: string): Promise<boolean> {
  const head = await fs.stat(path.join(dir, 'HEAD')).catch(() => null);
  return !!head?.isFile();
}

function cloneFailure(url: string, err: GitError): Error {
  return NOT_A_REPO.test(err.stderr) ? notARepository(redactUrl(url), firstLine(err.stderr)) : err;
}

async function cloneOrFetch(url: string, cacheDir: string, r: GitRunner): Promise<GitRepository> {
  const dir = path.join(cacheDir, createHash('sha256').update(url).digest('hex').slice(0, 32));
  const repo = { gitDir: dir, name: redactUrl(url), cloned: true };
  await fs.mkdir(cacheDir, { recursive: true });
  try {
    if ((await isRepositoryDir(dir)) && (await isPartialClone(dir, r))) await fs.rm(dir, { recursive: true, force: true });
    if (await isRepositoryDir(dir)) await fetch(dir, r);
    else await clone(url, dir, r);
  } catch (err) {
    throw err instanceof GitError ? cloneFailure(url, err) : err;
  }
  return repo;
}

/** A blob-less clone of an earlier version: line counts and manifests would fetch blob by blob. */
async function isPartialClone(dir: string, r: GitRunner): Promise<boolean> {
  const out = await runGit({ args: [`--git-dir=${dir}`, 'config', '--get', 'remote.origin.promisor'] }, r);
  return out.code === 0 && out.stdout.trim() === 'true';
}

async function fetch(dir: string, r: GitRunner): Promise<void> {
  const refspecs = ['+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
  await gitOk({ args: [`--git-dir=${dir}`, 'fetch', '--quiet', '--prune', 'origin', ...refspecs] }, r);
}

/** Clones into a temporary directory renamed into place, so a half-made clone is never used. */
async function clone(url: string, dir: string, r: GitRunner): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    // A whole clone: line counts (--numstat) and manifests read blobs, and a blob-less clone would
    // fetch them one round trip at a time.
    await gitOk({ args: ['clone', '--bare', '--quiet', '--', url, tmp] }, r);
    await fs.rename(tmp, dir).catch(async (err: unknown) => {
      if (!(await isRepositoryDir(dir))) throw err; // else another run cloned it first: use theirs
    });
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
}
