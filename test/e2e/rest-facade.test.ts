/**
 * The REST facade end to end over HTTP: the demo bundles against their node-soap backends,
 * and every row of CONTRACT §5 that applies to the REST facade, with misbehaving backends.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, startOrdersBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';

function envelope11(body: string, extra = ''): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:tns="urn:soap-bridge:demo:calculator"${extra}><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

interface Recorded {
  headers: http.IncomingHttpHeaders;
  body: string;
}

describe('REST facade end to end (CONTRACT §3, §5)', function () {
  let calc: DemoBackend;
  let orders: DemoBackend;
  let bad: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  let deadPort: number;
  const recorded: Recorded[] = [];
  const hanging: http.ServerResponse[] = [];
  let api: string;

  before(async () => {
    calc = await startCalculatorBackend(0);
    orders = await startOrdersBackend(0);
    bad = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const send = (status: number, type: string, body: string): void => {
          res.writeHead(status, { 'content-type': type });
          res.end(body);
        };
        switch (req.url) {
          case '/bad/garbage':
            return send(502, 'text/html', '<html><body>Bad Gateway</body></html>');
          case '/bad/notxml':
            return send(200, 'application/json', '{"AddResult":5}');
          case '/bad/malformed':
            return send(200, 'text/xml', envelope11('<tns:AddResponse><tns:AddResult>5</tns:AddResult>'));
          case '/bad/invalid':
            return send(200, 'text/xml', envelope11('<tns:AddResponse><tns:AddResult>five</tns:AddResult></tns:AddResponse>'));
          case '/bad/missing':
            return send(200, 'text/xml', envelope11('<tns:AddResponse/>'));
          case '/bad/dtd':
            return send(200, 'text/xml', `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>` + envelope11('<tns:AddResponse><tns:AddResult>&b;</tns:AddResult></tns:AddResponse>').replace('<?xml version="1.0"?>', ''));
          case '/bad/v12':
            return send(500, 'application/soap+xml', `<env:Envelope xmlns:env="${SOAP12}"><env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">boom</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`);
          case '/bad/fault12':
            return send(
              500,
              'application/soap+xml; charset=utf-8',
              `<env:Envelope xmlns:env="${SOAP12}" xmlns:m="urn:app"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>m:Quota</env:Value><env:Subcode><env:Value>m:Daily</env:Value></env:Subcode></env:Subcode></env:Code><env:Reason><env:Text xml:lang="de">Kontingent</env:Text><env:Text xml:lang="en">quota exceeded</env:Text></env:Reason><env:Role>urn:role:gateway</env:Role><env:Detail><m:limit>100</m:limit></env:Detail></env:Fault></env:Body></env:Envelope>`,
            );
          case '/bad/fault11':
            return send(500, 'text/xml', envelope11('<soap:Fault><faultcode>soap:Server.Kaboom</faultcode><faultstring>it broke</faultstring><faultactor>urn:actor</faultactor><detail><e:info xmlns:e="urn:e" e:level="3"><e:code>17</e:code><e:code>18</e:code></e:info></detail></soap:Fault>'));
          case '/bad/big':
            return send(200, 'text/xml', envelope11(`<tns:AddResponse><tns:AddResult>5</tns:AddResult></tns:AddResponse><!--${'x'.repeat(80000)}-->`));
          case '/bad/hang':
            hanging.push(res);
            return;
          case '/bad/record':
            recorded.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
            return send(200, 'text/xml; charset=utf-8', envelope11('<tns:AddResponse><tns:AddResult>42</tns:AddResult></tns:AddResponse>'));
          case '/bad/latin1':
            res.writeHead(200, { 'content-type': 'text/xml; charset=iso-8859-1' });
            return res.end(Buffer.from(envelope11('<tns:DivideResponse><tns:DivideResult>1</tns:DivideResult><tns:Remainder>0</tns:Remainder></tns:DivideResponse>'), 'latin1'));
          default:
            return send(404, 'text/plain', 'no');
        }
      });
    });
    const probe = await startHttp(() => undefined);
    deadPort = probe.port;
    await probe.close();

    tmp = tempDir('e2e');
    // The demo WSDLs with the contract's defaults only: custom routes and fault rules of the
    // demo mappings are tested in mapping.test.ts; here every status is the contract's own.
    for (const [name, port] of [['calculator', 'DEMO_CALCULATOR_PORT'], ['orders', 'DEMO_ORDERS_PORT']]) {
      const src = path.join(ROOT, 'wsdl', name);
      const dst = path.join(tmp.dir, name);
      fs.mkdirSync(dst);
      for (const f of fs.readdirSync(src)) if (f !== 'mapping.yaml') fs.copyFileSync(path.join(src, f), path.join(dst, f));
      fs.writeFileSync(path.join(dst, 'mapping.yaml'), `soapBackend: http://127.0.0.1:\${${port}}/${name}\n`);
    }
    const calcBundle = (name: string, mapping: string): void => {
      writeBundle(tmp.dir, name, { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': mapping });
    };
    calcBundle('calculator12', 'soapVersion: "1.2"\nsoapBackend: http://127.0.0.1:${DEMO_CALCULATOR_PORT}/calculator12\n');
    for (const b of ['garbage', 'notxml', 'malformed', 'invalid', 'missing', 'dtd', 'v12', 'fault11', 'big', 'record', 'latin1']) {
      calcBundle(`bad-${b}`, `soapBackend: http://127.0.0.1:\${BAD_PORT}/bad/${b}\n`);
    }
    calcBundle('bad-fault12', 'soapVersion: "1.2"\nsoapBackend: http://127.0.0.1:${BAD_PORT}/bad/fault12\n');
    calcBundle('bad-record12', 'soapVersion: "1.2"\nsoapBackend: http://127.0.0.1:${BAD_PORT}/bad/record\n');
    calcBundle('bad-hang', 'soapBackend: http://127.0.0.1:${BAD_PORT}/bad/hang\ntimeoutMs: 300\n');
    calcBundle('unreachable', `soapBackend: http://127.0.0.1:${deadPort}/nothing\n`);

    bridge = await startBridge(
      tmp.dir,
      { DEMO_CALCULATOR_PORT: String(calc.port), DEMO_ORDERS_PORT: String(orders.port), BAD_PORT: String(bad.port) },
      { maxBodyBytes: '65536' },
    );
    api = `${bridge.url}/api`;
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    await bridge?.close();
    await Promise.all([calc?.close(), orders?.close(), bad?.close()]);
    tmp?.remove();
  });

  describe('the calculator demo (node-soap backend, SOAP 1.1)', () => {
    it('answers Add with {"AddResult":5}', async () => {
      const r = await postJson(`${api}/calculator/Add`, { intA: 2, intB: 3 });
      assert.equal(r.status, 200);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(r.text, '{"AddResult":5}');
    });
    it('answers Subtract, Multiply and Divide', async () => {
      assert.deepEqual((await postJson(`${api}/calculator/Subtract`, { intA: 2, intB: 3 })).json, { SubtractResult: -1 });
      assert.deepEqual((await postJson(`${api}/calculator/Multiply`, { intA: -4, intB: 3 })).json, { MultiplyResult: -12 });
      assert.deepEqual((await postJson(`${api}/calculator/Divide`, { intA: 17, intB: 5 })).json, { DivideResult: 3, Remainder: 2 });
    });
    it('maps a SOAP Fault to 502 with the fault and its typed detail', async () => {
      const r = await postJson(`${api}/calculator/Divide`, { intA: 2, intB: 0 });
      assert.equal(r.status, 502);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-fault');
      assert.equal(r.json.status, 502);
      assert.deepEqual(r.json.fault, { code: 'Client', string: 'Division by zero', detail: { DivisionByZero: { dividend: 2, message: 'cannot divide 2 by zero' } } });
    });
  });

  describe('the calculator over SOAP 1.2 (mapping soapVersion: "1.2")', () => {
    it('answers Add', async () => {
      const r = await postJson(`${api}/calculator12/Add`, { intA: 40, intB: 2 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { AddResult: 42 });
    });
    it('maps a SOAP 1.2 Fault (Sender) to 502', async () => {
      const r = await postJson(`${api}/calculator12/Divide`, { intA: 1, intB: 0 });
      assert.equal(r.status, 502);
      assert.equal(r.json.fault.code, 'Sender');
      assert.equal(r.json.fault.string, 'Division by zero');
    });
    it('sends the action in the content type and no SOAPAction header', async () => {
      recorded.length = 0;
      const r = await postJson(`${api}/bad-record12/Multiply`, { intA: 6, intB: 7 });
      assert.equal(r.status, 502, 'the recorder answers with a SOAP 1.1 envelope, which a SOAP 1.2 call refuses');
      assert.match(r.json.detail, /SOAP 1\.1 envelope, but the request was SOAP 1\.2/);
      assert.equal(recorded[0].headers['content-type'], 'application/soap+xml; charset=utf-8; action="urn:soap-bridge:demo:calculator#Multiply"');
      assert.equal(recorded[0].headers.soapaction, undefined);
      assert.match(recorded[0].body, /^<\?xml version="1\.0" encoding="utf-8"\?><soap:Envelope xmlns:soap="http:\/\/www\.w3\.org\/2003\/05\/soap-envelope"/);
    });
    it('carries SOAP 1.2 subcodes, the English reason, the role and the detail', async () => {
      const r = await postJson(`${api}/bad-fault12/Add`, { intA: 1, intB: 1 });
      assert.equal(r.status, 502);
      assert.deepEqual(r.json.fault, { code: 'Sender', subcodes: ['Quota', 'Daily'], string: 'quota exceeded', actor: 'urn:role:gateway', detail: { limit: '100' } });
    });
  });

  describe('the order demo (nested types, arrays, enums, choice, optional, nillable, dates, decimals)', () => {
    it('GetOrder answers one order with typed values', async () => {
      const r = await postJson(`${api}/orders/GetOrder`, { orderId: 'ORD-1002' });
      assert.equal(r.status, 200, r.text);
      const o = r.json.order;
      assert.equal(o.orderId, 'ORD-1002');
      assert.equal(o.revision, 3);
      assert.equal(o.customer.customerId, '9223372036854775807', '19-digit long stays a string');
      assert.equal(o.customer.name, 'Grace Hopper <Navy>');
      assert.equal(o.status, 'SHIPPED');
      assert.equal(o.createdAt, '2026-03-03T02:14:00.002+01:00');
      assert.ok(Array.isArray(o.item) && o.item.length === 4);
      assert.deepEqual(o.item[0].unitPrice, { currency: 'EUR', $value: 7.25 });
      assert.deepEqual(o.item[0].tag, [], 'no tags is []');
      assert.deepEqual(o.payment, { voucherCode: 'GIFT-2' });
      assert.equal(o.express, false);
      assert.equal(o.notes, 'Leave at the door; ring twice.\tThanks! <2> & "quotes"');
      assert.equal('weightKg' in o, false, 'absent optional stays absent');
    });
    it('GetOrders answers 50 orders by default, with nil phones as null', async () => {
      const r = await postJson(`${api}/orders/GetOrders`, {});
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.order.length, 50);
      assert.equal(r.json.count, 50);
      assert.equal(r.json.order[1].customer.phone, null);
      assert.equal(r.json.order[1].notes, null);
      assert.deepEqual(r.json.order[1].payment, { invoice: { dueDate: '2026-02-02', reference: 'INV-1' } });
      assert.deepEqual(r.json.order[0].payment, { card: { brand: 'VISA', last4: '1000' } });
    });
    it('GetOrders filters by enum and by a customer id given as a numeric string', async () => {
      // node-soap reads xs:long into a double, so the demo filter uses an id a double keeps.
      const r = await postJson(`${api}/orders/GetOrders`, { customerId: '1002', status: 'PAID', limit: 500 });
      assert.equal(r.status, 200, r.text);
      assert.ok(r.json.count > 0);
      for (const o of r.json.order) {
        assert.equal(o.status, 'PAID');
        assert.equal(o.customer.customerId, 1002);
      }
    });
    it('CreateOrder sends nested input and answers the computed total', async () => {
      const r = await postJson(`${api}/orders/CreateOrder`, {
        customer: { customerId: 1004, name: '李小龍 😀', phone: null, address: { street: '41 Cumberland Road', city: 'Kowloon', postalCode: '999077', country: 'HK' } },
        item: [{ sku: 'BOK-1001', quantity: 3, unitPrice: { currency: 'EUR', $value: '24.50' }, tag: ['gift'] }, { sku: 'INK-3003', quantity: 1, unitPrice: { currency: 'EUR', $value: 7.25 } }],
        payment: { invoice: { dueDate: '2026-12-31' } },
        express: true,
        notes: null,
      });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.orderId, /^ORD-\d+$/);
      assert.equal(r.json.status, 'NEW');
      assert.deepEqual(r.json.total, { currency: 'EUR', $value: 80.75 });
      assert.match(r.json.createdAt, /^\d{4}-\d{2}-\d{2}T/);
    });
    it('CreateOrder refuses two payment alternatives and a bad enum, each at its pointer', async () => {
      const r = await postJson(`${api}/orders/CreateOrder`, {
        customer: { customerId: 1, name: 'x', phone: '1', address: { street: 's', city: 'c', postalCode: 'p', country: 'gb' } },
        item: [{ sku: 'bad', quantity: 0, unitPrice: { currency: 'EUR', $value: -1 } }],
        payment: { card: { brand: 'DINERS', last4: '12' }, voucherCode: 'V' },
        express: 'yes',
      });
      assert.equal(r.status, 400);
      const pointers = r.json.errors.map((e: { pointer: string }) => e.pointer).sort();
      assert.deepEqual(pointers, ['/customer/address/country', '/express', '/item/0/quantity', '/item/0/sku', '/item/0/unitPrice/$value', '/payment/card/brand', '/payment/card/last4', '/payment/voucherCode']);
    });
    it('CancelOrder answers, and maps its declared faults', async () => {
      const ok = await postJson(`${api}/orders/CancelOrder`, { orderId: 'ORD-1001', reason: 'changed my mind' });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.status, 'CANCELLED');
      const shipped = await postJson(`${api}/orders/CancelOrder`, { orderId: 'ORD-1002' });
      assert.equal(shipped.status, 502);
      assert.deepEqual(shipped.json.fault.detail, { CannotCancel: { orderId: 'ORD-1002', status: 'SHIPPED' } });
      const missing = await postJson(`${api}/orders/GetOrder`, { orderId: 'ORD-0' });
      assert.equal(missing.status, 502);
      assert.deepEqual(missing.json.fault.detail, { OrderNotFound: { orderId: 'ORD-0', message: 'order ORD-0 does not exist' } });
    });
  });

  describe('errors (CONTRACT §5)', () => {
    it('400: input that breaks the schema, every violation with its JSON Pointer', async () => {
      const r = await postJson(`${api}/calculator/Add`, { intA: 'two', extra: true });
      assert.equal(r.status, 400);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:validation-failed');
      assert.equal(r.json.title, 'Request does not match the schema');
      assert.equal(r.json.status, 400);
      assert.deepEqual(
        r.json.errors.sort((a: { pointer: string }, b: { pointer: string }) => a.pointer.localeCompare(b.pointer)),
        [
          { pointer: '/extra', detail: 'is not a property of this type' },
          { pointer: '/intA', detail: 'must be an integer' },
          { pointer: '/intB', detail: 'is required' },
        ],
      );
    });
    it('400: lists at most 100 violations and says how many there are', async () => {
      const item = Array.from({ length: 150 }, () => ({ sku: 'bad', quantity: 1, unitPrice: { currency: 'EUR', $value: 1 } }));
      const r = await postJson(`${api}/orders/CreateOrder`, { customer: { customerId: 1, name: 'x', phone: null, address: { street: 's', city: 'c', postalCode: 'p', country: 'GB' } }, item, payment: { voucherCode: 'v' }, express: false });
      assert.equal(r.status, 400);
      assert.equal(r.json.errors.length, 100);
      assert.match(r.json.detail, /\(150 violations, the first 100 listed\)$/);
      assert.equal(r.json.errors[99].pointer, '/item/99/sku');
    });
    it('400: malformed JSON, an empty body, and a body that is not an object', async () => {
      const bad = await postJson(`${api}/calculator/Add`, '{"intA": 2,');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.type, 'urn:soap-bridge:problem:malformed-json');
      assert.equal((await postJson(`${api}/calculator/Add`, '')).status, 400);
      const arr = await postJson(`${api}/calculator/Add`, [1, 2]);
      assert.equal(arr.status, 400);
      assert.deepEqual(arr.json.errors, [{ pointer: '', detail: 'must be an object' }]);
    });
    it('400: a character XML cannot carry, at its pointer', async () => {
      const r = await postJson(`${api}/orders/GetOrder`, { orderId: 'ORD\u0001' });
      assert.equal(r.status, 400);
      assert.deepEqual(r.json.errors, [{ pointer: '/orderId', detail: 'contains a character that XML 1.0 cannot represent (a control character or a lone surrogate)' }]);
    });
    it('404: unknown service and unknown operation, with a hint', async () => {
      const s = await postJson(`${api}/calculater/Add`, {});
      assert.equal(s.status, 404);
      assert.match(s.json.detail, /no service named "calculater" \(did you mean "calculator"\?\)/);
      const o = await postJson(`${api}/calculator/add`, {});
      assert.equal(o.status, 404);
      assert.match(o.json.detail, /did you mean "Add"/);
      assert.equal((await request(`${bridge.url}/nowhere`)).status, 404);
    });
    it('405: another method on an operation route', async () => {
      const r = await request(`${api}/calculator/Add`);
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'POST');
    });
    it('413: a body over the size limit', async () => {
      const r = await postJson(`${api}/calculator/Add`, JSON.stringify({ intA: 1, intB: 2, pad: 'x'.repeat(70000) }));
      assert.equal(r.status, 413);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:payload-too-large');
    });
    it('415: a wrong or missing media type, or a charset other than UTF-8', async () => {
      const plain = await request(`${api}/calculator/Add`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' });
      assert.equal(plain.status, 415);
      const none = await request(`${api}/calculator/Add`, { method: 'POST', body: '{}' });
      assert.equal(none.status, 415);
      const latin = await request(`${api}/calculator/Add`, { method: 'POST', headers: { 'content-type': 'application/json; charset=iso-8859-1' }, body: '{}' });
      assert.equal(latin.status, 415);
      const ok = await request(`${api}/calculator/Add`, { method: 'POST', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: '{"intA":1,"intB":1}' });
      assert.equal(ok.status, 200);
    });
    it('502: a SOAP 1.1 fault keeps code, string, actor and detail', async () => {
      const r = await postJson(`${api}/bad-fault11/Add`, { intA: 1, intB: 1 });
      assert.equal(r.status, 502);
      assert.deepEqual(r.json.fault, { code: 'Server.Kaboom', string: 'it broke', actor: 'urn:actor', detail: { info: { level: '3', code: ['17', '18'] } } });
    });
    it('502: backend unreachable', async () => {
      const r = await postJson(`${api}/unreachable/Add`, { intA: 1, intB: 1 });
      assert.equal(r.status, 502);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-unreachable');
      assert.match(r.json.detail, /ECONNREFUSED/);
    });
    const invalid: [string, RegExp][] = [
      ['garbage', /is not XML \(HTTP 502, content-type text\/html\)/],
      ['notxml', /is not XML \(HTTP 200, content-type application\/json\)/],
      ['malformed', /is not well-formed XML: end tag <\/soap:Body> does not match <tns:AddResponse> \(line 1, column \d+; HTTP 200\)/],
      ['dtd', /contains a DTD, which is refused/],
      ['v12', /is a SOAP 1\.2 envelope, but the request was SOAP 1\.1/],
      ['big', /too large/],
    ];
    for (const [name, detail] of invalid) {
      it(`502: invalid reply (${name})`, async () => {
        const r = await postJson(`${api}/bad-${name}/Add`, { intA: 1, intB: 1 });
        assert.equal(r.status, 502, r.text);
        assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-invalid-reply');
        assert.match(r.json.detail, detail);
      });
    }
    it('502: a reply that breaks the output schema lists its violations', async () => {
      const wrong = await postJson(`${api}/bad-invalid/Add`, { intA: 1, intB: 1 });
      assert.equal(wrong.status, 502);
      assert.deepEqual(wrong.json.errors, [{ pointer: '/AddResult', detail: 'is not a valid xs:int' }]);
      const missing = await postJson(`${api}/bad-missing/Add`, { intA: 1, intB: 1 });
      assert.equal(missing.status, 502);
      assert.deepEqual(missing.json.errors, [{ pointer: '/AddResult', detail: 'is required' }]);
      const misnamed = await postJson(`${api}/bad-invalid/Divide`, { intA: 1, intB: 1 });
      assert.equal(misnamed.status, 502);
      assert.match(misnamed.json.errors[0].detail, /expected \{urn:soap-bridge:demo:calculator\}DivideResponse in the SOAP Body, found \{urn:soap-bridge:demo:calculator\}AddResponse/);
    });
    it('504: backend timeout, and the next request is served', async () => {
      const started = Date.now();
      const r = await postJson(`${api}/bad-hang/Add`, { intA: 1, intB: 1 });
      assert.equal(r.status, 504);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-timeout');
      assert.ok(Date.now() - started < 3000);
      assert.equal((await postJson(`${api}/calculator/Add`, { intA: 1, intB: 1 })).status, 200);
    });
    it('decodes a reply in the charset its content type declares', async () => {
      const r = await postJson(`${api}/bad-latin1/Divide`, { intA: 1, intB: 1 });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, { DivideResult: 1, Remainder: 0 });
    });
  });

  describe('request ids, headers and logs', () => {
    it('sends SOAP 1.1 with a quoted SOAPAction, text/xml and the request id', async () => {
      recorded.length = 0;
      const r = await postJson(`${api}/bad-record/Add`, { intB: 2, intA: 1 }, { 'x-request-id': 'trace-abc-123' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { AddResult: 42 });
      assert.equal(r.headers['x-request-id'], 'trace-abc-123');
      const sent = recorded[0];
      assert.equal(sent.headers.soapaction, '"urn:soap-bridge:demo:calculator#Add"');
      assert.equal(sent.headers['content-type'], 'text/xml; charset=utf-8');
      assert.equal(sent.headers['x-request-id'], 'trace-abc-123');
      assert.match(sent.body, /<soap:Body><tns:Add><tns:intA>1<\/tns:intA><tns:intB>2<\/tns:intB><\/tns:Add><\/soap:Body>/);
      assert.equal(sent.headers.connection, 'keep-alive');
    });
    it('gives a new request id when the caller sends none (or an unusable one), on every response', async () => {
      const a = await postJson(`${api}/calculator/Add`, { intA: 1, intB: 1 });
      assert.match(String(a.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      const b = await postJson(`${api}/calculator/Add`, { intA: 1 }, { 'x-request-id': 'bad id with spaces' });
      assert.match(String(b.headers['x-request-id']), /^[0-9a-f-]{36}$/);
      assert.equal(b.json.requestId, b.headers['x-request-id']);
    });
    it('writes one JSON access line per request with service, operation, status, timings and request id', async () => {
      await postJson(`${api}/calculator/Multiply`, { intA: 3, intB: 3 }, { 'x-request-id': 'log-check-1' });
      await new Promise((r) => setTimeout(r, 20));
      const lines = bridge.log.lines.filter((l) => l.requestId === 'log-check-1' && l.message === 'access');
      assert.equal(lines.length, 1);
      const l = lines[0];
      assert.equal(l.service, 'calculator');
      assert.equal(l.operation, 'Multiply');
      assert.equal(l.status, 200);
      assert.equal(typeof l.durationMs, 'number');
      assert.equal(typeof l.backendMs, 'number');
      assert.ok((l.backendMs as number) <= (l.durationMs as number));
      assert.ok(l.timestamp);
    });
  });

  describe('metrics', () => {
    it('/metrics counts requests, latency, backend time, validation failures and in-flight requests', async () => {
      const read = async (): Promise<string> => (await request(`${bridge.url}/metrics`)).text;
      const value = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? 0);
      const series = {
        ok: /^soap_bridge_requests_total\{service="calculator",operation="Subtract",status="200"\} (\d+)$/m,
        bad: /^soap_bridge_requests_total\{service="calculator",operation="Subtract",status="400"\} (\d+)$/m,
        inputFailures: /^soap_bridge_validation_failures_total\{service="calculator",operation="Subtract",direction="input"\} (\d+)$/m,
        outputFailures: /^soap_bridge_validation_failures_total\{service="bad-invalid",operation="Add",direction="output"\} (\d+)$/m,
        latency: /^soap_bridge_request_duration_seconds_count\{service="calculator",operation="Subtract",status="200"\} (\d+)$/m,
        backend: /^soap_bridge_backend_duration_seconds_count\{service="calculator",operation="Subtract"\} (\d+)$/m,
      };
      const before = await read();
      await postJson(`${api}/calculator/Subtract`, { intA: 9, intB: 4 });
      await postJson(`${api}/calculator/Subtract`, { intA: 9, intB: 4 });
      await postJson(`${api}/calculator/Subtract`, { intA: 'nine' });
      await postJson(`${api}/bad-invalid/Add`, { intA: 1, intB: 1 });
      await postJson(`${api}/nosuch/Thing`, {});
      await new Promise((r) => setTimeout(r, 20));
      const m = await request(`${bridge.url}/metrics`);
      assert.equal(m.status, 200);
      assert.match(String(m.headers['content-type']), /^text\/plain/);
      const delta = (re: RegExp): number => value(m.text, re) - value(before, re);
      assert.equal(delta(series.ok), 2);
      assert.equal(delta(series.bad), 1);
      assert.equal(delta(series.inputFailures), 1);
      assert.equal(delta(series.outputFailures), 1);
      assert.equal(delta(series.latency), 2);
      assert.equal(delta(series.backend), 2, 'the refused input never reached the backend');
      assert.match(m.text, /^soap_bridge_requests_total\{service="",operation="",status="404"\} \d+$/m, 'unknown names are not labels');
      assert.doesNotMatch(m.text, /nosuch/);
      assert.match(m.text, /^soap_bridge_requests_in_flight 1$/m, 'the /metrics request itself');
      assert.match(m.text, /^soap_bridge_process_resident_memory_bytes \d+/m);
    });
  });

  describe('health', () => {
    it('/healthz and /readyz answer 200 with the services', async () => {
      assert.deepEqual((await request(`${bridge.url}/healthz`)).json, { status: 'ok' });
      const ready = await request(`${bridge.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.ok(ready.json.services.includes('calculator'));
    });
  });
});
