// IX routing, used by the API and the CLI alike through Pulse's resolver:
// 1. the newest non-retracted `ix_handler` attestation for the type → python.script;
// 2. else a built-in for the type (git → ixgest.git);
// 3. else NoIngestScriptError (details script_type=<type>, hint "Create a handler for '<type>'").
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import type { ScheduleResolver } from '../pulse/schedules.js';
import { NoIngestScriptError } from './errors.js';
import type { HandlerRegistry } from './handler-registry.js';
import { parseIx, type IxCommand } from './parser.js';
import { isGitRepoPath, isGitUrl } from './git-detect.js';
import { peelToCommits } from './git-objects.js';
import { openRepository } from './git-source.js';
import { parseGitSince, sinceToPayload, type GitSince } from './git-since.js';

export interface Route {
  handler_name: string;
  payload: unknown;
}

type Builtin = (cmd: IxCommand) => Promise<Route>;

const GIT_HINT = 'ix git <path-or-url> [--since <date|ms|sha>] [--full] [--remotes] [--no-deps]';
const flag = (cmd: IxCommand, name: string) => cmd.flags[name] === true || cmd.flags[name.replace(/-/g, '_')] === true;

/** A --since commit of a local repository must exist now; a URL's is checked when it is fetched. */
async function checkSinceCommit(repo: string, since: GitSince | null): Promise<void> {
  if (since?.kind !== 'commit' || isGitUrl(repo)) return;
  const r = { spawn };
  const { gitDir } = await openRepository(repo, '', r);
  const [sha] = await peelToCommits(gitDir, [since.sha], r);
  if (!sha) {
    throw new ValidationError(`unknown commit for --since: ${since.sha}`, {
      details: [`since=${since.sha}`, `source=${repo}`],
      hint: 'give a commit of this repository (its sha or an unambiguous prefix), or a date',
    });
  }
}

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  git: async (cmd) => {
    const repo = cmd.args[0];
    if (!repo) {
      throw new ValidationError('ix git needs a repository', { details: ['args=missing repository'], hint: GIT_HINT });
    }
    if (!isGitUrl(repo) && !isGitRepoPath(repo)) {
      throw new ValidationError(`not a git repository: ${repo}`, {
        details: [`source=${repo}`],
        hint: 'give a local path that holds a .git directory, or a repository URL',
      });
    }
    const raw = cmd.flags.since;
    if (raw === true) throw new ValidationError('--since needs a value', { details: ['since=missing'], hint: GIT_HINT });
    // Validated now, not at the first run: a bad value is the caller's 400, not a failed execution.
    const since = raw === undefined ? null : parseGitSince(raw);
    await checkSinceCommit(repo, since);
    const s = since ? sinceToPayload(since) : undefined;
    return {
      handler_name: 'ixgest.git',
      payload: {
        // A local path is made absolute here: the job may run in another process, elsewhere.
        repo: isGitUrl(repo) ? repo : path.resolve(repo),
        ...(s ? { since: s } : {}),
        no_deps: flag(cmd, 'no-deps'),
        remotes: flag(cmd, 'remotes'),
        full: flag(cmd, 'full'),
      },
    };
  },
};

export interface RouterOptions {
  handlers: HandlerRegistry;
  isGitRepoPath?: (p: string) => boolean;
}

export async function routeIx(code: string, o: RouterOptions): Promise<Route> {
  const cmd = parseIx(code, o.isGitRepoPath ? { isGitRepoPath: o.isGitRepoPath } : {});
  const handler = await o.handlers.current(cmd.type);
  if (handler) {
    return {
      handler_name: 'python.script',
      payload: { script_type: cmd.type, handler_id: handler.id, args: cmd.args, flags: cmd.flags },
    };
  }
  const builtin = BUILTINS[cmd.type];
  if (builtin) return builtin(cmd);
  throw new NoIngestScriptError(cmd.type);
}

/** Pulse's resolver: `ix …` codes go through routing; nothing else is schedulable. */
export function ixResolver(o: RouterOptions): ScheduleResolver {
  return async (atsCode) => {
    if (!/^\s*ix(\s|$)/.test(atsCode)) {
      throw new ValidationError('unsupported ats_code', {
        details: [`ats_code=${atsCode.slice(0, 80)}`],
        hint: "schedules run ix commands: 'ix <type> [args] [--flag value]'",
      });
    }
    return routeIx(atsCode, o);
  };
}
