// Writes what a Python run attests: validates each raw attestation, stamps source (the execution)
// and the handler version, and inserts batches; counts what was committed.
import type { AttestationService } from '../ats/service.js';
import type { NewAttestation } from '../ats/types.js';
import type { DbTx } from '../db/tx.js';
import type { RawAttestation } from '../python/types.js';

export interface RunWriterOptions {
  ats: AttestationService;
  /** source of every attestation: the execution id (or `execute` for ad hoc runs). */
  source: string;
  /** Default actor when the script gives none, e.g. ix:webhook. */
  actor: string;
  handlerVersion?: number | null;
  /** Called after each committed batch (for the attestations_created event). */
  onCommitted?: (count: number) => void;
}

export class RunWriter {
  committed = 0;

  constructor(private readonly o: RunWriterOptions) {}

  toNew(batch: readonly RawAttestation[]): NewAttestation[] {
    return batch.map((raw, i) => {
      const attributes = { ...(raw.attributes ?? {}) };
      if (this.o.handlerVersion != null && !('handler_version' in attributes)) attributes.handler_version = this.o.handlerVersion;
      return this.o.ats.prepare(
        {
          id: raw.id,
          subjects: raw.subjects,
          predicates: raw.predicates,
          contexts: raw.contexts,
          ...(raw.actors ? { actors: raw.actors } : {}),
          ...(raw.timestamp !== null ? { timestamp: raw.timestamp } : {}),
          attributes,
        },
        { source: this.o.source, actor: this.o.actor },
        `attestation=${this.committed + i + 1}`,
      );
    });
  }

  /** An intermediate batch, in a transaction of its own. */
  async write(batch: readonly RawAttestation[]): Promise<void> {
    if (!batch.length) return;
    const items = this.toNew(batch);
    await this.o.ats.store.insertMany(items);
    this.done(items.length);
  }

  /** The last batch inside the caller's transaction (with the schedule's state). */
  writeIn(tx: DbTx, items: readonly NewAttestation[]): void | Promise<void> {
    return this.o.ats.store.insertManyIn(tx, items);
  }

  done(n: number): void {
    if (!n) return;
    this.committed += n;
    this.o.onCommitted?.(n);
  }
}
