// Structured JSON logs (pino). Secrets never reach a log call by design; the redact list is
// the second line of defence for anything header-shaped that slips through.
import { type DestinationStream, pino } from 'pino';

export type Logger = pino.Logger;

export const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers["x-comma-signature"]',
  'headers["x-comma-signature"]',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'adminKey',
  '*.adminKey',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
