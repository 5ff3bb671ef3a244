// The original QNTX's own cases that qntx now matches (crates/ats/src/parser Rust tests,
// ats/parser/as_test.go and temporal_test.go, credibility.rs): wildcards, the pipe, commas and a
// lone `@` in AX; `next <weekday>` on each day of the week; the `as` text forms; actor types;
// `limit: 0`. Execution of the `as` forms runs on both databases, through POST /api/as.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { effectiveLimit } from '../src/ats/query.js';
import { ABSENT, parseAttestationText, parseAttestationWords, type ParsedText } from '../src/ats/text.js';
import { parseAx } from '../src/ax/parser.js';
import { Credibility, DEFAULT_ACTOR_RULES, parseActorRules } from '../src/ax/sameness/credibility.js';
import { resolveTime } from '../src/ax/time.js';
import { ManualClock } from '../src/clock.js';
import { ValidationError } from '../src/errors.js';
import { DB_KINDS, type DbKind } from './helpers.js';
import { startTestServer, type TestServer } from './http-helpers.js';

function refused(query: string, message: RegExp, column: number): void {
  assert.throws(
    () => parseAx(query),
    (e: unknown) => e instanceof ValidationError && message.test(e.message) && e.details[0] === `column=${column}` && Boolean(e.hint),
    query,
  );
}

describe('AX refuses what the original refuses', () => {
  // [query, message, column]
  const cases: Array<[string, RegExp, number]> = [
    ['*', /^wildcard '\*' is not supported at column 1$/, 1],
    ['^', /wildcard '\^' is not supported/, 1],
    ['%', /wildcard '%' is not supported/, 1],
    ['$', /wildcard '\$' is not supported/, 1],
    ['#', /wildcard '#' is not supported/, 1],
    ['* is author', /wildcard '\*'/, 1],
    ['ALICE is *', /wildcard '\*'/, 10],
    ['ALICE is author of *', /wildcard '\*'/, 20],
    ['ALICE is author by *', /wildcard '\*'/, 20],
    ['is * * *', /wildcard '\*'/, 4],
    ['ANNA * is author', /wildcard '\*'/, 6],
    ['ax a*b', /wildcard '\*'/, 5],
    ['ax src/**', /wildcard '\*'/, 8],
    ['|', /^the pipe '\|' is not supported at column 1$/, 1],
    ['ALICE | BOB', /pipe/, 7],
    ['ALICE is author | editor', /pipe/, 17],
    ['ALICE is author of GitHub | Linux', /pipe/, 27],
    ['ALICE is author by BOB | CHARLIE', /pipe/, 24],
    ['ALICE|BOB', /pipe/, 6],
    ['@ @ @', /^'@' alone is not a value at column 1$/, 1],
    ['ax alice @', /'@' alone/, 10],
  ];
  for (const [query, message, column] of cases) {
    it(`refuses ${query} at column ${column}`, () => refused(query, message, column));
  }

  it('keeps a trailing * as a prefix, and quoted or escaped characters as values', () => {
    assert.deepEqual(parseAx('ax of src/*').contexts, ['src/*']);
    assert.deepEqual(parseAx('ax "a|b" \'50%\' \\# "*" "@"').subjects, ['a|b', '50%', '#', '*', '@']);
    assert.deepEqual(parseAx('ax alice@example.com').subjects, ['alice@example.com']);
  });

  it('separates values with commas', () => {
    assert.deepEqual(parseAx('ALICE, BOB').subjects, ['ALICE', 'BOB']);
    assert.deepEqual(parseAx('ax ALICE,BOB is author,editor of "a,b"').subjects, ['ALICE', 'BOB']);
    assert.deepEqual(parseAx('ax ALICE,BOB is author,editor of "a,b"').predicates, ['author', 'editor']);
    assert.deepEqual(parseAx('ax ALICE,BOB is author,editor of "a,b"').contexts, ['a,b']);
  });
});

describe('next <weekday> is the coming one', () => {
  const DAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
  const MONDAY = Date.parse('2026-03-09T12:00:00Z');
  // On each weekday of one week (a fixed clock), each `next <day>`: 1 to 7 days ahead, a whole day.
  for (let today = 0; today < 7; today++) {
    const now = MONDAY + today * 86_400_000;
    const midnight = Date.parse(new Date(now).toISOString().slice(0, 10));
    it(`on a ${DAYS[today]}`, () => {
      for (let target = 0; target < 7; target++) {
        const ahead = (target - today + 7) % 7 || 7;
        for (const word of [DAYS[target]!, DAYS[target]!.slice(0, 3)]) {
          const t = resolveTime(`next ${word}`, 'UTC', now);
          assert.deepEqual(t, { start: midnight + ahead * 86_400_000, end: midnight + (ahead + 1) * 86_400_000, granularity: 'day' }, `next ${word}`);
        }
      }
    });
  }

  it('next friday on a Monday is 4 days later, as the original (chrono-node says 11)', () => {
    assert.equal(resolveTime('next friday', 'UTC', MONDAY)!.start, Date.parse('2026-03-13T00:00:00Z'));
  });

  it('in the query zone', () => {
    // 23:30 UTC on a Sunday is already Monday in Paris: next monday is a week on.
    const t = resolveTime('next monday', 'Europe/Paris', Date.parse('2026-03-08T23:30:00Z'))!;
    assert.equal(t.start, Date.parse('2026-03-15T23:00:00Z'));
  });
});

