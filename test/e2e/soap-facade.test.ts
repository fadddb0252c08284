/**
 * The SOAP facade end to end (CONTRACT §3, §5, §6): the published contract, node-soap's client
 * against every operation of the demo over SOAP 1.1 and 1.2, bad input, and JSON services that
 * misbehave.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as soap from 'soap';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import type { DemoBackend } from '../../fixtures/demo/backends';
import { request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const INV = 'urn:soap-bridge:demo:inventory';

function env11(body: string, header = ''): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:inv="${INV}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}
function env12(body: string, header = ''): string {
  return `<?xml version="1.0"?><env:Envelope xmlns:env="${SOAP12}" xmlns:inv="${INV}">${header}<env:Body>${body}</env:Body></env:Envelope>`;
}

function post11(url: string, body: string, action?: string, extra: Record<string, string> = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8', ...extra };
  if (action !== undefined) headers.soapaction = `"${action}"`;
  return request(url, { method: 'POST', headers, body });
}
function post12(url: string, body: string, action?: string): Promise<Reply> {
  return request(url, { method: 'POST', headers: { 'content-type': `application/soap+xml; charset=utf-8${action ? `; action="${action}"` : ''}` }, body });
}

/** faultcode/Value local part and faultstring/Reason text of a fault reply. */
function faultOf(r: Reply): { code: string; reason: string; detail: string } {
  const code = /<faultcode>[^:<]*:?([^<]+)<\/faultcode>/.exec(r.text)?.[1] ?? /<soap:Value>soap:([^<]+)<\/soap:Value>/.exec(r.text)?.[1] ?? '';
  const reason = /<faultstring>([^<]*)<\/faultstring>/.exec(r.text)?.[1] ?? /<soap:Text xml:lang="en">([^<]*)<\/soap:Text>/.exec(r.text)?.[1] ?? '';
  const detail = /<(?:detail|soap:Detail)>([\s\S]*)<\/(?:detail|soap:Detail)>/.exec(r.text)?.[1] ?? '';
  return { code, reason, detail };
}

