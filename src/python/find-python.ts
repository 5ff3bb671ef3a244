// Finds the interpreter once: asks the configured command for sys.executable, so that later
// spawns skip wrappers such as a pyenv shim (~60 ms each), and checks the version (>= 3.9).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PythonUnavailableError } from './errors.js';

export interface PythonInfo {
  /** The real interpreter (sys.executable), or the command when Python does not know it. */
  executable: string;
  version: [number, number, number];
}

const PROBE = 'import sys, json; print(json.dumps([sys.executable, list(sys.version_info[:3])]))';

export function resolvePython(command: string): Promise<PythonInfo> {
  const hint = 'Install Python 3.9 or newer, or set the python setting (QNTX_PYTHON)';
  return new Promise((resolve, reject) => {
    execFile(command, ['-c', PROBE], { timeout: 15_000 }, (err, stdout) => {
      if (err) {
        reject(new PythonUnavailableError(`cannot run python '${command}': ${err.message}`, {
          details: [`python=${command}`],
          hint,
          cause: err,
        }));
        return;
      }
      try {
        const [exe, version] = JSON.parse(stdout) as [string, [number, number, number]];
        if (version[0] < 3 || (version[0] === 3 && version[1] < 9)) {
          reject(new PythonUnavailableError(`python ${version.join('.')} is too old (3.9 or newer needed)`, {
            details: [`python=${command}`, `version=${version.join('.')}`],
            hint,
          }));
          return;
        }
        resolve({ executable: exe || command, version });
      } catch (e) {
        reject(new PythonUnavailableError(`unexpected answer from python '${command}'`, {
          details: [`python=${command}`],
          cause: e,
        }));
      }
    });
  });
}

/**
 * The directory holding the runner package (python/qntx_runner/), from src/python (tsx) or
 * dist/src/python (built): the warm parent runs `python -m qntx_runner` there.
 */
export function locateRunnerPackage(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(dir, 'python');
    if (fs.existsSync(path.join(candidate, 'qntx_runner', '__main__.py'))) return candidate;
    dir = path.dirname(dir);
  }
  throw new PythonUnavailableError('python/qntx_runner/ not found in the package');
}
