/**
 * Logging: winston, one JSON object per line. A child logger per request carries its
 * requestId (and service/operation once known), so every line of a request can be found.
 */
import winston from 'winston';

export type Logger = winston.Logger;

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  level: LogLevel;
  /** Where lines go; default stdout. Tests pass a stream to read what was logged. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
  /** Fields added to every line (the worker's id under --workers). */
  defaultMeta?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    silent: options.silent,
    defaultMeta: options.defaultMeta,
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [transport],
  });
}
