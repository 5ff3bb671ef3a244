// Redaction of secret values from what a run produces (stdout, stderr, errors, attestations,
// state): every spelling of src/secrets/encodings.ts becomes `[secret:NAME]`. One pass over the
// text whatever the number of spellings: the forms are indexed by their first four code units,
// and a text is scanned once, each position looking up its four code units. Pure.
import { encodedForms, MIN_FORM_LENGTH } from './encodings.js';

type Form = { text: string; mark: string };

export class Redactor {
  /** Forms by the hash of their first MIN_FORM_LENGTH code units, longest first in each list. */
  private readonly index = new Map<number, Form[]>();

  constructor(secrets: Record<string, string>) {
    const seen = new Set<string>();
    for (const [name, value] of Object.entries(secrets)) {
      if (!value) continue;
      for (const text of encodedForms(value)) {
        if (seen.has(text)) continue;
        seen.add(text);
        const key = keyAt(text, 0);
        const list = this.index.get(key) ?? [];
        list.push({ text, mark: `[secret:${name}]` });
        this.index.set(key, list);
      }
    }
    for (const list of this.index.values()) list.sort((a, b) => b.text.length - a.text.length);
  }

  get empty(): boolean {
    return this.index.size === 0;
  }

  /** `s` with every occurrence of a form replaced; overlapping occurrences become one mark per secret. */
  text(s: string): string {
    if (this.index.size === 0 || s.length < MIN_FORM_LENGTH) return s;
    let out = '';
    let copied = 0; // s up to here is in out
    let start = -1; // the span being redacted: [start, end), with its marks
    let end = -1;
    let marks: string[] = [];
    for (let i = 0; i + MIN_FORM_LENGTH <= s.length; i++) {
      const list = this.index.get(keyAt(s, i));
      if (list === undefined) continue;
      const hit = list.find((f) => s.startsWith(f.text, i));
      if (hit === undefined) continue;
      if (i < end) {
        end = Math.max(end, i + hit.text.length);
        if (!marks.includes(hit.mark)) marks.push(hit.mark);
        continue;
      }
      if (start >= 0) {
        out += s.slice(copied, start) + marks.join('');
        copied = end;
      }
      start = i;
      end = i + hit.text.length;
      marks = [hit.mark];
    }
    if (start < 0) return s;
    return out + s.slice(copied, start) + marks.join('') + s.slice(end);
  }

  /** Every string (keys too) of a JSON value. */
  json<T>(v: T): T {
    if (this.index.size === 0) return v;
    return this.walk(v) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.walk(x);
      return out;
    }
    return v;
  }
}

/** A hash of the MIN_FORM_LENGTH code units at i (collisions are resolved by comparing the text). */
function keyAt(s: string, i: number): number {
  let h = s.charCodeAt(i);
  for (let k = 1; k < MIN_FORM_LENGTH; k++) h = (Math.imul(h, 65599) + s.charCodeAt(i + k)) | 0;
  return h;
}
