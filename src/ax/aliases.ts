// Aliases: `as A is alias of B` makes A and B one identity for queries. Resolution follows alias
// edges both ways, transitively, breadth first, with bounded depth and size (so cycles and long
// chains end); for each pair the newest attestation decides, so a retraction removes the edge.
// Identities are case folds (src/ats/fold.ts): `usa` meets the alias written for `USA`.
import { fold } from '../ats/fold.js';
import type { AliasEdgeSource } from './alias-edges.js';

export const ALIAS_PREDICATE = 'alias';

export interface AliasLimits {
  /** Hops from the asked value. */
  maxDepth: number;
  /** Identities of one value, itself included. */
  maxIdentities: number;
}

export const DEFAULT_ALIAS_LIMITS: AliasLimits = { maxDepth: 8, maxIdentities: 64 };

/** Alias edges looked at per hop (one indexed query). */
const EDGE_PAGE = 1000;

export interface Identities {
  /** Every identity found (a folded key), mapped to the asked value it stands for, as it was asked. */
  of: Map<string, string>;
  /** Each identity as written: the asked value, or the spelling of the alias edge that reached it. */
  written: Map<string, string>;
  /** A bound stopped the walk: there may be more aliases. */
  truncated: boolean;
}

export class AliasResolver {
  constructor(
    private readonly edges: AliasEdgeSource,
    private readonly limits: AliasLimits = DEFAULT_ALIAS_LIMITS,
  ) {}

  /** The live alias neighbours of each value in `frontier` (both directions). */
  private async neighbours(frontier: string[]): Promise<{ edges: Map<string, Set<string>>; written: Map<string, string>; full: boolean }> {
    const { edges, full } = await this.edges.touching(frontier, EDGE_PAGE);
    const asked = new Set(frontier);
    // Newest first: the first attestation seen for a pair decides whether the edge is alive.
    const decided = new Set<string>();
    const result = new Map<string, Set<string>>();
    const written = new Map<string, string>();
    const add = (from: string, to: string) => {
      if (from === to) return;
      let s = result.get(from);
      if (!s) result.set(from, (s = new Set()));
      s.add(to);
    };
    for (const e of edges) {
      const pair = `${e.subject}\u0000${e.context}`;
      if (decided.has(pair)) continue;
      decided.add(pair);
      if (e.retracted) continue;
      if (!written.has(e.subject)) written.set(e.subject, e.subjectAs);
      if (!written.has(e.context)) written.set(e.context, e.contextAs);
      if (asked.has(e.subject)) add(e.subject, e.context);
      if (asked.has(e.context)) add(e.context, e.subject);
    }
    return { edges: result, written, full };
  }

  /**
   * Resolves several asked values in one walk (two indexed queries per hop). When two asked values
   * are aliases of each other, each keeps its own name.
   */
  async resolve(asked: readonly string[]): Promise<Identities> {
    const of = new Map<string, string>();
    const written = new Map<string, string>();
    const size = new Map<string, number>();
    for (const v of asked) {
      const k = fold(v);
      if (of.has(k)) continue;
      of.set(k, v);
      written.set(k, v);
      size.set(k, 1);
    }
    let frontier = [...of.keys()];
    let truncated = false;
    for (let depth = 0; frontier.length; depth++) {
      if (depth === this.limits.maxDepth) {
        truncated = true;
        break;
      }
      const { edges, written: spelt, full } = await this.neighbours(frontier);
      if (full) truncated = true;
      const next: string[] = [];
      for (const from of frontier) {
        const origin = fold(of.get(from)!);
        for (const to of edges.get(from) ?? []) {
          if (of.has(to)) continue;
          if (size.get(origin)! >= this.limits.maxIdentities) {
            truncated = true;
            break;
          }
          of.set(to, of.get(from)!);
          written.set(to, spelt.get(to) ?? to);
          size.set(origin, size.get(origin)! + 1);
          next.push(to);
        }
      }
      frontier = next;
    }
    return { of, written, truncated };
  }
}
