/**
 * Outbound TLS end to end: real https backends on 127.0.0.1 that demand a client certificate
 * (requestCert + rejectUnauthorized), certificates made by the openssl CLI at test time, and a
 * bridge whose bundles point at them through the REST facade (a SOAP backend: the demo
 * calculator) and the SOAP facade (a JSON backend: the demo inventory service).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'mocha';
import { mountCalculator } from '../../fixtures/demo/backends';
import { inventoryApp } from '../../fixtures/demo/inventory';
import { postJson, request, startBridge, tempDir, writeBundle, type Reply, type TestBridge } from '../support/bridge';
import { ROOT } from '../support/compile';
import { noteOutput, TEST_SECRETS } from '../support/secrets';
import { makePki, requireOpenssl, type TestPki } from '../support/tls-certs';

const CALC_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'calculator', 'calculator.wsdl'), 'utf8');
const INV_WSDL = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory.wsdl'), 'utf8');
const INV_XSD = fs.readFileSync(path.join(ROOT, 'wsdl', 'inventory', 'inventory-types.xsd'), 'utf8');
const INV = 'urn:soap-bridge:demo:inventory';

interface HttpsBackend {
  port: number;
  /** The subject CN of the client certificate of each request the handler answers, with its path. */
  seen: { cn: string | undefined; url: string }[];
  /** The subject CN of the client certificate of each accepted TLS connection. */
  accepted: (string | undefined)[];
  /** Why the server refused a TLS client (the error code), in order. */
  refused: string[];
  close(): Promise<void>;
}

function peerCn(socket: TLSSocket): string | undefined {
  const cert = socket.getPeerCertificate();
  const cn = cert?.subject?.CN;
  return Array.isArray(cn) ? cn[0] : cn;
}

