// The canvas logic without a browser: where glyphs may be (free area, fit, pushing apart),
// which edges relate them, unique palette labels, Try's inputs, unsaved code, removed handlers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toHandlerInfo } from '../web/src/api/endpoints.js';
import { edgeSides, glyphEdges } from '../web/src/canvas/edges.js';
import { fitViewport, freeArea, overlaps, pushApart } from '../web/src/canvas/layout.js';
import { applyCommand, emptyCanvas, type GlyphRecord } from '../web/src/canvas/state.js';
import { isUnsaved, parseTryInputs, readPyData } from '../web/src/glyphs/py/py-model.js';
import { uniqueLabels } from '../web/src/ui/palette-model.js';
import type { ScheduleDto } from '../src/protocol.js';

const g = (id: string, kind: string, x: number, y: number, width = 400, height = 300, data: Record<string, unknown> = {}): GlyphRecord => ({ id, kind, x, y, width, height, data });

describe('canvas layout', () => {
  it('fits every glyph inside the area the chrome leaves free', () => {
    const area = freeArea(1440, 900);
    assert.deepEqual(area, { left: 16, top: 64, right: 1424, bottom: 760 });
    const boxes = [g('a', 'ix', 0, 0), g('b', 'py', 3000, 2000)];
    const v = fitViewport(boxes, area)!;
    for (const b of boxes) {
      const x0 = b.x * v.zoom + v.x;
      const y0 = b.y * v.zoom + v.y;
      assert.ok(x0 >= area.left - 0.01 && y0 >= area.top - 0.01, `${b.id} starts inside`);
      assert.ok(x0 + b.width * v.zoom <= area.right + 0.01 && y0 + b.height * v.zoom <= area.bottom + 0.01, `${b.id} ends inside`);
    }
    assert.equal(fitViewport([], area), null);
    assert.equal(fitViewport([g('a', 'ix', 0, 0)], area)!.zoom, 1, 'never zoomed in past 1');
  });

  it('pushes neighbours out of the way, in cascade, and leaves no overlap', () => {
    const glyphs = [g('a', 'ix', 0, 0, 800, 600), g('b', 'py', 420, 0), g('c', 'ax', 850, 0), g('d', 'pulse', 0, 320)];
    const moved = pushApart(glyphs, 'a');
    assert.ok(!moved.has('a'), 'the grown glyph keeps its place');
    const after = glyphs.map((x) => ({ ...x, ...(moved.get(x.id) ?? {}) }));
    for (const p of after) for (const q of after) if (p.id < q.id) assert.ok(!overlaps(p, q), `${p.id} and ${q.id} overlap`);
  });

  it('makes room when a glyph is resized over another or spawned on top of one', () => {
    let s = applyCommand(emptyCanvas, { type: 'load', glyphs: [g('a', 'ix', 0, 0), g('b', 'py', 440, 0)] });
    s = applyCommand(s, { type: 'resize', id: 'a', x: 0, y: 0, width: 700, height: 300 });
    assert.ok(!overlaps(s.glyphs[0]!, s.glyphs[1]!), 'the neighbour moved');
    assert.equal(s.glyphs[0]!.width, 700);
    s = applyCommand(s, { type: 'spawn', glyph: g('c', 'ax', 10, 10) });
    for (const p of s.glyphs) for (const q of s.glyphs) if (p.id < q.id) assert.ok(!overlaps(p, q), `${p.id}/${q.id}`);
  });
});

describe('edges', () => {
  it('link IX → its handler → Pulse → an AX glyph reading what the handler attests', () => {
    const schedule = { id: 'SC1', ats_code: 'ix hook a' } as ScheduleDto;
    const glyphs = [
      g('ix1', 'ix', 0, 0, 400, 300, { command: 'hook a', scheduleId: 'SC1' }),
      g('py1', 'py', 500, 0, 400, 300, { handlerFor: 'hook', code: 'attest(subjects=[f"evt-{n}"], predicates=["seen"], contexts=["dock"])' }),
      g('pu1', 'pulse', 1000, 0),
      g('ax1', 'ax', 1500, 0, 400, 300, { query: 'of dock' }),
      g('ax2', 'ax', 1500, 400, 400, 300, { query: 'of elsewhere' }),
    ];
    const edges = glyphEdges(glyphs, { SC1: schedule });
    assert.deepEqual(edges.map((e) => `${e.source}>${e.target}:${e.relation}`), ['ix1>py1:handler', 'py1>pu1:schedule', 'pu1>ax1:output']);
    assert.deepEqual(glyphEdges(glyphs, {}).map((e) => `${e.source}>${e.target}`), ['ix1>py1', 'py1>ax1'], 'before a schedule: straight to AX');
    assert.deepEqual(edgeSides(glyphs[0]!, glyphs[1]!), { source: 'right', target: 'left' });
    assert.deepEqual(edgeSides(glyphs[1]!, glyphs[0]!), { source: 'left', target: 'right' });
    assert.deepEqual(edgeSides(glyphs[3]!, glyphs[4]!), { source: 'bottom', target: 'top' });
  });
});

describe('palette, Try and versions', () => {
  it('never lists two entries with one label', () => {
    const out = uniqueLabels([{ id: '1', label: 'Go to Pulse' }, { id: '2', label: 'Go to Pulse' }, { id: '3', label: 'Fit' }]);
    assert.deepEqual(out.map((x) => x.label), ['Go to Pulse', 'Go to Pulse (2)', 'Fit']);
  });

  it('reads Try args as words and state as a JSON object', () => {
    assert.deepEqual(parseTryInputs(`./repo "a b" 'c'`, '{"n": 1}'), { args: ['./repo', 'a b', 'c'], state: { n: 1 } });
    assert.match(parseTryInputs('', '[1]').problem!, /JSON object/);
    assert.match(parseTryInputs('', '{').problem!, /not JSON/);
    assert.deepEqual(parseTryInputs('', '').state, {});
  });

  it('marks a handler glyph unsaved until its code is what was saved', () => {
    assert.equal(isUnsaved(readPyData({ code: 'x', handlerFor: 'h' })), true);
    assert.equal(isUnsaved(readPyData({ code: 'x', handlerFor: 'h', savedCode: 'x' })), false);
    assert.equal(isUnsaved(readPyData({ code: 'x' })), false, 'a plain Python glyph is never "unsaved"');
  });

  it('has no current version while the handler is removed', () => {
    const info = toHandlerInfo('h', {
      current: null,
      versions: [{ id: 'A', version: 1, code: 'one', created_at: 5, actor: 'cli' }],
      removed: { at: 9, actor: 'cli', version: 1 },
    });
    assert.equal(info.version, null);
    assert.deepEqual(info.removed, { at: 9, actor: 'cli', version: 1 });
    assert.equal(info.versions[0]!.actor, 'cli');
    assert.equal(toHandlerInfo('h', { current: { version: 2 }, versions: [{ version: 2 }, { version: 1 }], removed: null }).version, 2);
  });
});
