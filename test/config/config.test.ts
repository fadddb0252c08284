/**
 * Configuration (CONTRACT §1): defaults < environment (.env) < flags, validated once.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'mocha';
import { ConfigError, DEFAULTS, ENV_NAMES, loadConfig } from '../../src/config';
import { freePort, request, tempDir } from '../support/bridge';
import { spawnCli } from '../support/child';
import { ROOT } from '../support/compile';


/** The XML and JSON limits' defaults (XML_MAX_*, JSON_MAX_DEPTH). */
const LIMITS = {
  xmlMaxDepth: 256,
  xmlMaxElements: 1000000,
  xmlMaxAttributes: 256,
  xmlMaxNameLength: 1024,
  xmlMaxTextLength: 8388608,
  xmlMaxAttributeLength: 65536,
  xmlMaxNsDecls: 64,
  xmlMaxNsDeclsTotal: 4096,
  jsonMaxDepth: 128,
};
/** Rate-limit settings at their defaults (test/ratelimit/mapping.test.ts reads them from the environment). */
const RATE_LIMIT = { rateLimitStore: 'memory', redisUrl: 'redis://127.0.0.1:6379', rateLimitPrefix: 'soap-bridge-rl' };

/** The inbound WS-Security replay cache's default (SOAP_AUTH_NONCE_CACHE_SIZE). */
const SOAP_AUTH = { soapAuthNonceCacheSize: 100000 };
/** The admin settings' defaults (ADMIN_*; test/config/admin.test.ts tests them). */
const ADMIN = { adminToken: '', adminTokenSha256: '', adminAllow: '', adminRoutes: 'metrics,docs,openapi,reload,console' };
/** The console's defaults (CONSOLE, EXCHANGES_*; test/e2e/console.test.ts tests them). */
const CONSOLE = { console: true, exchangesPerOperation: 20, exchangesMaxBytes: 16777216, exchangeMaxBodyBytes: 65536 };

