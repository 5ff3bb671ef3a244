// PythonRunner: runs user scripts in a process each, forked by one warm Python parent that is
// started on first use and restarted after it dies. Scheduled and ad-hoc runs have slots of their
// own (lanes.ts); runs beyond them wait.
import type { Logger } from '../logger.js';
import { buildContext, checkCode } from './context.js';
import { PythonUnavailableError } from './errors.js';
import { ValidationError } from '../errors.js';
import { locateRunnerPackage, resolvePython, type PythonInfo } from './find-python.js';
import { Lane, type LaneName, type LaneOptions } from './lanes.js';
import { DEFAULT_LIMITS, resolveLimits, type RunLimits } from './limits.js';
import { encodeCommand, type ParentMessage } from './protocol.js';
import { RunTracker } from './run-tracker.js';
import type { CheckResult, RunOptions, RunResult, SandboxOptions } from './types.js';
import { parentConfig, type ParentConfig } from './parent-config.js';
import { WarmParent, type WarmParentOptions } from './warm-parent.js';

export type { RunLimits } from './limits.js';
export type { CheckResult, RawAttestation, RunContext, RunOptions, RunResult, SandboxOptions } from './types.js';

export interface PythonRunnerOptions {
  /** The interpreter command (settings `python`); default `python3`. */
  python?: string;
  logger: Logger;
  defaults?: Partial<RunLimits>;
  /** Scheduled runs (the default lane: Pulse jobs, the CLI) at the same time; more wait. Default 4. */
  maxConcurrent?: number;
  /**
   * Ad-hoc runs (`lane: 'adhoc'`, the execute API) have slots of their own, a bounded queue
   * (QueueFullError beyond it) and a cap on their time. Default 2 slots, 8 waiting, 60 s.
   */
  adhoc?: Partial<LaneOptions>;
  /**
   * When Python runs as root, each run drops to an unprivileged uid (with no capability left)
   * so RLIMIT_NPROC binds. `false` keeps uid 0, without capabilities (fork bombs are then only stopped by the
   * timeout). Default { uidBase: 68096, gid: 65534, lockDir: "/run/qntx" }.
   */
  sandbox?: Partial<SandboxOptions> | false;
  /** RLIMIT_NPROC: processes a run may have (as root with the sandbox; else above the user's count). Default 32. */
  maxProcesses?: number;
  /** RLIMIT_FSIZE, the largest file a run may write. Default 128 MiB. */
  maxFileBytes?: number;
  /**
   * The environment of runs (settings.handlerEnvironment): each run adds its own HOME and TMPDIR.
   * Nothing else of the server's reaches a handler. Default: PATH only.
   */
  env?: Record<string, string>;
  /** Starts the warm parent (default node's `spawn`); tests watch what it is given. */
  spawn?: WarmParentOptions['spawn'];
  /**
   * Paths no run may see: the data directory (database, key, token, spooled inputs), a token or
   * key file kept elsewhere. The warm parent covers them in a mount namespace of its own.
   */
  hide?: readonly string[];
  /** false: no mount namespace for runs (tests only). Default true. */
  isolate?: boolean;
  /**
   * false: no run's process is prepared ahead; each is forked when its run comes (tests of that
   * path, the benchmark's comparison). Default true.
   */
  prepare?: boolean;
}

export interface Isolation {
  /** 'root': a mount namespace; 'userns': a user and mount namespace; null: none (see reason). */
  mode: 'root' | 'userns' | null;
  reason: string | null;
}

interface PendingCheck {
  parent: WarmParent;
  resolve: (r: CheckResult) => void;
  reject: (e: unknown) => void;
}

class RunnerDied extends Error {}

export class PythonRunner {
  private readonly log: Logger;
  private readonly defaults: RunLimits;
  private readonly command: string;
  private readonly lanes: Record<LaneName, Lane>;
  private readonly config: ParentConfig;
  private readonly spawn: WarmParentOptions['spawn'];
  private info: Promise<PythonInfo> | null = null;
  private parent: WarmParent | null = null;
  private starting: Promise<WarmParent> | null = null;
  private nextId = 1;
  private readonly runs = new Map<number, { tracker: RunTracker; parent: WarmParent }>();
  private readonly checks = new Map<number, PendingCheck>();
  private starts = 0;
  private closed = false;

  constructor(opts: PythonRunnerOptions) {
    this.log = opts.logger.child({ module: 'python' });
    this.defaults = resolveLimits({ ...DEFAULT_LIMITS }, opts.defaults);
    this.command = opts.python ?? 'python3';
    this.spawn = opts.spawn;
    // A warm parent has at most 63 slots (its block of sandbox uids); scheduled runs come first.
    const scheduled = Math.min(62, Math.max(1, Math.floor(opts.maxConcurrent ?? 4)));
    const adhoc = Math.min(63 - scheduled, Math.max(1, Math.floor(opts.adhoc?.slots ?? 2)));
    this.lanes = {
      scheduled: new Lane('scheduled', { slots: scheduled }),
      adhoc: new Lane('adhoc', { slots: adhoc, queue: opts.adhoc?.queue ?? 8, maxTimeoutMs: opts.adhoc?.maxTimeoutMs ?? 60_000 }),
    };
    this.config = parentConfig({ ...opts, slots: scheduled + adhoc });
  }

  /** Runs sent to a parent and not finished yet. */
  get inFlight(): number {
    return this.runs.size;
  }

  /** Runs waiting for a slot, in every lane. */
  get queued(): number {
    return this.lanes.scheduled.queued + this.lanes.adhoc.queued;
  }

  /** Warm parents started so far: 1 after the first run, +1 per restart. */
  get parentStarts(): number {
    return this.starts;
  }

