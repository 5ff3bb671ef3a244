// Group commit without a timer: the first item is written at once; items that arrive while a
// write is in flight are written together by the next one. On PostgreSQL, where every commit
// waits for a WAL flush, this turns a stream of single-row writes into a few multi-row ones.
// When a batch fails, each of its items is written again alone, so that one bad item (or one
// unlucky moment) fails only itself.

interface Pending<T, R> {
  item: T;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class Batcher<T, R> {
  private queue: Array<Pending<T, R>> = [];
  private flushing = false;

  /** `write` gets a batch and returns one result per item, in order. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const results = await this.write(batch.map((p) => p.item));
        batch.forEach((p, i) => p.resolve(results[i]!));
      } catch (err) {
        if (batch.length === 1) batch[0]!.reject(err);
        else await Promise.all(batch.map((p) => this.writeAlone(p)));
      }
    }
    this.flushing = false;
  }

  private async writeAlone(p: Pending<T, R>): Promise<void> {
    try {
      p.resolve((await this.write([p.item]))[0]!);
    } catch (err) {
      p.reject(err);
    }
  }
}
