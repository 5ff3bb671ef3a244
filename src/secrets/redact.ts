// Redaction of secret values from what a run produces (stdout, stderr, errors, attestations,
// state): the value and its base64 (standard and URL-safe, padded or not), URL-encoded
// (encodeURIComponent and form encoding) and JSON-escaped forms become `[secret:NAME]`. Pure.

export class Redactor {
  /** [form, replacement], longest form first, so that a longer form is never cut by a shorter one. */
  private readonly forms: Array<[string, string]>;

  constructor(secrets: Record<string, string>) {
    const forms = new Map<string, string>();
    for (const [name, value] of Object.entries(secrets)) {
      if (!value) continue;
      const mark = `[secret:${name}]`;
      const b64 = Buffer.from(value, 'utf8').toString('base64');
      const b64url = Buffer.from(value, 'utf8').toString('base64url');
      for (const f of [
        value,
        b64,
        b64.replace(/=+$/, ''),
        b64url,
        encodeURIComponent(value),
        encodeURIComponent(value).replace(/%20/g, '+'),
        JSON.stringify(value).slice(1, -1),
      ]) {
        if (f && !forms.has(f)) forms.set(f, mark);
      }
    }
    this.forms = [...forms].sort((a, b) => b[0].length - a[0].length);
  }

  get empty(): boolean {
    return this.forms.length === 0;
  }

  text(s: string): string {
    if (this.forms.length === 0 || !s) return s;
    let out = s;
    for (const [form, mark] of this.forms) if (out.includes(form)) out = out.split(form).join(mark);
    return out;
  }

  /** Every string (keys too) of a JSON value. */
  json<T>(v: T): T {
    if (this.forms.length === 0) return v;
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
