// Glyph logic of the web app, without a DOM: the IX state machine, the Python template, the AX
// query and paging, the Pulse reducer, the API client's errors, formatting and the palette.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecutionDto, ScheduleDto } from '../src/protocol.js';
import { attestationQueryString, toHandlerInfo } from '../web/src/api/endpoints.js';
import { ApiError, createHttp, type FetchLike } from '../web/src/api/http.js';
import { attributesText, cursorOf, firstPage, nextPage, pageLoaded, previousPage, readAxData, splitValues, toRequest } from '../web/src/glyphs/ax/ax-model.js';
import { intervalSeconds, ixView, readIxData, toAtsCode, validateIx } from '../web/src/glyphs/ix/ix-model.js';
import { handlerNameProblem, handlerTemplate, pyTitle, readPyData } from '../web/src/glyphs/py/py-model.js';
import { errorLine, missingScriptType, parseDetails } from '../web/src/lib/details.js';
import { formatCountdown, formatDuration, formatInterval, sparklinePoints } from '../web/src/lib/format.js';
import { backoffDelay } from '../src/backoff.js';
import { emptyPulse, pulseReducer, recentDurations, scheduleList } from '../web/src/live/pulse-store.js';
import { filterPalette, moveHighlight } from '../web/src/ui/palette-model.js';

const schedule = (over: Partial<ScheduleDto> = {}): ScheduleDto => ({
  id: 'SC1',
  ats_code: 'ix webhook',
  handler_name: 'python.script',
  payload: {},
  interval_seconds: 2,
  state: 'active',
  next_run_at: 1000,
  last_run_at: null,
  last_execution_id: null,
  last_status: null,
  created_from: 'ix-1',
  created_at: 1,
  updated_at: 1,
  skipped_count: 0,
  last_skipped_at: null,
  last_success_at: null,
  consecutive_failures: 0,
  max_failures: 5,
  paused_reason: null,
  timeout_seconds: null,
  owner: null,
  cron: null,
  timezone: null,
  ...over,
});

const execution = (id: string, over: Partial<ExecutionDto> = {}): ExecutionDto => ({
  id,
  schedule_id: 'SC1',
  status: 'completed',
  started_at: 100,
  completed_at: 150,
  duration_ms: 50,
  error: null,
  error_details: [],
  stdout: '',
  stderr: '',
  stdout_truncated: false,
  stderr_truncated: false,
  attestations_created: 1,
  attestations_already_known: 0,
  async_job_id: null,
  handler_version: 1,
  trigger: 'schedule',
  due_at: null,
  ...over,
});

const noScript = { message: "no ingest script for type 'webhook'", details: ['script_type=webhook'], hint: "Create a handler for 'webhook'" };

describe('error details', () => {
  it('reads key=value details from errors, bodies and executions', () => {
    assert.deepEqual(parseDetails(['script_type=webhook', 'line=3', 'a=b=c', 'flag']), { script_type: 'webhook', line: '3', a: 'b=c', flag: '' });
    assert.equal(missingScriptType(new ApiError('x', 400, ['script_type=csv'])), 'csv');
    assert.equal(missingScriptType({ error_details: ['script_type=git'] }), 'git');
    assert.equal(missingScriptType({ details: [] }), undefined);
    assert.equal(errorLine({ details: ['line=12'] }), 12);
    assert.equal(errorLine({ details: ['line=zero'] }), undefined);
  });
});

