// `ix git R --since <x>`, read once when the schedule is made and again by the job: an ISO 8601
// date or date-time (no offset: UTC), ms since the epoch, or a commit sha. A number that looks
// like seconds is refused with a hint; `last_run` is accepted and means the default (incremental).
import { ValidationError } from '../errors.js';

export type GitSince = { kind: 'time'; ms: number } | { kind: 'commit'; sha: string } | { kind: 'incremental' };

/** Below this, a number is taken for seconds, not ms (1e11 ms is March 1973). */
const MIN_MS = 1e11;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;
const SHA = /^[0-9a-f]{4,64}$/i;
const HINT = 'use an ISO date (2026-01-29 or 2026-01-29T10:00:00Z), ms since the epoch (1769680800000), or a commit sha';

function invalid(s: string, why: string, hint = HINT): ValidationError {
  return new ValidationError(`invalid --since '${s.slice(0, 100)}': ${why}`, { details: [`since=${s.slice(0, 100)}`], hint });
}

function isoMs(s: string): number | null {
  const m = ISO.exec(s);
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const parts = [Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(sec)] as const;
  const utc = Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4], parts[5], Number(frac.padEnd(3, '0').slice(0, 3)));
  const back = new Date(utc);
  // Date.UTC rolls 2025-13-45 over into 2026: a date that does not round-trip does not exist.
  if (back.getUTCFullYear() !== parts[0] || back.getUTCMonth() !== parts[1] - 1 || back.getUTCDate() !== parts[2]) return null;
  if (parts[3] > 23 || parts[4] > 59 || parts[5] > 59) return null;
  if (!zone || /^z$/i.test(zone)) return utc;
  const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)!;
  const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000;
  return z[1] === '+' ? utc - offset : utc + offset;
}

/** Reads a --since value; throws a ValidationError with a hint when it cannot be one. */
export function parseGitSince(raw: string): GitSince {
  const s = raw.trim();
  if (s === '' ) throw invalid(raw, 'empty');
  if (s === 'last_run') return { kind: 'incremental' };
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (!Number.isSafeInteger(n)) throw invalid(s, 'too large');
    if (n < MIN_MS) {
      throw invalid(s, 'looks like seconds, not ms', `ms since the epoch has 13 digits: ${s}000 is ${new Date(n * 1000).toISOString()}; or write an ISO date`);
    }
    return { kind: 'time', ms: n };
  }
  if (/^\d{4}-/.test(s)) {
    const ms = isoMs(s);
    if (ms === null) throw invalid(s, 'not a valid ISO 8601 date');
    return { kind: 'time', ms };
  }
  if (SHA.test(s)) return { kind: 'commit', sha: s.toLowerCase() };
  throw invalid(s, 'neither a date, ms nor a commit sha');
}

/** The payload form: ms as digits, a sha as it is, nothing for the default. */
export function sinceToPayload(s: GitSince): string | undefined {
  return s.kind === 'time' ? String(s.ms) : s.kind === 'commit' ? s.sha : undefined;
}
