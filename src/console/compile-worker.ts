/**
 * A worker thread that compiles one bundle folder as it is on disk and posts its diagnostics
 * (console mapping route, mapping-check.ts): a big WSDL takes seconds to compile, which must
 * not hold up the requests the main thread serves. The worker ends after one compile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { compileBundleDir } from '../compile';
import type { Diagnostic } from '../compile/diagnostics';
import { initLibxmlFor } from '../compile/libxml';

export interface CompileJob {
  dir: string;
  env: NodeJS.ProcessEnv;
}

export type CompileAnswer = { ok: true; diagnostics: Diagnostic[] } | { ok: false; error: string };

async function run(job: CompileJob): Promise<CompileAnswer> {
  try {
    await initLibxmlFor([job.dir]);
    const result = compileBundleDir(job.dir, { env: job.env });
    result.bundle?.strict?.retire();
    return { ok: true, diagnostics: result.diagnostics };
  } catch (e) {
    return { ok: false, error: (e as Error)?.message ?? String(e) };
  }
}

if (parentPort) {
  const port = parentPort;
  void run(workerData as CompileJob).then((answer) => port.postMessage(answer));
}
