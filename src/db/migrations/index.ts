// Every migration, in order. Append-only: never edit one that has shipped, add a new one.
import type { QntxMigration } from '../migrations.js';
import { migration001 } from './001_attestations.js';
import { migration002 } from './002_pulse.js';
import { migration003 } from './003_canvas.js';
import { migration006 } from './006_schedule_failures.js';
import { migration006b } from './006b_pulse_limits.js';
import { migration006c } from './006c_pulse_claim.js';
import { migration007 } from './007_claims.js';
import { migration008 } from './008_ax_alias_edges.js';
import { migration009 } from './009_handler_current.js';
import { migration010 } from './010_schedule_owner.js';
import { migration010b } from './010b_schedule_totals.js';
import { migration011 } from './011_cron.js';
import { migration011b } from './011b_secrets.js';
import { migration011c } from './011c_hooks.js';
import { migration012 } from './012_hook_limits.js';
import { migration013 } from './013_folded_keys.js';
import { migration014 } from './014_watchers.js';

export const migrations: readonly QntxMigration[] = [
  migration001,
  migration002,
  migration003,
  migration006,
  migration006b,
  migration006c,
  migration007,
  migration008,
  migration009,
  migration010,
  migration010b,
  migration011,
  migration011b,
  migration011c,
  migration012,
  migration013,
  migration014,
];
