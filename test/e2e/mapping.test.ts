/**
 * mapping.yaml end to end over HTTP: the demo bundles' custom routes against their real
 * backends, and, against recording backends, what the mapping makes the bridge send: SOAP
 * headers, WS-Security tokens, the SOAP version and endpoint of each operation, the JSON
 * service's method, path, query, headers and body; and how faults and statuses are mapped.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import * as soap from 'soap';
import { startCalculatorBackend, startOrdersBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import { PASSWORD_DIGEST, PASSWORD_TEXT } from '../../src/soap/wssecurity';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const INV_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory.wsdl'), 'utf8');
const INV_XSD = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory-types.xsd'), 'utf8');
const INV = 'urn:soap-bridge:demo:inventory';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A SOAP reply in the request's version: the operation's response with a fixed result. */
function calcReply(version: '1.1' | '1.2', action: string): string {
  const op = action.replace(/^.*#/, '');
  const ns = version === '1.1' ? SOAP11 : SOAP12;
  const inner = op === 'Divide' ? '<t:DivideResult>7</t:DivideResult><t:Remainder>0</t:Remainder>' : `<t:${op}Result>42</t:${op}Result>`;
  return `<e:Envelope xmlns:e="${ns}" xmlns:t="urn:soap-bridge:demo:calculator"><e:Body><t:${op}Response>${inner}</t:${op}Response></e:Body></e:Envelope>`;
}

function fault11(code: string, text: string, detail = ''): string {
  return `<e:Envelope xmlns:e="${SOAP11}"><e:Body><e:Fault><faultcode>e:${code}</faultcode><faultstring>${text}</faultstring>${detail ? `<detail>${detail}</detail>` : ''}</e:Fault></e:Body></e:Envelope>`;
}

function soap11(body: string): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:inv="${INV}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

function post11(url: string, body: string): Promise<Reply> {
  return request(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body });
}

