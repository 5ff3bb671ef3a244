// One warm parent process: spawned once, spoken to in JSON lines, watched until it exits.
// It knows nothing about runs; the runner (runner.ts) keeps their state.
import { spawn as nodeSpawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Logger } from '../logger.js';
import { PythonUnavailableError } from './errors.js';
import type { ParentConfig } from './parent-config.js';
import { LineSplitter, parseParentMessage, type Command, type ParentMessage } from './protocol.js';

export interface WarmParentOptions {
  executable: string;
  /** The directory holding python/qntx_runner/. */
  packageDir: string;
  config: ParentConfig;
  logger: Logger;
  onMessage: (msg: ParentMessage) => void;
  /** Called once, whatever ended it. */
  onExit: (reason: string) => void;
  /** Starts the process (default node's `spawn`); injected by tests to watch what is started. */
  spawn?: typeof nodeSpawn;
}

const READY_TIMEOUT_MS = 15_000;

export class WarmParent {
  private exited = false;
  private exitReason: string | null = null;
  private readonly exitPromise: Promise<void>;

  private constructor(
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly pid: number,
    readonly isolation: { mode: 'root' | 'userns' | null; reason: string | null },
  ) {
    this.exitPromise = new Promise((resolve) => proc.once('close', () => resolve()));
  }

  /** Spawns the parent and waits for its `ready` message. */
  static start(opts: WarmParentOptions): Promise<WarmParent> {
    // `-m` puts the working directory first on sys.path: start in the package's directory (the
    // parent then moves to `config.cwd`), so nothing in the user's directory can shadow a module.
    // Its environment is only what runs may see; the configuration is its first line on stdin.
    const proc = (opts.spawn ?? nodeSpawn)(opts.executable, ['-B', '-m', 'qntx_runner'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: opts.packageDir,
      env: opts.config.env,
    });
    return new Promise((resolve, reject) => {
      let parent: WarmParent | null = null;
      const fail = (why: string, cause?: unknown): void => {
        clearTimeout(timer);
        reject(new PythonUnavailableError(`python runner did not start: ${why}`, { cause }));
      };
      const timer = setTimeout(() => {
        proc.kill('SIGKILL');
        fail('no ready message');
      }, READY_TIMEOUT_MS);
      proc.once('error', (err) => {
        if (parent) parent.markExit(`error: ${err.message}`, opts.onExit);
        else fail(err.message, err);
      });
      proc.stdin.on('error', () => undefined); // EPIPE when it died; 'close' reports that
      proc.stdin.write(JSON.stringify(opts.config) + '\n');
      const lines = new LineSplitter();
      proc.stdout.on('data', (chunk: Buffer) => {
        for (const line of lines.push(chunk)) {
          const msg = parseParentMessage(line);
          if (!msg) {
            opts.logger.error({ line: line.slice(0, 200) }, 'python runner sent an unknown message');
            continue;
          }
          if (msg.t === 'ready' && !parent) {
            clearTimeout(timer);
            parent = new WarmParent(proc, msg.pid, { mode: msg.isolation ?? null, reason: msg.isolationReason ?? null });
            opts.logger.debug({ pid: msg.pid, executable: msg.executable, sandbox: msg.sandbox, isolation: msg.isolation }, 'python runner ready');
            if (!msg.isolation) {
              opts.logger.warn({ reason: msg.isolationReason }, 'handler runs are not isolated from the server: they can read its files and get no secrets');
            }
            resolve(parent);
          } else opts.onMessage(msg);
        }
      });
      const errLines = new LineSplitter();
      proc.stderr.on('data', (chunk: Buffer) => {
        for (const line of errLines.push(chunk)) opts.logger.warn({ stderr: line }, 'python runner');
      });
      proc.once('close', (code, sig) => {
        const why = sig ? `killed by ${sig}` : `exited with code ${code}`;
        if (parent) parent.markExit(why, opts.onExit);
        else fail(why);
      });
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  send(cmd: Command): boolean {
    return this.sendLine(JSON.stringify(cmd));
  }

  /** Writes one serialised command; false when the parent is gone (nothing was sent). */
  sendLine(line: string): boolean {
    if (this.exited || !this.proc.stdin.writable) return false;
    this.proc.stdin.write(line + '\n');
    return true;
  }

  /** SIGKILL now; its runs' children die with it (PR_SET_PDEATHSIG). */
  kill(reason: string): void {
    this.exitReason ??= reason;
    if (!this.exited) this.proc.kill('SIGKILL');
  }

  /** Asks it to stop (EOF on its stdin), then kills it after `graceMs`. */
  async close(graceMs = 2000): Promise<void> {
    if (this.exited) return;
    this.exitReason ??= 'closed';
    this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exitPromise;
    clearTimeout(timer);
  }

  private markExit(why: string, onExit: (reason: string) => void): void {
    if (this.exited) return;
    this.exited = true;
    onExit(this.exitReason ?? why);
  }
}
