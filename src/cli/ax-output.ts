// Human output of `qntx ax`: the resolved results as a table, the sameness groups (--verbose)
// and the summary (--summary).
import type { AxConflictDto, AxResponseDto, AxSummaryDto } from '../protocol.js';
import { formatTime, printTable, terminalSafe } from './output.js';

// Stored text reaches the terminal: control characters are shown as escapes (output.ts).
const out = (s: string) => process.stdout.write(terminalSafe(s, true));

export function printAxTable(res: AxResponseDto): void {
  const aliased = res.attestations.some((a) => a.matched_aliases?.length);
  const headers = ['TIME', 'SUBJECTS', 'PREDICATES', 'CONTEXTS', 'ACTORS', 'ID', ...(aliased ? ['ALIAS'] : [])];
  printTable(
    headers,
    res.attestations.map((a) => [
      formatTime(a.timestamp),
      a.subjects.join(','),
      a.predicates.join(','),
      a.contexts.join(','),
      a.actors.join(','),
      a.id,
      ...(aliased ? [(a.matched_aliases ?? []).map((m) => `${m.value} = ${m.alias_of}`).join('; ')] : []),
    ]),
  );
  const s = res.summary;
  const types = Object.entries(s.by_type)
    .filter(([, n]) => n > 0)
    .map(([t, n]) => `${n} ${t}`)
    .join(', ');
  out(
    `${s.shown} attestation(s)` +
      (s.shown !== s.matched ? ` (${s.matched} matched; the others are resolved away, see --verbose or --all)` : '') +
      (s.conflicts ? `; ${s.conflicts} sameness group(s): ${types}` : '') +
      (res.next_cursor ? `; more with --cursor ${res.next_cursor}` : '') +
      '\n',
  );
}

export function printConflicts(conflicts: readonly AxConflictDto[]): void {
  for (const c of conflicts) {
    out(`\n${c.type}  ${c.subject} is ${c.predicate}  confidence ${c.confidence.toFixed(2)}  winner ${c.winner ?? '-'}\n  ${c.reason}\n`);
    for (const claim of c.claims) {
      const mark = claim.id === c.winner ? '*' : c.kept.includes(claim.id) ? '+' : '-';
      const attrs = Object.keys(claim.attributes).length ? ` ${JSON.stringify(claim.attributes)}` : '';
      out(`  ${mark} ${formatTime(claim.timestamp)}  of ${claim.contexts.join(',')}  by ${claim.actors.join(',')} (${claim.actor_type})  ${claim.id}${attrs}\n`);
    }
  }
}

export function printSummary(s: AxSummaryDto): void {
  out(`matched ${s.matched}, shown ${s.shown}, sameness groups ${s.conflicts}\n`);
  for (const [t, n] of Object.entries(s.by_type)) if (n) out(`  ${t}: ${n}\n`);
  for (const field of ['subjects', 'predicates', 'contexts', 'actors'] as const) {
    const entries = Object.entries(s[field]);
    if (entries.length) out(`${field}: ${entries.map(([v, n]) => `${v} (${n})`).join(', ')}\n`);
  }
  if (s.aliases_truncated) out('aliases: the walk stopped at its bounds; some aliases may not be followed\n');
}