describe('configuration', () => {
  it('has the contract defaults', () => {
    assert.deepEqual(loadConfig({}, {}), { port: 8080, host: '0.0.0.0', servicesDir: './wsdl', logLevel: 'info', backendTimeoutMs: 30000, backendConnectTimeoutMs: 5000, backendMaxConnections: 128, backendMaxQueue: 1000, backendRetries: 2, backendRetryBackoffMs: 100, breakerFailures: 5, breakerResetMs: 10000, breakerWindowMs: 60000, maxBodyBytes: 10485760, shutdownGraceMs: 10000, workers: 1, metrics: true, trustProxy: false, watch: true, reloadDebounceMs: 200, ...LIMITS, ...ADMIN, ...SOAP_AUTH, ...RATE_LIMIT, ...CONSOLE });
    assert.ok(Object.isFrozen(loadConfig({}, {})));
  });

  it('reads the environment and lets flags win', () => {
    const env = { PORT: '9000', HOST: '127.0.0.1', SERVICES_DIR: '/srv', LOG_LEVEL: 'debug', BACKEND_TIMEOUT_MS: '1500', BACKEND_CONNECT_TIMEOUT_MS: '700', BACKEND_MAX_CONNECTIONS: '8', BACKEND_MAX_QUEUE: '0', BACKEND_RETRIES: '1', BACKEND_RETRY_BACKOFF_MS: '5', BREAKER_FAILURES: '0', BREAKER_RESET_MS: '2000', BREAKER_WINDOW_MS: '3000', MAX_BODY_BYTES: '2048', SHUTDOWN_GRACE_MS: '0', WORKERS: '4', METRICS: 'off', TRUST_PROXY: 'yes', WATCH: 'no', RELOAD_DEBOUNCE_MS: '50' };
    assert.deepEqual(loadConfig({}, env), { port: 9000, host: '127.0.0.1', servicesDir: '/srv', logLevel: 'debug', backendTimeoutMs: 1500, backendConnectTimeoutMs: 700, backendMaxConnections: 8, backendMaxQueue: 0, backendRetries: 1, backendRetryBackoffMs: 5, breakerFailures: 0, breakerResetMs: 2000, breakerWindowMs: 3000, maxBodyBytes: 2048, shutdownGraceMs: 0, workers: 4, metrics: false, trustProxy: true, watch: false, reloadDebounceMs: 50, ...LIMITS, ...ADMIN, ...SOAP_AUTH, ...RATE_LIMIT, ...CONSOLE });
    assert.equal(loadConfig({ metrics: false }, { METRICS: 'true' }).metrics, false);
    assert.equal(loadConfig({ workers: '2' }, { WORKERS: '4' }).workers, 2);
    assert.equal(loadConfig({ watch: false }, { WATCH: 'true' }).watch, false);
    assert.equal(loadConfig({ port: '9100', servicesDir: 'x' }, env).port, 9100);
    assert.equal(loadConfig({ port: '9100', servicesDir: 'x' }, env).servicesDir, 'x');
  });

  it('refuses bad values with the variable or flag named', () => {
    assert.throws(() => loadConfig({}, { PORT: '80a' }), (e: Error) => e instanceof ConfigError && /PORT must be an integer/.test(e.message));
    assert.throws(() => loadConfig({ port: '70000' }, {}), /--port must be an integer from 0 to 65535/);
    assert.throws(() => loadConfig({}, { LOG_LEVEL: 'loud' }), /LOG_LEVEL must be one of/);
    assert.throws(() => loadConfig({}, { BACKEND_TIMEOUT_MS: '0' }), /BACKEND_TIMEOUT_MS/);
    assert.throws(() => loadConfig({}, { MAX_BODY_BYTES: '-1' }), /MAX_BODY_BYTES/);
    assert.throws(() => loadConfig({}, { METRICS: 'maybe' }), /METRICS must be true or false/);
    assert.throws(() => loadConfig({ workers: '0' }, {}), /--workers must be an integer from 1/);
    assert.throws(() => loadConfig({}, { WATCH: 'sometimes' }), /WATCH must be true or false/);
    assert.throws(() => loadConfig({}, { BACKEND_MAX_CONNECTIONS: '0' }), /BACKEND_MAX_CONNECTIONS must be an integer from 1/);
    assert.throws(() => loadConfig({}, { BACKEND_RETRIES: '11' }), /BACKEND_RETRIES must be an integer from 0 to 10/);
    assert.throws(() => loadConfig({}, { BREAKER_RESET_MS: 'soon' }), /BREAKER_RESET_MS/);
    assert.throws(() => loadConfig({}, { RELOAD_DEBOUNCE_MS: '60001' }), /RELOAD_DEBOUNCE_MS must be an integer from 0 to 60000/);
    assert.throws(() => loadConfig({}, { XML_MAX_DEPTH: '1' }), /XML_MAX_DEPTH must be an integer from 2/);
    assert.throws(() => loadConfig({}, { XML_MAX_ELEMENTS: '0' }), /XML_MAX_ELEMENTS must be an integer/);
    assert.throws(() => loadConfig({}, { JSON_MAX_DEPTH: 'deep' }), /JSON_MAX_DEPTH must be an integer/);
  });

  it('reads SOAP_AUTH_NONCE_CACHE_SIZE and refuses a size below 1', () => {
    assert.equal(loadConfig({}, { SOAP_AUTH_NONCE_CACHE_SIZE: '500' }).soapAuthNonceCacheSize, 500);
    assert.throws(() => loadConfig({}, { SOAP_AUTH_NONCE_CACHE_SIZE: '0' }), /SOAP_AUTH_NONCE_CACHE_SIZE must be an integer from 1/);
  });

  it('reads the XML and JSON limits from the environment (flags win)', () => {
    const env = { XML_MAX_DEPTH: '10', XML_MAX_ELEMENTS: '11', XML_MAX_ATTRIBUTES: '12', XML_MAX_NAME_LENGTH: '13', XML_MAX_TEXT_LENGTH: '14', XML_MAX_ATTRIBUTE_LENGTH: '15', XML_MAX_NS_DECLS: '16', XML_MAX_NS_DECLS_TOTAL: '17', JSON_MAX_DEPTH: '18' };
    const c = loadConfig({}, env);
    assert.deepEqual([c.xmlMaxDepth, c.xmlMaxElements, c.xmlMaxAttributes, c.xmlMaxNameLength, c.xmlMaxTextLength, c.xmlMaxAttributeLength, c.xmlMaxNsDecls, c.xmlMaxNsDeclsTotal, c.jsonMaxDepth], [10, 11, 12, 13, 14, 15, 16, 17, 18]);
    assert.equal(loadConfig({ xmlMaxDepth: '20' }, env).xmlMaxDepth, 20);
  });

  it('.env.example lists every variable with its default', () => {
    const example = fs.readFileSync(path.join(ROOT, '.env.example'), 'utf8');
    for (const [key, name] of Object.entries(ENV_NAMES)) {
      assert.match(example, new RegExp(`^${name}=${String(DEFAULTS[key as keyof typeof DEFAULTS]).replace(/\./g, '\\.')}$`, 'm'), name);
    }
    for (const name of ['DEMO_CALCULATOR_PORT', 'DEMO_ORDERS_PORT', 'DEMO_INVENTORY_PORT']) assert.match(example, new RegExp(`^${name}=\\d+$`, 'm'));
  });

  it("the README's configuration table lists every variable with its default", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const [key, name] of Object.entries(ENV_NAMES)) {
      const row = new RegExp(`^\\| \`${name}\` \\| ${String(DEFAULTS[key as keyof typeof DEFAULTS]).replace(/\./g, '\\.')} \\|`, 'm');
      assert.match(readme, row, name);
    }
  });

  it('serve reads .env from its working directory, answers, and exits 0 on SIGTERM', async function () {
    this.timeout(20000);
    const tmp = tempDir('dotenv');
    const port = await freePort();
    fs.writeFileSync(path.join(tmp.dir, '.env'), `PORT=${port}\nHOST=127.0.0.1\nSERVICES_DIR=${path.join(ROOT, 'wsdl')}\nLOG_LEVEL=warn\nSHUTDOWN_GRACE_MS=2000\n`);
    // LOG_LEVEL left out of the environment: the .env file sets it.
    const cli = spawnCli(['serve'], { cwd: tmp.dir, env: { LOG_LEVEL: undefined } });
    const child = cli.proc;
    let output = '';
    child.stdout!.on('data', (d: string) => (output += d));
    child.stderr!.on('data', (d: string) => (output += d));
    const exited = cli.exit.then(({ code }) => code);
    try {
      let ready = false;
      for (let i = 0; i < 100 && !ready; i++) {
        try {
          ready = (await request(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 500 })).status === 200;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(ready, `the bridge did not become ready: ${output}`);
      child.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 8000))]);
      assert.equal(code, 0, output);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      tmp.remove();
    }
  });
});
