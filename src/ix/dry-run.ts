// A dry run's committer: what a run would attest is validated exactly as in a real run (RunWriter
// prepares it), counted and kept (the first `keep`, within a byte budget), and nothing is stored.
import type { Attestation } from '../ats/types.js';
import type { BatchCounts } from '../pulse/source-state.js';
import type { BatchCommitter } from './run-writer.js';

export class DryRunCollector {
  count = 0;
  readonly kept: Attestation[] = [];
  private bytes = 0;
  private full = false;

  constructor(
    private readonly keep = 200,
    private readonly maxBytes = 8 * 1024 * 1024,
  ) {}

  readonly commit: BatchCommitter = async (items): Promise<BatchCounts> => {
    this.count += items.length;
    for (const a of items) {
      if (this.full || this.kept.length >= this.keep) break;
      const size = JSON.stringify(a).length;
      if (this.kept.length > 0 && this.bytes + size > this.maxBytes) {
        this.full = true;
        break;
      }
      this.bytes += size;
      this.kept.push({ ...a, handler_version: a.handler_version ?? null });
    }
    return { created: 0, alreadyKnown: 0 };
  };
}