describe('API client', () => {
  const fake = (status: number, body: string): FetchLike => async () => ({ ok: status < 400, status, statusText: 'X', text: async () => body });

  it('attaches details, hint and status of an error body to the Error it throws', async () => {
    const http = createHttp(fake(422, JSON.stringify({ error: noScript.message, details: noScript.details, hint: noScript.hint })));
    await assert.rejects(http.post('/api/pulse/schedules', {}), (err: unknown) => {
      assert.ok(err instanceof ApiError && err instanceof Error);
      assert.equal(err.message, noScript.message);
      assert.deepEqual(err.details, ['script_type=webhook']);
      assert.equal(err.hint, noScript.hint);
      assert.equal(err.status, 422);
      return true;
    });
  });

  it('turns a non-JSON failure and a network failure into ApiErrors too', async () => {
    await assert.rejects(createHttp(fake(502, 'Bad gateway')).get('/x'), (e: ApiError) => e.status === 502 && /Bad gateway/.test(e.message));
    const down: FetchLike = async () => {
      throw new TypeError('fetch failed');
    };
    await assert.rejects(createHttp(down).get('/x'), (e: ApiError) => e.status === 0 && e.details.includes('network=unreachable'));
  });

  it('sends JSON with a bearer token when one is set', async () => {
    let seen: Parameters<FetchLike>[1] | undefined;
    const http = createHttp(async (_u, init) => ((seen = init), { ok: true, status: 200, statusText: 'OK', text: async () => '{"a":1}' }), '', 'tok');
    assert.deepEqual(await http.put('/p', { b: 2 }), { a: 1 });
    assert.equal(seen!.headers.authorization, 'Bearer tok');
    assert.equal(seen!.body, '{"b":2}');
  });

  it('downloads a file with the same bearer header (no link carries a credential), errors as ApiErrors', async () => {
    const seen: Array<{ url: string; auth: string | undefined }> = [];
    const http = createHttp(async (url, init) => {
      seen.push({ url, auth: init.headers.authorization });
      if (url.includes('bad')) return { ok: false, status: 401, statusText: 'X', text: async () => '{"error":"missing or wrong access token","details":["header=Authorization"]}' };
      return { ok: true, status: 200, statusText: 'OK', text: async () => 'a\n', blob: async () => new Blob(['a\n']) };
    }, '', 'tok');
    assert.equal(await (await http.getBlob('/api/attestations/export?format=jsonl')).text(), 'a\n');
    await assert.rejects(http.getBlob('/bad'), (e: ApiError) => e.status === 401 && e.details.includes('header=Authorization'));
    assert.deepEqual(seen, [
      { url: '/api/attestations/export?format=jsonl', auth: 'Bearer tok' },
      { url: '/bad', auth: 'Bearer tok' },
    ]);
  });

  it('builds attestation queries and normalises handler versions newest first', () => {
    assert.equal(
      attestationQueryString({ subjects: ['a', 'b'], predicates: [], contexts: ['c d'], actors: [], limit: 25, cursor: 'CUR' }),
      'subjects=a%2Cb&contexts=c+d&limit=25&cursor=CUR',
    );
    const info = toHandlerInfo('webhook', {
      versions: [
        { id: 'AS1', attributes: { version: 1, code: 'one' }, timestamp: 5 },
        { id: 'AS2', version: 2, code: 'two', created_at: 9 },
      ],
    });
    assert.deepEqual(info.versions.map((v) => [v.version, v.code]), [[2, 'two'], [1, 'one']]);
    assert.equal(info.version, 2);
  });
});

describe('IX glyph', () => {
  it('turns what the user typed into an ats code and an interval', () => {
    assert.equal(toAtsCode('  webhook  '), 'ix webhook');
    assert.equal(toAtsCode('ix git ./repo'), 'ix git ./repo');
    assert.equal(toAtsCode('webhook "a  b"'), 'ix webhook "a  b"');
    assert.equal(intervalSeconds({ repeat: false, every: 5, unit: 'm' }), 0);
    assert.equal(intervalSeconds({ repeat: true, every: 2, unit: 's' }), 2);
    assert.equal(intervalSeconds({ repeat: true, every: 1.5, unit: 'h' }), 5400);
    assert.match(validateIx(readIxData({ command: '  ' }))!, /Type what to ingest/);
    assert.equal(validateIx(readIxData({ command: 'webhook' })), undefined);
    assert.deepEqual(readIxData({ unit: 'bogus', every: 'x' }), { command: '', repeat: false, every: 10, unit: 's', scheduleId: null, timeoutSeconds: null, cron: '', tz: '' });
    assert.equal(validateIx(readIxData({ command: 'webhook', timeoutSeconds: 600 })), undefined);
    assert.match(validateIx(readIxData({ command: 'webhook', timeoutSeconds: 0.5 }))!, /timeout must be a whole number/);
  });

  it('shows idle, running, then red with Create handler for a missing handler', () => {
    assert.equal(ixView({ phase: 'idle' }, undefined, undefined).tone, 'idle');
    assert.equal(ixView({ phase: 'submitting' }, undefined, undefined).tone, 'running');
    const v = ixView({ phase: 'failed', error: noScript }, undefined, undefined);
    assert.deepEqual([v.tone, v.label, v.message, v.scriptType, v.hint], ['error', 'Error', noScript.message, 'webhook', noScript.hint]);
  });

  it('follows the schedule: waiting (blue), running (blue), success (green), failure (red)', () => {
    const s = schedule();
    assert.equal(ixView({ phase: 'scheduled' }, s, []).tone, 'running');
    assert.equal(ixView({ phase: 'scheduled' }, s, [execution('E1', { status: 'running' })]).tone, 'running');
    const ok = ixView({ phase: 'scheduled' }, s, [execution('E1', { attestations_created: 2, duration_ms: 40 })]);
    assert.equal(ok.tone, 'success');
    assert.match(ok.message, /40 ms: 2 attestations · runs every 2 s/);
    const bad = ixView({ phase: 'scheduled' }, s, [execution('E2', { status: 'failed', error: 'boom', error_details: ['script_type=csv'] })]);
    assert.deepEqual([bad.tone, bad.message, bad.scriptType], ['error', 'boom', 'csv']);
    assert.equal(ixView({ phase: 'scheduled' }, schedule({ state: 'paused' }), []).tone, 'idle');
  });

  it('reads a schedule whose first run is hours away as scheduled, not running', () => {
    const now = Date.UTC(2026, 0, 5, 21, 0);
    const cron = schedule({ interval_seconds: 0, cron: '0 9 * * 1-5', next_run_at: now + 12 * 3600_000 });
    const v = ixView({ phase: 'scheduled' }, cron, [], now);
    assert.deepEqual([v.tone, v.label], ['idle', 'Scheduled']);
    assert.match(v.message, /first run is at 2026-01-06/);
    assert.equal(ixView({ phase: 'scheduled' }, schedule({ next_run_at: now + 1000 }), [], now).tone, 'running');
  });

  it('tells a handler that raised from a missing one: its first line and a link to it, no Create handler', () => {
    const s = schedule();
    const raised = execution('E3', {
      status: 'failed',
      error: 'upstream returned 503',
      error_details: ['exception=ValueError', 'line=4', 'script_type=webhook', 'handler_version=2'],
    });
    const v = ixView({ phase: 'scheduled' }, s, [raised]);
    assert.equal(v.tone, 'error');
    assert.equal(v.scriptType, undefined);
    assert.equal(v.message, 'The handler failed: ValueError: upstream returned 503');
    assert.deepEqual(v.failedHandler, { type: 'webhook', line: 4 });
    assert.equal(v.hint, 'at line 4 of webhook');
    assert.equal(missingScriptType({ error_details: ['script_type=webhook', 'handler_version=2'] }), undefined);
  });
});

