// The `python.script` job: runs the newest non-retracted handler of a type at run time (so an
// edit made after scheduling is picked up), with ix.args/flags/state/last_run, and writes what it
// attests in batches; the last batch and ix.state commit in one transaction, state only on success.
import { z } from 'zod';
import type { AttestationService } from '../ats/service.js';
import type { ServerEvent } from '../protocol.js';
import { HandlerFailedError } from '../pulse/job-errors.js';
import type { HandlerContext, HandlerDef, HandlerResult } from '../pulse/catalog.js';
import type { RunOptions, RunResult } from '../python/types.js';
import type { HandlerRegistry } from './handler-registry.js';
import { RunWriter } from './run-writer.js';

export const pythonScriptPayload = z.object({
  script_type: z.string().min(1).max(64),
  handler_id: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  flags: z.record(z.string(), z.union([z.string(), z.boolean()])).default({}),
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
  const { script_type: type, args, flags } = ctx.payload;
  const handler = await o.handlers.require(type);
  const saved = await ctx.getState();
  const source = ctx.executionId ?? ctx.job.id;
  const writer = new RunWriter({
    ats: o.ats,
    source,
    actor: `ix:${type}`,
    handlerVersion: handler.version,
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
    },
    // The job's own deadline (a schedule may set it) aborts the signal; the runner's timeout is a backstop.
    limits: { timeoutMs: Math.min(ctx.job.timeout_ms + 1000, RUNNER_MAX_TIMEOUT_MS) },
    signal: ctx.signal,
    onAttestations: (batch) => writer.write(batch),
    onProgress: (current, total) => ctx.progress(current, total),
  });
  const last = writer.toNew(res.pending);
  if (res.success) {
    await ctx.saveState(res.state ?? {}, (tx) => writer.writeIn(tx, last));
  } else if (last.length) {
    await o.ats.store.insertMany(last);
  }
  writer.done(last.length);
  const result: HandlerResult = {
    stdout: res.stdout,
    stderr: res.stderr,
    stdoutTruncated: res.stdoutTruncated,
    stderrTruncated: res.stderrTruncated,
    attestationsCreated: writer.committed,
    handlerVersion: handler.version,
  };
  if (!res.success) {
    throw new HandlerFailedError(res.error ?? 'handler failed', {
      details: [...res.details, `script_type=${type}`, `handler_version=${handler.version}`],
      result,
      retryable: false,
    });
  }
  return result;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
