/**
 * `GET /console/api/services/:service/mapping`: the bundle's mapping.yaml as it is on disk now,
 * with the diagnostics of compiling the bundle folder as it is on disk now (the loader's own
 * checks: the same file:line:col messages `validate` prints), and whether that is the version
 * being served. Compiling costs what a reload costs, so results are cached by the hash of the
 * files (the served bundle's files plus the mapping text), and the compile runs in a worker thread.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { compileBundleDir, type Bundle } from '../compile';
import type { Logger } from '../log';
import { redactText } from '../log/redact';
import { hashFiles } from '../reload/reloader';
import type { CompileAnswer, CompileJob } from './compile-worker';

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
/** A compile that takes longer is given up (its worker stopped) and reported as such. */
const COMPILE_TIMEOUT_MS = 120_000;

export class MappingChecker {
  private readonly cache = new Map<string, MappingDiagnostic[]>();
  /** Compiles running, by files hash: concurrent asks for one version share one compile. */
  private readonly running = new Map<string, Promise<MappingDiagnostic[]>>();
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

  async check(bundle: Bundle, servedHash: string): Promise<MappingAnswer> {
    const file = path.join(bundle.dir, 'mapping.yaml');
    let text = '';
    try {
      text = await fs.promises.readFile(file, 'utf8');
    } catch {
      text = '';
    }
    const files = bundle.files.includes(file) ? bundle.files : [...bundle.files, file];
    const hash = hashFiles(files);
    // The cache key also covers the other files in the folder now: an edit may bring in a file the
    // served version did not read (a new XSD), and a change to it must not get the cached answer.
    const others: string[] = [];
    try {
      for (const e of await fs.promises.readdir(bundle.dir, { withFileTypes: true })) {
        const f = path.join(bundle.dir, e.name);
        if (e.isFile() && !files.includes(f)) others.push(f);
      }
    } catch {
      /* the folder is gone: the served files say what is missing */
    }
    const key = others.length > 0 ? `${hash}:${hashFiles(others)}` : hash;
    let diagnostics = this.cache.get(key);
    if (!diagnostics) {
      let pending = this.running.get(key);
      if (!pending) {
        pending = this.compile(bundle.dir).finally(() => this.running.delete(key));
        this.running.set(key, pending);
      }
      diagnostics = await pending;
      if (this.cache.size >= CACHED) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(key, diagnostics);
    }
    return { file: this.rel(file), text, diagnostics, served: servedHash !== '' && hash === servedHash, hash, servedHash };
  }

  private async compile(dir: string): Promise<MappingDiagnostic[]> {
    const answer = await compileInWorker(dir, this.env ?? process.env);
    if (!answer.ok) {
      this.logger.warn('the console could not compile a bundle folder', { folder: dir, error: answer.error });
      return [{ severity: 'error', file: this.rel(path.join(dir, 'mapping.yaml')), line: 1, column: 1, message: redactText(`the bundle cannot be compiled: ${answer.error}`) }];
    }
    return answer.diagnostics.map((d) => ({ severity: d.severity, file: this.rel(d.file), line: d.line, column: d.col, message: redactText(d.message) }));
  }
}

/**
 * Compile workers alive at once in this process (each a V8 isolate compiling a bundle: tens of
 * MB and a CPU for about a second); the mapping route of more services at once waits its turn.
 */
const MAX_COMPILE_WORKERS = 2;
let compileWorkers = 0;
const waitingForWorker: (() => void)[] = [];

/** A turn to run a compile worker; the function it gives back ends the turn (call it once). */
async function workerTurn(): Promise<() => void> {
  if (compileWorkers < MAX_COMPILE_WORKERS) compileWorkers++;
  else await new Promise<void>((granted) => waitingForWorker.push(granted));
  return () => {
    const next = waitingForWorker.shift();
    if (next) next();
    else compileWorkers--;
  };
}

/** Compiles a bundle folder in a worker thread (compile-worker.ts); in this thread when running from the TypeScript sources. */
async function compileInWorker(dir: string, env: NodeJS.ProcessEnv): Promise<CompileAnswer> {
  const script = path.join(__dirname, 'compile-worker.js');
  if (!fs.existsSync(script)) {
    try {
      const result = compileBundleDir(dir, { env });
      result.bundle?.strict?.retire();
      return Promise.resolve({ ok: true, diagnostics: result.diagnostics });
    } catch (e) {
      return Promise.resolve({ ok: false, error: (e as Error)?.message ?? String(e) });
    }
  }
  const endTurn = await workerTurn();
  return new Promise((resolve) => {
    const job: CompileJob = { dir, env: { ...env } };
    let worker: Worker;
    try {
      worker = new Worker(script, { workerData: job });
    } catch (e) {
      endTurn();
      resolve({ ok: false, error: (e as Error)?.message ?? String(e) });
      return;
    }
    let settled = false;
    const settle = (answer: CompileAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // The turn ends once the thread has stopped, so no more than MAX_COMPILE_WORKERS exist.
      worker.terminate().then(endTurn, endTurn);
      resolve(answer);
    };
    const timer = setTimeout(() => settle({ ok: false, error: `compiling took over ${COMPILE_TIMEOUT_MS / 1000} s` }), COMPILE_TIMEOUT_MS);
    worker.once('message', (answer: CompileAnswer) => settle(answer));
    worker.once('error', (e) => settle({ ok: false, error: e.message }));
    worker.once('exit', (code) => settle({ ok: false, error: `the compile worker stopped (exit code ${code})` }));
  });
}
