/**
 * Hot reload, the swapping half. Recompiles bundle folders with exactly the checks of start-up
 * (compileBundleDir, then unique service names across the whole set) and swaps the result into
 * the registry in one assignment. A folder that does not compile keeps serving its previous
 * version and its problems are logged as `file:line:col message`; nothing here throws on a bad
 * edit. Reloads run one at a time, so two bursts of edits never interleave their swaps.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as yieldToRequests } from 'node:timers/promises';
import { compileBundleDir, type Bundle } from '../compile';
import { warmUp } from '../compile/warm';
import { initLibxmlFor } from '../compile/libxml';
import type { Diagnostic } from '../compile/diagnostics';
import type { Metrics } from '../http/metrics';
import type { ServedBundle, ServiceRegistry } from '../http/registry';
import { logDiagnostics, type Logger } from '../log';

export interface ReloaderOptions {
  servicesDir: string;
  registry: ServiceRegistry;
  logger: Logger;
  /** Environment for `${VAR}` in mapping files; default process.env. */
  env?: NodeJS.ProcessEnv;
  metrics?: Metrics;
}

export interface Refusal {
  folder: string;
  diagnostics: Diagnostic[];
}

/** What one reload did; service names, except for refusals, which name the folder. */
export interface ReloadReport {
  /** The registry's generation after the reload (unchanged when nothing was swapped). */
  generation: number;
  loaded: string[];
  reloaded: string[];
  unloaded: string[];
  refused: Refusal[];
}

/** The outcome of recompiling one folder, before names are checked across the set. */
type Attempt =
  | { folder: string; kind: 'gone' }
  | { folder: string; kind: 'compiled'; bundle: Bundle; hash: string; diagnostics: Diagnostic[] }
  | { folder: string; kind: 'failed'; diagnostics: Diagnostic[] };

/** A folder's entry in the set being assembled: `fresh` when it is a new version. */
interface Candidate {
  served: ServedBundle;
  fresh: boolean;
}

const isErrno = (e: unknown, code: string): boolean => (e as NodeJS.ErrnoException)?.code === code;

/** Whether `file` (absolute) lies inside `dir` (absolute); `dir/..data` does, `dir/../x` does not. */
export function isWithin(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel);
}

/** Short sha256 over the files' paths and contents: tells operators which content is serving. */
export function hashFiles(files: readonly string[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort()) {
    h.update(f).update('\0');
    try {
      h.update(fs.readFileSync(f));
    } catch {
      h.update('\0missing');
    }
    h.update('\0');
  }
  return h.digest('hex').slice(0, 12);
}

function refusalDiagnostic(file: string, message: string): Diagnostic {
  return { severity: 'error', file, line: 1, col: 1, message };
}

