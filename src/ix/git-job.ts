// The built-in `ixgest.git` job: ingests a repository's commits as attestations. With
// `since: last_run` it starts after the newest commit the schedule's previous run saw.
import { z } from 'zod';
import type { AttestationService } from '../ats/service.js';
import { timestampSchema } from '../ats/input.js';
import { ValidationError } from '../errors.js';
import type { ServerEvent } from '../protocol.js';
import type { HandlerContext, HandlerDef, HandlerResult } from '../pulse/catalog.js';
import { ingestGit } from './git-ingest.js';

export const gitPayload = z.object({
  repo: z.string().min(1).max(4096),
  since: z.string().min(1).max(100).optional(),
  no_deps: z.boolean().default(false),
});
export type GitPayload = z.output<typeof gitPayload>;

interface GitState {
  newest_commit_at?: number;
}

export interface GitJobOptions {
  ats: AttestationService;
  cacheDir: string;
  publish?: (e: ServerEvent) => void;
}

export function gitJob(o: GitJobOptions): HandlerDef<GitPayload> {
  return {
    name: 'ixgest.git',
    payload: gitPayload as z.ZodType<GitPayload>,
    timeoutMs: 30 * 60_000,
    maxRetries: 2,
    run: (ctx) => runGit(o, ctx),
  };
}

async function since(ctx: HandlerContext<GitPayload>, prev: GitState): Promise<number | null> {
  const s = ctx.payload.since;
  if (!s) return null;
  if (s === 'last_run') return prev.newest_commit_at ?? null;
  const parsed = timestampSchema.safeParse(s);
  if (!parsed.success) {
    throw new ValidationError(`invalid --since '${s}'`, { details: [`since=${s}`], hint: 'use a date (2026-01-29), ms, or last_run' });
  }
  return parsed.data;
}

async function runGit(o: GitJobOptions, ctx: HandlerContext<GitPayload>): Promise<HandlerResult> {
  const saved = await ctx.getState();
  const prev = (saved.state && typeof saved.state === 'object' ? saved.state : {}) as GitState;
  const source = ctx.executionId ?? ctx.job.id;
  let written = 0;
  const res = await ingestGit({
    source: ctx.payload.repo,
    cacheDir: o.cacheDir,
    since: await since(ctx, prev),
    noDeps: ctx.payload.no_deps,
    signal: ctx.signal,
    onProgress: (current, total) => ctx.progress(current, total),
    onBatch: async (batch) => {
      const items = batch.map((g) => o.ats.prepare(g, { source, actor: 'ixgest.git' }));
      await o.ats.store.insertMany(items);
      written += items.length;
      o.publish?.({ type: 'attestations_created', count: items.length, source });
    },
  });
  const newest = Math.max(res.newest ?? 0, prev.newest_commit_at ?? 0) || undefined;
  await ctx.saveState({ ...prev, ...(newest ? { newest_commit_at: newest } : {}) });
  return {
    stdout: `ingested ${res.commits} commit(s) of ${res.repo} as ${res.attestations} attestation(s)\n`,
    attestationsCreated: written,
  };
}
