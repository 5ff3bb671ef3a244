// A glyph owns one schedule (owner "glyph:<id>"): Run again updates it, never adds a second one.
// Same command: PATCH its interval or cron and timeout, resume it, and run it now. Another command: the server
// updates the schedule this owner already has (POST with `owner`); a server without owners gets a
// new schedule and the old one is deleted, so there is still one.
import type { ScheduleDto } from '../../../../src/protocol.js';
import type { Api } from '../../api/endpoints.js';
import { ApiError } from '../../api/http.js';
import { scheduleTiming, toAtsCode, type IxData } from './ix-model.js';

export function glyphOwner(glyphId: string): string {
  return `glyph:${glyphId}`;
}

/** The owner a schedule names: its `owner`, else the glyph it was created from, else null (API/CLI). */
export function scheduleOwner(s: ScheduleDto): string | null {
  const owner = s.owner;
  if (typeof owner === 'string' && owner) return owner;
  return s.created_from ? glyphOwner(s.created_from) : null;
}

/** The glyph id of a "glyph:<id>" owner, or null. */
export function ownerGlyphId(owner: string | null): string | null {
  return owner?.startsWith('glyph:') ? owner.slice(6) : null;
}

export async function ownSchedule(
  api: Api,
  glyphId: string,
  data: IxData,
  known: Readonly<Record<string, ScheduleDto>>,
): Promise<ScheduleDto> {
  const ats_code = toAtsCode(data.command);
  const timing = scheduleTiming(data);
  const current = data.scheduleId ? (known[data.scheduleId] ?? (await api.pulse.get(data.scheduleId).catch(() => undefined))) : undefined;
  if (current && current.ats_code === ats_code) {
    const recurring = 'cron' in timing || timing.interval_seconds > 0;
    let s = await api.pulse.patch(current.id, {
      ...('cron' in timing ? { cron: timing.cron, timezone: timing.timezone ?? null } : timing),
      timeout_seconds: data.timeoutSeconds,
      ...(recurring && current.state !== 'active' ? { state: 'active' as const } : {}),
    });
    try {
      await api.pulse.trigger(current.id);
      s = await api.pulse.get(current.id);
    } catch (err) {
      // 409: it is running right now, which is what Run asked for.
      if (!(err instanceof ApiError && err.status === 409)) throw err;
    }
    return s;
  }
  const body = {
    ats_code,
    ...timing,
    created_from: glyphId,
    ...(data.timeoutSeconds === null ? {} : { timeout_seconds: data.timeoutSeconds }),
  };
  let created: ScheduleDto;
  try {
    created = await api.pulse.create({ ...body, owner: glyphOwner(glyphId) });
  } catch (err) {
    // A server without schedule owners rejects the field (strict body): create, then drop the old one.
    if (!(err instanceof ApiError && err.status === 400 && /owner/.test(`${err.message} ${err.details.join(' ')}`))) throw err;
    created = await api.pulse.create(body);
  }
  if (current && current.id !== created.id) await api.pulse.remove(current.id).catch(() => undefined);
  return created;
}
