// What a watcher matches, as pure functions: the query's values (case, prefixes), time bounds,
// system attestations, and the attribute conditions with dotted paths.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attestation } from '../src/ats/types.js';
import { meetsFilter } from '../src/ax/watch-source.js';
import { atPath, meetsConditions } from '../src/pulse/watch-input.js';

const a = (over: Partial<Attestation> = {}): Attestation => ({
  id: 'AS1',
  subjects: ['Alice'],
  predicates: ['signup'],
  contexts: ['web'],
  actors: ['hr'],
  timestamp: 1000,
  source: 'api',
  attributes: {},
  created_at: 0,
  handler_version: null,
  ...over,
});

describe('watch matching', () => {
  it('matches values without regard to case, any listed value, prefixes, and time bounds', () => {
    assert.equal(meetsFilter({ subjects: ['alice'] }, a()), true);
    assert.equal(meetsFilter({ subjects: ['bob', 'ALICE'] }, a()), true);
    assert.equal(meetsFilter({ subjects: ['bob'] }, a()), false);
    assert.equal(meetsFilter({ predicates: ['sign*'] }, a()), true);
    assert.equal(meetsFilter({ predicates: ['sign\\*'] }, a()), false);
    assert.equal(meetsFilter({ predicates: ['signup'], contexts: ['shop'] }, a()), false);
    assert.equal(meetsFilter({ time_start: 1000, time_end: 1000 }, a()), true);
    assert.equal(meetsFilter({ time_start: 1001 }, a()), false);
    assert.equal(meetsFilter({ time_end: 999 }, a()), false);
    assert.equal(meetsFilter({}, a({ predicates: ['ix_handler'] })), false, 'system attestations never match');
  });

  it('reads dotted paths and ANDs equals / contains conditions', () => {
    const attrs = { payload: { action: 'opened', n: 3, title: 'a bug', tags: ['ui', 'bug'], flag: true } };
    assert.equal(atPath(attrs, 'payload.action'), 'opened');
    assert.equal(atPath(attrs, 'payload.action.x'), undefined);
    assert.equal(atPath(attrs, 'nope.x'), undefined);
    const ok = (c: Parameters<typeof meetsConditions>[1]) => meetsConditions(attrs, c);
    assert.equal(ok([{ path: 'payload.action', op: 'equals', value: 'opened' }]), true);
    assert.equal(ok([{ path: 'payload.action', op: 'equals', value: 'open' }]), false);
    assert.equal(ok([{ path: 'payload.n', op: 'equals', value: '3' }]), true, 'the CLI gives text');
    assert.equal(ok([{ path: 'payload.flag', op: 'equals', value: true }]), true);
    assert.equal(ok([{ path: 'payload.title', op: 'contains', value: 'bug' }]), true);
    assert.equal(ok([{ path: 'payload.tags', op: 'contains', value: 'bug' }]), true);
    assert.equal(ok([{ path: 'payload.tags', op: 'contains', value: 'bu' }]), false, 'a list holds whole elements');
    assert.equal(ok([{ path: 'payload.missing', op: 'equals', value: null }]), false);
    assert.equal(
      ok([
        { path: 'payload.action', op: 'equals', value: 'opened' },
        { path: 'payload.title', op: 'contains', value: 'feature' },
      ]),
      false,
      'all must hold',
    );
    assert.equal(ok([]), true);
  });
});
