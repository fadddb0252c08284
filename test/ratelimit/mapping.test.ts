/**
 * `rateLimit` in mapping.yaml: what the loader refuses (file:line:col diagnostics with the
 * schema's x-expect wording and "did you mean"), what it warns about, the rule each operation
 * gets; and the rate-limit settings of the configuration.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'mocha';
import { compileBundleDir } from '../../src/compile';
import { formatDiagnostic } from '../../src/compile/diagnostics';
import { ConfigError, loadConfig } from '../../src/config';
import { redactText } from '../../src/log/redact';
import { displayRedisUrl, registerRedisSecrets } from '../../src/ratelimit/limits';
import { tempDir } from '../support/bridge';
import { calculatorBundle } from '../support/ratelimit';
import { TEST_SECRETS } from '../support/secrets';

describe('rateLimit in mapping.yaml', () => {
  const tmp = tempDir('ratelimit-mapping');
  after(() => tmp.remove());
  let n = 0;

  /** The diagnostics of a calculator bundle with this mapping text, as `validate` prints them (file as mapping.yaml). */
  function load(mapping: string): { lines: string[]; bundle: ReturnType<typeof compileBundleDir>['bundle'] } {
    const dir = calculatorBundle(tmp.dir, `b${++n}`, 'http://127.0.0.1:9/calculator', mapping);
    const r = compileBundleDir(dir, { env: {} });
    return { lines: r.diagnostics.map((d) => formatDiagnostic(d, dir)), bundle: r.bundle };
  }

  it('gives each operation its rule: the service budget, its own (namespaced by operation, `by` inherited), or none', () => {
    const { lines, bundle } = load('rateLimit: {requests: 100, windowMs: 60000, by: ip}\noperations:\n  Add: {rateLimit: {requests: 5, windowMs: 1000}}\n  Divide: {rateLimit: false}\n');
    assert.deepEqual(lines, []);
    const rule = (name: string): unknown => bundle!.operations.get(name)!.policy.rateLimit;
    assert.deepEqual(rule('Subtract'), { service: 'b1', requests: 100, windowMs: 60000, by: 'ip' });
    assert.deepEqual(rule('Add'), { service: 'b1', operation: 'Add', requests: 5, windowMs: 1000, by: 'ip' });
    assert.equal(rule('Divide'), undefined);
    // The SOAP 1.2 binding's operations (the SOAP facade's view) have the same rules.
    for (const byNs of bundle!.soapOperations.values()) for (const ops of byNs.values()) for (const op of ops) assert.deepEqual(op.policy.rateLimit, rule(op.name));
    const none = load('operations:\n  Add: {route: GET /add, request: {fields: {intA: query.a, intB: query.b}}}\n');
    assert.deepEqual(none.lines, []);
    assert.equal(none.bundle!.operations.get('Add')!.policy.rateLimit, undefined);
  });

  it('refuses bad values at their position, in words', () => {
    const cases: [string, string][] = [
      ['rateLimit: true\n', 'mapping.yaml:3:12 rateLimit: give false (no limit) or a map {requests: N, windowMs: MS}; true is not a setting'],
      ['rateLimit: {requests: 10}\n', 'mapping.yaml:3:12 rateLimit: `windowMs` is required'],
      ['rateLimit: {requests: 10, windowMs: 1500}\n', 'mapping.yaml:3:37 rateLimit.windowMs: expected a window in milliseconds, whole seconds (1000, 60000, …)'],
      ['rateLimit: {requests: 0, windowMs: 1000}\n', 'mapping.yaml:3:23 rateLimit.requests must be >= 1'],
      ['rateLimit: {requests: many, windowMs: 1000}\n', 'mapping.yaml:3:23 rateLimit.requests: expected a whole number of requests per window, 1 or more'],
      ['rateLimit: {requests: 10, windowMs: 1000, by: user}\n', 'mapping.yaml:3:47 rateLimit.by: expected client (the authenticated principal, else the IP address) or ip'],
      ['rateLimit: {request: 10, windowMs: 1000}\n', 'mapping.yaml:3:13 rateLimit: unknown key `request` (did you mean `requests`?)'],
      ['operations:\n  Add:\n    ratelimit: false\n', 'mapping.yaml:5:5 operations.Add: unknown key `ratelimit` (did you mean `rateLimit`?)'],
      ['rateLimt: {requests: 10, windowMs: 1000}\n', 'mapping.yaml:3:1 unknown key `rateLimt` (did you mean `rateLimit`?)'],
    ];
    for (const [mapping, expected] of cases) {
      const { lines, bundle } = load(mapping);
      assert.ok(lines.includes(expected), `${mapping}\ngot:\n${lines.join('\n')}`);
      assert.equal(bundle, undefined, 'the bundle is not served');
    }
  });

  it('warns that `false` on an operation of a service without rateLimit has no effect', () => {
    const { lines, bundle } = load('operations:\n  Add:\n    rateLimit: false\n');
    assert.deepEqual(lines, ['mapping.yaml:5:16 warning: operations.Add.rateLimit: false has no effect: the service sets no rateLimit (set one at the top of mapping.yaml, or remove this line)']);
    assert.ok(bundle);
  });
});

