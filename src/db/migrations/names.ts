// The names of every migration in index.ts, in order, without loading them: a store that has
// applied exactly these is current, and opening it loads and runs no migration code.
// Append the name of each new migration here as well as the migration to index.ts (a test holds
// the two lists equal).
export const MIGRATION_NAMES: readonly string[] = [
  '001_attestations',
  '002_pulse',
  '003_canvas',
  '006_schedule_failures',
  '006b_pulse_limits',
  '006c_pulse_claim',
  '007_claims',
  '008_ax_alias_edges',
  '009_handler_current',
  '010_schedule_owner',
  '010b_schedule_totals',
  '011_cron',
  '011b_secrets',
  '011c_hooks',
  '012_hook_limits',
  '013_folded_keys',
  '014_watchers',
];
