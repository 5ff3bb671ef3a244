// The built-in `ixgest.git` job. Its state belongs to the source (the repository and the options
// that change what is recorded), so every run of `ix git R` continues from the same place: the
// tips of the last complete walk, and the frontier of a walk that failed. Each batch commits its
// attestations with that frontier in one transaction; a retry resumes there and stores each commit
// once. Refs that moved since the last run are attested (`points_to`) with the final state.
import { z } from 'zod';
import { canonicalJson } from '../ats/claim-key.js';
import type { AttestationService } from '../ats/service.js';
import type { NewAttestation } from '../ats/types.js';
import type { ServerEvent } from '../protocol.js';
import type { HandlerContext, HandlerDef, HandlerResult, SourceHandle } from '../pulse/catalog.js';
import type { BatchCounts } from '../pulse/source-state.js';
import { ingestGit, type GitAttestation } from './git-ingest.js';
import type { SpawnFn } from './git-process.js';
import { refKind, type GitRef } from './git-refs.js';
import { parseGitSince, type GitSince } from './git-since.js';
import { repositoryName } from './git-source.js';
import { GIT_ACTOR, GIT_PREDICATES } from './git-vocabulary.js';

export const gitPayload = z.object({
  repo: z.string().min(1).max(4096),
  /** ms as digits, a commit sha, or (older schedules) a date or `last_run`. */
  since: z.string().min(1).max(100).optional(),
  /** Skip the dependency manifests (QNTX's meaning); the commit graph is always recorded. */
  no_deps: z.boolean().default(false),
  remotes: z.boolean().default(false),
  /** Walk everything again, ignoring the remembered tips (what is known stays known). */
  full: z.boolean().default(false),
});
export type GitPayload = z.output<typeof gitPayload>;

export interface GitState {
  /** Commits whose ancestry is all ingested: the tips of the last complete walk. */
  tips: string[];
  /** ref name → commit, as last attested with points_to. */
  refs: Record<string, string>;
  /** The shallow boundary at the last walk. */
  shallow: string[];
  /** A walk that has not finished: the frontier of what it ingested. */
  walk?: { heads: string[]; full: boolean };
}

/** Attestations a transaction commits (with the resume point): larger batches, fewer commits. */
const BATCH = 5000;

export interface GitJobOptions {
  ats: AttestationService;
  cacheDir: string;
  publish?: (e: ServerEvent) => void;
  /** Starts git (default: node's spawn). */
  spawn?: SpawnFn;
}

export function gitJob(o: GitJobOptions): HandlerDef<GitPayload> {
  return {
    name: 'ixgest.git',
    payload: gitPayload as z.ZodType<GitPayload>,
    timeoutMs: 30 * 60_000,
    maxRetries: 2,
    run: (ctx) => runGitJob(o, ctx),
  };
}

/** The state key: the repository and the options that change what a walk records. */
export function gitSourceKey(p: GitPayload): string {
  const since = p.since && p.since !== 'last_run' ? p.since : null;
  return `git ${repositoryName(p.repo)} ${canonicalJson({ since, no_deps: p.no_deps, remotes: p.remotes })}`;
}

function readState(raw: unknown): GitState {
  const s = (raw && typeof raw === 'object' ? raw : {}) as Partial<GitState>;
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const walk = s.walk && typeof s.walk === 'object' ? { heads: strings(s.walk.heads), full: s.walk.full === true } : undefined;
  return { tips: strings(s.tips), refs: s.refs && typeof s.refs === 'object' ? s.refs : {}, shallow: strings(s.shallow), ...(walk ? { walk } : {}) };
}

/**
 * What this run need not walk: the last tips and a failed walk's frontier. A --full walk keeps only
 * its own frontier; so does a walk after a shallow boundary moved (history appeared behind it).
 */
function excluded(prev: GitState, full: boolean, shallowNow: readonly string[]): string[] {
  const walked = prev.walk && prev.walk.full === full ? prev.walk.heads : [];
  const deepened = prev.shallow.some((sha) => !shallowNow.includes(sha));
  if (full || deepened) return walked;
  return [...prev.tips, ...walked];
}

