/**
 * Property: random and mutated input never makes the bridge answer 500 or crash, only the
 * contract's errors. An in-process bridge over the demo bundles (wsdl/) and the demo backends on
 * loopback ports: (a) random JSON bodies to every REST route: never 500, and problem+json when
 * not 2xx; (b) mutated SOAP envelopes of the inventory operations (SOAP 1.1 and 1.2) to the SOAP
 * facade: always a well-formed SOAP Envelope, a 500 only with a Fault, and /healthz still answers.
 *
 * FUZZ_RUNS overrides the number of runs per property; FUZZ_SEED replays a failure; FUZZ_STATS
 * prints every status.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import fc from 'fast-check';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, startOrdersBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { startInventoryBackend } from '../../fixtures/demo/inventory';
import { compileBundleDir, type CompiledOperation } from '../../src/compile';
import type { RouteDescription } from '../../src/model/route';
import { EOF, XmlStream } from '../../src/xml/stream';
import { request, startBridge, type Reply, type TestBridge } from '../support/bridge';
import { checkStock } from '../support/ratelimit';
import { ROOT } from '../support/compile';
import { anyUnicode, arbitraryFor } from './arbitrary';

const RUNS = Math.max(1, Math.floor(Number(process.env.FUZZ_RUNS ?? 200) / 2));
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);
const params = { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) };

async function check<T>(prop: fc.IAsyncProperty<T>): Promise<void> {
  const out = await fc.check(prop, params);
  if (out.failed) {
    throw new Error(
      `property failed (seed ${out.seed}, path "${out.counterexamplePath ?? ''}"; replay with FUZZ_SEED=${out.seed}) after ${out.numRuns} runs\n` +
        `counterexample: ${fc.stringify(out.counterexample)}\n${out.errorInstance instanceof Error ? out.errorInstance.stack : String(out.errorInstance)}`,
    );
  }
}

function assertProblem(r: Reply, what: string): void {
  assert.notEqual(r.status, 500, `${what}: no 500 (${r.text.slice(0, 500)})`);
  assert.ok(r.status >= 200 && r.status < 600, `${what}: status ${r.status}`);
  if (r.status >= 200 && r.status < 300) return;
  assert.match(String(r.headers['content-type']), /^application\/problem\+json/, `${what}: problem+json for ${r.status}`);
  assert.ok(r.json && typeof r.json === 'object', `${what}: a JSON problem: ${r.text.slice(0, 300)}`);
  assert.equal(r.json.status, r.status, `${what}: the problem's status`);
  assert.equal(typeof r.json.title, 'string');
  assert.equal(typeof r.json.type, 'string');
}

/** Parses the whole document: throws when it is not well-formed. */
function assertSoapEnvelope(text: string, what: string): boolean {
  const s = new XmlStream(text);
  let first = true;
  let fault = false;
  for (;;) {
    const t = s.next();
    if (t === EOF) break;
    if (first && s.local) {
      assert.equal(s.local, 'Envelope', `${what}: an Envelope: ${text.slice(0, 300)}`);
      first = false;
    }
    if (s.local === 'Fault') fault = true;
  }
  assert.ok(!first, `${what}: a document`);
  return fault;
}

