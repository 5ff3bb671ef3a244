// The seed's flow as it stands once a user has walked it (test/e2e/seed-flow.e2e.ts walks it by
// hand): a `webhook` handler, an hourly schedule `ix webhook` that has run once, and the four
// glyphs on the canvas: IX, the handler's Python glyph, Pulse and AX. Made through the API, for
// tests and benchmarks of what the page does when it opens on that canvas.
import { api, until, type RunningQntx } from './harness.js';

export const SEED_HANDLER = `n = ix.state.get("n", 0) + 1
ix.state["n"] = n
attest(subjects=["seed-event-" + str(n)], predicates=["received"], contexts=["seed-hook"], attributes={"n": n})
print("received", n)
`;

/** The glyph ids of the seeded canvas. */
/** The size of view the seeded canvas fits at full size. */
export const SEED_VIEWPORT = { width: 1920, height: 1080 };

export const SEED_GLYPHS = { ix: 'ix-seed', py: 'py-seed', pulse: 'pulse-seed', ax: 'ax-seed' } as const;

export async function seedFlow(server: Pick<RunningQntx, 'url' | 'auth'>): Promise<{ scheduleId: string }> {
  await api(server, 'POST', '/api/python/register-handler', { script_type: 'webhook', code: SEED_HANDLER });
  const s = await api(server, 'POST', '/api/pulse/schedules', {
    ats_code: 'ix webhook',
    interval_seconds: 3600,
    owner: `glyph:${SEED_GLYPHS.ix}`,
    created_from: SEED_GLYPHS.ix,
  });
  const scheduleId = s.id as string;
  // A new interval schedule runs at once.
  await until('the first run of ix webhook to end', async () => {
    const { executions } = await api(server, 'GET', `/api/pulse/schedules/${scheduleId}/executions`);
    return (executions as Array<{ status: string }>).some((e) => e.status === 'completed' || e.status === 'failed');
  }, 60_000, 200);
  const put = (id: string, glyph: Record<string, unknown>) => api(server, 'PUT', `/api/canvas/glyphs/${id}`, { ...glyph, version: 0 });
  // Laid out to fit a 1920×1080 view at full size (bodies shown, not title cards).
  await put(SEED_GLYPHS.ix, { kind: 'ix', x: 0, y: 0, width: 420, height: 360, data: { command: 'webhook', repeat: true, every: 1, unit: 'h', scheduleId } });
  await put(SEED_GLYPHS.py, { kind: 'py', x: 444, y: 0, width: 600, height: 560, data: { code: SEED_HANDLER, handlerFor: 'webhook', savedCode: SEED_HANDLER } });
  await put(SEED_GLYPHS.pulse, { kind: 'pulse', x: 0, y: 384, width: 420, height: 480, data: {} });
  await put(SEED_GLYPHS.ax, { kind: 'ax', x: 1068, y: 0, width: 760, height: 480, data: { query: 'is received of seed-hook' } });
  return { scheduleId };
}
