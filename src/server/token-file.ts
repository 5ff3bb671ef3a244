// The access token of `qntx serve` when QNTX_TOKEN is not set: generated once into
// <data-dir>/token (mode 0600) and reused by every later start, so a bookmarked URL keeps working.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../errors.js';

const VALID = /^[\x21-\x7e]{16,512}$/;

function readToken(file: string): string {
  const token = fs.readFileSync(file, 'utf8').trim();
  if (!VALID.test(token)) {
    throw new ConfigError(`the token file ${file} does not hold a usable token`, {
      details: [`token_file=${file}`],
      hint: 'delete it to have a new token generated, or write 16 to 512 printable characters into it',
    });
  }
  // Readable by others, it is no secret: narrow it (the owner keeps it).
  if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  return token;
}

/** Reads the token from `file`, creating it (0600, 256 random bits) when it does not exist. */
export function loadOrCreateToken(file: string): string {
  try {
    return readToken(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const token = randomBytes(32).toString('base64url');
  // Written aside, then linked into place (atomic, fails if it exists): of two servers starting
  // at once, one creates the file and the other reads the whole of it.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return token;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readToken(file);
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}
