// Handlers are attestations: subject = the handler's own ASID, predicate `ix_handler`,
// context = the ix type, attributes {code, language, version, sha256}. Removing a type's handler
// adds a retraction (same predicate and context, attributes {retracted: true}); history stays in
// attestations. The handler in force is kept per type in ix_handler_current, moved in the same
// transaction as the version or the retraction: the lookup is a primary-key read.
import { createHash } from 'node:crypto';
import { RESERVED_WRITE } from '../ats/reserved.js';
import type { AttestationService } from '../ats/service.js';
import type { NewAttestation } from '../ats/types.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { NoIngestScriptError } from './errors.js';

export const HANDLER_PREDICATE = 'ix_handler';
export const TYPE_NAME = /^[a-z0-9_-]{1,64}$/;

export interface HandlerVersion {
  id: string;
  script_type: string;
  version: number;
  language: 'python';
  code: string;
  sha256: string;
  created_at: number;
  actor: string;
}

export interface HandlerSummary {
  script_type: string;
  id: string;
  version: number;
  updated_at: number;
}

export type CompileCheck = (code: string) => Promise<{ ok: true } | { ok: false; error: string; details: string[] }>;

export function checkTypeName(type: string): void {
  if (!TYPE_NAME.test(type)) {
    throw new ValidationError(`invalid handler type '${type.slice(0, 80)}'`, {
      details: [`script_type=${type.slice(0, 80)}`],
      hint: 'use 1-64 lowercase letters, digits, - or _',
    });
  }
}

function isRetraction(a: NewAttestation): boolean {
  return a.attributes.retracted === true;
}

export function toVersion(a: NewAttestation): HandlerVersion {
  const attrs = a.attributes as { code?: string; version?: number; sha256?: string };
  return {
    id: a.id,
    script_type: a.contexts[0] ?? '',
    version: Number(attrs.version ?? 1),
    language: 'python',
    code: String(attrs.code ?? ''),
    sha256: String(attrs.sha256 ?? ''),
    created_at: a.timestamp,
    actor: a.actors[0] ?? '',
  };
}

export class HandlerRegistry {
  constructor(
    private readonly ats: AttestationService,
    private readonly compileCheck: CompileCheck,
  ) {}

  /** The handler that runs for a type now, or undefined (none, or removed). */
  async current(type: string): Promise<HandlerVersion | undefined> {
    const a = await this.ats.store.currentHandler(type);
    return a ? toVersion(a) : undefined;
  }

  /** Like current(), but a missing handler is the NoIngestScript error. */
  async require(type: string): Promise<HandlerVersion> {
    const h = await this.current(type);
    if (!h) throw new NoIngestScriptError(type);
    return h;
  }

  async register(input: { script_type: string; code: string; language?: string }, actor: string): Promise<HandlerVersion> {
    checkTypeName(input.script_type);
    if ((input.language ?? 'python') !== 'python') {
      throw new ValidationError(`unsupported language '${input.language}'`, {
        details: [`language=${input.language}`],
        hint: "handlers are written in Python: language 'python'",
      });
    }
    if (!input.code.trim()) {
      throw new ValidationError('handler code is empty', { details: ['code=must not be empty'] });
    }
    const check = await this.compileCheck(input.code);
    if (!check.ok) {
      throw new ValidationError(check.error, { details: [...check.details, `script_type=${input.script_type}`], hint: 'fix the syntax error and save again' });
    }
    const sha256 = createHash('sha256').update(input.code).digest('hex');
    // The version is read and the new one written in one transaction: two saves never share a number.
    const a = await this.ats.store.writeHandler(input.script_type, (pointer) => {
      const version = pointer.version + 1;
      const id = this.ats.ids.next();
      const attestation = this.ats.prepare(
        {
          id,
          subjects: [id],
          predicates: [HANDLER_PREDICATE],
          contexts: [input.script_type],
          actors: [actor],
          attributes: { code: input.code, language: 'python', version, sha256 },
        },
        { source: 'api', actor, reserved: RESERVED_WRITE },
      );
      return { attestation, currentId: id, version };
    });
    return toVersion(a);
  }

  /** Every version, newest first (retractions left out). */
  async versions(type: string): Promise<HandlerVersion[]> {
    checkTypeName(type);
    return this.history(type);
  }

  async remove(type: string, actor: string): Promise<{ script_type: string; retracted: HandlerVersion }> {
    let retracted: HandlerVersion | undefined;
    // Read and retract in one transaction, so a save racing the removal is not hidden by it.
    await this.ats.store.writeHandler(type, (pointer) => {
      if (!pointer.current) throw new NotFoundError(`no handler for type '${type}'`, { details: [`script_type=${type}`] });
      const current = toVersion(pointer.current);
      retracted = current;
      const attestation = this.ats.prepare(
        {
          subjects: [current.id],
          predicates: [HANDLER_PREDICATE],
          contexts: [type],
          actors: [actor],
          attributes: { retracted: true, retracts: current.id, version: current.version },
        },
        { source: 'api', actor, reserved: RESERVED_WRITE },
      );
      return { attestation, currentId: null, version: pointer.version };
    });
    return { script_type: type, retracted: retracted! };
  }

  /** The current handler of every type that has one. */
  async list(): Promise<HandlerSummary[]> {
    return (await this.ats.store.currentHandlers()).map(({ attestation }) => {
      const v = toVersion(attestation);
      return { script_type: v.script_type, id: v.id, version: v.version, updated_at: v.created_at };
    }).sort((x, y) => x.script_type.localeCompare(y.script_type));
  }

  /** When the type's handler was removed, by whom, and which version: null unless it is removed now. */
  async removal(type: string): Promise<{ at: number; actor: string; version: number } | null> {
    checkTypeName(type);
    const a = await this.ats.store.newest(HANDLER_PREDICATE, type);
    if (!a || !isRetraction(a)) return null;
    return { at: a.timestamp, actor: a.actors[0] ?? '', version: Number(a.attributes.version ?? 0) };
  }

  /** Registers an earlier version's code again, as a new version (history is kept). */
  async restore(type: string, version: number, actor: string): Promise<HandlerVersion> {
    const old = (await this.versions(type)).find((v) => v.version === version);
    if (!old) {
      throw new NotFoundError(`handler '${type}' has no version ${version}`, {
        details: [`script_type=${type}`, `version=${version}`],
        hint: `GET /api/handlers/${type} lists its versions`,
      });
    }
    return this.register({ script_type: type, code: old.code }, actor);
  }

  private async history(type: string): Promise<HandlerVersion[]> {
    const out: HandlerVersion[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.ats.store.query({ predicates: [HANDLER_PREDICATE], contexts: [type], limit: 1000, cursor });
      for (const a of page.items) if (!isRetraction(a)) out.push(toVersion(a));
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return out;
  }
}
