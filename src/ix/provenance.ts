// Where an attestation comes from: the execution whose run stored it (its source), that
// execution's schedule, and the handler version that ran (its code). Each link may be missing:
// attestations from the API or an import have no run, executions are pruned, handlers removed.
import type { AttestationStore } from '../ats/store.js';
import type { Attestation } from '../ats/types.js';
import { NotFoundError, QntxError } from '../errors.js';
import type { ExecutionDto, ScheduleDto } from '../protocol.js';
import type { Pulse } from '../pulse/pulse.js';
import type { HandlerRegistry } from './handler-registry.js';

export interface ProvenanceDto {
  attestation: Attestation;
  execution: ExecutionDto | null;
  schedule: ScheduleDto | null;
  handler: { type: string; version: number; code: string; attestation_id: string } | null;
}

export interface ProvenanceDeps {
  store: AttestationStore;
  pulse: Pulse;
  handlers: HandlerRegistry;
}

/** Null for a link that no longer exists (pruned, deleted): the rest is still answered. */
async function orNull<T>(p: Promise<T>): Promise<T | null> {
  try {
    return await p;
  } catch (err) {
    if (err instanceof QntxError && err.status === 404) return null;
    throw err;
  }
}

export async function provenanceOf(d: ProvenanceDeps, id: string): Promise<ProvenanceDto> {
  const attestation = await d.store.get(id);
  if (!attestation) throw new NotFoundError(`attestation ${id} not found`, { details: [`id=${id}`] });
  // A scheduled run stamps its execution's id ("EX…") as the source.
  const execution = attestation.source.startsWith('EX') ? await orNull(d.pulse.getExecution(attestation.source)) : null;
  const schedule = execution?.schedule_id ? await orNull(d.pulse.getSchedule(execution.schedule_id)) : null;
  const type = typeOf(schedule, attestation);
  const version = attestation.handler_version ?? execution?.handler_version ?? null;
  let handler: ProvenanceDto['handler'] = null;
  if (type && version !== null) {
    const v = (await d.handlers.versions(type).catch(() => [])).find((h) => h.version === version);
    if (v) handler = { type, version, code: v.code, attestation_id: v.id };
  }
  return { attestation, execution, schedule, handler };
}

/** The ix type: the schedule's payload names it; an ad hoc run's actor is `ix:<type>`. */
function typeOf(schedule: ScheduleDto | null, a: Attestation): string | null {
  const p = schedule?.payload as { script_type?: unknown } | null | undefined;
  if (typeof p?.script_type === 'string') return p.script_type;
  const actor = a.actors.find((x) => x.startsWith('ix:'));
  return actor ? actor.slice(3) : null;
}
