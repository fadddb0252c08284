/**
 * `soap-bridge validate` on deliberately broken mappings, one folder per kind of error under
 * test/fixtures/broken-mappings: each folder's expected.txt holds the exact `file:line:col
 * message` lines validate must print for it (the file relative to the folder).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'mocha';
import { runCli, type CliResult } from '../support/child';
import { ROOT } from '../support/compile';

const FIXTURES = path.join('test', 'fixtures', 'broken-mappings');

describe('soap-bridge validate on broken mappings (one fixture per kind of error)', () => {
  const kinds = fs.readdirSync(path.join(ROOT, FIXTURES)).filter((d) => fs.statSync(path.join(ROOT, FIXTURES, d)).isDirectory()).sort();
  let r: CliResult;
  const byKind = new Map<string, string[]>();
  before(async function () {
    this.timeout(90000);
    r = await runCli(['validate', '--services', FIXTURES], { cwd: ROOT, timeoutMs: 60000 });
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const m = /^test\/fixtures\/broken-mappings\/([^/]+)\/(.*)$/.exec(line);
      assert.ok(m, `every line names a file of a fixture: ${line}`);
      byKind.set(m[1], [...(byKind.get(m[1]) ?? []), m[2]]);
    }
  });

  it('covers at least 20 kinds of error and exits 1', () => {
    assert.ok(kinds.length >= 20, `${kinds.length} fixtures`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /invalid: \d+ errors?, \d+ warnings?\n$/);
  });

  for (const kind of kinds) {
    it(kind, () => {
      const expected = fs.readFileSync(path.join(ROOT, FIXTURES, kind, 'expected.txt'), 'utf8').split('\n').filter(Boolean);
      assert.ok(expected.length > 0, 'expected.txt lists at least one problem');
      assert.deepEqual(byKind.get(kind) ?? [], expected);
      // Each fixture is invalid on its own account (warnings alone would not make it so).
      assert.ok(expected.some((l) => !/^\S+ warning: /.test(l)), 'the fixture has an error');
    });
  }
});