describe('the as text forms', () => {
  const NOW = Date.parse('2026-03-09T12:34:56.789Z');
  const read = (text: string) => (text === 'now' ? NOW : resolveTime(text, 'UTC', NOW)?.start);
  const at = (iso: string) => Date.parse(iso);
  // The original's cases (ats/parser/as_test.go), each as the attestation it makes: what it
  // leaves out is `_`; values are kept as written (the original upper-cases subjects and contexts).
  const cases: Array<[string, ParsedText]> = [
    ['as NEO', { subjects: ['NEO'], predicates: [ABSENT], contexts: [ABSENT] }],
    ['as NEO is human', { subjects: ['NEO'], predicates: ['human'], contexts: [ABSENT] }],
    ['as NEO TYMA SHCO are employees of ACME', { subjects: ['NEO', 'TYMA', 'SHCO'], predicates: ['employees'], contexts: ['ACME'] }],
    ["as TOSH is 'team lead' of RESEARCH_LAB", { subjects: ['TOSH'], predicates: ['team lead'], contexts: ['RESEARCH_LAB'] }],
    ['as ALICE is researcher of MIT by registry-system', { subjects: ['ALICE'], predicates: ['researcher'], contexts: ['MIT'], actors: ['registry-system'] }],
    ['as DAVE is consultant of STARTUP by hr-system verification-bot', { subjects: ['DAVE'], predicates: ['consultant'], contexts: ['STARTUP'], actors: ['hr-system', 'verification-bot'] }],
    ['as BOB is analyst on 2025-01-15', { subjects: ['BOB'], predicates: ['analyst'], contexts: [ABSENT], timestamp: at('2025-01-15') }],
    ['as JACK manager IBM', { subjects: ['JACK'], predicates: ['manager'], contexts: ['IBM'] }],
    ['as ALICE BOB CAROL DAVE', { subjects: ['ALICE', 'BOB', 'CAROL', 'DAVE'], predicates: [ABSENT], contexts: [ABSENT] }],
    ['as MORPHEUS is consultant mentor of ACME QNTX MIT', { subjects: ['MORPHEUS'], predicates: ['consultant', 'mentor'], contexts: ['ACME', 'QNTX', 'MIT'] }],
    ["as JSBE is 'primary care physician' of 'General Hospital'", { subjects: ['JSBE'], predicates: ['primary care physician'], contexts: ['General Hospital'] }],
    ['as MIKE LAIN are researcher analyst of PROJECT_ALPHA PROJECT_BETA', { subjects: ['MIKE', 'LAIN'], predicates: ['researcher', 'analyst'], contexts: ['PROJECT_ALPHA', 'PROJECT_BETA'] }],
    ['as EVE is human on yesterday', { subjects: ['EVE'], predicates: ['human'], contexts: [ABSENT], timestamp: at('2026-03-08') }],
    ['as X is y at now', { subjects: ['X'], predicates: ['y'], contexts: [ABSENT], timestamp: NOW }],
    ['as X is y at today', { subjects: ['X'], predicates: ['y'], contexts: [ABSENT], timestamp: at('2026-03-09') }],
    ['as X at 3 days ago', { subjects: ['X'], predicates: [ABSENT], contexts: [ABSENT], timestamp: at('2026-03-06') }],
    [
      'as NEO TYMA are employees contractors of ACME QNTX by hr-system on 2025-01-15',
      { subjects: ['NEO', 'TYMA'], predicates: ['employees', 'contractors'], contexts: ['ACME', 'QNTX'], actors: ['hr-system'], timestamp: at('2025-01-15') },
    ],
    ['as alice is engineer of acme by hr-system at 2026-01-29', { subjects: ['alice'], predicates: ['engineer'], contexts: ['acme'], actors: ['hr-system'], timestamp: at('2026-01-29') }],
    ['as "is" of by-me', { subjects: ['is'], predicates: [ABSENT], contexts: ['by-me'] }],
  ];
  for (const [text, want] of cases) {
    it(text, () => {
      assert.deepEqual(parseAttestationText(text, read), want);
      // The CLI's words (each shell word one value or keyword) read the same.
      if (!/['"]/.test(text)) assert.deepEqual(parseAttestationWords(text.slice(3).split(' '), read), want, 'as CLI words');
    });
  }

  // [text, message, column]
  const errors: Array<[string, RegExp, number]> = [
    ['as', /an attestation needs a subject/, 3],
    ['as is human', /an attestation needs a subject/, 4],
    ['as alice is', /'is' needs a predicate/, 12],
    ['as alice is of acme', /'is' needs a predicate/, 13],
    ['as alice is x of', /'of' needs a context/, 17],
    ['as alice by', /'by' needs an actor/, 12],
    ['as alice on', /'on' needs a time/, 12],
    ['as alice is x is y', /'is' appears twice/, 15],
    ['as alice at now on today', /'on' appears twice/, 17],
    ['as alice on blorp', /cannot read 'blorp' as a time/, 13],
  ];
  for (const [text, message, column] of errors) {
    it(`refuses ${text}`, () => {
      assert.throws(
        () => parseAttestationText(text, read),
        (e: unknown) => e instanceof ValidationError && message.test(e.message) && e.message.endsWith(`at column ${column}`) && e.details[0] === `column=${column}`,
        text,
      );
    });
  }
});

describe('actor types (credibility.rs)', () => {
  it('reads model names as LLMs and qntx parts as systems, without regard to case', () => {
    const c = new Credibility(DEFAULT_ACTOR_RULES);
    const types = Object.fromEntries(
      ['claude-3-opus', 'Claude', 'openai-assistant', 'gpt-4o', 'GPT4', 'anthropic-api', 'llm:x', 'qntx:pulse', 'ix:webhook', 'alice', 'external:feed'].map((a) => [a, c.typeOf(a)]),
    );
    assert.deepEqual(types, {
      'claude-3-opus': 'llm',
      Claude: 'llm',
      'openai-assistant': 'llm',
      'gpt-4o': 'llm',
      GPT4: 'llm',
      'anthropic-api': 'llm',
      'llm:x': 'llm',
      'qntx:pulse': 'system',
      'ix:webhook': 'system',
      alice: 'human',
      'external:feed': 'external',
    });
  });

  it('stays configurable: rules given first win', () => {
    const c = new Credibility([...parseActorRules('claude-human=human'), ...DEFAULT_ACTOR_RULES]);
    assert.equal(c.typeOf('claude-human'), 'human');
    assert.equal(c.typeOf('claude-bot'), 'llm');
  });
});

describe('limit: 0 is the default', () => {
  it('in the store', () => {
    assert.equal(effectiveLimit(0), 100);
    assert.equal(effectiveLimit(undefined), 100);
    assert.equal(effectiveLimit(1), 1);
  });
});

for (const { kind, skip } of DB_KINDS) {
  describe(`the as forms through POST /api/as, found by ax (${kind})`, { skip }, () => {
    const NOW = Date.parse('2026-03-09T12:00:00Z');
    let s: TestServer;
    before(async () => {
      s = await startTestServer(kind as DbKind, {}, { clock: new ManualClock(NOW) });
    });
    after(async () => {
      await s.stop();
    });

    it('stores each form as the original does, and ax finds it without regard to case', async () => {
      const made: Record<string, { id: string; subjects: string[]; predicates: string[]; contexts: string[]; timestamp: number }> = {};
      for (const text of [
        'as NEO',
        'as NEO is human',
        'as JACK manager IBM',
        'as BOB is analyst on 2025-01-15',
        'as EVE is human on yesterday',
        'as NEO TYMA are employees contractors of ACME QNTX by hr-system on 2025-01-15',
      ]) {
        const r = await s.request('POST', '/api/as', { text });
        assert.equal(r.status, 201, `${text}: ${JSON.stringify(r.body)}`);
        made[text] = r.body;
      }
      assert.deepEqual([made['as NEO']!.predicates, made['as NEO']!.contexts], [['_'], ['_']]);
      assert.equal(made['as NEO']!.timestamp, NOW);
      assert.equal(made['as EVE is human on yesterday']!.timestamp, Date.parse('2026-03-08'));
      const ax = async (query: string) => ((await s.request('POST', '/api/ax', { query, all: true })).body.attestations as Array<{ id: string }>).map((a) => a.id);
      assert.deepEqual(await ax('ax jack is MANAGER of ibm'), [made['as JACK manager IBM']!.id]);
      assert.deepEqual(await ax('ax neo is human'), [made['as NEO is human']!.id]);
      assert.deepEqual(await ax('ax tyma is contractors of qntx by HR-SYSTEM on 2025-01-15'), [made['as NEO TYMA are employees contractors of ACME QNTX by hr-system on 2025-01-15']!.id]);
      assert.deepEqual((await ax('ax Bob on 2025-01-15')).length, 1);
      const bad = await s.request('POST', '/api/as', { text: 'as alice is engineer of' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.details, ['column=24', 'clause=of']);
    });

    it('reads limit: 0 as the default in POST /api/ax and GET /api/attestations', async () => {
      const ax = await s.request('POST', '/api/ax', { query: 'ax neo', limit: 0 });
      assert.equal(ax.status, 200);
      assert.equal(ax.body.attestations.length, 3);
      const get = await s.request('GET', '/api/attestations?subjects=neo&limit=0');
      assert.equal(get.status, 200);
      assert.equal(get.body.attestations.length, 3);
    });
  });
}
