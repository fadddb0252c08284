/**
 * `GET /console/api/services/:service/mapping`: the bundle's mapping.yaml as it is on disk now,
 * with the diagnostics of compiling the bundle folder as it is on disk now (the loader's own
 * checks: the same file:line:col messages `validate` prints), and whether that is the version
 * being served. Compiling costs what a reload costs, so results are cached by the hash of the
 * files (the served bundle's files plus the mapping text).
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileBundleDir, type Bundle } from '../compile';
import type { Logger } from '../log';
import { redactText } from '../log/redact';
import { hashFiles } from '../reload/reloader';

export interface MappingDiagnostic {
  severity: 'error' | 'warning';
  /** The file it is about, relative to the services folder (the mapping file or a WSDL/XSD). */
  file: string;
  line: number;
  column: number;
  message: string;
}

export interface MappingAnswer {
  file: string;
  text: string;
  diagnostics: MappingDiagnostic[];
  served: boolean;
  /** Short hash of the files on disk now, and of the served version. */
  hash: string;
  servedHash: string;
}

const CACHED = 32;

export class MappingChecker {
  private readonly cache = new Map<string, MappingDiagnostic[]>();
  private readonly root: string;

  constructor(
    servicesDir: string,
    private readonly env: NodeJS.ProcessEnv | undefined,
    private readonly logger: Logger,
  ) {
    this.root = path.resolve(servicesDir);
  }

  private rel(file: string): string {
    const r = path.relative(this.root, file);
    return (r.startsWith('..') || path.isAbsolute(r) ? file : r).split(path.sep).join('/');
  }

  check(bundle: Bundle, servedHash: string): MappingAnswer {
    const file = path.join(bundle.dir, 'mapping.yaml');
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      text = '';
    }
    const files = bundle.files.includes(file) ? bundle.files : [...bundle.files, file];
    const hash = hashFiles(files);
    let diagnostics = this.cache.get(hash);
    if (!diagnostics) {
      diagnostics = this.compile(bundle.dir);
      if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(hash, diagnostics);
    }
    return { file: this.rel(file), text, diagnostics, served: servedHash !== '' && hash === servedHash, hash, servedHash };
  }

  private compile(dir: string): MappingDiagnostic[] {
    try {
      const result = compileBundleDir(dir, { env: this.env });
      // Strict mode's libxml2 schema (wasm memory) of this throw-away compile.
      result.bundle?.strict?.retire();
      return result.diagnostics.map((d) => ({ severity: d.severity, file: this.rel(d.file), line: d.line, column: d.col, message: redactText(d.message) }));
    } catch (e) {
      this.logger.warn('the console could not compile a bundle folder', { folder: dir, error: (e as Error)?.message });
      return [{ severity: 'error', file: this.rel(path.join(dir, 'mapping.yaml')), line: 1, column: 1, message: `the bundle cannot be compiled: ${(e as Error)?.message ?? String(e)}` }];
    }
  }
}
