// IX routing (SPEC §4), used by the API and the CLI alike through Pulse's resolver:
// 1. the newest non-retracted `ix_handler` attestation for the type → python.script;
// 2. else a built-in for the type (git → ixgest.git);
// 3. else NoIngestScriptError (details script_type=<type>, hint "Create a handler for '<type>'").
import { ValidationError } from '../errors.js';
import type { ScheduleResolver } from '../pulse/schedules.js';
import { NoIngestScriptError } from './errors.js';
import type { HandlerRegistry } from './handler-registry.js';
import { parseIx, type IxCommand } from './parser.js';
import { isGitRepoPath, isGitUrl } from './git-detect.js';

export interface Route {
  handler_name: string;
  payload: unknown;
}

type Builtin = (cmd: IxCommand) => Route;

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  git: (cmd) => {
    const repo = cmd.args[0];
    if (!repo) {
      throw new ValidationError('ix git needs a repository', {
        details: ['args=missing repository'],
        hint: 'ix git <path-or-url> [--since <date|last_run>] [--no-deps]',
      });
    }
    if (!isGitUrl(repo) && !isGitRepoPath(repo)) {
      throw new ValidationError(`not a git repository: ${repo}`, {
        details: [`source=${repo}`],
        hint: 'give a local path that holds a .git directory, or a repository URL',
      });
    }
    const since = cmd.flags.since;
    return {
      handler_name: 'ixgest.git',
      payload: {
        repo,
        ...(typeof since === 'string' ? { since } : {}),
        no_deps: cmd.flags['no-deps'] === true || cmd.flags.no_deps === true,
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
