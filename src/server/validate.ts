// Zod parsing for request bodies and queries: a failure is a ValidationError naming each field.
import type { z } from 'zod';
import { ValidationError, issuesToDetails } from '../errors.js';

export function parseInput<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const details = issuesToDetails(r.error.issues);
    throw new ValidationError(`invalid ${what}: ${details.join(', ')}`, { details });
  }
  return r.data;
}
