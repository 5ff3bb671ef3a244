// Large test repositories made with `git fast-import`, without blocking the event loop.
import { spawn } from 'node:child_process';

/**
 * glibc's malloc gives memory back to the system (brk) after freeing an object and asks again for
 * the next: fast-import does that ~12 times per commit. On the CI VM each brk costs ~0.15 ms, and a
 * 20,000-commit import took 150 s instead of under 1 s. A top pad and a high trim threshold keep
 * the heap grown; what git writes is the same.
 */
const MALLOC_ENV = { MALLOC_TOP_PAD_: String(64 << 20), MALLOC_TRIM_THRESHOLD_: String(256 << 20) };

/** Runs `git fast-import --quiet` in `dir` (an initialized repository) on `input`. */
export function gitFastImport(dir: string, input: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env: { ...process.env, ...MALLOC_ENV }, stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}: ${err}`))));
    child.stdin.end(input);
  });
}
