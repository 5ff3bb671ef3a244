// Pulse ids: a two-letter prefix + a ULID (JB jobs, SC schedules, EX executions), sortable by
// creation time and monotonic within a process; built on the ASID factory of the store.
import { AsidFactory } from '../ats/asid.js';

export type IdPrefix = 'JB' | 'SC' | 'EX';

export class PulseIds {
  private readonly ulids: AsidFactory;

  constructor(now: () => number) {
    this.ulids = new AsidFactory(now);
  }

  next(prefix: IdPrefix): string {
    return prefix + this.ulids.next().slice(2);
  }
}
