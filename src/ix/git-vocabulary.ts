// What ixgest.git says about one commit C of repository R, as attestations (docs/ix.md, "Git
// vocabulary"): C is commit of R; authored_by / committed_by of <email>; child_of of <parents>;
// modifies of <path> (one per file, with its change kind and line counts). Every attestation
// carries `repo` (an indexed attribute: `attr.repo=R`).
import { MAX_VALUE_BYTES, MAX_VALUES_PER_FIELD } from '../ats/types.js';
import type { FileChange, GitCommit } from './git-log.js';

export interface GitAttestation {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  timestamp: number;
  attributes: Record<string, unknown>;
}

export const GIT_ACTOR = 'ixgest.git';
export const GIT_PREDICATES = {
  commit: 'commit',
  authoredBy: 'authored_by',
  committedBy: 'committed_by',
  childOf: 'child_of',
  modifies: 'modifies',
  pointsTo: 'points_to',
} as const;

/** Longest message kept whole, in characters; longer ones are cut and flagged. */
export const MAX_MESSAGE_CHARS = 256 * 1024;

export interface CommitContext {
  /** A shallow clone's boundary: its parents are not in the repository, its diff would be the whole tree. */
  shallow: boolean;
}

const fits = (v: string) => v.trim().length > 0 && Buffer.byteLength(v) <= MAX_VALUE_BYTES;

/** A person as a context: the email, lower-cased; the name when there is no email. */
export function personKey(name: string, email: string): string {
  const key = email.trim().toLowerCase() || name.trim() || 'unknown';
  return fits(key) ? key : key.slice(0, 500);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function sum(files: FileChange[], k: 'added' | 'deleted'): number | null {
  let n = 0;
  for (const f of files) {
    if (f[k] === null) continue;
    n += f[k]!;
  }
  return files.length ? n : 0;
}

function commitAttributes(c: GitCommit, repo: string, x: CommitContext): Record<string, unknown> {
  const cut = c.message.length > MAX_MESSAGE_CHARS;
  return {
    subject: c.message.split('\n', 1)[0] ?? '',
    message: cut ? c.message.slice(0, MAX_MESSAGE_CHARS) : c.message,
    ...(cut ? { message_truncated: true } : {}),
    author_name: c.authorName,
    author_email: c.authorEmail,
    committer_name: c.committerName,
    committer_email: c.committerEmail,
    authored_at: c.authoredAt,
    committed_at: c.committedAt,
    parents: c.parents,
    ...(x.shallow ? { shallow: true } : { files_changed: c.files.length, lines_added: sum(c.files, 'added'), lines_deleted: sum(c.files, 'deleted') }),
    repo,
  };
}

function fileAttestation(f: FileChange, base: Omit<GitAttestation, 'predicates' | 'contexts' | 'attributes'>, repo: string): GitAttestation | null {
  if (!fits(f.path)) return null; // a path over the store's limit is counted in files_changed, not stored
  const old = f.oldPath !== undefined && f.oldPath !== f.path && fits(f.oldPath) ? f.oldPath : undefined;
  return {
    ...base,
    predicates: [GIT_PREDICATES.modifies],
    // A rename is found under both paths: "who changed the old file" includes the commit that moved it.
    contexts: old !== undefined && f.change === 'renamed' ? [f.path, old] : [f.path],
    attributes: {
      change: f.change,
      lines_added: f.added,
      lines_deleted: f.deleted,
      ...(f.oldPath !== undefined ? { old_path: f.oldPath } : {}),
      ...(f.similarity !== undefined ? { similarity: f.similarity } : {}),
      repo,
    },
  };
}

export function commitAttestations(c: GitCommit, repo: string, x: CommitContext): GitAttestation[] {
  const base = { subjects: [c.sha], actors: [GIT_ACTOR], timestamp: c.committedAt };
  const out: GitAttestation[] = [
    { ...base, predicates: [GIT_PREDICATES.commit], contexts: [repo], attributes: commitAttributes(c, repo, x) },
    { ...base, predicates: [GIT_PREDICATES.authoredBy], contexts: [personKey(c.authorName, c.authorEmail)], attributes: { author_name: c.authorName, repo } },
    {
      ...base,
      predicates: [GIT_PREDICATES.committedBy],
      contexts: [personKey(c.committerName, c.committerEmail)],
      attributes: { committer_name: c.committerName, repo },
    },
  ];
  for (const parents of chunks(c.parents, MAX_VALUES_PER_FIELD)) {
    out.push({ ...base, predicates: [GIT_PREDICATES.childOf], contexts: parents, attributes: { repo, ...(x.shallow ? { shallow: true } : {}) } });
  }
  if (x.shallow) return out;
  for (const f of c.files) {
    const a = fileAttestation(f, base, repo);
    if (a) out.push(a);
  }
  return out;
}
