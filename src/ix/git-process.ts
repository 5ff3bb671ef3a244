// Runs the system `git`: never through a shell (arguments are an array), never prompting, killed
// when the signal aborts, with its stderr (capped) in the error when it fails.
import type { ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { QntxError } from '../errors.js';
import { GIT_URL_SCHEMES } from './git-detect.js';

export type SpawnFn = typeof nodeSpawn;

export interface GitRunner {
  spawn: SpawnFn;
  signal?: AbortSignal | undefined;
}

export interface GitCall {
  args: string[];
  cwd?: string;
  env?: Record<string, string>;
  /** Written to git's stdin (e.g. revisions for `--stdin`), then closed. */
  input?: string;
}

export interface GitOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

const STDOUT_CAP = 1024 * 1024;
const STDERR_CAP = 16 * 1024;

/** Variables that would point git at another repository than the one we name. */
const REPO_LOCATING = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_NAMESPACE', 'GIT_CEILING_DIRECTORIES'];

/** A git command that failed (exit code, or git missing). Retryable: the network may come back. */
export class GitError extends QntxError {
  readonly exitCode: number | null;
  readonly stderr: string;
  constructor(command: string, exitCode: number | null, stderr: string) {
    const line = firstLine(stderr);
    super('git_failed', 502, `git ${command} failed: ${line || `exit code ${exitCode}`}`, {
      details: [`git_command=${command}`, `exit_code=${exitCode}`],
      hint: 'check that the repository is reachable from this machine without a password prompt',
    });
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

export function firstLine(text: string): string {
  const line = text.split('\n').find((l) => l.trim() && !/^(warning|hint):/i.test(l.trim())) ?? '';
  return line.replace(/^(fatal|error):\s*/i, '').trim().slice(0, 300);
}

/**
 * What git gets of the server's environment: what it needs to find itself, the user's git config
 * and credentials (HOME, XDG_CONFIG_HOME, the SSH agent), proxies and CA bundles, the locale, and
 * git's own GIT_* settings (less those that point it at another repository). Nothing else: the
 * server's variables (QNTX_SECRET_KEY, QNTX_DATABASE_URL, QNTX_TOKEN, cloud credentials) stay out of
 * git, of its hooks and helpers, and of their /proc/<pid>/environ.
 */
const GIT_ENV_ALLOWED = /^(PATH|HOME|USER|LOGNAME|LANG|LC_[A-Z_]+|TZ|TMPDIR|XDG_CONFIG_HOME|SSH_AUTH_SOCK|(http|https|no|all)_proxy|(HTTP|HTTPS|NO|ALL)_PROXY|SSL_CERT_FILE|SSL_CERT_DIR|GIT_[A-Z0-9_]+)$/;

/** The environment of every git we run: the allowlist above, then our fixed settings. */
export function gitEnv(extra: Record<string, string> = {}, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && GIT_ENV_ALLOWED.test(name) && !REPO_LOCATING.includes(name)) env[name] = value;
  }
  return {
    ...env,
    GIT_TERMINAL_PROMPT: '0',
    GCM_INTERACTIVE: 'never',
    GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    GIT_ALLOW_PROTOCOL: GIT_URL_SCHEMES.join(':'),
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
    LC_ALL: 'C',
    ...extra,
  };
}

/** Starts git; its stdout goes to a pipe, or to the file descriptor `stdout` when given. */
function start(call: GitCall, r: GitRunner, stdout?: number): ChildProcess {
  r.signal?.throwIfAborted();
  const child = r.spawn('git', call.args, {
    cwd: call.cwd,
    env: gitEnv(call.env),
    stdio: [call.input === undefined ? 'ignore' : 'pipe', stdout ?? 'pipe', 'pipe'],
    shell: false,
    windowsHide: true,
  });
  if (call.input !== undefined && child.stdin) {
    // git may exit before reading all of it (an error it reports itself): EPIPE is not ours to throw.
    child.stdin.on('error', () => {});
    child.stdin.end(call.input);
  }
  return child;
}

function exited(child: ChildProcess, command: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    child.once('error', (err) => reject(new GitError(command, null, `cannot run git: ${err.message}`)));
    child.once('close', (code: number | null) => resolve(code));
  });
}

function killOnAbort(child: ChildProcess, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const kill = () => child.kill('SIGTERM');
  if (signal.aborted) kill();
  else signal.addEventListener('abort', kill, { once: true });
  return () => signal.removeEventListener('abort', kill);
}

function collect(stream: Readable | null, cap: number): () => string {
  const parts: Buffer[] = [];
  let size = 0;
  stream?.on('data', (d: Buffer) => {
    if (size < cap) parts.push(d.subarray(0, cap - size));
    size += d.length;
  });
  return () => Buffer.concat(parts).toString('utf8');
}

/** The git subcommand, for messages: the first argument that is not an option. */
export function commandName(args: string[]): string {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '-c' || args[i] === '-C') i++;
    else if (!args[i]!.startsWith('-')) return args[i]!;
  }
  return 'git';
}

/** Runs git to the end; the exit code is the caller's to judge. */
export async function runGit(call: GitCall, r: GitRunner): Promise<GitOutput> {
  const child = start(call, r);
  const done = exited(child, commandName(call.args));
  const unhook = killOnAbort(child, r.signal);
  const stdout = collect(child.stdout, STDOUT_CAP);
  const stderr = collect(child.stderr, STDERR_CAP);
  try {
    const code = await done;
    r.signal?.throwIfAborted();
    return { code, stdout: stdout(), stderr: stderr() };
  } finally {
    unhook();
  }
}

