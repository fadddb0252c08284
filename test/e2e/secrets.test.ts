/**
 * Secrets redaction end to end, through both facades and their error paths: credentials the
 * caller sends (Authorization, x-api-key, password fields), the wsSecurity password and the
 * restHeaders token from the environment, echoed back by backends, never appear in an error
 * body; the suite-wide guard (test/log/secrets-guard.test.ts) checks the captured logs.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const INV = 'urn:soap-bridge:demo:inventory';
const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const INV_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory.wsdl'), 'utf8');
const INV_XSD = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory-types.xsd'), 'utf8');
const ALL = Object.values(TEST_SECRETS);

function env11(body: string, header = ''): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:inv="${INV}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

function assertClean(r: Reply, what: string): void {
  noteOutput(`reply: ${what}`, r.text);
  for (const s of ALL) assert.ok(!r.text.includes(s), `${what}: ${s} leaked in ${r.text}`);
}

describe('secrets redaction end to end', function () {
  let rec: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  const seen: string[] = [];

  before(async () => {
    rec = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push(`${JSON.stringify(req.headers)}\n${body}`);
        if (req.url?.startsWith('/soap/echo')) {
          // A careless backend: the Fault echoes the Security header and the password in clear.
          const sec = (/<wsse:Security[\s\S]*?<\/wsse:Security>/.exec(body)?.[0] ?? '').replace(/ soap:mustUnderstand="[^"]*"/, '');
          const pw = /<wsse:Password[^>]*>([^<]*)</.exec(body)?.[1] ?? '';
          const esc = sec.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
          const fault = `<e:Envelope xmlns:e="${SOAP11}"><e:Body><e:Fault><faultcode>e:Server</faultcode><faultstring>login refused for password ${pw}</faultstring><detail><echo>${esc}</echo>${sec}</detail></e:Fault></e:Body></e:Envelope>`;
          res.writeHead(500, { 'content-type': 'text/xml' });
          res.end(fault);
          return;
        }
        // The JSON service behind the SOAP facade refuses and echoes what it got.
        res.writeHead(400, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Refused', detail: `got authorization=${String(req.headers.authorization)} and ${body}` }));
      });
    });
    tmp = tempDir('secrets');
    writeBundle(tmp.dir, 'secure', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': 'soapBackend: http://127.0.0.1:${REC_PORT}/soap/echo\nsecurity:\n  usernameToken:\n    username: integrator\n    password: ${SB_TEST_WS_PASSWORD}\n',
    });
    writeBundle(tmp.dir, 'stock', {
      'inventory.wsdl': INV_WSDL,
      'inventory-types.xsd': INV_XSD,
      'mapping.yaml': 'restBackend: http://127.0.0.1:${REC_PORT}/json\nrestHeaders:\n  Authorization: Bearer ${SB_TEST_REST_TOKEN}\n',
    });
    bridge = await startBridge(tmp.dir, { REC_PORT: String(rec.port), SB_TEST_WS_PASSWORD: TEST_SECRETS.wsPassword, SB_TEST_REST_TOKEN: TEST_SECRETS.restToken });
  });

  after(async () => {
    await bridge?.close();
    await rec?.close();
    tmp?.remove();
  });

  it('REST facade: a backend Fault echoing the WS-Security password is redacted in the problem', async () => {
    const r = await postJson(`${bridge.url}/api/secure/Add`, { intA: 1, intB: 2 }, { authorization: `Bearer ${TEST_SECRETS.bearer}`, 'x-api-key': TEST_SECRETS.apiKey });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json?.type, 'urn:soap-bridge:problem:backend-fault', r.text);
    assert.ok(r.text.includes('[REDACTED]'), r.text);
    assert.ok(seen.some((s) => s.includes(TEST_SECRETS.wsPassword)), 'the backend did get the password');
    assertClean(r, 'backend fault echo');
  });

  it('REST facade: password fields in invalid and malformed bodies are not echoed', async () => {
    const invalid = await postJson(`${bridge.url}/api/secure/Add`, { intA: 'x', intB: 2, password: TEST_SECRETS.bodyPassword }, { authorization: `Basic ${TEST_SECRETS.bearer}` });
    assert.equal(invalid.status, 400, invalid.text);
    assertClean(invalid, 'invalid body');
    const malformed = await postJson(`${bridge.url}/api/secure/Add`, `{"password":"${TEST_SECRETS.bodyPassword}", "intA": 1,,}`, { cookie: `sid=${TEST_SECRETS.bearer}` });
    assert.equal(malformed.status, 400, malformed.text);
    assertClean(malformed, 'malformed body');
  });

  it('SOAP facade: a JSON backend echoing the restHeaders token and a password is redacted in the Fault', async () => {
    const header = `<soap:Header><wsse:Security xmlns:wsse="${WSSE}"><wsse:UsernameToken><wsse:Username>u</wsse:Username><wsse:Password>${TEST_SECRETS.bodyPassword}</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header>`;
    const r = await request(`${bridge.url}/soap/stock`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', authorization: `Bearer ${TEST_SECRETS.bearer}` },
      body: env11('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>', header),
    });
    assert.ok(r.status >= 400, r.text);
    assert.ok(seen.some((s) => s.includes(TEST_SECRETS.restToken)), 'the JSON backend did get the token');
    assertClean(r, 'soap facade backend refusal');
  });

  it('SOAP facade: malformed XML holding a WS-Security password is not echoed', async () => {
    const body = `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}"><soap:Header><wsse:Security xmlns:wsse="${WSSE}"><wsse:Password>${TEST_SECRETS.bodyPassword}</wsse:Password></wsse:Security><soap:Body><oops></soap:Envelope>`;
    const r = await request(`${bridge.url}/soap/stock`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', 'x-api-key': TEST_SECRETS.apiKey }, body });
    assert.ok(r.status >= 400, r.text);
    assertClean(r, 'malformed xml');
  });

  it('logged something for these requests (the guard has lines to check)', () => {
    assert.ok(bridge.log.lines.length > 0);
  });
});
