/**
 * The inbound UsernameToken verifier (soapAuth) and its replay cache, on header blocks read by
 * the bridge's XML reader: digests made with node:crypto from the profile's formula, passwords
 * from TEST_SECRETS (the suite-wide guard checks they never reach a log).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'mocha';
import { NonceCache } from '../../src/auth/wss/nonce-cache';
import { decodeBase64Strict, parseDateTime, UsernameTokenVerifier, type SoapAuthSettings } from '../../src/auth/wss/verify';
import { BridgeError } from '../../src/errors/catalogue';
import { faultReply } from '../../src/soap/fault';
import { readXml } from '../../src/xml/reader';
import { TEST_SECRETS } from '../support/secrets';

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const PROFILE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0';
const B64 = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

const ALICE = { username: 'alice', password: TEST_SECRETS.wsPassword };
const BOB = { username: 'bob', password: TEST_SECRETS.bodyPassword };
const NOW = Date.parse('2026-11-25T12:00:00Z');

/** Base64(SHA-1(nonce + created + password)), written here from the profile's definition. */
function digest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1').update(nonce).update(created, 'utf8').update(password, 'utf8').digest('base64');
}

interface TokenParts {
  username?: string;
  password?: string;
  type?: 'digest' | 'text' | string;
  nonce?: string | null;
  created?: string | null;
  extra?: string;
  securityAttrs?: string;
}

/** A header with one Security block holding one UsernameToken (prefix `w`, to show any prefix works). */
function header(p: TokenParts = {}, version: '1.1' | '1.2' = '1.1', around = ''): string {
  const nonceBytes = randomBytes(16);
  const created = p.created === undefined ? new Date(NOW).toISOString() : p.created;
  const nonce = p.nonce === undefined ? nonceBytes.toString('base64') : p.nonce;
  const type = p.type ?? 'digest';
  const password = p.password ?? ALICE.password;
  const value = type === 'digest' && nonce !== null && created !== null ? digest(Buffer.from(nonce, 'base64'), created, password) : password;
  const typeUri = type === 'digest' ? `${PROFILE}#PasswordDigest` : type === 'text' ? `${PROFILE}#PasswordText` : type;
  let token = `<w:Username>${p.username ?? ALICE.username}</w:Username><w:Password Type="${typeUri}">${value}</w:Password>`;
  if (nonce !== null) token += `<w:Nonce EncodingType="${B64}">${nonce}</w:Nonce>`;
  if (created !== null) token += `<u:Created>${created}</u:Created>`;
  const env = version === '1.1' ? SOAP11 : SOAP12;
  return `<s:Header xmlns:s="${env}">${around}<w:Security xmlns:w="${WSSE}" xmlns:u="${WSU}" s:mustUnderstand="1"${p.securityAttrs ?? ''}><w:UsernameToken>${token}</w:UsernameToken>${p.extra ?? ''}</w:Security></s:Header>`;
}

function verifier(s: Partial<SoapAuthSettings> = {}): UsernameTokenVerifier {
  return new UsernameTokenVerifier({ users: [ALICE], ...s });
}

/** The WS-Security fault a verification throws (local name), or 'ok:principal'. */
function outcome(v: UsernameTokenVerifier, xml: string, cache = new NonceCache(100), now = NOW, version: '1.1' | '1.2' = '1.1'): string {
  try {
    return `ok:${v.verify(readXml(xml), version, cache, now).principal}`;
  } catch (e) {
    assert.ok(e instanceof BridgeError, String(e));
    return e.extra.faultQName?.local ?? e.code;
  }
}

