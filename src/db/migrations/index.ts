// Every migration, in order. Append-only: never edit one that has shipped, add a new one.
import type { QntxMigration } from '../migrations.js';
import { migration001 } from './001_attestations.js';

export const migrations: readonly QntxMigration[] = [migration001];
