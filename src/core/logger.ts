import { type Logger, pino } from 'pino';

export type { Logger };

export interface LoggerOptions {
  level: string;
}

const redactPaths = ['*.apiKey', '*.api_key', '*.token', '*.password', 'headers.authorization', 'request.headers.authorization'];

export function createLogger(options: LoggerOptions): Logger {
  return pino({ level: options.level, redact: { paths: redactPaths, censor: '[redacted]' } });
}

export const silentLogger: Logger = pino({ level: 'silent' });
