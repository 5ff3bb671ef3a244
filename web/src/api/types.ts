// Shapes of the API answers the canvas reads that the shared protocol module does not name.
import type { AttestationDto, ExecutionDto, GlyphDto, ScheduleDto } from '../../../src/protocol.js';

export type CanvasGlyphDto = GlyphDto;

export type GlyphPut = Pick<GlyphDto, 'kind' | 'x' | 'y' | 'width' | 'height' | 'data' | 'version'>;

export interface ExecuteResult {
  success: boolean;
  stdout: string;
  stderr: string;
  error: string | null;
  details?: string[];
  attestations_created: number;
  duration_ms: number;
  /** The state after the run (the handler's ix.state). */
  state?: Record<string, unknown> | null;
  /** Set by a dry run: nothing was stored; these are what a run would attest. */
  dry_run?: boolean;
  would_create?: { count: number; attestations: Array<Partial<AttestationDto>> } | null;
  state_before?: unknown;
}

export interface ExecuteRequest {
  code: string;
  dry_run?: boolean;
  script_type?: string;
  args?: string[];
  state?: Record<string, unknown>;
}

export interface HandlerVersion {
  id: string;
  version: number;
  code: string;
  created_at: number | null;
  /** Who registered it (canvas_glyph, cli, …), when the server says. */
  actor: string | null;
}

export interface HandlerInfo {
  script_type: string;
  /** The current version; null while the handler is removed. */
  version: number | null;
  versions: HandlerVersion[];
  /** Set while the handler is removed: when, by whom, which version was current. */
  removed: { at: number; actor: string; version: number } | null;
}

export interface AttestationPage {
  attestations: AttestationDto[];
  count: number;
  next_cursor: string | null;
}

export interface AttestationQuery {
  subjects: string[];
  predicates: string[];
  contexts: string[];
  actors: string[];
  limit: number;
  cursor?: string | null | undefined;
}

/** GET /api/pulse/schedules/:id/stats: counts over every run, not only the loaded ones. */
export interface ScheduleStats {
  schedule_id: string;
  total: number;
  completed: number;
  failed: number;
  running: number;
  skipped: number;
  attestations_created: number;
  /** Newest first, at most 50. */
  last: Array<{ execution_id: string; status: string; started_at: number | string; duration_ms: number | null; attestations_created: number }>;
}

/** GET /api/attestations/:id/provenance: the run that stored it, its schedule, the handler version and code. */
export interface Provenance {
  attestation: AttestationDto;
  execution: ExecutionDto | null;
  schedule: ScheduleDto | null;
  handler: { type: string; version: number; code: string; attestation_id: string } | null;
}
