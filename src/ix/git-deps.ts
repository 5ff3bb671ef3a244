// Dependency manifests at each commit that changes them: the manifest before and after the commit
// (blobs read through cat-file) are parsed and compared, and what changed is attested:
// `R requires <pkg>`, `R locks <pkg>`, `R declares <pkg>` with version, kind and ecosystem, or
// with `removed: true` when the commit took the entry out. Unchanged entries say nothing.
import { MAX_VALUE_BYTES } from '../ats/types.js';
import type { GitCommit, FileChange } from './git-log.js';
import type { GitObjectReader } from './git-objects.js';
import { GIT_ACTOR, type GitAttestation } from './git-vocabulary.js';
import { manifestFormat, parseManifest, type ManifestEntry, type ParsedManifest } from './manifests.js';

/** Larger manifests are not read (a lock file of tens of MiB would be all the run does). */
const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;
const CACHE = 64;
const ZERO = /^0+$/;

type Side = ParsedManifest | 'none' | 'unknown';

/** Parses manifest blobs, caching by blob id: one commit's new blob is the next one's old. */
export class ManifestReader {
  private readonly cache = new Map<string, ParsedManifest | null>();

  constructor(private readonly objects: GitObjectReader) {}

  async read(path: string, blob: string): Promise<Side> {
    if (ZERO.test(blob)) return 'none';
    const key = `${path}\0${blob}`;
    let parsed = this.cache.get(key);
    if (parsed === undefined) {
      const bytes = await this.objects.read(blob);
      parsed = !bytes || bytes.length > MAX_MANIFEST_BYTES ? null : parseManifest(path, bytes.toString('utf8'));
      if (this.cache.size >= CACHE) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, parsed);
    }
    return parsed ?? 'unknown';
  }
}

const entryKey = (e: ManifestEntry) => `${e.relation}\0${e.kind}\0${e.name}`;
const fits = (v: string) => v.trim().length > 0 && Buffer.byteLength(v) <= MAX_VALUE_BYTES;

function compare(before: Side, after: Side, manifest: string, c: GitCommit, repo: string): GitAttestation[] {
  const eco = after !== 'none' && after !== 'unknown' ? after.ecosystem : before !== 'none' && before !== 'unknown' ? before.ecosystem : null;
  if (!eco || after === 'unknown') return [];
  const old = new Map(before === 'none' || before === 'unknown' ? [] : before.entries.map((e) => [entryKey(e), e]));
  const now = new Map(after === 'none' ? [] : after.entries.map((e) => [entryKey(e), e]));
  const out: GitAttestation[] = [];
  const say = (e: ManifestEntry, extra: Record<string, unknown>) => {
    if (!fits(e.name)) return;
    out.push({
      subjects: [repo],
      predicates: [e.relation],
      contexts: [e.name],
      actors: [GIT_ACTOR],
      timestamp: c.committedAt,
      attributes: { version: e.version, kind: e.kind, ecosystem: eco, manifest, commit: c.sha, repo, ...extra },
    });
  };
  for (const [k, e] of now) if (old.get(k)?.version !== e.version) say(e, {});
  // Entries of an unreadable old manifest are not known to be gone: no removals then.
  if (before !== 'unknown') for (const [k, e] of old) if (!now.has(k)) say(e, { removed: true });
  return out;
}

/** What the commit changed in the manifests it touched (none for merges: their changes are their parents'). */
export async function dependencyAttestations(c: GitCommit, repo: string, reader: ManifestReader): Promise<GitAttestation[]> {
  const out: GitAttestation[] = [];
  for (const f of c.files) {
    const isNew = manifestFormat(f.path) !== null;
    const isOld = f.oldPath !== undefined && manifestFormat(f.oldPath) !== null;
    if (!isNew && !isOld) continue;
    out.push(...(await fileChange(f, isNew, isOld, c, repo, reader)));
  }
  return out;
}

async function fileChange(f: FileChange, isNew: boolean, isOld: boolean, c: GitCommit, repo: string, reader: ManifestReader): Promise<GitAttestation[]> {
  const oldPath = f.oldPath ?? f.path;
  const before: Side = f.change === 'added' || !(f.oldPath ? isOld : isNew) ? 'none' : await reader.read(oldPath, f.oldBlob);
  const after: Side = f.change === 'deleted' || !isNew ? 'none' : await reader.read(f.path, f.newBlob);
  if (f.change === 'renamed' && f.oldPath !== undefined && f.oldPath !== f.path) {
    // A manifest moved: its entries leave the old path and arrive at the new one.
    return [...compare(before, 'none', f.oldPath, c, repo), ...compare('none', after, f.path, c, repo)];
  }
  if (f.change === 'copied') return compare('none', after, f.path, c, repo);
  return compare(before, after, f.path, c, repo);
}
