// The AX parser as a table: each query and what it parses to, or its error and column; times
// resolved in a zone at a fixed now; the canonical text round-trips.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileAx, parseAxFilter } from '../src/ax/compile.js';
import { formatAx, formatFilter } from '../src/ax/format.js';
import { MAX_AX_BYTES, parseAx } from '../src/ax/parser.js';
import { emptyQuery, type AxQuery, type TimeClause } from '../src/ax/query.js';
import { ValidationError } from '../src/errors.js';

type Parts = Partial<Omit<AxQuery, 'times'>> & { times?: Array<[TimeClause['kind'], string] | ['between', string, string]> };

/** Expected query; time columns are not compared. */
function Q(p: Parts = {}): AxQuery {
  const q = { ...emptyQuery(), ...p, times: [] as TimeClause[] };
  for (const t of p.times ?? []) {
    q.times.push(t[0] === 'between' ? { kind: 'between', from: { text: t[1], column: 0 }, to: { text: t[2]!, column: 0 } } : { kind: t[0], expr: { text: t[1], column: 0 } });
  }
  if (q.over === undefined) delete q.over;
  if (q.zone === undefined) delete q.zone;
  return q;
}

function stripColumns(q: AxQuery): AxQuery {
  return {
    ...q,
    times: q.times.map((t) =>
      t.kind === 'between' ? { kind: t.kind, from: { text: t.from.text, column: 0 }, to: { text: t.to.text, column: 0 } } : { kind: t.kind, expr: { text: t.expr.text, column: 0 } },
    ),
  };
}

