// The package version and root directory, read once from package.json.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: two levels above this file in both src/ (tsx) and dist/ (compiled). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

export const WEB_DIST = path.join(PACKAGE_ROOT, 'web', 'dist');
