/**
 * Admin routes end to end through a real bridge: /metrics, /docs, /openapi.json and
 * POST /admin/reload, open by default (reload for loopback callers only), behind ADMIN_TOKEN,
 * ADMIN_TOKEN_SHA256 and ADMIN_ALLOW (clients bound to 127.0.0.2 and 127.0.0.1), and the
 * reload itself after real edits of a bundle in a temporary services folder.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { request, startBridge, startHttp, tempDir, type Reply, type TestBridge } from '../support/bridge';
import { spawnCli } from '../support/child';
import { ROOT } from '../support/compile';
import { TEST_SECRETS } from '../support/secrets';

const TNS = 'urn:soap-bridge:demo:calculator';
const TOKEN = TEST_SECRETS.adminToken;

/** GET (or `method`) from a given local address, on a fresh connection, bounded. */
function call(url: string, options: { method?: string; headers?: Record<string, string>; localAddress?: string } = {}): Promise<Reply> {
  return request(url, { ...options, timeoutMs: 30000 });
}

const reload = (bridge: TestBridge, headers: Record<string, string> = {}, localAddress?: string): Promise<Reply> => call(`${bridge.url}/admin/reload`, { method: 'POST', headers, localAddress });

/** Every admin route, as [method, path]. */
const ADMIN: [string, string][] = [
  ['GET', '/metrics'],
  ['GET', '/docs'],
  ['GET', '/docs/init.js'],
  ['GET', '/openapi.json'],
  ['POST', '/admin/reload'],
];

function mapping(backend: string, route: string): string {
  return `name: calc\nsoapBackend: ${backend}\ntimeoutMs: 5000\noperations:\n  Add:\n    route: GET ${route}\n    request:\n      fields:\n        intA: query.a\n        intB: query.b\n`;
}

