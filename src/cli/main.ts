// The qntx command line: one subcommand per file under commands/. Only the module of the command
// being run is loaded (the application behind it costs a second or more to import), so
// `qntx --version`, `qntx --help` and light commands start at once.
import v8 from 'node:v8';
import { Command, CommanderError, type OutputConfiguration } from 'commander';
import { VERSION } from '../version.js';
import { hideCredentialArgs } from './hide-credentials.js';
import { reportError } from './output.js';
import { installProcessPolicy, type FatalLog } from './process-policy.js';

type Register = (program: Command) => void;

/** Every command: its one-line summary (for `qntx --help`) and how to load its module. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<Register> }> = {
  serve: { summary: 'run the server (default http://127.0.0.1:8770, SQLite in ./data)', load: async () => (await import('./commands/serve.js')).registerServe },
  as: { summary: 'make an attestation: qntx as alice is engineer of acme [by hr] [at 2026-01-29]', load: async () => (await import('./commands/as.js')).registerAs },
  ax: { summary: 'query attestations in the AX language: qntx ax alice is engineer of acme since 2026-01', load: async () => (await import('./commands/ax.js')).registerAx },
  alias: { summary: 'make A an alias of B for ax queries, remove it, or list identities', load: async () => (await import('./commands/alias.js')).registerAlias },
  import: { summary: 'import attestations from a JSON-lines file', load: async () => (await import('./commands/import.js')).registerImport },
  ix: { summary: 'schedule an ix command: qntx ix <type> [args] [--every 30s | --cron "0 9 * * 1-5"]', load: async () => (await import('./commands/ix.js')).registerIx },
  handlers: { summary: 'ix handlers: Python scripts stored as attestations', load: async () => (await import('./commands/handlers.js')).registerHandlers },
  hooks: { summary: 'webhooks: URLs an outside system POSTs to, to run a handler', load: async () => (await import('./commands/hooks.js')).registerHooks },
  pulse: { summary: 'schedules, executions and jobs', load: async () => (await import('./commands/pulse.js')).registerPulse },
  run: { summary: 'run a Python handler script locally (stores nothing unless a store is given)', load: async () => (await import('./commands/run.js')).registerRun },
  secrets: { summary: 'secrets handlers read as ix.secrets (values are never shown)', load: async () => (await import('./commands/secrets.js')).registerSecrets },
  backup: { summary: 'write a consistent snapshot of the store to a file (server may be running)', load: async () => (await import('./commands/backup.js')).registerBackup },
  restore: { summary: 'load a backup into an empty store (SQLite or PostgreSQL) and verify it', load: async () => (await import('./commands/restore.js')).registerRestore },
  migrate: { summary: 'copy a store into another, e.g. SQLite to PostgreSQL: qntx migrate --from ./data --to postgres://…', load: async () => (await import('./commands/migrate.js')).registerMigrate },
  worker: { summary: 'run jobs only (scale-out on PostgreSQL)', load: async () => (await import('./commands/worker.js')).registerWorker },
};

/**
 * The program with the named commands loaded and the others as summaries only (enough for
 * `qntx --help`); every command when `load` is 'all'.
 */
export async function buildProgram(load: readonly string[] | 'all' = 'all', output?: OutputConfiguration): Promise<Command> {
  const program = new Command('qntx')
    .description('attestations, ix ingest and the Pulse scheduler')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();
  // Before the commands are added: they inherit it.
  if (output) program.configureOutput(output);
  for (const [name, c] of Object.entries(COMMANDS)) {
    if (load === 'all' || load.includes(name)) (await c.load())(program);
    else program.command(name).description(c.summary).allowUnknownOption().helpOption(false);
  }
  return program;
}

/** A fatal error goes to stderr as one JSON line, as the logger writes it (pino is not loaded for it). */
const fatalLog: FatalLog = {
  fatal(obj, msg) {
    const e = obj.err instanceof Error ? { type: obj.err.name, message: obj.err.message, stack: obj.err.stack } : obj.err;
    process.stderr.write(JSON.stringify({ level: 60, time: Date.now(), name: 'qntx', ...obj, err: e, msg }) + '\n');
  },
  flush() {},
};

export async function main(argv: string[]): Promise<void> {
  hideCredentialArgs(argv);
  // What qntx creates (data directory, database, token, key, caches) is its user's alone.
  process.umask(0o077);
  installProcessPolicy(fatalLog);
  const name = argv.slice(2).find((w) => !w.startsWith('-'));
  // V8 compiles a regular expression to machine code on its second run. A one-shot command runs
  // most of its expressions once or twice, and chrono-node's (a relative time: `since 3 days ago`)
  // are large alternations of words: their compilation was 140 ms of `qntx ax`, against 28 ms for
  // the whole parse left on V8's regexp interpreter. Expressions run a thousand times still get
  // compiled. Not for serve and worker: long-running, their hot expressions pay once.
  if (name === 'ax') v8.setFlagsFromString('--regexp-tier-up-ticks=1000');
  try {
    const program = await buildProgram(name && name in COMMANDS ? [name] : []);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode;
      return;
    }
    process.exitCode = reportError(err, argv.includes('--json'));
  }
}
