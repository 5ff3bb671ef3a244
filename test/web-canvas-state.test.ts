// Canvas state of the web app: named commands over plain data, and the debounced persister.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CanvasPersister, type PersisterApi, type SaveStatus } from '../web/src/canvas/persister.js';
import { applyCommand, emptyCanvas, spawnPosition, type CanvasCommand, type CanvasState, type GlyphRecord } from '../web/src/canvas/state.js';
import { GLYPH_KINDS, KIND_ORDER } from '../web/src/glyphs/kinds.js';

const g = (id: string, over: Partial<GlyphRecord> = {}): GlyphRecord => ({ id, kind: 'ix', x: 0, y: 0, width: 400, height: 300, data: {}, ...over });
const run = (cmds: CanvasCommand[], from: CanvasState = emptyCanvas) => cmds.reduce(applyCommand, from);

describe('canvas commands', () => {
  it('loads, spawns, moves, resizes and closes glyphs, bumping the version each time', () => {
    const s = run([
      { type: 'load', glyphs: [g('a')] },
      { type: 'spawn', glyph: g('b', { kind: 'py' }) },
      { type: 'move', id: 'a', x: 10, y: 20 },
      { type: 'resize', id: 'b', x: 5, y: 6, width: 500, height: 350 },
      { type: 'close', id: 'a' },
    ]);
    assert.equal(s.version, 5);
    assert.equal(s.loaded, true);
    assert.deepEqual(s.glyphs, [g('b', { kind: 'py', x: 5, y: 6, width: 500, height: 350 })]);
    // b grew over a (at 10,20): a moved below it, 24 px clear (a resize never overlaps).
    assert.deepEqual(s.closed.map((x) => [x.id, x.x, x.y]), [['a', 10, 6 + 350 + 24]]);
  });

  it('returns the same state for a command that changes nothing', () => {
    const s = run([{ type: 'load', glyphs: [g('a', { data: { command: 'webhook' } })] }]);
    assert.equal(applyCommand(s, { type: 'move', id: 'a', x: 0, y: 0 }), s);
    assert.equal(applyCommand(s, { type: 'move', id: 'nope', x: 1, y: 1 }), s);
    assert.equal(applyCommand(s, { type: 'updateData', id: 'a', patch: { command: 'webhook' } }), s);
    assert.equal(applyCommand(s, { type: 'spawn', glyph: g('a') }), s);
    assert.equal(applyCommand(s, { type: 'close', id: 'nope' }), s);
  });

  it('merges data patches and keeps other glyphs untouched (same objects)', () => {
    const s0 = run([{ type: 'load', glyphs: [g('a', { data: { command: 'x', repeat: true } }), g('b')] }]);
    const s1 = applyCommand(s0, { type: 'updateData', id: 'a', patch: { command: 'webhook' } });
    assert.deepEqual(s1.glyphs[0]!.data, { command: 'webhook', repeat: true });
    assert.equal(s1.glyphs[1], s0.glyphs[1]);
    assert.notEqual(s1.glyphs[0], s0.glyphs[0]);
  });

  it('rounds positions and keeps sizes above the minimum', () => {
    assert.deepEqual(
      run([{ type: 'load', glyphs: [g('a')] }, { type: 'move', id: 'a', x: 107.38, y: 411.016 }]).glyphs.map((x) => [x.x, x.y]),
      [[107, 411]],
    );
    const s = run([
      { type: 'load', glyphs: [g('a')] },
      { type: 'resize', id: 'a', x: 1.4, y: 2.6, width: 10, height: 10 },
    ]);
    assert.deepEqual([s.glyphs[0]!.x, s.glyphs[0]!.y, s.glyphs[0]!.width, s.glyphs[0]!.height], [1, 3, 220, 120]);
  });

  it('brings a glyph to the front and reopens the last closed one', () => {
    let s = run([{ type: 'load', glyphs: [g('a'), g('b'), g('c')] }, { type: 'bringToFront', id: 'a' }]);
    assert.deepEqual(s.glyphs.map((x) => x.id), ['b', 'c', 'a']);
    s = run([{ type: 'close', id: 'c' }, { type: 'reopenLastClosed' }], s);
    assert.deepEqual(s.glyphs.map((x) => x.id), ['b', 'a', 'c']);
    assert.equal(s.closed.length, 0);
    assert.equal(applyCommand(s, { type: 'reopenLastClosed' }), s);
  });

  it('spawns new glyphs where they overlap nothing', () => {
    const size = { width: 400, height: 300 };
    let s = run([{ type: 'load', glyphs: [] }]);
    for (let i = 0; i < 6; i++) {
      const pos = spawnPosition(s, { x: 0, y: 0 }, size);
      s = applyCommand(s, { type: 'spawn', glyph: g(`g${i}`, { ...pos, ...size }) });
    }
    const overlaps = (a: GlyphRecord, b: GlyphRecord) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    for (const a of s.glyphs) for (const b of s.glyphs) if (a !== b) assert.equal(overlaps(a, b), false, `${a.id} overlaps ${b.id}`);
    assert.deepEqual([s.glyphs[0]!.x, s.glyphs[0]!.y], [-200, -150]);
  });

  it('grows one compact cluster when the view is full, though the view follows each new glyph', () => {
    // As the canvas does: a 1408 × 696 view at zoom 1, centred on the last glyph after each spawn.
    const size = { width: 560, height: 450 };
    let s = run([{ type: 'load', glyphs: [] }]);
    let center = { x: 0, y: 0 };
    for (let i = 0; i < 20; i++) {
      const view = { x: center.x - 704, y: center.y - 348, width: 1408, height: 696 };
      const pos = spawnPosition(s, center, size, view);
      s = applyCommand(s, { type: 'spawn', glyph: g(`g${i}`, { ...pos, ...size }) });
      center = { x: pos.x + size.width / 2, y: pos.y + size.height / 2 };
    }
    const overlaps = (a: GlyphRecord, b: GlyphRecord) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
    for (const a of s.glyphs) for (const b of s.glyphs) if (a !== b) assert.equal(overlaps(a, b), false, `${a.id} overlaps ${b.id}`);
    const w = Math.max(...s.glyphs.map((x) => x.x + x.width)) - Math.min(...s.glyphs.map((x) => x.x));
    const h = Math.max(...s.glyphs.map((x) => x.y + x.height)) - Math.min(...s.glyphs.map((x) => x.y));
    // Twenty glyphs of 560 × 450 take about 5 M px²: a cluster of about 3,000 × 2,000, never a staircase.
    assert.ok(w <= 4400 && h <= 3200, `the 20 glyphs span ${w} × ${h} px`);
  });

  it('declares every kind with default data and a size above its minimum', () => {
    for (const k of KIND_ORDER) {
      const info = GLYPH_KINDS[k];
      assert.equal(info.kind, k);
      assert.ok(info.defaultSize.width >= info.minSize.width && info.defaultSize.height >= info.minSize.height);
      assert.notEqual(info.defaultData(), info.defaultData(), 'fresh data per glyph');
    }
  });
});

