/** The circuit breaker's states on a fake clock: counting window, one trial at a time, re-opening. */
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { Breaker } from '../../src/transport/breaker';

describe('circuit breaker', () => {
  it('opens after N failures in a row; a success in between starts the count again', () => {
    let now = 0;
    const b = new Breaker({ failures: 3, resetMs: 1000 }, () => now);
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    assert.equal(b.state(), 'closed');
    b.failure();
    assert.equal(b.state(), 'open');
    assert.equal(b.allow(), false);
    now = 400;
    assert.equal(b.retryInMs(), 600);
  });

  it('failures further apart than the window do not add up', () => {
    let now = 0;
    const b = new Breaker({ failures: 2, resetMs: 1000, windowMs: 500 }, () => now);
    b.failure();
    now = 600;
    b.failure();
    assert.equal(b.state(), 'closed');
    now = 700;
    b.failure();
    assert.equal(b.state(), 'open');
  });

  it('half-open lets one trial through; its failure re-opens for a full cool-down, its success closes', () => {
    let now = 0;
    const b = new Breaker({ failures: 1, resetMs: 1000 }, () => now);
    b.failure();
    now = 1000;
    assert.equal(b.state(), 'half-open');
    assert.equal(b.allow(), true);
    assert.equal(b.allow(), false, 'a second call waits for the trial');
    b.failure();
    assert.equal(b.state(), 'open');
    now = 1999;
    assert.equal(b.allow(), false);
    now = 2000;
    assert.equal(b.allow(), true);
    b.success();
    assert.equal(b.state(), 'closed');
    assert.equal(b.allow(), true);
    assert.equal(b.allow(), true);
  });

  it('a trial that is not made after all frees the slot', () => {
    let now = 0;
    const b = new Breaker({ failures: 1, resetMs: 10 }, () => now);
    b.failure();
    now = 10;
    assert.equal(b.allow(), true);
    b.release();
    assert.equal(b.allow(), true);
  });
});
