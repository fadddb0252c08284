/**
 * Defects found in the review of inbound WS-Security (src/auth/wss) and of how the facades call
 * it, each with the test that showed it: a real bridge on loopback in front of the demo's JSON
 * inventory service. Passwords, right and wrong, are TEST_SECRETS values, so the suite's secrets
 * guard checks none of them reaches a log.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { inventoryApp } from '../../fixtures/demo/inventory';
import { startBridge, startHttp, tempDir, type Reply, type TestBridge } from '../support/bridge';
import { checkStock, inventoryBundle, requestFrom, usernameToken } from '../support/ratelimit';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

describe('inbound WS-Security: review fixes', function () {
  this.timeout(60000);
  let inventory: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;

  before(async () => {
    const app = inventoryApp();
    inventory = await startHttp((req, res) => app(req, res));
    tmp = tempDir('soap-auth-review');
    const soapAuth = 'soapAuth:\n  usernameToken:\n    users:\n      - {username: alice, password: "${SR_ALICE_PW}"}\n    passwordTypes: [text]\n';
    inventoryBundle(tmp.dir, 'authinv', `${inventory.url}/inventory`, `${soapAuth}authFailures: {attempts: 3, windowMs: 60000}`);
    // No ADMIN_TOKEN, no ADMIN_ALLOW: the console is open (the default).
    bridge = await startBridge(tmp.dir, { SR_ALICE_PW: TEST_SECRETS.wsPassword });
  });

  after(async () => {
    await bridge?.close();
    await inventory?.close();
    tmp?.remove();
  });

  function noted(r: Reply, what: string): Reply {
    noteOutput(`soap-auth-review ${what}`, `${JSON.stringify(r.headers)} ${r.text}`);
    return r;
  }

  it('wrong passwords sent through the console API count against the address like those sent to /soap/{service}', async () => {
    const from = '127.0.0.31';
    const viaConsole = async (password: string): Promise<Reply> => {
      const { body } = checkStock('1.1', 'BOK-1001', usernameToken('alice', password));
      const r = await requestFrom(from, `${bridge.url}/console/api/services/authinv/soap`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ envelope: body, soapAction: 'urn:soap-bridge:demo:inventory#CheckStock' }) });
      return noted(r, 'console');
    };
    for (const wrong of [TEST_SECRETS.bodyPassword, TEST_SECRETS.bearer, TEST_SECRETS.restToken]) {
      const r = await viaConsole(wrong);
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.response.body, /FailedAuthentication/);
    }
    // The budget is spent: the console refuses the address before checking the password...
    const blocked = await viaConsole(TEST_SECRETS.wsPassword);
    assert.match(blocked.json.response.body, /RateLimited/, blocked.json.response.body);
    assert.doesNotMatch(blocked.json.response.body, /CheckStockResponse/);
    // ...and so does the SOAP facade.
    const { headers, body } = checkStock('1.1', 'BOK-1001', usernameToken('alice', TEST_SECRETS.wsPassword));
    const direct = noted(await requestFrom(from, `${bridge.url}/soap/authinv`, { method: 'POST', headers, body }), 'soap');
    assert.match(direct.text, /RateLimited/, direct.text);
    // Another address is not affected.
    const other = noted(await requestFrom('127.0.0.32', `${bridge.url}/soap/authinv`, { method: 'POST', headers, body }), 'soap');
    assert.equal(other.status, 200, other.text);
  });
});
