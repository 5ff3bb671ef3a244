// Aliases: `as A is alias of B` makes A and B one identity for queries. Resolution follows alias
// edges both ways, transitively, breadth first, with bounded depth and size (so cycles and long
// chains end); for each pair the newest attestation decides, so a retraction removes the edge.
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
  /** Every value found, mapped to the asked value it stands for (asked values map to themselves). */
  of: Map<string, string>;
  /** A bound stopped the walk: there may be more aliases. */
  truncated: boolean;
}

export class AliasResolver {
  constructor(
    private readonly edges: AliasEdgeSource,
    private readonly limits: AliasLimits = DEFAULT_ALIAS_LIMITS,
  ) {}

  /** The live alias neighbours of each value in `frontier` (both directions). */
  private async neighbours(frontier: string[]): Promise<{ edges: Map<string, Set<string>>; full: boolean }> {
    const { edges, full } = await this.edges.touching(frontier, EDGE_PAGE);
    const asked = new Set(frontier);
    // Newest first: the first attestation seen for a pair decides whether the edge is alive.
    const decided = new Set<string>();
    const result = new Map<string, Set<string>>();
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
      if (asked.has(e.subject)) add(e.subject, e.context);
      if (asked.has(e.context)) add(e.context, e.subject);
    }
    return { edges: result, full };
  }

  /**
   * Resolves several asked values in one walk (two indexed queries per hop). When two asked values
   * are aliases of each other, each keeps its own name.
   */
  async resolve(asked: readonly string[]): Promise<Identities> {
    const of = new Map<string, string>();
    const size = new Map<string, number>();
    for (const v of asked) {
      if (of.has(v)) continue;
      of.set(v, v);
      size.set(v, 1);
    }
    let frontier = [...of.keys()];
    let truncated = false;
    for (let depth = 0; frontier.length; depth++) {
      if (depth === this.limits.maxDepth) {
        truncated = true;
        break;
      }
      const { edges, full } = await this.neighbours(frontier);
      if (full) truncated = true;
      const next: string[] = [];
      for (const from of frontier) {
        const origin = of.get(from)!;
        for (const to of edges.get(from) ?? []) {
          if (of.has(to)) continue;
          if (size.get(origin)! >= this.limits.maxIdentities) {
            truncated = true;
            break;
          }
          of.set(to, origin);
          size.set(origin, size.get(origin)! + 1);
          next.push(to);
        }
      }
      frontier = next;
    }
    return { of, truncated };
  }
}