/**
 * An attestation the vocabulary built (values non-empty and within the store's limits, messages
 * capped): stamped directly, without re-validating each field: that was a third of the ingest time.
 */
function trusted(ats: AttestationService, g: GitAttestation, source: string): NewAttestation {
  const now = ats.now();
  const set = (v: string[]) => (v.length === 1 ? v : [...new Set(v)]);
  return {
    id: ats.ids.next(),
    subjects: set(g.subjects),
    predicates: set(g.predicates),
    contexts: set(g.contexts),
    actors: set(g.actors),
    timestamp: g.timestamp,
    source,
    attributes: g.attributes,
    created_at: now,
  };
}

/** `<ref> points_to <commit>` for refs that appeared or moved, and for refs that went away. */
function refMoves(refs: GitRef[], prev: GitState, repo: string, now: number): GitAttestation[] {
  const out: GitAttestation[] = [];
  const say = (name: string, commit: string, extra: Record<string, unknown>) =>
    out.push({ subjects: [name], predicates: [GIT_PREDICATES.pointsTo], contexts: [commit], actors: [GIT_ACTOR], timestamp: now, attributes: { repo, ref_kind: refKind(name), ...extra } });
  const current = new Set<string>();
  for (const ref of refs) {
    current.add(ref.name);
    const before = prev.refs[ref.name];
    if (before !== ref.commit) say(ref.name, ref.commit, before ? { previous: before } : {});
  }
  for (const [name, commit] of Object.entries(prev.refs)) if (!current.has(name)) say(name, commit, { deleted: true });
  return out;
}

async function runGitJob(o: GitJobOptions, ctx: HandlerContext<GitPayload>): Promise<HandlerResult> {
  const p = ctx.payload;
  const since: GitSince | null = p.since ? parseGitSince(p.since) : null;
  const src: SourceHandle = ctx.source(gitSourceKey(p));
  const prev = readState((await src.get()).state);
  const source = ctx.executionId ?? ctx.job.id;
  const totals: BatchCounts = { created: 0, alreadyKnown: 0 };
  const commit = async (batch: GitAttestation[], state: GitState, final: boolean) => {
    const items = batch.map((g) => trusted(o.ats, g, source));
    const n = await src.commit({ state, final }, (tx) => o.ats.store.insertManyIn(tx, items));
    totals.created += n.created;
    totals.alreadyKnown += n.alreadyKnown;
    if (n.created) o.publish?.({ type: 'attestations_created', count: n.created, source });
  };
  const walkedBefore = prev.walk && prev.walk.full === p.full ? prev.walk.heads : [];
  // A bulk load: on SQLite, WAL checkpoints wait for the end instead of one every few batches.
  const res = await o.ats.store.bulk(() => ingestGit({
    source: p.repo,
    cacheDir: o.cacheDir,
    exclude: (shallow) => excluded(prev, p.full, shallow),
    since,
    remotes: p.remotes,
    manifests: !p.no_deps,
    signal: ctx.signal,
    batchSize: BATCH,
    spawn: o.spawn,
    onProgress: (current, total) => ctx.progress(current, total),
    onBatch: (batch, info) =>
      commit(batch, { ...prev, walk: { heads: [...new Set([...walkedBefore, ...info.heads])], full: p.full } }, false),
  }));
  const moves = refMoves(res.refs, prev, res.repo, o.ats.now());
  const state: GitState = {
    tips: [...new Set(res.refs.map((r) => r.commit))],
    refs: Object.fromEntries(res.refs.map((r) => [r.name, r.commit])),
    shallow: res.shallow,
  };
  await commit(moves, state, true);
  return {
    stdout:
      `ingested ${res.commits} commit(s) of ${res.repo}: ${totals.created} new attestation(s), ` +
      `${totals.alreadyKnown} already known, ${moves.length} ref change(s)\n`,
  };
}
