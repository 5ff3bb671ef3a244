// The spellings of a secret value that redaction looks for: the value itself and what common
// encoders make of it (JSON escapes, Python reprs, URL encodings, hex, base64). Base64 spellings
// include the characters that stay the same whatever bytes come before or after the value, so that
// base64 of a longer text holding it (`user:secret` of a Basic auth header) is found too. Pure.

/** Forms shorter than this are not looked for (they would match ordinary text). */
export const MIN_FORM_LENGTH = 4;

/** Every distinct spelling of `value` to redact, the value first. */
export function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>([value]);
  for (const ascii of [false, true]) for (const upper of [false, true]) for (const slash of [false, true]) forms.add(jsonEscape(value, { ascii, upper, slash }));
  forms.add(JSON.stringify(value).slice(1, -1));
  for (const quote of [`'`, '"']) forms.add(pyBytesRepr(bytes, quote));
  for (const safe of URL_SAFE_SETS) {
    for (const plus of [false, true]) for (const upper of [false, true]) forms.add(urlEncode(bytes, safe, { plus, upper }));
  }
  const hex = bytes.toString('hex');
  forms.add(hex);
  forms.add(hex.toUpperCase());
  // Base64 of the value, and of its JSON escapes (a JSON document holding it, base64-encoded).
  for (const json of new Set([value, jsonEscape(value, { ascii: false, upper: false, slash: false }), jsonEscape(value, { ascii: true, upper: false, slash: false })])) {
    for (const f of base64Forms(Buffer.from(json, 'utf8'))) forms.add(f);
  }
  return [...forms].filter((f) => f.length >= MIN_FORM_LENGTH);
}

/**
 * A JSON string body: `ascii` escapes everything past U+007E as `\uXXXX` (Python's default
 * ensure_ascii; astral characters as their surrogate pair), `upper` writes the hex digits in upper
 * case (some encoders do), `slash` escapes `/` (PHP's json_encode).
 */
export function jsonEscape(s: string, o: { ascii: boolean; upper: boolean; slash: boolean }): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/' && o.slash) out += '\\/';
    else if (SHORT_ESCAPES[ch] !== undefined) out += SHORT_ESCAPES[ch];
    else if (c < 0x20 || (o.ascii && c >= 0x7f) || (c >= 0xd800 && c <= 0xdfff && !pairedAt(s, i))) out += '\\u' + hex4(c, o.upper);
    else out += ch;
  }
  return out;
}

const SHORT_ESCAPES: Record<string, string> = { '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function hex4(c: number, upper: boolean): string {
  const h = c.toString(16).padStart(4, '0');
  return upper ? h.toUpperCase() : h;
}

/** Whether the surrogate at i is half of a well-formed pair (JSON.stringify escapes lone ones). */
function pairedAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  if (c <= 0xdbff) return i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff;
  return i > 0 && s.charCodeAt(i - 1) >= 0xd800 && s.charCodeAt(i - 1) <= 0xdbff;
}

/** The inside of Python's repr of the UTF-8 bytes (`print(s.encode())`): `\xc3\xa4` for non-ASCII. */
function pyBytesRepr(bytes: Buffer, quote: string): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (ch === '\\' || ch === quote) out += '\\' + ch;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += '\\x' + b.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out;
}

/** Characters left as they are by common URL encoders (besides letters and digits). */
const URL_SAFE_SETS = [
  "-_.!~*'()", // encodeURIComponent
  '-_.~', // Python's quote(s, safe='') and quote_plus, RFC 3986 unreserved
  '-_.~/', // Python's quote(s) (safe='/')
  '-_.*', // Java's URLEncoder, HTML form encoding (with + for a space)
];

function urlEncode(bytes: Buffer, safe: string, o: { plus: boolean; upper: boolean }): string {
  let out = '';
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (b < 0x80 && (/[A-Za-z0-9]/.test(ch) || safe.includes(ch))) out += ch;
    else if (b === 0x20 && o.plus) out += '+';
    else {
      const h = b.toString(16).padStart(2, '0');
      out += '%' + (o.upper ? h.toUpperCase() : h);
    }
  }
  return out;
}

/**
 * Base64 of the bytes alone (padded or not, standard and URL-safe alphabets), and for each of the
 * three alignments the value can have inside a longer base64 text, the run of characters that only
 * the value's bits decide (GitHub Actions' masker does the same). The one or two characters at
 * each end that mix in neighbouring bits stay, giving away at most a few bits.
 */
function base64Forms(bytes: Buffer): string[] {
  const out: string[] = [];
  const std = bytes.toString('base64');
  out.push(std, std.replace(/=+$/, ''));
  for (let shift = 0; shift < 3; shift++) {
    const enc = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const first = Math.ceil((shift * 8) / 6); // the first character whose 6 bits all lie in the value
    const last = Math.floor(((shift + bytes.length) * 8) / 6) - 1; // the last one
    if (last >= first) out.push(enc.slice(first, last + 1));
  }
  return [...out, ...out.map((f) => f.replace(/\+/g, '-').replace(/\//g, '_'))];
}
