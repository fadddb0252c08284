import path from 'node:path';
import type { SourcePos } from '../model/xsd';

export interface Diagnostic extends SourcePos {
  severity: 'error' | 'warning';
  message: string;
}

/** Collects load-time problems; every one carries the file position it is about. */
export class Diagnostics {
  readonly list: Diagnostic[] = [];

  error(pos: SourcePos, message: string): void {
    this.add('error', pos, message);
  }

  warn(pos: SourcePos, message: string): void {
    this.add('warning', pos, message);
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  get errors(): Diagnostic[] {
    return this.list.filter((d) => d.severity === 'error');
  }

  private add(severity: Diagnostic['severity'], pos: SourcePos, message: string): void {
    const dup = this.list.some(
      (d) => d.file === pos.file && d.line === pos.line && d.col === pos.col && d.message === message,
    );
    if (!dup) this.list.push({ severity, file: pos.file, line: pos.line, col: pos.col, message });
  }
}

/** `file:line:col message`, with the file relative to `cwd` when it lies below it. */
export function formatDiagnostic(d: Diagnostic, cwd = process.cwd()): string {
  const rel = path.relative(cwd, d.file);
  const file = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : d.file;
  const sev = d.severity === 'warning' ? 'warning: ' : '';
  return `${file}:${d.line}:${d.col} ${sev}${d.message}`;
}

/** A load failure that already has a position: thrown inside the loader, collected by its caller. */
export class LoadError extends Error {
  constructor(
    readonly pos: SourcePos,
    message: string,
  ) {
    super(message);
    this.name = 'LoadError';
  }
}
