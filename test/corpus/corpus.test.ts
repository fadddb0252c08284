/**
 * The loader against real-world WSDLs (../shared/corpus), skipped where that folder is absent.
 * Every file must load or be refused with positioned diagnostics, never a crash; the files
 * that do not load are exactly those listed, with reasons, in known-failures.tsv.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'mocha';
import type { BundleResult } from '../../src/compile';
import { ROOT } from '../support/compile';
import { compiledCorpus, corpusPresent } from './eligible';

const KNOWN = path.join(ROOT, 'test', 'corpus', 'known-failures.tsv');

describe('real-world WSDL corpus', function () {
  this.timeout(120000);
  const results = new Map<string, BundleResult>();

  before(function () {
    if (!corpusPresent()) this.skip();
    for (const [f, r] of compiledCorpus()) results.set(f, r);
  });

  it('loads every eligible WSDL or refuses it with file:line:col diagnostics, never a crash', () => {
    assert.ok(results.size > 200, `expected the corpus to have over 200 eligible WSDLs, found ${results.size}`);
    for (const [f, r] of results) {
      if (!r.bundle) assert.ok(r.diagnostics.some((d) => d.severity === 'error'), `${f}: not loaded but no error`);
      for (const d of r.diagnostics) {
        assert.ok(d.file && d.line >= 1 && d.col >= 1, `${f}: diagnostic without a position: ${JSON.stringify(d)}`);
        assert.ok(d.message.length > 10, `${f}: diagnostic without a message`);
      }
    }
  });

  it('fails on exactly the files listed in known-failures.tsv', () => {
    const known = fs
      .readFileSync(KNOWN, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t')[0]);
    const failing = [...results].filter(([, r]) => !r.bundle).map(([f]) => f);
    const newlyFailing = failing.filter((f) => !known.includes(f));
    const nowLoading = known.filter((f) => results.has(f) && results.get(f)!.bundle);
    assert.deepEqual(newlyFailing, [], 'these files no longer load');
    assert.deepEqual(nowLoading, [], 'these files load now: remove them from known-failures.tsv');
    const loaded = results.size - failing.length;
    process.stdout.write(`      corpus: ${loaded}/${results.size} WSDLs load (${((loaded * 100) / results.size).toFixed(1)}%)\n`);
  });

  it('loads at least 95% of the eligible WSDLs', () => {
    const loaded = [...results.values()].filter((r) => r.bundle).length;
    assert.ok(loaded * 100 >= results.size * 95, `only ${loaded}/${results.size} load (${((loaded * 100) / results.size).toFixed(1)}%)`);
  });

  it('compiles every operation it loads into validators and codecs that accept a minimal valid input', () => {
    let ops = 0;
    for (const [, r] of results) {
      for (const op of r.bundle?.operations.values() ?? []) {
        ops++;
        // An empty object is either valid or refused with pointers; never an exception.
        const v = op.validateInput({});
        if (v) for (const e of v) assert.equal(typeof e.pointer, 'string');
        else assert.equal(typeof op.encodeRequest({}), 'string');
      }
    }
    assert.ok(ops > 1000, `expected over 1000 operations, compiled ${ops}`);
  });
});
