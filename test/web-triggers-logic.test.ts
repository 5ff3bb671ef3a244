// The IX glyph's cron timing without a DOM: a cron expression replaces the interval in
// the schedule a Run makes, and schedules say how they repeat.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hookUrl } from '../web/src/api/triggers.js';
import { readIxData, recurring, scheduleTiming, timingText } from '../web/src/glyphs/ix/ix-model.js';

describe('IX glyph cron timing', () => {
  it('sends the cron expression and zone instead of the interval when one is given', () => {
    assert.deepEqual(scheduleTiming(readIxData({ command: 'x', repeat: true, every: 5, unit: 'm' })), { interval_seconds: 300 });
    assert.deepEqual(scheduleTiming(readIxData({ command: 'x', repeat: true, every: 5, unit: 'm', cron: ' 0 9 * * 1-5 ', tz: 'Europe/Berlin' })), {
      cron: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
    });
    assert.deepEqual(scheduleTiming(readIxData({ command: 'x', cron: '*/5 * * * *', tz: '  ' })), { cron: '*/5 * * * *' });
    assert.deepEqual(scheduleTiming(readIxData({ command: 'x', cron: '   ' })), { interval_seconds: 0 });
  });

  it('says how a schedule repeats', () => {
    assert.equal(timingText({ interval_seconds: 0, cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }), 'cron 0 9 * * 1-5 (Europe/Berlin)');
    assert.equal(timingText({ interval_seconds: 0, cron: '* * * * *', timezone: null }), 'cron * * * * *');
    assert.equal(recurring({ interval_seconds: 0, cron: '* * * * *' }), true);
    assert.equal(recurring({ interval_seconds: 0, cron: null }), false);
    assert.equal(recurring({ interval_seconds: 60, cron: null }), true);
  });

  it('builds a hook URL from the page origin and the path', () => {
    assert.equal(hookUrl('http://127.0.0.1:8770/', '/hooks/gh/abc'), 'http://127.0.0.1:8770/hooks/gh/abc');
  });
});
