/**
 * Rate limits by address and IPv6: a client holds a whole /64 (a home line, a cloud VM), so
 * counting each IPv6 address apart let one client take a fresh budget with every address of its
 * prefix. Counted by /64, as authFailures counts; IPv4 addresses one by one. A real bridge behind
 * TRUST_PROXY (the addresses come from X-Forwarded-For, as from a proxy), loopback only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { startBridge, tempDir, type TestBridge } from '../support/bridge';
import { calculatorBundle, requestFrom } from '../support/ratelimit';

describe('rate limits: IPv6 callers are counted by their /64', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let tmp: ReturnType<typeof tempDir>;
  let bridge: TestBridge;
  const call = (address: string): ReturnType<typeof requestFrom> =>
    requestFrom('127.0.0.1', `${bridge.url}/api/byip/Add`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': address }, body: '{"intA":1,"intB":2}' });

  before(async () => {
    calc = await startCalculatorBackend(0);
    tmp = tempDir('ratelimit-ipv6');
    calculatorBundle(tmp.dir, 'byip', `${calc.url}/calculator`, 'rateLimit: {requests: 2, windowMs: 30000, by: ip}\n');
    bridge = await startBridge(tmp.dir, {}, { trustProxy: 'true' });
  });

  after(async () => {
    await bridge?.close();
    await calc?.close();
    tmp?.remove();
  });

  it('three addresses of one /64 share one budget; another /64 and IPv4 addresses have their own', async () => {
    assert.equal((await call('2001:db8:1:2::1')).status, 200);
    assert.equal((await call('2001:db8:1:2::2')).status, 200);
    const over = await call('2001:db8:1:2:ffff:ffff:ffff:3');
    assert.equal(over.status, 429, over.text);
    assert.ok(Number(over.headers['retry-after']) >= 1);
    assert.equal((await call('2001:db8:1:3::1')).status, 200, 'another /64');
    for (const v4 of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) assert.equal((await call(v4)).status, 200, v4);
  });
});
