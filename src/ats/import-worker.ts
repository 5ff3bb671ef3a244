// The worker thread of the import: parses and validates chunks of JSON lines (see import-parse.ts).
import { parentPort } from 'node:worker_threads';
import { AsidFactory } from './asid.js';
import { parseChunk } from './import-parse.js';

const ids = new AsidFactory();
parentPort!.on('message', (m: { lines: string[]; firstLine: number; now: number }) => {
  parentPort!.postMessage(parseChunk(m.lines, m.firstLine, m.now, ids));
});
