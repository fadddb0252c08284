/**
 * The real-world WSDL corpus beside the repository (../shared/corpus), selected the way
 * ../shared/checks/corpus selects it: well-formed WSDL documents with a SOAP binding, no
 * remote or missing import, one per distinct content.
 */
import fs from 'node:fs';
import path from 'node:path';
import { compileWsdlFile, type BundleResult } from '../../src/compile';
import { ROOT } from '../support/compile';

export const CORPUS = path.resolve(ROOT, '..', 'shared', 'corpus');

export function corpusPresent(): boolean {
  return fs.existsSync(path.join(CORPUS, 'MANIFEST.tsv'));
}

export function eligibleWsdls(): string[] {
  const lines = fs.readFileSync(path.join(CORPUS, 'MANIFEST.tsv'), 'utf8').split('\n').slice(1);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const c = line.split('\t');
    if (c.length < 15) continue;
    const [file, , , kind, , , , , wellFormed, remote, nsWellFormed, , , sha, notes] = c;
    if (kind !== 'wsdl' || wellFormed !== 'yes' || nsWellFormed !== 'yes' || remote === 'yes') continue;
    if (/unresolved-local-import|no-binding-in-file|http-binding-only/.test(notes)) continue;
    if (seen.has(sha)) continue;
    seen.add(sha);
    out.push(file);
  }
  return out;
}

let compiled: Map<string, BundleResult> | undefined;

/** Every eligible WSDL compiled as a bundle, once per test run (the corpus tests share it). */
export function compiledCorpus(): Map<string, BundleResult> {
  compiled ??= new Map(eligibleWsdls().map((f) => [f, compileWsdlFile(path.join(CORPUS, f))]));
  return compiled;
}
