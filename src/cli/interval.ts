// Interval flags: `30s`, `5m`, `1h`, `2d`, or plain seconds.
import { ValidationError } from '../errors.js';

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

export function parseInterval(text: string, flag = 'every'): number {
  const m = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!m || Number(m[1]) <= 0) {
    throw new ValidationError(`invalid ${flag === 'every' ? 'interval' : flag} '${text}'`, { details: [`${flag}=${text}`], hint: 'use e.g. 30s, 5m, 1h or 2d' });
  }
  return Number(m[1]) * UNIT[m[2] || 's']!;
}

export function formatInterval(seconds: number): string {
  if (seconds === 0) return 'once';
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60]] as const) if (seconds % n === 0) return `every ${seconds / n}${u}`;
  return `every ${seconds}s`;
}
