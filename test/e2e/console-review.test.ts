/**
 * Console review: defects found in src/console, each with the test that showed it. Real bridge,
 * real backends on 127.0.0.1, everything stopped in after().
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { startCalculatorBackend, type DemoBackend } from '../../fixtures/demo/backends';
import { forward, postJson, request, startBridge, startHttp, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

const ALL_SECRETS = Object.values(TEST_SECRETS);
const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const INV_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory.wsdl'), 'utf8');
const INV_XSD = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory-types.xsd'), 'utf8');
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const INV = 'urn:soap-bridge:demo:inventory';

function clean(r: Reply, what: string): Reply {
  noteOutput(`console review: ${what}`, r.text);
  for (const s of ALL_SECRETS) assert.ok(!r.text.includes(s), `${what}: a test secret leaked: ${r.text.slice(0, 500)}`);
  return r;
}

function envelope(body: string): string {
  return `<?xml version="1.0"?><soap:Envelope xmlns:soap="${SOAP11}" xmlns:inv="${INV}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

describe('console review: exchanges, mapping compiles, page headers', function () {
  this.timeout(60000);
  const MAX_BODY = 1000;
  /** What the JSON service puts in its problem's detail: far more than a kept body. */
  const HUGE = 300_000;
  const COMPILED = 6;
  let tmp: ReturnType<typeof tempDir>;
  let json: Awaited<ReturnType<typeof startHttp>>;
  let bridge: TestBridge;
  let calc: DemoBackend;
  /** A relay to the calculator that holds each request until `release` is called. */
  let gate: Awaited<ReturnType<typeof startHttp>>;
  let held: (() => void)[] = [];
  const waiting = (): number => held.length;

  const get = async (p: string, headers: Record<string, string> = {}): Promise<Reply> => clean(await request(`${bridge.url}${p}`, { headers }), `GET ${p}`);
  const post = async (p: string, body: unknown): Promise<Reply> => clean(await postJson(`${bridge.url}${p}`, body), `POST ${p}`);

  before(async () => {
    // A JSON service that refuses everything with a problem whose detail is very long.
    json = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        const body = JSON.stringify({ title: 'Refused', detail: 'd'.repeat(HUGE) });
        res.writeHead(400, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
    });
    calc = await startCalculatorBackend(0);
    gate = await startHttp((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        held.push(() => forward(calc.url, req, res, Buffer.concat(chunks)));
      });
    });
    tmp = tempDir('console-review');
    writeBundle(tmp.dir, 'strictcalc', { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': `validation: strict\nsoapBackend: http://127.0.0.1:${gate.port}/calculator\n` });
    writeBundle(tmp.dir, 'refusing', {
      'inventory.wsdl': INV_WSDL,
      'inventory-types.xsd': INV_XSD,
      'mapping.yaml': `restBackend: http://127.0.0.1:${json.port}/inventory\n`,
    });
    // Services whose mapping the console compiles (one worker thread each).
    for (let i = 0; i < COMPILED; i++) writeBundle(tmp.dir, `calc${i}`, { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': 'soapBackend: http://127.0.0.1:9/calculator\n' });
    writeBundle(tmp.dir, 'inv2', { 'inventory.wsdl': INV_WSDL, 'inventory-types.xsd': INV_XSD, 'mapping.yaml': `restBackend: http://127.0.0.1:${json.port}/inventory\n` });
    bridge = await startBridge(tmp.dir, {}, { exchangeMaxBodyBytes: String(MAX_BODY), exchangesMaxBytes: String(4 * 1024 * 1024), watch: 'false' });
  });

  after(async () => {
    await bridge?.close();
    await json?.close();
    for (const h of held) h();
    await gate?.close();
    await calc?.close();
    tmp?.remove();
  });

  it('a long error detail from the backend is cut in a kept exchange like a body (it was kept whole, outside the byte budget)', async () => {
    const r = clean(
      await request(`${bridge.url}/soap/refusing`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8' }, body: envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>') }),
      'POST /soap/refusing',
    );
    assert.equal(r.status, 500, r.text);
    const list = (await get('/console/api/exchanges?service=refusing')).json as { id: string; requestId?: string }[];
    assert.ok(list.length >= 1);
    const record = (await get(`/console/api/exchanges/${encodeURIComponent(list[0].id)}`)).json;
    assert.equal(record.error.code, 'BACKEND_REFUSED');
    assert.ok(Buffer.byteLength(record.error.detail) <= MAX_BODY + 16, `error.detail is ${Buffer.byteLength(record.error.detail)} bytes`);
    assert.match(record.error.detail, /^Refused: ddd/);
    // The console's own SOAP call: the same cut in the record it answers.
    const sent = await post('/console/api/services/refusing/soap', { envelope: envelope('<inv:CheckStock><inv:sku>BOK-1001</inv:sku></inv:CheckStock>') });
    assert.equal(sent.status, 200, sent.text.slice(0, 300));
    assert.equal(sent.json.error.code, 'BACKEND_REFUSED');
    assert.ok(Buffer.byteLength(sent.json.error.detail) <= MAX_BODY + 16, `error.detail is ${Buffer.byteLength(sent.json.error.detail)} bytes`);
    assert.ok(sent.text.length < 20 * MAX_BODY, `the record is ${sent.text.length} characters`);
  });

  /** Threads of this process (the bridge runs in it): a compile worker is one. */
  const threads = (): number => fs.readdirSync('/proc/self/task').length;

  it('mapping checks of many services at once run at most 2 compile workers at a time (it was one worker per service, all at once)', async () => {
    // One compile first, so the thread pools the bridge uses anyway exist before counting.
    assert.equal((await get('/console/api/services/refusing/mapping')).status, 200);
    await new Promise((done) => setTimeout(done, 200));
    const baseline = threads();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, threads())), 1);
    try {
      const answers = await Promise.all(Array.from({ length: COMPILED }, (_, i) => get(`/console/api/services/calc${i}/mapping`)));
      for (const a of answers) {
        assert.equal(a.status, 200, a.text.slice(0, 300));
        assert.deepEqual(a.json.diagnostics.filter((d: { severity: string }) => d.severity === 'error'), []);
        assert.equal(a.json.served, true);
      }
    } finally {
      clearInterval(sampler);
    }
    // 2 workers, and at most one more thread for a moment while a stopped worker's thread is joined.
    assert.ok(peak - baseline <= 3, `${peak - baseline} threads more than before while compiling ${COMPILED} services`);
  });

  it('the page cannot be framed by another site (CSP frame-ancestors \'none\'; default-src does not cover it), and its assets stay in their folder', async () => {
    for (const p of ['/console', '/console/assets/console.js', '/console/api/services']) {
      const r = await get(p);
      assert.equal(r.status, 200, p);
      const csp = String(r.headers['content-security-policy']);
      assert.match(csp, /(^|; )default-src 'self'(;|$)/, p);
      assert.match(csp, /(^|; )frame-ancestors 'none'(;|$)/, p);
      assert.match(csp, /(^|; )base-uri 'none'(;|$)/, p);
    }
    // Path traversal out of src/console/public/assets: never a file from outside it.
    for (const p of ['/console/assets/../index.html', '/console/assets/..%2findex.html', '/console/assets/%2e%2e/%2e%2e/package.json', '/console/assets/..%5c..%5cpackage.json', '/console/assets/.%2e/.%2e/.%2e/.%2e/package.json']) {
      const r = await get(p);
      assert.ok(r.status === 404 || (r.status === 200 && /<!doctype html/i.test(r.text) && p === '/console/assets/../index.html'), `${p}: ${r.status} ${r.text.slice(0, 100)}`);
      assert.doesNotMatch(r.text, /"name":\s*"soap-bridge"|"private"|compilerOptions/, p);
    }
  });

  it('a console send to a strict bundle swapped out by a reload while its backend answers still validates the reply (it answered 500 INTERNAL: the schema was freed)', async () => {
    held = [];
    const sending = post('/console/api/services/strictcalc/operations/Add/send', { input: { intA: 2, intB: 3 } });
    for (let i = 0; i < 500 && waiting() === 0; i++) await new Promise((done) => setTimeout(done, 10));
    assert.equal(waiting(), 1, 'the backend call did not arrive');
    // A new version of the bundle on disk, served by a reload while the call waits for its backend.
    const file = path.join(tmp.dir, 'strictcalc', 'mapping.yaml');
    fs.appendFileSync(file, '# edited\n');
    await bridge.reload();
    held.shift()!();
    const sent = await sending;
    assert.equal(sent.status, 200, sent.text);
    assert.equal(sent.json.status, 200, JSON.stringify(sent.json.error ?? sent.json.response));
    assert.deepEqual(JSON.parse(sent.json.response.body), { AddResult: 5 });
    // And after it, the new version serves.
    const again = post('/console/api/services/strictcalc/operations/Add/send', { input: { intA: 1, intB: 1 } });
    for (let i = 0; i < 500 && waiting() === 0; i++) await new Promise((done) => setTimeout(done, 10));
    held.shift()?.();
    assert.deepEqual(JSON.parse((await again).json.response.body), { AddResult: 2 });
  });

  it('a JSON member named like a secret is redacted in a recorded body when its value is a number or a list, not only a string', async () => {
    const body = JSON.stringify({ intA: 1, intB: 2, password: 31415926, pin: 7, apiKey: ['k-27182818'], nested: JSON.stringify({ token: 16180339 }) });
    const r = clean(await request(`${bridge.url}/api/strictcalc/Add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }), 'POST /api/strictcalc/Add');
    assert.equal(r.status, 400, r.text);
    const id = r.headers['x-request-id'];
    const summary = ((await get('/console/api/exchanges?service=strictcalc&operation=Add')).json as { id: string }[]).find((x) => x.id.startsWith(`${id}-`));
    assert.ok(summary, 'the call was recorded');
    const record = (await get(`/console/api/exchanges/${encodeURIComponent(summary.id)}`)).json;
    const text: string = record.request.body;
    for (const secret of ['31415926', '27182818', '16180339']) assert.ok(!text.includes(secret), `${secret} in ${text}`);
    assert.match(text, /"pin":7/);
    assert.match(text, /"intA":1/);
    assert.doesNotThrow(() => JSON.parse(text), text);
  });

  it('a console API path that is not valid percent-encoding is a 404 problem, not a 500 logged as a bug', async () => {
    for (const p of ['/console/api/exchanges/%E0%A4%A', '/console/api/services/%ZZ/mapping', '/console/api/services/strictcalc/operations/%FF', '/console/api/services/strictcalc/operations/%FF/validate']) {
      const r = await get(p);
      assert.equal(r.status, 404, `${p}: ${r.text}`);
      assert.equal(r.headers['content-type'], 'application/problem+json');
      assert.equal(r.json.requestId, r.headers['x-request-id']);
      assert.match(r.json.detail, /percent-encoding/);
    }
    const bugs = bridge.log.lines.filter((l) => l.level === 'error' && /decode param/.test(String(l.error)));
    assert.deepEqual(bugs, []);
  });

  it('the mapping route sees an edit of a file the served version did not have (it answered the cached diagnostics of the old content)', async () => {
    const dir = path.join(tmp.dir, 'inv2');
    const diagnosticsOf = async (): Promise<string[]> => {
      const r = await get('/console/api/services/inv2/mapping');
      assert.equal(r.status, 200, r.text.slice(0, 300));
      return (r.json.diagnostics as { severity: string; file: string; message: string }[]).map((d) => `${d.severity} ${d.file}: ${d.message}`);
    };
    // A file the bundle does not read leaves it "served".
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'not part of the bundle\n');
    assert.deepEqual(await diagnosticsOf(), []);
    assert.equal((await get('/console/api/services/inv2/mapping')).json.served, true);
    // The types now include a new file, which has a mistake ...
    fs.writeFileSync(path.join(dir, 'inventory-types.xsd'), INV_XSD.replace('elementFormDefault="qualified">', 'elementFormDefault="qualified">\n  <xs:include schemaLocation="extra.xsd"/>'));
    fs.writeFileSync(path.join(dir, 'extra.xsd'), '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:soap-bridge:demo:inventory"><xs:element name="Extra" type="xs:string"></xs:schema>\n');
    const broken = await diagnosticsOf();
    assert.ok(broken.some((d) => d.includes('extra.xsd') && /not well-formed/.test(d)), broken.join('\n'));
    // ... which is then fixed: only extra.xsd changes.
    fs.writeFileSync(path.join(dir, 'extra.xsd'), '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:soap-bridge:demo:inventory"><xs:element name="Extra" type="xs:string"/></xs:schema>\n');
    assert.deepEqual(await diagnosticsOf(), []);
  });
});
