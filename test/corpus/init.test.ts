/**
 * `soap-bridge init` on every real-world WSDL that loads (../shared/corpus; skipped where that
 * folder is absent): the scaffolded bundle loads with exactly the WSDL's own diagnostics, both
 * as written and with every operation block and bundle-wide example uncommented (following
 * each block's GET hint where it gives one). The mapping
 * may add nothing: no error, no warning.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { parseDocument } from 'yaml';
import { compileBundleDir } from '../../src/compile';
import type { Diagnostic } from '../../src/compile/diagnostics';
import { scaffold } from '../../src/scaffold';
import { tempDir } from '../support/bridge';
import { uncomment } from '../scaffold/uncomment';
import { CORPUS, corpusPresent, eligibleWsdls } from './eligible';

/** A diagnostic with its folder taken out, so the original's and the copy's compare equal. */
function key(d: Diagnostic, root: string): string {
  return `${d.severity} ${path.relative(root, d.file)}:${d.line}:${d.col} ${d.message.split(root).join('<root>')}`;
}

interface Outcome {
  file: string;
  loaded: boolean;
  /** Problems found, one line each; empty when the scaffold is clean. */
  problems: string[];
  operations: number;
}

describe('soap-bridge init on the real-world corpus', function () {
  this.timeout(600000);
  const tmp = tempDir('init-corpus');
  const outcomes: Outcome[] = [];
  after(() => tmp.remove());

  before(function () {
    if (!corpusPresent()) this.skip();
    eligibleWsdls().forEach((file, i) => {
      const out = path.join(tmp.dir, String(i), 'bundle');
      const outcome: Outcome = { file, loaded: false, problems: [], operations: 0 };
      outcomes.push(outcome);
      let r: ReturnType<typeof scaffold>;
      try {
        r = scaffold({ wsdl: path.join(CORPUS, file), out, name: `svc${i}` });
      } catch (e) {
        outcome.problems.push(`init threw: ${(e as Error).message}`);
        return;
      }
      if (!r.loaded) return;
      outcome.loaded = true;
      outcome.operations = r.operations;
      const expected = r.diagnostics.map((d) => key(d, r.sourceRoot)).sort();
      const mappingFile = path.join(out, 'mapping.yaml');
      const written = fs.readFileSync(mappingFile, 'utf8');

      // As written it sets only name (and wsdl where needed); that it loads with exactly the
      // WSDL's own diagnostics the scaffold proved before writing (it throws otherwise). The
      // stronger check, repeated here independently, is the one with every example turned on.
      const keys = Object.keys(parseDocument(written).toJS() as object);
      if (keys.some((k) => k !== 'name' && k !== 'wsdl')) outcome.problems.push(`as written, sets ${keys.join(', ')}`);
      const check = (label: string): void => {
        const c = compileBundleDir(out, { env: {} });
        const got = c.diagnostics.map((d) => key(d, out)).sort();
        if (!c.bundle) outcome.problems.push(`${label}: does not load`);
        for (const d of got.filter((g) => !expected.includes(g))) outcome.problems.push(`${label}: added ${d}`);
        for (const d of expected.filter((x) => !got.includes(x))) outcome.problems.push(`${label}: lost ${d}`);
      };
      // Every block on, and where a block suggests a GET, the GET: its hint must hold too.
      fs.writeFileSync(mappingFile, uncomment(written, { operations: 'all', top: ['timeoutMs', 'defaultRoutes', 'faults'], getHints: true }));
      check('uncommented');
      fs.rmSync(path.join(tmp.dir, String(i)), { recursive: true, force: true });
    });
  });

  it('scaffolds every WSDL that loads into a bundle the mapping adds no diagnostic to', () => {
    const loaded = outcomes.filter((o) => o.loaded);
    assert.ok(outcomes.length > 200, `expected over 200 eligible WSDLs, found ${outcomes.length}`);
    const problems = outcomes.flatMap((o) => o.problems.map((p) => `${o.file}: ${p}`));
    assert.deepEqual(problems, []);
    const ops = loaded.reduce((n, o) => n + o.operations, 0);
    process.stdout.write(`      corpus: ${loaded.length} of ${outcomes.length} WSDLs load; all ${loaded.length} scaffold clean, as written and uncommented (${ops} operations)\n`);
  });
});