describe('admin routes', function () {
  this.timeout(30000);
  let backend: Awaited<ReturnType<typeof startHttp>>;
  let tmp: ReturnType<typeof tempDir>;
  let services: string;
  let bridge: TestBridge | undefined;

  const start = async (overrides: Record<string, string> = {}): Promise<TestBridge> => {
    bridge = await startBridge(services, {}, { watch: 'false', ...overrides });
    return bridge;
  };

  before(async () => {
    // A SOAP backend that answers every Add with 5.
    const reply = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><AddResponse xmlns="${TNS}"><AddResult>5</AddResult></AddResponse></soap:Body></soap:Envelope>`;
    backend = await startHttp((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' });
        res.end(reply);
      });
    });
  });

  after(async () => {
    await backend?.close();
  });

  beforeEach(() => {
    tmp = tempDir('admin');
    services = path.join(tmp.dir, 'services');
    const calc = path.join(services, 'calc');
    fs.mkdirSync(calc, { recursive: true });
    fs.copyFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), path.join(calc, 'calculator.wsdl'));
    fs.writeFileSync(path.join(calc, 'mapping.yaml'), mapping(`${backend.url}/calc`, '/add'));
  });

  afterEach(async () => {
    await bridge?.close();
    bridge = undefined;
    tmp.remove();
  });

  /** Every log line so far and every answer body must be free of the token. */
  const assertNoToken = (replies: Reply[]): void => {
    for (const r of replies) assert.ok(!r.text.includes(TOKEN), `token in a reply: ${r.text.slice(0, 200)}`);
    assert.ok(!JSON.stringify(bridge!.log.lines).includes(TOKEN), 'token in the log');
  };

  it('with no settings, every admin route answers (reload: from loopback)', async () => {
    const b = await start();
    for (const [method, p] of ADMIN) assert.equal((await call(`${b.url}${p}`, { method })).status, 200, `${method} ${p}`);
    // Also from another loopback address.
    assert.equal((await reload(b, {}, '127.0.0.2')).status, 200);
  });

  it('with no settings, reload from a non-loopback caller (behind a trusted proxy) is 403; the other routes stay open', async () => {
    const b = await start({ trustProxy: 'true' });
    const r = await reload(b, { 'x-forwarded-for': '203.0.113.7' });
    assert.equal(r.status, 403, r.text);
    assert.equal(r.json.title, 'Forbidden');
    assert.match(r.json.detail, /loopback callers only/);
    // The last entry is the one the proxy added: a spoofed first entry changes nothing.
    assert.equal((await reload(b, { 'x-forwarded-for': '127.0.0.1, 203.0.113.7' })).status, 403);
    assert.equal((await reload(b, { 'x-forwarded-for': '203.0.113.7, 127.0.0.1' })).status, 200);
    assert.equal((await call(`${b.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status, 200);
    // Without TRUST_PROXY the header is ignored: the peer is loopback.
    await b.close();
    const plain = await start();
    assert.equal((await reload(plain, { 'x-forwarded-for': '203.0.113.7' })).status, 200);
  });

  it('ADMIN_TOKEN: 401 without or with a wrong token, 200 with it; /healthz and /readyz stay open; the token is never logged', async () => {
    const b = await start({ adminToken: TOKEN });
    const replies: Reply[] = [];
    for (const [method, p] of ADMIN) {
      const none = await call(`${b.url}${p}`, { method });
      assert.equal(none.status, 401, `${method} ${p}`);
      assert.equal(none.headers['www-authenticate'], 'Bearer realm="soap-bridge admin"');
      assert.equal(none.json.title, 'Authentication required');
      const wrong = await call(`${b.url}${p}`, { method, headers: { authorization: `Bearer ${TOKEN}x` } });
      assert.equal(wrong.status, 401, `${method} ${p} with a wrong token`);
      assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="soap-bridge admin"');
      const basic = await call(`${b.url}${p}`, { method, headers: { authorization: `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}` } });
      assert.equal(basic.status, 401);
      const ok = await call(`${b.url}${p}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ok.status, 200, `${method} ${p} with the token: ${ok.text.slice(0, 200)}`);
      replies.push(none, wrong, basic, ok);
    }
    // Case-insensitive paths and a trailing slash reach the same routes: the guard covers them too.
    for (const p of ['/METRICS', '/metrics/', '/Docs/', '/OpenAPI.json']) assert.equal((await call(`${b.url}${p}`)).status, 401, p);
    assert.equal((await call(`${b.url}/Admin/Reload/`, { method: 'POST' })).status, 401);
    // Other methods on the reload route: 401 first, 405 with the token.
    assert.equal((await call(`${b.url}/admin/reload`)).status, 401);
    const get = await call(`${b.url}/admin/reload`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    assert.equal((await request(`${b.url}/healthz`)).status, 200);
    assert.equal((await request(`${b.url}/readyz`)).status, 200);
    // The API itself is not an admin route.
    assert.deepEqual((await request(`${b.url}/api/calc/add?a=2&b=3`)).json, { AddResult: 5 });
    // A request that carries the token somewhere else than an admin route.
    replies.push(await call(`${b.url}/nope`, { headers: { authorization: `Bearer ${TOKEN}`, 'x-note': TOKEN } }));
    assertNoToken(replies);
  });

  it('ADMIN_TOKEN_SHA256 takes the hash of the token instead of the token', async () => {
    const b = await start({ adminTokenSha256: createHash('sha256').update(TOKEN).digest('hex') });
    assert.equal((await call(`${b.url}/metrics`)).status, 401);
    assert.equal((await call(`${b.url}/metrics`, { headers: { authorization: `Bearer ${createHash('sha256').update(TOKEN).digest('hex')}` } })).status, 401, 'the hash is not the token');
    assert.equal((await call(`${b.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
    assert.equal((await reload(b, { authorization: `bearer ${TOKEN}` })).status, 200);
  });

  it('ADMIN_ALLOW 127.0.0.2/32: a client bound to 127.0.0.2 is let in, one on 127.0.0.1 gets 403', async () => {
    const b = await start({ adminAllow: '127.0.0.2/32,::1' });
    for (const [method, p] of ADMIN) {
      assert.equal((await call(`${b.url}${p}`, { method, localAddress: '127.0.0.2' })).status, 200, `${method} ${p} from 127.0.0.2`);
      const denied = await call(`${b.url}${p}`, { method, localAddress: '127.0.0.1' });
      assert.equal(denied.status, 403, `${method} ${p} from 127.0.0.1`);
      assert.equal(denied.json.title, 'Forbidden');
      assert.match(denied.json.detail, /127\.0\.0\.1 is not in ADMIN_ALLOW/);
    }
    assert.equal((await call(`${b.url}/healthz`, { localAddress: '127.0.0.1' })).status, 200);
    assert.equal((await call(`${b.url}/readyz`, { localAddress: '127.0.0.1' })).status, 200);
  });

  it('ADMIN_ALLOW with TRUST_PROXY reads the caller from X-Forwarded-For; with a token both are needed', async () => {
    const b = await start({ adminAllow: '10.0.0.0/8', trustProxy: 'true', adminToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    assert.equal((await call(`${b.url}/metrics`, { headers: { ...auth, 'x-forwarded-for': '10.1.2.3' } })).status, 200);
    assert.equal((await call(`${b.url}/metrics`, { headers: { 'x-forwarded-for': '10.1.2.3' } })).status, 401);
    assert.equal((await call(`${b.url}/metrics`, { headers: { ...auth, 'x-forwarded-for': '192.0.2.1' } })).status, 403);
    assert.equal((await call(`${b.url}/metrics`, { headers: { ...auth, 'x-forwarded-for': 'not-an-address' } })).status, 403);
    assert.equal((await call(`${b.url}/metrics`, { headers: auth })).status, 403, 'the loopback peer is not in the list');
  });

  it('ADMIN_ROUTES=reload protects reload only', async () => {
    const b = await start({ adminRoutes: 'reload', adminToken: TOKEN });
    assert.equal((await call(`${b.url}/metrics`)).status, 200);
    assert.equal((await call(`${b.url}/openapi.json`)).status, 200);
    assert.equal((await reload(b)).status, 401);
    assert.equal((await reload(b, { authorization: `Bearer ${TOKEN}` })).status, 200);
  });

  it('POST /admin/reload swaps in an edited mapping, refuses a broken one with its diagnostics, and the old version keeps serving', async () => {
    const b = await start({ adminToken: TOKEN });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const file = path.join(services, 'calc', 'mapping.yaml');
    assert.equal((await request(`${b.url}/api/calc/add?a=2&b=3`)).status, 200);
    assert.equal((await request(`${b.url}/api/calc/plus?a=2&b=3`)).status, 404);

    const same = await reload(b, auth);
    assert.equal(same.status, 200, same.text);
    assert.deepEqual(same.json.bundles.map((x: { folder: string; status: string }) => [x.folder, x.status]), [['calc', 'unchanged']]);

    fs.writeFileSync(file, mapping(`${backend.url}/calc`, '/plus'));
    const edited = await reload(b, auth);
    assert.equal(edited.status, 200, edited.text);
    const generation = edited.json.generation as number;
    assert.ok(generation > same.json.generation, edited.text);
    assert.deepEqual(edited.json.bundles, [{ service: 'calc', folder: 'calc', status: 'reloaded', generation, hash: edited.json.bundles[0].hash }]);
    assert.deepEqual((await request(`${b.url}/api/calc/plus?a=2&b=3`)).json, { AddResult: 5 });
    assert.equal((await request(`${b.url}/api/calc/add?a=2&b=3`)).status, 404);

    // A broken edit: an unknown key. Refused with file:line:col diagnostics; /plus keeps serving.
    fs.writeFileSync(file, `${mapping(`${backend.url}/calc`, '/sum')}opertions: {}\n`);
    const broken = await reload(b, auth);
    assert.equal(broken.status, 200, broken.text);
    assert.equal(broken.json.generation, generation);
    const [entry] = broken.json.bundles;
    assert.equal(entry.status, 'refused');
    assert.equal(entry.service, 'calc');
    assert.equal(entry.generation, generation);
    assert.ok(entry.diagnostics.length > 0);
    assert.ok(entry.diagnostics.some((d: string) => /mapping\.yaml:\d+:\d+ unknown key `opertions` \(did you mean `operations`\?\)/.test(d)), entry.diagnostics.join('\n'));
    assert.deepEqual((await request(`${b.url}/api/calc/plus?a=2&b=3`)).json, { AddResult: 5 });
    assert.equal((await request(`${b.url}/api/calc/sum?a=2&b=3`)).status, 404);

    // A new folder that does not compile, and one removed.
    fs.mkdirSync(path.join(services, 'junk'));
    fs.writeFileSync(path.join(services, 'junk', 'junk.wsdl'), '<definitions');
    const both = await reload(b, auth);
    const byFolder = new Map(both.json.bundles.map((x: { folder: string }) => [x.folder, x]));
    assert.equal((byFolder.get('junk') as { status: string }).status, 'refused');
    assert.equal((byFolder.get('calc') as { status: string }).status, 'refused');
    assertNoToken([same, edited, broken, both]);
  });
});

describe('admin settings at start-up', function () {
  this.timeout(30000);
  it('a bad ADMIN_ALLOW stops serve with exit code 2 and a clear message', async () => {
    const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--services', path.join(ROOT, 'wsdl')], { env: { ADMIN_ALLOW: '10.0.0.0/33', ADMIN_TOKEN: TOKEN } });
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), 20000);
    const { code } = await child.exit;
    clearTimeout(timer);
    assert.equal(code, 2, child.stderr.join(''));
    assert.match(child.stderr.join(''), /ADMIN_ALLOW: "10\.0\.0\.0\/33" has a bad prefix length/);
    assert.ok(!child.stderr.join('').includes(TOKEN) && !child.stdout.join('').includes(TOKEN));
  });

  it('a short ADMIN_TOKEN stops serve, and the message does not show it', async () => {
    const child = spawnCli(['serve', '--port', '0', '--host', '127.0.0.1', '--services', path.join(ROOT, 'wsdl')], { env: { ADMIN_TOKEN: 'short-Tok3n' } });
    const timer = setTimeout(() => child.proc.kill('SIGKILL'), 20000);
    const { code } = await child.exit;
    clearTimeout(timer);
    assert.equal(code, 2, child.stderr.join(''));
    assert.match(child.stderr.join(''), /ADMIN_TOKEN is too short \(11 characters; 16 at least/);
    assert.ok(!child.stderr.join('').includes('short-Tok3n'));
  });
});
