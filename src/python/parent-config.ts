// What the warm parent is told when it starts: slots, sandbox, limits of every run. Built from the
// runner's options; tests that speak to a parent directly build it the same way.
import type { SandboxOptions } from './types.js';

export interface ParentOptions {
  /** Runs at the same time (1-63). */
  slots: number;
  /** See PythonRunnerOptions. */
  sandbox?: Partial<SandboxOptions> | false;
  maxProcesses?: number;
  maxFileBytes?: number;
}

export interface ParentConfig {
  slots: number;
  /** The working directory of runs (the server's). */
  cwd: string;
  sandbox: { uidBase: number; gid: number; maxProcesses: number } | null;
  maxFileBytes: number;
  /** RLIMIT_NPROC allowance above the user's current processes, when Python is not root. */
  maxProcesses: number;
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
  };
}
