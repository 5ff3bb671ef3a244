// A database URL given as a flag (kept for compatibility) holds a password, and a process's command
// line (/proc/<pid>/cmdline, `ps`) is readable by every user of the machine and by handler runs.
// The CLI overwrites its own command line first thing; QNTX_DATABASE_URL or --database-url-file
// (mode 0600) never put it there at all.

// `migrate --from/--to` take a data directory or a URL: hidden either way.
const CREDENTIAL_FLAGS = ['--database-url', '--read-database-url', '--from', '--to'];
const HIDDEN = '[hidden]';

/** The command line with the value of each credential flag replaced, or null when there is none. */
export function redactedCommandLine(argv: readonly string[]): string | null {
  let hid = false;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    if (CREDENTIAL_FLAGS.includes(arg) && i + 1 < argv.length) {
      out.push(arg, HIDDEN);
      i++;
      hid = true;
    } else if (eq > 0 && CREDENTIAL_FLAGS.includes(arg.slice(0, eq))) {
      out.push(`${arg.slice(0, eq)}=${HIDDEN}`);
      hid = true;
    } else out.push(arg);
  }
  return hid ? out.join(' ') : null;
}

/**
 * Overwrites this process's command line when it holds a credential. Node's `process.title`
 * rewrites the memory /proc/<pid>/cmdline reads (the whole original argument area, the rest
 * zeroed), so the URL is gone from it, not only from `ps`.
 */
export function hideCredentialArgs(argv: readonly string[], setTitle: (t: string) => void = (t) => (process.title = t)): boolean {
  const title = redactedCommandLine(argv);
  if (title === null) return false;
  setTitle(title);
  return true;
}
