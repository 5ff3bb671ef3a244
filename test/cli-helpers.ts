// Runs the real `qntx` bin as a child process.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'qntx.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `nodeArgs` go to node before the bin (e.g. --import of a fixture). */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string, nodeArgs: string[] = []): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], {
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, QNTX_LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
