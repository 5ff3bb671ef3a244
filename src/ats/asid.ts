// ASIDs: "AS" + a ULID (48-bit ms time + 80 random bits, Crockford base32). Unique, and sortable
// by creation time; monotonic within one process even when many are made in the same millisecond.
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const ASID_PATTERN = /^AS[0-9A-HJKMNP-TV-Z]{26}$/;

export class AsidFactory {
  private lastTime = -1;
  private lastRandom: number[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  next(): string {
    let t = this.now();
    if (t <= this.lastTime) {
      t = this.lastTime;
      this.increment();
    } else {
      this.lastTime = t;
      this.lastRandom = fresh();
    }
    return 'AS' + encodeTime(t) + this.lastRandom.map((d) => ALPHABET[d]).join('');
  }

  private increment(): void {
    const r = this.lastRandom;
    for (let i = r.length - 1; i >= 0; i--) {
      if (r[i]! < 31) {
        r[i]!++;
        return;
      }
      r[i] = 0;
    }
    // 80 bits overflowed within one millisecond: borrow the next millisecond.
    this.lastTime++;
    this.lastRandom = fresh();
  }
}

function fresh(): number[] {
  const bytes = randomBytes(16);
  return Array.from({ length: 16 }, (_, i) => bytes[i]! & 31);
}

function encodeTime(t: number): string {
  let out = '';
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}
