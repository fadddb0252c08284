/**
 * Request and response shaping as compiled from mapping.yaml (no HTTP): moves into and out of
 * nested structures, constants, defaults, drops, picks, the whole body as a source, parameter
 * coercion by the target's type, tracing violations back to where a value came from, and the
 * schemas the routes publish (what OpenAPI shows).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileBundleDir, type Bundle } from '../../src/compile';
import type { ApiRoute } from '../../src/mapping/compile';
import type { RequestParts } from '../../src/mapping/transform';
import { tempDir, writeBundle } from '../support/bridge';
import { ROOT } from '../support/compile';

const ORDERS = {
  'orders.wsdl': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'orders.wsdl'), 'utf8'),
  'orders-types.xsd': fs.readFileSync(path.join(ROOT, 'wsdl', 'orders', 'orders-types.xsd'), 'utf8'),
};

function parts(p: Partial<{ path: Record<string, string>; query: string; headers: Record<string, string> }> = {}): RequestParts {
  return { path: p.path ?? {}, query: new URLSearchParams(p.query ?? ''), headers: p.headers ?? {} };
}

describe('mapping: request and response shaping', () => {
  const tmp = tempDir('transform');
  after(() => tmp.remove());

  const bundle = (name: string, mapping: string): Bundle => {
    const dir = writeBundle(tmp.dir, name, { ...ORDERS, 'mapping.yaml': `soapBackend: http://127.0.0.1:1/x\n${mapping}` });
    const r = compileBundleDir(dir);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], 'the mapping compiles');
    assert.ok(r.bundle);
    return r.bundle;
  };
  const route = (b: Bundle, method: string, segments: string[]): ApiRoute => {
    const m = b.router.match(method, segments);
    assert.ok(m && 'found' in m, `${method} /${segments.join('/')} is a route`);
    return m.found;
  };

  const b = bundle(
    'shapes',
    `operations:
  CreateOrder:
    route: POST /customers/{customerId}/orders
    request:
      fields:
        customer.customerId: path.customerId
        customer.name: body.name
        customer.phone: { const: null }
        customer.address: body.shipTo
        item: body.lines
        express: { from: header.x-express, default: false }
        notes: { from: query.note }
        payment: { const: { voucherCode: FREE } }
      drop: [trackingId, debug.flags]
    response:
      pick: total
      fields:
        orderId: body.orderId
        currency: body.total.currency
  GetOrders:
    route: GET /orders
    request:
      fields:
        customerId: query.customer
        limit: { from: query.limit, default: 5 }
    response:
      fields:
        result: body
  CancelOrder:
    route: POST /cancel
    request:
      body: false
      fields:
        orderId: body.id
`,
  );

  it('builds the SOAP input from path, header, query, body, constants and defaults', () => {
    const r = route(b, 'POST', ['customers', '1234', 'orders']);
    const body = { name: 'Ada', shipTo: { street: 's', city: 'c', postalCode: 'p', country: 'GB' }, lines: [{ sku: 'BOK-1001' }], deliveryDate: '2026-12-01', trackingId: 't-1', debug: { flags: 1, keep: 2 } };
    const input = r.request.apply(body, parts({ path: { customerId: '1234' }, query: 'note=ring+twice', headers: { 'x-express': 'true' } }));
    assert.deepEqual(input, {
      deliveryDate: '2026-12-01',
      debug: { keep: 2 },
      customer: { customerId: '1234', name: 'Ada', phone: null, address: { street: 's', city: 'c', postalCode: 'p', country: 'GB' } },
      item: [{ sku: 'BOK-1001' }],
      express: true,
      notes: 'ring twice',
      payment: { voucherCode: 'FREE' },
    });
    const defaults = r.request.apply({ name: 'x' }, parts({ path: { customerId: '9' } })) as Record<string, unknown>;
    assert.equal(defaults.express, false, 'the default when the header is absent');
    assert.equal('notes' in defaults, false, 'an absent source without default leaves the field out');
  });
  it('gives every request its own copy of constants', () => {
    const r = route(b, 'POST', ['customers', '1', 'orders']);
    const a = r.request.apply({}, parts({ path: { customerId: '1' } })) as { payment: { voucherCode: string } };
    a.payment.voucherCode = 'CHANGED';
    const c = r.request.apply({}, parts({ path: { customerId: '1' } })) as { payment: { voucherCode: string } };
    assert.equal(c.payment.voucherCode, 'FREE');
  });
  it('coerces parameters by the target\'s type: big integers stay strings, small ones become numbers', () => {
    const r = route(b, 'GET', ['orders']);
    assert.deepEqual(r.request.apply(undefined, parts({ query: 'customer=9223372036854775807&limit=3' })), { customerId: '9223372036854775807', limit: 3 });
    assert.deepEqual(r.request.apply(undefined, parts({ query: 'limit=abc' })), { limit: 'abc' }, 'left for validation to refuse');
    assert.deepEqual(r.request.apply(undefined, parts()), { limit: 5 });
  });
  it('traces a violation of the SOAP input to the body field or parameter it came from', () => {
    const r = route(b, 'POST', ['customers', '1', 'orders']);
    assert.deepEqual(r.request.origin('/customer/address/country'), { pointer: '/shipTo/country' });
    assert.deepEqual(r.request.origin('/item/0/sku'), { pointer: '/lines/0/sku' });
    assert.deepEqual(r.request.origin('/customer/customerId'), { in: 'path', parameter: 'customerId' });
    assert.deepEqual(r.request.origin('/express'), { in: 'header', parameter: 'x-express' });
    assert.deepEqual(r.request.origin('/deliveryDate'), { pointer: '/deliveryDate' }, 'an unmapped field stays where it is');
  });
  it('picks a sub-tree of the output and adds fields read from the whole output', () => {
    const r = route(b, 'POST', ['customers', '1', 'orders']);
    const out = r.response.apply({ orderId: 'ORD-7', status: 'NEW', total: { currency: 'EUR', $value: 20 }, createdAt: 'x' });
    assert.deepEqual(out, { $value: 20, orderId: 'ORD-7', currency: 'EUR' }, 'currency moved out of the picked total, orderId added from outside it');
  });
  it('moves the whole output under one name', () => {
    const r = route(b, 'GET', ['orders']);
    assert.deepEqual(r.response.apply({ order: [], count: 0 }), { result: { order: [], count: 0 } });
  });
  it('with body: false, takes only the fields its rules name from the body', () => {
    const r = route(b, 'POST', ['cancel']);
    assert.deepEqual(r.request.apply({ id: 'ORD-1', reason: 'ignored' }, parts()), { orderId: 'ORD-1' });
    assert.equal(r.acceptsBody, true);
  });
  it('leaves the default routes untouched (identity) next to the custom ones', () => {
    const r = route(b, 'POST', ['GetOrders']);
    assert.equal(r.isDefault, true);
    assert.equal(r.request.identity, true);
    const body = { limit: 1 };
    assert.equal(r.request.apply(body, parts()), body);
  });

  describe('the routes\' published schemas (for OpenAPI)', () => {
    const calc = compileBundleDir(path.join(ROOT, 'wsdl', 'calculator'));
    assert.ok(calc.bundle);
    const calcRoutes = calc.bundle.routes;

    it('GET /api/calculator/add: two required integer query parameters, no body, answers {result}', () => {
      const add = calcRoutes.find((r) => r.path === '/api/calculator/add');
      assert.ok(add);
      assert.equal(add.method, 'GET');
      assert.equal(add.requestBody, undefined);
      assert.deepEqual(
        add.parameters.map((p) => [p.in, p.name, p.required, p.schema.type]),
        [
          ['query', 'a', true, 'integer'],
          ['query', 'b', true, 'integer'],
        ],
      );
      assert.deepEqual(add.response, { type: 'object', properties: { result: { type: 'integer', minimum: -2147483648, maximum: 2147483647 } }, additionalProperties: false, required: ['result'] });
    });
    it('keeps the default routes with references to the WSDL\'s types, and lists the fault rules\' statuses', () => {
      const def = calcRoutes.find((r) => r.path === '/api/calculator/Divide');
      assert.ok(def?.isDefault);
      assert.deepEqual(def.requestBody, { $ref: 'urn:soap-bridge:bundle:calculator#/$defs/Operands' });
      const divide = calcRoutes.find((r) => r.path === '/api/calculator/divide/{dividend}/{divisor}');
      assert.ok(divide);
      assert.deepEqual(divide.parameters.map((p) => [p.in, p.name, p.required]), [
        ['path', 'dividend', true],
        ['path', 'divisor', true],
      ]);
      assert.deepEqual(divide.faultStatuses, [{ status: 422, type: 'urn:soap-bridge:demo:problem:division-by-zero', title: 'Division by zero' }]);
      assert.deepEqual(Object.keys((divide.response as { properties: object }).properties).sort(), ['quotient', 'remainder']);
    });
    it('describes a reshaped body: moved fields under their new names, parameters out, drops accepted', () => {
      const create = b.routes.find((r) => r.path === '/api/shapes/customers/{customerId}/orders');
      assert.ok(create);
      const body = create.requestBody as { properties: Record<string, unknown>; required?: string[] };
      const names = Object.keys(body.properties).sort();
      assert.deepEqual(names, ['customer', 'debug', 'deliveryDate', 'lines', 'name', 'shipTo', 'trackingId']);
      assert.deepEqual(body.required?.sort(), ['lines', 'name', 'shipTo']);
      const customer = body.properties.customer as { properties: object; required?: string[] };
      assert.deepEqual(Object.keys(customer.properties), ['email'], 'what the rules fill leaves the body; the rest of customer may still come in it');
      assert.equal(customer.required, undefined);
      assert.deepEqual(create.parameters.map((p) => [p.in, p.name, p.required]), [
        ['path', 'customerId', true],
        ['header', 'x-express', false],
        ['query', 'note', false],
      ]);
    });
  });
});
