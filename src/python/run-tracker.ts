// The Node side of one run in flight: delivers batches in order (acknowledging each), forwards
// progress, watches the run's disk use and for a silent parent, and turns the parent's `done`
// into a RunResult.
import { performance } from 'node:perf_hooks';
import type { Logger } from '../logger.js';
import { DiskWatch } from './disk-watch.js';
import type { RunLimits } from './limits.js';
import { killProcessGroup } from './process-group.js';
import { toRawAttestation, type Command, type DoneMessage, type WireAttestation } from './protocol.js';
import type { RawAttestation, RunOptions, RunResult } from './types.js';

/** Beyond the run's own timeout, how long the parent may stay silent before it is presumed stuck. */
const BACKSTOP_GRACE_MS = 10_000;

export class RunTracker {
  pgid: number | null = null;
  private failure: { error: unknown } | null = null;
  private cancelled = false;
  private settled = false;
  private busy = false;
  private chain: Promise<void> = Promise.resolve();
  private flushed = 0;
  private readonly extraPending: RawAttestation[] = [];
  private readonly startedAt = performance.now();
  private backstop: NodeJS.Timeout | undefined;
  private disk: DiskWatch | undefined;
  private resolveDone!: (r: RunResult) => void;
  private rejectDone!: (e: unknown) => void;
  readonly done: Promise<RunResult>;

  constructor(
    readonly id: number,
    private readonly opts: RunOptions,
    private readonly limits: RunLimits,
    private readonly send: (cmd: Command) => void,
    private readonly log: Logger,
    private readonly onStuck: () => void,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.touch();
  }

  onStarted(pid: number, dir: string, uid: number | null): void {
    this.pgid = pid;
    this.touch();
    if (this.settled) return;
    this.disk = new DiskWatch({
      dir,
      uid,
      capBytes: this.limits.diskBytes,
      onOver: (bytes) => {
        this.log.warn({ run: this.id, bytes, cap: this.limits.diskBytes }, 'python run past its disk limit: killing it');
        if (!this.settled && !this.cancelled) this.send({ op: 'cancel', id: this.id, reason: 'disk' });
      },
    });
  }

  onBatch(items: WireAttestation[], state?: Record<string, unknown>): void {
    this.touch();
    const batch = items.map(toRawAttestation);
    const checkpoint = state !== null && typeof state === 'object' && !Array.isArray(state) ? state : undefined;
    const deliver = this.opts.onAttestations;
    this.chain = this.chain.then(async () => {
      if (this.failure || this.settled || this.cancelled) return;
      if (deliver) {
        this.busy = true;
        try {
          await deliver(batch, checkpoint);
          this.flushed += batch.length;
        } catch (error) {
          this.failure = { error };
          this.send({ op: 'cancel', id: this.id });
          return;
        } finally {
          this.busy = false;
          this.touch();
        }
      } else {
        for (const a of batch) this.extraPending.push(a);
      }
      this.send({ op: 'ack', id: this.id });
    });
  }

  onProgress(current: number, total: number | null): void {
    this.touch();
    try {
      this.opts.onProgress?.(current, total);
    } catch (err) {
      this.log.warn({ err }, 'onProgress threw');
    }
  }

  cancel(): void {
    if (this.settled || this.cancelled) return;
    this.cancelled = true;
    this.send({ op: 'cancel', id: this.id });
  }

  onDone(msg: DoneMessage): void {
    this.touch();
    void this.chain.then(() =>
      this.settle({
        success: msg.success,
        stdout: msg.stdout,
        stderr: msg.stderr,
        stdoutTruncated: msg.stdoutTruncated,
        stderrTruncated: msg.stderrTruncated,
        error: msg.error,
        details: msg.details,
        state: msg.success ? msg.state : null,
        pending: this.extraPending.concat(msg.pending.map(toRawAttestation)),
      }),
    );
  }

  /** The parent died (or was killed as stuck): kill what is left of the run and fail it. */
  onRunnerDied(reason: string): void {
    const pgid = this.pgid;
    const killed = pgid === null ? Promise.resolve() : killProcessGroup(pgid).catch(() => undefined);
    void Promise.all([killed, this.chain]).then(() =>
      this.settle({
        success: false,
        stdout: '',
        stderr: '',
        stdoutTruncated: false,
        stderrTruncated: false,
        error: this.cancelled ? 'run cancelled' : 'python runner died',
        details: this.cancelled ? ['cancelled=true'] : ['runner=died', `reason=${reason}`],
        state: null,
        pending: this.extraPending,
      }),
    );
  }

  private settle(r: Omit<RunResult, 'durationMs' | 'attestationsFlushed'>): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.backstop);
    this.disk?.stop();
    if (this.failure) {
      this.rejectDone(this.failure.error);
      return;
    }
    const durationMs = Math.round((performance.now() - this.startedAt) * 1000) / 1000;
    this.resolveDone({ ...r, durationMs, attestationsFlushed: this.flushed });
  }

  private touch(): void {
    if (this.settled) return;
    clearTimeout(this.backstop);
    this.backstop = setTimeout(() => {
      if (this.busy || this.settled) this.touch();
      else {
        this.log.error({ run: this.id }, 'python runner silent past the run timeout: restarting it');
        this.onStuck();
      }
    }, this.limits.timeoutMs + BACKSTOP_GRACE_MS);
    this.backstop.unref();
  }
}
