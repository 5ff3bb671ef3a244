// The `ix` command grammar (SPEC §4): `ix <type> [args...] [--flag value] [--flag=value] [--bool]`.
// Quotes group words, backslash escapes, `--` ends flags; a first word that looks like a git
// repository means type `git`. Words are data: nothing here is ever given to a shell.
import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';

export interface IxCommand {
  type: string;
  args: string[];
  flags: Record<string, string | true>;
  /** Set when the type was inferred from a repository-looking first word. */
  gitSource?: string;
}

export interface ParseIxOptions {
  isGitRepoPath?: (p: string) => boolean;
}

export const MAX_IX_LENGTH = 8192;
const TYPE_NAME = /^[a-z0-9_-]{1,64}$/;
const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HINT = 'write it as: ix <type> [args...] [--flag value]';

interface Word {
  text: string;
  quoted: boolean;
  column: number;
}

function fail(message: string, column: number, hint = HINT): never {
  throw new ValidationError(`${message} at column ${column}`, { details: [`column=${column}`], hint });
}

/** Splits into words: double quotes (with \ escapes), single quotes (literal), bare words. */
export function splitWords(input: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < input.length) {
    if (/\s/.test(input[i]!)) {
      i++;
      continue;
    }
    const column = i + 1;
    let text = '';
    let quoted = false;
    while (i < input.length && !/\s/.test(input[i]!)) {
      const ch = input[i]!;
      if (ch === '"' || ch === "'") {
        const open = i + 1;
        quoted = true;
        i++;
        while (i < input.length && input[i] !== ch) {
          if (ch === '"' && input[i] === '\\' && i + 1 < input.length) i++;
          text += input[i++];
        }
        if (i >= input.length) fail(`unterminated ${ch === '"' ? 'double' : 'single'} quote`, open, `close the quote opened at column ${open}`);
        i++;
      } else if (ch === '\\' && i + 1 < input.length) {
        text += input[i + 1];
        i += 2;
      } else {
        text += ch;
        i++;
      }
    }
    words.push({ text, quoted, column });
  }
  return words;
}

const GIT_URL = [/^https?:\/\/\S+\.git\/?$/i, /^https?:\/\/(www\.)?github\.com\/[^/\s]+\/[^/\s]+/i, /^git@[^:\s]+:\S+/, /^ssh:\/\/\S+/, /^git:\/\/\S+/, /^file:\/\/\S+/];

export function looksLikeGitUrl(word: string): boolean {
  return GIT_URL.some((re) => re.test(word)) || (/\.git\/?$/.test(word) && word.length > 4);
}

export function defaultIsGitRepoPath(p: string): boolean {
  if (!/^(\.{1,2}(\/|$)|\/|~\/)/.test(p)) return false;
  try {
    return fs.existsSync(path.join(path.resolve(p), '.git'));
  } catch {
    return false;
  }
}

export function parseIx(input: string, opts: ParseIxOptions = {}): IxCommand {
  if (input.length > MAX_IX_LENGTH) {
    throw new ValidationError(`ix command is longer than ${MAX_IX_LENGTH} characters`, {
      details: [`length=${input.length}`, `max=${MAX_IX_LENGTH}`],
      hint: 'pass large data through a file or the handler state',
    });
  }
  const words = splitWords(input);
  if (words.length === 0) fail('empty ix command', 1);
  if (words[0]!.quoted || words[0]!.text !== 'ix') fail("an ix command starts with 'ix'", words[0]!.column);
  const first = words[1];
  if (!first) fail("'ix' needs a type", input.length + 1, "e.g. 'ix webhook' or 'ix git ./repo'");
  const isRepo = opts.isGitRepoPath ?? defaultIsGitRepoPath;
  const rest = words.slice(2);
  let type: string;
  const cmd: IxCommand = { type: '', args: [], flags: {} };
  if (!first.quoted && first.text !== 'git' && (looksLikeGitUrl(first.text) || isRepo(first.text))) {
    type = 'git';
    cmd.gitSource = first.text;
    cmd.args.push(first.text);
  } else {
    type = first.text;
    if (first.quoted || !TYPE_NAME.test(type)) {
      fail(`invalid type '${type.slice(0, 64)}'`, first.column, 'a type is 1-64 lowercase letters, digits, - or _');
    }
  }
  cmd.type = type;
  let flagsDone = false;
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (flagsDone || w.quoted || !w.text.startsWith('--')) {
      cmd.args.push(w.text);
      continue;
    }
    if (w.text === '--') {
      flagsDone = true;
      continue;
    }
    const body = w.text.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (!FLAG_NAME.test(name)) fail(`invalid flag '--${name.slice(0, 64)}'`, w.column, 'flags are --name, --name value or --name=value');
    if (eq >= 0) {
      cmd.flags[name] = body.slice(eq + 1);
      continue;
    }
    const next = rest[i + 1];
    if (next && (next.quoted || !next.text.startsWith('--'))) {
      cmd.flags[name] = next.text;
      i++;
    } else cmd.flags[name] = true;
  }
  if (type === 'git' && !cmd.gitSource && cmd.args[0]) cmd.gitSource = cmd.args[0];
  return cmd;
}
