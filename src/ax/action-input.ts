// ix.input for an `so` run: every attestation the query matches (all pages, `over` applied),
// inline when it fits in one page, otherwise streamed page by page into a JSON-lines file that
// the handler reads lazily; the file is removed when the run ends.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Attestation } from '../ats/types.js';
import { ValidationError } from '../errors.js';
import type { RunInput } from '../python/types.js';
import { compileAx } from './compile.js';
import type { AxEngine } from './engine.js';
import { parseAx } from './parser.js';

export const INPUT_PAGE = 1000;
/** Most attestations one run is handed. */
export const MAX_INPUT = 1_000_000;

export interface PreparedInput {
  input: RunInput;
  cleanup(): Promise<void>;
}

/** An attestation as a handler's `ix.input` holds it (the same dicts for `so` and for watchers). */
export function inputItem(a: Attestation) {
  return {
    id: a.id,
    subjects: a.subjects,
    predicates: a.predicates,
    contexts: a.contexts,
    actors: a.actors,
    timestamp: a.timestamp,
    source: a.source,
    attributes: a.attributes,
  };
}

export async function prepareAxInput(engine: AxEngine, query: string, o: { now: number; spoolDir: string }): Promise<PreparedInput> {
  const filter = compileAx(parseAx(query), { now: o.now });
  const p = await engine.prepare(filter);
  let page = await engine.page(p, INPUT_PAGE, undefined);
  if (!page.next_cursor) {
    return { input: { query, count: page.items.length, items: page.items.map(inputItem) }, cleanup: async () => {} };
  }
  await fs.mkdir(o.spoolDir, { recursive: true, mode: 0o700 });
  // The pid in the name lets a later start remove what a killed process left (spool-sweep.ts).
  const dir = await fs.mkdtemp(path.join(o.spoolDir, `input-${process.pid}-`));
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  const file = path.join(dir, 'input.jsonl');
  let count = 0;
  try {
    const fh = await fs.open(file, 'wx', 0o600);
    try {
      for (;;) {
        count += page.items.length;
        if (count > MAX_INPUT) {
          throw new ValidationError(`the query matches more than ${MAX_INPUT} attestations`, {
            details: [`max=${MAX_INPUT}`],
            hint: 'narrow the query (a time clause, fewer values) for the action',
          });
        }
        if (page.items.length) await fh.write(page.items.map((a) => JSON.stringify(inputItem(a))).join('\n') + '\n');
        if (!page.next_cursor) break;
        page = await engine.page(p, INPUT_PAGE, page.next_cursor);
      }
    } finally {
      await fh.close();
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { input: { query, count, path: file }, cleanup };
}
