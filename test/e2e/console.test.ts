/**
 * The console's server API and the public dry run, end to end: the demo bundles (copied to a
 * temporary folder) against the demo backends, each behind a counting relay so a test can see
 * whether the backend was called. Also: recent exchanges (bounds, redaction with TEST_SECRETS),
 * the mapping route on a broken on-disk edit, admin protection and CONSOLE=false.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, startOrdersBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import { forward, postJson, request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

const ALL_SECRETS = Object.values(TEST_SECRETS);
const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const INV_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory.wsdl'), 'utf8');
const INV_XSD = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory-types.xsd'), 'utf8');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const INV = 'urn:soap-bridge:demo:inventory';

/** A relay to a backend that counts the requests it passes on. */
interface Relay {
  port: number;
  hits: number;
  close(): Promise<void>;
}

async function startRelay(target: DemoBackend): Promise<Relay> {
  const relay = { hits: 0 } as Relay;
  const server = await startHttp((req, res) => {
    relay.hits++;
    forward(target.url, req, res);
  });
  relay.port = server.port;
  relay.close = () => server.close();
  return relay;
}

/** Every console answer goes to the suite-wide secrets guard, and is checked here too. */
function clean(r: Reply, what: string): Reply {
  noteOutput(`console: ${what}`, r.text);
  for (const s of ALL_SECRETS) assert.ok(!r.text.includes(s), `${what}: a test secret leaked: ${r.text.slice(0, 500)}`);
  return r;
}

function envelope(body: string, header = ''): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:inv="${INV}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`;
}

function copyDir(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const f of fs.readdirSync(from)) fs.copyFileSync(path.join(from, f), path.join(to, f));
}