export class Reloader {
  readonly root: string;
  /** What each bundle folder serves now, by absolute folder path. */
  private served = new Map<string, ServedBundle>();
  /** Absolute file path -> the folders whose served bundle was built from it. */
  private users = new Map<string, Set<string>>();
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: ReloaderOptions) {
    this.root = path.resolve(options.servicesDir);
  }

  /** Takes over the bundles loaded at start-up as the first generation. */
  adopt(bundles: readonly Bundle[]): void {
    const generation = this.options.registry.generation + 1;
    const served = bundles.map((bundle) => ({ bundle, generation, hash: hashFiles(bundle.files) }));
    this.options.registry.swap(served, generation);
    this.remember(new Map(served.map((s) => [s.bundle.dir, s])));
  }

  /** Recompiles these bundle folders (direct children of the services folder; others are ignored). */
  reload(folders: Iterable<string>): Promise<ReloadReport> {
    const list = [...folders];
    return this.enqueue(() => list);
  }

  /** Recompiles every folder of the services folder, and unloads the served ones that are gone. */
  reloadAll(): Promise<ReloadReport> {
    // Listed when its turn comes, so that it sees what the reloads before it did.
    return this.enqueue(() => [...this.subfolders(), ...this.served.keys()]);
  }

  /** The folders whose served bundle was built from this file. */
  foldersUsing(file: string): string[] {
    return [...(this.users.get(file) ?? [])];
  }

  /** Folders holding files that served bundles import from outside the services folder. */
  outsideDirs(): string[] {
    const dirs = new Set<string>();
    for (const file of this.users.keys()) if (!isWithin(this.root, file)) dirs.add(path.dirname(file));
    return [...dirs].sort();
  }

  /** Resolves once the reloads already asked for have finished; later ones are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.queue;
  }

  private enqueue(folders: () => string[]): Promise<ReloadReport> {
    const run = this.queue.then(() => {
      const list = [...new Set(folders().map((f) => path.resolve(f)))].filter((f) => path.dirname(f) === this.root).sort();
      return this.run(list);
    });
    // The queue only orders runs; run() reports its own failures, so the chain never rejects.
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The bundle folders of the services folder (dot folders are skipped, as at start-up). */
  private subfolders(): string[] {
    try {
      return fs
        .readdirSync(this.root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => path.join(this.root, e.name));
    } catch {
      return []; // run() refuses the reload, with the reason, when the folder cannot be read.
    }
  }

  private async run(folders: string[]): Promise<ReloadReport> {
    const { registry } = this.options;
    const report: ReloadReport = { generation: registry.generation, loaded: [], reloaded: [], unloaded: [], refused: [] };
    if (this.closed || folders.length === 0) return report;
    if (!this.rootReadable()) return report;
    // Strict validation mode needs libxml2, loaded asynchronously before a folder asks for it.
    await initLibxmlFor(folders);
    if (this.closed) return report;
    const attempts: Attempt[] = [];
    for (const folder of folders) {
      let attempt = this.attempt(folder);
      if (attempt?.kind === 'compiled') attempt = this.refuseNewlyUnusable(attempt);
      if (attempt) attempts.push(attempt);
      // A big WSDL leaves validators and codecs to first use: built now, between requests, so
      // the version swapped in is complete (what does not compile is a warning, as at start-up).
      if (attempt?.kind === 'compiled') {
        const warmed = await warmUp([attempt.bundle], { keepGoing: () => !this.closed });
        for (const f of warmed.failed) {
          attempt.diagnostics.push({ severity: 'warning', file: attempt.bundle.wsdlFile, line: 1, col: 1, message: `operation ${f.operation} cannot be compiled, its calls answer 500: ${f.message}` });
        }
      }
      // Compiling is synchronous: let requests in flight move on between folders.
      await yieldToRequests();
      if (this.closed) return report;
    }
    const generation = registry.generation + 1;
    const next = this.assemble(attempts, generation, report);
    // Without a new version, `next` only keeps current ones: it changed if a folder went away.
    const changed = [...next.values()].some((c) => c.fresh) || next.size !== this.served.size;
    if (changed) {
      registry.swap([...next.values()].map((c) => c.served), generation);
      report.generation = generation;
    }
    this.log(attempts, next, report);
    // A new version that is not served (refused for its name) frees its strict-mode schema now.
    const servedNow = new Set([...next.values()].map((c) => c.served.bundle));
    for (const a of attempts) if (a.kind === 'compiled' && !servedNow.has(a.bundle)) a.bundle.strict?.retire();
    this.remember(new Map([...next].map(([folder, c]) => [folder, c.served])));
    return report;
  }

  /**
   * At start-up an imported file that is not well-formed only degrades what it defines (to
   * xs:anyType, with warnings): some WSDLs in the wild ship such files. Mid-edit, the same thing
   * is usually a half-saved file: a new version with an unusable file the served version did not
   * have is refused, its warnings turned into the errors that say why.
   */
  private refuseNewlyUnusable(attempt: Extract<Attempt, { kind: 'compiled' }>): Attempt {
    const before = new Set(this.served.get(attempt.folder)?.bundle.unusable ?? []);
    const fresh = attempt.bundle.unusable.filter((f) => !before.has(f));
    if (fresh.length === 0) return attempt;
    attempt.bundle.strict?.retire();
    const diagnostics = attempt.diagnostics.map((d): Diagnostic =>
      d.severity === 'warning' && fresh.includes(d.file) && d.message.endsWith('definitions from it are unavailable')
        ? { ...d, severity: 'error', message: `${d.message} (a reload is refused while a file the bundle uses is not usable; the served version keeps serving)` }
        : d,
    );
    if (!diagnostics.some((d) => d.severity === 'error')) {
      for (const f of fresh) diagnostics.push({ severity: 'error', file: f, line: 1, col: 1, message: 'this file cannot be used (see the warnings); a reload is refused until it can' });
    }
    return { folder: attempt.folder, kind: 'failed', diagnostics };
  }

  /** False (with the reason logged) when the services folder itself cannot be read: nothing changes then. */
  private rootReadable(): boolean {
    try {
      fs.readdirSync(this.root);
      return true;
    } catch (e) {
      this.options.logger.error('reload refused: cannot read the services folder; every bundle keeps serving', { folder: this.root, error: (e as Error).message });
      return false;
    }
  }

  /** Compiles one folder; undefined when there is nothing to do (a dot folder, as at start-up; a new folder still empty). */
  private attempt(folder: string): Attempt | undefined {
    if (path.basename(folder).startsWith('.')) return undefined;
    let entries: string[];
    try {
      if (!fs.statSync(folder).isDirectory()) return this.served.has(folder) ? { folder, kind: 'gone' } : undefined;
      entries = fs.readdirSync(folder);
    } catch (e) {
      if (isErrno(e, 'ENOENT') || isErrno(e, 'ENOTDIR')) return this.served.has(folder) ? { folder, kind: 'gone' } : undefined;
      return { folder, kind: 'failed', diagnostics: [refusalDiagnostic(folder, `cannot read bundle folder: ${(e as Error).message}`)] };
    }
    // `mkdir` before the copy: an empty new folder is not yet a bundle, not an error.
    if (entries.length === 0 && !this.served.has(folder)) return undefined;
    try {
      const result = compileBundleDir(folder, { env: this.options.env });
      if (!result.bundle) return { folder, kind: 'failed', diagnostics: result.diagnostics };
      return { folder, kind: 'compiled', bundle: result.bundle, hash: hashFiles(result.bundle.files), diagnostics: result.diagnostics };
    } catch (e) {
      // A bug in the compiler must not take the process down: refuse the edit like any other.
      this.options.logger.error('unexpected error while compiling a bundle', { folder, error: (e as Error)?.message, stack: (e as Error)?.stack });
      return { folder, kind: 'failed', diagnostics: [refusalDiagnostic(folder, `internal error while compiling: ${(e as Error)?.message}`)] };
    }
  }

  /**
   * The next set: current versions, with new ones in place of what compiled and without what is
   * gone; then unique names, as at start-up. Where a new version takes a name another folder
   * keeps serving, the new version is refused; between new folders the first (by folder name) wins.
   */
  private assemble(attempts: Attempt[], generation: number, report: ReloadReport): Map<string, Candidate> {
    const next = new Map<string, Candidate>();
    for (const [folder, served] of this.served) next.set(folder, { served, fresh: false });
    for (const a of attempts) {
      if (a.kind === 'gone') next.delete(a.folder);
      else if (a.kind === 'compiled') next.set(a.folder, { served: { bundle: a.bundle, generation, hash: a.hash }, fresh: true });
      else report.refused.push({ folder: a.folder, diagnostics: a.diagnostics });
    }
    for (let clash = this.firstClash(next); clash; clash = this.firstClash(next)) {
      const [winner, ...others] = clash;
      const losers = others.filter((f) => next.get(f)!.fresh);
      // Current versions have unique names, so a clash always has a new version to refuse.
      if (losers.length === 0) break;
      for (const folder of losers) {
        const name = next.get(folder)!.served.bundle.name;
        const previous = this.served.get(folder);
        if (previous) next.set(folder, { served: previous, fresh: false });
        else next.delete(folder);
        const diagnostic = refusalDiagnostic(path.join(folder, 'mapping.yaml'), `service name "${name}" is already used by ${path.basename(winner)}`);
        report.refused.push({ folder, diagnostics: [diagnostic] });
      }
    }
    report.refused.sort((a, b) => a.folder.localeCompare(b.folder));
    return next;
  }

  /** Folders sharing one service name, the one that keeps it first (a current version, else the first folder); undefined when names are unique. */
  private firstClash(next: Map<string, Candidate>): string[] | undefined {
    const byName = new Map<string, string[]>();
    for (const [folder, c] of [...next].sort(([a], [b]) => a.localeCompare(b))) {
      const name = c.served.bundle.name;
      byName.set(name, [...(byName.get(name) ?? []), folder]);
    }
    for (const folders of byName.values()) {
      if (folders.length < 2) continue;
      const keeper = folders.find((f) => !next.get(f)!.fresh) ?? folders[0];
      return [keeper, ...folders.filter((f) => f !== keeper)];
    }
    return undefined;
  }

  /** Per folder: its diagnostics, then one line on what happened to it; and the metric. */
  private log(attempts: Attempt[], next: Map<string, Candidate>, report: ReloadReport): void {
    const refused = new Map(report.refused.map((r) => [r.folder, r]));
    for (const a of attempts) {
      const refusal = refused.get(a.folder);
      // A version refused for its name still shows its warnings; a failed compile's list holds them already.
      const shown = a.kind === 'gone' ? [] : a.kind === 'compiled' && refusal ? [...a.diagnostics, ...refusal.diagnostics] : a.diagnostics;
      logDiagnostics(this.options.logger, shown);
      if (refusal) this.logRefusal(a.folder, shown);
      else this.logChange(a.folder, next.get(a.folder), report);
    }
  }

  private logRefusal(folder: string, shown: Diagnostic[]): void {
    const { logger, metrics } = this.options;
    metrics?.reloaded('failure');
    const errors = shown.filter((d) => d.severity === 'error').length;
    const previous = this.served.get(folder);
    if (previous) logger.error('reload refused; the previous version keeps serving', { service: previous.bundle.name, folder, generation: previous.generation, hash: previous.hash, errors });
    else logger.error('bundle not loaded; fix the errors above', { folder, errors });
  }

  /** A folder loaded, reloaded or unloaded (`now` undefined). */
  private logChange(folder: string, now: Candidate | undefined, report: ReloadReport): void {
    const { logger, metrics } = this.options;
    metrics?.reloaded('success');
    const previous = this.served.get(folder);
    if (!now) {
      logger.info('service unloaded', { service: previous!.bundle.name, folder });
      report.unloaded.push(previous!.bundle.name);
      return;
    }
    const b = now.served.bundle;
    const facts = { service: b.name, folder, generation: now.served.generation, hash: now.served.hash, operations: b.operations.size, restFacade: b.restFacade, soapFacade: b.soapFacade };
    if (previous) {
      const renamed = previous.bundle.name !== b.name ? { previousName: previous.bundle.name } : {};
      logger.info('service reloaded', { ...facts, previousGeneration: previous.generation, previousHash: previous.hash, ...renamed });
      report.reloaded.push(b.name);
    } else {
      logger.info('service loaded', facts);
      report.loaded.push(b.name);
    }
  }

  private remember(served: Map<string, ServedBundle>): void {
    this.served = served;
    this.users = new Map();
    for (const [folder, s] of served) {
      for (const file of s.bundle.files) {
        let set = this.users.get(file);
        if (!set) this.users.set(file, (set = new Set()));
        set.add(folder);
      }
    }
  }
}
