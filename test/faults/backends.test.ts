/**
 * Fault injection (CONTRACT §5, §6; README "Errors"): SOAP and JSON backends on loopback that
 * refuse, reset, hang, drip, answer HTML, garbage, DTDs, entity bombs, oversized or schema-invalid
 * bodies. Every case asserts the exact status and problem type (REST facade) or fault code and
 * problem type (SOAP facade), that the bridge let go of the backend connection, and that its next
 * request to a healthy backend succeeds.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { freePort, postJson, request, startBridge, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { drip, startFaultyBackend, streamHuge, type FaultyBackend } from '../support/faulty';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const CALC = 'urn:soap-bridge:demo:calculator';
const INV = 'urn:soap-bridge:demo:inventory';
const TIMEOUT_MS = 400;
const MAX_BODY = 65536;
const HUGE = 50 * 1024 * 1024;

function calcEnvelope(body: string): string {
  return `<soap:Envelope xmlns:soap="${SOAP11}" xmlns:tns="${CALC}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}
const ADD_OK = `<?xml version="1.0"?>${calcEnvelope('<tns:AddResponse><tns:AddResult>5</tns:AddResult></tns:AddResponse>')}`;

const BILLION_LAUGHS =
  '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']>' +
  calcEnvelope('<tns:AddResponse><tns:AddResult>&lol9;</tns:AddResult></tns:AddResponse>');

const STOCK_OK = JSON.stringify({ sku: 'BOK-1001', available: 15, warehouse: [{ code: 'AMS', city: 'Amsterdam', quantity: 15 }] });

function faultOf(r: Reply): { code: string; type: string; reason: string } {
  return {
    code: /<faultcode>[^:<]*:?([^<]+)<\/faultcode>/.exec(r.text)?.[1] ?? '',
    type: /<sb:type>([^<]+)<\/sb:type>/.exec(r.text)?.[1] ?? '',
    reason: /<faultstring>([^<]*)<\/faultstring>/.exec(r.text)?.[1] ?? '',
  };
}

describe('fault injection: misbehaving backends', function () {
  this.timeout(20000);
  let soapBackend: FaultyBackend;
  let jsonBackend: FaultyBackend;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  let deadPort: number;

  before(async () => {
    soapBackend = await startFaultyBackend({
      ok: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(ADD_OK);
      },
      reset: (req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(ADD_OK) });
        res.write(ADD_OK.slice(0, 60), () => setTimeout(() => req.socket.destroy(), 20));
      },
      hang: () => undefined,
      drip: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        drip(res, '<?xml version="1.0"?>', 50);
      },
      html502: (_req, res) => {
        res.writeHead(502, { 'content-type': 'text/html' });
        res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      },
      notxml: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('this is not XML at all');
      },
      dtd: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(`<?xml version="1.0"?><!DOCTYPE soap:Envelope SYSTEM "file:///etc/passwd">${calcEnvelope('<tns:AddResponse><tns:AddResult>5</tns:AddResult></tns:AddResponse>')}`);
      },
      laughs: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(BILLION_LAUGHS);
      },
      huge: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': HUGE });
        streamHuge(res, `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}"><!--`, HUGE, 'x');
      },
      hugechunked: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        streamHuge(res, `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}"><!--`, HUGE, 'x');
      },
      invalid: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(calcEnvelope('<tns:AddResponse><tns:AddResult>five</tns:AddResult></tns:AddResponse>'));
      },
      fault12: (_req, res) => {
        res.writeHead(500, { 'content-type': 'application/soap+xml' });
        res.end(`<env:Envelope xmlns:env="${SOAP12}"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">boom</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`);
      },
    });
    jsonBackend = await startFaultyBackend({
      ok: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(STOCK_OK);
      },
      reset: (req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(STOCK_OK) });
        res.write(STOCK_OK.slice(0, 20), () => setTimeout(() => req.socket.destroy(), 20));
      },
      hang: () => undefined,
      drip: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        drip(res, '{', 50);
      },
      html: (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>maintenance</body></html>');
      },
      badjson: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"sku": "BOK-1001", "available": ');
      },
      huge: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': HUGE });
        streamHuge(res, '{"sku":"', HUGE, 'x');
      },
      invalid: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ sku: 'BOK-1001', available: 'many', warehouse: [{ code: 'X' }] }));
      },
      problem500: (_req, res) => {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: 'urn:x:db', title: 'Database down', status: 500, detail: 'connection pool exhausted' }));
      },
    });
    deadPort = await freePort();

    tmp = tempDir('faults');
    const calcWsdl = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
    for (const mode of ['ok', 'reset', 'hang', 'drip', 'html502', 'notxml', 'dtd', 'laughs', 'huge', 'hugechunked', 'invalid', 'fault12'])
      writeBundle(tmp.dir, `calc-${mode}`, { 'calculator.wsdl': calcWsdl, 'mapping.yaml': `soapBackend: ${soapBackend.url}/${mode}/calculator\n` });
    writeBundle(tmp.dir, 'calc-refused', { 'calculator.wsdl': calcWsdl, 'mapping.yaml': `soapBackend: http://127.0.0.1:${deadPort}/calculator\n` });

    const invDir = path.join(ROOT, 'wsdl', 'inventory');
    const inv: Record<string, string> = {};
    for (const f of fs.readdirSync(invDir)) if (f !== 'mapping.yaml') inv[f] = fs.readFileSync(path.join(invDir, f), 'utf8');
    for (const mode of ['ok', 'reset', 'hang', 'drip', 'html', 'badjson', 'huge', 'invalid', 'problem500'])
      writeBundle(tmp.dir, `inv-${mode}`, { ...inv, 'mapping.yaml': `restBackend: ${jsonBackend.url}/${mode}\n` });
    writeBundle(tmp.dir, 'inv-refused', { ...inv, 'mapping.yaml': `restBackend: http://127.0.0.1:${deadPort}/inventory\n` });

    bridge = await startBridge(tmp.dir, {}, { maxBodyBytes: String(MAX_BODY), backendTimeoutMs: String(TIMEOUT_MS), watch: 'false' });
  });

  after(async () => {
    await bridge?.close();
    await Promise.all([soapBackend?.close(), jsonBackend?.close()]);
    tmp?.remove();
  });

  describe('REST facade in front of a SOAP backend', () => {
    const healthy = async (): Promise<void> => {
      const r = await postJson(`${bridge.url}/api/calc-ok/Add`, { intA: 2, intB: 3 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { AddResult: 5 });
    };
    before(healthy);

    const cases: [string, string, number, string, RegExp | undefined][] = [
      ['refused connection (closed port)', 'refused', 502, 'backend-unreachable', undefined],
      ['reset in the middle of the body', 'reset', 502, 'backend-unreachable', undefined],
      ['never answers', 'hang', 504, 'backend-timeout', undefined],
      ['drips bytes beyond the timeout', 'drip', 504, 'backend-timeout', undefined],
      ['HTML with HTTP 502', 'html502', 502, 'backend-invalid-reply', /is not XML/],
      ['not XML', 'notxml', 502, 'backend-invalid-reply', undefined],
      ['XML with a DTD', 'dtd', 502, 'backend-invalid-reply', /DTD/],
      ['a billion-laughs document', 'laughs', 502, 'backend-invalid-reply', /DTD/],
      ['a 50 MB body with content-length', 'huge', 502, 'backend-invalid-reply', /65536/],
      ['a 50 MB body, chunked', 'hugechunked', 502, 'backend-invalid-reply', /65536/],
      ['a schema-invalid body', 'invalid', 502, 'backend-invalid-reply', undefined],
      ['a SOAP 1.2 Fault to a SOAP 1.1 call', 'fault12', 502, 'backend-invalid-reply', undefined],
    ];
    for (const [name, mode, status, type, detail] of cases) {
      it(`${name}: ${status} ${type}, then a healthy call succeeds`, async () => {
        const started = Date.now();
        const r = await postJson(`${bridge.url}/api/calc-${mode}/Add`, { intA: 2, intB: 3 }, { 'x-request-id': `fault-${mode}` });
        assert.equal(r.status, status, r.text);
        assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
        assert.equal(r.json.type, `urn:soap-bridge:problem:${type}`, r.text);
        assert.equal(r.json.status, status);
        assert.equal(r.json.requestId, `fault-${mode}`);
        if (detail) assert.match(r.json.detail, detail);
        assert.ok(Date.now() - started < TIMEOUT_MS + 3000, `answered after ${Date.now() - started} ms`);
        // The bridge does not keep a connection it can no longer use (reset, timeout, too big).
        if (['reset', 'hang', 'drip', 'huge', 'hugechunked'].includes(mode)) await soapBackend.allClosed(mode, 3000);
        await healthy();
      });
    }

    it('answers concurrent faulty and healthy calls independently', async () => {
      const [hang, ok, big] = await Promise.all([
        postJson(`${bridge.url}/api/calc-hang/Add`, { intA: 1, intB: 1 }),
        postJson(`${bridge.url}/api/calc-ok/Add`, { intA: 2, intB: 3 }),
        postJson(`${bridge.url}/api/calc-huge/Add`, { intA: 1, intB: 1 }),
      ]);
      assert.equal(hang.status, 504);
      assert.equal(ok.status, 200);
      assert.equal(big.status, 502);
      await healthy();
    });
  });

  describe('SOAP facade in front of a JSON backend', () => {
    const envelope = `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:inv="${INV}"><soap:Body><inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock></soap:Body></soap:Envelope>`;
    const call = (service: string, id?: string): Promise<Reply> =>
      request(`${bridge.url}/soap/${service}`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...(id ? { 'x-request-id': id } : {}) }, body: envelope });
    const healthy = async (): Promise<void> => {
      const r = await call('inv-ok');
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<tns:available>15<\/tns:available>|<[a-z0-9]+:available>15<\/[a-z0-9]+:available>/);
    };
    before(healthy);

    const cases: [string, string, string, RegExp | undefined][] = [
      ['refused connection (closed port)', 'refused', 'backend-unreachable', /cannot be reached/],
      ['reset in the middle of the body', 'reset', 'backend-unreachable', undefined],
      ['never answers', 'hang', 'backend-timeout', new RegExp(`within ${TIMEOUT_MS} ms`)],
      ['drips bytes beyond the timeout', 'drip', 'backend-timeout', undefined],
      ['HTML', 'html', 'backend-invalid-reply', /is not JSON/],
      ['invalid JSON', 'badjson', 'backend-invalid-reply', undefined],
      ['a 50 MB body', 'huge', 'backend-invalid-reply', /65536/],
      ['a schema-invalid body', 'invalid', 'backend-invalid-reply', /breaks the output schema/],
      // A 5xx is reported as backend-unreachable (pipeline/soap-to-rest.ts), with the service's status and problem in <backend>.
      ['500 with a problem', 'problem500', 'backend-unreachable', /HTTP 500\): Database down: connection pool exhausted/],
    ];
    for (const [name, mode, type, reason] of cases) {
      it(`${name}: HTTP 500 Server fault (${type}), then a healthy call succeeds`, async () => {
        const r = await call(`inv-${mode}`, `soap-fault-${mode}`);
        assert.equal(r.status, 500, r.text);
        assert.match(String(r.headers['content-type']), /^text\/xml/);
        const f = faultOf(r);
        assert.equal(f.code, 'Server', r.text);
        assert.equal(f.type, `urn:soap-bridge:problem:${type}`, r.text);
        assert.match(r.text, /<sb:requestId>soap-fault-/);
        if (reason) assert.match(f.reason, reason);
        if (mode === 'problem500') assert.match(r.text, /<sb:backend><sb:status>500<\/sb:status><sb:title>Database down<\/sb:title>/);
        if (['reset', 'hang', 'drip', 'huge'].includes(mode)) await jsonBackend.allClosed(mode, 3000);
        await healthy();
      });
    }
  });
});