describe('fuzz: random and mutated input never gives a 500 or a crash', function () {
  this.timeout(120000);
  let calc: DemoBackend;
  let orders: DemoBackend;
  let inventory: DemoBackend;
  let bridge: TestBridge;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    calc = await startCalculatorBackend(0);
    orders = await startOrdersBackend(0);
    inventory = await startInventoryBackend(0);
    env = { DEMO_CALCULATOR_PORT: String(calc.port), DEMO_ORDERS_PORT: String(orders.port), DEMO_INVENTORY_PORT: String(inventory.port) };
    bridge = await startBridge(path.join(ROOT, 'wsdl'), env, { maxBodyBytes: '65536' });
  });

  after(async () => {
    await bridge?.close();
    await Promise.all([calc?.close(), orders?.close(), inventory?.close()]);
  });

  async function healthy(): Promise<void> {
    const h = await request(`${bridge.url}/healthz`);
    assert.equal(h.status, 200, 'the bridge still answers /healthz');
  }

  it('(a) random JSON bodies to every REST route: the contract statuses, problem+json, never 500', async () => {
    const routes: RouteDescription[] = [];
    const validBodies: fc.Arbitrary<string>[] = [];
    for (const name of ['calculator', 'orders', 'inventory']) {
      const b = compileBundleDir(path.join(ROOT, 'wsdl', name), { env: { ...process.env, ...env } }).bundle;
      assert.ok(b);
      routes.push(...b.routes);
      const doc = b.schema as unknown as { $defs: Record<string, Record<string, unknown>> };
      // Valid inputs, and valid inputs with one property replaced by any JSON value.
      for (const op of b.operations.values()) {
        const valid = arbitraryFor(doc, op.inputDef);
        validBodies.push(valid.map((v) => JSON.stringify(v)));
        validBodies.push(
          fc.tuple(valid, fc.nat(), fc.jsonValue()).map(([v, i, j]) => {
            const o = v as Record<string, unknown>;
            const keys = Object.keys(o);
            if (keys.length > 0) o[keys[i % keys.length]] = j;
            return JSON.stringify(o);
          }),
        );
      }
    }
    assert.ok(validBodies.length > 0);
    assert.ok(routes.length >= 8, 'the demo REST routes');
    const body = fc.oneof(
      fc.oneof(...validBodies),
      fc.oneof(...validBodies),
      fc.jsonValue({ depthSize: 'large' }).map((v) => JSON.stringify(v)),
      fc.jsonValue().map((v) => JSON.stringify({ intA: v, intB: v, orderId: v, customer: v, item: [v], payment: v, express: v })),
      fc.constantFrom('', '{', 'null', '[]', '{"intA":1e400,"intB":-0}', '{"intA":"9".repeat(400)}', '"\\ud800"', '{"__proto__":{"x":1}}', '{"constructor":1}', `${'['.repeat(5000)}${']'.repeat(5000)}`, `{"a":${'9'.repeat(70000)}}`),
      anyUnicode,
    );
    const segment = fc.oneof(fc.constantFrom('ORD-1', '1', '', '%', '%00', '..', 'é'), fc.string({ maxLength: 8 }).map(encodeURIComponent));
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/json; charset=latin1', 'application/xml', '');
    const method = fc.constantFrom('ROUTE', 'ROUTE', 'ROUTE', 'GET', 'PUT', 'DELETE', 'PATCH');
    const seen = new Set<number>();
    await check(
      fc.asyncProperty(fc.constantFrom(...routes), body, segment, contentType, method, fc.string({ maxLength: 10 }).map(encodeURIComponent), async (route, b, seg, ct, m, query) => {
        const url = bridge.url + route.path.replace(/\{[^}]+\}/g, seg || 'x') + (query ? `?${query}=${query}` : '');
        const verb = m === 'ROUTE' ? route.method.toUpperCase() : m;
        const headers: Record<string, string> = ct ? { 'content-type': ct } : {};
        const r = await request(url, { method: verb, headers, body: verb === 'GET' || verb === 'DELETE' ? undefined : b });
        assertProblem(r, `${verb} ${url}`);
        seen.add(r.status);
        if (process.env.FUZZ_STATS) console.log('REST', r.status, r.status === 502 ? `${verb} ${url} ${b.slice(0, 300)} ${r.text.slice(0, 400)}` : '');
      }),
    );
    // Not vacuous: calls reached the backends and were refused by validation.
    if (SEED === undefined && RUNS >= 50) for (const st of [200, 400, 405]) assert.ok(seen.has(st), `some ${st} among ${[...seen].join(', ')}`);
    await healthy();
  });

  it('(b) mutated SOAP envelopes to the SOAP facade: a well-formed Envelope, a 500 only with a Fault', async () => {
    const b = compileBundleDir(path.join(ROOT, 'wsdl', 'inventory'), { env: { ...process.env, ...env } }).bundle;
    assert.ok(b);
    const doc = b.schema as unknown as { $defs: Record<string, Record<string, unknown>> };
    const ops: CompiledOperation[] = [];
    for (const byKey of b.soapOperations.values()) for (const list of byKey.values()) ops.push(...list);
    assert.ok(ops.some((o) => o.soapVersion === '1.2'));
    const valid = fc.constantFrom(...ops).chain((op) => arbitraryFor(doc, op.inputDef).map((v) => ({ op, xml: op.encodeRequest(v) })));
    type Mutation = (s: string) => string;
    const at = (s: string, f: number): number => Math.floor(f * s.length);
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), anyUnicode).map(([f, c]): Mutation => (s) => s.slice(0, at(s, f)) + c + s.slice(at(s, f) + 1)),
      fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 20 })).map(([f, n]): Mutation => (s) => s.slice(0, at(s, f)) + s.slice(at(s, f) + n)),
      fc.nat().map((i): Mutation => (s) => {
        // Deletes one tag.
        const tags = [...s.matchAll(/<[^>]*>/g)];
        if (tags.length === 0) return s;
        const t = tags[i % tags.length];
        return s.slice(0, t.index) + s.slice(t.index + t[0].length);
      }),
      fc.nat().map((i): Mutation => (s) => {
        // Duplicates one leaf element.
        const leaves = [...s.matchAll(/<([\w:]+)[^>]*>[^<]*<\/\1>/g)];
        if (leaves.length === 0) return s;
        const t = leaves[i % leaves.length];
        return s.slice(0, t.index + t[0].length) + t[0] + s.slice(t.index + t[0].length);
      }),
      fc.constantFrom('urn:other', '', 'http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/', 'urn:soap-bridge:demo:inventory').chain((ns) =>
        fc.nat().map((i): Mutation => (s) => {
          // Changes one namespace declaration.
          const decls = [...s.matchAll(/xmlns(:\w+)?="[^"]*"/g)];
          if (decls.length === 0) return s;
          const d = decls[i % decls.length];
          return s.slice(0, d.index) + `xmlns${d[1] ?? ''}="${ns}"` + s.slice(d.index + d[0].length);
        }),
      ),
      fc.tuple(fc.nat(), fc.constantFrom('9'.repeat(400), '-99999999999999999999', '1e400', 'NaN', '-0', '0x10', ' 7 ', '&#0;', '&lt;', '&undefined;', '<![CDATA[5]]>', '<x/>')).map(([i, v]): Mutation => (s) => {
        // Replaces the text of one leaf (huge numbers, odd lexical forms).
        const leaves = [...s.matchAll(/(<([\w:]+)[^>]*>)[^<]*(<\/\2>)/g)];
        if (leaves.length === 0) return s;
        const t = leaves[i % leaves.length];
        return s.slice(0, t.index) + t[1] + v + t[3] + s.slice(t.index + t[0].length);
      }),
      fc.constantFrom<Mutation>(
        (s) => s.replace('<?xml version="1.0" encoding="utf-8"?>', ''),
        (s) => `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>${s.replace(/^<\?xml[^>]*\?>/, '')}`,
        (s) => s.replace('<soap:Body>', '<soap:Header><x:h xmlns:x="urn:h" soap:mustUnderstand="1"/></soap:Header><soap:Body>'),
        (s) => s.slice(0, Math.floor(s.length / 2)),
        (s) => s + s,
      ),
    );
    const soapSeen = new Set<number>();
    // Zero to three mutations: some envelopes go out as encoded.
    await check(
      fc.asyncProperty(valid, fc.array(mutation, { minLength: 0, maxLength: 3 }), fc.boolean(), async ({ op, xml }, muts, rightType) => {
        const body = muts.reduce((s, m) => m(s), xml);
        const v12 = rightType ? op.soapVersion === '1.2' : op.soapVersion !== '1.2';
        const headers: Record<string, string> = v12 ? { 'content-type': `application/soap+xml; charset=utf-8; action="${op.soapAction}"` } : { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${op.soapAction}"` };
        const r = await request(`${bridge.url}/soap/inventory`, { method: 'POST', headers, body });
        const what = `${op.name} (${op.soapVersion}) ${JSON.stringify(body).slice(0, 600)} -> ${r.status}`;
        if (process.env.FUZZ_STATS) console.log('SOAP', r.status, /Fault/.test(r.text));
        if (r.status === 415 || r.status === 413) return; // refused before the envelope is read
        const fault = assertSoapEnvelope(r.text, what);
        soapSeen.add(r.status);
        if (r.status >= 500) assert.ok(fault, `${what}: a 5xx carries a Fault`);
        assert.ok(r.status !== 500 || fault, what);
      }),
    );
    // Not vacuous: both kinds of refusal were met (400 for envelopes the facade refuses, 500
    // with a Fault for the rest). Random input rarely names a known article, so 200s are few
    // (3 to 6 in 100 runs): the answered path is checked with a known one instead.
    if (SEED === undefined && RUNS >= 50) assert.ok(soapSeen.has(400) && soapSeen.has(500), `refusals and faults among ${[...soapSeen].join(', ')}`);
    for (const version of ['1.1', '1.2'] as const) {
      const known = checkStock(version);
      const r = await request(`${bridge.url}/soap/inventory`, { method: 'POST', ...known });
      assert.equal(r.status, 200, r.text);
      assert.match(r.text, /<tns:available>\d+<\/tns:available>/);
    }
    await healthy();
  });
});
