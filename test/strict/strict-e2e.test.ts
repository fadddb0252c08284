/**
 * Strict validation mode end to end: both facades, both directions, over HTTP on loopback; the
 * libxml2 schema freed on reload and unload (and not before the requests holding it are done);
 * the mapping key; bad input.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { compileBundleDir, type Bundle } from '../../src/compile';
import { BundleExamples } from '../../src/openapi/examples';
import { initLibxml } from '../../src/compile/libxml';
import { strictSchemasAlive } from '../../src/compile/strict';
import { postJson, request, startBridge, startHttp, tempDir, writeBundle, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';

const WSDL = fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'strict-e2e', 'store.wsdl'), 'utf8');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const NS = 'urn:strict-e2e';

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:t="${NS}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}
const item = (sku: string, qty: number): string => `<t:item><t:sku>${sku}</t:sku><t:qty>${qty}</t:qty></t:item>`;

describe('strict validation mode end to end', function () {
  this.timeout(30000);
  let tmp: ReturnType<typeof tempDir>;
  let bridge: TestBridge;
  let soapBackend: Awaited<ReturnType<typeof startHttp>>;
  let jsonBackend: Awaited<ReturnType<typeof startHttp>>;
  /** What the fake SOAP backend answers next (the Body content). */
  let soapReply = `<t:StoreResponse>${item('A', 1)}<t:total>1</t:total></t:StoreResponse>`;
  /** What the fake JSON service answers next. */
  let jsonReply: unknown = { item: [{ sku: 'A', qty: 1 }], total: 1 };
  let soapCalls = 0;
  let jsonCalls = 0;

  const mapping = (strict: boolean): string =>
    [`name: store`, strict ? 'validation: strict' : '# validation: fast', `soapBackend: ${soapBackend.url}/store`, `restBackend: ${jsonBackend.url}/json`, ''].join('\n');

  before(async () => {
    soapBackend = await startHttp((req: http.IncomingMessage, res: http.ServerResponse) => {
      req.resume();
      req.on('end', () => {
        soapCalls++;
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(envelope(soapReply));
      });
    });
    jsonBackend = await startHttp((req: http.IncomingMessage, res: http.ServerResponse) => {
      req.resume();
      req.on('end', () => {
        jsonCalls++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(jsonReply));
      });
    });
    tmp = tempDir('strict-e2e');
    writeBundle(tmp.dir, 'store', { 'store.wsdl': WSDL, 'mapping.yaml': mapping(true) });
    bridge = await startBridge(tmp.dir, {}, { watch: 'false' });
  });

  after(async () => {
    await bridge?.close();
    await soapBackend?.close();
    await jsonBackend?.close();
    tmp?.remove();
  });

  const api = (): string => `${bridge.url}/api/store/Store`;
  const soap = (body: string): Promise<Awaited<ReturnType<typeof request>>> =>
    request(`${bridge.url}/soap/store`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:strict-e2e#Store"' }, body: envelope(body) });

  it('REST facade: a valid call goes through both validators', async () => {
    soapReply = `<t:StoreResponse>${item('A', 1)}${item('B', 2)}<t:total>3</t:total></t:StoreResponse>`;
    const r = await postJson(api(), { item: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }] });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { item: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }], total: 3 });
  });

  it('REST facade: a request only libxml2 refuses is a 400 with pointers, and the backend is not called', async () => {
    const before = soapCalls;
    const r = await postJson(api(), { item: [{ sku: 'A', qty: 1 }, { sku: 'A', qty: 2 }] });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.headers['content-type'], 'application/problem+json');
    assert.equal(r.json.type, 'urn:soap-bridge:problem:validation-failed');
    assert.match(r.json.detail, /strict validation/);
    assert.equal(r.json.errors.length, 1);
    assert.match(r.json.errors[0].pointer, /^\/item\/1/);
    assert.match(r.json.errors[0].detail, /Duplicate key-sequence/);
    assert.equal(soapCalls, before);
  });

  it('REST facade: a reply only libxml2 refuses is a 502 with pointers', async () => {
    soapReply = `<t:StoreResponse>${item('A', 1)}${item('A', 1)}<t:total>2</t:total></t:StoreResponse>`;
    let r = await postJson(api(), { item: [{ sku: 'A', qty: 1 }] });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-invalid-reply');
    assert.match(r.json.detail, /strict validation/);
    assert.match(r.json.errors[0].pointer, /^\/item\/1/);
    // Out of order: the decoder reads children by name, libxml2 checks the sequence.
    soapReply = `<t:StoreResponse><t:total>1</t:total>${item('A', 1)}</t:StoreResponse>`;
    r = await postJson(api(), { item: [{ sku: 'A', qty: 1 }] });
    assert.equal(r.status, 502, r.text);
    assert.match(r.json.errors[0].detail, /not expected/);
    assert.equal(r.json.errors[0].pointer, '/item/0');
  });

  it('SOAP facade: a request only libxml2 refuses is a Client fault listing the violations; the JSON service is not called', async () => {
    const before = jsonCalls;
    const r = await soap(`<t:Store>${item('A', 1)}${item('A', 2)}</t:Store>`);
    assert.equal(r.status, 500, r.text);
    assert.match(r.text, /<faultcode>soap:Client<\/faultcode>/);
    assert.match(r.text, /strict validation/);
    assert.match(r.text, /<sb:pointer>\/item\/1[^<]*<\/sb:pointer><sb:message>[^<]*Duplicate key-sequence/);
    assert.equal(jsonCalls, before);
  });

  it('dry run (REST facade): libxml2 checks the envelope too; a valid one is answered without calling the backend', async () => {
    const before = soapCalls;
    const refused = await postJson(`${api()}?dryRun=1`, { item: [{ sku: 'A', qty: 1 }, { sku: 'A', qty: 2 }] });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.json.detail, /strict validation/);
    assert.match(refused.json.errors[0].pointer, /^\/item\/1/);
    const ok = await postJson(`${api()}?dryRun=1`, { item: [{ sku: 'A', qty: 1 }, { sku: 'B', qty: 2 }] });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.dryRun, true);
    assert.match(ok.json.envelope, /<t:sku>B<\/t:sku>/);
    assert.equal(soapCalls, before);
  });

  it('dry run (SOAP facade): libxml2 checks the request; a valid one answers the JSON it would send', async () => {
    const before = jsonCalls;
    const refused = await request(`${bridge.url}/soap/store?dryRun=1`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body: envelope(`<t:Store>${item('A', 1)}${item('A', 2)}</t:Store>`) });
    assert.equal(refused.status, 500, refused.text);
    assert.match(refused.text, /strict validation/);
    const ok = await request(`${bridge.url}/soap/store`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', 'x-dry-run': '1' }, body: envelope(`<t:Store>${item('A', 1)}</t:Store>`) });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.dryRun, true);
    assert.deepEqual(ok.json.body, { item: [{ sku: 'A', qty: 1 }] });
    assert.equal(jsonCalls, before);
  });

  it('console: the service shows validation strict; the mapping route compiles the folder in a worker, leaving the served libxml2 schemas as they are', async () => {
    const services = await request(`${bridge.url}/console/api/services`);
    assert.equal(services.json.find((s: { name: string }) => s.name === 'store').validation, 'strict');
    const alive = strictSchemasAlive();
    fs.appendFileSync(path.join(tmp.dir, 'store', 'mapping.yaml'), '# console check\n');
    const m = await request(`${bridge.url}/console/api/services/store/mapping`);
    assert.equal(m.status, 200, m.text);
    assert.equal(m.json.served, false);
    assert.deepEqual(m.json.diagnostics.filter((d: { severity: string }) => d.severity === 'error'), []);
    assert.equal(strictSchemasAlive(), alive);
    fs.writeFileSync(path.join(tmp.dir, 'store', 'mapping.yaml'), mapping(true));
  });

  it('SOAP facade: an answer only libxml2 refuses is a Server fault', async () => {
    jsonReply = { item: [{ sku: 'B', qty: 1 }, { sku: 'B', qty: 1 }], total: 2 };
    const r = await soap(`<t:Store>${item('B', 1)}</t:Store>`);
    assert.equal(r.status, 500, r.text);
    assert.match(r.text, /<faultcode>soap:Server<\/faultcode>/);
    assert.match(r.text, /breaks the output schema \(strict validation\)/);
    jsonReply = { item: [{ sku: 'B', qty: 1 }], total: 1 };
    const ok = await soap(`<t:Store>${item('B', 1)}</t:Store>`);
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /<t:total>1<\/t:total>/);
  });

  it('reads requests in another charset, and bad input never takes the process down', async () => {
    const latin1 = Buffer.from(envelope(`<t:Store>${item('caf\u00e9', 1)}</t:Store>`).replace('encoding="utf-8"', 'encoding="ISO-8859-1"'), 'latin1');
    jsonReply = { item: [{ sku: 'caf\u00e9', qty: 1 }], total: 1 };
    const r = await request(`${bridge.url}/soap/store`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=ISO-8859-1' }, body: latin1 });
    assert.equal(r.status, 200, r.text);
    const bad = [
      `<t:Store>${item('A', 1)}<t:item/></t:Store>`,
      `<t:Store><t:item bogus="${'x'.repeat(100000)}"><t:sku>A</t:sku><t:qty>1</t:qty></t:item></t:Store>`,
      `<t:Store>${item('A', 1)}</t:Store><t:Store>${item('A', 1)}</t:Store>`,
      `<t:Store xmlns:t="urn:other">${item('A', 1)}</t:Store>`,
      `<t:Store>${item('&#x1F600;&amp;&lt;', 1)}${item('&#x1F600;&amp;&lt;', 1)}</t:Store>`,
    ];
    for (const body of bad) {
      const res = await soap(body);
      assert.ok(res.status === 500 || res.status === 404, `${res.status} ${res.text}`);
      assert.match(res.text, /<soap:Fault>/);
    }
    // Schema hints in the message are not followed (libxml2 reads nothing but the bundle's schemas).
    jsonReply = { item: [{ sku: 'A', qty: 1 }], total: 1 };
    const hinted = await soap(`<t:Store xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:strict-e2e file:///etc/passwd" xsi:noNamespaceSchemaLocation="http://127.0.0.1:9/x.xsd">${item('A', 1)}</t:Store>`);
    assert.equal(hinted.status, 200, hinted.text);
    const alive = await request(`${bridge.url}/healthz`);
    assert.equal(alive.status, 200);
  });

  it('frees the libxml2 schema on reload and unload, and not while a request holds it', async () => {
    const start = strictSchemasAlive();
    const old = bridge.registry.get('store')!;
    const hold = old.strict!.retain();
    fs.writeFileSync(path.join(tmp.dir, 'store', 'mapping.yaml'), mapping(true) + '# edited\n');
    await bridge.reload();
    const now = bridge.registry.get('store')!;
    assert.notEqual(now, old);
    assert.ok(now.strict && !now.strict.disposed);
    assert.equal(old.strict!.disposed, false, 'a request still holds the old schema');
    assert.equal(strictSchemasAlive(), start + 1);
    hold();
    assert.equal(old.strict!.disposed, true);
    assert.equal(strictSchemasAlive(), start);
    // Many reloads: still one schema alive for the bundle.
    for (let i = 0; i < 5; i++) {
      fs.writeFileSync(path.join(tmp.dir, 'store', 'mapping.yaml'), mapping(true) + `# edit ${i}\n`);
      await bridge.reload();
    }
    assert.equal(strictSchemasAlive(), start);
    const r = await postJson(api(), { item: [{ sku: 'A', qty: 1 }, { sku: 'A', qty: 2 }] });
    assert.equal(r.status, 400);
    // Back to the fast path: the schema goes, and the fast path alone passes what libxml2 refused.
    fs.writeFileSync(path.join(tmp.dir, 'store', 'mapping.yaml'), mapping(false));
    await bridge.reload();
    assert.equal(bridge.registry.get('store')!.strict, undefined);
    assert.equal(strictSchemasAlive(), start - 1);
    soapReply = `<t:StoreResponse>${item('A', 1)}<t:total>1</t:total></t:StoreResponse>`;
    const fast = await postJson(api(), { item: [{ sku: 'A', qty: 1 }, { sku: 'A', qty: 2 }] });
    assert.equal(fast.status, 200, fast.text);
    fs.writeFileSync(path.join(tmp.dir, 'store', 'mapping.yaml'), mapping(true));
    await bridge.reload();
    assert.equal(strictSchemasAlive(), start);
  });
});

