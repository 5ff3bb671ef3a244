// What ixgest.git says about one commit, as attestations (docs/ix.md, "Git vocabulary"):
// C is commit of R, C is authored_by of <email>, C is child_of of <parents>, C is modifies of <paths>.
import { MAX_VALUE_BYTES, MAX_VALUES_PER_FIELD } from '../ats/types.js';
import type { GitCommit } from './git-log.js';

export interface GitAttestation {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  timestamp: number;
  attributes: Record<string, unknown>;
}

export const GIT_ACTOR = 'ixgest.git';
export const GIT_PREDICATES = { commit: 'commit', authoredBy: 'authored_by', childOf: 'child_of', modifies: 'modifies' } as const;

export interface VocabularyOptions {
  /** No child_of attestations and no `parents` attribute (docs: `--no-deps`). */
  noDeps: boolean;
}

const fits = (v: string) => v.length > 0 && Buffer.byteLength(v) <= MAX_VALUE_BYTES;

/** The author as a context: the email, lower-cased; the name when there is no email. */
export function authorKey(c: GitCommit): string {
  const key = c.authorEmail.trim().toLowerCase() || c.authorName.trim() || 'unknown';
  return fits(key) ? key : key.slice(0, 500);
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function commitAttestations(c: GitCommit, repo: string, o: VocabularyOptions): GitAttestation[] {
  const base = { subjects: [c.sha], actors: [GIT_ACTOR], timestamp: c.committedAt };
  // A value longer than the store takes (a path over 2000 bytes) is counted, not stored.
  const paths = c.paths.filter(fits);
  const commit: GitAttestation = {
    ...base,
    predicates: [GIT_PREDICATES.commit],
    contexts: [repo],
    attributes: {
      message: c.subject,
      author_name: c.authorName,
      author_email: c.authorEmail,
      authored_at: c.authoredAt,
      committed_at: c.committedAt,
      ...(o.noDeps ? {} : { parents: c.parents }),
      files_changed: c.paths.length,
    },
  };
  const out: GitAttestation[] = [
    commit,
    { ...base, predicates: [GIT_PREDICATES.authoredBy], contexts: [authorKey(c)], attributes: { author_name: c.authorName, repo } },
  ];
  if (!o.noDeps) {
    for (const parents of chunks(c.parents, MAX_VALUES_PER_FIELD)) {
      out.push({ ...base, predicates: [GIT_PREDICATES.childOf], contexts: parents, attributes: { repo } });
    }
  }
  for (const part of chunks(paths, MAX_VALUES_PER_FIELD)) {
    out.push({ ...base, predicates: [GIT_PREDICATES.modifies], contexts: part, attributes: { repo } });
  }
  return out;
}
