// Attesting from user input (API, CLI, import): validation, defaults and the textual form.
import { ValidationError } from '../errors.js';
import type { Clock } from '../clock.js';
import { AsidFactory } from './asid.js';
import { toNewAttestation } from './input.js';
import type { ReservedWrite } from './reserved.js';
import type { AttestationStore } from './store.js';
import { parseAttestationText, parseAttestationWords, type ParsedText } from './text.js';
import type { Attestation, NewAttestation } from './types.js';

export interface AttestOrigin {
  source: string;
  actor: string;
  /** Only the handler registry passes it: the right to write reserved predicates. */
  reserved?: ReservedWrite;
}

export class AttestationService {
  readonly ids: AsidFactory;

  constructor(
    readonly store: AttestationStore,
    private readonly clock: Clock,
    /** Reads the time of `as … at|on T` (AX's time words) at a given now; without it only dates and instants. */
    private readonly readTime?: (text: string, now: number) => number | undefined,
  ) {
    this.ids = new AsidFactory(() => clock.now());
  }

  /** The textual form (one string, or the CLI's words), times read at the clock's now. */
  parseText(text: string | readonly string[]): ParsedText {
    const now = this.clock.now();
    const read = this.readTime ? (t: string) => this.readTime!(t, now) : undefined;
    return typeof text === 'string' ? parseAttestationText(text, read) : parseAttestationWords(text, read);
  }

  /** The current time of the injected clock, ms. */
  now(): number {
    return this.clock.now();
  }

  /** Validates raw input (an object, or `{text}`) into an attestation ready to store. */
  prepare(raw: unknown, origin: AttestOrigin, where?: string): NewAttestation {
    if (raw && typeof raw === 'object' && 'text' in raw) {
      const { text, ...rest } = raw as { text: unknown };
      if (typeof text !== 'string') throw new ValidationError('text must be a string', { details: ['text=must be a string'] });
      if (Object.keys(rest).length) {
        throw new ValidationError('text cannot be combined with other fields', {
          details: Object.keys(rest).map((k) => `${k}=not allowed with text`),
        });
      }
      raw = this.parseText(text);
    }
    return toNewAttestation(raw, { ...origin, now: this.clock.now(), ids: this.ids }, where);
  }

  /** Stores one claim; when it is already known, the stored attestation comes back (created: false). */
  async attest(raw: unknown, origin: AttestOrigin): Promise<{ attestation: Attestation; created: boolean }> {
    const a = this.prepare(raw, origin);
    const r = await this.store.insertMany([a]);
    if (r.created) return { attestation: { ...a, handler_version: a.handler_version ?? null }, created: true };
    return { attestation: (await this.store.findClaim(a)) ?? { ...a, handler_version: a.handler_version ?? null }, created: false };
  }
}
