/**
 * Logging: winston, one JSON object per line. A child logger per request carries its
 * requestId (and service/operation once known), so every line of a request can be found.
 * Every line goes through the secrets redactor (./redact) before it is written.
 */
import winston from 'winston';
import { formatDiagnostic, type Diagnostic } from '../compile/diagnostics';
import { mayHoldSecret, redactRecord } from './redact';

/** Where winston transports read the formatted line (triple-beam's MESSAGE). */
const MESSAGE = Symbol.for('message');

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

/**
 * One JSON object per line, with a timestamp. JSON.stringify on the hot path (the access line
 * is flat); winston's own safe stringify only when a line cannot be written that way (cycles).
 */
const safeJson = winston.format.json();
const jsonLine = winston.format((info) => {
  info.timestamp = new Date().toISOString();
  let line: string;
  try {
    line = JSON.stringify(info);
  } catch {
    // A cycle: redact a copy (cycles cut), then let winston write it.
    redactRecord(info as Record<string, unknown>);
    return safeJson.transform(info, safeJson.options) as typeof info;
  }
  // Secrets redaction (log/redact.ts), only for lines that hold a candidate word or a registered secret.
  if (mayHoldSecret(line)) {
    redactRecord(info as Record<string, unknown>);
    line = JSON.stringify(info);
  }
  (info as Record<symbol, unknown>)[MESSAGE] = line;
  return info;
});

export function createLogger(options: LoggerOptions): Logger {
  const transport = options.stream
    ? new winston.transports.Stream({ stream: options.stream })
    : new winston.transports.Console();
  return winston.createLogger({
    level: options.level,
    silent: options.silent,
    defaultMeta: options.defaultMeta,
    format: jsonLine(),
    transports: [transport],
  });
}

/** Logs load problems one per line as `file:line:col message` (errors as error, warnings as warn). */
export function logDiagnostics(logger: Logger, diagnostics: readonly Diagnostic[]): void {
  for (const d of diagnostics) {
    const line = formatDiagnostic(d);
    if (d.severity === 'error') logger.error(line, { file: d.file, line: d.line, col: d.col });
    else logger.warn(line, { file: d.file, line: d.line, col: d.col });
  }
}