/** Runs git; its stdout, or a GitError when it exits non-zero. */
export async function gitOk(call: GitCall, r: GitRunner): Promise<string> {
  const out = await runGit(call, r);
  if (out.code !== 0) throw new GitError(commandName(call.args), out.code, out.stderr);
  return out.stdout;
}

/** Bytes read from the spool file at a time. */
const SPOOL_READ = 128 << 10;
/** How far git may write ahead of the reader before it is held (SIGSTOP) until the reader is near. */
const SPOOL_LEAD = 512 << 10;

export interface SpoolOptions {
  /** A directory of the server's own: the spool lives in a fresh private directory under it. */
  dir: string;
  /** Bytes git may write ahead of the reader (default 512 KiB). */
  lead?: number;
  /** Told when git is held (stopped) and let go again. */
  onHold?: (pid: number, held: boolean) => void;
}

/**
 * Streams git's stdout through a file instead of a pipe: git writes to a spool file in a fresh
 * private directory under `dir` while the consumer works (a pipe holds 64 KiB, so a consumer that
 * blocks its thread, as SQLite's synchronous inserts do, would hold git for as long). The file is
 * read as it grows (a file watcher wakes the reader; git's exit ends it) and removed at the end.
 * Git runs at most `lead` bytes ahead (checked as it writes, and as the reader reads; a consumer
 * that blocks the thread lets it write more meanwhile): past that it is stopped (SIGSTOP) and
 * continued once the reader is within a quarter of it. Leaving the loop early, or an abort, kills
 * git (even while stopped); a non-zero exit is a GitError after the last chunk.
 */
export async function* spoolGit(call: GitCall, r: GitRunner, o: SpoolOptions): AsyncGenerator<Buffer> {
  r.signal?.throwIfAborted();
  const maxLead = o.lead ?? SPOOL_LEAD;
  await fs.promises.mkdir(o.dir, { recursive: true });
  const spoolDir = await fs.promises.mkdtemp(path.join(o.dir, '.git-log-'));
  const file = path.join(spoolDir, 'out');
  let fh: fs.promises.FileHandle | null = null;
  let child: ChildProcess | null = null;
  let watcher: fs.FSWatcher | null = null;
  let held = false;
  const running = () => child !== null && child.exitCode === null && child.signalCode === null;
  const terminate = () => {
    if (!running()) return;
    child!.kill('SIGTERM');
    if (held) child!.kill('SIGCONT'); // a stopped process acts on SIGTERM once continued
  };
  const signal = r.signal;
  try {
    const out = fs.openSync(file, 'wx', 0o600);
    try {
      child = start(call, r, out);
    } finally {
      fs.closeSync(out); // the child has its own copy
    }
    const git = child;
    const command = commandName(call.args);
    // Heard from now on: a git that is done before the file below is open closes only once.
    const done = exited(git, command);
    done.catch(() => {}); // awaited below; a failure to start must not be unhandled meanwhile
    fh = await fs.promises.open(file, 'r');
    const fd = fh.fd;
    let finished = false;
    let wake: (() => void) | null = null;
    let dirty = true;
    let pos = 0;
    const hold = (lead: number) => {
      if (!running() || git.pid === undefined) return;
      if (!held && lead > maxLead) held = git.kill('SIGSTOP');
      else if (held && lead <= maxLead / 4) held = !git.kill('SIGCONT');
      else return;
      o.onHold?.(git.pid, held);
    };
    const poke = () => {
      dirty = true;
      if (!held) hold(fs.fstatSync(fd).size - pos);
      wake?.();
    };
    const end = () => {
      finished = true;
      dirty = true;
      wake?.();
    };
    done.then(end, end); // a failure to start is thrown by the `await done` below
    signal?.addEventListener('abort', terminate, { once: true });
    if (signal?.aborted) terminate();
    const stderr = collect(git.stderr, STDERR_CAP);
    try {
      // Not persistent: a reader its consumer has abandoned (a server stopping mid-run) must not
      // keep the process alive; the watcher only wakes a reader that is waiting anyway.
      watcher = fs.watch(file, { persistent: false }, poke);
    } catch {
      // No watcher here: the file is read when git has finished.
    }
    for (;;) {
      if (!dirty) await new Promise<void>((resolve) => (wake = resolve));
      wake = null;
      dirty = false;
      const last = finished; // read once more after the exit: everything git wrote is in the file
      for (;;) {
        const buf = Buffer.allocUnsafe(SPOOL_READ);
        const { bytesRead } = await fh.read(buf, 0, SPOOL_READ, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        hold(fs.fstatSync(fd).size - pos);
        yield buf.subarray(0, bytesRead);
      }
      hold(0); // caught up: git may go on
      if (last) break;
    }
    const code = await done;
    signal?.throwIfAborted();
    if (code !== 0) throw new GitError(command, code, stderr());
  } finally {
    watcher?.close();
    signal?.removeEventListener('abort', terminate);
    terminate();
    await fh?.close();
    await fs.promises.rm(spoolDir, { recursive: true, force: true });
  }
}