  /** The warm parent's pid, or null when none is running. */
  get parentPid(): number | null {
    return this.parent?.alive ? this.parent.pid : null;
  }

  /** How runs are isolated from the server (starts the warm parent if none is running). */
  async isolation(): Promise<Isolation> {
    const parent = await this.ensureParent();
    return parent.isolation;
  }

  async run(opts: RunOptions): Promise<RunResult> {
    if (this.closed) throw new PythonUnavailableError('python runner is closed');
    const code = checkCode(opts.code);
    const lane = this.lanes[opts.lane ?? 'scheduled'];
    const limits = this.limitsFor(lane, opts.limits);
    const ctx = buildContext(opts.context);
    const id = this.nextId++;
    // Serialised (and checked) before anything is tracked: a run that cannot be sent fails alone.
    const line = encodeCommand({ op: 'run', id, code, ctx, limits });
    const release = opts.signal?.aborted ? null : await lane.acquire(limits.timeoutMs, opts.signal);
    if (!release) return cancelledResult();
    let onAbort: (() => void) | undefined;
    try {
      const parent = await this.ensureParent();
      if (opts.signal?.aborted) return cancelledResult();
      const tracker = new RunTracker(id, opts, limits, (cmd) => parent.send(cmd), this.log, () => parent.kill('unresponsive'));
      this.runs.set(id, { tracker, parent });
      if (!parent.sendLine(line)) tracker.onRunnerDied('exited before the run was sent');
      onAbort = () => tracker.cancel();
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      return await tracker.done;
    } finally {
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      this.runs.delete(id);
      release();
    }
  }

  /** The run's limits: the defaults (a lane's time cap lowers the default), the caller's, checked. */
  private limitsFor(lane: Lane, over: RunOptions['limits']): RunLimits {
    const cap = lane.options.maxTimeoutMs;
    if (cap === undefined) return resolveLimits(this.defaults, over);
    if (over?.timeoutMs !== undefined && over.timeoutMs > cap) {
      throw new ValidationError(`an ${lane.name} run may last at most ${cap} ms`, {
        details: [`timeoutMs=at most ${cap} for ${lane.name} runs`],
      });
    }
    return resolveLimits({ ...this.defaults, timeoutMs: Math.min(this.defaults.timeoutMs, cap) }, over);
  }

  /** Compiles without running (for handler registration): the syntax error and its line. */
  async check(code: string): Promise<CheckResult> {
    checkCode(code);
    for (let attempt = 0; ; attempt++) {
      const parent = await this.ensureParent();
      const id = this.nextId++;
      try {
        return await new Promise<CheckResult>((resolve, reject) => {
          this.checks.set(id, { parent, resolve, reject });
          parent.send({ op: 'check', id, code });
        });
      } catch (e) {
        if (!(e instanceof RunnerDied) || attempt > 0) {
          throw new PythonUnavailableError('python runner died during a check', { cause: e });
        }
      } finally {
        this.checks.delete(id);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lane of Object.values(this.lanes)) lane.close();
    const parent = this.parent ?? (await this.starting?.catch(() => null)) ?? null;
    await parent?.close();
  }

  private async ensureParent(): Promise<WarmParent> {
    if (this.parent?.alive) return this.parent;
    this.starting ??= this.startParent().finally(() => {
      this.starting = null;
    });
    return this.starting;
  }

  private async startParent(): Promise<WarmParent> {
    this.info ??= resolvePython(this.command);
    let info: PythonInfo;
    try {
      info = await this.info;
    } catch (e) {
      this.info = null; // try again on the next run: Python may have been installed meanwhile
      throw e;
    }
    let parent: WarmParent;
    try {
      parent = await WarmParent.start({
        executable: info.executable,
        packageDir: locateRunnerPackage(),
        config: this.config,
        logger: this.log,
        onMessage: (msg) => this.onMessage(msg),
        onExit: (reason) => this.onParentExit(parent, reason),
        spawn: this.spawn,
      });
    } catch (e) {
      this.info = null; // the interpreter may have moved (e.g. a pyenv upgrade): ask again next time
      throw e;
    }
    if (this.closed) {
      await parent.close();
      throw new PythonUnavailableError('python runner is closed');
    }
    this.parent = parent;
    this.starts++;
    return parent;
  }

  private onMessage(msg: ParentMessage): void {
    if (msg.t === 'checked') {
      this.checks.get(msg.id)?.resolve(msg.ok ? { ok: true } : { ok: false, error: msg.error ?? 'error', details: msg.details });
      return;
    }
    if (msg.t === 'ready') return;
    const tracker = this.runs.get(msg.id)?.tracker;
    if (!tracker) return;
    if (msg.t === 'started') tracker.onStarted(msg.pid, msg.dir, msg.uid);
    else if (msg.t === 'batch') tracker.onBatch(msg.items, msg.state);
    else if (msg.t === 'progress') tracker.onProgress(msg.current, msg.total);
    else tracker.onDone(msg);
  }

  private onParentExit(parent: WarmParent, reason: string): void {
    if (this.parent === parent) this.parent = null;
    if (reason !== 'closed') this.log.warn({ pid: parent.pid, reason }, 'python runner died; it restarts on the next run');
    for (const { tracker, parent: p } of this.runs.values()) if (p === parent) tracker.onRunnerDied(reason);
    for (const c of this.checks.values()) if (c.parent === parent) c.reject(new RunnerDied(reason));
  }
}

function cancelledResult(): RunResult {
  return {
    success: false,
    stdout: '',
    stderr: '',
    stdoutTruncated: false,
    stderrTruncated: false,
    error: 'run cancelled',
    details: ['cancelled=true'],
    durationMs: 0,
    attestationsFlushed: 0,
    pending: [],
    state: null,
  };
}
