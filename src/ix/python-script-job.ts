// The `python.script` job: runs the newest non-retracted handler of a type at run time (so an
// edit made after scheduling is picked up), with ix.args/flags/state/last_run of its source, and
// writes what it attests in batches, each in one transaction with the execution's counts; an
// ix.checkpoint() and the run's success also commit ix.state with their batch.
import { z } from 'zod';
import type { AttestationService } from '../ats/service.js';
import type { ServerEvent } from '../protocol.js';
import { HandlerFailedError } from '../pulse/job-errors.js';
import type { HandlerContext, HandlerDef, HandlerResult } from '../pulse/catalog.js';
import type { RawAttestation, RunInput, RunOptions, RunResult } from '../python/types.js';
import { Redactor } from '../secrets/redact.js';
import type { HandlerRegistry } from './handler-registry.js';
import { RunWriter } from './run-writer.js';
import { handlerSourceKey } from './source-key.js';

export const pythonScriptPayload = z.object({
  script_type: z.string().min(1).max(64),
  /** The handler attestation current when the schedule was made: provenance only. Every run looks
   * the type up again and runs its newest version (docs/ix.md, "Which version runs"). */
  handler_id: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  flags: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
  /** Set by `ax … so <type>` (src/ax/actions.ts): the query whose results become ix.input. */
  ax: z.object({ query: z.string().min(1).max(10_000) }).optional(),
  /** Set on a watcher's run (src/pulse/watcher.ts): its batch, the first `limit` matches in (after, through]. */
  watch: z
    .object({
      schedule_id: z.string(),
      after: z.number().int(),
      through: z.number().int(),
      limit: z.number().int().min(1),
      chain: z.array(z.string()),
      attributes: z.array(z.unknown()),
    })
    .optional(),
  /** Set by a webhook delivery (src/hooks): the body becomes ix.input, the headers ix.headers. */
  hook: z.object({ hook_id: z.string(), body: z.unknown(), headers: z.record(z.string(), z.string()) }).optional(),
});
export type PythonScriptPayload = z.output<typeof pythonScriptPayload>;

/** The runner's longest wall-clock limit (24 h). */
const RUNNER_MAX_TIMEOUT_MS = 24 * 3600_000;

export interface ScriptRunner {
  run(opts: RunOptions): Promise<RunResult>;
}

export interface PythonScriptJobOptions {
  ats: AttestationService;
  handlers: HandlerRegistry;
  runner: ScriptRunner;
  publish?: (event: ServerEvent) => void;
  timeoutMs?: number;
  /** Runs an `ax … so` query for ix.input (injected: ix does not depend on ax); cleanup after the run. */
  axInput?: (query: string) => Promise<{ input: RunInput; cleanup(): Promise<void> }>;
  /** A watcher's batch as ix.input (injected like axInput); the same bounds always give the same batch. */
  watchInput?: (query: string, watch: NonNullable<PythonScriptPayload['watch']>) => Promise<RunInput>;
  /** The deepest chain of watcher runs: a run deeper fails instead of running (default 8). */
  maxWatchDepth?: number;
  /** The secrets granted to a type (ix.secrets); redacted from everything the run produces. */
  secrets?: (scriptType: string) => Promise<Record<string, string>>;
}

export function pythonScriptJob(o: PythonScriptJobOptions): HandlerDef<PythonScriptPayload> {
  return {
    name: 'python.script',
    payload: pythonScriptPayload as z.ZodType<PythonScriptPayload>,
    timeoutMs: o.timeoutMs ?? 5 * 60_000,
    maxRetries: 0,
    run: (ctx) => runScript(o, ctx),
  };
}

