// The `ix` command grammar (docs/ix.md "Grammar"):
// `ix <type> [args...] [--flag value] [--flag=value] [--bool-flag] [-- args...]`.
import { ValidationError } from '../errors.js';
import { isGitRepoPath, looksLikeGitRepo } from './git-detect.js';
import { TYPE_NAME } from './handler-registry.js';
import { ixSyntaxError, splitWords, type Word } from './words.js';


export interface IxCommand {
  type: string;
  args: string[];
  flags: Record<string, string | true>;
  /** The repository, when the type is `git` (inferred from the first word, or `ix git <repo>`). */
  gitSource?: string;
}

export interface ParseIxOptions {
  /** Whether a path-like first word is a repository; the default looks at the file system. */
  isGitRepoPath?: (p: string) => boolean;
}

/** Longest command, in UTF-8 bytes. */
export const MAX_IX_BYTES = 8192;

const FLAG_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const HINT = 'write it as: ix <type> [args...] [--flag value]';
const TYPE_HINT =
  'a type is 1-64 lowercase letters, digits, - or _; a repository is a URL ending in .git, ' +
  'https://github.com/…, git@host:path, or a local path holding .git';

function checkSize(input: string): void {
  // A UTF-16 unit is at least one UTF-8 byte, so a long string is rejected before it is measured.
  const bytes = input.length > MAX_IX_BYTES ? input.length : Buffer.byteLength(input, 'utf8');
  if (bytes > MAX_IX_BYTES) {
    throw new ValidationError(`ix command is longer than ${MAX_IX_BYTES} bytes`, {
      details: [`length=${bytes}`, `max=${MAX_IX_BYTES}`],
      hint: 'pass large data through a file, a URL or the handler state, not the command',
    });
  }
}

const isFlag = (w: Word) => !w.quoted && w.text.startsWith('--');

/** Column just after the last non-space character: where a missing word would go. */
function endColumn(input: string): number {
  return [...input.trimEnd()].length + 1;
}

function argsAndFlags(words: Word[]): Pick<IxCommand, 'args' | 'flags'> {
  const args: string[] = [];
  const flags: Record<string, string | true> = {};
  let flagsDone = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (flagsDone || !isFlag(w)) {
      args.push(w.text);
      continue;
    }
    if (w.text === '--') {
      flagsDone = true;
      continue;
    }
    const body = w.text.slice(2);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (!FLAG_NAME.test(name)) {
      throw ixSyntaxError(`invalid flag '${w.text.slice(0, 64)}'`, w.column, 'flags are --name, --name value or --name=value; put arguments that start with -- after a lone --, or quote them');
    }
    const next = words[i + 1];
    if (eq >= 0) flags[name] = body.slice(eq + 1);
    else if (next && !isFlag(next)) {
      flags[name] = next.text;
      i++;
    } else flags[name] = true;
  }
  return { args, flags };
}

/** Parses an `ix` command. Errors are ValidationErrors whose message and details name the column. */
export function parseIx(input: string, opts: ParseIxOptions = {}): IxCommand {
  checkSize(input);
  const words = splitWords(input);
  const head = words[0];
  if (!head) throw ixSyntaxError('empty ix command', 1, HINT);
  if (head.quoted || head.text !== 'ix') throw ixSyntaxError("an ix command starts with 'ix'", head.column, HINT);
  const first = words[1];
  if (!first) throw ixSyntaxError("'ix' needs a type", endColumn(input), "e.g. 'ix webhook' or 'ix git ./repo'");
  if (isFlag(first)) throw ixSyntaxError(`expected a type before '${first.text.slice(0, 64)}'`, first.column, HINT);
  const { args, flags } = argsAndFlags(words.slice(2));
  if (looksLikeGitRepo(first.text, opts.isGitRepoPath ?? isGitRepoPath)) {
    return { type: 'git', args: [first.text, ...args], flags, gitSource: first.text };
  }
  if (!TYPE_NAME.test(first.text)) {
    throw ixSyntaxError(`invalid type '${first.text.slice(0, 64)}'`, first.column, TYPE_HINT, [`type=${first.text.slice(0, 64)}`]);
  }
  // `ix git` without a repository is left to routing: a user's own `git` handler may take none.
  if (first.text === 'git' && args[0] !== undefined) return { type: 'git', args, flags, gitSource: args[0] };
  return { type: first.text, args, flags };
}
