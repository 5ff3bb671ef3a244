// Saves canvas state to the server, debounced: each glyph whose persisted fields changed is PUT with
// the version it was based on; closed glyphs are DELETEd. A 409 (another tab wrote first) takes the
// server's version and writes ours over it: the user is looking at this one. No DOM, timers injected.
import type { CanvasGlyphDto, GlyphPut } from '../api/types.js';
import type { CanvasState, GlyphRecord } from './state.js';

export interface PersisterApi {
  put(id: string, body: GlyphPut, keepalive: boolean): Promise<Pick<CanvasGlyphDto, 'version'>>;
  remove(id: string, keepalive: boolean): Promise<unknown>;
  get(id: string): Promise<Pick<CanvasGlyphDto, 'version'>>;
}

export type SaveStatus = 'saved' | 'pending' | 'saving' | 'error';

export interface PersisterOptions {
  api: PersisterApi;
  delayMs?: number;
  /** Wait before retrying after a failed save. */
  retryMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  onStatus?: (status: SaveStatus, error?: Error) => void;
}

interface Saved {
  key: string;
  version: number;
}

export function persistedKey(g: GlyphRecord): string {
  return JSON.stringify([g.kind, g.x, g.y, g.width, g.height, g.data]);
}

function statusOf(err: unknown): number | undefined {
  return (err as { status?: number } | undefined)?.status;
}

export class CanvasPersister {
  private readonly saved = new Map<string, Saved>();
  private readonly inFlight = new Set<string>();
  private latest: CanvasState | undefined;
  private timer: unknown;
  private failing: Error | undefined;
  private readonly delay: number;
  private readonly retryMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly opts: PersisterOptions) {
    this.delay = opts.delayMs ?? 400;
    this.retryMs = opts.retryMs ?? 5000;
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>));
  }

  /** What the server holds after a load: these glyphs need no saving. */
  baseline(glyphs: ReadonlyArray<GlyphRecord & { version: number }>): void {
    this.saved.clear();
    for (const g of glyphs) this.saved.set(g.id, { key: persistedKey(g), version: g.version });
  }

  /** Call after every state change; schedules a save when something persisted changed. */
  update(state: CanvasState): void {
    this.latest = state;
    if (!state.loaded || !this.isDirty()) return;
    this.opts.onStatus?.(this.inFlight.size ? 'saving' : 'pending');
    if (this.timer !== undefined) this.clearTimer(this.timer);
    this.timer = this.setTimer(() => {
      this.timer = undefined;
      void this.flush();
    }, this.delay);
  }

  isDirty(): boolean {
    const s = this.latest;
    if (!s?.loaded) return false;
    const live = new Set(s.glyphs.map((g) => g.id));
    return s.glyphs.some((g) => this.saved.get(g.id)?.key !== persistedKey(g)) || [...this.saved.keys()].some((id) => !live.has(id));
  }

  /** Saves everything dirty now (also what `update` schedules). `keepalive` for page unload. */
  async flush(keepalive = false): Promise<void> {
    const s = this.latest;
    if (!s?.loaded) return;
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
    const live = new Set(s.glyphs.map((g) => g.id));
    const work: Array<Promise<void>> = [];
    for (const g of s.glyphs) {
      if (this.inFlight.has(g.id) || this.saved.get(g.id)?.key === persistedKey(g)) continue;
      work.push(this.track(g.id, () => this.save(g, keepalive)));
    }
    for (const id of [...this.saved.keys()]) {
      if (!live.has(id) && !this.inFlight.has(id)) work.push(this.track(id, () => this.remove(id, keepalive)));
    }
    if (!work.length) return;
    this.opts.onStatus?.('saving');
    await Promise.all(work);
    if (this.isDirty() && !this.failing) this.update(this.latest!);
    else if (!this.inFlight.size) {
      this.opts.onStatus?.(this.failing ? 'error' : 'saved', this.failing);
      // The server may be back soon (a restart): try again without waiting for the next edit.
      if (this.failing && this.isDirty() && this.timer === undefined) {
        this.timer = this.setTimer(() => {
          this.timer = undefined;
          void this.flush();
        }, this.retryMs);
      }
    }
  }

  private async track(id: string, fn: () => Promise<void>): Promise<void> {
    this.inFlight.add(id);
    try {
      await fn();
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async save(g: GlyphRecord, keepalive: boolean, retry = true): Promise<void> {
    const key = persistedKey(g);
    const body: GlyphPut = { kind: g.kind, x: g.x, y: g.y, width: g.width, height: g.height, data: { ...g.data }, version: this.saved.get(g.id)?.version ?? 0 };
    try {
      const res = await this.opts.api.put(g.id, body, keepalive);
      this.saved.set(g.id, { key, version: res.version });
      this.failing = undefined;
    } catch (err) {
      if (statusOf(err) === 409 && retry) {
        await this.adoptServerVersion(g.id);
        return this.save(g, keepalive, false);
      }
      this.failing = err as Error;
    }
  }

  private async adoptServerVersion(id: string): Promise<void> {
    try {
      const current = await this.opts.api.get(id);
      this.saved.set(id, { key: '', version: current.version });
    } catch (err) {
      if (statusOf(err) === 404) this.saved.delete(id);
    }
  }

  private async remove(id: string, keepalive: boolean): Promise<void> {
    try {
      await this.opts.api.remove(id, keepalive);
      this.saved.delete(id);
    } catch (err) {
      if (statusOf(err) === 404) this.saved.delete(id);
      else this.failing = err as Error;
    }
  }
}
