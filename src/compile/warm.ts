/**
 * Warming a big bundle: the validators and codecs a WSDL of many operations leaves to first use
 * (see LAZY_VALIDATORS_ABOVE) are built in slices between requests, so that the first call of an
 * operation rarely pays for them and a schema that does not compile shows up in the log, not in
 * a caller's 500. Small bundles have nothing to warm.
 */
import type { Bundle } from './index';
import type { CompiledOperation } from './operation';

export interface WarmFailure {
  service: string;
  operation: string;
  message: string;
}

export interface WarmReport {
  /** Operations something was built for. */
  warmed: number;
  failed: WarmFailure[];
  ms: number;
}

export interface WarmOptions {
  /** Longest stretch of building before requests get their turn (default 20 ms). */
  sliceMs?: number;
  /** Checked between slices: false stops the warming (e.g. a bundle swapped out meanwhile). */
  keepGoing?: () => boolean;
}

/** Every compiled operation of a bundle, once (the REST facade's are among the SOAP facade's). */
export function operationsOf(bundle: Bundle): CompiledOperation[] {
  const all = new Set<CompiledOperation>(bundle.operations.values());
  for (const byKey of bundle.soapOperations.values()) for (const ops of byKey.values()) for (const op of ops) all.add(op);
  return [...all];
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function warmUp(bundles: Bundle[], options: WarmOptions = {}): Promise<WarmReport> {
  const sliceMs = options.sliceMs ?? 20;
  const started = performance.now();
  const report: WarmReport = { warmed: 0, failed: [], ms: 0 };
  let sliceStart = performance.now();
  for (const bundle of bundles) {
    for (const op of operationsOf(bundle)) {
      try {
        if (op.warm()) report.warmed++;
      } catch (e) {
        report.failed.push({ service: bundle.name, operation: op.name, message: (e as Error).message });
      }
      if (performance.now() - sliceStart >= sliceMs) {
        await turn();
        if (options.keepGoing && !options.keepGoing()) {
          report.ms = performance.now() - started;
          return report;
        }
        sliceStart = performance.now();
      }
    }
  }
  report.ms = performance.now() - started;
  return report;
}
