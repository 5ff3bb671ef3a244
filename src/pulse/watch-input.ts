// What a watcher is made with (docs/watchers.md): `watch: true` beside the ats_code of an
// `ax … so <type>` action, its limits, and conditions on the attributes of the attestations.
import { z } from 'zod';
import type { WatchCondition } from '../protocol.js';

export const DEFAULT_BATCH_SIZE = 100;
export const DEFAULT_MAX_RUNS_PER_MINUTE = 60;
export const DEFAULT_MAX_PENDING = 100_000;

export const watchCondition = z.strictObject({
  path: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^.]+(\.[^.]+)*$/, 'a dotted path into the attributes, e.g. payload.action'),
  op: z.enum(['equals', 'contains']),
  value: z.union([z.string().max(2000), z.number(), z.boolean(), z.null()]),
});

/** The fields of a schedule's creation that make and tune a watcher. */
export const watchFields = {
  watch: z.boolean().optional().describe('a watcher: run on every new attestation the ax query matches (docs/watchers.md)'),
  batch_size: z.number().int().min(1).max(10_000).optional().describe('watcher: matches handed to one run at most (default 100)'),
  max_runs_per_minute: z.number().int().min(1).max(6000).optional().describe('watcher: runs per minute at most; matches meanwhile go together (default 60)'),
  max_pending: z.number().int().min(1).max(100_000_000).optional().describe('watcher: pending matches beyond which it is paused (default 100000)'),
  attributes: z.array(watchCondition).max(32).optional().describe('watcher: conditions on the attributes, ANDed'),
};

export interface WatchSettings {
  batch_size: number;
  max_runs_per_minute: number;
  max_pending: number;
  attributes: WatchCondition[];
}

/** Reads a value at a dotted path of an attestation's attributes (undefined when absent). */
export function atPath(attributes: Record<string, unknown>, path: string): unknown {
  let v: unknown = attributes;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/**
 * Whether attributes meet every condition. `equals`: the value at the path is the given one (a
 * number and its text are equal, `--where n=3` comes as text). `contains`: a text holding the
 * value, or a list with an element equal to it.
 */
export function meetsConditions(attributes: Record<string, unknown>, conditions: readonly WatchCondition[]): boolean {
  return conditions.every((c) => {
    const v = atPath(attributes, c.path);
    if (c.op === 'equals') return same(v, c.value);
    if (typeof v === 'string') return c.value !== null && v.includes(String(c.value));
    if (Array.isArray(v)) return v.some((x) => same(x, c.value));
    return false;
  });
}

function same(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === undefined || a === null || b === null) return false;
  if (typeof a === 'object') return false;
  return String(a) === String(b);
}
