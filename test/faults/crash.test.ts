/**
 * The crash-safe request listener (CONTRACT §6: "a bug becomes a 500 problem, logged with its
 * request id"): a registry that throws where the bridge never expects it to stands in for any
 * internal bug. Each facade answers in its own language (problem+json, SOAP Server/Receiver
 * fault), the log has the request id and the error, the body has no internals, and the same
 * server keeps serving.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'mocha';
import { loadConfig } from '../../src/config';
import { createRequestListener, ServiceRegistry, type AppState } from '../../src/http/app';
import { createLogger } from '../../src/log';
import { Transport } from '../../src/transport/http';
import { captureLog, postJson, request, type LogCapture } from '../support/bridge';

const SECRET = 'registry exploded at 0xdeadbeef';

/** A real registry whose lookups throw while `broken` is set. */
class BrokenRegistry extends ServiceRegistry {
  broken = true;
  override get(name: string): ReturnType<ServiceRegistry['get']> {
    if (this.broken) throw new TypeError(SECRET);
    return super.get(name);
  }
  override served(): ReturnType<ServiceRegistry['served']> {
    if (this.broken) throw new TypeError(SECRET);
    return super.served();
  }
  override list(): ReturnType<ServiceRegistry['list']> {
    if (this.broken) throw new TypeError(SECRET);
    return super.list();
  }
}

describe('crash-safe request handling', () => {
  let server: http.Server;
  let url: string;
  let log: LogCapture;
  let transport: Transport;
  const registry = new BrokenRegistry();

  before(async () => {
    log = captureLog();
    transport = new Transport();
    const state: AppState = { ready: true };
    const config = loadConfig({ servicesDir: '/nonexistent', port: '0', host: '127.0.0.1' }, {});
    server = http.createServer(createRequestListener({ registry, logger: createLogger({ level: 'info', stream: log.stream }), config, transport, state }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await transport.close();
  });

  const errorLine = (requestId: string): Record<string, unknown> | undefined => log.lines.find((l) => l.message === 'unhandled error' && l.requestId === requestId);

  it('REST facade: a bug is a 500 INTERNAL problem carrying the X-Request-Id, logged, without internals', async () => {
    const r = await postJson(`${url}/api/calculator/Add`, { intA: 1, intB: 2 }, { 'x-request-id': 'crash-rest-1' });
    assert.equal(r.status, 500, r.text);
    assert.match(String(r.headers['content-type']), /^application\/problem\+json/);
    assert.equal(r.headers['x-request-id'], 'crash-rest-1');
    assert.equal(r.json.type, 'urn:soap-bridge:problem:internal');
    assert.equal(r.json.status, 500);
    assert.equal(r.json.requestId, 'crash-rest-1');
    assert.ok(!r.text.includes('deadbeef') && !r.text.includes('TypeError'), r.text);
    const line = errorLine('crash-rest-1');
    assert.ok(line, 'an error line with the request id');
    assert.equal(line.error, SECRET);
    assert.match(String(line.stack), /TypeError/);
  });

  it('SOAP facade: a bug is a Server fault (SOAP 1.1, HTTP 500) with the internal problem type', async () => {
    const body = '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><x:Op xmlns:x="urn:x"/></soap:Body></soap:Envelope>';
    const r = await request(`${url}/soap/inventory`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', 'x-request-id': 'crash-soap-11' }, body });
    assert.equal(r.status, 500, r.text);
    assert.match(String(r.headers['content-type']), /^text\/xml/);
    assert.match(r.text, /<faultcode>soap:Server<\/faultcode>/);
    assert.match(r.text, /<sb:type>urn:soap-bridge:problem:internal<\/sb:type>/);
    assert.match(r.text, /<sb:requestId>crash-soap-11<\/sb:requestId>/);
    assert.ok(!r.text.includes('deadbeef'), r.text);
    assert.ok(errorLine('crash-soap-11'));
  });

  it('SOAP facade: a bug is a Receiver fault for a SOAP 1.2 caller', async () => {
    const body = '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><x:Op xmlns:x="urn:x"/></env:Body></env:Envelope>';
    const r = await request(`${url}/soap/inventory`, { method: 'POST', headers: { 'content-type': 'application/soap+xml; charset=utf-8', 'x-request-id': 'crash-soap-12' }, body });
    assert.equal(r.status, 500, r.text);
    assert.match(String(r.headers['content-type']), /^application\/soap\+xml/);
    assert.match(r.text, /<(?:\w+:)?Value>\w+:Receiver<\/(?:\w+:)?Value>/);
    assert.match(r.text, /urn:soap-bridge:problem:internal/);
  });

  it('Express routes (readyz, the contract): a bug is a 500 problem too', async () => {
    for (const path of ['/readyz', '/soap/inventory?wsdl']) {
      const r = await request(`${url}${path}`, { headers: { 'x-request-id': 'crash-get' } });
      assert.equal(r.status, 500, `${path}: ${r.text}`);
      assert.equal(r.json.type, 'urn:soap-bridge:problem:internal');
      assert.equal(r.json.requestId, 'crash-get');
    }
  });

  it('keeps serving on the same server: many failing requests, then healthz, then the bug is gone', async () => {
    const replies = await Promise.all(Array.from({ length: 20 }, (_, i) => postJson(`${url}/api/s${i}/Op`, {})));
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([500]));
    assert.equal((await request(`${url}/healthz`)).status, 200);
    registry.broken = false;
    const r = await postJson(`${url}/api/calculator/Add`, { intA: 1, intB: 2 });
    assert.equal(r.status, 404, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:not-found');
    assert.equal((await request(`${url}/readyz`)).status, 200);
  });
});
