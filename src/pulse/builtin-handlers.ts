// Diagnostic job handlers, always registered: `pulse.noop` does nothing and `pulse.sleep` waits
// (honouring cancel). Operators use them to check that workers run jobs; benchmarks to measure.
import { z } from 'zod';
import type { Clock } from '../clock.js';
import type { HandlerDef } from './catalog.js';

export function noopHandler(): HandlerDef<unknown> {
  return { name: 'pulse.noop', payload: z.unknown(), timeoutMs: 60_000, maxRetries: 0, run: async () => ({}) };
}

const sleepPayload = z.object({ ms: z.number().int().min(0).max(600_000) });

export function sleepHandler(clock: Clock): HandlerDef<z.output<typeof sleepPayload>> {
  return {
    name: 'pulse.sleep',
    payload: sleepPayload,
    timeoutMs: 15 * 60_000,
    maxRetries: 0,
    run: async (ctx) => {
      await clock.sleep(ctx.payload.ms, ctx.signal);
      return {};
    },
  };
}