const ok: Array<[string, AxQuery]> = [
  // subjects, and the optional leading ax
  ['', Q()],
  ['   ', Q()],
  ['ax', Q()],
  ['AX', Q()],
  ['ENTITY-123', Q({ subjects: ['ENTITY-123'] })],
  ['ax ENTITY-123', Q({ subjects: ['ENTITY-123'] })],
  ['ax alice bob carol', Q({ subjects: ['alice', 'bob', 'carol'] })],
  ['ax alice and bob', Q({ subjects: ['alice', 'bob'] })],
  ['ax alice AND bob and carol', Q({ subjects: ['alice', 'bob', 'carol'] })],
  ['ax alice alice', Q({ subjects: ['alice'] })],
  ['ax "ax"', Q({ subjects: ['ax'] })],
  ['ax ax', Q({ subjects: ['ax'] })],
  ['"ax" alice', Q({ subjects: ['ax', 'alice'] })],
  ['ax "John Doe"', Q({ subjects: ['John Doe'] })],
  ["ax 'John Doe' Jane", Q({ subjects: ['John Doe', 'Jane'] })],
  ['ax John\\ Doe', Q({ subjects: ['John Doe'] })],
  ['ax "say \\"hi\\""', Q({ subjects: ['say "hi"'] })],
  ['ax "C:\\dir"', Q({ subjects: ['C:\\dir'] })],
  ["ax 'no \\escape'", Q({ subjects: ['no \\escape'] })],
  ['ax pre"mid dle"post', Q({ subjects: ['premid dlepost'] })],
  ['ax "is"', Q({ subjects: ['is'] })],
  ['ax "of" "by" "since" "so" "and"', Q({ subjects: ['of', 'by', 'since', 'so', 'and'] })],
  ['ax \\is', Q({ subjects: ['is'] })],
  ['ax 日本語 Москва 🚀', Q({ subjects: ['日本語', 'Москва', '🚀'] })],
  ['ax a\u3000b', Q({ subjects: ['a', 'b'] })],
  ['ax\talice\nis\r\nengineer', Q({ subjects: ['alice'], predicates: ['engineer'] })],
  ['ax https://example.com/x?y=1', Q({ subjects: ['https://example.com/x?y=1'] })],
  ['ax in', Q({ subjects: ['in'] })],
  ['ax alice in acme', Q({ subjects: ['alice', 'in', 'acme'] })],
  // predicates
  ['ax alice is engineer', Q({ subjects: ['alice'], predicates: ['engineer'] })],
  ['ax alice IS engineer', Q({ subjects: ['alice'], predicates: ['engineer'] })],
  ['ax alice Is engineer', Q({ subjects: ['alice'], predicates: ['engineer'] })],
  ['ax alice bob are engineers', Q({ subjects: ['alice', 'bob'], predicates: ['engineers'] })],
  ['ax is member of ACME', Q({ predicates: ['member'], contexts: ['ACME'] })],
  ['ax alice is engineer manager', Q({ subjects: ['alice'], predicates: ['engineer', 'manager'] })],
  ['ax alice is engineer and manager', Q({ subjects: ['alice'], predicates: ['engineer', 'manager'] })],
  ['ax alice is "senior developer"', Q({ subjects: ['alice'], predicates: ['senior developer'] })],
  ['ax alice is is_author_of of GitHub', Q({ subjects: ['alice'], predicates: ['is_author_of'], contexts: ['GitHub'] })],
  ['ax alice is senior-developer', Q({ subjects: ['alice'], predicates: ['senior-developer'] })],
  ['ax has certification', Q({ predicates: ['certification'] })],
  ['ax alice has certification', Q({ subjects: ['alice'], predicates: ['certification'] })],
  ['ax alice have certification', Q({ subjects: ['alice'], predicates: ['certification'] })],
  ['ax alice is a of b is c', Q({ subjects: ['alice'], predicates: ['a', 'c'], contexts: ['b'] })],
  ['ax is ix_handler of webhook', Q({ predicates: ['ix_handler'], contexts: ['webhook'] })],
  // contexts
  ['ax alice of acme', Q({ subjects: ['alice'], contexts: ['acme'] })],
  ['ax alice from acme', Q({ subjects: ['alice'], contexts: ['acme'] })],
  ['ax alice OF acme globex', Q({ subjects: ['alice'], contexts: ['acme', 'globex'] })],
  ['ax of "ACME Corp"', Q({ contexts: ['ACME Corp'] })],
  ['ax alice is engineer of acme', Q({ subjects: ['alice'], predicates: ['engineer'], contexts: ['acme'] })],
  ['ax of acme is engineer', Q({ predicates: ['engineer'], contexts: ['acme'] })],
  // actors
  ['ax alice by hr', Q({ subjects: ['alice'], actors: ['hr'] })],
  ['ax alice via hr', Q({ subjects: ['alice'], actors: ['hr'] })],
  ['ax by registry', Q({ actors: ['registry'] })],
  ['ax by hr and registry', Q({ actors: ['hr', 'registry'] })],
  ['ax by ix:webhook ixgest.git llm:gpt', Q({ actors: ['ix:webhook', 'ixgest.git', 'llm:gpt'] })],
  ['ax alice is engineer of acme by hr', Q({ subjects: ['alice'], predicates: ['engineer'], contexts: ['acme'], actors: ['hr'] })],
  ['ax by hr of acme is engineer', Q({ predicates: ['engineer'], contexts: ['acme'], actors: ['hr'] })],
  // times
  ['ax by registry since yesterday', Q({ actors: ['registry'], times: [['since', 'yesterday']] })],
  ['ax alice since 2026-01', Q({ subjects: ['alice'], times: [['since', '2026-01']] })],
  ['ax alice SINCE 2026-01', Q({ subjects: ['alice'], times: [['since', '2026-01']] })],
  ['ax until 2026-01-29', Q({ times: [['until', '2026-01-29']] })],
  ['ax on 2026-01-29', Q({ times: [['on', '2026-01-29']] })],
  ['ax since last week', Q({ times: [['since', 'last week']] })],
  ['ax since 3 days ago', Q({ times: [['since', '3 days ago']] })],
  ['ax since "3 days ago"', Q({ times: [['since', '3 days ago']] })],
  ['ax between 2026-01 and 2026-02', Q({ times: [['between', '2026-01', '2026-02']] })],
  ['ax between last week and yesterday', Q({ times: [['between', 'last week', 'yesterday']] })],
  ['ax since 2026-01 until 2026-02', Q({ times: [['since', '2026-01'], ['until', '2026-02']] })],
  ['ax until 2026-02 since 2026-01', Q({ times: [['until', '2026-02'], ['since', '2026-01']] })],
  ['ax since yesterday in Europe/Paris', Q({ times: [['since', 'yesterday']], zone: 'Europe/Paris' })],
  ['ax since yesterday IN utc', Q({ times: [['since', 'yesterday']], zone: 'UTC' })],
  ['ax since 2026-01 in UTC+2 until 2026-02', Q({ times: [['since', '2026-01'], ['until', '2026-02']], zone: 'UTC+2' })],
  ['ax between 2026-01 in America/New_York and 2026-02', Q({ times: [['between', '2026-01', '2026-02']], zone: 'America/New_York' })],
  ['ax since 2026-01-29T10:00Z', Q({ times: [['since', '2026-01-29T10:00Z']] })],
  ['ax since 2026-01-29 10:00', Q({ times: [['since', '2026-01-29 10:00']] })],
  ['ax since 1769644800000', Q({ times: [['since', '1769644800000']] })],
  ['ax alice is engineer of acme by hr since 2026-01', Q({ subjects: ['alice'], predicates: ['engineer'], contexts: ['acme'], actors: ['hr'], times: [['since', '2026-01']] })],
  // over
  ['ax has certification over 3y', Q({ predicates: ['certification'], over: { amount: 3, unit: 'y' } })],
  ['ax over 18m', Q({ over: { amount: 18, unit: 'm' } })],
  ['ax over 2w', Q({ over: { amount: 2, unit: 'w' } })],
  ['ax over 10d', Q({ over: { amount: 10, unit: 'd' } })],
  ['ax over 3 years', Q({ over: { amount: 3, unit: 'y' } })],
  ['ax over 1 month', Q({ over: { amount: 1, unit: 'm' } })],
  ['ax over 1.5y', Q({ over: { amount: 1.5, unit: 'y' } })],
  ['ax over 3Y', Q({ over: { amount: 3, unit: 'y' } })],
  ['ax over 3y in Europe/Paris', Q({ over: { amount: 3, unit: 'y' }, zone: 'Europe/Paris' })],
  ['ax since 2025 over 1y', Q({ times: [['since', '2025']], over: { amount: 1, unit: 'y' } })],
  // so
  ['ax alice is author so notify', Q({ subjects: ['alice'], predicates: ['author'], so: ['notify'] })],
  ['ax alice therefore send_email', Q({ subjects: ['alice'], so: ['send_email'] })],
  ['ax alice so notify webhook', Q({ subjects: ['alice'], so: ['notify', 'webhook'] })],
  ['ax alice so notify and audit-2', Q({ subjects: ['alice'], so: ['notify', 'audit-2'] })],
  ['ax since yesterday so notify', Q({ times: [['since', 'yesterday']], so: ['notify'] })],
  ['ax so notify by hr', Q({ actors: ['hr'], so: ['notify'] })],
  ['ax ALICE BOB is author_of of GitHub Linux by CHARLIE since 2024-01-01 so notify', Q({ subjects: ['ALICE', 'BOB'], predicates: ['author_of'], contexts: ['GitHub', 'Linux'], actors: ['CHARLIE'], times: [['since', '2024-01-01']], so: ['notify'] })],
];