describe('inbound WS-Security UsernameToken (soapAuth)', () => {
  describe('PasswordDigest', () => {
    it('accepts the right digest and gives the user name as principal', () => {
      assert.equal(outcome(verifier(), header()), 'ok:alice');
    });
    it('refuses a digest made with another password, and an unknown user, with FailedAuthentication', () => {
      assert.equal(outcome(verifier(), header({ password: 'not-the-password' })), 'FailedAuthentication');
      assert.equal(outcome(verifier(), header({ username: 'mallory' })), 'FailedAuthentication');
    });
    it('requires Nonce and Created', () => {
      assert.equal(outcome(verifier(), header({ nonce: null })), 'InvalidSecurityToken');
      assert.equal(outcome(verifier(), header({ created: null })), 'InvalidSecurityToken');
    });
    it('refuses malformed Base64 in the nonce or the digest', () => {
      assert.equal(outcome(verifier(), header({ nonce: 'not*base64' })), 'InvalidSecurityToken');
      const bad = header().replace(/(<w:Password [^>]*>)[^<]+/, '$1%%%%');
      assert.equal(outcome(verifier(), bad), 'InvalidSecurityToken');
      // A digest of the wrong length is a wrong digest.
      const short = header().replace(/(<w:Password [^>]*>)[^<]+/, '$1AAAA');
      assert.equal(outcome(verifier(), short), 'FailedAuthentication');
    });
    it('accepts Created up to maxAgeSec old and clockSkewSec ahead, and refuses beyond with MessageExpired', () => {
      const v = verifier({ maxAgeSec: 300, clockSkewSec: 60 });
      const at = (offsetSec: number): string => header({ created: new Date(NOW + offsetSec * 1000).toISOString() });
      assert.equal(outcome(v, at(-300)), 'ok:alice');
      assert.equal(outcome(v, at(-301)), 'MessageExpired');
      assert.equal(outcome(v, at(60)), 'ok:alice');
      assert.equal(outcome(v, at(61)), 'MessageExpired');
      assert.equal(outcome(v, header({ created: '2026-11-25T13:00:00+01:00' })), 'ok:alice', 'a time zone offset');
      assert.equal(outcome(v, header({ created: '2026-11-25T12:00:00' })), 'InvalidSecurityToken', 'no time zone');
    });
    it('refuses the same nonce twice within the window, and forgets it once the window is over', () => {
      const v = verifier({ maxAgeSec: 300 });
      const cache = new NonceCache(100);
      const xml = header();
      assert.equal(outcome(v, xml, cache), 'ok:alice');
      assert.equal(outcome(v, xml, cache, NOW + 1000), 'FailedAuthentication');
      // After the window the message itself is too old: refused for that, and the entry can go.
      assert.equal(outcome(v, xml, cache, NOW + 301_000), 'MessageExpired');
      // A wrong password never takes a place in the cache.
      outcome(v, header({ password: 'wrong' }), cache);
      assert.equal(cache.size, 1);
    });
  });

  describe('PasswordText', () => {
    it('is refused unless allowed', () => {
      assert.equal(outcome(verifier(), header({ type: 'text' })), 'FailedAuthentication');
      const both = verifier({ passwordTypes: ['digest', 'text'] });
      assert.equal(outcome(both, header({ type: 'text' })), 'ok:alice');
      assert.equal(outcome(both, header()), 'ok:alice');
      assert.equal(outcome(verifier({ passwordTypes: ['text'] }), header()), 'FailedAuthentication', 'digest not allowed');
    });
    it('compares the whole password, with or without Nonce and Created', () => {
      const v = verifier({ passwordTypes: ['text'] });
      assert.equal(outcome(v, header({ type: 'text', nonce: null, created: null })), 'ok:alice');
      assert.equal(outcome(v, header({ type: 'text', password: ALICE.password.slice(0, -1) })), 'FailedAuthentication');
      assert.equal(outcome(v, header({ type: 'text', password: `${ALICE.password}x` })), 'FailedAuthentication');
      // A password Type the profile does not define.
      assert.equal(outcome(v, header({ type: `${PROFILE}#PasswordSHA256` })), 'UnsupportedSecurityToken');
      // No Type attribute: PasswordText, as the profile says.
      assert.equal(outcome(v, header({ type: 'text' }).replace(/ Type="[^"]+"/, '')), 'ok:alice');
    });
  });

  it('knows several users, each with its own password', () => {
    const v = verifier({ users: [ALICE, BOB] });
    assert.equal(outcome(v, header()), 'ok:alice');
    assert.equal(outcome(v, header({ username: 'bob', password: BOB.password })), 'ok:bob');
    assert.equal(outcome(v, header({ username: 'bob', password: ALICE.password })), 'FailedAuthentication');
  });

  it('refuses a missing, doubled or foreign Security header with InvalidSecurity', () => {
    const v = verifier();
    assert.equal(outcome(v, `<s:Header xmlns:s="${SOAP11}"/>`), 'InvalidSecurity');
    const two = header().replace(/<s:Header ([^>]*)>([\s\S]*)<\/s:Header>/, '<s:Header $1>$2$2</s:Header>');
    assert.equal(outcome(v, two), 'InvalidSecurity');
    // A Security block for another actor is not ours: as if there were none.
    assert.equal(outcome(v, header({ securityAttrs: ' s:actor="urn:someone-else"' })), 'InvalidSecurity');
    assert.equal(outcome(v, header({ securityAttrs: ` s:role="${SOAP12}/role/next"` }, '1.2'), new NonceCache(10), NOW, '1.2'), 'ok:alice');
    // The old draft namespace is not the 1.0 one.
    assert.equal(outcome(v, header().replace(WSSE, 'http://schemas.xmlsoap.org/ws/2002/07/secext')), 'InvalidSecurity');
    // A Security block with no UsernameToken, or another kind of token only.
    assert.equal(outcome(v, `<s:Header xmlns:s="${SOAP11}"><w:Security xmlns:w="${WSSE}"/></s:Header>`), 'InvalidSecurity');
    assert.equal(outcome(v, `<s:Header xmlns:s="${SOAP11}"><w:Security xmlns:w="${WSSE}"><w:BinarySecurityToken>AAAA</w:BinarySecurityToken></w:Security></s:Header>`), 'UnsupportedSecurityToken');
  });

  it('refuses an expired wsu:Timestamp with MessageExpired', () => {
    const ts = (expires: string): string => `<u:Timestamp><u:Created>2026-11-25T11:00:00Z</u:Created><u:Expires>${expires}</u:Expires></u:Timestamp>`;
    assert.equal(outcome(verifier(), header({ extra: ts('2026-11-25T12:10:00Z') })), 'ok:alice');
    assert.equal(outcome(verifier(), header({ extra: ts('2026-11-25T11:58:00Z') })), 'MessageExpired');
    assert.equal(outcome(verifier(), header({ extra: ts('yesterday') })), 'InvalidSecurity');
  });

  it('never puts the password, the digest or the nonce in the fault or the log reason', () => {
    const xml = header({ password: 'wrong-password' });
    const d = /<w:Password [^>]*>([^<]+)/.exec(xml)![1];
    const n = /<w:Nonce [^>]*>([^<]+)/.exec(xml)![1];
    for (const [x, version] of [[xml, '1.1'], [header({ type: 'text', password: TEST_SECRETS.wsPassword }), '1.1'], [xml, '1.2']] as const) {
      let err: BridgeError | undefined;
      try {
        verifier().verify(readXml(x), '1.1', new NonceCache(10), NOW);
      } catch (e) {
        err = e as BridgeError;
      }
      assert.ok(err);
      const fault = faultReply(err, version, 'req-1');
      for (const secret of [TEST_SECRETS.wsPassword, 'wrong-password', d, n]) {
        assert.ok(!fault.body.includes(secret), `fault holds ${secret}`);
        assert.ok(!JSON.stringify(err.extra.authFailure).includes(secret));
      }
    }
  });

  it('writes the WS-Security QName as the SOAP 1.1 faultcode and as the SOAP 1.2 Subcode of Sender', () => {
    let err: BridgeError | undefined;
    try {
      verifier().verify(readXml(header({ password: 'nope' })), '1.1', new NonceCache(10), NOW);
    } catch (e) {
      err = e as BridgeError;
    }
    const f11 = faultReply(err!, '1.1', 'r');
    assert.equal(f11.status, 500);
    assert.match(f11.body, new RegExp(`<faultcode xmlns:wsse="${WSSE}">wsse:FailedAuthentication</faultcode><faultstring>The security token could not be authenticated or authorized</faultstring>`));
    const f12 = faultReply(err!, '1.2', 'r');
    assert.equal(f12.status, 400);
    assert.match(f12.body, new RegExp(`<soap:Value>soap:Sender</soap:Value><soap:Subcode><soap:Value xmlns:wsse="${WSSE}">wsse:FailedAuthentication</soap:Value></soap:Subcode>`));
    assert.match(f12.body, /urn:soap-bridge:problem:unauthorized/);
  });

  describe('the replay cache', () => {
    it('is bounded: when full of live nonces it refuses (RATE_LIMITED with Retry-After) rather than forget one', () => {
      const v = verifier({ maxAgeSec: 300 });
      const cache = new NonceCache(3);
      for (let i = 0; i < 3; i++) assert.equal(outcome(v, header(), cache), 'ok:alice');
      let err: BridgeError | undefined;
      try {
        v.verify(readXml(header()), '1.1', cache, NOW + 10_000);
      } catch (e) {
        err = e as BridgeError;
      }
      assert.equal(err?.code, 'RATE_LIMITED');
      assert.equal(err?.extra.headers?.['retry-after'], '290');
      assert.equal(cache.size, 3);
      // Once the first nonces leave their window there is room again.
      assert.equal(outcome(v, header({ created: new Date(NOW + 301_000).toISOString() }), cache, NOW + 301_000), 'ok:alice');
      assert.ok(cache.size <= 3);
    });
    it('expires entries on their own time, wherever they sit', () => {
      const c = new NonceCache(2);
      assert.equal(c.remember('a', 5000, 0), 'fresh');
      assert.equal(c.remember('b', 1000, 0), 'fresh');
      assert.equal(c.remember('a', 5000, 500), 'seen');
      assert.equal(c.remember('c', 9000, 2000), 'fresh', 'b expired behind a');
      assert.equal(c.remember('d', 9000, 2000), 'full');
      assert.equal(c.remember('a', 9000, 6000), 'fresh', 'a expired: seen no more');
    });
  });

  it('reads xs:dateTime and Base64 strictly', () => {
    assert.equal(parseDateTime('2026-02-29T00:00:00Z'), undefined);
    assert.equal(parseDateTime('2024-02-29T23:59:59.5-02:30'), Date.parse('2024-03-01T02:29:59.500Z'));
    assert.equal(parseDateTime('2026-11-25T12:00:00'), undefined);
    // Years 0 to 99 are those years, not 1900 to 1999 (Date.UTC's two-digit-year rule).
    assert.equal(parseDateTime('0099-01-01T00:00:00Z'), Date.parse('0099-01-01T00:00:00Z'));
    assert.equal(parseDateTime('0000-02-29T00:00:00Z'), Date.parse('0000-02-29T00:00:00Z'), 'year 0 is a leap year');
    assert.deepEqual(decodeBase64Strict(' AAEC\nAw== '), Buffer.from([0, 1, 2, 3]));
    for (const bad of ['', 'AAE', 'AA=A', 'A@==', '====']) assert.equal(decodeBase64Strict(bad), undefined, bad);
  });
});
