// Structured logging (pino). The composition root creates one logger; modules get children.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(opts: { level?: string; name?: string } = {}): Logger {
  return pino({ name: opts.name ?? 'qntx', level: opts.level ?? 'info' }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
