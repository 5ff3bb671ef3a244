// The public shapes of the Python runner: what a run gets (context, options) and what it returns.
import type { LaneName } from './lanes.js';
import type { RunLimits } from './limits.js';

/** What the script sees as `ix`. */
export interface RunContext {
  scriptType: string | null;
  args: string[];
  flags: Record<string, string | boolean>;
  /** ms since the epoch; `ix.last_run` is a UTC datetime or None. */
  lastRun: number | null;
  state: Record<string, unknown>;
  /** `ix.input`: what an `ax … so <type>` query found; null for plain ix runs. */
  input?: RunInput | null;
  /** `ix.secrets`: the values of the secrets granted to the run's type, by name. */
  secrets?: Record<string, string>;
  /** A webhook delivery: its body becomes `ix.input` and its chosen headers `ix.headers`. */
  hook?: HookDelivery | null;
}

export interface HookDelivery {
  /** The parsed JSON body when the content type said JSON, else the body as a string. */
  body: unknown;
  headers: Record<string, string>;
}

/**
 * The attestations an AX query found: inline (`items`), or when large a JSON-lines file (`path`)
 * that `ix.input` reads lazily, one attestation a line.
 */
export interface RunInput {
  query: string;
  count: number;
  items?: unknown[];
  path?: string;
}

/** One attest() call, validated in the child; `id` is "AS" + a ULID made in the child. */
export interface RawAttestation {
  id: string;
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[] | null;
  attributes: Record<string, unknown> | null;
  /** ms since the epoch, or null when the script gave none. */
  timestamp: number | null;
}

export interface RunOptions {
  code: string;
  /** Whose slots the run takes: 'scheduled' (default: Pulse jobs, the CLI) or 'adhoc' (the execute API). */
  lane?: LaneName;
  context?: Partial<RunContext>;
  limits?: Partial<RunLimits>;
  /** Aborting kills the run's process group; the run then fails with `cancelled=true`. */
  signal?: AbortSignal;
  /**
   * Intermediate batches (up to 1000 attest() calls, 1 MiB or 100 ms each), awaited in order:
   * the caller writes each in one transaction. If it throws, the run is killed and run() rejects
   * with that error. Without it, every batch ends up in `pending`. `checkpoint` is the state an
   * ix.checkpoint() gave: the caller commits it with the batch (runs without a source ignore it).
   */
  onAttestations?: (batch: RawAttestation[], checkpoint?: Record<string, unknown>) => Promise<void>;
  /** Throttled (at most every 100 ms); exceptions thrown by it are logged and ignored. */
  onProgress?: (current: number, total: number | null) => void;
}

export interface RunResult {
  success: boolean;
  stdout: string;
  stderr: string;
  stdoutTruncated: boolean;
  stderrTruncated: boolean;
  error: string | null;
  /** e.g. ['exception=ValueError', 'line=3'], ['limit=timeout', 'timeout_ms=1000']. */
  details: string[];
  durationMs: number;
  /** Attestations delivered through onAttestations. */
  attestationsFlushed: number;
  /** The last batch, not delivered: the caller commits it together with `state`. */
  pending: RawAttestation[];
  /** ix.state after a successful run; null otherwise. */
  state: Record<string, unknown> | null;
}

export type CheckResult = { ok: true } | { ok: false; error: string; details: string[] };

export interface SandboxOptions {
  /**
   * When Python runs as root, run i of the concurrent runs becomes uid `uidBase + i` of a block
   * of 64 uids that its warm parent holds; a multiple of 64 (blocks are machine-wide).
   */
  uidBase: number;
  gid: number;
  /**
   * Where parents lock their uid blocks: one root-owned directory for the whole machine, so two
   * servers never share uids. Default /run/qntx.
   */
  lockDir: string;
}