const bad: Array<[string, string, number]> = [
  ['ax is', "'is' needs a predicate", 6],
  ['ax alice is', "'is' needs a predicate", 12],
  ['ax alice is of acme', "'is' needs a predicate", 13],
  ['ax alice of', "'of' needs a context", 12],
  ['ax alice from', "'from' needs a context", 14],
  ['ax alice by', "'by' needs an actor", 12],
  ['ax alice VIA', "'via' needs an actor", 13],
  ['ax alice so', "'so' needs a type", 12],
  ['ax so by hr', "'so' needs a type", 7],
  ['ax since', "'since' needs a time", 9],
  ['ax since so x', "'since' needs a time", 10],
  ['ax until', "'until' needs a time", 9],
  ['ax on', "'on' needs a time", 6],
  ['ax between', "'between' needs a time", 11],
  ['ax between 2026 2027', "'between' needs 'and' between its two times", 21],
  ['ax between 2026 and', "'and' needs a time", 20],
  ['ax over', "'over' needs a duration", 8],
  ['ax over 3', "invalid duration '3'", 9],
  ['ax over 3x', "invalid duration '3x'", 9],
  ['ax over y3', "invalid duration 'y3'", 9],
  ['ax over 0d', "invalid duration '0d'", 9],
  ['ax over -1d', "invalid duration '-1d'", 9],
  ['ax over 5000y', "invalid duration '5000y'", 9],
  ['ax over 3 big years', "invalid duration '3 big years'", 9],
  ['ax since yesterday since today', "'since' appears twice", 20],
  ['ax over 1y over 2y', "'over' appears twice", 12],
  ['ax since yesterday and today', "'and' cannot follow a time", 20],
  ['ax and bob', "'and' needs a value before it", 4],
  ['ax alice and and bob', "'and' needs a value before it", 14],
  ['ax alice and', "'and' needs a value after it", 13],
  ['ax alice and is x', "'and' needs a value after it", 14],
  ['ax is and x', "'and' needs a value before it", 7],
  ['ax alice so Notify', "invalid type 'Notify'", 13],
  ['ax alice so no/tify', "invalid type 'no/tify'", 13],
  ['ax alice so "a b"', "invalid type 'a b'", 13],
  ['ax since x in Mars/Base', "unknown time zone 'Mars/Base'", 15],
  ['ax since x in Europe/Paris until y in Asia/Tokyo', 'a second time zone', 39],
  ['ax "abc', 'unterminated quote', 4],
  ["ax alice 'abc", 'unterminated quote', 10],
  ['ax alice\\', 'backslash at the end of the query', 9],
  ['ax ""', 'empty value', 4],
  ['ax alice is "  "', 'empty value', 13],
  ['ax a\u0000b', 'NUL character', 5],
  ['ax 🚀 is', "'is' needs a predicate", 8],
  ['ax ' + 'x'.repeat(2001), 'value longer than 2000 bytes', 4],
  ['ax so ' + 'a'.repeat(65), `invalid type '${'a'.repeat(63)}…'`, 7],
];

