// The limits of an attestation, defined once: enforced here for every input (API, CLI, import,
// handler runs) and sent to Python in the runner's start-up message, where attest() applies the
// same rules (python/qntx_runner/limits.py). Sizes are UTF-8 bytes everywhere.
import { MAX_ATTRIBUTES_BYTES, MAX_VALUES_PER_FIELD, MAX_VALUE_BYTES } from './types.js';

/**
 * What counts as blank: ECMAScript's white space and line terminators (what String.prototype.trim
 * removes), spelled out so that Python, whose str.isspace() differs, uses the very same set.
 */
const BLANK_CHARS = '\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff';

export const ATTESTATION_LIMITS = Object.freeze({
  /** One subject, predicate, context or actor. */
  valueBytes: MAX_VALUE_BYTES,
  valuesPerField: MAX_VALUES_PER_FIELD,
  /** The attributes object as compact JSON (JSON.stringify). */
  attributesBytes: MAX_ATTRIBUTES_BYTES,
  /** ms since the epoch; the largest a JavaScript Date holds. */
  timestampMaxMs: 8.64e15,
  blankChars: BLANK_CHARS,
});

const BLANK = new RegExp(`^[${BLANK_CHARS}]*$`, 'u');
const LONE_SURROGATE = /\p{Cs}/u;
/** In JSON.stringify's output, an escape of NUL or of a lone surrogate that is not itself escaped. */
const BAD_ESCAPE = /(?:^|[^\\])(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Why `s` cannot be a subject/predicate/context/actor, or null. */
export function valueProblem(s: string): string | null {
  if (s.length === 0) return 'must not be empty';
  if (BLANK.test(s)) return 'must not be blank';
  if (s.includes('\0')) return 'must not contain NUL';
  if (LONE_SURROGATE.test(s)) return 'must be valid Unicode (no lone surrogates)';
  const n = Buffer.byteLength(s);
  if (n > ATTESTATION_LIMITS.valueBytes) return `must be at most ${ATTESTATION_LIMITS.valueBytes} UTF-8 bytes (got ${n})`;
  return null;
}

/** Why `a` cannot be the attributes of an attestation, or null. */
export function attributesProblem(a: Record<string, unknown>): string | null {
  let text: string;
  try {
    text = JSON.stringify(a);
  } catch {
    return 'must be JSON-serialisable';
  }
  if (BAD_ESCAPE.test(text)) return 'must not contain NUL or lone surrogates';
  const n = Buffer.byteLength(text);
  const max = ATTESTATION_LIMITS.attributesBytes;
  if (n > max) return `must serialise to at most ${max} UTF-8 bytes (got ${n})`;
  return null;
}
