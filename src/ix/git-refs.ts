// The tips of a repository the ingester walks from: branches, tags, HEAD and, with --remotes,
// remote-tracking branches, each peeled to its commit; and the shallow boundary, when there is one.
import fs from 'node:fs/promises';
import path from 'node:path';
import { gitOk, type GitRunner } from './git-process.js';
import { peelToCommits } from './git-objects.js';

export interface GitRef {
  /** Full name: refs/heads/main, refs/tags/v1.0, refs/remotes/origin/dev, or HEAD when detached. */
  name: string;
  /** The commit it points to (tags peeled). */
  commit: string;
}

export type RefKind = 'branch' | 'tag' | 'remote' | 'head';

export function refKind(name: string): RefKind {
  if (name.startsWith('refs/heads/')) return 'branch';
  if (name.startsWith('refs/tags/')) return 'tag';
  if (name.startsWith('refs/remotes/')) return 'remote';
  return 'head';
}

/**
 * Every ref that names a commit, sorted by name. Symbolic refs (refs/remotes/origin/HEAD) are left
 * out: they repeat another ref. HEAD counts only when detached (else it repeats its branch).
 */
export async function listRefs(gitDir: string, o: { remotes: boolean }, r: GitRunner): Promise<GitRef[]> {
  const patterns = ['refs/heads/', 'refs/tags/', ...(o.remotes ? ['refs/remotes/'] : [])];
  // NUL after each field: ref names cannot hold NUL or a newline (git check-ref-format).
  const out = await gitOk({ args: [`--git-dir=${gitDir}`, 'for-each-ref', '--format=%(refname)%00%(symref)%00', ...patterns] }, r);
  const tokens = out.split('\0').map((t) => t.replace(/^\n/, ''));
  const names: string[] = [];
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    if (tokens[i] && !tokens[i + 1]) names.push(tokens[i]!);
  }
  const head = await gitOk({ args: [`--git-dir=${gitDir}`, 'symbolic-ref', '-q', 'HEAD'] }, r).catch(() => '');
  const detached = head.trim() === '';
  const exprs = detached ? [...names, 'HEAD'] : names;
  const commits = await peelToCommits(gitDir, exprs, r);
  const refs: GitRef[] = [];
  exprs.forEach((name, i) => {
    const commit = commits[i];
    if (commit) refs.push({ name, commit });
  });
  return refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The commits at a shallow clone's boundary (their parents are not in the repository). */
export async function shallowCommits(gitDir: string): Promise<Set<string>> {
  const text = await fs.readFile(path.join(gitDir, 'shallow'), 'utf8').catch(() => '');
  return new Set(text.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l)));
}

/** A commit's parents as its object records them (a shallow boundary's log shows none). */
export function parentsOf(commitObject: Buffer): string[] {
  const text = commitObject.toString('utf8', 0, Math.min(commitObject.length, 64 * 1024));
  const end = text.indexOf('\n\n');
  const header = end === -1 ? text : text.slice(0, end);
  return header
    .split('\n')
    .filter((l) => l.startsWith('parent '))
    .map((l) => l.slice(7));
}
