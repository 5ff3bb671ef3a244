// What a qntx process does with an error nobody handled (a promise rejection nobody awaited, an
// exception thrown from a callback): it logs it with its context and exits with code 1. Carrying
// on in an unknown state is worse: a supervisor restarts the process, and leases make that safe
// (its jobs run again elsewhere once their leases run out).
/** What the policy writes with: the logger of the process, or anything with the same two calls. */
export interface FatalLog {
  fatal(obj: Record<string, unknown>, msg: string): void;
  flush(): void;
}

let installed = false;

export function installProcessPolicy(logger: FatalLog, exit: (code: number) => void = (code) => process.exit(code)): void {
  if (installed) return;
  installed = true;
  const die = (kind: 'unhandledRejection' | 'uncaughtException', err: unknown) => {
    logger.fatal({ err, kind, pid: process.pid, argv: process.argv.slice(2, 3) }, `${kind}: exiting (a supervisor restarts the process; leases make that safe)`);
    logger.flush();
    exit(1);
  };
  process.on('unhandledRejection', (reason) => die('unhandledRejection', reason));
  process.on('uncaughtException', (err) => die('uncaughtException', err));
}
