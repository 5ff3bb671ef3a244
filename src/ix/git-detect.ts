// Which words name a git repository: the parser's reading of `ix <repo>` and the
// ingester's choice between a local repository and a URL to clone.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** URL schemes git is allowed to fetch from (also GIT_ALLOW_PROTOCOL for every git we run). */
export const GIT_URL_SCHEMES = ['https', 'http', 'ssh', 'git', 'file'] as const;

const GIT_SCHEME_URL = /^(https?|ssh|git|file):\/\/\S+$/i;
const ANY_SCHEME_URL = /^[a-z][a-z0-9+.-]*:\/\//i;
/** scp-like syntax: user@host:path (git@github.com:owner/repo.git). */
const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/)\S+$/;
/** Forges whose repository pages are clone URLs as they stand. */
const FORGE_URL = /^https?:\/\/(www\.)?(github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)\/[^/\s]+\/[^/\s]+/i;
const ENDS_IN_GIT = /\.git\/?$/i;

/** A URL git can clone: http(s)://, ssh://, git://, file://, or user@host:path. */
export function isGitUrl(word: string): boolean {
  return GIT_SCHEME_URL.test(word) || SCP_LIKE.test(word);
}

/** A URL with a scheme git is not allowed to use here (ftp://, ext::… has no `//` and is a path). */
export function isOtherSchemeUrl(word: string): boolean {
  return ANY_SCHEME_URL.test(word) && !GIT_SCHEME_URL.test(word);
}

/** Reads as a path, not a name: `.`, `..`, or holds a `/`. */
export function isPathLike(word: string): boolean {
  return word === '.' || word === '..' || word.includes('/');
}

/** A working tree (holds `.git`, a directory or a gitfile) or a bare repository. */
export function isGitRepoPath(p: string): boolean {
  if (!p || p.includes('\0')) return false;
  const abs = path.resolve(p);
  const stat = (name: string) => fs.statSync(path.join(abs, name), { throwIfNoEntry: false });
  try {
    if (stat('.git')) return true;
    return !!stat('HEAD')?.isFile() && !!stat('objects')?.isDirectory() && !!stat('refs')?.isDirectory();
  } catch {
    return false;
  }
}

function fileUrlPath(url: string): string | null {
  try {
    return fileURLToPath(url);
  } catch {
    return null;
  }
}

/**
 * Whether the first word of an ix command names a repository: a URL ending in `.git`, a forge
 * page (`https://github.com/o/r`), `git@host:path`, `ssh://` or `git://`, a `file://` URL
 * ending in `.git` or naming a repository, a word ending in `.git`, or a path (`./x`, `/x`,
 * `a/b`, `.`) holding a repository. Only paths touch the file system, through `isRepoPath`.
 */
export function looksLikeGitRepo(word: string, isRepoPath: (p: string) => boolean = isGitRepoPath): boolean {
  if (SCP_LIKE.test(word)) return true;
  if (/^(ssh|git):\/\/\S/i.test(word)) return true;
  if (/^https?:\/\/\S/i.test(word)) return ENDS_IN_GIT.test(word) || FORGE_URL.test(word);
  if (/^file:\/\/\S/i.test(word)) {
    if (ENDS_IN_GIT.test(word)) return true;
    const p = fileUrlPath(word);
    return p !== null && isRepoPath(p);
  }
  if (ANY_SCHEME_URL.test(word)) return false;
  if (ENDS_IN_GIT.test(word) && word.length > 4) return true;
  return isPathLike(word) && isRepoPath(word);
}

/**
 * The words of an `ix` command (after `ix`) with a local repository path made absolute against
 * `cwd`: `./repo`, `git ../r`. The CLI does this before scheduling, so the schedule names the
 * repository the caller meant wherever the job runs.
 */
export function absoluteRepoWords(words: readonly string[], cwd: string, isRepoPath: (p: string) => boolean = isGitRepoPath): string[] {
  const out = [...words];
  const at = out[0] === 'git' ? 1 : 0;
  const w = out[at];
  if (w === undefined || isGitUrl(w) || ANY_SCHEME_URL.test(w) || w.startsWith('--')) return out;
  const abs = path.resolve(cwd, w);
  if ((at === 1 || isPathLike(w)) && isRepoPath(abs)) out[at] = abs;
  return out;
}
