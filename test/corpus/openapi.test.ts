/**
 * The OpenAPI generator against the real-world WSDLs (../shared/corpus), skipped where that
 * folder is absent: one document per WSDL that loads, each valid for swagger-parser, and every
 * example it gives accepted by a fresh createAjv() against the bundle's own schema.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'mocha';
import type { Bundle } from '../../src/compile';
import { generateOpenApi, type OpenApiResult } from '../../src/openapi';
import { checkExamples, swaggerValidate } from '../support/openapi';
import { compiledCorpus, corpusPresent } from './eligible';

describe('real-world WSDL corpus: OpenAPI documents', function () {
  this.timeout(300000);
  const docs = new Map<string, { bundle: Bundle; result: OpenApiResult }>();

  before(function () {
    if (!corpusPresent()) this.skip();
    for (const [f, r] of compiledCorpus()) if (r.bundle) docs.set(f, { bundle: r.bundle, result: generateOpenApi([r.bundle]) });
  });

  it('gives a valid OpenAPI 3.1 document (swagger-parser) for every WSDL that loads', async () => {
    assert.ok(docs.size > 100, `expected over 100 loaded WSDLs, found ${docs.size}`);
    let operations = 0;
    for (const [f, { result }] of docs) {
      try {
        await swaggerValidate(result.document);
      } catch (e) {
        assert.fail(`${f}: ${(e as Error).message}`);
      }
      operations += Object.values(result.document.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    }
    assert.ok(operations > 1000, `expected over 1000 operations, found ${operations}`);
    process.stdout.write(`      corpus: ${docs.size} OpenAPI documents valid, ${operations} operations\n`);
  });

  it('gives only examples the bundle schema accepts, and counts those it had to leave out', () => {
    let checked = 0;
    let omitted = 0;
    const reasons = new Map<string, number>();
    for (const [f, { bundle, result }] of docs) {
      assert.deepEqual(result.warnings, [], `${f}: generator warnings`);
      checked += checkExamples(bundle, result.document).checked;
      omitted += result.omitted.length;
      for (const o of result.omitted) reasons.set(o.reason, (reasons.get(o.reason) ?? 0) + 1);
    }
    const why = [...reasons].map(([r, n]) => `${n}× ${r}`).join('; ');
    process.stdout.write(`      corpus: ${checked} examples valid, ${omitted} left out${why ? ` (${why})` : ''}\n`);
    // A sample the sampler cannot make is allowed, but only rarely: most schemas are ordinary.
    assert.ok(omitted <= checked / 100, `${omitted} examples left out of ${checked + omitted}: ${why}`);
  });
});