/** An https server demanding a client certificate of `ca`: the calculator at /calculator, the inventory service at /a/inventory and /b/inventory. */
async function startHttpsBackend(pki: TestPki, cert: string, key: string): Promise<HttpsBackend> {
  const f = (n: string): Buffer => fs.readFileSync(path.join(pki.dir, n));
  const seen: HttpsBackend['seen'] = [];
  const app = inventoryApp();
  const server = https.createServer({ key: f(key), cert: f(cert), ca: f(pki.files.ca), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    seen.push({ cn: peerCn(req.socket as TLSSocket), url: req.url ?? '' });
    const m = /^\/[ab](\/inventory\/.*)$/.exec(req.url ?? '');
    if (m) {
      req.url = m[1];
      app(req, res);
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  // node-soap answers its paths and passes the others to the handler above.
  await mountCalculator(server as unknown as http.Server);
  const accepted: HttpsBackend['accepted'] = [];
  const refused: string[] = [];
  server.on('secureConnection', (socket: TLSSocket) => accepted.push(peerCn(socket)));
  // Refused handshakes are what some tests want: the reason is kept for them.
  server.on('tlsClientError', (e: NodeJS.ErrnoException) => refused.push(e.code ?? e.message));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    accepted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function soapCheckStock(sku: string): string {
  return `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:inv="${INV}"><soap:Body><inv:CheckStock><inv:sku>${sku}</inv:sku></inv:CheckStock></soap:Body></soap:Envelope>`;
}

function assertClean(r: Reply, what: string): void {
  noteOutput(`reply: ${what}`, r.text);
  assert.ok(!r.text.includes(TEST_SECRETS.tlsPassphrase), `${what}: the passphrase leaked`);
  assert.ok(!/\n\s+at /.test(r.text), `${what}: a stack trace in ${r.text}`);
}

describe('outbound TLS (mTLS) to backends', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  let pki: TestPki;
  let main: HttpsBackend;
  let dnsOnly: HttpsBackend;
  let expired: HttpsBackend;
  let bridge: TestBridge | undefined;

  before(async function () {
    requireOpenssl(this, 'the outbound TLS tests');
    tmp = tempDir('tls-out');
    const certs = path.join(tmp.dir, 'pki');
    fs.mkdirSync(certs);
    pki = makePki(certs);
    main = await startHttpsBackend(pki, pki.files.server, pki.files.serverKey);
    dnsOnly = await startHttpsBackend(pki, pki.files.serverDnsOnly, pki.files.serverDnsOnlyKey);
    expired = await startHttpsBackend(pki, pki.files.expiredServer, pki.files.expiredServerKey);

    const services = path.join(tmp.dir, 'services');
    const pem = (n: string): string => fs.readFileSync(path.join(certs, n), 'utf8');
    // Certificates inside the bundle folder (relative names) and outside it (absolute names).
    const calc = (name: string, url: string, tls: string, files: Record<string, string> = {}): void => {
      writeBundle(services, name, { 'calculator.wsdl': CALC_WSDL, 'mapping.yaml': `name: ${name}\nsoapBackend: ${url}\ntimeoutMs: 10000\ntls:\n${tls}`, ...files });
    };
    const abs = (n: string): string => path.join(certs, n);
    const base = `https://127.0.0.1:${main.port}/calculator`;
    calc('calc-ok', base, `  ca: certs/ca.pem\n  cert: certs/client.pem\n  key: certs/client.key\n  passphrase: \${SB_TEST_TLS_PASSPHRASE}\n  minVersion: TLSv1.2\n`, {});
    fs.mkdirSync(path.join(services, 'calc-ok', 'certs'));
    fs.writeFileSync(path.join(services, 'calc-ok', 'certs', 'ca.pem'), pem(pki.files.ca));
    fs.writeFileSync(path.join(services, 'calc-ok', 'certs', 'client.pem'), pem(pki.files.client1));
    fs.writeFileSync(path.join(services, 'calc-ok', 'certs', 'client.key'), pem(pki.files.client1KeyEnc));
    calc('calc-nocert', base, `  ca: ${abs(pki.files.ca)}\n`);
    calc('calc-wrongca', base, `  ca: ${abs(pki.files.otherCa)}\n  cert: ${abs(pki.files.client1)}\n  key: ${abs(pki.files.client1Key)}\n`);
    calc('calc-stranger', base, `  ca: ${abs(pki.files.ca)}\n  cert: ${abs(pki.files.strangerClient)}\n  key: ${abs(pki.files.strangerClientKey)}\n`);
    calc('calc-expired', base, `  ca: ${abs(pki.files.ca)}\n  cert: ${abs(pki.files.expiredClient)}\n  key: ${abs(pki.files.expiredClientKey)}\n`);
    const dnsUrl = `https://127.0.0.1:${dnsOnly.port}/calculator`;
    calc('calc-sni', dnsUrl, `  ca: ${abs(pki.files.ca)}\n  cert: ${abs(pki.files.client1)}\n  key: ${abs(pki.files.client1Key)}\n  servername: backend.test\n`);
    calc('calc-srv-expired', `https://127.0.0.1:${expired.port}/calculator`, `  ca: ${abs(pki.files.ca)}\n  cert: ${abs(pki.files.client1)}\n  key: ${abs(pki.files.client1Key)}\n`);
    calc('calc-nosni', dnsUrl, `  ca: ${abs(pki.files.ca)}\n  cert: ${abs(pki.files.client1)}\n  key: ${abs(pki.files.client1Key)}\n`);
    // Two SOAP-facade services on one origin, each with its own client certificate.
    for (const [name, prefix, cert, key] of [
      ['inv-a', 'a', pki.files.client1, pki.files.client1Key],
      ['inv-b', 'b', pki.files.client2, pki.files.client2Key],
    ] as const) {
      writeBundle(services, name, {
        'inventory.wsdl': INV_WSDL,
        'inventory-types.xsd': INV_XSD,
        'mapping.yaml': `name: ${name}\nrestBackend: https://127.0.0.1:${main.port}/${prefix}/inventory\ntls:\n  ca: ${abs(pki.files.ca)}\n  cert: ${abs(cert)}\n  key: ${abs(key)}\n`,
      });
    }
    // Hot reload: certificates inside the bundle folder, replaced by a test.
    writeBundle(services, 'inv-hot', {
      'inventory.wsdl': INV_WSDL,
      'inventory-types.xsd': INV_XSD,
      'mapping.yaml': `name: inv-hot\nrestBackend: https://127.0.0.1:${main.port}/a/inventory\ntls:\n  ca: ${abs(pki.files.ca)}\n  cert: client.pem\n  key: client.key\n`,
      'client.pem': pem(pki.files.client1),
      'client.key': pem(pki.files.client1Key),
    });
    bridge = await startBridge(services, { SB_TEST_TLS_PASSPHRASE: TEST_SECRETS.tlsPassphrase });
  });

  after(async () => {
    await bridge?.close();
    await main?.close();
    await dnsOnly?.close();
    await expired?.close();
    tmp?.remove();
  });

  const add = (service: string): Promise<Reply> => postJson(`${bridge!.url}/api/${service}/Add`, { intA: 2, intB: 3 });

  it('calls a SOAP backend over mTLS with ca, cert and an encrypted key (REST facade): 200', async () => {
    const r = await add('calc-ok');
    assertClean(r, 'calc-ok');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { AddResult: 5 });
    assert.ok(main.accepted.includes('client-one'), `accepted: ${JSON.stringify(main.accepted)}`);
  });

  it('without a client certificate: 502 naming the missing certificate', async () => {
    const r = await add('calc-nocert');
    assertClean(r, 'calc-nocert');
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-unreachable');
    assert.ok(main.refused.includes('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'), `refused: ${JSON.stringify(main.refused)}`);
    assert.match(r.json.detail, /TLS: the backend requires a client certificate \(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED\); set tls\.cert and tls\.key/);
  });

  it('trusting the wrong CA: 502 naming the untrusted certificate', async () => {
    const r = await add('calc-wrongca');
    assertClean(r, 'calc-wrongca');
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.type, 'urn:soap-bridge:problem:backend-unreachable');
    assert.match(r.json.detail, /TLS: the backend's certificate is not signed by a trusted CA \([A-Z_]+\); trust its CA with tls\.ca/);
  });

  it('a client certificate the backend does not trust (it closes without an alert): 502 saying it probably refuses the certificate', async () => {
    const r = await add('calc-stranger');
    assertClean(r, 'calc-stranger');
    assert.equal(r.status, 502, r.text);
    // Node's server closes the connection without a TLS alert: the bridge can only say so, with the likely cause.
    assert.match(r.json.detail, /TLS: the backend closed the connection without an answer \(UND_ERR_SOCKET: other side closed\); .*refuses the client certificate \(tls\.cert\)/);
    assert.ok(!main.accepted.includes('stranger'), 'the backend did not accept the stranger');
  });

  it('an expired client certificate: a load warning, then 502 saying the backend probably refuses it', async () => {
    const warning = bridge!.log.lines.find((l) => JSON.stringify(l).includes('calc-expired') && /expired on 2020-02-01/.test(JSON.stringify(l)));
    assert.ok(warning, `a warning about the expired certificate in ${JSON.stringify(bridge!.log.lines.slice(0, 30))}`);
    const r = await add('calc-expired');
    assertClean(r, 'calc-expired');
    assert.equal(r.status, 502, r.text);
    assert.match(r.json.detail, /TLS: the backend closed the connection without an answer \(UND_ERR_SOCKET: other side closed\); .*refuses the client certificate \(tls\.cert\)/);
    assert.ok(!main.accepted.includes('client-expired'), 'the backend did not accept the expired certificate');
  });

  it("the backend's certificate has expired: 502 saying so", async () => {
    const r = await add('calc-srv-expired');
    assertClean(r, 'calc-srv-expired');
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.detail, "the backend of Add cannot be reached: TLS: the backend's certificate has expired (CERT_HAS_EXPIRED)");
  });

  it('servername: 200 from a backend whose certificate names backend.test only; 502 hostname mismatch without it', async () => {
    const ok = await add('calc-sni');
    assertClean(ok, 'calc-sni');
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { AddResult: 5 });
    const bad = await add('calc-nosni');
    assertClean(bad, 'calc-nosni');
    assert.equal(bad.status, 502, bad.text);
    assert.match(bad.json.detail, /TLS: the backend's certificate is not valid for this host name \(.*127\.0\.0\.1.*\); set tls\.servername/);
  });

  it('two services on one origin with different client certificates: each request carries its own (separate pools)', async () => {
    main.seen.length = 0;
    for (let i = 0; i < 3; i++) {
      for (const name of ['inv-a', 'inv-b']) {
        const r = await request(`${bridge!.url}/soap/${name}`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${INV}#CheckStock"` }, body: soapCheckStock('BOK-1001') });
        assert.equal(r.status, 200, r.text);
        assert.match(r.text, /<tns:available>15<\/tns:available>/);
      }
    }
    const a = main.seen.filter((s) => s.url.startsWith('/a/'));
    const b = main.seen.filter((s) => s.url.startsWith('/b/'));
    assert.equal(a.length, 3);
    assert.equal(b.length, 3);
    assert.deepEqual([...new Set(a.map((s) => s.cn))], ['client-one']);
    assert.deepEqual([...new Set(b.map((s) => s.cn))], ['client-two']);
    // One origin in the metrics, whatever the number of pools behind it.
    const metrics = await request(`${bridge!.url}/metrics`);
    const lines = metrics.text.split('\n').filter((l) => l.startsWith(`soap_bridge_backend_calls_in_flight{backend="https://127.0.0.1:${main.port}"}`));
    assert.equal(lines.length, 1, metrics.text);
  });

  it('hot reload: a replaced client certificate is used by the next call', async () => {
    const call = async (): Promise<string | undefined> => {
      main.seen.length = 0;
      const r = await request(`${bridge!.url}/soap/inv-hot`, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${INV}#CheckStock"` }, body: soapCheckStock('BOK-1001') });
      assert.equal(r.status, 200, r.text);
      return main.seen[0]?.cn;
    };
    assert.equal(await call(), 'client-one');
    const mark = bridge!.log.lines.length;
    const dir = path.join(tmp.dir, 'services', 'inv-hot');
    // Atomic saves, key and certificate together.
    for (const [name, from] of [['client.key', pki.files.client2Key], ['client.pem', pki.files.client2]]) {
      fs.copyFileSync(path.join(pki.dir, from), path.join(dir, `${name}.tmp`));
      fs.renameSync(path.join(dir, `${name}.tmp`), path.join(dir, name));
    }
    const end = Date.now() + 15000;
    while (!bridge!.log.lines.slice(mark).some((l) => l.message === 'service reloaded' && l.service === 'inv-hot')) {
      if (Date.now() > end) throw new Error(`no reload of inv-hot within 15 s: ${JSON.stringify(bridge!.log.lines.slice(mark))}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await call(), 'client-two');
  });

  it('TLS failures count as breaker failures of the origin', async () => {
    const services = path.join(tmp.dir, 'services-breaker');
    writeBundle(services, 'calc-br', {
      'calculator.wsdl': CALC_WSDL,
      'mapping.yaml': `name: calc-br\nsoapBackend: https://127.0.0.1:${main.port}/calculator\ncircuitBreaker: {failures: 2, resetMs: 60000}\ntls:\n  ca: ${path.join(pki.dir, pki.files.otherCa)}\n`,
    });
    const b2 = await startBridge(services);
    try {
      const first = await add2(b2.url);
      assert.equal(first.status, 502, first.text);
      const second = await add2(b2.url);
      assert.equal(second.status, 502, second.text);
      const third = await add2(b2.url);
      assert.equal(third.status, 503, third.text);
      assert.equal(third.json.type, 'urn:soap-bridge:problem:backend-circuit-open');
    } finally {
      await b2.close();
    }
    function add2(url: string): Promise<Reply> {
      return postJson(`${url}/api/calc-br/Add`, { intA: 1, intB: 1 });
    }
  });

  it('no log line holds the passphrase or a stack trace of a TLS failure', () => {
    const text = bridge!.log.lines.map((l) => JSON.stringify(l)).join('\n');
    assert.ok(!text.includes(TEST_SECRETS.tlsPassphrase));
    assert.match(text, /TLS: the backend/);
    assert.ok(!/-----BEGIN/.test(text), 'no PEM in the log');
  });
});
