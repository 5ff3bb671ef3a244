// The AX glyph's view of the language without a DOM: highlighting spans, the advanced fields as a
// view of the query, error places; its keywords are the server's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEYWORDS } from '../src/ax/keywords.js';
import { parseAx } from '../src/ax/parser.js';
import { errorColumn, errorRange, fieldsOf, offsetOfColumn, readAxData, soTypeOf, toRequest, withField } from '../web/src/glyphs/ax/ax-model.js';
import { AX_KEYWORDS, axClauses, axSpans, quoteAxValue, withClauses } from '../web/src/glyphs/ax/ax-syntax.js';

const kinds = (q: string) => axSpans(q).map((s) => `${q.slice(s.from, s.to)}:${s.kind}`);

describe('AX glyph syntax', () => {
  it('knows the server\'s keywords, with the same clauses', () => {
    assert.deepEqual(Object.keys(AX_KEYWORDS).sort(), [...KEYWORDS.keys()].sort());
    for (const [word, role] of KEYWORDS) {
      const want = role.kind === 'field' ? role.field : role.kind === 'time' ? 'time' : role.kind;
      assert.equal(AX_KEYWORDS[word], want, word);
    }
  });

  it('colours keywords and each clause\'s values', () => {
    assert.deepEqual(kinds('ax alice is engineer of acme by hr since last week in Europe/Paris so notify'), [
      'ax:keyword', 'alice:subjects', 'is:keyword', 'engineer:predicates', 'of:keyword', 'acme:contexts', 'by:keyword', 'hr:actors',
      'since:keyword', 'last:time', 'week:time', 'in:keyword', 'Europe/Paris:zone', 'so:keyword', 'notify:type',
    ]);
    assert.deepEqual(kinds('"is" IS x and y'), ['"is":subjects', 'IS:keyword', 'x:predicates', 'and:keyword', 'y:predicates']);
    assert.deepEqual(kinds('between 2026-01 and 2026-02'), ['between:keyword', '2026-01:time', 'and:keyword', '2026-02:time']);
    assert.deepEqual(kinds('alice "open quo'), ['alice:subjects', '"open quo:open']);
    assert.deepEqual(kinds('alice in acme'), ['alice:subjects', 'in:subjects', 'acme:subjects']);
  });

  it('splits words the way the server does', () => {
    for (const q of ['a "b c" d\\ e', "x 'y z' \"q\\\"r\"", 'pre"mid dle"post is "C:\\dir"', 'alice, bob,carol is "a,b" x,']) {
      const server = parseAx(q).subjects.concat(parseAx(q).predicates);
      const web = axSpans(q).filter((s) => s.kind !== 'keyword').map((s) => s.text);
      assert.deepEqual(web, server, q);
    }
  });

  it('the advanced fields are a view of the query: editing one keeps the rest', () => {
    const q = 'alice bob is engineer of acme since 2026-01 so notify';
    assert.deepEqual(axClauses(q), { subjects: ['alice', 'bob'], predicates: ['engineer'], contexts: ['acme'], actors: [], rest: 'since 2026-01 so notify' });
    assert.deepEqual(fieldsOf(q), { subjects: 'alice, bob', predicates: 'engineer', contexts: 'acme', actors: '', rest: 'since 2026-01 so notify' });
    assert.equal(withField(q, 'actors', 'hr, ix:webhook'), 'alice bob is engineer of acme by hr ix:webhook since 2026-01 so notify');
    assert.equal(withField(q, 'contexts', 'Acme Corp, of'), 'alice bob is engineer of "Acme Corp" "of" since 2026-01 so notify');
    assert.equal(withField(q, 'subjects', ''), 'is engineer of acme since 2026-01 so notify');
    const edited = withField(q, 'contexts', 'Acme Corp, of');
    assert.deepEqual(parseAx(edited).contexts, ['Acme Corp', 'of'], 'the server reads what the fields wrote');
    assert.equal(quoteAxValue('ax'), '"ax"');
    for (const v of ['a,b', 'a|b', '50%', '#', '*', '@', 'a*b']) assert.deepEqual(parseAx(`ax ${quoteAxValue(v)}`).subjects, [v], v);
    assert.equal(quoteAxValue('src/*'), 'src/*', 'a trailing * stays the prefix match');
    assert.equal(withClauses({ subjects: [], predicates: [], contexts: [], actors: [], rest: '' }), '');
  });

  it('keeps the saved query and its options; asks for actions only when told', () => {
    const d = readAxData({ query: 'alice so notify', pageSize: 999, advanced: true, showAll: true });
    assert.deepEqual(d, { query: 'alice so notify', pageSize: 200, advanced: true, showAll: true, showSystem: false, watchId: null });
    assert.equal(soTypeOf(d.query), 'notify');
    assert.equal(soTypeOf('is signup of web'), null);
    assert.equal(soTypeOf('is also of web'), null);
    assert.equal(readAxData({ watchId: 'SC1' }).watchId, 'SC1');
    assert.deepEqual(toRequest(d, null, true), { query: 'alice so notify', limit: 200, all: true, actions: true, exclude_system: true });
    assert.deepEqual(toRequest(d, 'C', false, 'ax-1'), { query: 'alice so notify', limit: 200, cursor: 'C', all: true, actions: false, exclude_system: true });
    assert.equal(toRequest(d, null, true, 'ax-1').created_from, 'ax-1');
    assert.equal(readAxData({}).query, '');
  });

  it('finds the word a server error points at', () => {
    assert.equal(errorColumn(['column=7', 'time=blorp']), 7);
    assert.equal(errorColumn(['script_type=x']), null);
    assert.equal(offsetOfColumn('日本 since blorp', 10), 9);
    assert.equal(offsetOfColumn('🚀 is', 3), 3, 'an astral character is one column, two UTF-16 units');
    assert.deepEqual(errorRange('since blorp x', 6), { from: 6, to: 11 });
    assert.deepEqual(errorRange('alice is', 8), { from: 6, to: 8 }, 'at the end: the word before');
    assert.deepEqual(errorRange('alice is  ', 10), { from: 6, to: 8 });
    assert.equal(errorRange('', 0), null);
  });
});