/** A fake canvas API with a manual timer and a server-side version per glyph. */
function harness(opts: { conflictOnce?: string; failPut?: boolean } = {}) {
  const server = new Map<string, { version: number; body: unknown }>();
  const calls: string[] = [];
  let timer: (() => void) | undefined;
  const statuses: SaveStatus[] = [];
  let conflictPending = opts.conflictOnce;
  const api: PersisterApi = {
    async put(id, body) {
      calls.push(`PUT ${id} v${body.version}`);
      if (opts.failPut) throw Object.assign(new Error('boom'), { status: 500 });
      const cur = server.get(id);
      if (conflictPending === id) {
        conflictPending = undefined;
        server.set(id, { version: (cur?.version ?? 0) + 5, body: 'theirs' });
        throw Object.assign(new Error('conflict'), { status: 409 });
      }
      if ((cur?.version ?? 0) !== body.version) throw Object.assign(new Error('conflict'), { status: 409 });
      const version = (cur?.version ?? 0) + 1;
      server.set(id, { version, body });
      return { version };
    },
    async remove(id) {
      calls.push(`DELETE ${id}`);
      if (!server.delete(id)) throw Object.assign(new Error('gone'), { status: 404 });
    },
    async get(id) {
      calls.push(`GET ${id}`);
      const cur = server.get(id);
      if (!cur) throw Object.assign(new Error('gone'), { status: 404 });
      return { version: cur.version };
    },
  };
  const p = new CanvasPersister({
    api,
    delayMs: 100,
    setTimer: (fn) => ((timer = fn), 1),
    clearTimer: () => (timer = undefined),
    onStatus: (s) => statuses.push(s),
  });
  const fire = async () => {
    const t = timer;
    timer = undefined;
    t?.();
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  };
  return { p, server, calls, statuses, fire, pending: () => timer !== undefined };
}

