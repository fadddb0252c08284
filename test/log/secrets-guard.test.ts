/**
 * Suite-wide guard: after every test has run (a root-level hook), nothing the suite logged or
 * collected from child processes holds one of the known test secrets (test/support/secrets.ts).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'mocha';
import { leakedSecrets, noteOutput, notedCount, TEST_SECRETS } from '../support/secrets';

describe('secrets guard', () => {
  it('finds a secret in noted output (the guard itself can fail)', () => {
    const before = leakedSecrets().length;
    noteOutput('self-test', `x ${TEST_SECRETS.bearer} y`);
    const found = leakedSecrets();
    assert.equal(found.length, before + 1);
    assert.match(found[found.length - 1], /^self-test: /);
  });
});

after(function () {
  const leaks = leakedSecrets().filter((l) => !l.startsWith('self-test: '));
  assert.ok(notedCount() > 0, 'the guard saw no output at all');
  assert.deepEqual(leaks, [], `known test secrets leaked into logs or outputs:\n${leaks.join('\n')}`);
});
