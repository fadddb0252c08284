/**
 * Inbound WS-Security (`soapAuth`) through a real bridge in front of the demo inventory JSON
 * service: node-soap's client with its own WSSecurity (PasswordDigest) gets its answers, a wrong
 * password, a replayed envelope and a request without the header get the WS-Security faults,
 * over SOAP 1.1 and 1.2; the JSON service never sees the Security header; the access line
 * carries the principal; the passwords (TEST_SECRETS) never reach a log or a fault.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as soap from 'soap';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import type { DemoBackend } from '../../fixtures/demo/backends';
import { request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

/** Debian's Python, where python3-zeep installs (as in zeep.test.ts). */
const PYTHON = '/usr/bin/python3';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const INV = 'urn:soap-bridge:demo:inventory';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

function post(url: string, version: '1.1' | '1.2', body: string): Promise<Reply> {
  const type = version === '1.1' ? 'text/xml; charset=utf-8' : 'application/soap+xml; charset=utf-8';
  return request(url, { method: 'POST', headers: { 'content-type': type }, body });
}

function envelope(version: '1.1' | '1.2', body: string, header = ''): string {
  const ns = version === '1.1' ? SOAP11 : SOAP12;
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${ns}" xmlns:inv="${INV}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/** The WS-Security fault code of a reply: SOAP 1.1 faultcode, SOAP 1.2 Subcode (with Sender as the Code). */
function wsseFault(r: Reply, version: '1.1' | '1.2'): string {
  if (version === '1.1') {
    const m = new RegExp(`<faultcode xmlns:wsse="${WSSE}">wsse:(\\w+)</faultcode>`).exec(r.text);
    return m ? `${r.status} ${m[1]}` : `${r.status} ${r.text}`;
  }
  const m = new RegExp(`<soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value xmlns:wsse="${WSSE}">wsse:(\\w+)</soap:Value></soap:Subcode>`).exec(r.text);
  return m ? `${r.status} ${m[1]}` : `${r.status} ${r.text}`;
}

/** The log lines matching `pred`, waiting (at most 5 s) until there is one: access lines are written when the response closes. */
async function logged(bridge: TestBridge, pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 100; i++) {
    const found = bridge.log.lines.filter(pred);
    if (found.length) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  return [];
}

describe('SOAP facade: inbound WS-Security UsernameToken (soapAuth)', function () {
  let inventory: DemoBackend;
  let recorder: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  let url: string;
  const recorded: { headers: http.IncomingHttpHeaders; body: string }[] = [];

  before(async () => {
    inventory = await startInventoryBackend(0);
    // A JSON service that shows what the bridge sends it.
    recorder = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        recorded.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ sku: 'BOK-1001', available: 1, warehouse: [] }));
      });
    });
    tmp = tempDir('soap-auth');
    const src = path.join(ROOT, 'wsdl', 'inventory');
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(src)) if (f !== 'mapping.yaml') files[f] = fs.readFileSync(path.join(src, f), 'utf8');
    const auth = `soapAuth:
  usernameToken:
    users:
      - username: \${SOAP_CLIENT_USER}
        password: \${SOAP_CLIENT_PASSWORD}
      - username: bob
        password: \${SOAP_CLIENT_PASSWORD_BOB}
    passwordTypes: [digest]
    maxAgeSec: 300
    clockSkewSec: 60
`;
    writeBundle(tmp.dir, 'inventory', { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${inventory.port}/inventory\n${auth}operations:\n  ListWarehouses:\n    soapAuth: false\n` });
    writeBundle(tmp.dir, 'recorded', { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${recorder.port}/json\n${auth}` });
    writeBundle(tmp.dir, 'open', { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${inventory.port}/inventory\n` });
    bridge = await startBridge(tmp.dir, { SOAP_CLIENT_USER: 'alice', SOAP_CLIENT_PASSWORD: TEST_SECRETS.wsPassword, SOAP_CLIENT_PASSWORD_BOB: TEST_SECRETS.bodyPassword });
    url = `${bridge.url}/soap/inventory`;
  });

  after(async () => {
    await bridge?.close();
    await Promise.all([inventory?.close(), recorder?.close()]);
    tmp?.remove();
  });

  for (const version of ['1.1', '1.2'] as const) {
    describe(`SOAP ${version}`, () => {
      const options = version === '1.2' ? { forceSoap12Headers: true } : {};

      it('answers node-soap with WSSecurity PasswordDigest (mustUnderstand too), and the access line names the user', async () => {
        const client = await soap.createClientAsync(`${url}?wsdl`, options);
        client.setSecurity(new soap.WSSecurity('alice', TEST_SECRETS.wsPassword, { passwordType: 'PasswordDigest', mustUnderstand: true }));
        const [stock] = await client.CheckStockAsync({ sku: 'PEN-2002' });
        assert.equal(stock.sku, 'PEN-2002');
        assert.equal(Number(stock.available), 40);
        assert.match(String(client.lastRequest), /mustUnderstand="1"/);
        const bob = await soap.createClientAsync(`${url}?wsdl`, options);
        bob.setSecurity(new soap.WSSecurity('bob', TEST_SECRETS.bodyPassword, { passwordType: 'PasswordDigest' }));
        const [list] = await bob.CheckStockAsync({ sku: 'BOK-1001' });
        assert.equal(list.sku, 'BOK-1001');
        const access = (p: string) => logged(bridge, (l) => l.message === 'access' && l.operation === 'CheckStock' && l.status === 200 && l.principal === p);
        assert.equal((await access('alice')).length > 0, true);
        assert.equal((await access('bob')).length > 0, true);
      });

      it('refuses a wrong password with wsse:FailedAuthentication and logs why, without the password', async () => {
        const client = await soap.createClientAsync(`${url}?wsdl`, options);
        client.setSecurity(new soap.WSSecurity('alice', TEST_SECRETS.bodyPassword, { passwordType: 'PasswordDigest' }));
        await assert.rejects(client.CheckStockAsync({ sku: 'PEN-2002' }), (e: { response?: { status: number; data?: string }; body?: string }) => {
          const text = String(e.body ?? e.response?.data ?? '');
          assert.equal(wsseFault({ status: e.response!.status, text, headers: {}, json: undefined }, version), `${version === '1.1' ? 500 : 400} FailedAuthentication`);
          assert.match(text, /The security token could not be authenticated or authorized/);
          assert.ok(!text.includes(TEST_SECRETS.bodyPassword) && !text.includes(TEST_SECRETS.wsPassword));
          return true;
        });
        const warn = await logged(bridge, (l) => l.level === 'warn' && l.message === 'WS-Security refused: wrong password digest' && l.username === 'alice' && l.fault === 'FailedAuthentication');
        assert.ok(warn.length > 0);
      });

      it('refuses the same envelope sent a second time (replay)', async () => {
        const client = await soap.createClientAsync(`${url}?wsdl`, options);
        client.setSecurity(new soap.WSSecurity('alice', TEST_SECRETS.wsPassword, { passwordType: 'PasswordDigest' }));
        await client.CheckStockAsync({ sku: 'INK-3003' });
        const sent = String(client.lastRequest);
        const again = await post(url, version, sent);
        assert.equal(wsseFault(again, version), `${version === '1.1' ? 500 : 400} FailedAuthentication`);
        assert.ok((await logged(bridge, (l) => l.message === 'WS-Security refused: nonce already used (replay)')).length > 0);
      });

      it('refuses a request without the header (wsse:InvalidSecurity) before looking at its body', async () => {
        const r = await post(url, version, envelope(version, '<inv:CheckStock><inv:sku>PEN-2002</inv:sku></inv:CheckStock>'));
        assert.equal(wsseFault(r, version), `${version === '1.1' ? 500 : 400} InvalidSecurity`);
        // An invalid body says nothing about the schema to an unauthenticated caller.
        const invalid = await post(url, version, envelope(version, '<inv:CheckStock><inv:nope>1</inv:nope></inv:CheckStock>'));
        assert.equal(wsseFault(invalid, version), `${version === '1.1' ? 500 : 400} InvalidSecurity`);
        assert.doesNotMatch(invalid.text, /violation|nope/);
        // An operation the service does not have is a Client fault for anyone, Security header or not.
        const sec = `<soap:Header><wsse:Security xmlns:wsse="${WSSE}" soap:mustUnderstand="${version === '1.1' ? '1' : 'true'}"/></soap:Header>`;
        const unknown = await post(url, version, envelope(version, '<inv:NoSuchOperation/>', sec));
        assert.match(unknown.text, /has no operation whose request starts with \{urn:soap-bridge:demo:inventory\}NoSuchOperation/);
        const refused = await logged(bridge, (l) => l.message === 'access' && l.requestId === invalid.headers['x-request-id']);
        assert.equal(refused.length, 1);
        assert.equal(refused[0].principal, undefined, 'no principal for a refused caller');
      });

      it('lets an operation with soapAuth: false through without a header, and keeps mustUnderstand faults there', async () => {
        const r = await post(url, version, envelope(version, '<inv:ListWarehouses/>'));
        assert.equal(r.status, 200, r.text);
        const client = await soap.createClientAsync(`${url}?wsdl`, options);
        client.setSecurity(new soap.WSSecurity('alice', TEST_SECRETS.wsPassword, { passwordType: 'PasswordDigest', mustUnderstand: true }));
        await assert.rejects(client.ListWarehousesAsync({}), (e: { body?: string }) => /MustUnderstand/.test(String(e.body)));
      });
    });
  }

  it('keeps the MustUnderstand fault for a wsse:Security header on a service without soapAuth', async () => {
    const client = await soap.createClientAsync(`${bridge.url}/soap/open?wsdl`);
    client.setSecurity(new soap.WSSecurity('alice', TEST_SECRETS.wsPassword, { passwordType: 'PasswordDigest', mustUnderstand: true }));
    await assert.rejects(client.CheckStockAsync({ sku: 'PEN-2002' }), (e: { body?: string }) => /<faultcode>soap:MustUnderstand<\/faultcode>/.test(String(e.body)));
  });

  it('does not pass the Security header, the password or the digest on to the JSON service', async () => {
    const client = await soap.createClientAsync(`${bridge.url}/soap/recorded?wsdl`);
    client.setSecurity(new soap.WSSecurity('alice', TEST_SECRETS.wsPassword, { passwordType: 'PasswordDigest' }));
    recorded.length = 0;
    await client.CheckStockAsync({ sku: 'BOK-1001' });
    assert.equal(recorded.length, 1);
    const digest = /<wsse:Password [^>]*>([^<]+)/.exec(String(client.lastRequest))![1];
    const seen = JSON.stringify(recorded[0]);
    assert.deepEqual(JSON.parse(recorded[0].body), { sku: 'BOK-1001' });
    for (const s of [TEST_SECRETS.wsPassword, digest, 'Security', 'UsernameToken', 'alice']) assert.ok(!seen.includes(s), `${s} reached the JSON service`);
  });

  it('answers zeep with UsernameToken(use_digest=True) over SOAP 1.1 and 1.2, and refuses a wrong password', async function () {
    this.timeout(60000);
    if (!fs.existsSync(PYTHON) || spawnSync(PYTHON, ['-c', 'import zeep'], { timeout: 20000 }).status !== 0) {
      process.stdout.write('      (zeep is not installed here: apt-get install -y python3-zeep)\n');
      this.skip();
    }
    const script = path.join(ROOT, 'fixtures', 'interop', 'zeep_wsse.py');
    const out = await new Promise<string>((resolve, reject) => {
      const env = { PATH: process.env.PATH, SB_ZEEP_WSSE_PASSWORD: TEST_SECRETS.wsPassword };
      execFile(PYTHON, [script, `${url}?wsdl`, 'alice'], { timeout: 50000, env }, (err, stdout, stderr) => {
        noteOutput('zeep_wsse.py', `${stdout}\n${stderr}`);
        if (err) reject(new Error(`${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const result = JSON.parse(out) as Record<string, { ok: any; wrong: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const port of ['InventorySoap', 'InventorySoap12']) {
      assert.deepEqual(result[port].ok, { sku: 'PEN-2002', available: 40 }, port);
      const fault = result[port].wrong.fault;
      assert.equal(fault.message, 'The security token could not be authenticated or authorized', port);
      if (port === 'InventorySoap') assert.match(fault.code, /FailedAuthentication$/);
      else {
        assert.match(fault.code, /Sender$/);
        assert.ok(fault.subcodes.some((c: string) => /FailedAuthentication$/.test(c)), JSON.stringify(fault));
      }
    }
  });
});
