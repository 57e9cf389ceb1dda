// Structured JSON logging (pino). Log lines carry metadata only: transaction ids, addresses, sizes,
// verdicts. Never message bodies, never key material. Redaction below is a second line of defence
// for fields that must never appear even if a caller passes them by mistake.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, dest?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { svc: 'sealgate' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: ['body', 'content', 'privateKey', 'password', '*.body', '*.password', '*.privateKey'], censor: '[redacted]' },
    },
    dest ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** A logger that discards everything (tests and one-shot CLI commands). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
