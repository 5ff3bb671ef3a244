// How glyphs relate, drawn as edges: an IX glyph → the Python glyph of its handler → its schedule
// in the Pulse panel → AX glyphs whose query asks for what that handler attests (a value of the
// query is a string literal of the handler's code). Derived from canvas and Pulse state only.
import type { ScheduleDto } from '../../../src/protocol.js';
import { axClauses } from '../glyphs/ax/ax-syntax.js';
import { readAxData } from '../glyphs/ax/ax-model.js';
import { readIxData, toAtsCode } from '../glyphs/ix/ix-model.js';
import { readPyData } from '../glyphs/py/py-model.js';
import type { GlyphRecord } from './state.js';

export interface GlyphEdge {
  id: string;
  source: string;
  target: string;
  /** handler, schedule or output */
  relation: 'handler' | 'schedule' | 'output';
  label: string;
}

/** The words of the string literals in Python code: "x", 'y', f"z-{i}" gives z-. */
function literals(code: string): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(/[rbf]?("([^"\\\n]|\\.)*"|'([^'\\\n]|\\.)*')/g)) {
    const body = m[1]!.slice(1, -1);
    out.add(body);
    const head = body.split('{')[0];
    if (head) out.add(head);
  }
  return out;
}

function mentions(code: Set<string>, value: string): boolean {
  if (code.has(value)) return true;
  for (const lit of code) if (lit.length >= 3 && value.startsWith(lit) && lit.endsWith('-')) return true;
  return false;
}

export function glyphEdges(glyphs: readonly GlyphRecord[], schedules: Readonly<Record<string, ScheduleDto>>): GlyphEdge[] {
  const edges: GlyphEdge[] = [];
  const pulse = glyphs.find((g) => g.kind === 'pulse');
  const pys = glyphs.filter((g) => g.kind === 'py');
  const axs = glyphs.filter((g) => g.kind === 'ax');
  for (const ix of glyphs.filter((g) => g.kind === 'ix')) {
    const d = readIxData(ix.data);
    const type = toAtsCode(d.command).split(/\s+/)[1];
    if (!type) continue;
    const py = pys.find((p) => readPyData(p.data).handlerFor === type);
    if (py) edges.push({ id: `e-${ix.id}-${py.id}`, source: ix.id, target: py.id, relation: 'handler', label: `ix ${type} runs this handler` });
    const schedule = d.scheduleId ? schedules[d.scheduleId] : undefined;
    const from = py ?? ix;
    if (schedule && pulse) edges.push({ id: `e-${from.id}-${pulse.id}`, source: from.id, target: pulse.id, relation: 'schedule', label: `${schedule.ats_code} is scheduled in Pulse` });
    if (!py) continue;
    const code = literals(readPyData(py.data).code);
    for (const ax of axs) {
      const c = axClauses(readAxData(ax.data).query);
      const values = [...c.subjects, ...c.predicates, ...c.contexts];
      if (!values.length || !values.some((v) => mentions(code, v))) continue;
      const src = schedule && pulse ? pulse : py;
      const id = `e-${src.id}-${ax.id}`;
      if (!edges.some((e) => e.id === id)) edges.push({ id, source: src.id, target: ax.id, relation: 'output', label: `the query finds what handler ${type} attests` });
    }
  }
  return edges;
}

type Side = 'left' | 'right' | 'top' | 'bottom';

/** The sides an edge leaves and enters by, so it takes the short way between the two glyphs. */
export function edgeSides(a: GlyphRecord, b: GlyphRecord): { source: Side; target: Side } {
  if (b.x >= a.x + a.width) return { source: 'right', target: 'left' };
  if (b.x + b.width <= a.x) return { source: 'left', target: 'right' };
  return b.y >= a.y ? { source: 'bottom', target: 'top' } : { source: 'top', target: 'bottom' };
}