describe('ax parser', () => {
  it(`has at least 100 cases`, () => {
    assert.ok(ok.length + bad.length >= 100, `${ok.length + bad.length} cases`);
  });

  for (const [input, want] of ok) {
    it(`parses ${JSON.stringify(input)}`, () => {
      assert.deepEqual(stripColumns(parseAx(input)), want);
    });
  }

  for (const [input, message, column] of bad) {
    it(`rejects ${JSON.stringify(input.slice(0, 40))} at column ${column}`, () => {
      assert.throws(
        () => compileAx(parseAx(input), { now: NOW }),
        (e: unknown) => {
          assert.ok(e instanceof ValidationError, String(e));
          assert.equal(e.message, `${message} at column ${column}`);
          assert.equal(e.details[0], `column=${column}`);
          assert.ok(e.hint && e.hint.length > 5, 'has a hint');
          return true;
        },
      );
    });
  }

  it('bounds the length (bytes of UTF-8) before looking at the words', () => {
    const words = (n: number) => Array.from({ length: n }, (_, i) => `é${String(i).padStart(4, '0')}`).join(' ');
    const fits = 'ax ' + words(1170); // 3 + 1170 * 7 - 1 = 8192 bytes
    assert.equal(Buffer.byteLength(fits), MAX_AX_BYTES);
    assert.throws(() => parseAx(fits), /more than 256 values/, 'parsed past the length check');
    for (const big of [fits + 'x', 'x'.repeat(10 * MAX_AX_BYTES)]) {
      assert.throws(() => parseAx(big), (e: ValidationError) => e.message === `ax query is longer than ${MAX_AX_BYTES} bytes` && e.details.includes(`max=${MAX_AX_BYTES}`));
    }
  });

  it('bounds the values of one clause', () => {
    const many = Array.from({ length: 257 }, (_, i) => `v${i}`).join(' ');
    assert.throws(() => parseAx(`ax ${many}`), /more than 256 values in one clause at column/);
  });

  it('column is where the keyword error is, counted in characters', () => {
    const text = 'ax 日本 is';
    assert.throws(() => parseAx(text), (e: ValidationError) => e.details[0] === `column=${[...text].length + 1}`);
  });
});

// Tuesday 2026-03-10 15:30 UTC (16:30 in Paris, 11:30 in New York).
const NOW = Date.parse('2026-03-10T15:30:00Z');
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

