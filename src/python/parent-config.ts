// What the warm parent is told when it starts (its start-up message, the first line on its stdin,
// never its argv: the environment may hold values passed on purpose). Built from the runner's
// options; tests that speak to a parent directly build it the same way.
import os from 'node:os';
import path from 'node:path';
import { ATTESTATION_LIMITS } from '../ats/limits.js';
import { ValidationError } from '../errors.js';
import { STATE_LIMITS } from './limits.js';
import type { SandboxOptions } from './types.js';

/**
 * The first block of sandbox uids: 68096-68159, then 68160-…, up to 72191. Blocks of 64, aligned,
 * so that every parent on a machine keys its lock the same way. (Before the locks moved to
 * /run/qntx the base was 64000, locked in $TMPDIR: the ranges do not overlap, so an older qntx
 * on the same machine never shares uids with this one.)
 */
export const DEFAULT_UID_BASE = 68096;
export const UID_BLOCK = 64;
export const DEFAULT_LOCK_DIR = '/run/qntx';

/** When the server's environment has no PATH. */
const DEFAULT_PATH = '/usr/local/bin:/usr/bin:/bin';

export interface ParentOptions {
  /** Runs at the same time (1-63). */
  slots: number;
  /** See PythonRunnerOptions. */
  sandbox?: Partial<SandboxOptions> | false;
  maxProcesses?: number;
  maxFileBytes?: number;
  /**
   * The environment of runs, besides their own HOME and TMPDIR; also the warm parent's own.
   * Nothing else of the server's reaches a handler (settings.handlerEnvironment).
   */
  env?: Record<string, string>;
  /** Paths runs must not see (the data directory, the token file); see PythonRunnerOptions. */
  hide?: readonly string[];
  /** false: no mount namespace (tests of what runs see without one). Default true. */
  isolate?: boolean;
  /**
   * false: every run's process is forked when the run comes, none is prepared ahead (tests of
   * that path, the benchmark's comparison). Default true.
   */
  prepare?: boolean;
}

export interface ParentConfig {
  slots: number;
  /** The working directory of runs (the server's). */
  cwd: string;
  sandbox: { uidBase: number; gid: number; lockDir: string; maxProcesses: number } | null;
  maxFileBytes: number;
  /** RLIMIT_NPROC allowance above the user's current processes, when Python is not root. */
  maxProcesses: number;
  /** The environment of every run, to which each run adds its own HOME and TMPDIR. */
  env: Record<string, string>;
  /** Where the parent makes the directory of its runs' private directories. */
  tmpRoot: string;
  /** Covered in the runs' view: the data directory, the token and key files. */
  hide: string[];
  isolate: boolean;
  /** Prepare the next run's process between runs (see python/qntx_runner/forkserver.py). */
  prepare: boolean;
  /** The one table of limits (src/ats/limits.ts, STATE_LIMITS): Python defines none of its own. */
  limits: { attestation: typeof ATTESTATION_LIMITS; state: typeof STATE_LIMITS };
}

export function parentConfig(o: ParentOptions): ParentConfig {
  const maxProcesses = o.maxProcesses ?? 32;
  const uidBase = o.sandbox ? o.sandbox.uidBase ?? DEFAULT_UID_BASE : DEFAULT_UID_BASE;
  if (!Number.isSafeInteger(uidBase) || uidBase < UID_BLOCK || uidBase % UID_BLOCK !== 0) {
    throw new ValidationError(`sandbox.uidBase must be a positive multiple of ${UID_BLOCK}`, { details: [`uidBase=${uidBase}`] });
  }
  return {
    slots: o.slots,
    cwd: process.cwd(),
    sandbox: o.sandbox === false ? null : {
      uidBase,
      gid: o.sandbox?.gid ?? 65534,
      lockDir: o.sandbox?.lockDir ?? DEFAULT_LOCK_DIR,
      maxProcesses,
    },
    maxFileBytes: o.maxFileBytes ?? 128 * 1024 * 1024,
    maxProcesses,
    env: { PATH: DEFAULT_PATH, ...o.env },
    tmpRoot: os.tmpdir(),
    hide: (o.hide ?? []).map((p) => path.resolve(p)),
    isolate: o.isolate ?? true,
    prepare: o.prepare ?? true,
    limits: { attestation: ATTESTATION_LIMITS, state: STATE_LIMITS },
  };
}
