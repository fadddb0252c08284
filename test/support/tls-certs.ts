/**
 * Certificates made at test time with the openssl CLI in a temporary folder: a CA, a server
 * certificate for 127.0.0.1 and backend.test, one for backend.test only, two client
 * certificates of the CA (one with an encrypted key), an unrelated second CA with a client
 * certificate of its own, and an expired client certificate. Without /usr/bin/openssl the
 * caller skips (or fails on CI).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { TEST_SECRETS } from './secrets';

export const OPENSSL = '/usr/bin/openssl';

export function haveOpenssl(): boolean {
  return fs.existsSync(OPENSSL);
}

/** Skips the suite, saying so, where the openssl CLI is missing; under CI (.ci/run installs it) that fails instead. */
export function requireOpenssl(ctx: Mocha.Context, what: string): void {
  if (haveOpenssl()) return;
  if (process.env.CI) throw new Error(`${OPENSSL} is missing: ${what} need the openssl CLI to make their certificates`);
  console.log(`      (skipped: ${OPENSSL} is missing; ${what} make their certificates with it)`);
  ctx.skip();
}

export interface TestPki {
  dir: string;
  /** File names inside `dir`. */
  files: {
    ca: string;
    otherCa: string;
    server: string;
    serverKey: string;
    serverDnsOnly: string;
    serverDnsOnlyKey: string;
    client1: string;
    client1Key: string;
    /** The key of client1, encrypted with TEST_SECRETS.tlsPassphrase. */
    client1KeyEnc: string;
    client2: string;
    client2Key: string;
    /** A client certificate issued by the other CA. */
    strangerClient: string;
    strangerClientKey: string;
    /** A client certificate of the CA that expired in 2020. */
    expiredClient: string;
    expiredClientKey: string;
    /** A server certificate for 127.0.0.1 that expired in 2020. */
    expiredServer: string;
    expiredServerKey: string;
  };
}

function run(dir: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  execFileSync(OPENSSL, args, { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
}

function caOf(dir: string, name: string, cn: string): void {
  run(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '3650', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
}

function leafOf(dir: string, ca: string, name: string, cn: string, ext: string): void {
  run(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  run(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '365', '-sha256', '-extfile', `${name}.ext`]);
}

/** Makes the certificates in `dir` (a fresh temporary folder). */
export function makePki(dir: string): TestPki {
  caOf(dir, 'ca', 'soap-bridge test CA');
  caOf(dir, 'other-ca', 'unrelated test CA');
  const server = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n';
  const client = 'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n';
  leafOf(dir, 'ca', 'server', 'backend.test', `${server}subjectAltName=IP:127.0.0.1,DNS:backend.test\n`);
  leafOf(dir, 'ca', 'server-dns', 'backend.test', `${server}subjectAltName=DNS:backend.test\n`);
  leafOf(dir, 'ca', 'client1', 'client-one', client);
  leafOf(dir, 'ca', 'client2', 'client-two', client);
  leafOf(dir, 'other-ca', 'stranger', 'stranger', client);
  // The passphrase goes through the environment, not the command line.
  run(dir, ['pkey', '-in', 'client1.key', '-aes256', '-passout', 'env:SB_TEST_PKI_PASS', '-out', 'client1-enc.key'], { ...process.env, SB_TEST_PKI_PASS: TEST_SECRETS.tlsPassphrase });
  // An expired certificate: `openssl ca` takes explicit dates (x509 -req cannot in OpenSSL 3.0).
  run(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'expired.key', '-out', 'expired.csr', '-subj', '/CN=client-expired']);
  fs.writeFileSync(path.join(dir, 'index.txt'), '');
  fs.writeFileSync(path.join(dir, 'serial'), '1000\n');
  fs.writeFileSync(
    path.join(dir, 'ca.cnf'),
    ['[ca]', 'default_ca = d', '[d]', 'database = index.txt', 'new_certs_dir = .', 'serial = serial', 'default_md = sha256', 'policy = p', 'unique_subject = no', 'x509_extensions = e', '[p]', 'commonName = supplied', '[e]', client, '[es]', server, 'subjectAltName = IP:127.0.0.1'].join('\n'),
  );
  run(dir, ['ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'expired.csr', '-out', 'expired.pem', '-notext', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  run(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server-expired.key', '-out', 'server-expired.csr', '-subj', '/CN=expired.backend.test']);
  run(dir, ['ca', '-batch', '-config', 'ca.cnf', '-extensions', 'es', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-in', 'server-expired.csr', '-out', 'server-expired.pem', '-notext', '-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  return {
    dir,
    files: {
      ca: 'ca.pem',
      otherCa: 'other-ca.pem',
      server: 'server.pem',
      serverKey: 'server.key',
      serverDnsOnly: 'server-dns.pem',
      serverDnsOnlyKey: 'server-dns.key',
      client1: 'client1.pem',
      client1Key: 'client1.key',
      client1KeyEnc: 'client1-enc.key',
      client2: 'client2.pem',
      client2Key: 'client2.key',
      strangerClient: 'stranger.pem',
      strangerClientKey: 'stranger.key',
      expiredClient: 'expired.pem',
      expiredClientKey: 'expired.key',
      expiredServer: 'server-expired.pem',
      expiredServerKey: 'server-expired.key',
    },
  };
}