describe('canvas persister', () => {
  it('does not save what it loaded, and saves a change once, debounced', async () => {
    const h = harness();
    h.server.set('a', { version: 3, body: null });
    let s = run([{ type: 'load', glyphs: [g('a')] }]);
    h.p.baseline([{ ...g('a'), version: 3 }]);
    h.p.update(s);
    assert.equal(h.pending(), false);
    s = applyCommand(s, { type: 'move', id: 'a', x: 1, y: 1 });
    h.p.update(s);
    s = applyCommand(s, { type: 'move', id: 'a', x: 2, y: 2 });
    h.p.update(s);
    await h.fire();
    assert.deepEqual(h.calls, ['PUT a v3']);
    assert.equal(h.server.get('a')!.version, 4);
    assert.equal(h.statuses.at(-1), 'saved');
  });

  it('creates new glyphs with version 0 and deletes closed ones', async () => {
    const h = harness();
    let s = run([{ type: 'load', glyphs: [] }, { type: 'spawn', glyph: g('n') }]);
    h.p.update(s);
    await h.fire();
    s = applyCommand(s, { type: 'close', id: 'n' });
    h.p.update(s);
    await h.fire();
    assert.deepEqual(h.calls, ['PUT n v0', 'DELETE n']);
    assert.equal(h.p.isDirty(), false);
  });

  it('never saves before the canvas was loaded (it would overwrite the server)', async () => {
    const h = harness();
    h.p.update(applyCommand(emptyCanvas, { type: 'spawn', glyph: g('x') }));
    await h.fire();
    assert.deepEqual(h.calls, []);
  });

  it('after a 409 adopts the server version and writes its own state over it', async () => {
    const h = harness({ conflictOnce: 'a' });
    h.server.set('a', { version: 1, body: null });
    h.p.baseline([{ ...g('a'), version: 1 }]);
    const s = run([{ type: 'load', glyphs: [g('a')] }, { type: 'move', id: 'a', x: 9, y: 9 }]);
    h.p.update(s);
    await h.fire();
    assert.deepEqual(h.calls, ['PUT a v1', 'GET a', 'PUT a v6']);
    assert.equal(h.server.get('a')!.version, 7);
  });

  it('reports a failed save, retries by itself and on the next change', async () => {
    const h = harness({ failPut: true });
    let s = run([{ type: 'load', glyphs: [] }, { type: 'spawn', glyph: g('f') }]);
    h.p.update(s);
    await h.fire();
    assert.equal(h.statuses.at(-1), 'error');
    assert.equal(h.pending(), true, 'a retry is scheduled');
    await h.fire();
    assert.deepEqual(h.calls, ['PUT f v0', 'PUT f v0']);
    s = applyCommand(s, { type: 'move', id: 'f', x: 1, y: 1 });
    h.p.update(s);
    assert.equal(h.pending(), true);
  });
});
