// Progress of a backup, restore or migrate on stderr: a line when a table starts, when it ends,
// and at most once a second between.
import type { Progress } from '../ops/transfer.js';

export function progressPrinter(verb: string, quiet: boolean): ((p: Progress) => void) | undefined {
  if (quiet) return undefined;
  let table = '';
  let last = 0;
  return (p) => {
    if (p.total === 0) return;
    const now = Date.now();
    if (p.table !== table || p.done === p.total || now - last >= 1000) {
      table = p.table;
      last = now;
      process.stderr.write(`${verb}: ${p.table} ${p.done}/${p.total}\n`);
    }
  };
}