/** The OpenAPI examples of every operation, written as envelopes: what libxml2 says of them. */
function examplesRefused(bundle: Bundle): string[] {
  const examples = new BundleExamples(bundle);
  const id = String(bundle.schema.$id);
  const out: string[] = [];
  let checked = 0;
  const all = [...bundle.soapOperations.values()].flatMap((byKey) => [...byKey.values()].flat());
  for (const op of all) {
    const input = examples.example({ $ref: `${id}#/$defs/${op.inputDef}` });
    if (input.ok) {
      checked++;
      const v = op.strictInput!(op.encodeRequest(input.value));
      if (v.length) out.push(`${op.name} input: ${JSON.stringify(v)}`);
    }
    if (op.outputDef === undefined) continue;
    const output = examples.example({ $ref: `${id}#/$defs/${op.outputDef}` });
    if (output.ok) {
      checked++;
      const v = op.strictOutput!(op.encodeResponse(output.value));
      if (v.length) out.push(`${op.name} output: ${JSON.stringify(v)}`);
    }
  }
  assert.ok(checked > 0, 'some examples were checked');
  return out;
}

describe('strict validation mode at load', () => {
  let tmp: ReturnType<typeof tempDir>;
  before(async () => {
    await initLibxml();
    tmp = tempDir('strict-load');
  });
  after(() => tmp.remove());

  it('says what `validation` takes', () => {
    const dir = writeBundle(tmp.dir, 'typo', { 'store.wsdl': WSDL, 'mapping.yaml': 'validation: exact\n' });
    const r = compileBundleDir(dir);
    assert.equal(r.bundle, undefined);
    const msg = r.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join('\n');
    assert.match(msg, /^1:13 validation: .*fast \(the default/m);
  });

  it('reports a schema libxml2 cannot compile at its file and line', () => {
    const broken = WSDL.replace('<xs:element name="qty" type="xs:int"/>', '<xs:element name="qty" type="t:Missing"/>');
    const dir = writeBundle(tmp.dir, 'broken', { 'store.wsdl': broken, 'mapping.yaml': 'validation: strict\n' });
    const fast = compileBundleDir(dir);
    // The fast path disables the operation (undefined type), and with it the bundle.
    assert.equal(fast.bundle, undefined);
    const lines = fast.diagnostics.map((d) => `${path.basename(d.file)}:${d.line} ${d.message}`).join('\n');
    assert.match(lines, /store\.wsdl:11 validation: strict: libxml2 cannot compile the schemas: .*Missing/);
  });

  it('adds the imports an inline schema leaves out when it uses another inline schema', () => {
    const second = '<xs:schema targetNamespace="urn:strict-e2e:b" xmlns:b="urn:strict-e2e:b"><xs:element name="Extra" type="t:Item"/></xs:schema>\n  </wsdl:types>';
    const dir = writeBundle(tmp.dir, 'two-inline', { 'store.wsdl': WSDL.replace('</wsdl:types>', second), 'mapping.yaml': 'validation: strict\n' });
    const r = compileBundleDir(dir);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(r.bundle?.strict);
    r.bundle.strict.retire();
  });

  it('disables rpc operations in strict mode, saying why', () => {
    const dir = path.join(tmp.dir, 'rpc');
    fs.cpSync(path.join(ROOT, 'fixtures', 'golden', 'rpc'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mapping.yaml'), 'validation: strict\n');
    const r = compileBundleDir(dir);
    const warnings = r.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message);
    assert.ok(warnings.some((m) => /operation Greet is disabled: validation: strict checks document\/literal messages, and this operation is rpc/.test(m)), warnings.join('\n'));
    assert.equal(r.bundle, undefined, 'no operation is left');
  });

  it('builds the schema set across wsdl:import, xsd:import and a chameleon include', () => {
    const dir = path.join(tmp.dir, 'bare');
    fs.cpSync(path.join(ROOT, 'fixtures', 'golden', 'bare'), dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'mapping.yaml'), 'wsdl: bare.wsdl\nvalidation: strict\n');
    const r = compileBundleDir(dir);
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(r.bundle?.strict);
    assert.deepEqual(examplesRefused(r.bundle), []);
    r.bundle.strict.retire();
    assert.equal(r.bundle.strict.disposed, true);
  });

  it('compiles the demo bundles in strict mode, and their OpenAPI examples pass libxml2', () => {
    for (const name of ['calculator', 'orders', 'inventory']) {
      const dir = path.join(tmp.dir, `demo-${name}`);
      fs.cpSync(path.join(ROOT, 'wsdl', name), dir, { recursive: true });
      fs.appendFileSync(path.join(dir, 'mapping.yaml'), '\nvalidation: strict\n');
      const r = compileBundleDir(dir, { env: { ...process.env } });
      assert.deepEqual(r.diagnostics.filter((d) => d.severity === 'error'), [], name);
      assert.ok(r.bundle?.strict, name);
      assert.deepEqual(examplesRefused(r.bundle), [], name);
      r.bundle.strict.retire();
    }
  });
});