describe('Python glyph', () => {
  it('opens a handler template naming the handler namespace, with attest() using ix.args and ix.state', () => {
    const t = handlerTemplate('webhook');
    for (const name of ['attest(subjects, predicates, contexts', 'ix.script_type', 'ix.args', 'ix.last_run', 'ix.state', 'progress(current, total)', 'ix.input', 'ix.headers', 'ix.secrets["API_TOKEN"]']) {
      assert.ok(t.includes(name), name);
    }
    assert.match(t, /^attest\(/m);
    assert.match(t, /ix\.args\[0\] if ix\.args/);
    assert.match(t, /ix\.state\["runs"\] = runs/);
    assert.ok(t.split('\n').filter((l) => l && !l.startsWith('#')).length >= 6, 'has code, not only comments');
  });

  it('is titled after the handler it edits and checks handler names', () => {
    assert.equal(pyTitle(readPyData({ handlerFor: 'webhook' })), 'handler: webhook');
    assert.equal(pyTitle(readPyData({})), 'py: print("hello from qntx")');
    assert.equal(pyTitle(readPyData({ code: '# only a comment\n\n' })), 'Python');
    assert.equal(pyTitle(readPyData({ code: `x = "${'a'.repeat(60)}"` })).length, 44);
    assert.equal(handlerNameProblem('web-hook_2'), undefined);
    assert.match(handlerNameProblem('')!, /Type a name/);
    assert.match(handlerNameProblem('Web Hook')!, /lowercase/);
    assert.ok(handlerNameProblem('x'.repeat(65)));
  });
});

describe('AX glyph', () => {
  it('splits comma lists; a glyph saved with the old fields becomes the same query', () => {
    assert.deepEqual(splitValues(' alice, ,bob '), ['alice', 'bob']);
    assert.deepEqual(toRequest(readAxData({ subjects: 'a', contexts: 'x, y z', pageSize: 10 }), 'C', false), {
      query: 'a of x "y z"',
      limit: 10,
      cursor: 'C',
      all: false,
      actions: false,
      exclude_system: true,
    });
    // System attestations are hidden unless the glyph shows them.
    assert.equal(toRequest(readAxData({ showSystem: true }), null, false).exclude_system, undefined);
  });

  it('shows attributes as short key: value text', () => {
    assert.equal(attributesText({ run: 3, source: 'hook', tags: ['a'] }), 'run: 3, source: hook, tags: ["a"]');
    assert.equal(attributesText({}), '');
    assert.equal(attributesText({ s: 'x'.repeat(300) }, 20).length, 20);
  });

  it('pages forward with next cursors and back without asking the server for one', () => {
    let p = pageLoaded(firstPage, 'c1');
    p = nextPage(p)!;
    assert.equal(cursorOf(p), 'c1');
    p = nextPage(pageLoaded(p, 'c2'))!;
    assert.deepEqual([p.page, cursorOf(p)], [2, 'c2']);
    p = previousPage(p)!;
    assert.deepEqual([p.page, cursorOf(p)], [1, 'c1']);
    assert.equal(nextPage(pageLoaded(p, null)), undefined);
    assert.equal(previousPage(firstPage), undefined);
  });
});

describe('Pulse store', () => {
  it('follows executions live from WebSocket events', () => {
    let s = pulseReducer(emptyPulse, { type: 'schedulesLoaded', schedules: [schedule()] });
    s = pulseReducer(s, { type: 'event', event: { type: 'pulse_execution_started', execution_id: 'E1', schedule_id: 'SC1', async_job_id: 'J1', started_at: 500 } });
    assert.equal(s.executions.SC1![0]!.status, 'running');
    assert.equal(s.schedules.SC1!.last_status, 'running');
    s = pulseReducer(s, {
      type: 'event',
      event: { type: 'pulse_execution_completed', execution_id: 'E1', schedule_id: 'SC1', duration_ms: 30, attestations_created: 2 },
    });
    s = pulseReducer(s, { type: 'event', event: { type: 'pulse_execution_started', execution_id: 'E2', schedule_id: 'SC1', async_job_id: null, started_at: 700 } });
    s = pulseReducer(s, {
      type: 'event',
      event: { type: 'pulse_execution_failed', execution_id: 'E2', schedule_id: 'SC1', error: 'no ingest script', error_details: ['script_type=x'], duration_ms: 5, attestations_created: 0 },
    });
    assert.deepEqual(s.executions.SC1!.map((x) => [x.id, x.status, x.duration_ms]), [['E2', 'failed', 5], ['E1', 'completed', 30]]);
    assert.deepEqual(s.executions.SC1![0]!.error_details, ['script_type=x']);
    assert.equal(s.schedules.SC1!.last_status, 'failed');
    assert.deepEqual(recentDurations(s, 'SC1'), [30, 5]);
  });

  it('keeps HTTP output when a later event lacks it, and never regresses a finished run', () => {
    let s = pulseReducer(emptyPulse, { type: 'executionsLoaded', scheduleId: 'SC1', executions: [execution('E1', { stdout: 'hello' })] });
    s = pulseReducer(s, { type: 'event', event: { type: 'pulse_execution_started', execution_id: 'E1', schedule_id: 'SC1', async_job_id: null, started_at: 100 } });
    assert.equal(s.executions.SC1![0]!.status, 'completed');
    s = pulseReducer(s, { type: 'event', event: { type: 'pulse_execution_completed', execution_id: 'E1', schedule_id: 'SC1', duration_ms: 50, attestations_created: 1 } });
    assert.equal(s.executions.SC1![0]!.stdout, 'hello');
  });

  it('applies schedule updates and deletions, newest schedule first', () => {
    let s = pulseReducer(emptyPulse, { type: 'schedulesLoaded', schedules: [schedule(), schedule({ id: 'SC2', created_at: 5 })] });
    assert.deepEqual(scheduleList(s).map((x) => x.id), ['SC2', 'SC1']);
    s = pulseReducer(s, { type: 'event', event: { type: 'schedule_update', schedule_id: 'SC1', schedule: schedule({ state: 'paused' }) } });
    assert.equal(s.schedules.SC1!.state, 'paused');
    s = pulseReducer(s, { type: 'event', event: { type: 'schedule_update', schedule_id: 'SC2', schedule: null, deleted: true } });
    assert.deepEqual(Object.keys(s.schedules), ['SC1']);
  });
});

describe('formatting, backoff and the palette', () => {
  it('formats durations, intervals and countdowns for people', () => {
    assert.equal(formatDuration(42), '42 ms');
    assert.equal(formatDuration(1530), '1.53 s');
    assert.equal(formatDuration(125_000), '2 min 5 s');
    assert.equal(formatInterval(0), 'once');
    assert.equal(formatInterval(2), 'every 2 s');
    assert.equal(formatInterval(5400), 'every 1 h 30 min');
    assert.equal(formatCountdown(10_500, 10_000), 'in 1 s');
    assert.equal(formatCountdown(9_000, 10_000), 'due now');
    assert.equal(formatCountdown(10_000 + 125_000, 10_000), 'in 2 min 05 s');
    assert.equal(sparklinePoints([1, 3], 10, 10, 0), '0,10 10,0');
  });

  it('backs off exponentially with jitter, capped', () => {
    const reconnect = { baseMs: 500, maxMs: 15_000, jitter: 0.5 };
    assert.equal(backoffDelay(1, reconnect, () => 0), 250);
    assert.equal(backoffDelay(1, reconnect, () => 1), 500);
    assert.equal(backoffDelay(4, reconnect, () => 1), 4000);
    assert.equal(backoffDelay(51, reconnect, () => 1), 15_000);
    assert.equal(backoffDelay(3, { ...reconnect, jitter: 1 }, () => 0), 0, 'full jitter reaches 0');
  });

  it('filters commands by word prefixes and wraps the highlight', () => {
    const items = [
      { id: 'ix', label: 'New IX glyph', description: 'Ingest' },
      { id: 'py', label: 'New Python glyph' },
      { id: 'fit', label: 'Fit all glyphs in view' },
    ];
    assert.deepEqual(filterPalette(items, 'py').map((i) => i.id), ['py']);
    assert.deepEqual(filterPalette(items, 'new gly').map((i) => i.id), ['ix', 'py']);
    assert.equal(filterPalette(items, '').length, 3);
    assert.equal(moveHighlight(0, -1, 3), 2);
    assert.equal(moveHighlight(2, 1, 3), 0);
  });
});

describe('live socket URL', () => {
  it('follows the page, with no credential in it (a single-use ticket rides in a subprotocol)', async () => {
    const { ticketProtocols, wsUrl } = await import('../web/src/live/socket.js');
    assert.equal(wsUrl({ protocol: 'http:', host: '127.0.0.1:8770' }), 'ws://127.0.0.1:8770/ws');
    assert.equal(wsUrl({ protocol: 'https:', host: 'q.example' }), 'wss://q.example/ws');
    assert.deepEqual(ticketProtocols('T1_x-y'), ['qntx', 'qntx-ticket.T1_x-y']);
  });
});

describe('page bootstrap: the URL token goes to web storage, never a cookie', () => {
  const memoryStorage = () => {
    const m = new Map<string, string>();
    return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };

  it('stores ?token= for the origin and takes it out of the address bar, sending nothing', async () => {
    const { takeToken, TOKEN_KEY } = await import('../web/src/api/session.js');
    const storage = memoryStorage();
    const replaced: string[] = [];
    const token = takeToken({ location: { pathname: '/', search: '?token=abc_DEF-123&x=1', hash: '#g1' }, replaceUrl: (u) => replaced.push(u), storage });
    assert.equal(token, 'abc_DEF-123');
    assert.deepEqual([...storage.m], [[TOKEN_KEY, 'abc_DEF-123']]);
    assert.deepEqual(replaced, ['/?x=1#g1']);
  });

  it('a second tab without ?token= uses the stored one; a new ?token= replaces it', async () => {
    const { takeToken } = await import('../web/src/api/session.js');
    const storage = memoryStorage();
    const replaced: string[] = [];
    const env = (search: string) => ({ location: { pathname: '/', search, hash: '' }, replaceUrl: (u: string) => replaced.push(u), storage });
    assert.equal(takeToken(env('')), undefined, 'nothing stored yet');
    takeToken(env('?token=first'));
    assert.equal(takeToken(env('')), 'first');
    assert.equal(takeToken(env('?token=second')), 'second');
    assert.equal(takeToken(env('')), 'second');
    assert.deepEqual(replaced, ['/', '/']);
  });

  it('without storage (refused by the browser) the URL token serves this page only', async () => {
    const { takeToken } = await import('../web/src/api/session.js');
    const throwing = {
      getItem: (): string | null => {
        throw new Error('SecurityError');
      },
      setItem: (): void => {
        throw new Error('QuotaExceededError');
      },
    };
    const replaced: string[] = [];
    assert.equal(takeToken({ location: { pathname: '/', search: '?token=t', hash: '' }, replaceUrl: (u) => replaced.push(u), storage: throwing }), 't');
    assert.equal(takeToken({ location: { pathname: '/', search: '', hash: '' }, replaceUrl: (u) => replaced.push(u), storage: throwing }), undefined);
    assert.equal(takeToken({ location: { pathname: '/', search: '', hash: '' }, replaceUrl: (u) => replaced.push(u), storage: undefined }), undefined);
    assert.deepEqual(replaced, ['/']);
  });
});