const times: Array<[string, string | undefined, string | undefined, string | undefined]> = [
  // query, zone, time_start, time_end (inclusive)
  ['ax since 2026-01', undefined, '2026-01-01T00:00:00.000Z', undefined],
  ['ax until 2026-01', undefined, undefined, '2026-01-31T23:59:59.999Z'],
  ['ax on 2026-01-29', undefined, '2026-01-29T00:00:00.000Z', '2026-01-29T23:59:59.999Z'],
  ['ax on 2026', undefined, '2026-01-01T00:00:00.000Z', '2026-12-31T23:59:59.999Z'],
  ['ax between 2026-01 and 2026-02', undefined, '2026-01-01T00:00:00.000Z', '2026-02-28T23:59:59.999Z'],
  ['ax since yesterday', undefined, '2026-03-09T00:00:00.000Z', undefined],
  ['ax on yesterday', undefined, '2026-03-09T00:00:00.000Z', '2026-03-09T23:59:59.999Z'],
  ['ax on today', undefined, '2026-03-10T00:00:00.000Z', '2026-03-10T23:59:59.999Z'],
  ['ax since 3 days ago', undefined, '2026-03-07T00:00:00.000Z', undefined],
  ['ax since last week', undefined, '2026-03-03T00:00:00.000Z', undefined],
  ['ax since last month', undefined, '2026-02-01T00:00:00.000Z', undefined],
  ['ax since 2 hours ago', undefined, '2026-03-10T13:30:00.000Z', undefined],
  ['ax since yesterday in Europe/Paris', 'Europe/Paris', '2026-03-08T23:00:00.000Z', undefined],
  ['ax on 2026-01-29 in Asia/Tokyo', 'Asia/Tokyo', '2026-01-28T15:00:00.000Z', '2026-01-29T14:59:59.999Z'],
  ['ax since 2026-01 in America/New_York', 'America/New_York', '2026-01-01T05:00:00.000Z', undefined],
  ['ax on 2026-07-01 in America/New_York', 'America/New_York', '2026-07-01T04:00:00.000Z', '2026-07-02T03:59:59.999Z'],
  ['ax since 2026-01-29T10:00Z in Asia/Tokyo', 'Asia/Tokyo', '2026-01-29T10:00:00.000Z', undefined],
  ['ax since 2026-01-29T10:00+02:00', undefined, '2026-01-29T08:00:00.000Z', undefined],
  ['ax until 2026-01-29T10:00Z', undefined, undefined, '2026-01-29T10:00:59.999Z'],
  ['ax since 1769644800000', undefined, '2026-01-29T00:00:00.000Z', undefined],
  ['ax since 2026-01 until 2025-12', undefined, '2026-01-01T00:00:00.000Z', '2025-12-31T23:59:59.999Z'],
  ['ax since 2026-01 on 2026-01-15', undefined, '2026-01-15T00:00:00.000Z', '2026-01-15T23:59:59.999Z'],
];

describe('ax time expressions', () => {
  for (const [text, zone, start, end] of times) {
    it(`${text} → [${start ?? '-'}, ${end ?? '-'}]`, () => {
      const f = compileAx(parseAx(text), { now: NOW });
      assert.equal(iso(f.time_start), start);
      assert.equal(iso(f.time_end), end);
      assert.equal(f.timezone, zone === 'UTC' ? undefined : zone);
    });
  }

  it('reads relative words in the default zone a caller gives', () => {
    const f = compileAx(parseAx('ax on today'), { now: NOW, zone: 'Asia/Tokyo' });
    assert.equal(iso(f.time_start), '2026-03-10T15:00:00.000Z'); // 00:00 on 11 March in Tokyo
  });

  for (const text of ['blorp', 'yesterday blorp', '2026-13', '2026-02-30', 'next', '2026-01-29T25:00']) {
    it(`rejects the time '${text}' with its column`, () => {
      assert.throws(
        () => compileAx(parseAx(`ax alice since ${text}`), { now: NOW }),
        (e: ValidationError) => e.message === `cannot read '${text}' as a time at column 16` && e.details.includes(`time=${text}`),
      );
    });
  }
});

describe('ax canonical text and structured filter', () => {
  for (const [input] of ok) {
    it(`round-trips ${JSON.stringify(input)}`, () => {
      const q = parseAx(input);
      assert.deepEqual(stripColumns(parseAx(formatAx(q))), stripColumns(q));
    });
  }

  it('writes a filter as text that compiles back to it, to the millisecond', () => {
    const f = { subjects: ['John Doe', 'is'], predicates: ['p'], time_start: 1769644800123, time_end: 1769731200456, over: { amount: 2, unit: 'w' as const }, so: ['notify'] };
    const text = formatFilter(f);
    assert.equal(text, 'ax "John Doe" "is" is p since 2026-01-29T00:00:00.123Z until 2026-01-30T00:00:00.456Z over 2w so notify');
    assert.deepEqual(compileAx(parseAx(text), { now: NOW }), f);
  });

  it('accepts the structured filter with ISO times and string durations', () => {
    assert.deepEqual(parseAxFilter({ subjects: ['a', 'a'], predicates: [], time_start: '2026-01-29T00:00:00Z', over: '3y', timezone: 'europe/paris' }), {
      subjects: ['a'],
      time_start: 1769644800000,
      over: { amount: 3, unit: 'y' },
      timezone: 'Europe/Paris',
    });
    for (const bad of [{ subject: ['a'] }, { subjects: [''] }, { over: '3x' }, { so: ['Bad'] }, { timezone: 'Mars/Base' }, { time_start: 'yesterday' }]) {
      assert.throws(() => parseAxFilter(bad), ValidationError, JSON.stringify(bad));
    }
  });
});
