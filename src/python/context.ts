// The `ix` context of a run: fills defaults and checks what the caller passes before it crosses
// to Python (a bad value is the caller's bug, reported as a ValidationError).
import { ValidationError } from '../errors.js';
import { jsonDepth } from './json-depth.js';
import { STATE_LIMITS } from './limits.js';
import type { RunContext } from './types.js';

export const MAX_CODE_BYTES = 2 * 1024 * 1024;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function buildContext(c: Partial<RunContext> = {}): RunContext {
  const bad: string[] = [];
  const scriptType = c.scriptType ?? null;
  if (scriptType !== null && typeof scriptType !== 'string') bad.push('scriptType=must be a string or null');
  const args = c.args ?? [];
  if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) bad.push('args=must be a list of strings');
  const flags = c.flags ?? {};
  if (!isPlainObject(flags) || !Object.values(flags).every((v) => typeof v === 'string' || typeof v === 'boolean')) {
    bad.push('flags=must map names to strings or booleans');
  }
  const lastRun = c.lastRun ?? null;
  if (lastRun !== null && (!Number.isFinite(lastRun) || lastRun < 0 || lastRun > 8.64e15)) {
    bad.push('lastRun=must be ms since the epoch or null');
  }
  const state = c.state ?? {};
  if (!isPlainObject(state)) bad.push('state=must be an object');
  else {
    const problem = stateProblem(state);
    if (problem) bad.push(`state=${problem}`);
  }
  const input = c.input ?? null;
  if (input !== null && (!isPlainObject(input) || typeof input.query !== 'string' || !Number.isSafeInteger(input.count) ||
      (input.items === undefined) === (input.path === undefined))) {
    bad.push('input=must be {query, count} with items or path');
  }
  const secrets = c.secrets ?? {};
  if (!isPlainObject(secrets) || !Object.values(secrets).every((v) => typeof v === 'string')) bad.push('secrets=must map names to strings');
  const hook = c.hook ?? null;
  if (hook !== null && (!isPlainObject(hook) || !isPlainObject(hook.headers) || !Object.values(hook.headers).every((v) => typeof v === 'string'))) {
    bad.push('hook=must be {body, headers}');
  }
  if (bad.length) throw new ValidationError(`invalid run context: ${bad.join(', ')}`, { details: bad });
  return { scriptType, args, flags, lastRun, state, input, secrets, hook };
}

/** Why `state` cannot be sent to a run (Python's JSON parser stops near 1,000 levels), or null. */
function stateProblem(state: Record<string, unknown>): string | null {
  const { maxDepth, maxBytes } = STATE_LIMITS;
  if (jsonDepth(state, maxDepth) > maxDepth) return `must not be nested more than ${maxDepth} levels`;
  let text: string;
  try {
    text = JSON.stringify(state);
  } catch {
    return 'must be JSON-serialisable';
  }
  if (Buffer.byteLength(text) > maxBytes) return `must serialise to at most ${maxBytes} bytes`;
  return null;
}

export function checkCode(code: unknown): string {
  if (typeof code !== 'string') throw new ValidationError('code must be a string', { details: ['code=must be a string'] });
  if (Buffer.byteLength(code) > MAX_CODE_BYTES) {
    throw new ValidationError(`code is larger than ${MAX_CODE_BYTES} bytes`, { details: [`code=at most ${MAX_CODE_BYTES} bytes`] });
  }
  return code;
}
