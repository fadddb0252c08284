/**
 * `npm run soak` in small: five seconds of the mixed, fault-injecting load (bench/soak.ts).
 * Every answer must be the one its scenario expects and the bridge must not exit. Neither the
 * latency nor the RSS trend is asserted: five seconds on a shared machine say nothing about them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { runSoak, slope } from '../../bench/soak';

describe('soak (5 s)', function () {
  this.timeout(120000);

  it('answers every request as its scenario expects, and the bridge does not crash', async () => {
    const r = await runSoak({ seconds: 5, connections: 16, maxSlopeMbPerMin: 1e9, heapMb: 64 });
    assert.ok(r.sent > 0, 'no request was sent');
    assert.equal(r.answered, r.sent, `${r.sent - r.answered} request(s) without an answer`);
    assert.equal(r.unexpected, 0, r.unexpectedSamples.join('\n'));
    assert.equal(r.crashes, 0);
  });

  it('computes the least-squares slope', () => {
    assert.equal(slope([[0, 1], [1, 3], [2, 5]]), 2);
    assert.equal(slope([[0, 4]]), 0);
  });
});
