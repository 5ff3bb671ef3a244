// The source of an ingest run, as the key of its state (src/pulse/source-state.ts): the handler
// type and its arguments. Equal commands, however scheduled, share one key and so one state.
import { canonicalJson } from '../ats/claim-key.js';

/** `ix <type> <args as JSON> <flags as canonical JSON>`: flag order does not matter. */
export function handlerSourceKey(type: string, args: readonly string[], flags: Record<string, unknown>): string {
  return `ix ${type} ${JSON.stringify(args)} ${canonicalJson(flags)}`;
}
