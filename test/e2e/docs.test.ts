/**
 * `GET /openapi.json` and `GET /docs` from a running bridge (CONTRACT §3 service-level routes):
 * the document for the bundles being served with `servers` from the request, its cache across
 * a change of bundles, and the Swagger UI page with its assets.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { compileServices } from '../../src/compile';
import { buildOpenApi } from '../../src/openapi';
import { request, startBridge, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { swaggerValidate } from '../support/openapi';

const WSDL = path.join(ROOT, 'wsdl');

describe('GET /openapi.json and /docs', function () {
  this.timeout(30000);
  let bridge: TestBridge;
  let proxied: TestBridge;

  before(async () => {
    bridge = await startBridge(WSDL);
    proxied = await startBridge(WSDL, {}, { trustProxy: 'true' });
  });

  after(async () => {
    await bridge?.close();
    await proxied?.close();
  });

  it('serves the OpenAPI document of the bundles being served, valid, with servers from the Host header', async () => {
    const r = await request(`${bridge.url}/openapi.json`);
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.deepEqual(r.json.servers, [{ url: bridge.url, description: 'this bridge' }]);
    await swaggerValidate(r.json);
    const expected = buildOpenApi(compileServices(WSDL).bundles, { serverUrl: bridge.url });
    assert.deepEqual(r.json, JSON.parse(JSON.stringify(expected)));
    const other = await request(`${bridge.url}/openapi.json`, { headers: { host: 'api.example.com:8443' } });
    assert.equal(other.json.servers[0].url, 'http://api.example.com:8443');
  });

  it('ignores X-Forwarded-* unless TRUST_PROXY, and then takes them', async () => {
    const fwd = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'gateway.example.com' };
    const plain = await request(`${bridge.url}/openapi.json`, { headers: fwd });
    assert.equal(plain.json.servers[0].url, bridge.url);
    const trusted = await request(`${proxied.url}/openapi.json`, { headers: fwd });
    assert.equal(trusted.json.servers[0].url, 'https://gateway.example.com');
    const bad = await request(`${proxied.url}/openapi.json`, { headers: { 'x-forwarded-host': 'bad host/with space' } });
    assert.deepEqual(bad.json.servers, [{ url: '/', description: 'the bridge serving this document' }]);
  });

  it('a path that is not valid percent-encoding is a 404 problem, not an internal error', async () => {
    for (const p of ['/soap/%ZZ', '/soap/%ZZ?wsdl', '/docs/assets/%E0%A4%A/x.js', '/api/%ZZ/Add']) {
      const r = await request(`${bridge.url}${p}`);
      assert.equal(r.status, 404, `${p}: ${r.text}`);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:not-found', p);
      assert.ok(r.json.requestId, p);
    }
    assert.equal(bridge.log.lines.filter((l) => l.message === 'unhandled error').length, 0);
  });

  it('answers If-None-Match with 304, and HEAD without a body', async () => {
    const first = await request(`${bridge.url}/openapi.json`);
    const etag = String(first.headers.etag);
    assert.match(etag, /^"[\w-]+"$/);
    const again = await request(`${bridge.url}/openapi.json`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
    const head = await request(`${bridge.url}/openapi.json`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers.etag, etag);
  });

  it('follows the bundles the registry serves now (hot reload replaces them)', async () => {
    const before = await request(`${bridge.url}/openapi.json`);
    const original = bridge.registry.list();
    try {
      bridge.registry.replace(original.filter((b) => b.name === 'calculator'));
      const after = await request(`${bridge.url}/openapi.json`);
      assert.deepEqual(Object.keys(after.json.paths), [
        '/api/calculator/Add', '/api/calculator/Subtract', '/api/calculator/Multiply', '/api/calculator/Divide',
        '/api/calculator/add', '/api/calculator/divide/{dividend}/{divisor}',
      ]);
      assert.notEqual(after.headers.etag, before.headers.etag);
    } finally {
      bridge.registry.replace(original);
    }
    const restored = await request(`${bridge.url}/openapi.json`);
    assert.equal(restored.headers.etag, before.headers.etag);
  });

  it('serves the Swagger UI page at /docs and /docs/, pointing it at /openapi.json', async () => {
    for (const p of ['/docs', '/docs/']) {
      const r = await request(`${bridge.url}${p}`);
      assert.equal(r.status, 200, p);
      assert.match(String(r.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.match(String(r.headers['content-security-policy']), /script-src 'self'/);
      assert.match(r.text, /<div id="swagger-ui"><\/div>/);
      assert.doesNotMatch(r.text, /https?:\/\//, 'nothing is loaded from elsewhere');
    }
    const init = await request(`${bridge.url}/docs/init.js`);
    assert.equal(init.status, 200);
    assert.match(String(init.headers['content-type']), /^text\/javascript/);
    assert.match(init.text, /url: '\/openapi\.json'/);
    assert.match(init.text, /validatorUrl: null/);
  });

  it('serves the UI\'s assets from swagger-ui-dist with their content types and a year of caching', async () => {
    const page = await request(`${bridge.url}/docs`);
    const links = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    assert.ok(links.length >= 4, links.join(' '));
    const types: Record<string, RegExp> = { '.css': /^text\/css/, '.js': /^text\/javascript/, '.png': /^image\/png$/ };
    for (const link of links) {
      const r = await request(`${bridge.url}${link}`);
      assert.equal(r.status, 200, link);
      assert.match(String(r.headers['content-type']), types[path.extname(link)], link);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
      if (link.startsWith('/docs/assets/')) assert.equal(r.headers['cache-control'], 'public, max-age=31536000, immutable', link);
    }
    const bundle = links.find((l) => l.endsWith('swagger-ui-bundle.js'))!;
    assert.ok((await request(`${bridge.url}${bundle}`)).text.includes('SwaggerUIBundle'));
  });

  it('answers 404 problems for other files, also when the path climbs out of the folder', async () => {
    const page = await request(`${bridge.url}/docs`);
    const base = /href="(\/docs\/assets\/[^/]+)\//.exec(page.text)![1];
    for (const p of [`${base}/index.html`, `${base}/package.json`, `${base}/..%2F..%2Fpackage.json`, `${base}/%2e%2e%2fLICENSE`, '/docs/assets/0.0.0/swagger-ui.css']) {
      const r = await request(`${bridge.url}${p}`);
      assert.equal(r.status, 404, p);
      assert.match(String(r.headers['content-type']), /^application\/problem\+json/, p);
    }
  });
});
