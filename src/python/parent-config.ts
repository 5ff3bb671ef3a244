// What the warm parent is told when it starts (its start-up message, the first line on its stdin,
// never its argv: the environment may hold values passed on purpose). Built from the runner's
// options; tests that speak to a parent directly build it the same way.
import os from 'node:os';
import type { SandboxOptions } from './types.js';

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
}

export interface ParentConfig {
  slots: number;
  /** The working directory of runs (the server's). */
  cwd: string;
  sandbox: { uidBase: number; gid: number; maxProcesses: number } | null;
  maxFileBytes: number;
  /** RLIMIT_NPROC allowance above the user's current processes, when Python is not root. */
  maxProcesses: number;
  /** The environment of every run, to which each run adds its own HOME and TMPDIR. */
  env: Record<string, string>;
  /** Where the parent makes the directory of its runs' private directories. */
  tmpRoot: string;
}

export function parentConfig(o: ParentOptions): ParentConfig {
  const maxProcesses = o.maxProcesses ?? 32;
  return {
    slots: o.slots,
    cwd: process.cwd(),
    sandbox: o.sandbox === false ? null : {
      uidBase: o.sandbox?.uidBase ?? 64000,
      gid: o.sandbox?.gid ?? 65534,
      maxProcesses,
    },
    maxFileBytes: o.maxFileBytes ?? 128 * 1024 * 1024,
    maxProcesses,
    env: { PATH: DEFAULT_PATH, ...o.env },
    tmpRoot: os.tmpdir(),
  };
}
