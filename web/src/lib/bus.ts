// A tiny typed event bus between glyphs (e.g. "a handler was saved" → the IX glyph that waits runs).
import type { ServerEvent } from '../../../src/protocol.js';

export interface BusEvents {
  handlerSaved: { scriptType: string; version: number | null };
  serverEvent: ServerEvent;
  /** The command palette asks a glyph to act: save or try (Python), run (IX). */
  glyphCommand: { glyphId: string; command: 'save' | 'try' | 'run' };
}

type Listener<K extends keyof BusEvents> = (payload: BusEvents[K]) => void;

export class Bus {
  private readonly listeners = new Map<keyof BusEvents, Set<Listener<never>>>();

  on<K extends keyof BusEvents>(type: K, fn: Listener<K>): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => {
      set.delete(fn as Listener<never>);
    };
  }

  emit<K extends keyof BusEvents>(type: K, payload: BusEvents[K]): void {
    for (const fn of [...(this.listeners.get(type) ?? [])]) (fn as Listener<K>)(payload);
  }
}