async function runScript(o: PythonScriptJobOptions, ctx: HandlerContext<PythonScriptPayload>): Promise<HandlerResult> {
  const query = ctx.payload.ax?.query;
  if (query === undefined) return runWith(o, ctx, null);
  const watch = ctx.payload.watch;
  if (watch) {
    // Watchers whose runs make what other watchers match form chains; a cycle stops here.
    const max = o.maxWatchDepth ?? 8;
    if (watch.chain.length >= max) {
      throw new HandlerFailedError(`watch chain depth ${watch.chain.length}: ${watch.chain.join(' → ')}`, {
        details: [`watch_depth=${watch.chain.length}`, `max_depth=${max}`, `chain=${watch.chain.join(',')}`],
        retryable: false,
      });
    }
    if (!o.watchInput) throw new Error('python.script was given a watcher batch but no watchInput');
    return runWith(o, ctx, await o.watchInput(query, watch));
  }
  if (!o.axInput) throw new Error('python.script was given an ax query but no axInput');
  const prepared = await o.axInput(query);
  try {
    return await runWith(o, ctx, prepared.input);
  } finally {
    await prepared.cleanup();
  }
}

async function runWith(o: PythonScriptJobOptions, ctx: HandlerContext<PythonScriptPayload>, input: RunInput | null): Promise<HandlerResult> {
  const { script_type: type, args, flags } = ctx.payload;
  const handler = await o.handlers.require(type);
  // State belongs to the source (type + arguments), so every schedule of it and a one-off run share it.
  const src = ctx.source(handlerSourceKey(type, args, flags));
  const saved = await src.get();
  const source = ctx.executionId ?? ctx.job.id;
  const secrets = (await o.secrets?.(type)) ?? {};
  const redact = new Redactor(secrets);
  const writer = new RunWriter({
    ats: o.ats,
    source,
    actor: `ix:${type}`,
    handlerVersion: handler.version,
    commit: (items, c) => src.commit(c, (tx) => o.ats.store.insertManyIn(tx, items)),
    onCommitted: (count) => o.publish?.({ type: 'attestations_created', count, source }),
  });
  const res = await o.runner.run({
    code: handler.code,
    context: {
      scriptType: type,
      args,
      flags,
      lastRun: saved.lastSuccessAt,
      state: isObject(saved.state) ? saved.state : {},
      input,
      secrets,
      hook: ctx.payload.hook ? { body: ctx.payload.hook.body, headers: ctx.payload.hook.headers } : null,
    },
    // The job's own deadline (a schedule may set it) aborts the signal; the runner's timeout is a backstop.
    limits: { timeoutMs: Math.min(ctx.job.timeout_ms + 1000, RUNNER_MAX_TIMEOUT_MS) },
    signal: ctx.signal,
    onAttestations: (batch, checkpoint) => writer.write(redactBatch(redact, batch), checkpoint === undefined ? {} : { state: redact.json(checkpoint) }),
    onProgress: (current, total) => ctx.progress(current, total),
  });
  // The last batch and the final state in one transaction; a failed run keeps its last checkpoint.
  await writer.write(redactBatch(redact, res.pending), res.success ? { state: redact.json(res.state ?? {}), final: true } : {});
  // Counts went into the execution batch by batch: attestationsCreated stays undefined.
  const result: HandlerResult = {
    stdout: redact.text(res.stdout),
    stderr: redact.text(res.stderr),
    stdoutTruncated: res.stdoutTruncated,
    stderrTruncated: res.stderrTruncated,
    handlerVersion: handler.version,
  };
  if (!res.success) {
    throw new HandlerFailedError(redact.text(res.error ?? 'handler failed'), {
      details: [...res.details.map((d) => redact.text(d)), `script_type=${type}`, `handler_version=${handler.version}`],
      result,
      retryable: false,
    });
  }
  return result;
}

/** Every field of the attestations but their ids. */
function redactBatch(r: Redactor, batch: RawAttestation[]): RawAttestation[] {
  if (r.empty) return batch;
  return batch.map((a) => ({
    ...a,
    subjects: a.subjects.map((x) => r.text(x)),
    predicates: a.predicates.map((x) => r.text(x)),
    contexts: a.contexts.map((x) => r.text(x)),
    actors: a.actors === null ? null : a.actors.map((x) => r.text(x)),
    attributes: a.attributes === null ? null : r.json(a.attributes),
  }));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
