// Writes what a Python run attests: validates each raw attestation, stamps the provenance (source =
// the execution, handler_version) beside the claim, and commits batches. A scheduled run commits
// through its source (one transaction: the batch, a checkpoint's state, the execution's counts);
// an ad hoc run inserts alone. Counts claims created and already known.
import type { AttestationService } from '../ats/service.js';
import type { NewAttestation } from '../ats/types.js';
import type { BatchCounts } from '../pulse/source-state.js';
import type { RawAttestation } from '../python/types.js';

/** Commits items (and a state, when given) in one transaction; `final` marks the run's success. */
export type BatchCommitter = (items: NewAttestation[], c: { state?: unknown; final?: boolean }) => Promise<BatchCounts>;

export interface RunWriterOptions {
  ats: AttestationService;
  /** source of every attestation: the execution id (or `execute:…` for ad hoc runs). */
  source: string;
  /** Default actor when the script gives none, e.g. ix:webhook. */
  actor: string;
  handlerVersion?: number | null;
  /** Default: store.insertMany, without state. */
  commit?: BatchCommitter;
  /** Called after each committed batch with the claims it created (for the attestations_created event). */
  onCommitted?: (created: number) => void;
}

export class RunWriter {
  created = 0;
  alreadyKnown = 0;
  private seen = 0;

  constructor(private readonly o: RunWriterOptions) {}

  toNew(batch: readonly RawAttestation[]): NewAttestation[] {
    return batch.map((raw, i) => {
      const a = this.o.ats.prepare(
        {
          id: raw.id,
          subjects: raw.subjects,
          predicates: raw.predicates,
          contexts: raw.contexts,
          ...(raw.actors ? { actors: raw.actors } : {}),
          ...(raw.timestamp !== null ? { timestamp: raw.timestamp } : {}),
          attributes: raw.attributes ?? {},
        },
        { source: this.o.source, actor: this.o.actor },
        `attestation=${this.seen + i + 1}`,
      );
      // Provenance, beside the claim: the same event from another handler version is one claim.
      return { ...a, handler_version: this.o.handlerVersion ?? null };
    });
  }

  /**
   * Commits a batch, with `state` when the run checkpointed (or ended well: `final`). A batch that
   * fails validation throws before anything of it is written.
   */
  async write(batch: readonly RawAttestation[], c: { state?: unknown; final?: boolean } = {}): Promise<void> {
    if (!batch.length && c.state === undefined && !c.final) return;
    const items = this.toNew(batch);
    this.seen += items.length;
    const n = this.o.commit
      ? await this.o.commit(items, c)
      : items.length
        ? await this.o.ats.store.insertMany(items)
        : { created: 0, alreadyKnown: 0 };
    this.created += n.created;
    this.alreadyKnown += n.alreadyKnown;
    if (n.created) this.o.onCommitted?.(n.created);
  }
}