describe('mapping.yaml end to end', function () {
  let calc: DemoBackend;
  let orders: DemoBackend;
  let inventory: DemoBackend;
  let rec: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let tmp: ReturnType<typeof tempDir>;
  let api: string;
  const seen: Seen[] = [];
  const hanging: http.ServerResponse[] = [];
  const last = (prefix: string): Seen => {
    const s = [...seen].reverse().find((x) => x.url.startsWith(prefix));
    assert.ok(s, `a request to ${prefix} was recorded`);
    return s;
  };

  before(async () => {
    calc = await startCalculatorBackend(0);
    orders = await startOrdersBackend(0);
    inventory = await startInventoryBackend(0);
    rec = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const s: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
        seen.push(s);
        const send = (status: number, type: string, body: string): void => {
          res.writeHead(status, { 'content-type': type });
          res.end(body);
        };
        const ct = String(req.headers['content-type'] ?? '');
        const version = ct.startsWith('application/soap+xml') ? '1.2' : '1.1';
        const action = version === '1.1' ? String(req.headers.soapaction ?? '').replace(/"/g, '') : (/action="([^"]*)"/.exec(ct)?.[1] ?? '');
        if (s.url.startsWith('/hang')) return void hanging.push(res);
        if (s.url.startsWith('/soap')) return send(200, version === '1.1' ? 'text/xml' : 'application/soap+xml', calcReply(version, action));
        if (s.url === '/fault/kaboom') return send(500, 'text/xml', fault11('Server.Kaboom', 'it broke'));
        if (s.url === '/fault/quota') return send(500, 'text/xml', fault11('Client', 'daily quota of 100 calls used', '<q:Quota xmlns:q="urn:q"><q:limit>100</q:limit></q:Quota>'));
        if (s.url === '/fault/plain') return send(500, 'text/xml', fault11('Server', 'database down'));
        // The JSON service behind the SOAP facade bundle "stock".
        if (s.url.startsWith('/json/reservations/LMP-4004')) return send(409, 'application/problem+json', JSON.stringify({ title: 'Locked', detail: 'article is locked' }));
        if (s.url.startsWith('/json/reservations/')) return send(201, 'application/json', JSON.stringify({ id: 'R-1', expires: '2026-11-25T12:00:00Z', left: 7, extra: 'ignored?' }));
        if (s.url.startsWith('/json/down')) return send(503, 'application/problem+json', JSON.stringify({ title: 'Maintenance' }));
        if (s.url.startsWith('/other/')) return send(200, 'application/json', JSON.stringify({ warehouse: [{ code: 'X', city: 'Elsewhere', quantity: 1 }] }));
        send(404, 'text/plain', 'no such path');
      });
    });

    tmp = tempDir('mapping');
    // The demo bundles as shipped, mapping included.
    for (const name of ['calculator', 'orders', 'inventory']) {
      const src = path.join(ROOT, 'wsdl', name);
      fs.mkdirSync(path.join(tmp.dir, name));
      for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(tmp.dir, name, f));
    }
    writeBundle(tmp.dir, 'secure-text', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': 'soapBackend: http://127.0.0.1:${REC_PORT}/soap/text\nsecurity:\n  usernameToken:\n    username: ${CALC_USER}\n    password: ${CALC_PASSWORD}\n',
    });
    writeBundle(tmp.dir, 'secure-digest', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': [
        'soapBackend: http://127.0.0.1:${REC_PORT}/soap/digest',
        'security:',
        '  usernameToken: { username: "${CALC_USER}", password: "${CALC_PASSWORD}", passwordType: digest }',
        'operations:',
        '  Subtract:',
        '    security: false',
        '',
      ].join('\n'),
    });
    writeBundle(tmp.dir, 'per-op', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': [
        'soapBackend: http://127.0.0.1:${REC_PORT}/soap/default',
        'operations:',
        '  Add:',
        '    soapVersion: "1.2"',
        '  Multiply:',
        '    binding: CalculatorSoap12',
        '    soapBackend: http://127.0.0.1:${REC_PORT}/soap/multiply',
        '  Divide:',
        '    soapBackend: http://127.0.0.1:${REC_PORT}/hang',
        '    timeoutMs: 200',
        '',
      ].join('\n'),
    });
    writeBundle(tmp.dir, 'faults', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': [
        'soapBackend: http://127.0.0.1:${REC_PORT}/fault/kaboom',
        'faults:',
        '  - code: Server.Kaboom',
        '    status: 503',
        '    type: urn:test:kaboom',
        '  - detail: Quota',
        '    status: 429',
        '    title: Too many calls',
        'operations:',
        '  Subtract:',
        '    soapBackend: http://127.0.0.1:${REC_PORT}/fault/quota',
        '  Multiply:',
        '    soapBackend: http://127.0.0.1:${REC_PORT}/fault/plain',
        '  Divide:',
        '    soapBackend: http://127.0.0.1:${REC_PORT}/fault/quota',
        '    faults:',
        '      - string: "^daily quota"',
        '        status: 503',
        '',
      ].join('\n'),
    });
    writeBundle(tmp.dir, 'stock', {
      'inventory.wsdl': INV_WSDL,
      'inventory-types.xsd': INV_XSD,
      'mapping.yaml': [
        'restBackend: http://127.0.0.1:${REC_PORT}/json',
        'restHeaders:',
        '  Authorization: Bearer ${STOCK_TOKEN}',
        'soapFaults:',
        '  - { status: 409, code: Client, subcode: Conflict }',
        '  - { status: 5xx, code: Client, subcode: TryLater }',
        'operations:',
        '  ReserveStock:',
        '    restCall:',
        '      method: PUT',
        '      path: /reservations/{sku}',
        '      query: [customerRef]',
        '      headers: { X-Channel: soap }',
        '      request:',
        '        fields:',
        '          qty: body.quantity',
        '          source: { const: soap-facade }',
        '      response:',
        '        fields:',
        '          reservationId: body.id',
        '          expiresAt: body.expires',
        '          remaining: body.left',
        '        drop: [extra]',
        '  ListWarehouses:',
        '    restBackend: http://127.0.0.1:${REC_PORT}/other',
        '  CheckStock:',
        '    restBackend: http://127.0.0.1:${REC_PORT}/json/down',
        '',
      ].join('\n'),
    });

    bridge = await startBridge(tmp.dir, {
      DEMO_CALCULATOR_PORT: String(calc.port),
      DEMO_ORDERS_PORT: String(orders.port),
      DEMO_INVENTORY_PORT: String(inventory.port),
      REC_PORT: String(rec.port),
      CALC_USER: 'integrator',
      CALC_PASSWORD: 'pa55-w0rd-SECRET',
      STOCK_TOKEN: 'tok-SECRET-123',
    });
    api = `${bridge.url}/api`;
  });

  after(async () => {
    for (const res of hanging) res.destroy();
    await bridge?.close();
    await Promise.all([calc?.close(), orders?.close(), inventory?.close(), rec?.close()]);
    tmp?.remove();
  });

  describe('the calculator demo: GET routes with query and path parameters', () => {
    it('GET /api/calculator/add?a=2&b=3 answers {"result":5}', async () => {
      const r = await request(`${api}/calculator/add?a=2&b=3`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, '{"result":5}');
    });
    it('keeps the default route next to the custom one', async () => {
      const r = await postJson(`${api}/calculator/Add`, { intA: 2, intB: 3 });
      assert.equal(r.text, '{"AddResult":5}');
    });
    it('reports a bad or missing parameter by its name and place, not by the SOAP field it fills', async () => {
      const r = await request(`${api}/calculator/add?a=two`);
      assert.equal(r.status, 400);
      const errors = [...r.json.errors].sort((x: { parameter: string }, y: { parameter: string }) => x.parameter.localeCompare(y.parameter));
      assert.deepEqual(errors, [
        { in: 'query', parameter: 'a', detail: 'must be an integer' },
        { in: 'query', parameter: 'b', detail: 'is required' },
      ]);
    });
    it('reads path parameters, renames both output fields, and maps a declared fault to 422', async () => {
      assert.deepEqual((await request(`${api}/calculator/divide/7/2`)).json, { quotient: 3, remainder: 1 });
      const z = await request(`${api}/calculator/divide/7/0`);
      assert.equal(z.status, 422);
      assert.equal(z.json.type, 'urn:soap-bridge:demo:problem:division-by-zero');
      assert.equal(z.json.title, 'Division by zero');
      assert.deepEqual(z.json.fault.detail, { DivisionByZero: { dividend: 7, message: 'cannot divide 7 by zero' } });
    });
    it('answers 405 with Allow for another method on a custom route, 404 for a path no route has', async () => {
      const r = await postJson(`${api}/calculator/add`, { intA: 1, intB: 2 });
      assert.equal(r.status, 405);
      assert.equal(r.headers.allow, 'GET');
      assert.equal((await request(`${api}/calculator/divide/7`)).status, 404);
    });
  });

  describe('the orders demo: resource routes, pick, defaults, drop, SOAP header', () => {
    it('GET /orders/{orderId} answers the order itself (pick), with the ClientInfo header sent', async () => {
      const r = await request(`${api}/orders/orders/ORD-1002`, { headers: { 'x-user': 'ada' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.orderId, 'ORD-1002');
      assert.equal(r.json.order, undefined);
    });
    it('maps OrderNotFound to 404 for every operation (a bundle-level rule)', async () => {
      const r = await request(`${api}/orders/orders/ORD-0`);
      assert.equal(r.status, 404);
      assert.equal(r.json.type, 'urn:soap-bridge:demo:problem:order-not-found');
      assert.equal(r.json.fault.code, 'Client');
    });
    it('GET /orders?status=PAID&limit=3 renames the list; limit has a default of 20', async () => {
      const r = await request(`${api}/orders/orders?status=PAID&limit=3`);
      assert.equal(r.status, 200, r.text);
      assert.ok(Array.isArray(r.json.orders) && r.json.orders.length <= 3 && r.json.orders.length > 0);
      assert.ok(r.json.orders.every((o: { status: string }) => o.status === 'PAID'));
      assert.equal(r.json.order, undefined);
      const all = await request(`${api}/orders/orders`);
      assert.equal(all.json.orders.length, 20);
      const bad = await request(`${api}/orders/orders?status=LOST`);
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.errors.map((e: { in: string; parameter: string }) => `${e.in}:${e.parameter}`), ['query:status']);
    });
    it('POST /orders moves items into item, defaults express, drops clientReference', async () => {
      const r = await postJson(`${api}/orders/orders`, {
        clientReference: 'my-ref-1',
        customer: { customerId: 1004, name: 'Ada', phone: null, address: { street: '1 Way', city: 'London', postalCode: 'N1', country: 'GB' } },
        items: [{ sku: 'BOK-1001', quantity: 2, unitPrice: { currency: 'EUR', $value: '10.00' } }],
        payment: { voucherCode: 'V-1' },
      });
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.total, { currency: 'EUR', $value: 20 });
      const wrong = await postJson(`${api}/orders/orders`, { customer: {}, items: [{ sku: 'x' }], payment: { voucherCode: 'V' } });
      assert.equal(wrong.status, 400);
      const pointers = wrong.json.errors.map((e: { pointer: string }) => e.pointer);
      assert.ok(pointers.includes('/items/0/sku'), `a problem inside a moved field is reported where the caller put it: ${pointers.join(', ')}`);
      assert.ok(pointers.includes('/customer/name'));
    });
    it('DELETE /orders/{orderId} takes a header parameter and maps CannotCancel to 409', async () => {
      const ok = await request(`${api}/orders/orders/ORD-1001`, { method: 'DELETE', headers: { 'x-cancel-reason': 'changed my mind' } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.status, 'CANCELLED');
      const no = await request(`${api}/orders/orders/ORD-1002`, { method: 'DELETE' });
      assert.equal(no.status, 409);
      assert.equal(no.json.type, 'urn:soap-bridge:demo:problem:cannot-cancel');
    });
  });

  describe('what the REST facade sends: headers, security, version, endpoint, timeout', () => {
    it('sends the ClientInfo header block with the constant and the X-User value', async () => {
      const dir = tempDir('hdr');
      try {
        writeBundle(dir.dir, 'orders', {
          'orders.wsdl': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'orders.wsdl'), 'utf8'),
          'orders-types.xsd': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'orders-types.xsd'), 'utf8'),
          'mapping.yaml': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'mapping.yaml'), 'utf8').replace('${DEMO_ORDERS_PORT:-8102}/orders', '${REC_PORT}/soap/orders'),
        });
        const b = await startBridge(dir.dir, { REC_PORT: String(rec.port), DEMO_APPLICATION: 'test-suite' });
        try {
          await request(`${b.url}/api/orders/orders/ORD-1`, { headers: { 'x-user': 'ada <lovelace>' } });
          const withUser = last('/soap/orders').body;
          assert.match(withUser, /<soap:Header><(\w+):ClientInfo><\1:application>test-suite<\/\1:application><\1:user>ada &lt;lovelace&gt;<\/\1:user><\/\1:ClientInfo><\/soap:Header><soap:Body><\1:GetOrder>/);
          await request(`${b.url}/api/orders/orders/ORD-1`);
          assert.match(last('/soap/orders').body, /<soap:Header><(\w+):ClientInfo><\1:application>test-suite<\/\1:application><\/\1:ClientInfo><\/soap:Header>/);
        } finally {
          await b.close();
        }
      } finally {
        dir.remove();
      }
    });
    it('adds a UsernameToken with the password in clear text, from the environment', async () => {
      const r = await postJson(`${api}/secure-text/Add`, { intA: 1, intB: 2 });
      assert.equal(r.json.AddResult, 42);
      const body = last('/soap/text').body;
      assert.match(body, /<soap:Header><wsse:Security [^>]*soap:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>integrator<\/wsse:Username>/);
      assert.ok(body.includes(`<wsse:Password Type="${PASSWORD_TEXT}">pa55-w0rd-SECRET</wsse:Password>`));
    });
    it('adds a digest token a receiver can verify; security: false turns it off for one operation', async () => {
      const before = Date.now();
      await postJson(`${api}/secure-digest/Add`, { intA: 1, intB: 2 });
      const body = last('/soap/digest').body;
      const nonce = /<wsse:Nonce[^>]*>([^<]+)<\/wsse:Nonce>/.exec(body)?.[1];
      const created = /<wsu:Created>([^<]+)<\/wsu:Created>/.exec(body)?.[1];
      const digest = new RegExp(`<wsse:Password Type="${PASSWORD_DIGEST.replace(/[.#]/g, '\\$&')}">([^<]+)</wsse:Password>`).exec(body)?.[1];
      assert.ok(nonce && created && digest, body);
      assert.equal(digest, soap.passwordDigest(nonce, created, 'pa55-w0rd-SECRET'), 'the digest checks out with node-soap');
      assert.ok(Math.abs(Date.parse(created) - before) < 5000);
      assert.ok(!body.includes('pa55-w0rd-SECRET'));
      await postJson(`${api}/secure-digest/Subtract`, { intA: 1, intB: 2 });
      assert.ok(!last('/soap/digest').body.includes('wsse:Security'));
    });
    it('never writes the secrets into the log', () => {
      const text = JSON.stringify(bridge.log.lines);
      assert.ok(!text.includes('pa55-w0rd-SECRET') && !text.includes('tok-SECRET-123'));
    });
    it('uses SOAP 1.2 for an operation that asks for it, or for its binding, and 1.1 for the rest', async () => {
      await postJson(`${api}/per-op/Add`, { intA: 1, intB: 2 });
      const add = last('/soap/default');
      assert.match(String(add.headers['content-type']), /^application\/soap\+xml; charset=utf-8; action="urn:soap-bridge:demo:calculator#Add"/);
      assert.ok(add.body.includes(`xmlns:soap="${SOAP12}"`));
      await postJson(`${api}/per-op/Subtract`, { intA: 1, intB: 2 });
      assert.match(String(last('/soap/default').headers['content-type']), /^text\/xml/);
      const m = await postJson(`${api}/per-op/Multiply`, { intA: 1, intB: 2 });
      assert.equal(m.json.MultiplyResult, 42);
      assert.match(String(last('/soap/multiply').headers['content-type']), /^application\/soap\+xml/);
    });
    it('applies an operation\'s own timeout', async () => {
      const started = Date.now();
      const r = await postJson(`${api}/per-op/Divide`, { intA: 1, intB: 2 });
      assert.equal(r.status, 504);
      assert.ok(Date.now() - started < 3000);
    });
  });

  describe('fault rules of the REST facade', () => {
    it('maps by code, by detail element (bundle rules) and by fault string (an operation rule, tried first)', async () => {
      const k = await postJson(`${api}/faults/Add`, { intA: 1, intB: 2 });
      assert.equal(k.status, 503);
      assert.equal(k.json.type, 'urn:test:kaboom');
      assert.equal(k.json.fault.code, 'Server.Kaboom');
      const q = await postJson(`${api}/faults/Subtract`, { intA: 1, intB: 2 });
      assert.equal(q.status, 429);
      assert.equal(q.json.title, 'Too many calls');
      assert.equal(q.json.type, 'urn:soap-bridge:problem:backend-fault');
      const d = await postJson(`${api}/faults/Divide`, { intA: 1, intB: 2 });
      assert.equal(d.status, 503, 'the operation rule wins over the bundle rule for the same fault');
    });
    it('leaves an unmatched fault at the contract\'s 502', async () => {
      const r = await postJson(`${api}/faults/Multiply`, { intA: 1, intB: 2 });
      assert.equal(r.status, 502);
      assert.equal(r.json.fault.string, 'database down');
    });
  });

  describe('the SOAP facade\'s JSON call', () => {
    it('the demo: CheckStock and ListWarehouses reach the service\'s resource routes, reshaped into the WSDL\'s output', async () => {
      const client = await soap.createClientAsync(`${bridge.url}/soap/inventory?wsdl`);
      const [stock] = await client.CheckStockAsync({ sku: 'LMP-4004' });
      assert.equal(stock.sku, 'LMP-4004');
      assert.equal(stock.available, 8);
      assert.deepEqual(stock.warehouse.map((w: { code: string }) => w.code), ['AMS', 'BER', 'LYS']);
      const [list] = await client.ListWarehousesAsync({});
      assert.equal(list.warehouse.length, 3);
    });
    it('the demo: an unknown article is a Client.UnknownArticle fault (SOAP 1.1) and a Sender fault with that subcode (SOAP 1.2)', async () => {
      const r = await post11(`${bridge.url}/soap/inventory`, soap11('<inv:CheckStock><inv:sku>ZZZ-999</inv:sku></inv:CheckStock>'));
      assert.equal(r.status, 500);
      assert.match(r.text, /<faultcode>soap:Client\.UnknownArticle<\/faultcode><faultstring>Unknown article: no article ZZZ-999<\/faultstring>/);
      const r12 = await request(`${bridge.url}/soap/inventory`, {
        method: 'POST',
        headers: { 'content-type': 'application/soap+xml; charset=utf-8' },
        body: `<env:Envelope xmlns:env="${SOAP12}" xmlns:inv="${INV}"><env:Body><inv:CheckStock><inv:sku>ZZZ-999</inv:sku></inv:CheckStock></env:Body></env:Envelope>`,
      });
      assert.equal(r12.status, 400);
      assert.match(r12.text, /<soap:Code><soap:Value>soap:Sender<\/soap:Value><soap:Subcode><soap:Value xmlns:sbc="urn:soap-bridge:fault">sbc:UnknownArticle<\/soap:Value><\/soap:Subcode><\/soap:Code>/);
    });
    it('sends method, path parameter, query field, fixed headers and the reshaped body; reshapes the answer', async () => {
      const r = await post11(`${bridge.url}/soap/stock`, soap11('<inv:ReserveStock><inv:sku>BOK-1001</inv:sku><inv:quantity>3</inv:quantity><inv:customerRef>C 7/1</inv:customerRef></inv:ReserveStock>'));
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<tns:ReserveStockResponse><tns:reservationId>R-1<\/tns:reservationId><tns:expiresAt>2026-11-25T12:00:00Z<\/tns:expiresAt><tns:remaining>7<\/tns:remaining><\/tns:ReserveStockResponse>/);
      const s = last('/json/reservations/');
      assert.equal(s.method, 'PUT');
      assert.equal(s.url, '/json/reservations/BOK-1001?customerRef=C+7%2F1');
      assert.equal(s.headers.authorization, 'Bearer tok-SECRET-123');
      assert.equal(s.headers['x-channel'], 'soap');
      assert.equal(s.headers['content-type'], 'application/json');
      assert.ok(s.headers['x-request-id']);
      assert.deepEqual(JSON.parse(s.body), { qty: 3, source: 'soap-facade' });
    });
    it('maps statuses to fault codes with subcodes: 409 to Client.Conflict, 5xx to Client.TryLater', async () => {
      const c = await post11(`${bridge.url}/soap/stock`, soap11('<inv:ReserveStock><inv:sku>LMP-4004</inv:sku><inv:quantity>1</inv:quantity></inv:ReserveStock>'));
      assert.match(c.text, /<faultcode>soap:Client\.Conflict<\/faultcode><faultstring>Locked: article is locked<\/faultstring>/);
      const d = await post11(`${bridge.url}/soap/stock`, soap11('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
      assert.match(d.text, /<faultcode>soap:Client\.TryLater<\/faultcode>/);
      assert.equal(last('/json/down').url, '/json/down/CheckStock', 'an operation\'s own restBackend, with the default path');
    });
    it('calls an operation\'s own restBackend', async () => {
      const r = await post11(`${bridge.url}/soap/stock`, soap11('<inv:ListWarehouses/>'));
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<tns:city>Elsewhere<\/tns:city>/);
      assert.equal(last('/other/').url, '/other/ListWarehouses');
    });
  });
});
