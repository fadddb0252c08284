/**
 * The REST facade's authenticator (src/auth) on its own: API keys and JWTs signed in the test
 * with real keys (HS256 with a TEST_SECRETS value, RS256, ES256, a JWKS of two keys chosen by
 * kid), and every way a token is refused: expired, not yet valid, issued in the future, wrong
 * audience or issuer, tampered signature, alg none, alg confusion (HS256 keyed with the RSA
 * public key's PEM), unknown kid, missing scope (403).
 */
import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'mocha';
import { compileAuth, type AuthSpec, type Authenticator } from '../../src/auth';
import { Diagnostics } from '../../src/compile/diagnostics';
import { BridgeError } from '../../src/errors/catalogue';
import { tempDir } from '../support/bridge';
import { noteOutput, TEST_SECRETS } from '../support/secrets';

type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
// eslint-disable-next-line @typescript-eslint/no-require-imports
const jose = require('jose') as Jose;

const ALL = Object.values(TEST_SECRETS);
const now = (): number => Math.floor(Date.now() / 1000);

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

describe('auth: the authenticator', function () {
  let tmp: ReturnType<typeof tempDir>;
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsa2 = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const rsaPem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const secret = new TextEncoder().encode(TEST_SECRETS.jwtSecret);

  function compile(spec: AuthSpec): Authenticator {
    const diags = new Diagnostics();
    const auth = compileAuth(spec, ['auth'], { dir: tmp.dir, where: () => ({ file: 'mapping.yaml', line: 1, col: 1 }), diags, service: 'calc', files: new Set() });
    assert.deepEqual(diags.errors, []);
    assert.ok(auth);
    return auth;
  }

  async function sign(alg: string, key: KeyObject | Uint8Array, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
    return new jose.SignJWT({ sub: 'ada', ...claims })
      .setProtectedHeader({ alg, ...header })
      .setIssuedAt()
      .setExpirationTime(typeof claims.exp === 'number' ? claims.exp : now() + 300)
      .sign(key);
  }

  async function refused(auth: Authenticator, headers: Record<string, string>, status: number, detail: RegExp): Promise<BridgeError> {
    const err = await auth.authenticate(headers).then(
      (p) => assert.fail(`accepted as ${p}`),
      (e: unknown) => e,
    );
    assert.ok(err instanceof BridgeError, String(err));
    assert.equal(err.status, status, err.detail);
    assert.match(err.detail, detail);
    const text = `${err.detail} ${JSON.stringify(err.extra.headers)}`;
    noteOutput('auth refusal', text);
    for (const s of ALL) assert.ok(!text.includes(s), `${s} leaked: ${text}`);
    for (const t of Object.values(headers)) if (t.length > 20) assert.ok(!text.includes(t.replace(/^Bearer /, '')), `credential echoed: ${text}`);
    return err;
  }

  before(() => {
    tmp = tempDir('auth-verify');
    fs.writeFileSync(path.join(tmp.dir, 'rsa.pem'), rsaPem);
    fs.writeFileSync(path.join(tmp.dir, 'ec.pem'), ec.publicKey.export({ type: 'spki', format: 'pem' }));
    const jwks = { keys: [{ ...ec2.publicKey.export({ format: 'jwk' }), kid: 'k-ec' }, { ...rsa2.publicKey.export({ format: 'jwk' }), kid: 'k-rsa', alg: 'RS256' }] };
    fs.writeFileSync(path.join(tmp.dir, 'jwks.json'), JSON.stringify(jwks));
  });
  after(() => tmp?.remove());

  describe('API keys', () => {
    const spec = (): AuthSpec => ({ apiKeys: { keys: [{ id: 'partner-a', sha256: createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex') }, { id: 'partner-b', sha256: createHash('sha256').update('another-key-of-b').digest('hex').toUpperCase() }] } });

    it('a known key gives its id as the principal, in the default header X-API-Key', async () => {
      const auth = compile(spec());
      assert.equal(await auth.authenticate({ 'x-api-key': TEST_SECRETS.apiKey }), 'partner-a');
      assert.equal(await auth.authenticate({ 'x-api-key': 'another-key-of-b' }), 'partner-b');
    });

    it('no key: 401 with an ApiKey challenge naming the header', async () => {
      const err = await refused(compile(spec()), {}, 401, /credentials are required: send an API key in X-API-Key/);
      assert.equal(err.extra.headers?.['www-authenticate'], 'ApiKey realm="calc", header="X-API-Key"');
    });

    it('a wrong key: 401, the key not echoed', async () => {
      await refused(compile(spec()), { 'x-api-key': `${TEST_SECRETS.apiKey}x` }, 401, /the API key in X-API-Key is not valid/);
    });

    it('a custom header', async () => {
      const auth = compile({ apiKeys: { header: 'X-Partner-Key', keys: spec().apiKeys!.keys } });
      assert.equal(await auth.authenticate({ 'x-partner-key': TEST_SECRETS.apiKey }), 'partner-a');
      await refused(auth, { 'x-api-key': TEST_SECRETS.apiKey }, 401, /X-Partner-Key/);
    });
  });

  describe('JWT', () => {
    it('HS256 with the secret: the principal is sub', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret } });
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('HS256', secret)}` }), 'ada');
    });

    it('RS256 with a PEM public key', async () => {
      const auth = compile({ jwt: { publicKey: 'rsa.pem', issuer: 'https://idp.example', audience: 'soap-bridge' } });
      const t = await sign('RS256', rsa.privateKey, { iss: 'https://idp.example', aud: 'soap-bridge' });
      assert.equal(await auth.authenticate({ authorization: `Bearer ${t}` }), 'ada');
    });

    it('ES256 with a PEM public key', async () => {
      const auth = compile({ jwt: { publicKey: 'ec.pem' } });
      assert.equal(await auth.authenticate({ authorization: `bearer ${await sign('ES256', ec.privateKey)}` }), 'ada');
    });

    it('a JWKS of two keys: kid picks the key; an unknown kid is refused', async () => {
      const auth = compile({ jwt: { jwks: 'jwks.json' } });
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('ES256', ec2.privateKey, { sub: 'by-ec' }, { kid: 'k-ec' })}` }), 'by-ec');
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('RS256', rsa2.privateKey, { sub: 'by-rsa' }, { kid: 'k-rsa' })}` }), 'by-rsa');
      await refused(auth, { authorization: `Bearer ${await sign('ES256', ec2.privateKey, {}, { kid: 'k-unknown' })}` }, 401, /no key of the key set matches/);
      // The right kid, signed by another key.
      await refused(auth, { authorization: `Bearer ${await sign('ES256', other.privateKey, {}, { kid: 'k-ec' })}` }, 401, /signature is not valid/);
    });

    it('expired: 401 invalid_token saying when', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret, clockToleranceSec: 5 } });
      const exp = now() - 120;
      const err = await refused(auth, { authorization: `Bearer ${await sign('HS256', secret, { exp })}` }, 401, new RegExp(`expired at ${new Date(exp * 1000).toISOString().replace(/[.]/g, '\\.')}`));
      assert.equal(err.extra.headers?.['www-authenticate'], 'Bearer realm="calc", error="invalid_token", error_description="The token expired"');
    });

    it('not yet valid (nbf), and issued in the future (iat)', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret, clockToleranceSec: 5 } });
      await refused(auth, { authorization: `Bearer ${await sign('HS256', secret, { nbf: now() + 600 })}` }, 401, /not valid before/);
      const t = await new jose.SignJWT({ sub: 'ada', iat: now() + 600 }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(now() + 900).sign(secret);
      await refused(auth, { authorization: `Bearer ${t}` }, 401, /issued in the future/);
    });

    it('a token without exp is refused', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret } });
      const t = await new jose.SignJWT({ sub: 'ada' }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
      await refused(auth, { authorization: `Bearer ${t}` }, 401, /no exp claim/);
    });

    it('wrong audience and wrong issuer', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret, audience: 'soap-bridge', issuer: 'https://idp.example' } });
      await refused(auth, { authorization: `Bearer ${await sign('HS256', secret, { aud: 'other-api', iss: 'https://idp.example' })}` }, 401, /audience "other-api" is not "soap-bridge"/);
      await refused(auth, { authorization: `Bearer ${await sign('HS256', secret, { aud: 'soap-bridge', iss: 'https://evil.example' })}` }, 401, /issuer "https:\/\/evil.example" is not "https:\/\/idp.example"/);
      await refused(auth, { authorization: `Bearer ${await sign('HS256', secret, { iss: 'https://idp.example' })}` }, 401, /the token has no audience \(expected "soap-bridge"\)/);
    });

    it('a tampered payload: signature not valid', async () => {
      const auth = compile({ jwt: { publicKey: 'rsa.pem' } });
      const [h, , s] = (await sign('RS256', rsa.privateKey)).split('.');
      const forged = `${h}.${b64url({ sub: 'admin', exp: now() + 300 })}.${s}`;
      await refused(auth, { authorization: `Bearer ${forged}` }, 401, /signature is not valid/);
    });

    it('alg none is refused, even when it is the only thing tried', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret } });
      const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ sub: 'admin', exp: now() + 300 })}.`;
      await refused(auth, { authorization: `Bearer ${none}` }, 401, /algorithm is not accepted|not a well-formed/);
    });

    it('alg confusion: HS256 keyed with the RSA public key PEM is refused', async () => {
      const confused = await sign('HS256', new TextEncoder().encode(rsaPem), { sub: 'admin' });
      await refused(compile({ jwt: { publicKey: 'rsa.pem' } }), { authorization: `Bearer ${confused}` }, 401, /algorithm is not accepted/);
      // With a secret too, HS256 is checked against the secret only.
      await refused(compile({ jwt: { publicKey: 'rsa.pem', secret: TEST_SECRETS.jwtSecret } }), { authorization: `Bearer ${confused}` }, 401, /signature is not valid/);
    });

    it('algorithms restricts what a key may verify', async () => {
      const auth = compile({ jwt: { publicKey: 'rsa.pem', algorithms: ['PS256'] } });
      await refused(auth, { authorization: `Bearer ${await sign('RS256', rsa.privateKey)}` }, 401, /accepted: PS256/);
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('PS256', rsa.privateKey)}` }), 'ada');
    });

    it('missing scope: 403 insufficient_scope; scope and scp claims both count', async () => {
      const auth = compile({ jwt: { secret: TEST_SECRETS.jwtSecret, scopes: ['orders:read', 'orders:write'] } });
      const err = await refused(auth, { authorization: `Bearer ${await sign('HS256', secret, { scope: 'orders:read' })}` }, 403, /lacks the scope orders:write/);
      assert.match(err.extra.headers!['www-authenticate'], /^Bearer realm="calc", error="insufficient_scope", .*scope="orders:read orders:write"$/);
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('HS256', secret, { scope: 'orders:write orders:read' })}` }), 'ada');
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('HS256', secret, { scp: ['orders:read', 'orders:write'] })}` }), 'ada');
    });

    it('a malformed bearer token: 401 invalid_token', async () => {
      await refused(compile({ jwt: { secret: TEST_SECRETS.jwtSecret } }), { authorization: 'Bearer not-a-jwt' }, 401, /not a well-formed/);
    });
  });

  describe('both methods', () => {
    it('either passes; no credentials gives both challenges', async () => {
      const auth = compile({ apiKeys: { keys: [{ id: 'partner-a', sha256: createHash('sha256').update(TEST_SECRETS.apiKey).digest('hex') }] }, jwt: { secret: TEST_SECRETS.jwtSecret } });
      assert.equal(await auth.authenticate({ 'x-api-key': TEST_SECRETS.apiKey }), 'partner-a');
      assert.equal(await auth.authenticate({ authorization: `Bearer ${await sign('HS256', secret)}` }), 'ada');
      // A bad token does not stop a good key.
      assert.equal(await auth.authenticate({ authorization: 'Bearer x.y.z', 'x-api-key': TEST_SECRETS.apiKey }), 'partner-a');
      const err = await refused(auth, {}, 401, /send a bearer token in Authorization or an API key in X-API-Key/);
      assert.equal(err.extra.headers?.['www-authenticate'], 'Bearer realm="calc", ApiKey realm="calc", header="X-API-Key"');
    });
  });
});
