// The framed protocol between Node and the warm parent: one JSON object per line each way.
// Node sends commands; the parent answers with the messages below (it validated the child's).
import { ValidationError } from '../errors.js';
import type { RunLimits } from './limits.js';
import type { RawAttestation, RunContext, RunResult } from './types.js';

export type Command =
  | { op: 'run'; id: number; code: string; ctx: RunContext; limits: RunLimits }
  | { op: 'check'; id: number; code: string }
  /** Kill the run: cancelled (by the caller), or past its disk limit (the disk watch). */
  | { op: 'cancel'; id: number; reason?: 'disk' }
  /** One `batch` was consumed: the parent keeps at most a few unacknowledged per run. */
  | { op: 'ack'; id: number };

/** An attestation as it travels: [id, subjects, predicates, contexts, actors, attributes, timestamp]. */
export type WireAttestation = [
  string,
  string[],
  string[],
  string[],
  string[] | null,
  Record<string, unknown> | null,
  number | null,
];

export interface DoneMessage
  extends Pick<RunResult, 'success' | 'stdout' | 'stderr' | 'stdoutTruncated' | 'stderrTruncated' | 'error' | 'details' | 'state'> {
  t: 'done';
  id: number;
  pending: WireAttestation[];
}

export type ParentMessage =
  /** isolation: how runs are kept from the server's files and processes (null: not, for `isolationReason`). */
  | { t: 'ready'; pid: number; executable: string; version: number[]; sandbox: boolean; uidBase: number | null; subreaper: boolean;
      isolation: 'root' | 'userns' | null; isolationReason: string | null }
  /** pid = the run's process group; dir = its private directory; uid = its sandbox uid or null. */
  | { t: 'started'; id: number; pid: number; dir: string; uid: number | null }
  /** `state`: an ix.checkpoint(): commit these items together with this state. */
  | { t: 'batch'; id: number; items: WireAttestation[]; state?: Record<string, unknown> }
  | { t: 'progress'; id: number; current: number; total: number | null }
  | DoneMessage
  | { t: 'checked'; id: number; ok: boolean; error: string | null; details: string[] };

/**
 * One command as a line, serialised before a run is tracked or sent: what cannot be serialised
 * fails its caller alone. `op` and `id` come first, so the parent can answer a line it cannot parse.
 */
export function encodeCommand(cmd: Command): string {
  try {
    return JSON.stringify(cmd);
  } catch (cause) {
    throw new ValidationError('the run cannot be sent to Python: its input is not serialisable', {
      details: ['command=not_serialisable'],
      cause,
    });
  }
}

const TYPES = new Set(['ready', 'started', 'batch', 'progress', 'done', 'checked']);

/** Parses one line from the parent; null when it is not a message we know. */
export function parseParentMessage(line: string): ParentMessage | null {
  let msg: unknown;
  try {
    msg = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof msg !== 'object' || msg === null) return null;
  const m = msg as { t?: unknown; id?: unknown };
  if (typeof m.t !== 'string' || !TYPES.has(m.t)) return null;
  if (m.t !== 'ready' && typeof m.id !== 'number') return null;
  if ((m.t === 'batch' && !Array.isArray((msg as { items?: unknown }).items)) ||
      (m.t === 'done' && !Array.isArray((msg as { pending?: unknown }).pending))) return null;
  return msg as ParentMessage;
}

export function toRawAttestation(w: WireAttestation): RawAttestation {
  return {
    id: w[0],
    subjects: w[1],
    predicates: w[2],
    contexts: w[3],
    actors: w[4],
    attributes: w[5],
    timestamp: w[6],
  };
}

/** Splits a byte stream into lines without decoding partial UTF-8 sequences. */
export class LineSplitter {
  private parts: Buffer[] = [];

  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl = chunk.indexOf(10);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      if (this.parts.length) {
        this.parts.push(piece);
        lines.push(Buffer.concat(this.parts).toString('utf8'));
        this.parts = [];
      } else {
        lines.push(piece.toString('utf8'));
      }
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) this.parts.push(chunk.subarray(start));
    return lines;
  }
}
