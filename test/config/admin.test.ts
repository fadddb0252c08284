/**
 * Admin settings (ADMIN_TOKEN, ADMIN_TOKEN_SHA256, ADMIN_ALLOW, ADMIN_ROUTES): parsed and checked
 * by loadConfig, compiled into a policy; the policy's decisions on real requests are in
 * test/e2e/admin.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'mocha';
import { parseAdminSettings } from '../../src/admin/policy';
import { ConfigError, loadConfig } from '../../src/config';
import { redactText } from '../../src/log/redact';
import { TEST_SECRETS } from '../support/secrets';

const TOKEN = TEST_SECRETS.adminToken;

/** The ConfigError loadConfig throws for this environment (fails when it throws none). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig({}, env);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail(`no error for ${JSON.stringify(env)}`);
}

const policyOf = (env: Record<string, string>): ReturnType<typeof parseAdminSettings> => {
  const c = loadConfig({}, env);
  return parseAdminSettings({ token: c.adminToken, tokenSha256: c.adminTokenSha256, allow: c.adminAllow, routes: c.adminRoutes });
};

describe('admin settings', () => {
  it('defaults: no token, no allow-list, every admin route named', () => {
    const c = loadConfig({}, {});
    assert.deepEqual([c.adminToken, c.adminTokenSha256, c.adminAllow, c.adminRoutes], ['', '', '', 'metrics,docs,openapi,reload,console']);
    const p = policyOf({});
    assert.equal(p.tokenDigest, undefined);
    assert.equal(p.allow, undefined);
    assert.deepEqual([...p.routes], ['metrics', 'docs', 'openapi', 'reload', 'console']);
  });

  it('reads ADMIN_TOKEN and keeps only its digest in the policy; the token is registered as a secret', () => {
    const c = loadConfig({}, { ADMIN_TOKEN: TOKEN });
    assert.equal(c.adminToken, TOKEN);
    assert.deepEqual(policyOf({ ADMIN_TOKEN: TOKEN }).tokenDigest, createHash('sha256').update(TOKEN).digest());
    assert.equal(redactText(`the token is ${TOKEN}`), 'the token is [REDACTED]');
  });

  it('reads ADMIN_TOKEN_SHA256 (any case)', () => {
    const hex = createHash('sha256').update(TOKEN).digest('hex');
    assert.deepEqual(policyOf({ ADMIN_TOKEN_SHA256: hex.toUpperCase() }).tokenDigest, Buffer.from(hex, 'hex'));
  });

  it('refuses a short or unprintable token without showing it, a bad hash, and both at once', () => {
    const short = configError({ ADMIN_TOKEN: 'abc-123-xyz' });
    assert.match(short.message, /ADMIN_TOKEN is too short \(11 characters; 16 at least/);
    assert.ok(!short.message.includes('abc-123-xyz'));
    const spaced = configError({ ADMIN_TOKEN: 'a token with spaces inside it' });
    assert.match(spaced.message, /ADMIN_TOKEN must be printable ASCII without spaces/);
    assert.ok(!spaced.message.includes('with spaces'));
    assert.match(configError({ ADMIN_TOKEN_SHA256: 'abcd' }).message, /ADMIN_TOKEN_SHA256 must be 64 hex digits .* got 4 characters/);
    assert.match(configError({ ADMIN_TOKEN_SHA256: 'z'.repeat(64) }).message, /ADMIN_TOKEN_SHA256 must be 64 hex digits/);
    assert.match(configError({ ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_SHA256: 'a'.repeat(64) }).message, /set ADMIN_TOKEN or ADMIN_TOKEN_SHA256, not both/);
  });

  it('reads ADMIN_ALLOW: IPv4 and IPv6 addresses and CIDRs', () => {
    const p = policyOf({ ADMIN_ALLOW: ' 127.0.0.1/32, 10.0.0.0/8 ,::1,fd00::/8,192.0.2.7' });
    const allow = p.allow!;
    assert.ok(allow.check('127.0.0.1', 'ipv4'));
    assert.ok(!allow.check('127.0.0.2', 'ipv4'));
    assert.ok(allow.check('10.200.3.4', 'ipv4'));
    assert.ok(!allow.check('11.0.0.1', 'ipv4'));
    assert.ok(allow.check('192.0.2.7', 'ipv4'));
    assert.ok(allow.check('::1', 'ipv6'));
    assert.ok(allow.check('fd12:3456::1', 'ipv6'));
    assert.ok(!allow.check('fe80::1', 'ipv6'));
  });

  it('reads IPv4-mapped IPv6 CIDRs in ADMIN_ALLOW (::ffff:10.0.0.0/104) as the IPv4 networks they name', () => {
    const allow = policyOf({ ADMIN_ALLOW: '::ffff:10.0.0.0/104,::ffff:127.0.0.1/128,::FFFF:192.0.2.0/120' }).allow!;
    assert.ok(allow.check('10.200.3.4', 'ipv4'));
    assert.ok(!allow.check('11.0.0.1', 'ipv4'));
    assert.ok(allow.check('127.0.0.1', 'ipv4'));
    assert.ok(!allow.check('127.0.0.2', 'ipv4'));
    assert.ok(allow.check('192.0.2.200', 'ipv4'));
    assert.ok(!allow.check('192.0.3.1', 'ipv4'));
    assert.match(configError({ ADMIN_ALLOW: '::ffff:10.0.0.0/95' }).message, /"::ffff:10\.0\.0\.0\/95" has a bad prefix length \(96 to 128 for an IPv4-mapped IPv6 network\)/);
  });

  it('refuses a bad ADMIN_ALLOW entry with a message naming it', () => {
    assert.match(configError({ ADMIN_ALLOW: '10.0.0.0/33' }).message, /ADMIN_ALLOW: "10\.0\.0\.0\/33" has a bad prefix length \(0 to 32 for IPv4\)/);
    assert.match(configError({ ADMIN_ALLOW: '::1/129' }).message, /"::1\/129" has a bad prefix length \(0 to 128 for IPv6\)/);
    assert.match(configError({ ADMIN_ALLOW: '10.0.0/8' }).message, /ADMIN_ALLOW: "10\.0\.0\/8" is not an IPv4 or IPv6 address or CIDR/);
    assert.match(configError({ ADMIN_ALLOW: 'localhost' }).message, /"localhost" is not an IPv4 or IPv6 address/);
    assert.match(configError({ ADMIN_ALLOW: '10.0.0.0/x' }).message, /bad prefix length/);
    assert.match(configError({ ADMIN_ALLOW: '10.0.0.1,,10.0.0.2' }).message, /ADMIN_ALLOW has an empty entry/);
  });

  it('reads ADMIN_ROUTES and refuses an unknown name', () => {
    assert.deepEqual([...policyOf({ ADMIN_ROUTES: 'Reload, metrics' }).routes], ['reload', 'metrics']);
    assert.match(configError({ ADMIN_ROUTES: 'metrics,consoles' }).message, /ADMIN_ROUTES: "consoles" is not an admin route; use a comma-separated list of metrics, docs, openapi, reload, console/);
  });
});