describe('rate-limit settings', () => {
  it('reads RATE_LIMIT_STORE, REDIS_URL and RATE_LIMIT_PREFIX (flags win) and refuses bad values', () => {
    const d = loadConfig({}, {});
    assert.deepEqual([d.rateLimitStore, d.redisUrl, d.rateLimitPrefix], ['memory', 'redis://127.0.0.1:6379', 'soap-bridge-rl']);
    const c = loadConfig({}, { RATE_LIMIT_STORE: 'Redis', REDIS_URL: 'rediss://h.example:6380/2', RATE_LIMIT_PREFIX: 'edge:eu' });
    assert.deepEqual([c.rateLimitStore, c.redisUrl, c.rateLimitPrefix], ['redis', 'rediss://h.example:6380/2', 'edge:eu']);
    assert.equal(loadConfig({ rateLimitStore: 'memory' }, { RATE_LIMIT_STORE: 'redis' }).rateLimitStore, 'memory');
    assert.throws(() => loadConfig({}, { RATE_LIMIT_STORE: 'memcached' }), (e: unknown) => e instanceof ConfigError && /RATE_LIMIT_STORE must be memory or redis, got "memcached"/.test(e.message));
    assert.throws(() => loadConfig({}, { RATE_LIMIT_PREFIX: 'a b' }), /RATE_LIMIT_PREFIX must be 1 to 100 letters/);
    // A bad URL is refused without repeating it: it may hold the password.
    assert.throws(
      () => loadConfig({}, { REDIS_URL: `http://:${TEST_SECRETS.redisPassword}@h:1` }),
      (e: unknown) => e instanceof ConfigError && e.message === 'REDIS_URL must be a redis:// or rediss:// URL',
    );
  });

  it("registers REDIS_URL's password as a secret and hides it in the URL it logs", () => {
    const url = `redis://user:${encodeURIComponent(TEST_SECRETS.redisPassword)}@127.0.0.1:6379/0`;
    assert.equal(displayRedisUrl(url), 'redis://user:***@127.0.0.1:6379/0');
    registerRedisSecrets(url);
    assert.equal(redactText(`AUTH failed for ${TEST_SECRETS.redisPassword}`), 'AUTH failed for [REDACTED]');
  });

  it("does not register REDIS_URL's user name as a secret (an ACL user such as `default` would be redacted from every log line and error body)", () => {
    const url = `redis://default:${encodeURIComponent(TEST_SECRETS.redisPassword)}@127.0.0.1:6379/0`;
    registerRedisSecrets(url);
    assert.equal(displayRedisUrl(url), 'redis://default:***@127.0.0.1:6379/0');
    assert.equal(redactText('the default route of Add'), 'the default route of Add');
    assert.equal(redactText(`redis://default:${TEST_SECRETS.redisPassword}@h`), 'redis://default:[REDACTED]@h');
  });

  it('is documented: .env.example and the README name every rate-limit variable', () => {
    const root = path.resolve(__dirname, '..', '..', '..');
    const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
    assert.match(readme, /^## Rate limiting$/m);
    for (const name of ['RATE_LIMIT_STORE', 'REDIS_URL', 'RATE_LIMIT_PREFIX']) assert.match(fs.readFileSync(path.join(root, '.env.example'), 'utf8'), new RegExp(`^${name}=`, 'm'));
  });
});
