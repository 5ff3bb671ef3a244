// The qntx command line: one subcommand per file under commands/.
import { Command, CommanderError } from 'commander';
import { VERSION } from '../version.js';
import { registerAlias } from './commands/alias.js';
import { registerAs } from './commands/as.js';
import { registerAx } from './commands/ax.js';
import { registerHandlers } from './commands/handlers.js';
import { registerHooks } from './commands/hooks.js';
import { registerImport } from './commands/import.js';
import { registerIx } from './commands/ix.js';
import { registerPulse } from './commands/pulse.js';
import { registerRun } from './commands/run.js';
import { registerSecrets } from './commands/secrets.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { createLogger } from '../logger.js';
import { hideCredentialArgs } from './hide-credentials.js';
import { reportError } from './output.js';
import { installProcessPolicy } from './process-policy.js';

export function buildProgram(): Command {
  const program = new Command('qntx')
    .description('attestations, ix ingest and the Pulse scheduler')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  registerServe(program);
  registerAs(program);
  registerAx(program);
  registerAlias(program);
  registerImport(program);
  registerIx(program);
  registerHandlers(program);
  registerHooks(program);
  registerPulse(program);
  registerRun(program);
  registerSecrets(program);
  registerWorker(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  hideCredentialArgs(argv);
  // What qntx creates (data directory, database, token, key, caches) is its user's alone.
  process.umask(0o077);
  installProcessPolicy(createLogger({ name: 'qntx' }));
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.exitCode = reportError(err, argv.includes('--json'));
  }
}
