/**
 * Outbound TLS against a TLS 1.2 backend that demands a client certificate (many legacy SOAP
 * servers): the failure is named as a TLS problem with its likely cause, as with TLS 1.3 (before,
 * a generic "handshake failed" and a bare "ECONNRESET: Client network socket disconnected …"). Real https servers on 127.0.0.1,
 * certificates made by the openssl CLI, the bridge's Transport and compiled `tls` settings.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { Diagnostics } from '../../src/compile/diagnostics';
import { compileTls, type OutboundTls, type TlsSpec } from '../../src/tls/outbound';
import { Transport, TransportError } from '../../src/transport/http';
import { tempDir } from '../support/bridge';
import { makePki, requireOpenssl, type TestPki } from '../support/tls-certs';

describe('outbound TLS: a TLS 1.2 backend that demands a client certificate', function () {
  this.timeout(60000);
  let tmp: ReturnType<typeof tempDir>;
  let pki: TestPki;
  let server: https.Server;
  let port: number;
  let transport: Transport;

  const tlsOf = (spec: TlsSpec): OutboundTls => {
    const diags = new Diagnostics();
    const out = compileTls(spec, ['tls'], { dir: pki.dir, where: () => ({ file: 'mapping.yaml', line: 1, col: 1 }), diags, files: [] });
    assert.ok(out, JSON.stringify(diags.errors));
    return out;
  };
  const call = async (tls: OutboundTls): Promise<TransportError> => {
    try {
      await transport.post(`https://127.0.0.1:${port}/`, { headers: { 'content-type': 'text/plain' }, body: 'x', timeoutMs: 10000, maxBytes: 65536, tls, breaker: false });
    } catch (e) {
      assert.ok(e instanceof TransportError, String(e));
      return e;
    }
    assert.fail('the call succeeded');
  };

  before(async function () {
    requireOpenssl(this, 'the TLS 1.2 tests');
    tmp = tempDir('tls12-review');
    pki = makePki(tmp.dir);
    const f = (n: string): Buffer => fs.readFileSync(path.join(pki.dir, n));
    server = https.createServer({ key: f(pki.files.serverKey), cert: f(pki.files.server), ca: f(pki.files.ca), requestCert: true, rejectUnauthorized: true, maxVersion: 'TLSv1.2' }, (_req, res) => res.end('ok'));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    transport = new Transport({ connectTimeoutMs: 5000 });
  });

  after(async () => {
    await transport?.close(1000);
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server?.closeAllConnections();
    tmp?.remove();
  });

  it('without a client certificate: the handshake_failure alert is named with its likely cause', async () => {
    const e = await call(tlsOf({ ca: pki.files.ca }));
    assert.equal(e.code, 'UNREACHABLE');
    assert.match(e.message, /^TLS: the backend refused the handshake \(ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE\); it may require a client certificate \(set tls\.cert and tls\.key\)/);
  });

  it('with a certificate it does not trust (it closes the connection mid-handshake): named as a TLS refusal of the certificate', async () => {
    const e = await call(tlsOf({ ca: pki.files.ca, cert: pki.files.strangerClient, key: pki.files.strangerClientKey }));
    assert.equal(e.code, 'UNREACHABLE');
    assert.match(e.message, /^TLS: the backend closed the connection during the handshake \(ECONNRESET: .*\); the backend probably refuses the client certificate \(tls\.cert\)/);
  });

  it('with a good one: answered', async () => {
    const r = await transport.post(`https://127.0.0.1:${port}/`, { headers: {}, body: 'x', timeoutMs: 10000, maxBytes: 65536, tls: tlsOf({ ca: pki.files.ca, cert: pki.files.client1, key: pki.files.client1Key }), breaker: false });
    assert.equal(r.body.toString(), 'ok');
  });
});