describe('SOAP facade end to end', function () {
  let inventory: DemoBackend;
  let bad: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let proxied: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  let soapUrl: string;
  const seen: http.IncomingHttpHeaders[] = [];
  const hanging: http.ServerResponse[] = [];

  before(async () => {
    inventory = await startInventoryBackend(0);
    bad = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push(req.headers);
        const json = (status: number, body: unknown, type = 'application/json'): void => {
          res.writeHead(status, { 'content-type': type });
          res.end(typeof body === 'string' ? body : JSON.stringify(body));
        };
        const route = req.url!.split('/').slice(0, -1).join('/');
        switch (route) {
          case '/json/500':
            return json(500, { title: 'Database down', detail: 'connection pool exhausted' }, 'application/problem+json');
          case '/json/html':
            return json(200, '<html>oops</html>', 'text/html');
          case '/json/invalid':
            return json(200, { sku: 'nope', available: 'many', warehouse: [{ code: 'X' }] });
          case '/json/empty':
            res.writeHead(204);
            return res.end();
          case '/json/hang':
            hanging.push(res);
            return;
          case '/json/control':
            return json(200, { sku: 'BOK-1001', available: 1, warehouse: [{ code: 'A\u0001', city: 'c', quantity: 1 }] });
          default:
            return json(404, { title: 'nothing here' });
        }
      });
    });
    tmp = tempDir('soap-facade');
    const src = path.join(ROOT, 'wsdl', 'inventory');
    const files: Record<string, string> = {};
    for (const f of fs.readdirSync(src)) if (f !== 'mapping.yaml') files[f] = fs.readFileSync(path.join(src, f), 'utf8');
    writeBundle(tmp.dir, 'inventory', { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${inventory.port}/inventory\n` });
    for (const b of ['500', 'html', 'invalid', 'empty', 'control', 'missing'])
      writeBundle(tmp.dir, `bad-${b}`, { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${bad.port}/json/${b}\n` });
    writeBundle(tmp.dir, 'bad-hang', { ...files, 'mapping.yaml': `restBackend: http://127.0.0.1:${bad.port}/json/hang\ntimeoutMs: 300\n` });
    writeBundle(tmp.dir, 'bad-unreachable', { ...files, 'mapping.yaml': 'restBackend: http://127.0.0.1:9/nothing\n' });
    // Two operations with the same request element: only the action tells them apart.
    writeBundle(tmp.dir, 'twins', {
      'twins.wsdl': `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:twins" targetNamespace="urn:twins">
  <types><xs:schema targetNamespace="urn:twins" elementFormDefault="qualified">
    <xs:element name="Req"><xs:complexType><xs:sequence><xs:element name="n" type="xs:int"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="Res"><xs:complexType><xs:sequence><xs:element name="n" type="xs:int"/></xs:sequence></xs:complexType></xs:element>
  </xs:schema></types>
  <message name="In"><part name="req" element="t:Req"/></message><message name="Out"><part name="res" element="t:Res"/></message>
  <portType name="P"><operation name="Double"><input message="t:In"/><output message="t:Out"/></operation><operation name="Negate"><input message="t:In"/><output message="t:Out"/></operation></portType>
  <binding name="B" type="t:P"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Double"><soap:operation soapAction="urn:twins#Double"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
    <operation name="Negate"><soap:operation soapAction="urn:twins#Negate"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
</definitions>`,
      'mapping.yaml': `restBackend: http://127.0.0.1:${bad.port}/twins\n`,
    });
    bridge = await startBridge(tmp.dir, {}, { maxBodyBytes: '65536' });
    proxied = await startBridge(tmp.dir, {}, { trustProxy: 'true' });
    soapUrl = `${bridge.url}/soap/inventory`;
  });

  after(async () => {
    for (const r of hanging) r.destroy();
    await Promise.all([bridge?.close(), proxied?.close()]);
    await Promise.all([inventory?.close(), bad?.close()]);
    tmp?.remove();
  });

  describe('the published contract (GET /soap/{service}?wsdl)', () => {
    it('points soap:address at the bridge and every import at a URL the bridge serves', async () => {
      const r = await request(`${soapUrl}?wsdl`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'text/xml; charset=utf-8');
      const addresses = [...r.text.matchAll(/<soap(?:12)?:address location="([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(addresses, [soapUrl, soapUrl]);
      assert.match(r.text, new RegExp(`<xs:include schemaLocation="${soapUrl.replace(/[.?]/g, '\\$&')}\\?xsd=1"/>`));
      const xsd = await request(`${soapUrl}?xsd=1`);
      assert.equal(xsd.status, 200);
      assert.match(xsd.text, /<xs:complexType name="Warehouse">/);
      assert.equal((await request(`${soapUrl}?WSDL`)).text, r.text, '?WSDL works too');
    });
    it('answers 304 to a matching If-None-Match and 404 for documents it does not have', async () => {
      const r = await request(`${soapUrl}?wsdl`);
      assert.match(String(r.headers.etag), /^"[\w-]+"$/);
      const again = await request(`${soapUrl}?wsdl`, { headers: { 'if-none-match': String(r.headers.etag) } });
      assert.equal(again.status, 304);
      assert.equal(again.text, '');
      assert.equal((await request(`${soapUrl}?xsd=9`)).status, 404);
      assert.equal((await request(`${soapUrl}`)).status, 404);
      assert.equal((await request(`${bridge.url}/soap/calculator?wsdl`)).status, 404, 'no SOAP facade there');
    });
    it('takes the scheme and host from X-Forwarded-* only behind a trusted proxy', async () => {
      const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gateway.example.com' };
      const plain = await request(`${soapUrl}?wsdl`, { headers: fwd });
      assert.match(plain.text, new RegExp(`location="${bridge.url}/soap/inventory"`));
      const trusted = await request(`${proxied.url}/soap/inventory?wsdl`, { headers: fwd });
      assert.match(trusted.text, /location="https:\/\/gateway\.example\.com\/soap\/inventory"/);
      assert.match(trusted.text, /schemaLocation="https:\/\/gateway\.example\.com\/soap\/inventory\?xsd=1"/);
      const bad = await request(`${soapUrl}?wsdl`, { headers: { host: 'evil.example.com"><x' } });
      assert.notEqual(bad.status, 200);
    });
  });

  describe('node-soap client, every operation, SOAP 1.1 and 1.2', () => {
    for (const version of ['1.1', '1.2'] as const) {
      it(`calls CheckStock, ReserveStock, ListWarehouses and SetPrice over SOAP ${version}`, async () => {
        const client = await soap.createClientAsync(`${soapUrl}?wsdl`, version === '1.2' ? { forceSoap12Headers: true } : {});
        const [stock] = await client.CheckStockAsync({ sku: 'PEN-2002' });
        assert.equal(stock.sku, 'PEN-2002');
        assert.equal(Number(stock.available), 40);
        assert.equal(stock.warehouse[0].city, 'Lyon');
        const [reservation] = await client.ReserveStockAsync({ sku: 'LMP-4004', quantity: 1, customerRef: `c-${version}` });
        assert.match(reservation.reservationId, /^RSV-\d{6}$/);
        assert.ok(Number(reservation.remaining) >= 0);
        const [list] = await client.ListWarehousesAsync({});
        assert.deepEqual(list.warehouse.map((w: { code: string }) => w.code), ['AMS', 'BER', 'LYS']);
        const [price] = await client.SetPriceAsync({ sku: 'PEN-2002', price: { attributes: { currency: 'EUR' }, $value: '19.99' } });
        assert.equal(price.sku, 'PEN-2002');
        assert.equal(String(price.price.$value ?? price.price), '19.99');
      });
      it(`receives a refused reservation as a fault it understands over SOAP ${version}`, async () => {
        const client = await soap.createClientAsync(`${soapUrl}?wsdl`, version === '1.2' ? { forceSoap12Headers: true } : {});
        await assert.rejects(client.ReserveStockAsync({ sku: 'BOK-1001', quantity: 999 }), (e: { root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } }; response?: { status: number } }) => {
          const fault = e.root?.Envelope?.Body?.Fault;
          assert.ok(fault, 'a SOAP Fault');
          if (version === '1.1') {
            assert.equal(fault.faultcode, 'soap:Client');
            assert.match(String(fault.faultstring), /^Insufficient stock: only \d+ of BOK-1001 available, 999 asked$/);
            assert.equal(e.response?.status, 500);
          } else {
            assert.equal((fault.Code as { Value: string }).Value, 'soap:Sender');
            assert.equal(e.response?.status, 400);
          }
          return true;
        });
      });
    }
  });

  describe('envelopes in', () => {
    it('answers a SOAP 1.1 request with a SOAP 1.1 response, schema order and types kept', async () => {
      const r = await post11(soapUrl, env11('<inv:SetPrice><inv:sku>INK-3003</inv:sku><inv:price currency="GBP">7.250</inv:price></inv:SetPrice>'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['content-type'], 'text/xml; charset=utf-8');
      assert.match(r.text, /<tns:SetPriceResponse><tns:sku>INK-3003<\/tns:sku><tns:price currency="GBP">7\.25<\/tns:price><tns:previous xsi:nil="true"\/><\/tns:SetPriceResponse>/);
    });
    it('answers a SOAP 1.2 request in SOAP 1.2; the action parameter is optional', async () => {
      const r = await post12(soapUrl, env12('<inv:ListWarehouses/>'));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['content-type'], 'application/soap+xml; charset=utf-8');
      assert.match(r.text, new RegExp(`^<\\?xml version="1\\.0" encoding="utf-8"\\?><soap:Envelope xmlns:soap="${SOAP12}"`));
    });
    it('finds the operation from the Body, the SOAPAction only where that is ambiguous', async () => {
      const url = `${bridge.url}/soap/twins`;
      const body = env11('<t:Req xmlns:t="urn:twins"><t:n>2</t:n></t:Req>');
      seen.length = 0;
      await post11(url, body, 'urn:twins#Negate');
      assert.equal(seen.length, 1);
      const ambiguous = await post11(url, body);
      assert.equal(ambiguous.status, 500);
      assert.match(faultOf(ambiguous).reason, /matches operations Double, Negate; the SOAPAction header is missing/);
      const wrong = await post11(url, body, 'urn:twins#Square');
      assert.match(faultOf(wrong).reason, /"urn:twins#Square" matches none of them/);
    });
    it('ignores a SOAPAction that disagrees where the Body decides', async () => {
      const r = await post11(soapUrl, env11('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'), 'urn:something#else');
      assert.equal(r.status, 200, r.text);
    });
    it('lists every violation of the input schema in the fault detail', async () => {
      const r = await post11(soapUrl, env11('<inv:ReserveStock><inv:sku>bad</inv:sku><inv:quantity>0</inv:quantity><inv:extra/></inv:ReserveStock>'));
      assert.equal(r.status, 500);
      const f = faultOf(r);
      assert.equal(f.code, 'Client');
      const violations = [...f.detail.matchAll(/<sb:violation><sb:pointer>([^<]*)<\/sb:pointer><sb:message>([^<]*)<\/sb:message><\/sb:violation>/g)].map((m) => [m[1], m[2]]);
      assert.deepEqual(violations.map((v) => v[0]).sort(), ['', '/quantity', '/sku']);
      assert.match(f.detail, /<sb:type>urn:soap-bridge:problem:validation-failed<\/sb:type>/);
      const r12 = await post12(soapUrl, env12('<inv:CheckStock/>'));
      assert.equal(r12.status, 400);
      assert.equal(faultOf(r12).code, 'Sender');
      assert.match(faultOf(r12).detail, /<sb:pointer>\/sku<\/sb:pointer><sb:message>is required<\/sb:message>/);
    });
    it('refuses a header block it must understand (MustUnderstand), and ignores optional ones', async () => {
      const mu11 = await post11(soapUrl, env11('<inv:ListWarehouses/>', '<soap:Header><x:Tx xmlns:x="urn:tx" soap:mustUnderstand="1">1</x:Tx></soap:Header>'));
      assert.equal(mu11.status, 500);
      assert.equal(faultOf(mu11).code, 'MustUnderstand');
      const mu12 = await post12(soapUrl, env12('<inv:ListWarehouses/>', '<env:Header><x:Tx xmlns:x="urn:tx" env:mustUnderstand="true">1</x:Tx></env:Header>'));
      assert.equal(mu12.status, 500);
      assert.equal(faultOf(mu12).code, 'MustUnderstand');
      assert.match(mu12.text, /<soap:NotUnderstood xmlns:h0="urn:tx" qname="h0:Tx"\/>/);
      const elsewhere = await post11(soapUrl, env11('<inv:ListWarehouses/>', '<soap:Header><x:Tx xmlns:x="urn:tx" soap:mustUnderstand="1" soap:actor="urn:someone-else">1</x:Tx></soap:Header>'));
      assert.equal(elsewhere.status, 200);
      const optional = await post11(soapUrl, env11('<inv:ListWarehouses/>', '<soap:Header><x:Trace xmlns:x="urn:trace">abc</x:Trace></soap:Header>'));
      assert.equal(optional.status, 200);
    });
    it('answers VersionMismatch for an Envelope in an unknown namespace', async () => {
      const r = await post11(soapUrl, '<e:Envelope xmlns:e="urn:soap:3"><e:Body/></e:Envelope>');
      assert.equal(r.status, 500);
      assert.equal(faultOf(r).code, 'VersionMismatch');
      const r12 = await post12(soapUrl, '<e:Envelope xmlns:e="urn:soap:3"><e:Body/></e:Envelope>');
      assert.equal(faultOf(r12).code, 'VersionMismatch');
      assert.match(r12.text, /<soap:Upgrade>/);
    });
    it('checks the envelope version against the content type', async () => {
      const r = await request(soapUrl, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: env12('<inv:ListWarehouses/>') });
      assert.equal(r.status, 400, 'a SOAP 1.2 fault: the envelope is SOAP 1.2');
      assert.match(faultOf(r).reason, /a SOAP 1\.2 envelope must come as application\/soap\+xml, not text\/xml/);
    });
  });

  describe('bad input: the right fault and status, never a crash', () => {
    const cases: [string, () => Promise<Reply>, number, string, RegExp][] = [
      ['malformed XML (1.1)', () => post11(soapUrl, '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><inv:X>'), 500, 'Client', /not well-formed XML/],
      ['malformed XML (1.2)', () => post12(soapUrl, '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body></env:Bodyy></env:Envelope>'), 400, 'Sender', /not well-formed XML: end tag/],
      ['not a SOAP envelope', () => post11(soapUrl, '<order><id>1</id></order>'), 500, 'Client', /not a SOAP envelope: expected a SOAP Envelope, found order/],
      ['a DOCTYPE', () => post11(soapUrl, '<!DOCTYPE x [<!ENTITY e "x">]>' + env11('<inv:ListWarehouses/>')), 500, 'Client', /holds a DTD, which is refused/],
      ['an external entity', () => post11(soapUrl, '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + env11('<inv:CheckStock><inv:sku>&xxe;</inv:sku></inv:CheckStock>').replace('<?xml version="1.0"?>', '')), 500, 'Client', /DTD/],
      ['an undefined entity', () => post11(soapUrl, env11('<inv:CheckStock><inv:sku>&lol;</inv:sku></inv:CheckStock>')), 500, 'Client', /undefined entity &amp;lol;/],
      ['an unknown operation', () => post11(soapUrl, env11('<inv:Explode/>')), 500, 'Client', /no operation whose request starts with \{urn:soap-bridge:demo:inventory\}Explode/],
      ['an empty body', () => post11(soapUrl, ''), 500, 'Client', /the request body is empty/],
      ['an empty SOAP Body', () => post11(soapUrl, env11('')), 500, 'Client', /no operation whose request has an empty Body/],
      ['a body over the limit', () => post11(soapUrl, env11(`<inv:CheckStock><inv:sku>${'A'.repeat(70000)}</inv:sku></inv:CheckStock>`)), 500, 'Client', /over the 65536-byte limit|is \d+ bytes; the limit is 65536/],
      ['a wrong content type', () => request(soapUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 500, 'Client', /Content-Type application\/json is not SOAP/],
      ['an unknown service', () => post11(`${bridge.url}/soap/nosuch`, env11('<inv:ListWarehouses/>')), 500, 'Client', /no service named "nosuch"/],
      ['a service without SOAP facade', () => post11(`${bridge.url}/soap/calculator`, env11('<inv:ListWarehouses/>')), 500, 'Client', /no service named "calculator"|has no SOAP facade/],
      ['a Fault as the request', () => post11(soapUrl, env11('<soap:Fault><faultcode>soap:Client</faultcode><faultstring>x</faultstring></soap:Fault>')), 500, 'Client', /holds a Fault, not an operation/],
    ];
    for (const [name, send, status, code, reason] of cases) {
      it(name, async () => {
        const r = await send();
        assert.equal(r.status, status, r.text);
        const f = faultOf(r);
        assert.equal(f.code, code, r.text);
        assert.match(f.reason, reason);
        assert.match(f.detail, /<sb:requestId>[^<]+<\/sb:requestId>/);
        assert.equal((await post11(soapUrl, env11('<inv:ListWarehouses/>'))).status, 200, 'the next request is served');
      });
    }
  });

  describe('the JSON service misbehaving', () => {
    const cases: [string, string, number, string, RegExp][] = [
      ['a 5xx problem', 'bad-500', 500, 'Server', /the JSON service failed on CheckStock \(HTTP 500\): Database down: connection pool exhausted/],
      ['a 4xx without problem', 'bad-missing', 500, 'Client', /the JSON service refused CheckStock \(HTTP 404\)|nothing here/],
      ['not JSON', 'bad-html', 500, 'Server', /is not JSON \(content-type text\/html\)/],
      ['an answer that breaks the output schema', 'bad-invalid', 500, 'Server', /breaks the output schema \(\d+ violations\)/],
      ['an empty answer where fields are required', 'bad-empty', 500, 'Server', /breaks the output schema/],
      ['a character XML cannot carry', 'bad-control', 500, 'Server', /holds a character XML cannot carry/],
      ['unreachable', 'bad-unreachable', 500, 'Server', /cannot be reached/],
      ['too slow', 'bad-hang', 500, 'Server', /did not answer CheckStock within 300 ms/],
    ];
    for (const [name, service, status, code, reason] of cases) {
      it(name, async () => {
        const r = await post11(`${bridge.url}/soap/${service}`, env11('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
        assert.equal(r.status, status, r.text);
        assert.equal(faultOf(r).code, code, r.text);
        assert.match(faultOf(r).reason, reason);
        assert.doesNotMatch(r.text, /<tns:CheckStockResponse>/, 'never an invalid envelope to the caller');
      });
    }
    it('lists the output violations of the JSON service in the fault detail', async () => {
      const r = await post11(`${bridge.url}/soap/bad-invalid`, env11('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
      const pointers = [...faultOf(r).detail.matchAll(/<sb:pointer>([^<]*)<\/sb:pointer>/g)].map((m) => m[1]).sort();
      assert.deepEqual(pointers, ['/available', '/sku', '/warehouse/0/city', '/warehouse/0/quantity']);
    });
    it('carries the problem of a 4xx answer in the fault, and sends the request id on', async () => {
      seen.length = 0;
      const r = await post12(`${soapUrl}`, env12('<inv:CheckStock><inv:sku>ZZZ-999</inv:sku></inv:CheckStock>'));
      assert.equal(r.status, 400);
      assert.equal(faultOf(r).reason, 'Unknown article: no article ZZZ-999');
      assert.match(faultOf(r).detail, /<sb:backend><sb:status>404<\/sb:status><sb:title>Unknown article<\/sb:title><sb:detail>no article ZZZ-999<\/sb:detail><\/sb:backend>/);
      const id = 'soap-trace-1';
      await post11(`${bridge.url}/soap/bad-500`, env11('<inv:ListWarehouses/>'), undefined, { 'x-request-id': id });
      assert.equal(seen.at(-1)?.['x-request-id'], id);
      assert.equal(seen.at(-1)?.['content-type'], 'application/json');
    });
    it('sends the input as JSON to {restBackend}/{operation}', async () => {
      seen.length = 0;
      const r = await post11(`${bridge.url}/soap/twins`, env11('<t:Req xmlns:t="urn:twins"><t:n>+0021</t:n></t:Req>'), 'urn:twins#Double');
      assert.equal(r.status, 500, 'the mock answers 404');
      assert.equal(seen.length, 1);
    });
  });

  it('writes an access line per SOAP request with service and operation', async () => {
    await post11(soapUrl, env11('<inv:ListWarehouses/>'), undefined, { 'x-request-id': 'soap-log-1' });
    await new Promise((r) => setTimeout(r, 20));
    const line = bridge.log.lines.find((l) => l.requestId === 'soap-log-1' && l.message === 'access');
    assert.ok(line);
    assert.equal(line.service, 'inventory');
    assert.equal(line.operation, 'ListWarehouses');
    assert.equal(line.status, 200);
    assert.equal(typeof line.backendMs, 'number');
  });
});
