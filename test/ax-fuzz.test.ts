// Property tests of the AX parser (fast-check): any input either parses or fails with a
// ValidationError that names a column inside it; written queries parse back to themselves.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileAx } from '../src/ax/compile.js';
import { formatAx } from '../src/ax/format.js';
import { lex } from '../src/ax/lexer.js';
import { parseAx } from '../src/ax/parser.js';
import type { AxQuery } from '../src/ax/query.js';
import { ValidationError } from '../src/errors.js';

const NOW = Date.parse('2026-03-10T15:30:00Z');
const WORDS = ['ax', 'is', 'are', 'has', 'of', 'from', 'by', 'via', 'since', 'until', 'on', 'between', 'over', 'so', 'and', 'in',
  'yesterday', 'last', 'week', '3', 'days', 'ago', '2026-01', '3y', 'Europe/Paris', 'alice', '"', "'", '\\', '"a b"', 'UTC', ''];

/** Inputs made of the language's own words, spaces and odd characters: they reach deep into the parser. */
const queryish = fc
  .array(fc.oneof(fc.constantFrom(...WORDS), fc.string({ maxLength: 6, unit: 'binary' })), { maxLength: 14 })
  .chain((ws) => fc.constantFrom(' ', '  ', '\t', '\u3000').map((sep) => ws.join(sep)));

function checkOutcome(input: string): void {
  let q: AxQuery;
  try {
    q = parseAx(input);
  } catch (e) {
    assert.ok(e instanceof ValidationError, `not a ValidationError: ${String(e)} for ${JSON.stringify(input)}`);
    const col = /^column=(\d+)$/.exec(e.details[0] ?? '');
    if (col) {
      const n = Number(col[1]);
      assert.ok(n >= 1 && n <= [...input].length + 1, `column ${n} outside ${JSON.stringify(input)}`);
      assert.ok(e.message.endsWith(`at column ${n}`));
    } else {
      assert.match(e.message, /longer than/);
    }
    assert.ok(e.hint, 'every error has a hint');
    return;
  }
  try {
    compileAx(q, { now: NOW });
  } catch (e) {
    assert.ok(e instanceof ValidationError, `compile threw ${String(e)} for ${JSON.stringify(input)}`);
    assert.match(e.details[0] ?? '', /^column=\d+$/);
  }
}

const value = fc
  .string({ minLength: 1, maxLength: 12, unit: 'grapheme' })
  .filter((s) => s.trim().length > 0 && !s.includes('\u0000'));
const typeName = fc.stringMatching(/^[a-z0-9_-]{1,12}$/);
const timeText = fc.constantFrom('yesterday', 'last week', '3 days ago', '2026-01', '2026-01-29', '2026-01-29T10:00Z', 'today', '1769644800000');
const timeClause = fc.oneof(
  fc.record({ kind: fc.constantFrom('since' as const, 'until' as const, 'on' as const), expr: timeText.map((text) => ({ text, column: 0 })) }),
  fc.record({ kind: fc.constant('between' as const), from: timeText.map((text) => ({ text, column: 0 })), to: timeText.map((text) => ({ text, column: 0 })) }),
);
const uniq = (a: fc.Arbitrary<string>, max: number) => fc.uniqueArray(a, { maxLength: max });

const query: fc.Arbitrary<AxQuery> = fc
  .record({
    subjects: uniq(value, 4),
    predicates: uniq(value, 3),
    contexts: uniq(value, 3),
    actors: uniq(value, 3),
    times: fc.uniqueArray(timeClause, { maxLength: 2, selector: (t) => t.kind }),
    over: fc.option(fc.record({ amount: fc.integer({ min: 1, max: 99 }), unit: fc.constantFrom('y' as const, 'm' as const, 'w' as const, 'd' as const) }), { nil: undefined }),
    so: uniq(typeName, 3),
    zone: fc.option(fc.constantFrom('Europe/Paris', 'UTC', 'Asia/Tokyo'), { nil: undefined }),
  })
  .map((q) => {
    if (q.over === undefined) delete (q as Partial<AxQuery>).over;
    // A zone is written inside a time clause: without one it cannot be said.
    if (q.zone === undefined || (!q.times.length && !q.over)) delete (q as Partial<AxQuery>).zone;
    return JSON.parse(JSON.stringify(q)) as AxQuery; // plain objects (fast-check makes null-prototype ones)
  });

const noColumns = (q: AxQuery): AxQuery => ({
  ...q,
  times: q.times.map((t) => (t.kind === 'between' ? { ...t, from: { ...t.from, column: 0 }, to: { ...t.to, column: 0 } } : { ...t, expr: { ...t.expr, column: 0 } })),
});

describe('ax parser properties', () => {
  it('any string parses or fails with a column inside it', () => {
    fc.assert(fc.property(fc.string({ maxLength: 80, unit: 'binary' }), checkOutcome), { numRuns: 3000 });
  });

  it('any sequence of the language\'s words parses or fails with a column inside it', () => {
    fc.assert(fc.property(queryish, checkOutcome), { numRuns: 2500 });
  });

  it('a written query parses back to itself', () => {
    fc.assert(
      fc.property(query, (q) => {
        assert.deepEqual(noColumns(parseAx(formatAx(q))), q);
      }),
      { numRuns: 2000 },
    );
  });

  it('tokens sit where the input has them', () => {
    fc.assert(
      fc.property(queryish, (input) => {
        let tokens;
        try {
          tokens = lex(input).tokens;
        } catch {
          return;
        }
        let lastEnd = 0;
        for (const t of tokens) {
          assert.ok(t.start >= lastEnd && t.end > t.start && t.end <= input.length);
          assert.equal(t.column, [...input.slice(0, t.start)].length + 1);
          if (!t.quoted) assert.equal(input.slice(t.start, t.end), t.text);
          lastEnd = t.end;
        }
      }),
      { numRuns: 3000 },
    );
  });
});