describe('console API and dry run end to end', function () {
  this.timeout(60000);
  let calc: DemoBackend;
  let orders: DemoBackend;
  let inventory: DemoBackend;
  let calcRelay: Relay;
  let ordersRelay: Relay;
  let invRelay: Relay;
  let tmp: ReturnType<typeof tempDir>;
  let env: NodeJS.ProcessEnv;
  let bridge: TestBridge;
  const others: TestBridge[] = [];
  const PER_OPERATION = 5;

  const get = async (b: TestBridge, p: string, headers: Record<string, string> = {}): Promise<Reply> => clean(await request(`${b.url}${p}`, { headers }), `GET ${p}`);
  const post = async (b: TestBridge, p: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> => clean(await postJson(`${b.url}${p}`, body, headers), `POST ${p}`);
  const soap = async (b: TestBridge, p: string, body: string, headers: Record<string, string> = {}): Promise<Reply> =>
    clean(await request(`${b.url}${p}`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', ...headers }, body }), `POST ${p}`);

  before(async () => {
    calc = await startCalculatorBackend(0);
    orders = await startOrdersBackend(0);
    inventory = await startInventoryBackend(0);
    calcRelay = await startRelay(calc);
    ordersRelay = await startRelay(orders);
    invRelay = await startRelay(inventory);
    tmp = tempDir('console');
    for (const name of ['calculator', 'orders', 'inventory']) copyDir(path.join(ROOT, 'wsdl', name), path.join(tmp.dir, name));
    // A copy of the calculator for the broken-edit test, so the others keep their mapping.
    copyDir(path.join(ROOT, 'wsdl', 'calculator'), path.join(tmp.dir, 'calc2'));
    fs.writeFileSync(path.join(tmp.dir, 'calc2', 'mapping.yaml'), 'name: calc2\nsoapBackend: http://127.0.0.1:${DEMO_CALCULATOR_PORT}/calculator\n');
    // A WS-Security password from the environment (REST facade) ...
    writeBundle(tmp.dir, 'secure', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': 'soapBackend: http://127.0.0.1:${DEMO_CALCULATOR_PORT}/calculator\nsecurity:\n  usernameToken:\n    username: integrator\n    password: ${SB_TEST_WS_PASSWORD}\n',
    });
    // ... a credential header to the JSON service (SOAP facade) ...
    writeBundle(tmp.dir, 'stock', {
      'inventory.wsdl': INV_WSDL,
      'inventory-types.xsd': INV_XSD,
      'mapping.yaml': 'restBackend: http://127.0.0.1:${DEMO_INVENTORY_PORT}/inventory\nrestHeaders:\n  Authorization: Bearer ${SB_TEST_REST_TOKEN}\n',
    });
    // ... and REST facade API keys.
    writeBundle(tmp.dir, 'keyed', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': 'soapBackend: http://127.0.0.1:${DEMO_CALCULATOR_PORT}/calculator\nauth:\n  apiKeys:\n    keys:\n      - { id: partner-a, sha256: "${PARTNER_A_SHA256}" }\n',
    });
    // ... and a rate limit.
    writeBundle(tmp.dir, 'limited', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': 'soapBackend: http://127.0.0.1:${DEMO_CALCULATOR_PORT}/calculator\nrateLimit: {requests: 2, windowMs: 3600000}\n' });
    env = {
      DEMO_CALCULATOR_PORT: String(calcRelay.port),
      DEMO_ORDERS_PORT: String(ordersRelay.port),
      DEMO_INVENTORY_PORT: String(invRelay.port),
      SB_TEST_WS_PASSWORD: TEST_SECRETS.wsPassword,
      SB_TEST_REST_TOKEN: TEST_SECRETS.restToken,
      PARTNER_A_SHA256: createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex'),
    };
    bridge = await startBridge(tmp.dir, env, { exchangesPerOperation: String(PER_OPERATION), reloadDebounceMs: '100' });
  });

  after(async () => {
    for (const b of others) await b.close();
    await bridge?.close();
    for (const r of [calcRelay, ordersRelay, invRelay]) await r?.close();
    for (const b of [calc, orders, inventory]) await b?.close();
    tmp?.remove();
  });

  /** Another bridge on the same folder (closed in after). */
  const another = async (overrides: Record<string, string>): Promise<TestBridge> => {
    const b = await startBridge(tmp.dir, env, { watch: 'false', ...overrides });
    others.push(b);
    return b;
  };

  describe('dry run (public API)', () => {
    it('default route: 200 with the envelope, the URL and SOAPAction; the backend is not called', async () => {
      const before = calcRelay.hits;
      const r = await post(bridge, '/api/calculator/Add?dryRun=1', { intA: 2, intB: 3 });
      assert.equal(r.status, 200, r.text);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      assert.equal(r.json.dryRun, true);
      assert.equal(r.json.service, 'calculator');
      assert.equal(r.json.operation, 'Add');
      assert.equal(r.json.backend.url, `http://127.0.0.1:${calcRelay.port}/calculator`);
      assert.equal(r.json.backend.method, 'POST');
      assert.match(r.json.backend.headers['content-type'], /^text\/xml/);
      assert.equal(r.json.backend.headers.soapaction, '"urn:soap-bridge:demo:calculator#Add"');
      assert.match(r.json.envelope, /<soap:Envelope[\s\S]*<tns:intA>2<\/tns:intA><tns:intB>3<\/tns:intB>/);
      assert.deepEqual(r.json.input, { intA: 2, intB: 3 });
      assert.equal(calcRelay.hits, before);
      // The access line says it was a dry run.
      // (written when the response closes: waited for, bounded)
      let line: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && !line; i++) {
        line = bridge.log.lines.find((l) => l.message === 'access' && l.requestId === r.headers['x-request-id']);
        if (!line) await new Promise((done) => setTimeout(done, 20));
      }
      assert.equal(line?.dryRun, true);
      // The same call for real does reach the backend.
      const real = await post(bridge, '/api/calculator/Add', { intA: 2, intB: 3 });
      assert.deepEqual(real.json, { AddResult: 5 });
      assert.equal(calcRelay.hits, before + 1);
    });

    it('custom route (GET /orders/{orderId}) with X-Dry-Run: the mapped input and the envelope; the backend is not called', async () => {
      const before = ordersRelay.hits;
      const r = await get(bridge, '/api/orders/orders/ORD-1002', { 'x-dry-run': '1' });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.json.operation, 'GetOrder');
      assert.deepEqual(r.json.input, { orderId: 'ORD-1002' });
      assert.match(r.json.envelope, /<t:ClientInfo>[\s\S]*<t:GetOrder><t:orderId>ORD-1002<\/t:orderId><\/t:GetOrder>/);
      assert.equal(ordersRelay.hits, before);
    });

    it('the OpenAPI document tells callers about the dry run, with the answer\'s members as the bridge sends them', async () => {
      const doc = (await get(bridge, '/openapi.json')).json;
      const text: string = doc.info.description;
      assert.match(text, /`dryRun=1`/);
      assert.match(text, /`X-Dry-Run: 1`/);
      const r = await post(bridge, '/api/calculator/Add?dryRun=1', { intA: 1, intB: 1 });
      assert.equal(r.status, 200, r.text);
      const shape = /\{dryRun, service, operation, backend: \{url, method, headers\}, envelope, input\}/.exec(text);
      assert.ok(shape, text);
      assert.deepEqual(Object.keys(r.json).sort(), ['backend', 'dryRun', 'envelope', 'input', 'operation', 'service']);
      assert.deepEqual(Object.keys(r.json.backend).sort(), ['headers', 'method', 'url']);
    });

    it('dryRun is taken out of the query before the mapping reads it', async () => {
      // GetOrders maps query.status, query.customer and query.limit; dryRun must not reach it.
      const r = await get(bridge, '/api/orders/orders?status=PAID&dryRun=1&limit=5');
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json.input, { status: 'PAID', limit: 5 });
      assert.doesNotMatch(r.json.envelope, /dryRun/);
    });

    it('invalid input: the same 400 problem with pointers as a real call', async () => {
      const before = calcRelay.hits;
      const dry = await post(bridge, '/api/calculator/Add?dryRun=1', { intA: 'two', intB: 3 });
      const real = await post(bridge, '/api/calculator/Add', { intA: 'two', intB: 3 });
      assert.equal(dry.status, 400);
      assert.equal(dry.headers['content-type'], 'application/problem+json');
      assert.deepEqual(dry.json.errors, [{ pointer: '/intA', detail: 'must be an integer' }]);
      assert.deepEqual(dry.json.errors, real.json.errors);
      assert.equal(dry.json.type, real.json.type);
      // A custom route's parameters are named as such.
      const param = await get(bridge, '/api/calculator/add?a=x&b=1&dryRun=1');
      assert.equal(param.status, 400);
      assert.deepEqual(param.json.errors, [{ in: 'query', parameter: 'a', detail: 'must be an integer' }]);
      assert.equal(calcRelay.hits, before);
    });

    it('SOAP facade: ?dryRun=1 answers the JSON call it would make; the JSON service is not called', async () => {
      const before = invRelay.hits;
      const r = await soap(bridge, '/soap/inventory?dryRun=1', envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(r.json, {
        dryRun: true,
        service: 'inventory',
        operation: 'CheckStock',
        backend: { url: `http://127.0.0.1:${invRelay.port}/inventory/articles/BOK-1001/stock`, method: 'GET', headers: { accept: 'application/json, application/problem+json' } },
        body: null,
      });
      const post1 = await soap(bridge, '/soap/stock', envelope('<inv:SetPrice><inv:sku>BOK-1001</inv:sku><inv:price currency="EUR">20.5</inv:price></inv:SetPrice>'), { 'x-dry-run': 'true' });
      assert.equal(post1.status, 200, post1.text);
      assert.equal(post1.json.backend.method, 'POST');
      assert.deepEqual(post1.json.body, { sku: 'BOK-1001', price: { currency: 'EUR', $value: 20.5 } });
      // The restHeaders credential is shown redacted.
      assert.equal(post1.json.backend.headers.authorization, '[REDACTED]');
      assert.equal(invRelay.hits, before);
      // An invalid request is the usual fault.
      const bad = await soap(bridge, '/soap/inventory?dryRun=1', envelope('<inv:CheckStock><inv:sku>nope</inv:sku></inv:CheckStock>'));
      assert.equal(bad.status, 500);
      assert.match(bad.text, /faultcode>soap:Client</);
    });

    it('a dry run is a request: REST facade authentication still applies', async () => {
      const refused = await post(bridge, '/api/keyed/Add?dryRun=1', { intA: 1, intB: 2 });
      assert.equal(refused.status, 401);
      const ok = await post(bridge, '/api/keyed/Add?dryRun=1', { intA: 1, intB: 2 }, { 'x-api-key': TEST_SECRETS.apiKey });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.dryRun, true);
    });

    it('a dry run is a request: rate limits count it (and console sends too)', async () => {
      for (let i = 0; i < 2; i++) assert.equal((await post(bridge, '/api/limited/Add?dryRun=1', { intA: 1, intB: i })).status, 200);
      const limited = await post(bridge, '/api/limited/Add?dryRun=1', { intA: 1, intB: 2 });
      assert.equal(limited.status, 429, limited.text);
      assert.ok(limited.headers['retry-after']);
      const sent = await post(bridge, '/console/api/services/limited/operations/Add/send', { input: { intA: 1, intB: 2 }, dryRun: true });
      assert.equal(sent.status, 200);
      assert.equal(sent.json.status, 429);
      assert.equal(sent.json.error.code, 'RATE_LIMITED');
    });

    it('the WS-Security password in a dry-run envelope is redacted', async () => {
      const r = await post(bridge, '/api/secure/Add?dryRun=1', { intA: 1, intB: 2 });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.envelope, /<wsse:Password[^>]*>\[REDACTED\]<\/wsse:Password>/);
    });
  });

  describe('console API', () => {
    it('services: the calculator with its backend, circuit state, in-flight count and last call', async () => {
      await post(bridge, '/api/calculator/Subtract', { intA: 5, intB: 3 });
      const r = await get(bridge, '/console/api/services');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.headers['cache-control'], 'no-store');
      assert.equal(r.headers['content-security-policy'], "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      const c = r.json.find((s: { name: string }) => s.name === 'calculator');
      assert.ok(c, r.text);
      assert.equal(c.generation, 1);
      assert.match(c.hash, /^[0-9a-f]{12}$/);
      assert.equal(c.validation, 'fast');
      assert.deepEqual(c.facades, { rest: true, soap: false });
      assert.equal(c.mappingFile, 'calculator/mapping.yaml');
      assert.equal(c.backends.length, 1);
      const b = c.backends[0];
      assert.equal(b.url, `http://127.0.0.1:${calcRelay.port}/calculator`);
      assert.equal(b.origin, `http://127.0.0.1:${calcRelay.port}`);
      assert.ok(['none', 'closed'].includes(b.circuit), b.circuit); // breakers are off in tests: none
      assert.equal(b.inFlight, 0);
      assert.equal(b.lastCall.ok, true);
      assert.equal(b.lastCall.status, 200);
      assert.equal(typeof b.lastCall.ms, 'number');
      assert.ok(!Number.isNaN(Date.parse(b.lastCall.at)));
      const add = c.operations.find((o: { name: string }) => o.name === 'Add');
      assert.deepEqual(add.routes, [
        { method: 'POST', path: '/api/calculator/Add' },
        { method: 'GET', path: '/api/calculator/add' },
      ]);
      assert.equal(add.soapAction, 'urn:soap-bridge:demo:calculator#Add');
      assert.equal(add.oneWay, false);
      assert.equal(add.idempotent, false);
      const inv = r.json.find((s: { name: string }) => s.name === 'inventory');
      assert.deepEqual(inv.facades, { rest: false, soap: true });
      assert.equal(inv.backends[0].url, `http://127.0.0.1:${invRelay.port}/inventory`);
      assert.ok(inv.operations.some((o: { name: string; routes: unknown[] }) => o.name === 'CheckStock' && o.routes.length === 0));
    });

    it('a backend that is down shows its failed last call', async () => {
      const tmp2 = tempDir('console-down');
      try {
        const dead = await startHttp((_q, s) => s.end());
        await dead.close();
        writeBundle(tmp2.dir, 'down', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': `soapBackend: http://127.0.0.1:${dead.port}/calculator\n` });
        const b = await startBridge(tmp2.dir, {}, { watch: 'false', breakerFailures: '1', breakerResetMs: '600000' });
        others.push(b);
        const call = await post(b, '/api/down/Add', { intA: 1, intB: 2 });
        assert.equal(call.status, 502);
        const r = await get(b, '/console/api/services');
        const backend = r.json[0].backends[0];
        assert.equal(backend.circuit, 'open');
        assert.equal(backend.lastCall.ok, false);
        assert.match(backend.lastCall.error, /ECONNREFUSED|refused/i);
      } finally {
        tmp2.remove();
      }
    });

    it('operation detail: schemas, a sample that validates and sends with 200, and the SOAP sample', async () => {
      for (const [service, operation] of [
        ['calculator', 'Add'],
        ['calculator', 'Divide'],
        ['orders', 'GetOrder'],
        ['orders', 'CreateOrder'],
        ['inventory', 'CheckStock'],
        ['inventory', 'SetPrice'],
      ]) {
        const d = await get(bridge, `/console/api/services/${service}/operations/${operation}`);
        assert.equal(d.status, 200, d.text);
        assert.equal(d.json.name, operation);
        assert.equal(d.json.service, service);
        assert.equal(d.json.inputSchema.$schema, 'https://json-schema.org/draft/2020-12/schema');
        assert.match(d.json.inputSchema.$ref, /^#\/\$defs\//);
        assert.ok(d.json.inputSchema.$defs[d.json.inputSchema.$ref.slice(8)], 'the $ref resolves in $defs');
        assert.ok(d.json.sample !== null, `${service}.${operation} has a sample`);
        const v = await post(bridge, `/console/api/services/${service}/operations/${operation}/validate`, { input: d.json.sample });
        assert.deepEqual(v.json, { valid: true, errors: [] }, `${service}.${operation}: ${JSON.stringify(d.json.sample)}`);
        if (service === 'inventory') {
          assert.match(d.json.soapSample, /^<\?xml[\s\S]*<soap:Envelope[\s\S]*<tns:/);
          assert.deepEqual(d.json.routes, []);
        } else assert.equal(d.json.soapSample, undefined);
      }
      const add = await get(bridge, '/console/api/services/calculator/operations/Add');
      assert.equal(add.json.routes[1].path, '/api/calculator/add');
      assert.deepEqual(
        add.json.routes[1].params.map((p: { in: string; name: string }) => `${p.in}.${p.name}`),
        ['query.a', 'query.b'],
      );
      assert.ok(add.json.outputSchema.$defs);
      const sent = await post(bridge, '/console/api/services/calculator/operations/Add/send', { input: add.json.sample });
      assert.equal(sent.status, 200);
      assert.equal(sent.json.status, 200, sent.text);
      // The SOAP sample is what a SOAP client sends: the SOAP facade takes it.
      const inv = await get(bridge, '/console/api/services/inventory/operations/ListWarehouses');
      const through = await soap(bridge, '/soap/inventory', inv.json.soapSample);
      assert.equal(through.status, 200, through.text);
      assert.match(through.text, /ListWarehousesResponse/);
    });

    it('validate: the compiled validator, errors as pointers', async () => {
      const r = await post(bridge, '/console/api/services/calculator/operations/Add/validate', { input: { intA: 'x' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.valid, false);
      assert.deepEqual(
        r.json.errors.map((e: { pointer: string }) => e.pointer).sort(),
        ['/intA', '/intB'],
      );
      const unknown = await post(bridge, '/console/api/services/calculator/operations/Ad/validate', { input: {} });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers['content-type'], 'application/problem+json');
      assert.match(unknown.json.detail, /did you mean "Add"/);
      const notJson = clean(await request(`${bridge.url}/console/api/services/calculator/operations/Add/validate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }), 'bad json');
      assert.equal(notJson.status, 400);
    });

    it('send: the four stages with statuses and timings, also kept in the recent exchanges', async () => {
      const before = calcRelay.hits;
      const r = await post(bridge, '/console/api/services/calculator/operations/Divide/send', { input: { intA: 7, intB: 2 } });
      assert.equal(r.status, 200, r.text);
      const x = r.json;
      assert.equal(x.facade, 'rest');
      assert.equal(x.service, 'calculator');
      assert.equal(x.operation, 'Divide');
      assert.equal(x.route, 'POST /api/calculator/Divide');
      assert.equal(x.dryRun, false);
      assert.equal(x.status, 200);
      assert.equal(typeof x.durationMs, 'number');
      assert.equal(typeof x.backendMs, 'number');
      assert.ok(x.requestId && x.id.startsWith(x.requestId));
      assert.ok(!Number.isNaN(Date.parse(x.at)));
      assert.deepEqual(JSON.parse(x.request.body), { intA: 7, intB: 2 });
      assert.equal(x.backendRequest.url, `http://127.0.0.1:${calcRelay.port}/calculator`);
      assert.equal(x.backendRequest.method, 'POST');
      assert.equal(x.backendRequest.headers.soapaction, '"urn:soap-bridge:demo:calculator#Divide"');
      assert.match(x.backendRequest.body, /<tns:Divide>/);
      assert.equal(x.backendResponse.status, 200);
      assert.match(x.backendResponse.contentType, /xml/);
      assert.match(x.backendResponse.body, /DivideResponse/);
      assert.equal(typeof x.backendResponse.ms, 'number');
      assert.equal(x.response.status, 200);
      assert.equal(x.response.contentType, 'application/json');
      assert.deepEqual(JSON.parse(x.response.body), { DivideResult: 3, Remainder: 1 });
      assert.equal(calcRelay.hits, before + 1);
      const kept = await get(bridge, `/console/api/exchanges/${encodeURIComponent(x.id)}`);
      assert.deepEqual(kept.json, x);
    });

    it('send: a backend fault is recorded with its catalogue code', async () => {
      const r = await post(bridge, '/console/api/services/calculator/operations/Divide/send', { input: { intA: 7, intB: 0 } });
      assert.equal(r.json.status, 422, r.text);
      assert.equal(r.json.error.code, 'BACKEND_FAULT');
      assert.match(r.json.backendResponse.body, /Fault/);
      assert.equal(r.json.response.contentType, 'application/problem+json');
    });

    it('send: invalid input gives status 400 with the pointers, and the backend is not called', async () => {
      const before = calcRelay.hits;
      const r = await post(bridge, '/console/api/services/calculator/operations/Add/send', { input: { intA: 1, intB: 'two' } });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 400);
      assert.deepEqual(r.json.errors, [{ pointer: '/intB', detail: 'must be an integer' }]);
      assert.equal(r.json.error.code, 'VALIDATION_FAILED');
      assert.equal(r.json.backendRequest, undefined);
      assert.equal(JSON.parse(r.json.response.body).status, 400);
      assert.equal(calcRelay.hits, before);
    });

    it('send with dryRun: the envelope, URL and SOAPAction, no backend response, the backend not called', async () => {
      const before = calcRelay.hits;
      const r = await post(bridge, '/console/api/services/calculator/operations/Multiply/send', { input: { intA: 6, intB: 7 }, dryRun: true });
      assert.equal(r.json.status, 200, r.text);
      assert.equal(r.json.dryRun, true);
      assert.match(r.json.backendRequest.body, /<tns:Multiply><tns:intA>6<\/tns:intA>/);
      assert.equal(r.json.backendRequest.headers.soapaction, '"urn:soap-bridge:demo:calculator#Multiply"');
      assert.equal(r.json.backendResponse, undefined);
      assert.equal(JSON.parse(r.json.response.body).dryRun, true);
      assert.equal(calcRelay.hits, before);
    });

    it('send refuses a bad request as a problem (unknown service, no input, dryRun not boolean, no REST facade)', async () => {
      assert.equal((await post(bridge, '/console/api/services/nope/operations/Add/send', { input: {} })).status, 404);
      assert.equal((await post(bridge, '/console/api/services/calculator/operations/Add/send', {})).status, 400);
      assert.equal((await post(bridge, '/console/api/services/calculator/operations/Add/send', { input: {}, dryRun: 'yes' })).status, 400);
      const text = clean(await request(`${bridge.url}/console/api/services/calculator/operations/Add/send`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"input":{}}' }), 'text/plain send');
      assert.equal(text.status, 415);
      const soapOnly = await post(bridge, '/console/api/services/inventory/operations/CheckStock/send', { input: { sku: 'BOK-1001' } });
      assert.equal(soapOnly.status, 404);
      assert.match(soapOnly.json.detail, /no REST facade/);
    });

    it('soap: an envelope through the SOAP facade, with the JSON out and back and the reply envelope', async () => {
      const before = invRelay.hits;
      const r = await post(bridge, '/console/api/services/inventory/soap', { envelope: envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>') });
      assert.equal(r.status, 200);
      const x = r.json;
      assert.equal(x.facade, 'soap');
      assert.equal(x.operation, 'CheckStock');
      assert.equal(x.route, 'POST /soap/inventory');
      assert.equal(x.status, 200, x.response.body);
      assert.match(x.request.body, /<inv:CheckStock>/);
      assert.equal(x.backendRequest.method, 'GET');
      assert.equal(x.backendRequest.url, `http://127.0.0.1:${invRelay.port}/inventory/articles/BOK-1001/stock`);
      assert.equal(x.backendResponse.status, 200);
      assert.equal(JSON.parse(x.backendResponse.body).total, 15);
      assert.match(x.response.body, /CheckStockResponse[\s\S]*<tns:available>15</);
      assert.equal(invRelay.hits, before + 1);
      const dry = await post(bridge, '/console/api/services/inventory/soap', { envelope: envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'), dryRun: true });
      assert.equal(dry.json.status, 200);
      assert.equal(dry.json.backendResponse, undefined);
      assert.equal(JSON.parse(dry.json.response.body).backend.method, 'GET');
      assert.equal(invRelay.hits, before + 1);
      const bad = await post(bridge, '/console/api/services/inventory/soap', { envelope: envelope('<inv:CheckStock><inv:sku>x</inv:sku></inv:CheckStock>') });
      assert.equal(bad.json.status, 500);
      assert.equal(bad.json.error.code, 'VALIDATION_FAILED');
      assert.match(bad.json.response.body, /Fault/);
      assert.ok(bad.json.errors.length > 0 && bad.json.errors[0].pointer === '/sku', JSON.stringify(bad.json.errors));
    });

    it('exchanges: calls through both facades, newest first, filtered, fetched by id', async () => {
      await post(bridge, '/api/orders/GetOrder', { orderId: 'ORD-1002' });
      await soap(bridge, '/soap/inventory', envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
      const all = await get(bridge, '/console/api/exchanges');
      assert.equal(all.status, 200);
      assert.equal(all.json[0].facade, 'soap');
      assert.equal(all.json[1].service, 'orders');
      assert.deepEqual(Object.keys(all.json[0]).sort(), ['at', 'dryRun', 'durationMs', 'facade', 'id', 'operation', 'route', 'service', 'status'].sort());
      for (let i = 1; i < all.json.length; i++) assert.ok(all.json[i - 1].at >= all.json[i].at, 'newest first');
      const orders1 = await get(bridge, '/console/api/exchanges?service=orders&operation=GetOrder');
      assert.ok(orders1.json.length >= 1);
      assert.ok(orders1.json.every((e: { service: string; operation: string }) => e.service === 'orders' && e.operation === 'GetOrder'));
      const one = await get(bridge, `/console/api/exchanges/${encodeURIComponent(orders1.json[0].id)}`);
      assert.equal(one.json.route, 'POST /api/orders/GetOrder');
      assert.equal(one.json.backendResponse.status, 200);
      assert.match(one.json.response.body, /ORD-1002/);
      // A call to an operation that does not exist is recorded without an operation.
      await post(bridge, '/api/orders/NoSuchOperation', {});
      const unknown = (await get(bridge, '/console/api/exchanges?service=orders')).json[0];
      assert.equal(unknown.operation, null);
      assert.equal(unknown.status, 404);
      const missing = await get(bridge, '/console/api/exchanges/no-such-id');
      assert.equal(missing.status, 404);
    });

    it(`exchanges: N+5 calls keep the last N of an operation (N = EXCHANGES_PER_OPERATION = ${PER_OPERATION})`, async () => {
      await post(bridge, '/api/calculator/Subtract', { intA: 100, intB: 0 });
      const first = (await get(bridge, '/console/api/exchanges?service=calculator&operation=Subtract')).json[0];
      assert.equal(JSON.parse((await get(bridge, `/console/api/exchanges/${encodeURIComponent(first.id)}`)).json.request.body).intA, 100);
      for (let i = 1; i < PER_OPERATION + 5; i++) await post(bridge, '/api/calculator/Subtract', { intA: 100 + i, intB: 0 });
      const list = (await get(bridge, '/console/api/exchanges?service=calculator&operation=Subtract')).json;
      assert.equal(list.length, PER_OPERATION);
      const newest = (await get(bridge, `/console/api/exchanges/${encodeURIComponent(list[0].id)}`)).json;
      assert.equal(JSON.parse(newest.request.body).intA, 100 + PER_OPERATION + 4);
      assert.equal((await get(bridge, `/console/api/exchanges/${encodeURIComponent(first.id)}`)).status, 404);
    });

    it('exchanges never hold a secret: WS-Security password, restHeaders token, API key, password fields', async () => {
      await post(bridge, '/api/secure/Add', { intA: 1, intB: 2 });
      await soap(bridge, '/soap/stock', envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
      const keyed = await post(bridge, '/api/keyed/Add', { intA: 1, intB: 2 }, { 'x-api-key': TEST_SECRETS.apiKey });
      assert.equal(keyed.status, 200, keyed.text);
      // Secrets in a body (refused by the schema, recorded all the same).
      await post(bridge, '/api/calculator/Add', { intA: 1, intB: 2, password: TEST_SECRETS.bodyPassword, apiKey: TEST_SECRETS.apiKey });
      const list = (await get(bridge, '/console/api/exchanges')).json as { id: string; service: string; operation: string }[];
      const full = async (service: string, operation: string) => {
        const s = list.find((e) => e.service === service && e.operation === operation);
        assert.ok(s, `${service}.${operation} recorded`);
        return (await get(bridge, `/console/api/exchanges/${encodeURIComponent(s.id)}`)).json;
      };
      const secure = await full('secure', 'Add');
      assert.match(secure.backendRequest.body, /<wsse:Password[^>]*>\[REDACTED\]</);
      const stock = await full('stock', 'CheckStock');
      assert.equal(stock.backendRequest.headers.authorization, '[REDACTED]');
      const key = await full('keyed', 'Add');
      assert.equal(key.principal, 'partner-a');
      const add = (await get(bridge, '/console/api/exchanges?service=calculator&operation=Add')).json[0];
      const body = (await get(bridge, `/console/api/exchanges/${encodeURIComponent(add.id)}`)).json;
      assert.equal(body.status, 400);
      assert.deepEqual(JSON.parse(body.request.body), { intA: 1, intB: 2, password: '[REDACTED]', apiKey: '[REDACTED]' });
      // `clean` has checked every answer above for every TEST_SECRETS value.
    });

    it('send to an operation with auth: refused while nothing protects the console', async () => {
      const r = await post(bridge, '/console/api/services/keyed/operations/Add/send', { input: { intA: 1, intB: 2 } });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 403);
      assert.equal(r.json.error.code, 'FORBIDDEN');
      assert.match(r.json.error.detail, /ADMIN_TOKEN or ADMIN_ALLOW/);
    });

    it('mapping: the text on disk and the diagnostics of a broken edit at their line, while the old version serves', async () => {
      const ok = await get(bridge, '/console/api/services/calc2/mapping');
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.json.file, 'calc2/mapping.yaml');
      assert.equal(ok.json.served, true);
      assert.deepEqual(ok.json.diagnostics.filter((d: { severity: string }) => d.severity === 'error'), []);
      const broken = 'name: calc2\nsoapBackend: http://127.0.0.1:${DEMO_CALCULATOR_PORT}/calculator\ntimeoutMs: 5000\noperation:\n  Add: {}\n';
      fs.writeFileSync(path.join(tmp.dir, 'calc2', 'mapping.yaml'), broken);
      const r = await get(bridge, '/console/api/services/calc2/mapping');
      assert.equal(r.json.text, broken);
      assert.equal(r.json.served, false);
      const err = r.json.diagnostics.find((d: { severity: string }) => d.severity === 'error');
      assert.ok(err, r.text);
      assert.equal(err.file, 'calc2/mapping.yaml');
      assert.equal(err.line, 4);
      assert.equal(err.column, 1);
      assert.match(err.message, /operation/);
      assert.match(err.message, /did you mean `operations`/);
      // Hot reload refuses the edit: the old version keeps answering.
      const call = await post(bridge, '/api/calc2/Add', { intA: 2, intB: 2 });
      assert.equal(call.status, 200, call.text);
      assert.deepEqual(call.json, { AddResult: 4 });
    });

    it('the page: GET /console with CSP default-src self, its assets, and 404 for the unknown', async () => {
      const page = await get(bridge, '/console');
      assert.equal(page.status, 200);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      assert.equal(page.headers['content-security-policy'], "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
      const refs = [...page.text.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]);
      for (const ref of refs) assert.equal((await get(bridge, ref)).status, 200, ref);
      assert.equal((await get(bridge, '/console/assets/no-such-file.js')).status, 404);
      const unknown = await get(bridge, '/console/api/nothing');
      assert.equal(unknown.status, 404);
      assert.equal(unknown.headers['content-type'], 'application/problem+json');
    });
  });

  describe('settings', () => {
    it('ADMIN_TOKEN: 401 on the API without it, 200 with it; a console send to an operation with auth is then allowed', async () => {
      const b = await another({ adminToken: TEST_SECRETS.adminToken });
      const no = await get(b, '/console/api/services');
      assert.equal(no.status, 401);
      assert.match(String(no.headers['www-authenticate']), /^Bearer/);
      const auth = { authorization: `Bearer ${TEST_SECRETS.adminToken}` };
      assert.equal((await get(b, '/console/api/services', auth)).status, 200);
      assert.equal((await post(b, '/console/api/services/calculator/operations/Add/validate', { input: {} })).status, 401);
      // The page itself holds no data: a browser loads it without the token.
      assert.equal((await get(b, '/console')).status, 200);
      const sent = await post(b, '/console/api/services/keyed/operations/Add/send', { input: { intA: 1, intB: 2 } }, auth);
      assert.equal(sent.json.status, 200, sent.text);
      assert.equal(sent.json.principal, 'console');
    });

    it('ADMIN_ALLOW without loopback: 403 on the page and the API', async () => {
      const b = await another({ adminAllow: '10.0.0.0/8' });
      assert.equal((await get(b, '/console')).status, 403);
      assert.equal((await get(b, '/console/api/services')).status, 403);
    });

    it('CONSOLE=false: /console and /console/api answer 404', async () => {
      const b = await another({ console: 'false' });
      for (const p of ['/console', '/console/assets/placeholder.css', '/console/api/services', '/console/api/exchanges']) {
        const r = await get(b, p);
        assert.equal(r.status, 404, p);
        assert.equal(r.headers['content-type'], 'application/problem+json');
      }
      // The facades are untouched.
      assert.equal((await post(b, '/api/calculator/Add', { intA: 1, intB: 1 })).status, 200);
    });

    it('EXCHANGES_PER_OPERATION=0 records nothing; send still answers its record', async () => {
      const b = await another({ exchangesPerOperation: '0' });
      await post(b, '/api/calculator/Add', { intA: 1, intB: 1 });
      await soap(b, '/soap/inventory', envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>'));
      const sent = await post(b, '/console/api/services/calculator/operations/Add/send', { input: { intA: 1, intB: 1 } });
      assert.equal(sent.json.status, 200);
      assert.deepEqual((await get(b, '/console/api/exchanges')).json, []);
      assert.equal((await get(b, `/console/api/exchanges/${encodeURIComponent(sent.json.id)}`)).status, 404);
    });

    it('EXCHANGES_MAX_BYTES: the oldest exchanges are evicted beyond the global budget', async () => {
      const b = await another({ exchangesMaxBytes: '30000', exchangesPerOperation: '100' });
      const ids: string[] = [];
      for (let i = 0; i < 30; i++) {
        const sent = await post(b, `/console/api/services/calculator/operations/${i % 2 ? 'Add' : 'Multiply'}/send`, { input: { intA: i, intB: 1 } });
        ids.push(sent.json.id);
      }
      const list = (await get(b, '/console/api/exchanges')).json as { id: string }[];
      assert.ok(list.length > 0 && list.length < 30, `${list.length} kept`);
      assert.equal(list[0].id, ids[29]);
      // What is kept is the newest, in order.
      assert.deepEqual(list.map((e) => e.id), ids.slice(30 - list.length).reverse());
      assert.equal((await get(b, `/console/api/exchanges/${encodeURIComponent(ids[0])}`)).status, 404);
    });

    it('EXCHANGE_MAX_BODY_BYTES: bodies are cut with truncated: true', async () => {
      const b = await another({ exchangeMaxBodyBytes: '256' });
      const r = await post(b, '/console/api/services/orders/operations/GetOrder/send', { input: { orderId: 'ORD-1002' } });
      assert.equal(r.json.status, 200, r.text);
      assert.equal(r.json.backendResponse.truncated, true);
      assert.ok(Buffer.byteLength(r.json.backendResponse.body) <= 256);
      assert.equal(r.json.response.truncated, true);
      assert.equal(r.json.request.truncated, undefined);
    });
  });
});
