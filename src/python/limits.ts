// Per-run limits of the Python runner: defaults, and merging a caller's overrides with checks.
import { ValidationError } from '../errors.js';

export interface RunLimits {
  /** Wall clock, from the fork to the script's end; the whole process group is killed after it. */
  timeoutMs: number;
  /** RLIMIT_AS of the run's process (and of each process it starts). */
  memoryBytes: number;
  /** RLIMIT_CPU, whole seconds. */
  cpuSeconds: number;
  /** Kept of stdout and of stderr each; the rest is dropped and flagged. */
  outputCapBytes: number;
  /**
   * What the run may store: its private directory (HOME, TMPDIR) and, with the sandbox uid, its
   * files in /dev/shm and its SysV shared memory. Watched while it runs (killed past it); also
   * the largest file (RLIMIT_FSIZE, with the runner's maxFileBytes).
   */
  diskBytes: number;
}

export const DEFAULT_LIMITS: Readonly<RunLimits> = Object.freeze({
  timeoutMs: 30_000,
  memoryBytes: 512 * 1024 * 1024,
  cpuSeconds: 30,
  outputCapBytes: 64 * 1024,
  diskBytes: 1024 * 1024 * 1024,
});

const MAX: Readonly<RunLimits> = Object.freeze({
  timeoutMs: 24 * 3600 * 1000,
  memoryBytes: 2 ** 48,
  cpuSeconds: 24 * 3600,
  outputCapBytes: 16 * 1024 * 1024,
  diskBytes: 2 ** 48,
});

/** ix.state as it crosses to a run and back (a state a run can save, the next run can be given). */
export const STATE_LIMITS = Object.freeze({
  /** Serialised, UTF-8. */
  maxBytes: 16 * 1024 * 1024,
  /** Nesting of objects and arrays ({} is 1). */
  maxDepth: 128,
});

/**
 * Fills unset fields from `base`; throws ValidationError naming each bad field. A longer timeout
 * given without a CPU limit brings the CPU limit up to it: a handler allowed 2 minutes of wall
 * clock is not killed after the default 30 s of CPU.
 */
export function resolveLimits(base: RunLimits, over: Partial<RunLimits> | undefined): RunLimits {
  const out: RunLimits = { ...base };
  const bad: string[] = [];
  for (const key of Object.keys(DEFAULT_LIMITS) as Array<keyof RunLimits>) {
    const v = over?.[key];
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1 || v > MAX[key]) bad.push(`${key}=must be an integer from 1 to ${MAX[key]}`);
    else out[key] = v;
  }
  if (bad.length) throw new ValidationError(`invalid run limits: ${bad.join(', ')}`, { details: bad });
  if (over?.timeoutMs !== undefined && over.cpuSeconds === undefined) {
    out.cpuSeconds = Math.min(MAX.cpuSeconds, Math.max(base.cpuSeconds, Math.ceil(out.timeoutMs / 1000)));
  }
  return out;
}
